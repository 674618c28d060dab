// The agent console: sign-in, then one page with the live chat bar, the inbox and the open
// conversation (or the supervisor's live view, a new message, the practice's settings),
// switched by the address's #fragment so reloads and the back button work.
import "./style.css";
import { ApiError, api, setCsrfToken, whenSignedOut } from "./api";
import { announce, h, replace } from "./dom";
import { Live, type Frame } from "./live";
import { askForNotifications, chime, notifyDesktop, unlockSound } from "./notify";
import { SeenMarks, type App } from "./state";
import type { Canned, Chat, Location, Me, User } from "./types";
import { Inbox } from "./inbox";
import { ConversationView } from "./conversation";
import { renderReports } from "./reports";
import { renderStaffing } from "./staffing";
import { renderWallboard } from "./wallboard";
import { startNudges } from "./wellbeing";
import { renderSupervisor } from "./supervisor";
import { renderSettings } from "./settings";
import { renderStart } from "./start";
import { installShortcuts, shortcutHelp } from "./shortcuts";
import { duration } from "./format";
import { IdleGuard } from "./idle";

const root = document.getElementById("app") as HTMLElement;

async function boot(): Promise<void> {
  try {
    const me = await api<Me>("GET", "/api/v1/me");
    if (me.csrf_token) setCsrfToken(me.csrf_token);
    await start(me);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signIn();
    else replace(root, h("p", { class: "fatal", role: "alert" }, (e as Error).message));
  }
}

function field(label: string, input: HTMLInputElement): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

function signIn(): void {
  document.title = "Sign in · CareDesk";
  const saved = localStorage.getItem("caredesk.practice") ?? "";
  const practice = h("input", { name: "tenant", autocomplete: "organization", required: true, value: saved });
  const email = h("input", { name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code" });
  const codeField = field("Code from your authenticator app (or a recovery code)", code);
  codeField.hidden = true;
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to CareDesk"),
    field("Practice", practice),
    field("Email", email),
    field("Password", password),
    codeField,
    error,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    unlockSound();
    error.textContent = "";
    const body: Record<string, string> = {
      tenant: practice.value.trim(),
      email: email.value.trim(),
      password: password.value,
    };
    // The code from the app (six digits) or one of the recovery codes saved at setup.
    const typed = code.value.trim();
    if (!codeField.hidden && typed) body[/^\d{6}$/.test(typed) ? "code" : "recovery_code"] = typed;
    try {
      const r = await api<{ csrf_token: string }>("POST", "/api/v1/session", body);
      setCsrfToken(r.csrf_token);
      localStorage.setItem("caredesk.practice", body.tenant);
      const me = await api<Me>("GET", "/api/v1/me");
      await start(me);
    } catch (err) {
      const ae = err as ApiError;
      if (ae.code === "second_factor_required" && codeField.hidden) {
        codeField.hidden = false;
        code.focus();
        error.textContent = "Enter the code from your authenticator app, or a recovery code.";
        return;
      }
      error.textContent = ae.message;
    }
  });
  if (sessionStorage.getItem("caredesk.idleSignOut")) {
    sessionStorage.removeItem("caredesk.idleSignOut");
    error.textContent = "You were signed out after a time without activity, to keep patients' information private.";
  }
  replace(root, h("main", { class: "signin-page" }, form));
  (saved ? email : practice).focus();
}

async function start(me: Me): Promise<void> {
  // A session that ends (expired, signed out elsewhere) goes back to the sign-in page.
  whenSignedOut(() => location.reload());
  if (me.second_factor.setup_pending) {
    await setUpSecondFactor(me);
    return;
  }
  const [users, locations, settings, canned] = await Promise.all([
    api<{ items: User[] }>("GET", "/api/v1/users").catch(() => ({ items: [] as User[] })),
    api<{ items: Location[] }>("GET", "/api/v1/locations").catch(() => ({ items: [] as Location[] })),
    api<{ business_hours: string }>("GET", "/api/v1/settings").catch(() => ({ business_hours: "" })),
    api<{ items: Canned[] }>("GET", "/api/v1/canned-responses").catch(() => ({ items: [] as Canned[] })),
  ]);
  new Console(me, users.items, locations.items, settings.business_hours, canned.items).mount();
}

// First sign-in where the practice requires two-step sign-in: the key for the authenticator
// app, a code from it to confirm, then the recovery codes to keep somewhere safe.
async function setUpSecondFactor(me: Me): Promise<void> {
  document.title = "Two-step sign-in · CareDesk";
  const started = await api<{ secret: string; otpauth_uri: string }>("POST", "/api/v1/me/second-factor");
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "signin", "aria-labelledby": "tf-title" },
    h("h1", { id: "tf-title" }, "Set up two-step sign-in"),
    h("p", {}, `${me.tenant.name} asks for a code from an authenticator app at every sign-in. Add this key to your app (choose "enter a setup key"):`),
    h("p", { class: "secret", "aria-label": "Setup key" }, started.secret.replace(/(.{4})(?=.)/g, "$1 ")),
    h("p", {}, h("a", { href: started.otpauth_uri }, "Open in an authenticator app on this device")),
    field("Code the app shows now", code),
    error,
    h("button", { type: "submit", class: "primary" }, "Turn on"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await api<{ recovery_codes: string[] }>("POST", "/api/v1/me/second-factor/confirm", {
        code: code.value.trim(),
      });
      const done = h("button", { type: "button", class: "primary" }, "I have saved them: continue");
      done.addEventListener("click", () => void boot());
      replace(
        root,
        h(
          "main",
          { class: "signin-page" },
          h(
            "section",
            { class: "signin", "aria-labelledby": "rc-title" },
            h("h1", { id: "rc-title" }, "Two-step sign-in is on"),
            h("p", {}, "Keep these recovery codes somewhere safe. Each signs you in once if you lose your phone."),
            h("ul", { class: "codes" }, r.recovery_codes.map((c) => h("li", {}, h("code", {}, c)))),
            done,
          ),
        ),
      );
      done.focus();
    } catch (err) {
      error.textContent = (err as ApiError).message;
      code.focus();
    }
  });
  replace(root, h("main", { class: "signin-page" }, form));
  code.focus();
}

class Console implements App {
  users = new Map<number, User>();
  queues: string[];
  live: Live;
  myChats: { offered: Chat[]; active: Chat[] } = { offered: [], active: [] };
  isLead: boolean;
  isAdmin: boolean;
  private seen: SeenMarks;
  private inbox!: Inbox;
  private conversation: ConversationView | null = null;
  private chatBar = h("section", { class: "chatbar", "aria-label": "Live chats" });
  private mainPane = h("section", { class: "detail", id: "detail" });
  private status = h("span", { class: "connection", role: "status" }, "Connecting…");
  private presence = h(
    "select",
    { "aria-label": "Your status", class: "presence" },
    h("option", { value: "available" }, "Available"),
    h("option", { value: "busy" }, "Busy"),
    h("option", { value: "on_break" }, "On a break"),
    h("option", { value: "offline" }, "Offline"),
  );
  private toasts = h("div", { class: "toasts", "aria-live": "assertive" });
  private nudge = h("div", { class: "nudges" });
  private knownOffers = new Set<number>();
  // Live chats with a patient's message the agent has not looked at yet (the tabs show it).
  private unreadChats = new Set<number>();

  constructor(
    readonly me: Me,
    users: User[],
    readonly locations: Location[],
    readonly practiceHours: string,
    public canned: Canned[],
  ) {
    for (const u of users) this.users.set(u.id, u);
    const queues = new Set<string>(["front-desk"]);
    for (const u of users) for (const q of u.queues ?? []) queues.add(q);
    this.queues = [...queues].sort();
    this.isLead = me.role === "admin" || me.role === "supervisor";
    this.isAdmin = me.role === "admin";
    this.seen = new SeenMarks(`caredesk.seen.${me.tenant.id}.${me.user_id}`);
    this.live = new Live(
      (f) => this.onFrame(f),
      (up, again) => this.onConnection(up, again),
    );
  }

  mount(): void {
    document.title = `CareDesk · ${this.me.tenant.name}`;
    const nav = h(
      "nav",
      { "aria-label": "Console" },
      h("a", { href: "#/inbox" }, "Inbox"),
      h("a", { href: "#/new" }, "New message"),
      this.isLead ? h("a", { href: "#/supervisor" }, "Supervisor") : null,
      this.isLead || this.me.role === "auditor" ? h("a", { href: "#/reports" }, "Reports") : null,
      this.isLead || this.me.role === "auditor" ? h("a", { href: "#/staffing" }, "Staffing") : null,
      this.isLead ? h("a", { href: "#/wallboard" }, "Wallboard") : null,
      this.isAdmin || this.isLead ? h("a", { href: "#/settings" }, "Settings") : null,
    );
    const signOut = h("button", { type: "button", class: "link" }, "Sign out");
    signOut.addEventListener("click", async () => {
      await api("PUT", "/api/v1/me/presence", { status: "offline" }).catch(() => {});
      await api("DELETE", "/api/v1/session").catch(() => {});
      location.hash = "";
      location.reload();
    });
    const help = h("button", { type: "button", class: "link", "aria-keyshortcuts": "?" }, "Shortcuts");
    help.addEventListener("click", () => shortcutHelp());
    const inboxPane = h("section", { class: "inbox", "aria-label": "Inbox" });
    replace(
      root,
      h(
        "header",
        { class: "top" },
        h("span", { class: "brand" }, "CareDesk"),
        h("span", { class: "practice" }, this.me.tenant.name),
        nav,
        h("span", { class: "spacer" }),
        this.status,
        this.presence,
        h("span", { class: "who" }, this.me.display_name),
        help,
        signOut,
      ),
      this.chatBar,
      this.nudge,
      h("main", { class: "panes" }, inboxPane, this.mainPane),
      this.toasts,
      h("div", { id: "announcer", class: "sr-only", "aria-live": "polite" }),
    );
    this.inbox = new Inbox(this, inboxPane, this.seen);
    this.presence.addEventListener("change", () => void this.setPresence(this.presence.value));
    void api<{ status: string }>("GET", "/api/v1/me/presence").then((p) => {
      this.presence.value = p.status;
    });
    // The console is the agent's heartbeat: an agent whose console went quiet is not offered chats.
    window.setInterval(() => void api("PUT", "/api/v1/me/presence", {}).catch(() => {}), 30000);
    window.setInterval(() => this.tickOffers(), 1000);
    if (this.me.role !== "auditor") {
      startNudges(this.nudge, async () => {
        this.presence.value = "on_break";
        await this.setPresence("on_break");
      });
    }
    window.addEventListener("hashchange", () => this.route());
    installShortcuts(this);
    this.guardIdle();
    void askForNotifications();
    this.live.start();
    void this.refreshChats();
    this.route();
  }

  private guardIdle(): void {
    const guard = new IdleGuard((this.me.session_idle_seconds || 900) * 1000, () => Date.now());
    let warning: HTMLDialogElement | null = null;
    for (const type of ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"]) {
      document.addEventListener(type, () => guard.touch(), { passive: true, capture: true });
    }
    window.setInterval(async () => {
      const state = guard.state();
      if (state === "active") {
        warning?.close();
        return;
      }
      if (state === "warning") {
        if (!warning) {
          const stay = h("button", { type: "submit", class: "primary" }, "Stay signed in");
          warning = h(
            "dialog",
            { role: "alertdialog", "aria-labelledby": "idle-title" },
            h("h2", { id: "idle-title" }, "Still there?"),
            h("p", { class: "idle-left" }, ""),
            h("form", { method: "dialog" }, stay),
          );
          warning.addEventListener("close", () => {
            guard.touch();
            warning?.remove();
            warning = null;
          });
          document.body.appendChild(warning);
          warning.showModal();
        }
        const left = warning.querySelector(".idle-left");
        if (left) left.textContent = `For privacy you will be signed out in ${guard.secondsLeft()} s.`;
        return;
      }
      sessionStorage.setItem("caredesk.idleSignOut", "1");
      await api("PUT", "/api/v1/me/presence", { status: "offline" }).catch(() => {});
      await api("DELETE", "/api/v1/session").catch(() => {});
      location.hash = "";
      location.reload();
    }, 1000);
  }

  go(hash: string): void {
    if (location.hash === hash) this.route();
    else location.hash = hash;
  }

  refreshInbox(): void {
    void this.inbox.refresh();
  }

  inboxMove(step: number): void {
    this.inbox.move(step);
  }

  inboxSearch(): void {
    this.inbox.focusSearch();
  }

  conversationKey(key: "r" | "n" | "a" | "e"): void {
    const c = this.conversation;
    if (!c) return;
    if (key === "r") c.focusComposer("reply");
    else if (key === "n") c.focusComposer("note");
    else if (key === "a") c.assignToMe();
    else c.resolve();
  }

  toast(text: string, kind: "error" | "info" = "info"): void {
    const t = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
    this.toasts.appendChild(t);
    window.setTimeout(() => t.remove(), 6000);
  }

  private async setPresence(status: string): Promise<void> {
    try {
      await api("PUT", "/api/v1/me/presence", { status });
      announce(`Status: ${this.presence.selectedOptions[0]?.textContent ?? status}`);
    } catch (e) {
      this.toast((e as Error).message, "error");
    }
  }

  private route(): void {
    const hash = location.hash || "#/inbox";
    this.conversation?.close();
    this.conversation = null;
    for (const a of root.querySelectorAll("nav a")) {
      a.toggleAttribute("aria-current", hash.startsWith(a.getAttribute("href") ?? "-"));
    }
    const m = /^#\/c\/(\d+)$/.exec(hash);
    if (m && this.unreadChats.delete(Number(m[1]))) this.renderChatBar();
    if (m) {
      this.conversation = new ConversationView(this, this.mainPane, Number(m[1]), this.seen);
      this.inbox.select(Number(m[1]));
      return;
    }
    this.inbox.select(0);
    if (hash === "#/supervisor" && this.isLead) renderSupervisor(this, this.mainPane);
    else if (hash === "#/reports" && (this.isLead || this.me.role === "auditor")) renderReports(this, this.mainPane);
    else if (hash === "#/staffing" && (this.isLead || this.me.role === "auditor")) renderStaffing(this, this.mainPane);
    else if (hash === "#/wallboard" && this.isLead) renderWallboard(this, this.mainPane);
    else if (hash === "#/settings" && (this.isAdmin || this.isLead)) renderSettings(this, this.mainPane);
    else if (hash === "#/new") renderStart(this, this.mainPane);
    else
      replace(
        this.mainPane,
        h(
          "div",
          { class: "empty" },
          h("h1", {}, "Inbox"),
          h("p", {}, "Pick a conversation on the left, or press j and k to move through them."),
        ),
      );
  }

  private onConnection(up: boolean, reconnected: boolean): void {
    this.status.textContent = up ? "Live" : "Reconnecting…";
    this.status.classList.toggle("down", !up);
    if (up && reconnected) {
      // Whatever happened while the connection was down is fetched again, once.
      void this.inbox.refresh();
      void this.refreshChats();
      void this.conversation?.reload();
      announce("Connection restored");
    }
  }

  private onFrame(frame: Frame): void {
    if (frame.type === "message" || frame.type === "conversation") {
      this.inbox.refreshSoon();
      this.conversation?.onFrame(frame);
      if (frame.type === "message") this.maybeNotifyMessage(frame);
    } else if (frame.type === "chats") {
      void this.refreshChats();
      document.dispatchEvent(new CustomEvent("caredesk:chats"));
    } else if (frame.type === "consent") {
      // Some number said STOP or START: what the open composer may offer can have changed.
      void this.conversation?.reload();
    } else if (frame.type === "typing") {
      this.conversation?.onFrame(frame);
    }
  }

  private maybeNotifyMessage(frame: Frame): void {
    const m = frame.message as { kind: string; conversation_id: number } | undefined;
    if (!m || m.kind !== "inbound") return;
    const mine = this.myChats.active.some((c) => c.conversation_id === m.conversation_id);
    const open = this.conversation?.id === m.conversation_id && document.hasFocus();
    if (!mine || open) return;
    this.unreadChats.add(m.conversation_id);
    this.renderChatBar();
    chime();
    notifyDesktop("New chat message", `Conversation #${m.conversation_id}`, `c${m.conversation_id}`, () =>
      this.go(`#/c/${m.conversation_id}`),
    );
    announce(`New message in conversation ${m.conversation_id}`);
  }

  async refreshChats(): Promise<void> {
    try {
      this.myChats = await api<{ offered: Chat[]; active: Chat[] }>("GET", "/api/v1/me/chats");
    } catch {
      return;
    }
    const fresh = this.myChats.offered.filter((c) => !this.knownOffers.has(c.chat_id));
    for (const c of fresh) this.knownOffers.add(c.chat_id);
    if (fresh.length) {
      chime();
      notifyDesktop("New chat waiting", `A patient is waiting in ${fresh[0].queue}`, `chat${fresh[0].chat_id}`, () =>
        window.focus(),
      );
      announce("A new chat is offered to you");
    }
    this.renderChatBar();
    this.conversation?.onChatsChanged();
  }

  private tickOffers(): void {
    for (const el of this.chatBar.querySelectorAll<HTMLElement>("[data-expires]")) {
      const left = Math.max(0, Math.round((Date.parse(el.dataset.expires ?? "") - Date.now()) / 1000));
      el.textContent = `${left} s to answer`;
    }
  }

  private renderChatBar(): void {
    const { offered, active } = this.myChats;
    const offers = offered.map((c) => {
      const accept = h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Alt+A" }, "Accept");
      const decline = h("button", { type: "button" }, "Decline");
      accept.addEventListener("click", async () => {
        try {
          await api("POST", `/api/v1/chats/${c.chat_id}/accept`);
          await this.refreshChats();
          this.go(`#/c/${c.conversation_id}`);
        } catch (e) {
          this.toast((e as Error).message, "error");
          void this.refreshChats();
        }
      });
      decline.addEventListener("click", async () => {
        await api("POST", `/api/v1/chats/${c.chat_id}/decline`).catch((e: Error) => this.toast(e.message, "error"));
        void this.refreshChats();
      });
      return h(
        "div",
        { class: "offer", role: "group", "aria-label": "Chat offered to you" },
        h("strong", {}, "New chat"),
        h("span", {}, `${c.queue} · ${c.language.toUpperCase()} · waited ${duration(c.waited_seconds)}`),
        c.offer_expires_at ? h("span", { class: "expires", "data-expires": c.offer_expires_at }, "") : null,
        accept,
        decline,
      );
    });
    const tabs = active.map((c) => {
      const unread = this.unreadChats.has(c.conversation_id);
      return h(
        "a",
        { href: `#/c/${c.conversation_id}`, class: `chat-tab${unread ? " unread" : ""}` },
        unread ? h("span", { class: "dot", "aria-label": "new message" }) : null,
        `Chat #${c.conversation_id}`,
      );
    });
    replace(
      this.chatBar,
      offers,
      tabs.length ? h("span", { class: "label" }, `Your chats (${active.length}):`) : null,
      tabs,
      !offers.length && !tabs.length ? h("span", { class: "label quiet" }, "No live chats for you right now.") : null,
    );
    this.tickOffers();
  }
}

void boot();
