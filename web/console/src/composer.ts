// The reply composer: a reply to the patient on the conversation's channel or an internal note
// for the team; canned responses with their variables filled; for texts, the segment count and
// whether the number may be texted at all; the server's warning before a reply that may
// disclose health information to someone not verified for it.
import { ApiError, api, query, upload } from "./api";
import { announce, h, replace } from "./dom";
import { fill, firstName, readableHours, unfilled, VARIABLES } from "./canned";
import { countSegments } from "./sms";
import type { App } from "./state";
import type { ConversationDetail } from "./types";
import type { ConversationView } from "./conversation";

export function cannedValues(app: App, patientName: string): Record<string, string> {
  const hours = app.locations.length
    ? app.locations
        .map((l) => `${l.name}: ${readableHours(l.business_hours ?? app.practiceHours)}`)
        .join("; ")
    : readableHours(app.practiceHours);
  return {
    first_name: firstName(patientName),
    practice_name: app.me.tenant.name,
    agent_name: firstName(app.me.display_name),
    location_hours: hours,
  };
}

export function segmentText(text: string): string {
  const s = countSegments(text);
  if (!s.segments) return "";
  const per = s.encoding === "gsm7" ? (s.segments === 1 ? 160 : 153) : s.segments === 1 ? 70 : 67;
  return `${s.segments} text segment${s.segments === 1 ? "" : "s"} · ${s.encoding === "gsm7" ? "GSM-7" : "Unicode"} · ${s.units} of ${per * s.segments}`;
}

export class Composer {
  readonly element: HTMLElement;
  private mode: "reply" | "note" = "reply";
  private text = h("textarea", { rows: "4", "aria-label": "Reply to the patient", "aria-keyshortcuts": "Control+Enter" });
  private info = h("p", { class: "composer-info", "aria-live": "polite" });
  private consent = h("p", { class: "consent" });
  private canned = h("select", { "aria-label": "Insert a canned response", "aria-keyshortcuts": "Alt+C" });
  private send = h("button", { type: "submit", class: "primary" }, "Send");
  private sendResolve = h("button", { type: "button" }, "Send and resolve");
  private tabs: HTMLButtonElement[];
  // Files to send with the next email reply: uploaded at once, named in the reply.
  private files: { id: number; filename: string }[] = [];
  private fileList = h("ul", { class: "chips", "aria-label": "Files to send" });
  private fileInput = h("input", { type: "file", accept: "image/*,application/pdf", class: "sr-only", tabindex: "-1", "aria-hidden": "true" });
  private attach = h("button", { type: "button" }, "Attach a file");
  private lastTyping = 0;
  private detail: ConversationDetail;

  constructor(
    private readonly app: App,
    private readonly view: ConversationView,
    detail: ConversationDetail,
  ) {
    this.detail = detail;
    const reply = h("button", { type: "button", role: "tab", "aria-selected": "true", "aria-keyshortcuts": "R" }, "Reply");
    const note = h("button", { type: "button", role: "tab", "aria-selected": "false", "aria-keyshortcuts": "N" }, "Internal note");
    this.tabs = [reply, note];
    reply.addEventListener("click", () => this.focus("reply"));
    note.addEventListener("click", () => this.focus("note"));
    const form = h(
      "form",
      { class: "composer", "aria-label": "Write" },
      h("div", { class: "tabs" }, h("div", { role: "tablist", "aria-label": "Reply or note" }, reply, note), this.canned),
      this.text,
      this.fileList,
      h("div", { class: "composer-foot" }, this.attach, this.fileInput, this.info, this.consent, h("span", { class: "spacer" }), this.sendResolve, this.send),
    );
    this.element = form;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit(false);
    });
    this.sendResolve.addEventListener("click", () => void this.submit(true));
    this.text.addEventListener("input", () => this.onInput());
    this.text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void this.submit(false);
      }
    });
    this.canned.addEventListener("change", () => this.insertCanned());
    this.attach.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files?.[0];
      this.fileInput.value = "";
      if (file) void this.addFile(file);
    });
    this.update(detail);
  }

  update(detail: ConversationDetail): void {
    this.detail = detail;
    replace(
      this.canned,
      h("option", { value: "" }, this.app.canned.length ? "Canned response…" : "No canned responses"),
      this.app.canned.map((c, i) => h("option", { value: String(i) }, c.shortcut ? `${c.title} (/${c.shortcut})` : c.title)),
    );
    this.label();
    this.onInput();
  }

  focus(mode: "reply" | "note"): void {
    this.mode = mode;
    this.tabs[0].setAttribute("aria-selected", String(mode === "reply"));
    this.tabs[1].setAttribute("aria-selected", String(mode === "note"));
    this.element.classList.toggle("note-mode", mode === "note");
    this.label();
    this.onInput();
    this.text.focus();
  }

  // The words of the tabs, box and buttons for the mode and the conversation's channel.
  private label(): void {
    const mode = this.mode;
    this.tabs[0].textContent = "Reply";
    this.sendResolve.textContent = "Send and resolve";
    this.text.setAttribute("aria-label", mode === "reply" ? "Reply to the patient" : "Internal note for the team");
    this.text.placeholder = mode === "reply" ? "Write to the patient…" : "Only the team sees notes…";
    this.sendResolve.hidden = mode === "note";
    this.send.textContent = mode === "reply" ? "Send" : "Add note";
    if (this.detail.channel === "phone") {
      // A phone task is answered by calling the patient: the "reply" records that call, and
      // nothing is sent to them.
      this.tabs[0].textContent = "Log call-back";
      if (mode === "reply") {
        this.text.setAttribute("aria-label", "What you told the patient when you called back");
        this.text.placeholder = "What you told the patient when you called back (nothing is sent)…";
        this.send.textContent = "Log call-back";
        this.sendResolve.textContent = "Log and resolve";
      }
    }
  }

  private async addFile(file: File): Promise<void> {
    this.attach.disabled = true;
    try {
      const kept = await upload<{ id: number; filename: string }>(
        `/api/v1/conversations/${this.detail.id}/files${query({ name: file.name })}`,
        file,
      );
      this.files.push(kept);
      this.renderFiles();
      announce(`${kept.filename} attached`);
    } catch (e) {
      this.app.toast((e as Error).message, "error");
    } finally {
      this.attach.disabled = false;
    }
  }

  private renderFiles(): void {
    replace(
      this.fileList,
      this.files.map((f) => {
        const remove = h("button", { type: "button", class: "link", "aria-label": `Do not send ${f.filename}` }, "×");
        remove.addEventListener("click", () => {
          this.files = this.files.filter((x) => x !== f);
          this.renderFiles();
        });
        return h("li", {}, f.filename, remove);
      }),
    );
  }

  private texting(): boolean {
    return this.mode === "reply" && this.detail.channel === "sms";
  }

  private optedOut(): boolean {
    return this.texting() && !!this.detail.sms_consent?.opted_out;
  }

  private onInput(): void {
    const value = this.text.value;
    // "/shortcut" then a space fills that canned response.
    const m = /^\/([a-z0-9_-]+) $/i.exec(value);
    if (m) {
      const found = this.app.canned.find((c) => c.shortcut === m[1]);
      if (found) {
        this.text.value = fill(found.text, cannedValues(this.app, this.detail.patient.name)).text;
      }
    }
    this.info.textContent = this.texting() ? segmentText(this.text.value) : "";
    if (this.texting()) {
      const c = this.detail.sms_consent;
      this.consent.textContent = c?.opted_out
        ? `This number opted out of texts (${c.keyword ?? "STOP"}). Write another way.`
        : this.detail.patient.phone
          ? "Texts allowed"
          : "No phone number on file";
      this.consent.className = `consent ${c?.opted_out ? "blocked" : "ok"}`;
    } else {
      this.consent.textContent = "";
    }
    this.send.disabled = this.sendResolve.disabled = this.optedOut();
    // Files go by email only (a text carries words; see the README).
    const mailing = this.mode === "reply" && this.detail.channel === "email";
    this.attach.hidden = !mailing;
    this.fileList.hidden = !mailing || this.files.length === 0;
    const chat = this.view.chat();
    if (chat && this.mode === "reply" && value && Date.now() - this.lastTyping > 1500) {
      this.lastTyping = Date.now();
      this.app.live.send({ type: "typing", conversation_id: this.detail.id });
    }
  }

  private insertCanned(): void {
    const chosen = this.app.canned[Number(this.canned.value)];
    this.canned.value = "";
    if (!chosen) return;
    const filled = fill(chosen.text, cannedValues(this.app, this.detail.patient.name));
    const at = this.text.selectionStart ?? this.text.value.length;
    this.text.value = this.text.value.slice(0, at) + filled.text + this.text.value.slice(this.text.selectionEnd ?? at);
    if (filled.missing.length) this.app.toast(`Fill in: ${filled.missing.join(", ")}`, "error");
    this.onInput();
    this.text.focus();
  }

  private async submit(resolve: boolean, override = false): Promise<void> {
    const text = this.text.value.trim();
    if (!text) return;
    const left = unfilled(text).filter((v) => (VARIABLES as readonly string[]).includes(v));
    if (left.length && this.mode === "reply") {
      this.app.toast(`Fill in ${left.map((v) => `{{${v}}}`).join(", ")} before sending`, "error");
      return;
    }
    const id = this.detail.id;
    const path = this.mode === "note" ? `/api/v1/conversations/${id}/notes` : `/api/v1/conversations/${id}/replies`;
    const body: Record<string, unknown> = { text };
    if (this.mode === "reply" && resolve) body.status = "resolved";
    if (this.mode === "reply" && this.files.length) body.attachment_ids = this.files.map((f) => f.id);
    if (override) body.override_phi_warning = true;
    this.send.disabled = true;
    try {
      await api("POST", path, body);
      this.text.value = "";
      if (body.attachment_ids) {
        this.files = [];
        this.renderFiles();
      }
      announce(this.mode === "note" ? "Note added" : "Reply sent");
      this.app.refreshInbox();
      await this.view.reload();
    } catch (e) {
      const err = e as ApiError;
      if (err.status === 409 && err.field === "override_phi_warning") {
        if (await this.confirmDisclosure(err.message)) await this.submit(resolve, true);
      } else {
        this.app.toast(err.message, "error");
      }
    } finally {
      this.send.disabled = this.optedOut();
    }
  }

  private confirmDisclosure(message: string): Promise<boolean> {
    return new Promise((resolve) => {
      const dialog = h(
        "dialog",
        { "aria-labelledby": "phi-title", role: "alertdialog" },
        h(
          "form",
          { method: "dialog" },
          h("h2", { id: "phi-title" }, "This reply may disclose health information"),
          h("p", {}, message),
          h("p", {}, "Verify the person first, or change the reply. Sending anyway is recorded in the audit log."),
          h(
            "div",
            { class: "actions" },
            h("button", { value: "cancel", type: "submit", class: "primary" }, "Change the reply"),
            h("button", { value: "send", type: "submit" }, "Send anyway"),
          ),
        ),
      );
      dialog.addEventListener("close", () => {
        dialog.remove();
        resolve(dialog.returnValue === "send");
      });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }
}
