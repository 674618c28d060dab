// Agent wellbeing in the console: a gentle nudge to the agent after a long run without a break
// (or a heavy share of escalated conversations), and the team's workload for supervisors
// (GET /api/v1/me/wellbeing and /api/v1/wellbeing; thresholds in the practice's report settings).
import { api } from "./api";
import { announce, h, replace } from "./dom";

export interface Wellbeing {
  user_id: number;
  name: string;
  status: string;
  working_since: string | null;
  minutes_without_break: number;
  worked_minutes_today: number;
  after_hours_minutes: number;
  handled_today: number;
  distressing_today: number;
  distressing_share: number | null;
  occupancy: number | null;
  break_suggested: boolean;
  concerns: string[];
}

export function hoursMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

// The words of the nudge: kind, brief, never naming a patient.
export function nudgeText(w: Wellbeing): string {
  if (w.working_since && w.concerns.some((c) => c.endsWith("without a break"))) {
    return `You have been at it for ${hoursMinutes(w.minutes_without_break)} without a break. A few minutes away from the screen helps you and your patients.`;
  }
  return "Today has been heavy. A short break before the next one is a good idea.";
}

const SNOOZE_MS = 30 * 60 * 1000;

// Checks every five minutes; shows the nudge in `host` until the agent takes a break or asks to
// be reminded later. `takeBreak` sets their status.
export function startNudges(host: HTMLElement, takeBreak: () => Promise<void>): void {
  let snoozedUntil = 0;
  const check = async (): Promise<void> => {
    if (Date.now() < snoozedUntil) return;
    let w: Wellbeing;
    try {
      w = await api<Wellbeing>("GET", "/api/v1/me/wellbeing");
    } catch {
      return;
    }
    if (!w.break_suggested) {
      replace(host);
      return;
    }
    if (host.childElementCount) return;
    const take = h("button", { type: "button", class: "primary" }, "Take a break");
    const later = h("button", { type: "button" }, "Remind me in 30 min");
    take.addEventListener("click", async () => {
      await takeBreak();
      replace(host);
    });
    later.addEventListener("click", () => {
      snoozedUntil = Date.now() + SNOOZE_MS;
      replace(host);
    });
    const text = nudgeText(w);
    replace(host, h("div", { class: "nudge", role: "status" }, h("p", {}, text), take, later));
    announce(text);
  };
  void check();
  window.setInterval(() => void check(), 5 * 60 * 1000);
}

function percent(x: number | null): string {
  return x === null ? "—" : `${Math.round(x * 100)}%`;
}

const STATUS_LABEL: Record<string, string> = {
  available: "Available",
  busy: "Busy",
  on_break: "On a break",
  offline: "Offline",
};

// The supervisor's section: who needs a break first.
export function teamSection(items: Wellbeing[]): HTMLElement {
  return h(
    "section",
    { class: "card", "aria-labelledby": "sv-wellbeing" },
    h("h2", { id: "sv-wellbeing" }, "Team wellbeing"),
    items.length
      ? h(
          "table",
          { class: "wellbeing" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Agent", "Status", "Without a break", "Worked today", "Handled today", "Escalated or urgent", "In chats", "Concerns"].map((t) =>
                h("th", { scope: "col" }, t),
              ),
            ),
          ),
          h(
            "tbody",
            {},
            items.map((w) =>
              h(
                "tr",
                { class: w.break_suggested ? "needs-break" : "", "data-user": String(w.user_id) },
                h("th", { scope: "row" }, w.name),
                h("td", {}, STATUS_LABEL[w.status] ?? w.status),
                h("td", {}, w.working_since ? hoursMinutes(w.minutes_without_break) : "—"),
                h("td", {}, hoursMinutes(w.worked_minutes_today)),
                h("td", {}, String(w.handled_today)),
                h("td", {}, w.handled_today ? `${w.distressing_today} (${percent(w.distressing_share)})` : "—"),
                h("td", {}, percent(w.occupancy)),
                h("td", { class: "concerns" }, w.break_suggested ? h("strong", {}, "Needs a break. ") : "", w.concerns.join("; ")),
              ),
            ),
          ),
        )
      : h("p", {}, "No staff yet."),
  );
}
