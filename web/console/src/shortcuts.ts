// Keyboard shortcuts for what agents do all day. Single keys act only when no text field has
// the focus; Ctrl+Enter sends from the composer and Escape leaves a field.
import { h } from "./dom";
import type { App } from "./state";

const HELP: [string, string][] = [
  ["j / k", "next / previous conversation"],
  ["r", "reply"],
  ["n", "internal note"],
  ["a", "assign to me"],
  ["e", "resolve (or reopen)"],
  ["/", "search the inbox"],
  ["Alt+A", "accept the chat offered to you"],
  ["Ctrl+Enter", "send"],
  ["Escape", "leave the text field"],
  ["g then i / n / s", "inbox / new message / supervisor"],
  ["?", "this list"],
];

export function shortcutHelp(): void {
  const dialog = h(
    "dialog",
    { "aria-labelledby": "keys-title" },
    h("h2", { id: "keys-title" }, "Keyboard shortcuts"),
    h("dl", { class: "keys" }, HELP.flatMap(([k, d]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, d)])),
    h("form", { method: "dialog" }, h("button", { type: "submit", class: "primary" }, "Close")),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
}

interface Keyed {
  inboxMove(step: number): void;
  inboxSearch(): void;
  conversationKey(key: "r" | "n" | "a" | "e"): void;
}

export function installShortcuts(app: App & Keyed): void {
  let pendingG = false;
  document.addEventListener("keydown", (e) => {
    const target = e.target as HTMLElement;
    const typing = target.closest("input, textarea, select, [contenteditable]") !== null;
    if (e.key === "Escape" && typing) {
      target.blur();
      return;
    }
    if (e.altKey && (e.key === "a" || e.key === "A")) {
      const accept = document.querySelector<HTMLButtonElement>(".offer button.primary");
      if (accept) {
        e.preventDefault();
        accept.click();
      }
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
    if (pendingG) {
      pendingG = false;
      const to = { i: "#/inbox", n: "#/new", s: "#/supervisor" }[e.key];
      if (to) {
        e.preventDefault();
        app.go(to);
      }
      return;
    }
    switch (e.key) {
      case "g":
        pendingG = true;
        window.setTimeout(() => (pendingG = false), 1500);
        return;
      case "j":
        app.inboxMove(1);
        break;
      case "k":
        app.inboxMove(-1);
        break;
      case "/":
        app.inboxSearch();
        break;
      case "r":
      case "n":
      case "a":
      case "e":
        app.conversationKey(e.key);
        break;
      case "?":
        shortcutHelp();
        break;
      default:
        return;
    }
    e.preventDefault();
  });
}
