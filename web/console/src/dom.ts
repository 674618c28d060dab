// Building the page: every text goes in as text (never as HTML), so a patient's message or name
// cannot inject markup into the console.
type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === "value" && "value" in node) {
      (node as HTMLInputElement).value = String(value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node: Node, children: (Child | Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else if (child !== null && child !== undefined && child !== false) {
      node.appendChild(document.createTextNode(String(child)));
    }
  }
}

export function replace(node: Element, ...children: (Child | Child[])[]): void {
  node.replaceChildren();
  append(node, children);
}

// Announces `text` to screen readers through the page's polite live region.
export function announce(text: string): void {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => (region.textContent = text), 50);
}

// Runs `refresh` now, every `ms` and at every chat change the server pushes, for as long as
// `node` is on the page (a view replaced by another stops refreshing by itself).
export function refreshWhileShown(node: Node, ms: number, refresh: () => Promise<void>): void {
  const shown = (): boolean => document.contains(node);
  const onChats = (): void => {
    if (shown()) void refresh();
  };
  const timer = window.setInterval(() => {
    if (!shown()) {
      window.clearInterval(timer);
      document.removeEventListener("caredesk:chats", onChats);
      return;
    }
    void refresh();
  }, ms);
  document.addEventListener("caredesk:chats", onChats);
  void refresh();
}
