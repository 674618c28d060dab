// The staffing advisor (GET /api/v1/staffing): for a week, the agents each half-hour needs
// against those who were there in the weeks measured, as an hour × weekday heat map, with the
// alerts ("Add a team member at 10:00 on Mondays") and what the plan assumed.
import { api, query } from "./api";
import { h, replace } from "./dom";
import { isoWeek } from "./format";
import type { App } from "./state";

interface Need {
  contacts: number;
  aht_s: number;
  agents: number;
  service_level: number;
  occupancy: number;
  method: string | null;
  abandon_probability?: number;
}
interface Slot {
  day: string;
  date: string;
  time: string;
  agents_on_queue: number;
  agents_scheduled: number;
  staffed: number | null;
  occupancy: number;
  occupancy_high: boolean;
  phone: Need;
  chat: Need;
  messages: Need;
}
interface Alert {
  kind: string;
  message: string;
}
export interface StaffingPlan {
  week: string;
  from: string;
  to: string;
  time_zone: string;
  measured: { from: string; to: string; weeks: number };
  settings: Record<string, number>;
  aht_s: { phone: number; chat: number; messages: number };
  patience_s: number | null;
  alerts: Alert[];
  slots: Slot[];
}

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

function minutes(s: number): string {
  return s >= 60 ? `${Math.round(s / 6) / 10} min` : `${Math.round(s)} s`;
}

function describe(s: Slot): string {
  const parts = [`${s.day} ${s.time}: ${s.agents_on_queue} on the queue, ${s.agents_scheduled} to schedule`];
  if (s.staffed !== null) parts.push(`${s.staffed} were there`);
  const kinds: [string, Need][] = [["calls", s.phone], ["chats", s.chat], ["messages", s.messages]];
  for (const [name, n] of kinds) {
    if (n.contacts > 0) parts.push(`${n.contacts} ${name} × ${minutes(n.aht_s)} → ${n.agents}`);
  }
  parts.push(`occupancy ${Math.round(s.occupancy * 100)}%`);
  return parts.join("; ");
}

function cell(s: Slot): HTMLElement {
  const gap = s.staffed === null ? 0 : s.agents_on_queue - s.staffed;
  const state =
    s.agents_on_queue === 0
      ? s.staffed ? "idle" : "none"
      : s.staffed === null ? "needed" : gap >= 0.5 ? "short" : "ok";
  return h(
    "td",
    {
      class: `heat ${state}${s.occupancy_high ? " busy" : ""}`,
      "data-day": s.day,
      "data-time": s.time,
      "data-need": String(s.agents_on_queue),
      "data-staffed": s.staffed === null ? "" : String(s.staffed),
      title: describe(s),
    },
    s.agents_on_queue || s.staffed ? h("span", { class: "need" }, String(s.agents_on_queue)) : "",
    s.staffed ? h("span", { class: "staffed" }, ` / ${s.staffed}`) : "",
  );
}

function heatMap(plan: StaffingPlan): HTMLElement {
  const rows: HTMLElement[] = [];
  for (let half = 0; half < 48; half++) {
    const slots = DAYS.map((_, d) => plan.slots[d * 48 + half]);
    if (!slots.some((s) => s.agents_on_queue > 0 || (s.staffed ?? 0) > 0)) continue;
    rows.push(h("tr", {}, h("th", { scope: "row" }, slots[0].time), slots.map(cell)));
  }
  if (rows.length === 0) return h("p", {}, "Nothing arrived and nobody was there in the weeks measured.");
  return h(
    "table",
    { class: "heatmap" },
    h("caption", {}, "Agents needed on the queue / agents who were there, per half-hour (quiet half-hours left out)"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Time"), DAYS.map((d) => h("th", { scope: "col" }, d.slice(0, 3))))),
    h("tbody", {}, rows),
  );
}

function view(plan: StaffingPlan): HTMLElement[] {
  const s = plan.settings;
  const peak = plan.slots.reduce((a, b) => (b.agents_scheduled > a.agents_scheduled ? b : a), plan.slots[0]);
  return [
    h(
      "section",
      { class: "card", "aria-labelledby": "alerts-title" },
      h("h2", { id: "alerts-title" }, "Alerts"),
      plan.alerts.length
        ? h("ul", { class: "alerts" }, plan.alerts.map((a) => h("li", { class: `alert ${a.kind}`, "data-kind": a.kind }, a.message)))
        : h("p", {}, "None: the team that was there meets the targets."),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "heat-title" },
      h("h2", { id: "heat-title" }, `Week ${plan.week} (${plan.from} to ${plan.to})`),
      heatMap(plan),
      h("p", { class: "legend" },
        h("span", { class: "heat short" }, "short"), " fewer were there than needed · ",
        h("span", { class: "heat ok" }, "covered"), " · ",
        h("span", { class: "heat busy" }, "busy"), ` agents would be busy over ${Math.round(s.max_occupancy * 100)}%`),
      peak && peak.agents_scheduled > 0
        ? h("p", {}, `Busiest: ${peak.day} ${peak.time}, ${peak.agents_on_queue} on the queue, ${peak.agents_scheduled} to schedule.`)
        : null,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "assume-title" },
      h("h2", { id: "assume-title" }, "What the plan assumes"),
      h(
        "ul",
        {},
        h("li", {}, `Measured: ${plan.measured.from} to ${plan.measured.to} (${plan.measured.weeks} week${plan.measured.weeks === 1 ? "" : "s"}), averaged per week; times in ${plan.time_zone}.`),
        h("li", {}, `Phone: ${Math.round(s.phone_service_level * 100)}% answered within ${s.phone_target_s} s; handle time ${minutes(plan.aht_s.phone)}; ` +
          (plan.patience_s === null ? "Erlang C." : `callers wait ${minutes(plan.patience_s)} on average before hanging up (Erlang A).`)),
        h("li", {}, `Chat: ${Math.round(s.chat_service_level * 100)}% within ${s.chat_target_s} s, ${s.chat_concurrency} at once per agent; handle time ${minutes(plan.aht_s.chat)}.`),
        h("li", {}, `Texts and email: answered within ${minutes(s.message_target_s)}; ${minutes(plan.aht_s.messages)} each (assumed: writing time is not measured).`),
        h("li", {}, `Shrinkage (breaks, meetings) ${Math.round(s.shrinkage * 100)}%: scheduled = on the queue ÷ ${Math.round((1 - s.shrinkage) * 100) / 100}.`),
      ),
    ),
  ];
}

export function renderStaffing(_app: App, pane: HTMLElement): void {
  const week = h("input", { type: "week", name: "week", value: isoWeek(new Date()), required: true });
  const weeks = h(
    "select",
    { name: "weeks", "aria-label": "Weeks measured" },
    [1, 2, 4, 8, 13].map((n) => h("option", { value: String(n), selected: n === 4 }, `From the ${n} week${n === 1 ? "" : "s"} before`)),
  );
  const show = h("button", { type: "submit", class: "primary" }, "Show");
  const form = h(
    "form",
    { class: "report-form", "aria-label": "Week to plan" },
    h("label", { class: "field" }, h("span", {}, "Week"), week),
    weeks,
    show,
  );
  const body = h("div", { class: "report", "aria-live": "polite" }, h("p", {}, "Loading…"));
  replace(pane, h("h1", {}, "Staffing"), form, body);
  const load = async (): Promise<void> => {
    try {
      const plan = await api<StaffingPlan>("GET", `/api/v1/staffing${query({ week: week.value, weeks: weeks.value })}`);
      replace(body, ...view(plan));
    } catch (e) {
      replace(body, h("p", { class: "error", role: "alert" }, (e as Error).message));
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void load();
  });
  void load();
}
