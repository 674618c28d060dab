// The patients' chat widget. One tag on a practice's website,
//   <script src="https://HOST/widget.js" data-tenant="SLUG" async></script>
// (with data-location="ID" on a location's own page, so its chats count under that location)
// adds <caredesk-chat>: a launcher and a chat panel inside a Shadow DOM, so the page's CSS cannot
// reach it and its CSS cannot reach the page. It says honestly whether someone is there, keeps
// the chat across reloads (the chat's secret in localStorage), receives the practice's messages
// over a WebSocket and, after any reconnect, fetches what it missed by message id, so nothing is
// lost or shown twice. A message the patient writes keeps its client id until the server has
// it; a resend under the same id is stored once.
import { type Key, type Lang, pickLanguage, t } from "./i18n";
import { css } from "./style";

interface Status {
  live: boolean;
  open_hours: boolean;
  agents_available: number;
  waiting: number;
  expected_wait_seconds: number;
  languages: string[];
  practice: string;
  enabled: boolean;
}
interface ChatMessage {
  id: number;
  from: "patient" | "practice";
  text: string;
  at: string;
  author?: string;
  client_id?: string;
}
interface ChatView {
  state: string;
  messages: ChatMessage[];
  agent?: string;
  position?: number;
  availability?: { expected_wait_seconds: number };
  agent_seen_message_id: number;
}
interface Pending {
  clientId: string;
  text: string;
  failed: boolean;
}
interface Saved {
  token: string;
  lastId: number;
  pending: Pending[];
  lang: Lang;
  contactLeft?: boolean;
  rated?: number;  // the stars given once the chat ended
}

const script = document.currentScript as HTMLScriptElement | null;

function randomId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A paperclip drawn, not a glyph: it shows the same whatever fonts the patient's device has.
function paperclip(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.8");
  path.setAttribute("stroke-linecap", "round");
  svg.append(path);
  return svg;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export class CareDeskChat extends HTMLElement {
  private base = "";
  private tenant = "";
  private location: number | undefined; // the practice location whose page this is
  private language: Lang = "en";
  private status: Status | null = null;
  private saved: Saved | null = null;
  private view: ChatView | null = null;
  private messages = new Map<number, ChatMessage>();
  private socket: WebSocket | null = null;
  private reconnectDelay = 500;
  private poll = 0;
  private typingUntil = 0;
  private lastTypingSent = 0;
  private root: ShadowRoot;
  private ui!: {
    launcher: HTMLButtonElement;
    panel: HTMLElement;
    title: HTMLElement;
    close: HTMLButtonElement;
    langSelect: HTMLSelectElement;
    langLabel: HTMLLabelElement;
    status: HTMLElement;
    log: HTMLElement;
    typing: HTMLElement;
    form: HTMLFormElement;
    input: HTMLTextAreaElement;
    inputLabel: HTMLLabelElement;
    send: HTMLButtonElement;
    contact: HTMLFormElement;
    leave: HTMLButtonElement;
    attach: HTMLButtonElement;
    file: HTMLInputElement;
    copy: HTMLButtonElement;
    rating: HTMLDivElement;
    rateNote: HTMLParagraphElement;
    copyForm: HTMLFormElement;
    copyNote: HTMLElement;
  };
  // Files on their way to the server (not kept across reloads: the browser cannot keep them).
  private uploads: { clientId: string; name: string }[] = [];

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
  }

  connectedCallback(): void {
    if (this.ui) return;
    this.base = this.getAttribute("data-base") ?? "";
    this.tenant = this.getAttribute("data-tenant") ?? "";
    const place = Number(this.getAttribute("data-location"));
    if (Number.isInteger(place) && place > 0) this.location = place;
    this.build();
    this.saved = this.load();
    this.language = this.saved?.lang ?? pickLanguage(["en", "es"], navigator.languages ?? []);
    void this.refreshStatus();
    if (this.saved) void this.resume();
  }

  // ---- Storage: the chat's secret and what is not yet sent survive a reload.

  private storageKey(): string {
    return `caredesk-chat:${this.tenant}`;
  }
  private load(): Saved | null {
    try {
      const raw = localStorage.getItem(this.storageKey());
      return raw ? (JSON.parse(raw) as Saved) : null;
    } catch {
      return null;
    }
  }
  private save(): void {
    if (!this.saved) return;
    try {
      localStorage.setItem(this.storageKey(), JSON.stringify(this.saved));
    } catch {
      // private browsing: the chat still works until the page is left
    }
  }
  private forget(): void {
    this.saved = null;
    try {
      localStorage.removeItem(this.storageKey());
    } catch {
      // nothing stored
    }
  }

  // ---- The server.

  private url(path: string, query: Record<string, string | number> = {}): string {
    const params = new URLSearchParams({ tenant: this.tenant });
    for (const [k, v] of Object.entries(query)) params.set(k, String(v));
    return `${this.base}${path}?${params}`;
  }
  private async call<T>(method: string, path: string, body?: unknown, query = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.saved) headers["X-Chat-Token"] = this.saved.token;
    const res = await fetch(this.url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
    if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
    return (await res.json()) as T;
  }

  private async refreshStatus(): Promise<void> {
    try {
      this.status = await this.call<Status>("GET", "/api/v1/widget/status", undefined, {
        language: this.language,
      });
    } catch {
      this.status = null;
    }
    this.render();
  }

  private async resume(): Promise<void> {
    await this.catchUp();
    this.connect();
    for (const p of this.saved?.pending ?? []) void this.deliver(p);
  }

  // Everything after the last message shown; dropped into place by id.
  private async catchUp(): Promise<void> {
    if (!this.saved) return;
    try {
      // After a reload nothing is shown yet: the whole chat; after that only what is new.
      const view = await this.call<ChatView>("GET", "/api/v1/widget/chat", undefined, {
        after: this.messages.size > 0 ? this.saved.lastId : 0,
      });
      this.view = view;
      for (const m of view.messages) this.add(m);
    } catch (e) {
      if ((e as { status?: number }).status === 401) this.forget();  // the chat is gone
    }
    this.render();
  }

  private connect(): void {
    if (!this.saved || this.socket) return;
    const origin = this.base || location.origin;
    const ws = new WebSocket(
      `${origin.replace(/^http/, "ws")}/api/v1/widget/ws?tenant=${encodeURIComponent(this.tenant)}`,
      ["caredesk.v1", this.saved.token],
    );
    this.socket = ws;
    ws.onopen = () => {
      this.reconnectDelay = 500;
      void this.catchUp();  // whatever arrived while we were away
    };
    ws.onmessage = (event) => this.onFrame(String(event.data));
    ws.onclose = () => {
      this.socket = null;
      if (!this.saved) return;
      window.setTimeout(() => this.connect(), this.reconnectDelay);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, 15000);
    };
    // While waiting, the server needs to hear that the patient is still here.
    window.clearInterval(this.poll);
    this.poll = window.setInterval(() => {
      if (this.view?.state === "waiting") void this.catchUp();
    }, 15000);
  }

  private onFrame(text: string): void {
    let frame: { type?: string; message?: ChatMessage; state?: string; agent?: string };
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "message" && frame.message) {
      this.add(frame.message);
      this.typingUntil = 0;
    } else if (frame.type === "typing") {
      this.typingUntil = Date.now() + 4000;
      window.setTimeout(() => this.render(), 4100);
    } else if (frame.type === "seen" && this.view) {
      const seen = (frame as { agent_seen_message_id?: number }).agent_seen_message_id ?? 0;
      this.view.agent_seen_message_id = Math.max(this.view.agent_seen_message_id, seen);
    } else if (frame.type === "chat" && this.view) {
      this.view.state = frame.state ?? this.view.state;
      if (frame.agent) this.view.agent = frame.agent;
      if (frame.state === "active") void this.catchUp();
    }
    this.render();
  }

  private add(m: ChatMessage): void {
    // The patient's own message, back from the server before its POST answered: the "sending"
    // copy goes, so it never shows twice.
    if (m.client_id && this.saved?.pending.some((p) => p.clientId === m.client_id)) {
      this.saved.pending = this.saved.pending.filter((p) => p.clientId !== m.client_id);
      this.save();
      this.render();
    }
    if (this.messages.has(m.id)) return;
    this.messages.set(m.id, m);
    if (this.saved && m.id > this.saved.lastId) {
      this.saved.lastId = m.id;
      this.save();
    }
    if (m.from === "practice") void this.markSeen(m.id);
  }

  private async markSeen(id: number): Promise<void> {
    if (document.visibilityState !== "visible" || this.ui.panel.hidden) return;
    try {
      await this.call("POST", "/api/v1/widget/chat/seen", { message_id: id });
    } catch {
      // a read receipt is not worth a retry
    }
  }

  // ---- Writing.

  private async submit(text: string): Promise<void> {
    if (!text.trim()) return;
    if (!this.saved) {
      // The first message starts the chat.
      this.ui.send.disabled = true;
      try {
        const started = await this.call<{
          token: string;
          state: string;
          message_id: number;
          position: number;
          availability: { expected_wait_seconds: number };
        }>("POST", "/api/v1/widget/chats", { text, language: this.language, location: this.location });
        this.saved = { token: started.token, lastId: 0, pending: [], lang: this.language };
        this.save();
        this.view = {
          state: started.state,
          messages: [],
          position: started.position,
          availability: started.availability,
          agent_seen_message_id: 0,
        };
        this.ui.input.value = "";
        await this.catchUp();
        this.connect();
      } catch {
        this.showNotice(t(this.language, "failed"));
      } finally {
        this.ui.send.disabled = false;
      }
      return;
    }
    const pending: Pending = { clientId: randomId(), text, failed: false };
    this.saved.pending.push(pending);
    this.save();
    this.ui.input.value = "";
    this.render();
    await this.deliver(pending);
  }

  // Sends a pending message until the server has it; the same client id each time.
  private async deliver(p: Pending, delay = 1000): Promise<void> {
    try {
      const stored = await this.call<{ message_id: number }>(
        "POST",
        "/api/v1/widget/chat/messages",
        { text: p.text, client_id: p.clientId },
      );
      if (this.saved) {
        this.saved.pending = this.saved.pending.filter((q) => q.clientId !== p.clientId);
        this.save();
      }
      this.add({ id: stored.message_id, from: "patient", text: p.text, at: new Date().toISOString() });
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status !== undefined && status >= 400 && status < 500) {
        if (this.saved) this.saved.pending = this.saved.pending.filter((q) => q !== p);
        this.save();
      } else {
        p.failed = true;
        window.setTimeout(() => void this.deliver(p, Math.min(delay * 2, 30000)), delay);
      }
    }
    this.render();
  }

  private async saveContact(phone: string, email: string): Promise<void> {
    const body: Record<string, string> = {};
    if (phone.trim()) body.phone = phone.trim();
    if (email.trim()) body.email = email.trim();
    try {
      await this.call("POST", "/api/v1/widget/chat/contact", body);
      if (this.saved) {
        this.saved.contactLeft = true;
        this.save();
      }
      this.render();
      this.showNotice(t(this.language, "contactSaved"));
    } catch {
      this.showNotice(t(this.language, "contactInvalid"));
    }
  }

  private async leave(): Promise<void> {
    try {
      await this.call("POST", "/api/v1/widget/chat/leave");
    } catch {
      // leaving anyway
    }
    this.socket?.close();
    this.forget();
    this.view = null;
    this.messages.clear();
    this.render();
  }

  private sendTyping(): void {
    const now = Date.now();
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN || now - this.lastTypingSent < 2000) return;
    this.lastTypingSent = now;
    this.socket.send(JSON.stringify({ type: "typing" }));
  }

  // ---- The page.

  private build(): void {
    const style = el("style");
    style.textContent = css;
    const launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "cd-panel" });
    const panel = el("section", { id: "cd-panel", class: "panel", role: "dialog", "aria-labelledby": "cd-title" });
    panel.hidden = true;
    const header = el("header");
    const title = el("h2", { id: "cd-title" });
    const close = el("button", { class: "close", type: "button" }, "×");
    const langLabel = el("label", { for: "cd-lang", class: "visually-hidden" });
    const langSelect = el("select", { id: "cd-lang" });
    langSelect.append(el("option", { value: "en", lang: "en" }, "English"), el("option", { value: "es", lang: "es" }, "Español"));
    header.append(title, langLabel, langSelect, close);
    const status = el("p", { class: "status", role: "status" });
    const log = el("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "0" });
    const typing = el("p", { class: "typing", "aria-live": "polite" });
    const contact = el("form", { class: "contact" });
    contact.hidden = true;
    const contactTitle = el("p", { class: "contact-title" });
    const phoneLabel = el("label", { for: "cd-phone" });
    const phone = el("input", { id: "cd-phone", type: "tel", autocomplete: "tel" });
    const emailLabel = el("label", { for: "cd-email" });
    const email = el("input", { id: "cd-email", type: "email", autocomplete: "email" });
    const contactSend = el("button", { type: "submit" });
    contact.append(contactTitle, phoneLabel, phone, emailLabel, email, contactSend);
    const form = el("form", { class: "compose" });
    const inputLabel = el("label", { for: "cd-input", class: "visually-hidden" });
    const input = el("textarea", { id: "cd-input", rows: "2" });
    const send = el("button", { type: "submit", class: "send" });
    const attach = el("button", { type: "button", class: "attach" });
    attach.append(paperclip());
    const file = el("input", { type: "file", accept: "image/*,application/pdf", class: "visually-hidden", tabindex: "-1", "aria-hidden": "true" });
    form.append(inputLabel, input, attach, file, send);
    const leave = el("button", { type: "button", class: "leave" });
    const copy = el("button", { type: "button", class: "leave", "aria-expanded": "false" });
    const copyForm = el("form", { class: "copy" });
    copyForm.hidden = true;
    const copyLabel = el("label", { for: "cd-copy" });
    const copyEmail = el("input", { id: "cd-copy", type: "email", autocomplete: "email", required: "" });
    const copySend = el("button", { type: "submit" });
    copyForm.append(copyLabel, copyEmail, copySend);
    const copyNote = el("p", { class: "typing", role: "status" });
    const footer = el("div", { class: "footer" });
    footer.append(leave, copy);
    // After an answered chat: how satisfied the patient was, 1 to 5 (the practice's CSAT).
    const rating = el("div", { class: "rating", role: "group", "aria-labelledby": "cd-rate" });
    rating.hidden = true;
    const rateQuestion = el("p", { id: "cd-rate" });
    const stars = [1, 2, 3, 4, 5].map((n) => {
      const star = el("button", { type: "button", class: "star", "data-score": String(n) }, "\u2605");
      star.addEventListener("click", () => void this.rate(n));
      return star;
    });
    rating.append(rateQuestion, ...stars);
    const rateNote = el("p", { class: "typing", role: "status" });
    panel.append(header, status, log, typing, contact, form, copyForm, copyNote, rating, rateNote, footer);
    this.root.append(style, panel, launcher);

    launcher.addEventListener("click", () => this.toggle(true));
    close.addEventListener("click", () => this.toggle(false));
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.toggle(false);
    });
    langSelect.addEventListener("change", () => {
      this.language = langSelect.value === "es" ? "es" : "en";
      if (this.saved) {
        this.saved.lang = this.language;
        this.save();
      }
      void this.refreshStatus();
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit(input.value);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        void this.submit(input.value);
      }
    });
    input.addEventListener("input", () => this.sendTyping());
    contact.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.saveContact(phone.value, email.value);
    });
    leave.addEventListener("click", () => void this.leave());
    attach.addEventListener("click", () => file.click());
    file.addEventListener("change", () => {
      const chosen = file.files?.[0];
      file.value = "";
      if (chosen) void this.upload(chosen);
    });
    copy.addEventListener("click", () => {
      copyForm.hidden = !copyForm.hidden;
      copy.setAttribute("aria-expanded", String(!copyForm.hidden));
      if (!copyForm.hidden) copyEmail.focus();
    });
    copyForm.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.sendCopy(copyEmail.value);
    });
    this.ui = { launcher, panel, title, close, langSelect, langLabel, status, log, typing, form, input, inputLabel, send, contact, leave, attach, file, copy, copyForm, copyNote, rating, rateNote };
    this.labels = { contactTitle, phoneLabel, emailLabel, contactSend, copyLabel, copySend, rateQuestion, stars };
  }
  private labels!: {
    contactTitle: HTMLElement;
    phoneLabel: HTMLElement;
    emailLabel: HTMLElement;
    contactSend: HTMLElement;
    copyLabel: HTMLElement;
    copySend: HTMLElement;
    rateQuestion: HTMLElement;
    stars: HTMLButtonElement[];
  };

  // A photo or PDF into the chat: its bytes as the request body, under a client id so a retry
  // is stored once. The server decides what the file is from its bytes.
  private async upload(file: File): Promise<void> {
    if (!this.saved) return;
    if (file.size > 10 * 1024 * 1024) {
      this.ui.copyNote.textContent = this.say("fileTooLarge");
      return;
    }
    const up = { clientId: randomId(), name: file.name };
    this.uploads.push(up);
    this.ui.copyNote.textContent = "";
    this.render();
    try {
      const res = await fetch(this.url("/api/v1/widget/chat/files", { name: file.name, client_id: up.clientId }), {
        method: "POST",
        headers: { "Content-Type": file.type || "application/octet-stream", "X-Chat-Token": this.saved.token },
        body: file,
        credentials: "omit",
      });
      if (res.status === 415) this.ui.copyNote.textContent = this.say("fileType");
      else if (res.status === 413) this.ui.copyNote.textContent = this.say("fileTooLarge");
      else if (!res.ok) this.ui.copyNote.textContent = this.say("fileFailed");
      else await this.catchUp();
    } catch {
      this.ui.copyNote.textContent = this.say("fileFailed");
    }
    this.uploads = this.uploads.filter((u) => u !== up);
    this.render();
  }

  private async rate(score: number): Promise<void> {
    try {
      await this.call("POST", "/api/v1/widget/chat/rating", { score });
      if (this.saved) {
        this.saved.rated = score;
        this.save();
      }
      this.ui.rateNote.textContent = this.say("rateThanks");
      this.render();
    } catch {
      this.ui.rateNote.textContent = this.say("rateFailed");
    }
  }

  private async sendCopy(email: string): Promise<void> {
    try {
      const r = await this.call<{ sent_to: string }>("POST", "/api/v1/widget/chat/transcript", { email: email.trim() });
      this.ui.copyNote.textContent = this.say("transcriptSent", { to: r.sent_to });
      this.ui.copyForm.hidden = true;
      this.ui.copy.setAttribute("aria-expanded", "false");
    } catch {
      this.ui.copyNote.textContent = this.say("transcriptFailed");
    }
  }

  private toggle(open: boolean): void {
    this.ui.panel.hidden = !open;
    this.ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      this.ui.input.focus();
      void this.refreshStatus();
      const last = [...this.messages.values()].filter((m) => m.from === "practice").pop();
      if (last) void this.markSeen(last.id);
    } else {
      this.ui.launcher.focus();
    }
  }

  private showNotice(text: string): void {
    this.ui.status.textContent = text;
  }

  private say(key: Key, vars: Record<string, string | number> = {}): string {
    return t(this.language, key, vars);
  }

  private statusText(): string {
    const state = this.view?.state;
    if (state === "active") return this.say("answered", { agent: this.view?.agent ?? this.say("practice") });
    if (state === "ended" || state === "abandoned") return this.say("ended");
    if (state === "offline") return this.status?.open_hours === false ? this.say("afterHours") : this.say("offline");
    if (state === "waiting") {
      const wait = this.view?.availability?.expected_wait_seconds ?? 0;
      const parts = [this.say("offered")];
      if ((this.view?.position ?? 0) > 0) parts.push(this.say("position", { n: (this.view?.position ?? 0) + 1 }));
      if (wait > 0) parts.push(this.say("wait", { minutes: Math.max(1, Math.round(wait / 60)) }));
      return parts.join(" ");
    }
    if (!this.status) return "";
    if (!this.status.live) return this.status.open_hours ? this.say("offline") : this.say("afterHours");
    const wait = this.status.expected_wait_seconds;
    return wait > 60 ? `${this.say("online")} ${this.say("wait", { minutes: Math.round(wait / 60) })}` : this.say("online");
  }

  private render(): void {
    const ui = this.ui;
    const practice = this.status?.practice ?? "";
    ui.launcher.textContent = this.say("launcher");
    ui.launcher.classList.toggle("offline", !!this.status && !this.status.live);
    ui.title.textContent = this.say("title", { practice });
    ui.close.setAttribute("aria-label", this.say("close"));
    ui.langLabel.textContent = this.say("language");
    ui.langSelect.value = this.language;
    ui.inputLabel.textContent = this.say("messageLabel");
    ui.input.placeholder = this.say("placeholder");
    ui.send.textContent = this.say("send");
    ui.leave.textContent = this.say("leave");
    ui.leave.hidden = !this.saved;
    ui.attach.setAttribute("aria-label", this.say("attach"));
    ui.attach.title = this.say("attach");
    ui.attach.hidden = !this.saved;
    ui.copy.textContent = this.say("transcript");
    ui.copy.hidden = !this.saved || this.messages.size === 0;
    this.labels.copyLabel.textContent = this.say("transcriptEmail");
    this.labels.copySend.textContent = this.say("transcriptSend");
    this.labels.contactTitle.textContent = this.say("contactTitle");
    this.labels.phoneLabel.textContent = this.say("phone");
    this.labels.emailLabel.textContent = this.say("email");
    this.labels.contactSend.textContent = this.say("contactSend");
    ui.status.textContent = this.statusText();
    ui.contact.hidden = this.view?.state !== "offline" || !!this.saved?.contactLeft;
    const ended = this.view?.state === "ended" || this.view?.state === "abandoned";
    ui.rating.hidden = this.view?.state !== "ended" || !this.view?.agent || !this.saved || this.saved.rated !== undefined;
    this.labels.rateQuestion.textContent = this.say("rateQuestion");
    this.labels.stars.forEach((star, i) => star.setAttribute("aria-label", this.say("rateStar", { n: i + 1 })));
    ui.input.disabled = ended;
    ui.send.disabled = ended;
    ui.attach.disabled = ended;
    ui.typing.textContent = Date.now() < this.typingUntil ? this.say("typing", { who: this.view?.agent ?? this.say("practice") }) : "";

    // The conversation, by id, then what is still on its way.
    const seen = this.view?.agent_seen_message_id ?? 0;
    const items: HTMLElement[] = [];
    for (const m of [...this.messages.values()].sort((a, b) => a.id - b.id)) {
      const item = el("div", { class: `msg ${m.from}` });
      const who = m.from === "patient" ? this.say("you") : m.author || this.say("practice");
      item.append(el("span", { class: "who" }, who), el("p", {}, m.text));
      if (m.from === "patient") item.append(el("span", { class: "state" }, seen >= m.id ? this.say("read") : this.say("sent")));
      items.push(item);
    }
    for (const u of this.uploads) {
      const item = el("div", { class: "msg patient pending" });
      item.append(el("span", { class: "who" }, this.say("you")), el("p", {}, `\u{1F4CE} ${u.name}`), el("span", { class: "state" }, this.say("sending")));
      items.push(item);
    }
    for (const p of this.saved?.pending ?? []) {
      const item = el("div", { class: "msg patient pending" });
      item.append(el("span", { class: "who" }, this.say("you")), el("p", {}, p.text), el("span", { class: "state" }, p.failed ? this.say("failed") : this.say("sending")));
      items.push(item);
    }
    ui.log.replaceChildren(...items);
    ui.log.scrollTop = ui.log.scrollHeight;
  }
}

if (!customElements.get("caredesk-chat")) customElements.define("caredesk-chat", CareDeskChat);

// The tag that loaded this script names the practice; the script's own origin is the server.
if (script?.dataset.tenant && !document.querySelector("caredesk-chat")) {
  const chat = document.createElement("caredesk-chat");
  chat.setAttribute("data-tenant", script.dataset.tenant);
  chat.setAttribute("data-base", new URL(script.src, location.href).origin);
  if (script.dataset.location) chat.setAttribute("data-location", script.dataset.location);
  const mount = () => document.body.appendChild(chat);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
}
