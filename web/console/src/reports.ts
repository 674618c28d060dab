// The practice manager's dashboard: the figures of a period (GET /api/v1/reports/kpis), cut by
// channel, queue, agent, category, location or SLA policy, by hour and weekday, each with how it
// is counted; SLA attainment per policy; the backlog against the practice's thresholds;
// printable as a report.
import { api, query } from "./api";
import { h, replace } from "./dom";
import { dayChart } from "./charts";
import { formatMetric, isoDay } from "./format";
import { type App, userName } from "./state";

interface Metric {
  value: number | null;
  count: number;
  definition: string;
}
export interface Kpis {
  from: string;
  to: string;
  time_zone: string;
  metrics: Record<string, Metric>;
  backlog: { open: number; healthy_at_most: number; add_staff_above: number; state: string };
  service_level_seconds: number;
  short_abandon_seconds: number;
  distributions: Record<string, { under_s: number | null; count: number }[]>;
  sla_by_policy: { policy_id: number; name: string; conversations: number; decided: number; met: number; attainment: number | null }[] | null;
}
export interface Daily {
  days: { day: string; metrics: Record<string, number | null> }[];
  backlog: { day: string; open: number; peak: number }[];
  healthy_at_most: number;
  add_staff_above: number;
}

const SECTIONS: { title: string; metrics: [string, string][] }[] = [
  {
    title: "Answering patients",
    metrics: [
      ["conversations", "Conversations"],
      ["first_response_time_mean_s", "First response, mean"],
      ["first_response_time_p50_s", "First response, median"],
      ["first_response_time_p90_s", "First response, 90th percentile"],
      ["sla_first_response_attainment", "Answered within target"],
      ["next_response_time_mean_s", "Next response, mean"],
      ["chat_answer_rate", "Chats answered"],
    ],
  },
  {
    title: "Resolving",
    metrics: [
      ["resolution_time_mean_s", "Resolution, mean"],
      ["resolution_time_p50_s", "Resolution, median"],
      ["resolution_time_p90_s", "Resolution, 90th percentile"],
      ["first_contact_resolution_rate", "First-contact resolution"],
      ["reopen_rate", "Reopened"],
      ["csat", "Satisfaction (CSAT)"],
      ["nps", "Net promoter score"],
    ],
  },
  {
    title: "Phone",
    metrics: [
      ["calls_offered", "Calls offered"],
      ["calls_answered", "Answered"],
      ["calls_abandoned", "Abandoned"],
      ["abandonment_rate", "Abandonment rate"],
      ["calls_short_abandoned", "Short abandons"],
      ["calls_timed_out", "Timed out or left"],
      ["average_speed_of_answer_s", "Average speed of answer"],
      ["service_level", "Service level"],
      ["average_handle_time_s", "Average handle time"],
    ],
  },
];

const CATEGORY_LABEL: Record<string, string> = {
  appointment: "Appointments",
  billing: "Billing",
  prescription: "Prescriptions",
  referral: "Referrals",
  records: "Records",
  clinical_question: "Clinical questions",
  other: "Other",
  uncategorized: "Not categorized",
};


const NOT_DRILLABLE = new Set(["backlog_open", "csat", "nps"]);

function figure(name: string, label: string, m: Metric | undefined, params: Record<string, string>): HTMLElement {
  const value = m?.value ?? null;
  const csv =
    m && m.count && !NOT_DRILLABLE.has(name)
      ? h("a", { class: "csv", href: `/api/v1/reports/kpis/${name}/conversations${query({ ...params, format: "csv", limit: "5000" })}`, download: "" }, "Rows (CSV)")
      : null;
  return h(
    "div",
    { class: "kpi", "data-metric": name, "data-value": value === null ? "" : String(value) },
    h("dt", {}, label),
    h("dd", { class: "value" }, formatMetric(name, value)),
    h("dd", { class: "count" }, m && m.count ? `over ${m.count.toLocaleString("en-US")}` : "none yet", csv ? " · " : "", csv),
    h("dd", {}, h("details", {}, h("summary", {}, "How it is counted"), h("p", {}, m?.definition ?? ""))),
  );
}

export function renderReports(app: App, pane: HTMLElement): void {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 86400000);
  const from = h("input", { type: "date", name: "from", value: isoDay(monthAgo), required: true });
  const to = h("input", { type: "date", name: "to", value: isoDay(today), required: true });
  const cut = h(
    "select",
    { name: "cut", "aria-label": "Cut by" },
    h("option", { value: "" }, "All contacts"),
    ["sms", "email", "chat", "phone", "web"].map((c) => h("option", { value: `channel=${c}` }, `Channel: ${c}`)),
    app.queues.map((q) => h("option", { value: `queue=${q}` }, `Queue: ${q}`)),
    [...app.users.values()].map((u) => h("option", { value: `agent=${u.id}` }, `Agent: ${userName(app, u.id)}`)),
    Object.entries(CATEGORY_LABEL).map(([k, v]) => h("option", { value: `category=${k}` }, `Category: ${v}`)),
    app.locations.map((l) => h("option", { value: `location=${l.id}` }, `Location: ${l.name}`)),
  );
  // The SLA policies join the cuts once known.
  void api<{ items: { id: number; name: string }[]; default: { name: string } }>("GET", "/api/v1/sla-policies")
    .then((p) => {
      cut.append(
        h("option", { value: "policy=0" }, "SLA policy: default"),
        ...p.items.map((x) => h("option", { value: `policy=${x.id}` }, `SLA policy: ${x.name}`)),
      );
    })
    .catch(() => undefined);
  const weekday = h(
    "select",
    { name: "weekday", "aria-label": "Weekday" },
    h("option", { value: "" }, "Every day"),
    ["Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"].map((d, i) => h("option", { value: String(i) }, d)),
  );
  const hour = h(
    "select",
    { name: "hour", "aria-label": "Hour of day" },
    h("option", { value: "" }, "Every hour"),
    Array.from({ length: 24 }, (_, i) => h("option", { value: String(i) }, `${String(i).padStart(2, "0")}:00–${String(i + 1).padStart(2, "0")}:00`)),
  );
  const show = h("button", { type: "submit", class: "primary" }, "Show");
  const print = h("button", { type: "button" }, "Print report");
  print.addEventListener("click", () => window.print());
  const form = h(
    "form",
    { class: "report-form", "aria-label": "Period and cuts" },
    h("label", { class: "field" }, h("span", {}, "From"), from),
    h("label", { class: "field" }, h("span", {}, "To"), to),
    cut,
    weekday,
    hour,
    show,
    print,
  );
  const body = h("div", { class: "report", "aria-live": "polite" }, h("p", {}, "Loading…"));
  replace(pane, h("h1", {}, "Reports"), form, body);

  const load = async (): Promise<void> => {
    const params: Record<string, string> = { from: from.value, to: to.value };
    if (cut.value) {
      const [k, v] = cut.value.split("=");
      params[k] = v;
    }
    if (weekday.value) params.weekday = weekday.value;
    if (hour.value) params.hour = hour.value;
    try {
      const [k, daily] = await Promise.all([
        api<Kpis>("GET", `/api/v1/reports/kpis${query(params)}`),
        // A year at most: longer periods show their figures without the days.
        api<Daily>("GET", `/api/v1/reports/kpis/daily${query(params)}`).catch(() => null),
      ]);
      replace(body, ...view(k, params), ...(daily ? overTime(daily) : []), spread(k));
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

function view(k: Kpis, params: Record<string, string>): HTMLElement[] {
  const b = k.backlog;
  const stateText =
    b.state === "healthy"
      ? `Healthy: at or under ${b.healthy_at_most} open`
      : b.state === "watch"
        ? `Growing: over ${b.healthy_at_most} open`
        : `Add a team member: over ${b.add_staff_above} open`;
  const categories = Object.entries(CATEGORY_LABEL).map(([key, label]) => ({
    label,
    n: k.metrics[`contacts_${key}`]?.value ?? 0,
  }));
  const most = Math.max(1, ...categories.map((c) => c.n));
  return [
    h(
      "section",
      { class: `card backlog backlog-${b.state}`, "aria-labelledby": "backlog-title" },
      h("h2", { id: "backlog-title" }, "Open backlog now"),
      h("p", { class: "big", "data-metric": "backlog_open", "data-value": String(b.open) }, String(b.open)),
      h("p", {}, stateText),
    ),
    ...SECTIONS.map((s, i) =>
      h(
        "section",
        { class: "card", "aria-labelledby": `kpi-${i}` },
        h("h2", { id: `kpi-${i}` }, s.title),
        h("dl", { class: "kpis" }, s.metrics.map(([name, label]) => figure(name, label, k.metrics[name], params))),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "asks-title" },
      h("h2", { id: "asks-title" }, "What patients ask about"),
      h(
        "ul",
        { class: "bars" },
        categories.map((c) => {
          const bar = h("span", { class: "bar" });
          bar.style.width = `${Math.round((c.n / most) * 100)}%`;  // CSSOM: allowed by the CSP
          return h("li", {}, h("span", { class: "bar-label" }, c.label), bar, h("span", { class: "bar-n" }, String(c.n)));
        }),
      ),
    ),
    byPolicy(k),
    h("p", { class: "report-note" }, `${k.from} to ${k.to}, days in ${k.time_zone}. Service level: answered within ${k.service_level_seconds} s. Short abandons: under ${k.short_abandon_seconds} s.`),
  ];
}

// First responses within target, per SLA policy (the last a conversation was held to).
function byPolicy(k: Kpis): HTMLElement {
  const rows = k.sla_by_policy;
  return h(
    "section",
    { class: "card", "aria-labelledby": "policy-title" },
    h("h2", { id: "policy-title" }, "Answered within target, by SLA policy"),
    rows === null
      ? h("p", {}, "Shown for the whole practice or one policy: choose “All contacts” or a policy to see it.")
      : rows.length === 0
      ? h("p", {}, "No conversations in this period.")
      : h(
          "table",
          { class: "by-policy" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, "Policy"), h("th", { scope: "col" }, "Conversations"), h("th", { scope: "col" }, "Within target"), h("th", { scope: "col" }, "Attainment")),
          ),
          h(
            "tbody",
            {},
            rows.map((p) =>
              h(
                "tr",
                { "data-policy": String(p.policy_id), "data-attainment": p.attainment === null ? "" : String(p.attainment) },
                h("th", { scope: "row" }, p.name),
                h("td", {}, String(p.conversations)),
                h("td", {}, `${p.met} of ${p.decided}`),
                h("td", {}, formatMetric("sla_first_response_attainment", p.attainment)),
              ),
            ),
          ),
        ),
  );
}

const WAIT_BINS = ["under 1 min", "1–5 min", "5–15 min", "15–60 min", "1–4 h", "4–24 h", "a day or more"];

// How long patients waited for a first response, and callers for an answer.
function spread(k: Kpis): HTMLElement {
  const list = (name: string, label: string): HTMLElement => {
    const bins = k.distributions[name] ?? [];
    const most = Math.max(1, ...bins.map((b) => b.count));
    return h(
      "div",
      { class: "distribution", "data-distribution": name },
      h("h3", {}, label),
      h(
        "ul",
        { class: "bars" },
        bins.map((b, i) => {
          const bar = h("span", { class: "bar" });
          bar.style.width = `${Math.round((b.count / most) * 100)}%`;
          return h("li", { "data-count": String(b.count) }, h("span", { class: "bar-label" }, WAIT_BINS[i] ?? ""), bar, h("span", { class: "bar-n" }, String(b.count)));
        }),
      ),
    );
  };
  return h(
    "section",
    { class: "card", "aria-labelledby": "spread-title" },
    h("h2", { id: "spread-title" }, "How long patients waited"),
    list("first_response_s", "For a first response"),
    list("answer_wait_s", "On the phone, for an answer"),
    list("resolution_s", "For their request to be resolved"),
  );
}

function overTime(d: Daily): HTMLElement[] {
  const days = d.days.map((x) => x.day);
  const series = (name: string): (number | null)[] => d.days.map((x) => x.metrics[name] ?? null);
  const contacts = d.days.map((x) => (x.metrics.conversations ?? 0) + (x.metrics.calls_offered ?? 0));
  const byDay = new Map(d.backlog.map((b) => [b.day, b.open]));
  const backlog = days.map((day) => byDay.get(day) ?? null);
  const pct = (v: number): string => `${Math.round(v * 100)}%`;
  return [
    h(
      "section",
      { class: "card", "aria-labelledby": "trend-title" },
      h("h2", { id: "trend-title" }, "Day by day"),
      h(
        "div",
        { class: "charts" },
        dayChart("contacts", "Contacts (conversations and calls offered)", { days, values: contacts, kind: "bar", format: (v) => String(Math.round(v)) }),
        dayChart("frt", "First response, median", { days, values: series("first_response_time_p50_s"), kind: "line", format: (v) => formatMetric("first_response_time_p50_s", v) }),
        dayChart("sl", "Service level (phone)", { days, values: series("service_level"), kind: "line", format: pct, max: 1 }),
        dayChart("abandon", "Abandonment (phone)", { days, values: series("abandonment_rate"), kind: "line", format: pct, max: 1 }),
        dayChart("backlog", "Open backlog at each day's last change", {
          days,
          values: backlog,
          kind: "line",
          format: (v) => String(Math.round(v)),
          thresholds: [
            { value: d.healthy_at_most, label: `healthy ≤ ${d.healthy_at_most}` },
            { value: d.add_staff_above, label: `add staff > ${d.add_staff_above}` },
          ],
        }),
      ),
    ),
  ];
}
