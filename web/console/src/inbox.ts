// The unified inbox: every channel in one list, filtered by view (mine, unassigned, all open,
// waiting on the patient, resolved), channel and SLA risk, searchable; each row shows the
// SLA countdown, ticking every second, and whether something new arrived since the agent
// last opened it.
import { api, query } from "./api";
import { h, replace } from "./dom";
import { CHANNEL_LABEL, countdown, when } from "./format";
import type { SeenMarks, App } from "./state";
import type { Conversation } from "./types";

const VIEWS: Record<string, { label: string; params: Record<string, string> }> = {
  mine: { label: "Mine", params: { assignee: "me", status: "open" } },
  unassigned: { label: "Unassigned", params: { assignee: "none", status: "open" } },
  open: { label: "All open", params: { status: "open" } },
  pending: { label: "Waiting on patient", params: { status: "pending" } },
  resolved: { label: "Resolved", params: { status: "resolved", sort: "recent" } },
};

export class Inbox {
  private items: Conversation[] = [];
  private fetchedAt = 0;
  private selected = 0;
  private timer = 0;
  private view = h("select", { "aria-label": "Which conversations" });
  private channel = h(
    "select",
    { "aria-label": "Channel" },
    h("option", { value: "" }, "Every channel"),
    Object.entries(CHANNEL_LABEL).map(([v, l]) => h("option", { value: v }, l)),
  );
  private risk = h("input", { type: "checkbox" });
  private search = h("input", { type: "search", placeholder: "Search", "aria-label": "Search conversations", "aria-keyshortcuts": "/" });
  private list = h("ol", { class: "rows", "aria-label": "Conversations" });
  private count = h("p", { class: "count", role: "status" });

  constructor(
    private readonly app: App,
    pane: HTMLElement,
    private readonly seen: SeenMarks,
  ) {
    for (const [key, v] of Object.entries(VIEWS)) this.view.appendChild(h("option", { value: key }, v.label));
    this.view.value = sessionStorage.getItem("caredesk.view") ?? "open";
    replace(
      pane,
      h(
        "div",
        { class: "filters" },
        this.view,
        this.channel,
        h("label", { class: "check" }, this.risk, "At risk"),
        this.search,
      ),
      this.count,
      this.list,
    );
    for (const control of [this.view, this.channel, this.risk]) {
      control.addEventListener("change", () => {
        sessionStorage.setItem("caredesk.view", this.view.value);
        this.refresh();
      });
    }
    let debounce = 0;
    this.search.addEventListener("input", () => {
      window.clearTimeout(debounce);
      debounce = window.setTimeout(() => this.refresh(), 250);
    });
    window.setInterval(() => this.tick(), 1000);
    this.refresh();
  }

  refreshSoon(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.refresh(), 200);
  }

  async refresh(): Promise<void> {
    const v = VIEWS[this.view.value] ?? VIEWS.open;
    const q = this.search.value.trim();
    const params: Record<string, string> = { sort: "time_left", limit: "100", ...v.params };
    if (this.channel.value) params.channel = this.channel.value;
    if (this.risk.checked) params.sla = "at_risk_or_breached";
    if (q.length >= 2) params.q = q;
    try {
      const r = await api<{ items: Conversation[] }>("GET", `/api/v1/conversations${query(params)}`);
      this.items = r.items;
      this.fetchedAt = Date.now();
      this.render();
    } catch (e) {
      this.count.textContent = (e as Error).message;
    }
  }

  select(id: number): void {
    this.selected = id;
    for (const row of this.list.querySelectorAll<HTMLElement>("li")) {
      const on = Number(row.dataset.id) === id;
      row.classList.toggle("selected", on);
      row.querySelector("a")?.toggleAttribute("aria-current", on);
    }
  }

  // Moves the selection by `step` rows (the j and k keys) and opens that conversation.
  move(step: number): void {
    if (!this.items.length) return;
    const at = this.items.findIndex((c) => c.id === this.selected);
    const next = at < 0 ? 0 : Math.min(this.items.length - 1, Math.max(0, at + step));
    this.app.go(`#/c/${this.items[next].id}`);
  }

  focusSearch(): void {
    this.search.focus();
  }

  private render(): void {
    const n = this.items.length;
    this.count.textContent = `${n === 100 ? "100+" : n} conversation${n === 1 ? "" : "s"}`;
    replace(
      this.list,
      this.items.map((c) => {
        const unread = c.id !== this.selected && this.seen.unread(c.id, c.last_message_at);
        const row = h(
          "li",
          { "data-id": c.id, class: `${unread ? "unread" : ""} sla-${c.sla.state}` },
          h(
            "a",
            { href: `#/c/${c.id}` },
            h(
              "span",
              { class: "line1" },
              unread ? h("span", { class: "dot", "aria-label": "new activity" }) : null,
              h("span", { class: "name" }, c.patient_name || `Patient #${c.patient_id}`),
              h("span", { class: `chan chan-${c.channel}` }, CHANNEL_LABEL[c.channel] ?? c.channel),
            ),
            h(
              "span",
              { class: "line2" },
              h("span", { class: "sla", "data-left": c.sla.time_left_ms ?? "" }, ""),
              c.priority === "urgent" ? h("span", { class: "urgent" }, "Urgent") : null,
              c.tags.includes("escalated") ? h("span", { class: "urgent" }, "Escalated") : null,
              h("span", { class: "when" }, when(c.last_message_at)),
            ),
          ),
        );
        if (c.id === this.selected) row.classList.add("selected");
        return row;
      }),
    );
    this.tick();
  }

  private tick(): void {
    const elapsed = Date.now() - this.fetchedAt;
    for (const el of this.list.querySelectorAll<HTMLElement>(".sla")) {
      const left = el.dataset.left;
      el.textContent = left ? countdown(Number(left) - elapsed) : "";
    }
  }
}
