// Times as an agent reads them: "in 12 min", "3 min overdue", "14:05", "Tue 09:12".
export function countdown(ms: number): string {
  const overdue = ms < 0;
  const abs = Math.abs(ms);
  const min = Math.floor(abs / 60000);
  let text: string;
  if (abs < 60000) text = `${Math.max(1, Math.floor(abs / 1000))} s`;
  else if (min < 60) text = `${min} min`;
  else if (min < 48 * 60) text = `${Math.floor(min / 60)} h ${min % 60} min`;
  else text = `${Math.floor(min / 1440)} d`;
  return overdue ? `${text} overdue` : `${text} left`;
}

export function when(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === now.toDateString();
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (sameDay) return hm;
  return `${d.toLocaleDateString([], { weekday: "short", month: "short", day: "numeric" })} ${hm}`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m} min ${s.toString().padStart(2, "0")} s`;
}

// How a phone call went, in a patient's history: "Phone call · answered after 25 s, talked
// 5 min 00 s · Mon, Nov 23 14:50".
const CALL_OUTCOME: Record<string, string> = {
  waiting: "waiting in the queue",
  talking: "on the line",
  abandoned: "hung up",
  timed_out: "the queue timed out",
  no_agents: "nobody was there to answer",
  left_by_key: "asked for a callback",
};
export function callSummary(
  call: { outcome: string; entered_at: string; wait_seconds: number; talk_seconds: number },
  now = new Date(),
): string {
  const what =
    call.outcome === "answered"
      ? `answered after ${duration(call.wait_seconds)}, talked ${duration(call.talk_seconds)}`
      : `${CALL_OUTCOME[call.outcome] ?? call.outcome} after ${duration(call.wait_seconds)}`;
  return `Phone call · ${what} · ${when(call.entered_at, now)}`;
}

// A KPI value as the dashboard shows it: times (names ending _s) as durations, rates as
// percentages, counts as whole numbers, nothing to measure as a dash.
export function formatMetric(name: string, value: number | null): string {
  if (value === null || value === undefined) return "—";
  if (name.endsWith("_s")) return duration(value);
  if (/(_rate|attainment|service_level|csat)$/.test(name)) return `${(value * 100).toFixed(1)}%`;
  if (name === "nps") return value.toFixed(0);
  return Math.round(value).toLocaleString("en-US");
}

export const CHANNEL_LABEL: Record<string, string> = {
  chat: "Chat",
  sms: "Text",
  email: "Email",
  phone: "Phone",
  web: "Web form",
};

// The ISO week ("2026-W48") holding `d`, as <input type=week> writes it.
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const weekday = (t.getUTCDay() + 6) % 7;  // Monday 0
  t.setUTCDate(t.getUTCDate() - weekday + 3);  // that week's Thursday
  const year = t.getUTCFullYear();
  const week = 1 + Math.floor((t.getTime() - Date.UTC(year, 0, 1)) / 86400000 / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

// A local date as YYYY-MM-DD.
export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
