// The chat widget in a real browser (Debian's chromium driven by playwright-core), against a
// real caredesk server, embedded in a practice's page on another origin whose CSS is hostile.
// scripts/browser-test.sh starts the server and the host page and sets:
//   CAREDESK_URL   the server (http://127.0.0.1:PORT)
//   HOST_URL       the practice's page that loads /widget.js
//   STAFF_TOKEN    an agent's API token in tenant "web" (business hours: always)
//   ADMIN_TOKEN    an admin's, for the practice's settings (its locations)
//   SHOTS          where screenshots go
// The agent's side is driven through the API here; console.mjs has the agent in the console.
// Exit status 0 when every check passes.
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { apiAs, check, fail, failures, launchOptions, seriousViolations as violationsIn, until } from "./lib.mjs";

const { CAREDESK_URL, HOST_URL, STAFF_TOKEN, ADMIN_TOKEN, SHOTS = "test-results" } = process.env;
mkdirSync(SHOTS, { recursive: true });
const api = apiAs(CAREDESK_URL, STAFF_TOKEN);
// The widget only: the host page's own problems are the practice's.
const seriousViolations = (page) => violationsIn(page, "caredesk-chat");

const browser = await chromium.launch(launchOptions());
try {
  // ---- (a) A patient writes from the practice's page; the agent answers; the patient sees it.
  check((await api("PUT", "/api/v1/me/presence", { status: "available", max_chats: 3 })).status === 200,
        "the agent is available");
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(HOST_URL);
  const launcher = page.locator("caredesk-chat .launcher");
  await launcher.waitFor();
  // The page's hostile CSS (huge red text, hidden divs, lime buttons) does not reach inside.
  const style = await launcher.evaluate((b) => {
    const s = getComputedStyle(b);
    return { font: s.fontSize, bg: s.backgroundColor, display: s.display };
  });
  check(style.font === "15px" && style.bg === "rgb(11, 87, 208)" && style.display === "block",
        `the page's CSS does not reach the widget (${JSON.stringify(style)})`);
  const hostFont = await page.evaluate(() => getComputedStyle(document.querySelector("p")).fontSize);
  check(hostFont === "40px", "the widget's CSS does not reach the page");
  await launcher.click();
  await until("the status to say someone is there", async () =>
    (await page.locator("caredesk-chat .status").textContent())?.includes("Someone is here"));
  await page.screenshot({ path: `${SHOTS}/widget-open.png` });
  check((await seriousViolations(page)).length === 0, "axe: no serious violation in the open widget");

  // Keyboard only: type and press Enter.
  await page.locator("caredesk-chat textarea").fill("Hello, can I get a flu shot this week?");
  await page.keyboard.press("Enter");
  const offer = await until("the agent's offer", async () => {
    const mine = await api("GET", "/api/v1/me/chats");
    return mine.json.offered[0];
  });
  check((await api("POST", `/api/v1/chats/${offer.chat_id}/accept`)).status === 200, "the agent accepts");
  await until("the widget to name the agent", async () =>
    (await page.locator("caredesk-chat .status").textContent())?.includes("You are chatting with"));
  check((await api("POST", `/api/v1/conversations/${offer.conversation_id}/replies`,
                   { text: "Yes! Walk-ins are welcome until noon." })).status === 201, "the agent replies");
  await page.locator("caredesk-chat .msg.practice", { hasText: "Walk-ins are welcome" }).waitFor();
  check(true, "the patient sees the reply");
  // The agent has read the patient's message: the widget says so.
  const detail = await api("GET", `/api/v1/conversations/${offer.conversation_id}`);
  const asked = detail.json.messages.find((m) => m.kind === "inbound");
  check((await api("POST", `/api/v1/chats/${offer.chat_id}/seen`, { message_id: asked.id })).status === 200,
        "the agent's console reports what they read");
  await page.locator("caredesk-chat .msg.patient .state", { hasText: "Read" }).waitFor();
  check(true, "the patient sees their message was read");

  // A photo and a PDF go into the chat; a program does not, and the patient is told why.
  const png = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), Buffer.alloc(1500, 7)]);
  await page.locator("caredesk-chat input[type=file]").setInputFiles({ name: "rash.png", mimeType: "image/png", buffer: png });
  await page.locator("caredesk-chat .msg.patient:not(.pending)", { hasText: "rash.png" }).waitFor();
  await page.locator("caredesk-chat input[type=file]").setInputFiles({ name: "referral.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n%%EOF\n") });
  await page.locator("caredesk-chat .msg.patient:not(.pending)", { hasText: "referral.pdf" }).waitFor();
  const files = (await api("GET", `/api/v1/conversations/${offer.conversation_id}`)).json.messages.flatMap((m) => m.attachments);
  check(files.length === 2 && files[0].content_type === "image/png" && files[0].size === png.length &&
        files[1].content_type === "application/pdf", `the agent gets the photo and the PDF (${JSON.stringify(files)})`);
  await page.locator("caredesk-chat input[type=file]").setInputFiles({ name: "setup.exe", mimeType: "application/octet-stream", buffer: Buffer.from("MZ\x90\x00") });
  await page.locator("caredesk-chat [role=status]", { hasText: "Only photos and PDF files can be sent." }).waitFor();
  check(true, "a program is refused with a reason the patient understands");

  // A copy of the chat by email.
  await page.locator("caredesk-chat button", { hasText: "Email me this chat" }).click();
  await page.locator("caredesk-chat #cd-copy").fill("pat@example.org");
  await page.locator("caredesk-chat button", { hasText: "Send me a copy" }).click();
  await page.locator("caredesk-chat [role=status]", { hasText: "A copy is on its way to" }).waitFor();
  const events = (await api("GET", `/api/v1/conversations/${offer.conversation_id}`)).json.events.map((e) => e.type);
  check(events.includes("chat_transcript_sent"), "the patient asks for the transcript and it is queued to their address");
  await page.screenshot({ path: `${SHOTS}/widget-chat.png` });

  // ---- (c, widget side) The patient's connection drops; two answers go out; it comes back.
  await context.setOffline(true);
  await new Promise((r) => setTimeout(r, 500));
  for (const text of ["First while you were away", "Second while you were away"]) {
    await api("POST", `/api/v1/conversations/${offer.conversation_id}/replies`, { text });
  }
  await context.setOffline(false);
  // The widget reconnects on its own (its socket closed); after a reload it resumes too.
  await page.reload();
  await page.locator("caredesk-chat .launcher").click();
  await page.locator("caredesk-chat .msg.practice", { hasText: "Second while you were away" }).waitFor();
  const texts = await page.locator("caredesk-chat .msg p").allTextContents();
  const count = (t) => texts.filter((x) => x === t).length;
  check(count("First while you were away") === 1 && count("Second while you were away") === 1 &&
        count("Hello, can I get a flu shot this week?") === 1,
        `after a drop and a reload every message shows exactly once (${texts.length} shown)`);

  // ---- The agent ends the chat; the patient rates it, and the stars are the CSAT answer.
  check((await api("POST", `/api/v1/chats/${offer.chat_id}/end`)).status === 200, "the agent ends the chat");
  const rating = page.locator("caredesk-chat .rating");
  await rating.waitFor();
  check((await seriousViolations(page)).length === 0, "axe: no serious violation with the rating shown");
  await page.locator("caredesk-chat .star[data-score='4']").click();
  await page.locator("caredesk-chat [role=status]", { hasText: "Thank you for telling us." }).waitFor();
  const rated = (await api("GET", `/api/v1/conversations/${offer.conversation_id}`)).json.events
    .filter((e) => e.type === "survey_answered");
  check(rated.length === 1 && (await rating.isHidden()), "the patient rates the ended chat once, 4 of 5, and the stars go away");
  check(pageErrors.length === 0, `no script errors on the page (${pageErrors.join("; ")})`);
  await context.close();

  // ---- (b) Nobody is online: the widget says so and takes a number; the inbox gets it.
  check((await api("PUT", "/api/v1/me/presence", { status: "offline" })).status === 200, "the agent goes offline");
  const spanish = await browser.newContext({ locale: "es-MX", viewport: { width: 1100, height: 760 } });
  const page2 = await spanish.newPage();
  await page2.goto(HOST_URL);
  await page2.locator("caredesk-chat .launcher").click();
  await until("the widget to say nobody is there, in Spanish", async () =>
    (await page2.locator("caredesk-chat .status").textContent())?.includes("Nadie puede chatear"));
  check(true, "offline, said in the browser's language");
  await page2.locator("caredesk-chat textarea").fill("¿Está lista mi receta?");
  await page2.locator("caredesk-chat .send").click();
  await page2.locator("caredesk-chat .contact").waitFor();
  await page2.locator("caredesk-chat #cd-phone").fill("(312) 555-0147");
  await page2.locator("caredesk-chat .contact button").click();
  await until("the thank-you", async () =>
    (await page2.locator("caredesk-chat .status").textContent())?.includes("Gracias"));
  await page2.screenshot({ path: `${SHOTS}/widget-offline-es.png` });
  const inbox = await api("GET", "/api/v1/conversations?channel=chat&status=open&limit=50");
  const followUp = inbox.json.items.find((c) => c.sla && c.sla.due_at && c.id !== offer.conversation_id);
  check(!!followUp, "the question is an open conversation with an SLA deadline in the inbox");
  check((await seriousViolations(page2)).length === 0, "axe: no serious violation in the offline widget");
  // Switching the language by hand.
  await page2.locator("caredesk-chat select").selectOption("en");
  await until("English", async () =>
    (await page2.locator("caredesk-chat .launcher").textContent()) === "Chat with us");
  check(true, "the language can be switched");
  await spanish.close();

  // ---- (d) The chat window on one location's page (data-location on the script tag): its
  // chats count under that location.
  const admin = apiAs(CAREDESK_URL, ADMIN_TOKEN);
  const placed = await admin("POST", "/api/v1/locations", { name: "Northside" });
  check(placed.status === 201, "the admin adds a location");
  const north = await browser.newContext({ locale: "en-US", viewport: { width: 1100, height: 760 } });
  const page3 = await north.newPage();
  await page3.goto(`${HOST_URL}?location=${placed.json.id}`); // the host page's tag says so
  check(
    (await page3.locator("script[data-location]").getAttribute("data-location")) === String(placed.json.id),
    "the location's page names it on the script tag",
  );
  await page3.locator("caredesk-chat .launcher").click();
  await page3.locator("caredesk-chat textarea").fill("Is the north office open on Saturday?");
  await page3.locator("caredesk-chat .send").click();
  const there = await until("a chat for Northside in the inbox", async () => {
    const list = await api("GET", "/api/v1/conversations?channel=chat&limit=50");
    return list.json.items.find((c) => c.location_id === placed.json.id);
  });
  check(!!there, "a chat from the location's page is that location's");
  await north.close();
} catch (e) {
  fail(e);
} finally {
  await browser.close();
}
console.log(failures === 0 ? "browser tests: all passed" : `browser tests: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
