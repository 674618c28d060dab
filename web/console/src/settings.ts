// The practice's settings an administrator changes from the console: the SMS provider account,
// the email account (SMTP out, IMAP in), live chat, the canned responses every agent uses, and
// the targets and thresholds of the reports, staffing advice and wellbeing (supervisors may edit
// those two), and the names the phone system knows each staff member by. Secrets are write-only:
// the form says whether one is set and sends a new one only when typed.
import { ApiError, api } from "./api";
import { announce, h, replace } from "./dom";
import { VARIABLES } from "./canned";
import type { App } from "./state";
import type { Canned, User } from "./types";

interface FieldSpec {
  key: string;
  label: string;
  type?: "text" | "password" | "number" | "checkbox" | "list";
  hint?: string;
}

function form(
  title: string,
  id: string,
  fields: FieldSpec[],
  values: Record<string, unknown>,
  save: (body: Record<string, unknown>) => Promise<Record<string, unknown>>,
  note?: string,
): HTMLElement {
  const inputs = new Map<string, HTMLInputElement>();
  const status = h("p", { class: "result", role: "status" });
  const rows = fields.map((f) => {
    const v = values[f.key];
    const hintId = f.hint ? `hint-${id}-${f.key}` : null;
    const input = h("input", {
      name: f.key,
      "aria-describedby": hintId,
      type: f.type === "list" ? "text" : (f.type ?? "text"),
      autocomplete: f.type === "password" ? "new-password" : "off",
      step: f.type === "number" ? "any" : null,
      "aria-invalid": "false",
    });
    if (f.type === "checkbox") input.checked = Boolean(v);
    else if (f.type === "list") input.value = Array.isArray(v) ? v.join(", ") : "";
    else if (f.type !== "password") input.value = v === undefined || v === null ? "" : String(v);
    inputs.set(f.key, input);
    return h(
      "label",
      { class: f.type === "checkbox" ? "check" : "field" },
      h("span", {}, f.label),
      input,
      f.hint ? h("small", { id: hintId }, `For example: ${f.hint}`) : null,
    );
  });
  const el = h(
    "form",
    { class: "card settings-form", "aria-labelledby": id },
    h("h2", { id }, title),
    note ? h("p", {}, note) : null,
    rows,
    status,
    h("button", { type: "submit", class: "primary" }, "Save"),
  );
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    for (const f of fields) {
      const input = inputs.get(f.key) as HTMLInputElement;
      input.setAttribute("aria-invalid", "false");
      if (f.type === "checkbox") body[f.key] = input.checked;
      else if (f.type === "number") {
        if (input.value.trim()) body[f.key] = Number(input.value);
      } else if (f.type === "list") body[f.key] = input.value.split(",").map((s) => s.trim()).filter(Boolean);
      else if (f.type === "password") {
        if (input.value) body[f.key] = input.value;
      } else if (input.value.trim()) body[f.key] = input.value.trim();
    }
    try {
      await save(body);
      status.textContent = "Saved.";
      announce(`${title} saved`);
      for (const f of fields) if (f.type === "password") (inputs.get(f.key) as HTMLInputElement).value = "";
    } catch (err) {
      const ae = err as ApiError;
      status.textContent = ae.message;
      const bad = inputs.get(ae.field);
      if (bad) {
        bad.setAttribute("aria-invalid", "true");
        bad.focus();
      }
    }
  });
  return el;
}

function cannedEditor(app: App): HTMLElement {
  const list = h("div", { class: "canned-list" });
  const status = h("p", { class: "result", role: "status" });
  const rows: { title: HTMLInputElement; shortcut: HTMLInputElement; text: HTMLTextAreaElement; row: HTMLElement }[] = [];
  const addRow = (c: Canned): void => {
    const title = h("input", { value: c.title, "aria-label": "Title" });
    const shortcut = h("input", { value: c.shortcut, "aria-label": "Shortcut", class: "short" });
    const text = h("textarea", { rows: "2", "aria-label": "Text" });
    text.value = c.text;
    const remove = h("button", { type: "button", class: "link" }, "Remove");
    const row = h("div", { class: "canned-row" }, title, shortcut, text, remove);
    const entry = { title, shortcut, text, row };
    remove.addEventListener("click", () => {
      rows.splice(rows.indexOf(entry), 1);
      row.remove();
    });
    rows.push(entry);
    list.appendChild(row);
  };
  for (const c of app.canned) addRow(c);
  const add = h("button", { type: "button" }, "Add a response");
  add.addEventListener("click", () => {
    addRow({ title: "", shortcut: "", text: "" });
    rows[rows.length - 1].title.focus();
  });
  const el = h(
    "form",
    { class: "card settings-form", "aria-labelledby": "set-canned" },
    h("h2", { id: "set-canned" }, "Canned responses"),
    h("p", {}, `Variables: ${VARIABLES.map((v) => `{{${v}}}`).join(", ")}. Agents type /shortcut and a space to use one.`),
    list,
    add,
    status,
    h("button", { type: "submit", class: "primary" }, "Save"),
  );
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    const items = rows.map((r) => ({ title: r.title.value.trim(), shortcut: r.shortcut.value.trim(), text: r.text.value.trim() }));
    try {
      const saved = await api<{ items: Canned[] }>("PUT", "/api/v1/canned-responses", { items });
      app.canned = saved.items;
      status.textContent = "Saved.";
    } catch (err) {
      status.textContent = (err as ApiError).message;
    }
  });
  return el;
}

// Each staff member's names in the phone system (queue_log's agent, e.g. PJSIP/201), so their
// calls count as theirs in the figures, the staffing advice and wellbeing. Only changed rows are
// sent; a refused one is marked and the message names it.
function phoneAgentsEditor(users: User[]): HTMLElement {
  const status = h("p", { class: "result", role: "status" });
  const rows = users
    .filter((u) => u.active)
    .map((u) => {
      const input = h("input", {
        name: `phone_agents_${u.id}`,
        "aria-label": `Phone names of ${u.display_name}`,
        autocomplete: "off",
        "aria-invalid": "false",
      });
      input.value = (u.phone_agents ?? []).join(", ");
      return { user: u, input, saved: input.value };
    });
  const el = h(
    "form",
    { class: "card settings-form", "aria-labelledby": "set-phone-agents" },
    h("h2", { id: "set-phone-agents" }, "Staff on the phone"),
    h(
      "p",
      {},
      "The names your phone system logs each person's calls under (Asterisk or FreePBX: the queue member, e.g. PJSIP/201), separated by commas. Their calls then count as theirs in the reports, the staffing advice and wellbeing; all calls are counted again after a change.",
    ),
    h(
      "table",
      { class: "phone-agents" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Staff member"), h("th", { scope: "col" }, "Phone names"))),
      h(
        "tbody",
        {},
        rows.map((r) => h("tr", {}, h("th", { scope: "row" }, r.user.display_name), h("td", {}, r.input))),
      ),
    ),
    status,
    h("button", { type: "submit", class: "primary" }, "Save"),
  );
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const r of rows) {
      r.input.setAttribute("aria-invalid", "false");
      if (r.input.value === r.saved) continue;
      const names = r.input.value.split(",").map((s) => s.trim()).filter(Boolean);
      try {
        const saved = await api<User>("PATCH", `/api/v1/users/${r.user.id}`, { phone_agents: names });
        r.input.value = r.saved = saved.phone_agents.join(", ");
      } catch (err) {
        status.textContent = `${r.user.display_name}: ${(err as ApiError).message}`;
        r.input.setAttribute("aria-invalid", "true");
        r.input.focus();
        return;
      }
    }
    status.textContent = "Saved.";
    announce("Phone names saved");
  });
  return el;
}

export async function renderSettings(app: App, pane: HTMLElement): Promise<void> {
  replace(pane, h("h1", {}, "Settings"), h("p", {}, "Loading…"));
  const sections: HTMLElement[] = [];
  if (app.isAdmin) {
    const [sms, email, chat, users] = await Promise.all([
      api<Record<string, unknown>>("GET", "/api/v1/settings/sms"),
      api<Record<string, unknown>>("GET", "/api/v1/settings/email"),
      api<Record<string, unknown>>("GET", "/api/v1/settings/chat"),
      api<{ items: User[] }>("GET", "/api/v1/users"),
    ]);
    sections.push(
      form(
        "Text messages (SMS provider)",
        "set-sms",
        [
          { key: "from", label: "Practice number (E.164)", hint: "+13125550100" },
          { key: "account_sid", label: "Account SID" },
          { key: "auth_token", label: sms.configured ? "Auth token (set; type to replace)" : "Auth token", type: "password" },
          { key: "base_url", label: "API base URL", hint: "https://api.twilio.com or your provider's" },
          { key: "messaging_service_sid", label: "Messaging service SID (optional)" },
          { key: "help_contact", label: "HELP answer contact", hint: "call 312-555-0100" },
          { key: "quiet_hours", label: "Quiet hours for non-urgent texts", hint: "21:00-08:00" },
        ],
        sms,
        (b) => api("PUT", "/api/v1/settings/sms", b),
        `${sms.configured ? "" : "Not set up yet: texts can neither be received nor sent. "}At the provider, set the number's incoming-message webhook to ${location.origin}/hooks/twilio/sms?tenant=${app.me.tenant.slug} (with the server's public address if it is behind a proxy).`,
      ),
      form(
        "Email",
        "set-email",
        [
          { key: "address", label: "Practice address" },
          { key: "display_name", label: "Name shown to patients" },
          { key: "smtp_url", label: "Outgoing server (SMTP)", hint: "smtp://mail.example.org:587" },
          { key: "smtp_username", label: "SMTP user name" },
          { key: "smtp_password", label: email.smtp_password_set ? "SMTP password (set; type to replace)" : "SMTP password", type: "password" },
          { key: "imap_url", label: "Mailbox to poll (IMAP, optional)", hint: "imaps://user:pass@mail.example.org/INBOX" },
        ],
        email,
        (b) => api("PUT", "/api/v1/settings/email", b),
        email.configured ? undefined : "Not set up yet: mail delivered by LMTP still arrives; replies cannot be sent.",
      ),
      form(
        "Live chat",
        "set-chat",
        [
          { key: "enabled", label: "Offer live chat on the website", type: "checkbox" },
          { key: "queue", label: "Queue for chats" },
          { key: "languages", label: "Languages offered", type: "list", hint: "en, es" },
          { key: "offer_timeout_seconds", label: "Seconds an agent has to accept", type: "number" },
          { key: "max_wait_seconds", label: "Longest expected wait offered live (seconds)", type: "number" },
        ],
        chat,
        (b) => api("PUT", "/api/v1/settings/chat", { ...chat, ...b }),
      ),
      phoneAgentsEditor(users.items),
    );
  }
  if (app.isLead) {
    sections.push(cannedEditor(app));
    const reports = await api<Record<string, unknown>>("GET", "/api/v1/settings/reports");
    sections.push(
      form(
        "Targets and thresholds",
        "set-reports",
        [
          { key: "backlog_healthy", label: "Backlog is healthy at or under (open requests)", type: "number" },
          { key: "backlog_add_staff", label: "Add a team member above (open requests)", type: "number" },
          { key: "service_level_seconds", label: "Phone: answered within (seconds)", type: "number" },
          { key: "phone_service_level", label: "Phone: share to answer within that (0 to 1)", type: "number" },
          { key: "short_abandon_seconds", label: "Phone: hang-ups sooner than this are short abandons (seconds)", type: "number" },
          { key: "chat_target_seconds", label: "Chat: answered within (seconds)", type: "number" },
          { key: "chat_service_level", label: "Chat: share to answer within that (0 to 1)", type: "number" },
          { key: "chat_concurrency", label: "Chats an agent holds at once", type: "number" },
          { key: "message_handle_seconds", label: "Time to answer a text or email (seconds)", type: "number" },
          { key: "shrinkage", label: "Shrinkage: paid time off the queue (0 to 0.9)", type: "number" },
          { key: "max_occupancy", label: "Busiest healthy occupancy (0 to 1)", type: "number" },
          { key: "break_after_minutes", label: "Suggest a break after working (minutes)", type: "number" },
          { key: "distressing_share", label: "Suggest a break when this share of the day was escalated or urgent (0 to 1)", type: "number" },
          { key: "after_hours_minutes", label: "Flag work outside opening hours above (minutes a week)", type: "number" },
        ],
        reports,
        (b) => api("PUT", "/api/v1/settings/reports", { ...reports, ...b }),
        "For the reports, the staffing advisor and wellbeing. A new short-abandon time counts every call again.",
      ),
    );
  }
  replace(pane, h("h1", {}, "Settings"), h("div", { class: "settings" }, sections));
}
