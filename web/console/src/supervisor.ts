// The supervisor's live view: chats waiting in each queue with their waits, agents with their
// status and load, chats in progress, conversations at risk of breaching their response
// target, and social-engineering alerts; a waiting or active chat can be taken over or given
// to another agent. Refreshed on every chat change pushed by the server and every 5 s; the
// team's wellbeing once a minute.
import { api, query } from "./api";
import { announce, h, refreshWhileShown, replace } from "./dom";
import { countdown, duration } from "./format";
import { type App, userName } from "./state";
import type { Chat, Conversation } from "./types";
import { teamSection, type Wellbeing } from "./wellbeing";

interface AgentLoad {
  user_id: number;
  display_name: string;
  status: string;
  chats: number;
  max_chats: number;
  idle_since: string;
}
interface Live {
  agents: AgentLoad[];
  queues: { queue: string; waiting: Chat[] }[];
  active: Chat[];
}
interface Alert {
  kind: string;
  conversation_id: number;
  reason: string;
  created_at: string;
}

const STATUS_LABEL: Record<string, string> = {
  available: "Available",
  busy: "Busy",
  on_break: "On a break",
  offline: "Offline",
};

export function renderSupervisor(app: App, pane: HTMLElement): void {
  const body = h("div", { class: "supervisor" }, h("p", {}, "Loading…"));
  replace(pane, h("h1", {}, "Live view"), body);
  // Wellbeing moves by minutes, and reading it costs more than the live queues: asked once a
  // minute, not at every chat change.
  let team: Wellbeing[] = [];
  let teamAt = 0;
  const refresh = async (): Promise<void> => {
    try {
      const teamDue = Date.now() - teamAt >= 60000;
      const [live, risky, alerts, fresh] = await Promise.all([
        api<Live>("GET", "/api/v1/chats/live"),
        api<{ items: Conversation[] }>("GET", `/api/v1/conversations${query({ sla: "at_risk_or_breached", sort: "time_left", limit: 20 })}`),
        api<{ items: Alert[] }>("GET", "/api/v1/alerts").catch(() => ({ items: [] as Alert[] })),
        teamDue ? api<{ items: Wellbeing[] }>("GET", "/api/v1/wellbeing").catch(() => null) : Promise.resolve(null),
      ]);
      if (fresh) {
        team = fresh.items;
        teamAt = Date.now();
      }
      replace(body, ...view(app, live, risky.items, alerts.items, refresh), teamSection(team));
    } catch (e) {
      replace(body, h("p", { class: "error", role: "alert" }, (e as Error).message));
    }
  };
  refreshWhileShown(body, 5000, refresh);
}

function giveTo(app: App, chat: Chat, agents: AgentLoad[], refresh: () => Promise<void>): HTMLElement[] {
  const take = h("button", { type: "button" }, "Take over");
  take.addEventListener("click", async () => {
    try {
      await api("POST", `/api/v1/chats/${chat.chat_id}/assign`, { agent_id: app.me.user_id });
      announce("The chat is yours");
      await app.refreshChats();
      app.go(`#/c/${chat.conversation_id}`);
    } catch (e) {
      app.toast((e as Error).message, "error");
    }
  });
  const give = h(
    "select",
    { "aria-label": `Give chat ${chat.chat_id} to` },
    h("option", { value: "" }, "Give to…"),
    agents
      .filter((a) => a.user_id !== chat.agent_id && a.user_id !== app.me.user_id)
      .map((a) => h("option", { value: String(a.user_id) }, `${a.display_name} (${a.chats}/${a.max_chats})`)),
  );
  give.addEventListener("change", async () => {
    if (!give.value) return;
    try {
      await api("POST", `/api/v1/chats/${chat.chat_id}/assign`, { agent_id: Number(give.value) });
      announce("Chat reassigned");
    } catch (e) {
      app.toast((e as Error).message, "error");
    }
    await refresh();
  });
  return [take, give];
}

function view(app: App, live: Live, risky: Conversation[], alerts: Alert[], refresh: () => Promise<void>): HTMLElement[] {
  const waiting = live.queues.flatMap((q) => q.waiting);
  return [
    h(
      "section",
      { class: "card", "aria-labelledby": "sv-queues" },
      h("h2", { id: "sv-queues" }, `Waiting chats (${waiting.length})`),
      waiting.length
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, "Queue"), h("th", {}, "Chat"), h("th", {}, "Waiting"), h("th", {}, "Offered to"), h("th", {}, "State"), h("th", {}, "Action"))),
            h(
              "tbody",
              {},
              waiting.map((c) =>
                h(
                  "tr",
                  { class: c.at_risk ? "at-risk" : "" },
                  h("td", {}, c.queue),
                  h("td", {}, h("a", { href: `#/c/${c.conversation_id}` }, `#${c.conversation_id}`), ` ${c.language.toUpperCase()}`),
                  h("td", {}, duration(c.waited_seconds)),
                  h("td", {}, c.offered_to ? userName(app, c.offered_to) : "nobody"),
                  h("td", {}, c.at_risk ? `At risk${c.passed_over ? ` · passed over by ${c.passed_over}` : ""}` : "Offered"),
                  h("td", {}, giveTo(app, c, live.agents, refresh)),
                ),
              ),
            ),
          )
        : h("p", {}, "Nobody is waiting."),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "sv-agents" },
      h("h2", { id: "sv-agents" }, "Agents"),
      live.agents.length
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, "Agent"), h("th", {}, "Status"), h("th", {}, "Chats"), h("th", {}, "Free since"))),
            h(
              "tbody",
              {},
              live.agents.map((a) =>
                h(
                  "tr",
                  {},
                  h("td", {}, a.display_name),
                  h("td", {}, STATUS_LABEL[a.status] ?? a.status),
                  h("td", {}, `${a.chats} of ${a.max_chats}`),
                  h("td", {}, a.status === "available" ? new Date(a.idle_since).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "—"),
                ),
              ),
            ),
          )
        : h("p", {}, "No agent's console is connected."),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "sv-active" },
      h("h2", { id: "sv-active" }, `Chats in progress (${live.active.length})`),
      live.active.length
        ? h(
            "ul",
            {},
            live.active.map((c) =>
              h(
                "li",
                {},
                h("a", { href: `#/c/${c.conversation_id}` }, `#${c.conversation_id}`),
                ` with ${userName(app, c.agent_id)} · waited ${duration(c.waited_seconds)} `,
                giveTo(app, c, live.agents, refresh),
              ),
            ),
          )
        : h("p", {}, "No chat in progress."),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "sv-risk" },
      h("h2", { id: "sv-risk" }, "At risk of breaching"),
      risky.length
        ? h(
            "ul",
            {},
            risky.map((c) =>
              h(
                "li",
                { class: `sla-${c.sla.state}` },
                h("a", { href: `#/c/${c.id}` }, `#${c.id}`),
                ` ${c.channel} · ${c.queue} · ${userName(app, c.assignee_id)} · ${c.sla.time_left_ms !== null ? countdown(c.sla.time_left_ms) : c.sla.state}`,
              ),
            ),
          )
        : h("p", {}, "Every conversation is within its target."),
    ),
    alerts.length
      ? h(
          "section",
          { class: "card", "aria-labelledby": "sv-alerts" },
          h("h2", { id: "sv-alerts" }, "Alerts"),
          h(
            "ul",
            {},
            alerts.map((a) => h("li", {}, h("a", { href: `#/c/${a.conversation_id}` }, `#${a.conversation_id}`), ` possible social engineering: ${a.reason}`)),
          ),
        )
      : h("span", {}),
  ];
}
