// The agent console in a real browser (Debian's chromium driven by playwright-core) against a
// real caredesk server, with a patient in the chat widget on the practice's page. Started by
// scripts/browser-test.sh, which sets what browser.mjs gets plus:
//   LEAD_TOKEN  a supervisor's API token (sam@web.example)
//   PASSWORD    the staff's password (ana: agent, sam: supervisor, ida: admin)
//   PUBLIC_URL  the server's public address, which the SMS provider signs webhooks for
// Exit status 0 when every check passes.
import { createHmac } from "node:crypto";
import net from "node:net";
import { mkdirSync } from "node:fs";
import fs from "node:fs/promises";
import { chromium } from "playwright-core";
import { apiAs, check, fail, failures, launchOptions, seriousViolations, totp, until } from "./lib.mjs";

const { CAREDESK_URL, HOST_URL, STAFF_TOKEN, LEAD_TOKEN, PASSWORD, PUBLIC_URL, SHOTS = "test-results" } = process.env;
mkdirSync(SHOTS, { recursive: true });
const api = apiAs(CAREDESK_URL, STAFF_TOKEN);
const lead = apiAs(CAREDESK_URL, LEAD_TOKEN);

// A text from the patient as the SMS provider sends it: form-encoded and signed with the
// account's auth token over the public URL and the sorted parameters.
async function providerText(from, to, body, authToken) {
  const params = { AccountSid: "ACweb", Body: body, From: from, MessageSid: `SM${Date.now()}`, NumMedia: "0", To: to };
  const url = `${PUBLIC_URL}/hooks/twilio/sms?tenant=web`;
  const signed = url + Object.keys(params).sort().map((k) => k + params[k]).join("");
  const signature = createHmac("sha1", authToken).update(signed).digest("base64");
  const res = await fetch(`${CAREDESK_URL}/hooks/twilio/sms?tenant=web`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature },
    body: new URLSearchParams(params).toString(),
  });
  if (res.status !== 200) console.log(`the webhook answered ${res.status}: ${await res.text()}`);
  return res.status;
}

// A console page that records the desktop notifications it shows (title and body).
async function consoleContext(browser, base = CAREDESK_URL) {
  // bypassCSP lets axe-core be injected into the page; the console itself runs under its policy.
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1400, height: 860 }, bypassCSP: true });
  await context.grantPermissions(["notifications"], { origin: base });
  await context.addInitScript(() => {
    window.__notes = [];
    const Real = window.Notification;
    if (!Real) return;
    class Recorded extends Real {
      constructor(title, options) {
        super(title, options);
        window.__notes.push({ title, body: options?.body ?? "" });
      }
    }
    Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
    Recorded.requestPermission = (...a) => Real.requestPermission(...a);
    window.Notification = Recorded;
  });
  return context;
}

// A first sign-in: the practice requires two-step sign-in, so the console sets it up with a
// code computed from the key it shows, as the staff member's authenticator app would.
async function signIn(page, email, base = CAREDESK_URL) {
  await page.goto(`${base}/`);
  await page.locator("input[name=tenant]").fill("web");
  await page.locator("input[name=email]").fill(email);
  await page.locator("input[name=password]").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  const key = await page.locator(".secret").textContent();
  await page.locator("input[name=code]").fill(await totp(key));
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.locator(".codes li").first().waitFor();
  await page.getByRole("button", { name: /continue/ }).click();
  await page.locator(".top .practice").waitFor();
  await page.locator(".connection", { hasText: "Live" }).waitFor();
}

// The agent's browser reaches the server through this proxy, which the test can cut like a
// dropped Wi-Fi: every open connection is closed and new ones are refused until restored.
const proxied = new Set();
let cut = false;
const proxy = net.createServer((client) => {
  if (cut) return client.destroy();
  const upstream = net.connect(Number(new URL(CAREDESK_URL).port), "127.0.0.1");
  client.pipe(upstream).pipe(client);
  for (const s of [client, upstream]) {
    proxied.add(s);
    s.on("close", () => proxied.delete(s));
    s.on("error", () => {});
  }
});
await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
const AGENT_URL = `http://127.0.0.1:${proxy.address().port}`;
function dropAgentNetwork() {
  cut = true;
  for (const s of proxied) s.destroy();
}

const browser = await chromium.launch(launchOptions());
const pageErrors = [];
try {
  // ---- Sign-in.
  const agentContext = await consoleContext(browser, AGENT_URL);
  const agent = await agentContext.newPage();
  agent.on("pageerror", (e) => pageErrors.push(String(e)));
  await agent.goto(`${AGENT_URL}/`);
  await agent.locator("form.signin").waitFor();
  check((await seriousViolations(agent)).length === 0, "axe: no serious violation on the sign-in page");
  await agent.locator("input[name=tenant]").fill("web");
  await agent.locator("input[name=email]").fill("ana@web.example");
  await agent.locator("input[name=password]").fill("not the password");
  await agent.getByRole("button", { name: "Sign in" }).click();
  await agent.locator("form.signin .error", { hasText: /incorrect|invalid/i }).waitFor();
  check(true, "a wrong password is refused with a message");
  await signIn(agent, "ana@web.example", AGENT_URL);
  check((await agent.locator(".top .practice").textContent()) === "Lakeside Family Medicine", "the agent is signed in");
  await agent.locator("select.presence").selectOption("available");
  await until("the agent to be available", async () => (await api("GET", "/api/v1/me/presence")).json.status === "available");
  check(true, "the agent sets their status in the console");

  // ---- (7a) A patient writes in the widget; the console offers the chat with a notification.
  const patientContext = await browser.newContext({ locale: "en-US", viewport: { width: 1000, height: 760 } });
  const patient = await patientContext.newPage();
  await patient.goto(HOST_URL);
  await patient.locator("caredesk-chat .launcher").click();
  await until("the widget to say someone is there", async () =>
    (await patient.locator("caredesk-chat .status").textContent())?.includes("Someone is here"));
  await patient.locator("caredesk-chat textarea").fill("Hi, I need to move my appointment on Friday");
  await patient.keyboard.press("Enter");
  const offer = agent.locator(".offer");
  await offer.waitFor();
  const notes = await until("a desktop notification", async () => {
    const n = await agent.evaluate(() => window.__notes);
    return n.length ? n : null;
  });
  check(notes.some((n) => n.title === "New chat waiting" && !n.body.includes("appointment")),
        `the agent gets a desktop notification without the patient's words (${JSON.stringify(notes)})`);
  await offer.getByRole("button", { name: "Accept" }).click();
  await agent.waitForURL(/#\/c\/\d+$/);
  const conversationId = Number(agent.url().split("/").pop());
  await agent.locator(".thread .msg.inbound", { hasText: "move my appointment" }).waitFor();
  check(true, "the agent sees the patient's message in the conversation");
  await agent.locator(".chatbar .chat-tab", { hasText: `#${conversationId}` }).waitFor();
  check(true, "the chat is among the agent's live chats");
  await until("the widget to name the agent", async () =>
    (await patient.locator("caredesk-chat .status").textContent())?.includes("You are chatting with Ana"));
  await agent.locator(".composer textarea").fill("Of course. Would Monday at 10:00 work?");
  await agent.keyboard.press("Control+Enter");
  await patient.locator("caredesk-chat .msg.practice", { hasText: "Monday at 10:00" }).waitFor();
  check(true, "the patient sees the agent's reply");
  await patient.locator("caredesk-chat .msg.patient .state", { hasText: "Read" }).waitFor();
  check(true, "the console tells the widget the agent read the message");
  await patient.locator("caredesk-chat textarea").fill("Monday works, thank you");
  await patient.keyboard.press("Enter");
  await agent.locator(".thread .msg.inbound", { hasText: "Monday works" }).waitFor();
  check(true, "the patient's next message arrives live");
  await agent.screenshot({ path: `${SHOTS}/console-chat.png` });
  check((await seriousViolations(agent)).length === 0, "axe: no serious violation in the console's chat view");

  // ---- (7c) The agent's browser loses its connection; messages sent meanwhile show once.
  dropAgentNetwork();
  await agent.locator(".connection", { hasText: "Reconnecting" }).waitFor();
  check(true, "the console shows it lost the connection");
  for (const text of ["Also, is parking free?", "And can my husband come along?"]) {
    await patient.locator("caredesk-chat textarea").fill(text);
    await patient.keyboard.press("Enter");
    await patient.locator("caredesk-chat .msg.patient", { hasText: text }).waitFor();
  }
  cut = false;
  await agent.locator(".connection", { hasText: "Live" }).waitFor({ timeout: 20000 });
  await agent.locator(".thread .msg.inbound", { hasText: "husband" }).waitFor();
  await new Promise((r) => setTimeout(r, 500));
  const shown = await agent.locator(".thread .msg .text").allTextContents();
  const times = (t) => shown.filter((x) => x === t).length;
  check(times("Also, is parking free?") === 1 && times("And can my husband come along?") === 1 &&
        times("Hi, I need to move my appointment on Friday") === 1 && times("Of course. Would Monday at 10:00 work?") === 1,
        `after the reconnect every message shows exactly once (${shown.length} shown)`);

  // ---- A second chat at once: the first one's new message marks its tab and notifies.
  const patient2Context = await browser.newContext({ locale: "en-US", viewport: { width: 1000, height: 760 } });
  const patient2 = await patient2Context.newPage();
  await patient2.goto(HOST_URL);
  await patient2.locator("caredesk-chat .launcher").click();
  await patient2.locator("caredesk-chat textarea").fill("Do you take walk-ins today?");
  await patient2.keyboard.press("Enter");
  await agent.locator(".offer").getByRole("button", { name: "Accept" }).click();
  await agent.waitForURL((url) => !url.hash.endsWith(`/${conversationId}`) && /#\/c\/\d+$/.test(url.hash));
  const secondId = Number(agent.url().split("/").pop());
  await agent.locator(".thread .msg.inbound", { hasText: "walk-ins" }).waitFor();
  const notesBefore = (await agent.evaluate(() => window.__notes)).length;
  await patient.locator("caredesk-chat textarea").fill("One more question");
  await patient.keyboard.press("Enter");
  const firstTab = agent.locator(".chatbar .chat-tab", { hasText: `Chat #${conversationId}` });
  await firstTab.locator(".dot").waitFor();
  const notesAfter = await agent.evaluate(() => window.__notes);
  check(notesAfter.length > notesBefore && notesAfter.at(-1).title === "New chat message" &&
        !notesAfter.at(-1).body.includes("question"),
        "with two chats open, a message in the other one marks its tab and notifies without its words");
  await firstTab.click();
  await agent.locator(".thread .msg.inbound", { hasText: "One more question" }).waitFor();
  check((await firstTab.locator(".dot").count()) === 0, "opening that chat clears the mark");
  check(secondId !== conversationId, "two chats are held at once");

  // ---- The supervisor's live view, and a take-over.
  const leadContext = await consoleContext(browser);
  const sup = await leadContext.newPage();
  sup.on("pageerror", (e) => pageErrors.push(String(e)));
  await signIn(sup, "sam@web.example");
  await sup.locator("nav a", { hasText: "Supervisor" }).click();
  await sup.locator(".supervisor td", { hasText: "Ana Ruiz" }).waitFor();
  await sup.locator(".supervisor li", { hasText: `#${conversationId} with Ana Ruiz` }).waitFor();
  check(true, "the supervisor sees the agent's status and load and the chat in progress");
  await sup.screenshot({ path: `${SHOTS}/console-supervisor.png` });
  check((await seriousViolations(sup)).length === 0, "axe: no serious violation in the supervisor view");
  await sup.locator(".supervisor li", { hasText: `#${conversationId}` }).getByRole("button", { name: "Take over" }).click();
  await sup.waitForURL(new RegExp(`#/c/${conversationId}$`));
  await until("the chat to be the supervisor's", async () => {
    const live = await lead("GET", "/api/v1/chats/live");
    const me = await lead("GET", "/api/v1/me");
    return live.json.active.some((c) => c.conversation_id === conversationId && c.agent_id === me.json.user_id);
  });
  await agent.locator(".chatbar .chat-tab", { hasText: `Chat #${conversationId}` }).waitFor({ state: "detached" });
  check(true, "the supervisor takes the chat over and it leaves the agent's live chats");

  // ---- An admin connects the SMS provider on the settings page.
  const adminContext = await consoleContext(browser);
  const admin = await adminContext.newPage();
  admin.on("pageerror", (e) => pageErrors.push(String(e)));
  await signIn(admin, "ida@web.example");
  await admin.goto(`${CAREDESK_URL}/#/settings`);
  const smsForm = admin.locator("form", { has: admin.locator("#set-sms") });
  await smsForm.waitFor();
  await smsForm.locator("input[name=from]").fill("(312) 555-0100");
  await smsForm.locator("input[name=account_sid]").fill("ACweb");
  await smsForm.locator("input[name=auth_token]").fill("web-auth-token");
  await smsForm.locator("input[name=base_url]").fill("http://127.0.0.1:9");
  await smsForm.getByRole("button", { name: "Save" }).click();
  await smsForm.locator(".result", { hasText: /from|E\.164|number/i }).waitFor();
  check((await smsForm.locator("input[name=from]").getAttribute("aria-invalid")) === "true",
        "a number not in E.164 form is refused and the field is marked");
  await smsForm.locator("input[name=from]").fill("+13125550100");
  await smsForm.getByRole("button", { name: "Save" }).click();
  await smsForm.locator(".result", { hasText: "Saved." }).waitFor();
  await admin.reload();
  await smsForm.waitFor();
  check((await smsForm.locator("input[name=from]").inputValue()) === "+13125550100" &&
        (await smsForm.locator("input[name=auth_token]").inputValue()) === "",
        "the SMS settings are kept; the token is never shown again");
  // The admin gives Ana her name in the phone system; Sam cannot have the same one.
  const phoneForm = admin.locator("form[aria-labelledby=set-phone-agents]");
  const anaPhone = phoneForm.getByRole("textbox", { name: /^Phone names of Ana/ });
  const samPhone = phoneForm.getByRole("textbox", { name: /^Phone names of Sam/ });
  await anaPhone.fill("PJSIP/201, Local/201@from-queue");
  await phoneForm.getByRole("button", { name: "Save" }).click();
  await until("the phone names saved", async () => (await phoneForm.locator(".result").textContent()) === "Saved.");
  const staff = (await lead("GET", "/api/v1/users")).json.items;
  const ana = staff.find((u) => u.email === "ana@web.example");
  check(JSON.stringify(ana.phone_agents) === JSON.stringify(["PJSIP/201", "Local/201@from-queue"]),
        "an admin gives a staff member their phone system names");
  await samPhone.fill("PJSIP/201");
  await phoneForm.getByRole("button", { name: "Save" }).click();
  await until("the refusal", async () => (await phoneForm.locator(".result").textContent()).includes("already has this phone agent name"));
  check((await samPhone.getAttribute("aria-invalid")) === "true" &&
        (await lead("GET", "/api/v1/users")).json.items.find((u) => u.email === "sam@web.example").phone_agents.length === 0,
        "a name another staff member has is refused, marked, and not kept");
  await samPhone.fill("");
  await admin.screenshot({ path: `${SHOTS}/console-settings.png`, fullPage: true });
  check((await seriousViolations(admin)).length === 0, "axe: no serious violation on the settings page");
  await adminContext.close();

  // ---- A text conversation: canned responses, segment count, consent, masked record.
  check((await lead("PUT", "/api/v1/canned-responses", { items: [
    { title: "Greeting", shortcut: "hi", text: "Hello {{first_name}}, this is {{agent_name}} at {{practice_name}}." },
  ] })).status === 200, "the supervisor keeps a canned response");
  const maria = await api("POST", "/api/v1/patients", {
    name: "Maria Lopez", phone: "+13125550188", email: "maria@example.org", date_of_birth: "1980-04-02",
  });
  check(maria.status === 201, "a patient is on file");
  check(await providerText("+13125550188", "+13125550100", "Can I get my refill early?", "web-auth-token") === 200,
        "the patient texts the practice");
  await agent.reload();
  await agent.locator(".connection", { hasText: "Live" }).waitFor();
  const row = agent.locator(".rows li", { hasText: "Maria Lopez" });
  await row.waitFor();
  check((await row.locator(".chan").textContent()) === "Text" && (await row.locator(".dot").count()) === 1,
        "the text is in the unified inbox, marked new");
  check(/\d+ (s|min|h \d+ min) left/.test(await row.locator(".sla").textContent()), "the row shows its SLA countdown");
  await row.locator("a").click();
  await agent.locator(".thread .msg.inbound", { hasText: "refill" }).waitFor();
  const phoneShown = await agent.locator(".facts-list dd").nth(1).textContent();
  check(!phoneShown.includes("5550188") && (await agent.locator(".masked-note").count()) === 1,
        `the unverified patient's number is masked (${phoneShown})`);
  check((await agent.locator(".verify-state").textContent()).startsWith("Not verified"), "the identity panel says not verified");
  const composer = agent.locator(".composer textarea");
  await composer.fill("");
  await composer.pressSequentially("/hi ");
  check((await composer.inputValue()) === "Hello Maria, this is Ana at Lakeside Family Medicine.",
        `"/hi " fills the canned response's variables (${await composer.inputValue()})`);
  await composer.fill("a".repeat(161));
  check((await agent.locator(".composer-info").textContent()).startsWith("2 text segments"), "161 characters are 2 segments");
  await composer.fill("Your refill is ready 😀");
  check((await agent.locator(".composer-info").textContent()).includes("Unicode"), "an emoji makes the text Unicode");
  check((await agent.locator(".consent").textContent()) === "Texts allowed", "the composer says the number may be texted");
  await agent.screenshot({ path: `${SHOTS}/console-sms.png` });
  check((await seriousViolations(agent)).length === 0, "axe: no serious violation in a text conversation");

  // The patient texts STOP: the composer says so and will not send.
  check(await providerText("+13125550188", "+13125550100", "STOP", "web-auth-token") === 200, "the patient texts STOP");
  await agent.locator(".consent.blocked", { hasText: "opted out" }).waitFor();
  check(await agent.locator(".composer button[type=submit]").isDisabled(), "after STOP the composer will not send a text");

  // Internal note, escalation.
  await agent.getByRole("tab", { name: "Internal note" }).click();
  await composer.fill("Checked with Dr. Chen: refill approved.");
  await agent.getByRole("button", { name: "Add note" }).click();
  await agent.locator(".thread .msg.note", { hasText: "refill approved" }).waitFor();
  check(true, "an internal note is added");
  await agent.getByRole("button", { name: "Escalate" }).click();
  await agent.locator("dialog textarea").fill("Asking for an early controlled-substance refill");
  await agent.locator("dialog").getByRole("button", { name: "Escalate" }).click();
  await agent.locator(".rows li", { hasText: "Maria Lopez" }).locator(".urgent", { hasText: "Escalated" }).waitFor();
  check(await agent.getByRole("button", { name: "Escalate" }).isDisabled(), "the conversation is escalated to a supervisor");

  // ---- Keyboard: help, navigation, assign to me.
  await agent.locator(".thread").click();
  await agent.keyboard.press("?");
  await agent.locator("dialog", { hasText: "Keyboard shortcuts" }).waitFor();
  await agent.keyboard.press("Escape");
  await agent.locator("dialog").waitFor({ state: "detached" });
  await agent.keyboard.press("a");
  await agent.locator(".conv-head .facts", { hasText: "assigned to you" }).waitFor();
  check(true, "keyboard: ? shows the shortcuts, a assigns the conversation to the agent");

  // ---- Starting a conversation by email.
  await agent.keyboard.press("g");
  await agent.keyboard.press("n");
  await agent.locator("input[type=search][aria-label^='Find the patient']").fill("Maria");
  await agent.getByRole("button", { name: "Maria Lopez" }).click();
  await agent.getByRole("radio", { name: "Email" }).check();
  await agent.getByLabel("Subject").fill("Your refill");
  await agent.getByRole("textbox", { name: "Message" }).fill("Your refill is ready for pick-up.");
  check((await seriousViolations(agent)).length === 0, "axe: no serious violation on the new-message page");
  await agent.getByRole("button", { name: "Send" }).click();
  await agent.waitForURL(/#\/c\/\d+$/);
  await agent.locator(".thread .msg.outbound", { hasText: "ready for pick-up" }).waitFor();
  check(Number(agent.url().split("/").pop()) !== conversationId, "the agent starts an email conversation");
  // A form goes with an email reply.
  await agent.locator(".composer input[type=file]").setInputFiles({
    name: "Intake form.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n%%EOF\n"),
  });
  await agent.locator(".composer .chips li", { hasText: "Intake form.pdf" }).waitFor();
  await agent.locator(".composer textarea").fill("Here is the intake form.");
  await agent.getByRole("button", { name: "Send", exact: true }).click();
  await agent.locator(".thread .msg.outbound", { hasText: "intake form" }).locator("a", { hasText: "Intake form.pdf" }).waitFor();
  check((await agent.locator(".composer .chips li").count()) === 0, "a file is attached to an email reply and shown with it");

  // ---- A caller who hung up waiting becomes a callback task; the call-back is logged; the
  // patient's calls are in their history.
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const started = Date.now();
  const answeredCall = await api("POST", "/api/v1/calls", {
    call_id: "web-call-1", queue: "front-desk", from: "+13125550142", agent: "PJSIP/201", outcome: "answered",
    entered_at: iso(started - 600000), answered_at: iso(started - 590000), ended_at: iso(started - 400000),
  });
  const missedCall = await api("POST", "/api/v1/calls", {
    call_id: "web-call-2", queue: "front-desk", from: "+13125550142", outcome: "abandoned",
    entered_at: iso(started - 120000), ended_at: iso(started - 60000),
  });
  check(answeredCall.status === 201 && missedCall.status === 201 && missedCall.json.callback_conversation_id > 0,
        `calls are posted; the missed one opens a callback task (${answeredCall.status}, ${missedCall.status})`);
  await agent.goto(`${AGENT_URL}/#/c/${missedCall.json.callback_conversation_id}`);
  await agent.locator(".conv-head a.call-back[href='tel:+13125550142']").waitFor();
  await agent.locator(".thread .msg.inbound", { hasText: "hung up after 60 s" }).waitFor();
  check(true, "the callback task says what happened and offers the number to call back");
  await agent.locator(".history li.call", { hasText: "answered after 10 s, talked 3 min 10 s" }).waitFor();
  check(true, "the patient's history shows their calls beside their conversations");
  await agent.locator(".composer textarea").fill("Called back; booked Tuesday 10:00.");
  await agent.getByRole("button", { name: "Log call-back", exact: true }).click();
  await agent.locator(".thread .msg.outbound", { hasText: "booked Tuesday" }).waitFor();
  const loggedTask = await api("GET", `/api/v1/conversations/${missedCall.json.callback_conversation_id}`);
  check(loggedTask.json.first_response_at !== null && loggedTask.json.awaiting_agent === false,
        "logging the call-back answers the task");

  // ---- The practice manager's dashboard shows the API's figures.
  const today = new Date();
  // Today in the practice's time zone (the figures' days), not the machine's.
  const zone = (await lead("GET", "/api/v1/reports/kpis?from=2026-01-01&to=2026-01-01")).json.time_zone;
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(today);
  const kpis = await until("the rollup to count the posted calls", async () => {
    const r = await lead("GET", `/api/v1/reports/kpis?from=${day}&to=${day}`);
    return r.status === 200 && r.json.metrics.calls_answered.value >= 1 ? r.json : null;
  });
  await sup.goto(`${CAREDESK_URL}/#/reports`);
  await sup.locator("input[name=from]").fill(day);
  await sup.locator("input[name=to]").fill(day);
  await sup.getByRole("button", { name: "Show" }).click();
  await sup.locator(".kpi[data-metric=calls_answered] .value").waitFor();
  const figures = await sup.locator("[data-metric]").evaluateAll((els) =>
    els.map((e) => [e.getAttribute("data-metric"), e.getAttribute("data-value"), e.querySelector(".value")?.textContent ?? e.textContent]));
  const differ = figures.filter(([name, value]) => {
    const api = name === "backlog_open" ? kpis.backlog.open : kpis.metrics[name]?.value;
    return (api === null ? "" : String(api)) !== value;
  });
  check(figures.length >= 20 && differ.length === 0 && figures.every(([, , text]) => text && text.trim().length > 0),
        `the dashboard shows the API's figures for the day (${figures.length} shown, differing: ${JSON.stringify(differ)})`);
  check((await sup.locator(".kpi[data-metric=calls_answered] .value").textContent()) === String(kpis.metrics.calls_answered.value),
        "a count reads as the API's number");
  await sup.locator(".kpi[data-metric=abandonment_rate] summary").click();
  check((await sup.locator(".kpi[data-metric=abandonment_rate] details p").textContent()) === kpis.metrics.abandonment_rate.definition,
        "each figure shows how it is counted");
  const dailyApi = (await lead("GET", `/api/v1/reports/kpis/daily?from=${day}&to=${day}`)).json;
  const bars = await sup.locator("[data-chart=contacts] rect.chart-bar").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-value"))));
  const expectedBars = dailyApi.days.map((x) => (x.metrics.conversations ?? 0) + (x.metrics.calls_offered ?? 0));
  check(JSON.stringify(bars) === JSON.stringify(expectedBars), `the day-by-day chart draws the API's days (${bars} vs ${expectedBars})`);
  await sup.locator("section[aria-labelledby=trend-title]").screenshot({ path: `${SHOTS}/console-reports-days.png` });
  const waits = await sup.locator("[data-distribution=answer_wait_s] li").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-count"))));
  check(JSON.stringify(waits) === JSON.stringify(kpis.distributions.answer_wait_s.map((b) => b.count)),
        `the distribution of waits is the API's (${waits})`);
  const policies = await sup.locator("table.by-policy tbody tr").evaluateAll((els) =>
    els.map((e) => [Number(e.getAttribute("data-policy")), e.getAttribute("data-attainment")]));
  const policiesApi = kpis.sla_by_policy.map((p) => [p.policy_id, p.attainment === null ? "" : String(p.attainment)]);
  check(policiesApi.length >= 1 && JSON.stringify(policies) === JSON.stringify(policiesApi),
        `SLA attainment per policy is the API's (${JSON.stringify(policies)})`);
  await until("the SLA policies among the cuts", async () => (await sup.locator("select[name=cut] option[value='policy=0']").count()) === 1);
  await sup.locator("select[name=cut]").selectOption("policy=0");
  await sup.getByRole("button", { name: "Show" }).click();
  const heldDefault = (await lead("GET", `/api/v1/reports/kpis?from=${day}&to=${day}&policy=0`)).json;
  await until("the figures of the default policy", async () =>
    (await sup.locator(".kpi[data-metric=conversations]").getAttribute("data-value")) === String(heldDefault.metrics.conversations.value) &&
    (await sup.locator("table.by-policy tbody tr").count()) === heldDefault.sla_by_policy.length);
  check(heldDefault.sla_by_policy.every((p) => p.policy_id === 0), "cut by a policy, the figures and the table are that policy's");
  await sup.locator("select[name=cut]").selectOption("");
  await sup.getByRole("button", { name: "Show" }).click();
  await sup.locator(".kpi[data-metric=calls_answered] a.csv").waitFor();
  check((await seriousViolations(sup)).length === 0, "axe: no serious violation on the reports page");
  const [download] = await Promise.all([
    sup.waitForEvent("download"),
    sup.locator(".kpi[data-metric=calls_answered] a.csv").click(),
  ]);
  const rows = (await fs.readFile(await download.path(), "utf8")).trim().split("\r\n");
  check(rows.length === 1 + kpis.metrics.calls_answered.count && rows[0].startsWith("kind,id,") && rows.slice(1).every((r) => r.includes(",answered,")),
        `a figure's rows download as CSV, one per call (${rows.length - 1} rows)`);
  await sup.screenshot({ path: `${SHOTS}/console-reports.png`, fullPage: true });

  // ---- The staffing advisor: last week's calls make this week's plan, shown as the API says.
  const lastWeek = started - 7 * 86400000;
  for (let i = 0; i < 6; i++) {
    const at = lastWeek + i * 60000;
    const r = await api("POST", "/api/v1/calls", {
      call_id: `web-plan-${i}`, queue: "front-desk", outcome: "answered",
      entered_at: iso(at), answered_at: iso(at + 8000), ended_at: iso(at + 248000),
    });
    check(r.status === 201, `last week's call ${i} is posted (${r.status})`);
  }
  const plan = (await lead("GET", "/api/v1/staffing")).json;
  await sup.goto(`${CAREDESK_URL}/#/staffing`);
  await sup.locator("input[name=week]").fill(plan.week);
  await sup.getByRole("button", { name: "Show" }).click();
  await sup.locator("table.heatmap td[data-need]").first().waitFor();
  const cells = await sup.locator("table.heatmap td[data-need]").evaluateAll((els) =>
    els.map((e) => [`${e.getAttribute("data-day")} ${e.getAttribute("data-time")}`, e.getAttribute("data-need"), e.getAttribute("data-staffed")]));
  const heat = new Map(cells.map(([slot, need, staffed]) => [slot, [need, staffed]]));
  const planned = plan.slots.filter((x) => x.agents_on_queue > 0 || (x.staffed ?? 0) > 0);
  const mismatched = planned.filter((x) => {
    const c = heat.get(`${x.day} ${x.time}`);
    return !c || c[0] !== String(x.agents_on_queue) || c[1] !== (x.staffed === null ? "" : String(x.staffed));
  });
  check(planned.length >= 1 && planned.some((x) => x.phone.contacts > 0) && mismatched.length === 0,
        `the heat map shows the plan's agents per half-hour (${planned.length} half-hours, differing: ${JSON.stringify(mismatched.map((x) => x.time))})`);
  const alertTexts = await sup.locator("ul.alerts li").allTextContents();
  check(JSON.stringify(alertTexts) === JSON.stringify(plan.alerts.map((a) => a.message)),
        `the plan's alerts are listed (${alertTexts.join(" | ")})`);
  check((await seriousViolations(sup)).length === 0, "axe: no serious violation on the staffing page");
  await sup.screenshot({ path: `${SHOTS}/console-staffing.png`, fullPage: true });

  // ---- Wellbeing: an agent whose day has been mostly escalations is nudged to take a break,
  // and their supervisor sees it.
  const before = (await api("GET", "/api/v1/me/wellbeing")).json;
  const heavy = Math.max(4 - before.distressing_today, before.handled_today - 2 * before.distressing_today + 1, 0);
  for (let i = 0; i < heavy; i++) {
    const m = await api("POST", "/api/v1/messages", { channel: "sms", from: `+1312555030${i}`, text: "Please call me, it is getting worse" });
    const c = m.json.conversation_id;
    const replied = await api("POST", `/api/v1/conversations/${c}/replies`, { text: "I am getting a nurse for you now." });
    const tagged = await api("POST", `/api/v1/conversations/${c}/tags`, { tags: ["escalated"] });
    check(m.status === 201 && replied.status === 201 && tagged.status === 200, `escalated conversation ${i} (${m.status}, ${replied.status}, ${tagged.status})`);
  }
  const heavyDay = await until("the rollup to count the escalated conversations", async () => {
    const w = (await api("GET", "/api/v1/me/wellbeing")).json;
    return w.break_suggested ? w : null;
  });
  await agent.reload();
  const nudge = agent.locator(".nudge");
  await nudge.waitFor();
  check((await nudge.locator("p").textContent()).startsWith("Today has been heavy"),
        `the agent is nudged to take a break (${heavyDay.concerns.join("; ")})`);
  await sup.goto(`${CAREDESK_URL}/#/supervisor`);
  const teamRow = sup.locator(`table.wellbeing tr[data-user='${heavyDay.user_id}']`);
  await teamRow.waitFor();
  check((await teamRow.getAttribute("class")) === "needs-break" && (await teamRow.locator(".concerns").textContent()).includes("escalated or urgent"),
        "the supervisor sees who needs a break, and why");
  check((await seriousViolations(sup)).length === 0, "axe: no serious violation on the supervisor's view with wellbeing");
  await nudge.getByRole("button", { name: "Take a break" }).click();
  await nudge.waitFor({ state: "detached" });
  check((await api("GET", "/api/v1/me/presence")).json.status === "on_break" && (await agent.locator("select.presence").inputValue()) === "on_break",
        "taking the break sets the agent's status");

  // ---- The practice's targets and thresholds are set in the console.
  await sup.goto(`${CAREDESK_URL}/#/settings`);
  const targets = sup.locator("form[aria-labelledby=set-reports]");
  const breakAfter = targets.getByLabel("Suggest a break after working (minutes)");
  await breakAfter.waitFor();
  check((await breakAfter.inputValue()) === "120", "the form shows the practice's thresholds");
  await breakAfter.fill("5");
  await targets.getByRole("button", { name: "Save" }).click();
  await until("the refusal", async () => (await targets.locator(".result").textContent()).includes("break_after_minutes must be"));
  check((await breakAfter.getAttribute("aria-invalid")) === "true", "an out-of-range threshold is refused and its field marked");
  await breakAfter.fill("90");
  await targets.getByLabel("Shrinkage: paid time off the queue (0 to 0.9)").fill("0.25");
  await targets.getByRole("button", { name: "Save" }).click();
  await until("the save", async () => (await targets.locator(".result").textContent()) === "Saved.");
  const savedTargets = (await lead("GET", "/api/v1/settings/reports")).json;
  check(savedTargets.break_after_minutes === 90 && savedTargets.shrinkage === 0.25 && savedTargets.backlog_healthy === 50,
        "the thresholds are saved, the rest kept");

  // ---- The wallboard shows today's figures as the API gives them.
  await sup.goto(`${CAREDESK_URL}/#/wallboard`);
  await sup.locator("[data-tile=backlog] .tile-value").waitFor();
  const board = (await lead("GET", `/api/v1/reports/kpis?from=${day}&to=${day}`)).json;
  const liveNow = (await lead("GET", "/api/v1/chats/live")).json;
  const waitingNow = liveNow.queues.reduce((n, q) => n + q.waiting.length, 0);
  check((await sup.locator("[data-tile=backlog] .tile-value").textContent()) === String(board.backlog.open) &&
        (await sup.locator("[data-tile=chats_waiting] .tile-value").textContent()) === String(waitingNow) &&
        (await sup.locator("[data-tile=agents] .tile-value").textContent()) === String(liveNow.agents.filter((a) => a.status === "available").length),
        `the wallboard shows the backlog (${board.backlog.open}), waiting chats (${waitingNow}) and available agents`);
  check((await sup.locator(".tile").count()) === 8, "the wallboard has its eight tiles");
  check((await seriousViolations(sup)).length === 0, "axe: no serious violation on the wallboard");
  await sup.screenshot({ path: `${SHOTS}/console-wallboard.png`, fullPage: true });

  // ---- (7b) Nobody is online: the widget says so, takes a number, the inbox shows the question
  // with its response-time target.
  await agent.locator("select.presence").selectOption("offline");
  await until("the agent to be offline", async () => (await api("GET", "/api/v1/me/presence")).json.status === "offline");
  const lateContext = await browser.newContext({ locale: "en-US", viewport: { width: 1000, height: 760 } });
  const late = await lateContext.newPage();
  await late.goto(HOST_URL);
  await late.locator("caredesk-chat .launcher").click();
  await until("the widget to say nobody can chat", async () =>
    (await late.locator("caredesk-chat .status").textContent())?.includes("Nobody can chat right now"));
  await late.locator("caredesk-chat textarea").fill("Can I renew my inhaler prescription?");
  await late.keyboard.press("Enter");
  await late.locator("caredesk-chat #cd-phone").fill("(312) 555-0166");
  await late.locator("caredesk-chat .contact button").click();
  await until("the thank-you", async () =>
    (await late.locator("caredesk-chat .status").textContent())?.includes("Thank you"));
  await agent.goto(`${AGENT_URL}/#/inbox`);
  await agent.locator("input[type=search][aria-label='Search conversations']").fill("inhaler");
  await until("the search to find one conversation", async () =>
    (await agent.locator(".count").textContent()) === "1 conversation");
  const followUp = agent.locator(".rows li");
  check((await followUp.locator(".chan").textContent()) === "Chat" && /left$/.test(await followUp.locator(".sla").textContent()) &&
        (await followUp.locator(".dot").count()) === 1,
        "nobody online: the question is in the console's inbox, new, with its SLA countdown");
  await lateContext.close();

  // ---- Automatic logoff: a warning a minute before the idle time, then signed out.
  await agent.clock.install();
  await agent.clock.fastForward("14:10");
  await agent.locator("dialog", { hasText: "Still there?" }).waitFor();
  await agent.getByRole("button", { name: "Stay signed in" }).click();
  await agent.locator("dialog").waitFor({ state: "detached" });
  check(true, "after 14 minutes without input the console warns, and input keeps it open");
  await agent.clock.fastForward("15:01");
  await agent.locator("form.signin .error", { hasText: "signed out after a time without activity" }).waitFor();
  check((await api("GET", "/api/v1/me/presence")).json.status === "offline",
        "15 minutes without input sign the agent out and set them offline");

  check(pageErrors.length === 0, `no script errors in the console (${pageErrors.join("; ")})`);
  await patientContext.close();
  await patient2Context.close();
  await leadContext.close();
  await agentContext.close();
} catch (e) {
  fail(e);
  // What each page showed when it failed, to see why.
  let i = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) await page.screenshot({ path: `${SHOTS}/console-failure-${i++}.png` }).catch(() => {});
  }
} finally {
  await browser.close();
  proxy.close();
}
console.log(failures === 0 ? "console tests: all passed" : `console tests: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
