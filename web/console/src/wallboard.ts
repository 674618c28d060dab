// The wallboard for a contact-center floor: today's figures in numbers big enough to read across
// the room, refreshed every 10 s and at every chat change the server pushes. Chats waiting and
// the longest wait, callers in the phone queue, who is there to answer, the service level,
// abandonment, first response and the backlog against its thresholds. No patient is named.
import { api, query } from "./api";
import { h, refreshWhileShown, replace } from "./dom";
import { duration, formatMetric, isoDay } from "./format";
import type { Kpis } from "./reports";
import type { App } from "./state";
import type { Call, Chat } from "./types";

interface Live {
  agents: { status: string; chats: number; max_chats: number }[];
  queues: { queue: string; waiting: Chat[] }[];
  active: Chat[];
}

type Tone = "good" | "warn" | "bad" | "";

function tile(id: string, label: string, value: string, tone: Tone, note = ""): HTMLElement {
  return h(
    "div",
    { class: `tile ${tone}`, "data-tile": id },
    h("div", { class: "tile-label" }, label),
    h("div", { class: "tile-value" }, value),
    note ? h("div", { class: "tile-note" }, note) : null,
  );
}

export function renderWallboard(_app: App, pane: HTMLElement): void {
  const board = h("div", { class: "wallboard", "aria-live": "off" }, h("p", {}, "Loading…"));
  const full = h("button", { type: "button" }, "Full screen");
  full.addEventListener("click", () => void board.requestFullscreen?.().catch(() => {}));
  const updated = h("span", { class: "report-note" });
  replace(pane, h("h1", {}, "Wallboard ", full, " ", updated), board);
  const refresh = async (): Promise<void> => {
    const today = isoDay(new Date());
    try {
      const [live, kpis, calls, risky, targets] = await Promise.all([
        api<Live>("GET", "/api/v1/chats/live"),
        api<Kpis>("GET", `/api/v1/reports/kpis${query({ from: today, to: today })}`),
        api<{ items: Call[] }>("GET", "/api/v1/calls?limit=200"),
        api<{ items: unknown[] }>("GET", `/api/v1/conversations${query({ sla: "at_risk_or_breached", limit: 200 })}`),
        api<{ phone_service_level: number }>("GET", "/api/v1/settings/reports"),
      ]);
      replace(board, ...tiles(live, kpis, calls.items, risky.items.length, targets.phone_service_level));
      updated.textContent = `updated ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
    } catch (e) {
      replace(board, h("p", { class: "error", role: "alert" }, (e as Error).message));
    }
  };
  refreshWhileShown(board, 10000, refresh);
}

function tiles(live: Live, k: Kpis, calls: Call[], risky: number, slTarget: number): HTMLElement[] {
  const waiting = live.queues.flatMap((q) => q.waiting);
  const longest = Math.max(0, ...waiting.map((c) => c.waited_seconds));
  const hourAgo = Date.now() - 3600000;
  const inQueue = calls.filter((c) => c.outcome === "waiting" && Date.parse(c.entered_at) >= hourAgo).length;
  const count = (s: string): number => live.agents.filter((a) => a.status === s).length;
  const m = k.metrics;
  const value = (name: string): number | null => m[name]?.value ?? null;
  const sl = value("service_level");
  const abandon = value("abandonment_rate");
  const frt = value("first_response_time_p50_s");
  const attain = value("sla_first_response_attainment");
  const b = k.backlog;
  return [
    tile("chats_waiting", "Chats waiting", String(waiting.length), waiting.length === 0 ? "good" : longest > 120 ? "bad" : "warn",
      waiting.length ? `longest ${duration(longest)}` : ""),
    tile("callers_waiting", "Callers in the queue", String(inQueue), inQueue === 0 ? "good" : "warn"),
    tile("agents", "Available now", String(count("available")), count("available") > 0 ? "good" : "bad",
      `${count("busy")} busy · ${count("on_break")} on a break · ${live.active.length} chats in progress`),
    tile("service_level", `Answered within ${k.service_level_seconds} s`, formatMetric("service_level", sl),
      sl === null ? "" : sl >= slTarget ? "good" : sl >= slTarget - 0.1 ? "warn" : "bad", `${value("calls_answered") ?? 0} of ${value("calls_offered") ?? 0} calls today`),
    tile("abandonment_rate", "Hung up waiting", formatMetric("abandonment_rate", abandon),
      abandon === null ? "" : abandon <= 0.05 ? "good" : abandon <= 0.1 ? "warn" : "bad", `short abandons (under ${k.short_abandon_seconds} s) apart`),
    tile("first_response", "First response, median", formatMetric("first_response_time_p50_s", frt), "",
      attain === null ? "" : `${formatMetric("sla_first_response_attainment", attain)} within target`),
    tile("at_risk", "At risk of breaching", String(risky), risky === 0 ? "good" : "warn"),
    tile("backlog", "Open backlog", String(b.open), b.state === "healthy" ? "good" : b.state === "watch" ? "warn" : "bad",
      b.state === "add_staff" ? `over ${b.add_staff_above}: add a team member` : `healthy at or under ${b.healthy_at_most}`),
  ];
}
