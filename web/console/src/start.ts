// Starting a conversation, not only answering one: find the patient, pick text or email, and
// write; the text's segment count and whether the number may be texted show as the agent
// types. The server holds a text the practice starts until its quiet hours are over.
import { ApiError, api, query } from "./api";
import { announce, h, replace } from "./dom";
import { fill } from "./canned";
import { cannedValues, segmentText } from "./composer";
import type { App } from "./state";
import type { Patient } from "./types";

export function renderStart(app: App, pane: HTMLElement): void {
  const search = h("input", { type: "search", "aria-label": "Find the patient by name, phone or email", placeholder: "Name, phone or email" });
  const results = h("ul", { class: "patients", "aria-label": "Patients found" });
  const composeArea = h("div", {});
  replace(
    pane,
    h("h1", {}, "New message"),
    h("section", { class: "card" }, h("h2", {}, "Patient"), search, results),
    composeArea,
  );
  let debounce = 0;
  search.addEventListener("input", () => {
    window.clearTimeout(debounce);
    debounce = window.setTimeout(async () => {
      const q = search.value.trim();
      if (q.length < 2) {
        replace(results);
        return;
      }
      try {
        const r = await api<{ items: Patient[] }>("GET", `/api/v1/patients${query({ q, limit: 10 })}`);
        replace(
          results,
          r.items.length
            ? r.items.map((p) => {
                const pick = h("button", { type: "button", class: "link" }, p.name);
                pick.addEventListener("click", () => compose(app, composeArea, p));
                return h("li", {}, pick, ` · ${p.phone ? "has a number" : "no number"} · ${p.email ? "has an email" : "no email"}`);
              })
            : h("li", {}, "Nobody found."),
        );
      } catch (e) {
        replace(results, h("li", { role: "alert" }, (e as Error).message));
      }
    }, 250);
  });
  search.focus();
}

function compose(app: App, area: HTMLElement, p: Patient): void {
  const sms = h("input", { type: "radio", name: "channel", value: "sms" });
  const email = h("input", { type: "radio", name: "channel", value: "email" });
  sms.disabled = !p.phone;
  email.disabled = !p.email;
  (p.phone ? sms : email).checked = true;
  const subject = h("input", { name: "subject", maxlength: "200" });
  const subjectField = h("label", { class: "field" }, h("span", {}, "Subject"), subject);
  const queueSelect = h("select", { name: "queue" }, app.queues.map((q) => h("option", { value: q }, q)));
  const text = h("textarea", { rows: "5", required: true, "aria-label": "Message" });
  const canned = h(
    "select",
    { "aria-label": "Insert a canned response" },
    h("option", { value: "" }, "Canned response…"),
    app.canned.map((c, i) => h("option", { value: String(i) }, c.title)),
  );
  const info = h("p", { class: "composer-info", "aria-live": "polite" });
  const consent = h("p", { class: "consent" });
  const error = h("p", { class: "error", role: "alert" });
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const refresh = (): void => {
    const texting = sms.checked;
    subjectField.hidden = texting;
    info.textContent = texting ? segmentText(text.value) : "";
    consent.textContent = texting
      ? p.consent_sms
        ? "Texts allowed. A number that texted STOP is refused when you send."
        : "The patient has not agreed to texts on file; the number is refused if it opted out."
      : "";
  };
  canned.addEventListener("change", () => {
    const c = app.canned[Number(canned.value)];
    canned.value = "";
    if (c) text.value += fill(c.text, cannedValues(app, p.name)).text;
    refresh();
  });
  for (const el of [sms, email]) el.addEventListener("change", refresh);
  text.addEventListener("input", refresh);
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-title" },
    h("h2", { id: "new-title" }, `Write to ${p.name}`),
    h(
      "fieldset",
      { class: "row" },
      h("legend", {}, "Send by"),
      h("label", { class: "check" }, sms, p.phone ? "Text message" : "Text message (no number on file)"),
      h("label", { class: "check" }, email, p.email ? "Email" : "Email (no address on file)"),
    ),
    h("label", { class: "field" }, h("span", {}, "Queue"), queueSelect),
    subjectField,
    canned,
    text,
    info,
    consent,
    error,
    send,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const body: Record<string, unknown> = {
      patient_id: p.id,
      channel: sms.checked ? "sms" : "email",
      text: text.value.trim(),
      queue: queueSelect.value,
    };
    if (!sms.checked && subject.value.trim()) body.subject = subject.value.trim();
    try {
      const started = await api<{ conversation: { id: number } }>("POST", "/api/v1/conversations", body);
      const c = started.conversation;
      announce("Message queued to send");
      app.refreshInbox();
      app.go(`#/c/${c.id}`);
    } catch (err) {
      error.textContent = (err as ApiError).message;
    }
  });
  replace(area, form);
  refresh();
  text.focus();
}
