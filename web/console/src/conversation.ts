// One conversation: the thread with the patient (and the team's internal notes), the composer,
// the actions (assign, transfer, escalate, resolve) and, beside it, the patient as the server
// lets this agent see them: masked until identity is verified, the verify flow, what may and
// may not be said, and the patient's other conversations on every channel.
import { ApiError, api, query } from "./api";
import { announce, h, replace } from "./dom";
import { CHANNEL_LABEL, callSummary, countdown, when } from "./format";
import type { Frame } from "./live";
import { type App, type SeenMarks, userName } from "./state";
import type { Call, Chat, Conversation, ConversationDetail, Message } from "./types";
import { Composer } from "./composer";

const DISCLOSURE_LABEL: Record<string, string> = {
  scheduling: "appointments and scheduling",
  billing: "billing and payments",
  clinical: "clinical information and results",
  records: "the record's personal details",
};

function label(kind: string): string {
  return DISCLOSURE_LABEL[kind] ?? kind.replace(/_/g, " ");
}

// The part before the quoted history or signature of an email (`folded_at`, a byte offset).
function foldText(text: string, foldedAt: unknown): [string, string] {
  const at = Number(foldedAt);
  if (!Number.isFinite(at) || at <= 0) return [text, ""];
  const bytes = new TextEncoder().encode(text);
  if (at >= bytes.length) return [text, ""];
  const decoder = new TextDecoder();
  return [decoder.decode(bytes.slice(0, at)).trimEnd(), decoder.decode(bytes.slice(at))];
}

export class ConversationView {
  private detail: ConversationDetail | null = null;
  private messages = new Map<number, Message>();
  private thread = h("ol", { class: "thread", "aria-label": "Messages", tabindex: "0" });
  private typing = h("p", { class: "typing", "aria-live": "polite" });
  private typingTimer = 0;
  private header = h("div", { class: "conv-head" });
  private side = h("aside", { class: "side", "aria-label": "Patient" });
  private composer: Composer | null = null;
  private closed = false;

  constructor(
    private readonly app: App,
    private readonly pane: HTMLElement,
    readonly id: number,
    private readonly seen: SeenMarks,
  ) {
    replace(pane, h("p", { class: "loading" }, "Loading…"));
    void this.reload();
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.typingTimer);
  }

  chat(): Chat | undefined {
    return this.app.myChats.active.find((c) => c.conversation_id === this.id);
  }

  async reload(): Promise<void> {
    let d: ConversationDetail;
    try {
      d = await api<ConversationDetail>("GET", `/api/v1/conversations/${this.id}`);
    } catch (e) {
      if (!this.closed) replace(this.pane, h("p", { class: "error", role: "alert" }, (e as Error).message));
      return;
    }
    if (this.closed) return;
    const first = !this.detail;
    this.detail = d;
    // Merged, not replaced: a message pushed while this fetch was under way is newer than it.
    for (const m of d.messages) this.messages.set(m.id, m);
    if (first) this.layout();
    this.renderHeader();
    this.renderThread();
    this.renderSide();
    this.composer?.update(d);
    this.markSeen();
  }

  onFrame(frame: Frame): void {
    if (frame.type === "message") {
      const m = frame.message as Message;
      if (m.conversation_id !== this.id || this.messages.has(m.id)) return;
      this.messages.set(m.id, m);
      this.renderThread();
      if (m.kind === "inbound") {
        this.typing.textContent = "";
        announce("New message from the patient");
      }
      this.markSeen();
    } else if (frame.type === "conversation") {
      const c = frame.conversation as Conversation;
      if (c.id !== this.id || !this.detail) return;
      Object.assign(this.detail, c);
      this.renderHeader();
    } else if (frame.type === "typing" && frame.conversation_id === this.id) {
      this.typing.textContent = "The patient is typing…";
      window.clearTimeout(this.typingTimer);
      this.typingTimer = window.setTimeout(() => (this.typing.textContent = ""), 4000);
    }
  }

  onChatsChanged(): void {
    this.renderHeader();
  }

  focusComposer(mode: "reply" | "note"): void {
    this.composer?.focus(mode);
  }

  private layout(): void {
    const d = this.detail as ConversationDetail;
    this.composer = new Composer(this.app, this, d);
    replace(
      this.pane,
      h(
        "div",
        { class: "conversation" },
        h("section", { class: "main-col", "aria-label": "Conversation" }, this.header, this.thread, this.typing, this.composer.element),
        this.side,
      ),
    );
    this.thread.addEventListener("focus", () => this.markSeen());
  }

  // Marks the newest message seen: in the inbox, and for a live chat in the patient's widget.
  private markSeen(): void {
    if (!this.detail) return;
    const newest = [...this.messages.values()].filter((m) => m.kind === "inbound").pop();
    const latest = newest && newest.created_at > this.detail.last_message_at ? newest.created_at : this.detail.last_message_at;
    this.seen.see(this.id, latest);
    const chat = this.chat();
    if (chat && newest && document.hasFocus()) {
      void api("POST", `/api/v1/chats/${chat.chat_id}/seen`, { message_id: newest.id }).catch(() => {});
    }
  }

  // Runs a command and shows the conversation as it is afterwards.
  async act(what: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      announce(what);
      this.app.refreshInbox();
      await this.reload();
      return true;
    } catch (e) {
      this.app.toast((e as Error).message, "error");
      return false;
    }
  }

  assignToMe(): void {
    void this.act("Assigned to you", () =>
      api("POST", `/api/v1/conversations/${this.id}/assign`, { assignee_id: this.app.me.user_id }),
    );
  }

  resolve(): void {
    if (!this.detail) return;
    const status = this.detail.status === "resolved" ? "open" : "resolved";
    void this.act(status === "resolved" ? "Resolved" : "Reopened", () =>
      api("POST", `/api/v1/conversations/${this.id}/status`, { status }),
    );
  }

  private renderHeader(): void {
    const d = this.detail;
    if (!d) return;
    const chat = this.chat();
    const transfer = h(
      "select",
      { "aria-label": "Transfer to" },
      h("option", { value: "" }, "Transfer to…"),
      h(
        "optgroup",
        { label: "Agents" },
        [...this.app.users.values()]
          .filter((u) => u.active && u.role !== "auditor" && u.id !== d.assignee_id)
          .map((u) => h("option", { value: `u${u.id}` }, u.display_name)),
      ),
      h(
        "optgroup",
        { label: "Queues" },
        this.app.queues.map((q) => h("option", { value: `q${q}` }, q)),
      ),
    );
    transfer.addEventListener("change", () => {
      const v = transfer.value;
      if (!v) return;
      const body =
        v[0] === "u" ? { assignee_id: Number(v.slice(1)) } : { queue: v.slice(1), assignee_id: null };
      void this.act("Transferred", () => api("POST", `/api/v1/conversations/${this.id}/assign`, body));
    });
    // Which location the matter is for (the reports cut by it), when the practice has several.
    let location: HTMLSelectElement | null = null;
    if (this.app.locations.length > 0) {
      location = h(
        "select",
        { "aria-label": "Location" },
        h("option", { value: "" }, "No location"),
        this.app.locations.map((l) => h("option", { value: String(l.id) }, l.name)),
      );
      location.value = d.location_id === null ? "" : String(d.location_id);
      const chosen = location;
      chosen.addEventListener("change", () => {
        const location_id = chosen.value ? Number(chosen.value) : null;
        void this.act("Location set", () => api("POST", `/api/v1/conversations/${this.id}/assign`, { location_id }));
      });
    }
    const mine = h("button", { type: "button", "aria-keyshortcuts": "A" }, "Assign to me");
    mine.addEventListener("click", () => this.assignToMe());
    mine.disabled = d.assignee_id === this.app.me.user_id;
    const escalate = h("button", { type: "button" }, "Escalate");
    escalate.addEventListener("click", () => this.escalate());
    escalate.disabled = d.tags.includes("escalated");
    const resolve = h(
      "button",
      { type: "button", class: "primary", "aria-keyshortcuts": "E" },
      d.status === "resolved" ? "Reopen" : "Resolve",
    );
    resolve.addEventListener("click", () => this.resolve());
    let end: HTMLButtonElement | null = null;
    if (chat) {
      end = h("button", { type: "button" }, "End chat");
      end.addEventListener("click", () =>
        void this.act("Chat ended", async () => {
          await api("POST", `/api/v1/chats/${chat.chat_id}/end`);
          await this.app.refreshChats();
        }),
      );
    }
    const sla = d.sla.time_left_ms !== null ? countdown(d.sla.time_left_ms) : "no target running";
    replace(
      this.header,
      h(
        "div",
        { class: "title" },
        h("h1", {}, d.patient.name || `Patient #${d.patient_id}`),
        h("span", { class: `chan chan-${d.channel}` }, CHANNEL_LABEL[d.channel] ?? d.channel),
        chat ? h("span", { class: "live-badge" }, "Live chat") : null,
        this.callBack(d),
      ),
      h(
        "p",
        { class: "facts" },
        `#${d.id} · ${d.status} · queue ${d.queue} · assigned to ${userName(this.app, d.assignee_id)}`,
        d.priority !== "normal" ? ` · ${d.priority}` : "",
        h("span", { class: `sla sla-${d.sla.state}` }, ` · SLA ${d.sla.state.replace(/_/g, " ")}: ${sla}`),
      ),
      h("div", { class: "actions", role: "toolbar", "aria-label": "Conversation actions" }, mine, transfer, location, escalate, end, resolve),
    );
  }

  // A phone task (a missed caller) has the number to call back: the one the call came from.
  private callBack(d: ConversationDetail): HTMLElement | null {
    if (d.channel !== "phone") return null;
    const from = [...d.messages].reverse().find((m) => m.kind === "inbound" && m.from)?.from;
    if (!from) return null;
    return h("a", { class: "button call-back", href: `tel:${from}` }, `Call back ${from}`);
  }

  // Escalation to a supervisor: the reason as an internal note, the conversation made urgent
  // and tagged, so it tops the supervisor's view and every inbox sorted by time left.
  private escalate(): void {
    const d = this.detail;
    if (!d) return;
    const reason = h("textarea", { rows: "3", required: true, "aria-label": "Why it needs a supervisor" });
    const dialog = h(
      "dialog",
      { "aria-labelledby": "esc-title" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "esc-title" }, "Escalate to a supervisor"),
        h("label", { class: "field" }, h("span", {}, "What the supervisor needs to know"), reason),
        h(
          "div",
          { class: "actions" },
          h("button", { value: "cancel", type: "submit", formnovalidate: true }, "Cancel"),
          h("button", { value: "ok", type: "submit", class: "primary" }, "Escalate"),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (dialog.returnValue !== "ok" || !reason.value.trim()) return;
      void this.act("Escalated to a supervisor", async () => {
        await api("POST", `/api/v1/conversations/${this.id}/notes`, {
          text: `Escalated to a supervisor: ${reason.value.trim()}`,
        });
        await api("POST", `/api/v1/conversations/${this.id}/assign`, { priority: "urgent" });
        await api("POST", `/api/v1/conversations/${this.id}/tags`, { tags: [...d.tags, "escalated"] });
      });
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    reason.focus();
  }

  private renderThread(): void {
    const sorted = [...this.messages.values()].sort((a, b) => a.id - b.id);
    const atBottom = this.thread.scrollHeight - this.thread.scrollTop - this.thread.clientHeight < 40;
    replace(
      this.thread,
      sorted.map((m) => {
        // Outbound with no author: sent by CareDesk itself (a code, a follow-up).
        const author = m.author_id ? userName(this.app, m.author_id) : this.app.me.tenant.name;
        const who =
          m.kind === "inbound"
            ? "Patient"
            : m.kind === "note"
              ? `Note by ${author}`
              : author === "you"
                ? "You"
                : author;
        const [shown, folded] = foldText(m.text, m.metadata?.folded_at);
        const foldedPart = folded
          ? h("details", { class: "folded" }, h("summary", {}, "Quoted text"), h("div", { class: "text" }, folded))
          : null;
        return h(
          "li",
          { class: `msg ${m.kind}`, "data-id": m.id },
          h(
            "p",
            { class: "meta" },
            h("span", { class: "who" }, who),
            h("span", { class: "via" }, CHANNEL_LABEL[m.channel] ?? m.channel),
            h("time", { datetime: m.created_at }, when(m.created_at)),
            m.kind === "outbound" && m.delivery_status ? h("span", { class: `delivery d-${m.delivery_status}` }, m.delivery_status) : null,
          ),
          h("div", { class: "text" }, shown),
          foldedPart,
          (m.attachments ?? []).length
            ? h(
                "ul",
                { class: "files" },
                (m.attachments ?? []).map((a) =>
                  h(
                    "li",
                    {},
                    // Photos show in place (a browser cannot show HEIC); every file downloads.
                    /^image\/(jpeg|png|gif|webp)$/.test(a.content_type)
                      ? h("img", { src: `/api/v1/attachments/${a.id}`, alt: `Picture: ${a.filename || "no name"}`, loading: "lazy", class: "thumb" })
                      : null,
                    h("a", { href: `/api/v1/attachments/${a.id}`, download: a.filename || "attachment" }, a.filename || a.content_type),
                    ` (${Math.ceil(a.size / 1024)} KB)`,
                  ),
                ),
              )
            : null,
        );
      }),
    );
    if (atBottom || sorted.length < 30) this.thread.scrollTop = this.thread.scrollHeight;
  }

  private renderSide(): void {
    const d = this.detail;
    if (!d) return;
    const p = d.patient;
    const v = d.verification;
    const facts = h(
      "dl",
      { class: "facts-list" },
      h("dt", {}, "Date of birth"),
      h("dd", {}, p.date_of_birth ?? "—"),
      h("dt", {}, "Phone"),
      h("dd", {}, p.phone ?? "—"),
      h("dt", {}, "Email"),
      h("dd", {}, p.email ?? "—"),
      h("dt", {}, "Language"),
      h("dd", {}, p.language),
      h("dt", {}, "Texts"),
      h("dd", {}, d.sms_consent?.opted_out ? `opted out (${d.sms_consent.keyword ?? "STOP"})` : p.phone ? "allowed" : "no number"),
    );
    const verifyBox = this.verification(v);
    const history = h("ol", { class: "history" }, h("li", {}, "Loading…"));
    replace(
      this.side,
      h(
        "section",
        { class: "card", "aria-labelledby": "patient-title" },
        h("h2", { id: "patient-title" }, "Patient"),
        p.masked ? h("p", { class: "masked-note" }, "Details are masked until the person is verified.") : null,
        facts,
      ),
      verifyBox,
      h("section", { class: "card", "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "History"), history),
    );
    // Conversations and phone calls, newest first: everything the patient asked, however.
    void Promise.all([
      api<{ items: Conversation[] }>("GET", `/api/v1/conversations${query({ patient_id: d.patient_id, limit: 20, sort: "recent" })}`),
      api<{ items: Call[] }>("GET", `/api/v1/calls${query({ patient_id: d.patient_id, limit: 20 })}`),
    ])
      .then(([conversations, calls]) => {
        const entries: { at: string; item: HTMLElement }[] = [];
        for (const c of conversations.items) {
          if (c.id === d.id) continue;
          entries.push({
            at: c.last_message_at,
            item: h(
              "li",
              {},
              h("a", { href: `#/c/${c.id}` }, `${CHANNEL_LABEL[c.channel] ?? c.channel} #${c.id}`),
              ` · ${c.status} · ${when(c.last_message_at)}`,
            ),
          });
        }
        for (const call of calls.items) {
          entries.push({ at: call.entered_at, item: h("li", { class: "call" }, callSummary(call)) });
        }
        entries.sort((a, b) => b.at.localeCompare(a.at));
        replace(history, entries.length ? entries.map((e) => e.item) : h("li", {}, "No other conversations or calls."));
      })
      .catch(() => replace(history, h("li", {}, "History could not be loaded.")));
  }

  private verification(v: ConversationDetail["verification"]): HTMLElement {
    const box = h("section", { class: `card verify ${v.verified ? "ok" : "not"}`, "aria-labelledby": "verify-title" });
    const status = v.verified
      ? `Verified (${v.subject})${v.expires_at ? ` until ${when(v.expires_at)}` : ""}`
      : `Not verified${v.failures ? ` · ${v.failures} failed attempt${v.failures === 1 ? "" : "s"}` : ""}`;
    const parts: (HTMLElement | null)[] = [
      h("h2", { id: "verify-title" }, "Identity"),
      h("p", { class: "verify-state" }, status),
      v.flagged ? h("p", { class: "flag", role: "alert" }, `Possible social engineering: ${v.flag_reason ?? "flagged"}. A supervisor has been alerted.`) : null,
      h("p", { class: "guidance" }, v.guidance),
      h(
        "div",
        { class: "may" },
        h("h3", {}, "You may share"),
        h("ul", {}, v.may_disclose.length ? v.may_disclose.map((k) => h("li", {}, label(k))) : h("li", {}, "nothing personal yet")),
        h("h3", {}, "Do not share"),
        h("ul", {}, v.may_not_disclose.map((k) => h("li", {}, label(k)))),
      ),
    ];
    if (!v.verified) {
      const name = h("input", { autocomplete: "off" });
      const dob = h("input", { type: "date", autocomplete: "off" });
      const result = h("p", { class: "result", role: "status" });
      const check = h(
        "form",
        { class: "verify-form", "aria-label": "Check who you are talking to" },
        h("label", { class: "field" }, h("span", {}, "Name they gave"), name),
        h("label", { class: "field" }, h("span", {}, "Date of birth they gave"), dob),
        h("button", { type: "submit" }, "Check"),
      );
      check.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          const r = await api<{ result: string }>("POST", `/api/v1/conversations/${this.id}/verification/check`, {
            name: name.value,
            date_of_birth: dob.value,
          });
          result.textContent = r.result === "matches" ? "They match the record." : "They do not match the record.";
          await this.reload();
        } catch (err) {
          result.textContent = (err as ApiError).message;
        }
      });
      const code = h("input", { inputmode: "numeric", autocomplete: "off" });
      const sendSms = h("button", { type: "button" }, "Text a code");
      const sendMail = h("button", { type: "button" }, "Email a code");
      for (const [button, channel] of [
        [sendSms, "sms"],
        [sendMail, "email"],
      ] as const) {
        button.addEventListener("click", async () => {
          try {
            const r = await api<{ sent_to: string }>("POST", `/api/v1/conversations/${this.id}/verification/code`, { channel });
            result.textContent = `A code was sent to ${r.sent_to}. Ask them to read it to you.`;
          } catch (err) {
            result.textContent = (err as ApiError).message;
          }
        });
      }
      const confirm = h(
        "form",
        { class: "verify-form", "aria-label": "Confirm a one-time code" },
        h("div", { class: "row" }, sendSms, sendMail),
        h("label", { class: "field" }, h("span", {}, "Code they read back"), code),
        h("button", { type: "submit" }, "Confirm code"),
      );
      confirm.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          const r = await api<{ result: string }>("POST", `/api/v1/conversations/${this.id}/verification/confirm`, {
            code: code.value.trim(),
          });
          result.textContent = r.result === "verified" ? "Verified." : "That code is wrong.";
          await this.reload();
        } catch (err) {
          result.textContent = (err as ApiError).message;
        }
      });
      parts.push(check, confirm, result);
    }
    replace(box, parts);
    return box;
  }
}
