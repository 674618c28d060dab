// Small SVG charts for the reports: a value per day as bars or a line, with optional threshold
// lines, and a distribution as horizontal bars. Drawn with SVG attributes only (the console's
// content security policy allows no inline styles). Each chart is a labelled image whose bars
// and points carry their values (data-value), so what is drawn can be checked.
const SVG = "http://www.w3.org/2000/svg";

function el(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

export interface Series {
  days: string[];
  values: (number | null)[];
  format: (v: number) => string;
  kind: "bar" | "line";
  thresholds?: { value: number; label: string }[];
  max?: number;  // the top of the scale (default: the largest value or threshold)
}

const W = 420, H = 170, LEFT = 52, BOTTOM = 22, TOP = 10;

export function dayChart(id: string, title: string, s: Series): HTMLElement {
  const known = s.values.filter((v): v is number => v !== null);
  const top = s.max ?? Math.max(1e-9, ...known, ...(s.thresholds ?? []).map((t) => t.value));
  const n = Math.max(1, s.days.length);
  const step = (W - LEFT) / n;
  const y = (v: number): number => TOP + (H - TOP - BOTTOM) * (1 - v / top);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-labelledby": `${id}-t ${id}-d` });
  const last = known.length ? s.format(known[known.length - 1]) : "none";
  svg.append(
    el("title", { id: `${id}-t` }, title),
    el("desc", { id: `${id}-d` }, `${s.days.length} days from ${s.days[0] ?? ""} to ${s.days[s.days.length - 1] ?? ""}; highest ${known.length ? s.format(Math.max(...known)) : "none"}; last ${last}`),
    el("line", { x1: LEFT, y1: y(0), x2: W, y2: y(0), class: "axis" }),
    el("text", { x: LEFT - 4, y: y(top) + 10, "text-anchor": "end", class: "tick" }, s.format(top)),
    el("text", { x: LEFT - 4, y: y(0), "text-anchor": "end", class: "tick" }, s.format(0)),
    el("text", { x: LEFT, y: H - 4, class: "tick" }, s.days[0] ?? ""),
    el("text", { x: W, y: H - 4, "text-anchor": "end", class: "tick" }, s.days[s.days.length - 1] ?? ""),
  );
  for (const t of s.thresholds ?? []) {
    svg.append(el("line", { x1: LEFT, y1: y(t.value), x2: W, y2: y(t.value), class: "threshold" }),
      el("text", { x: W - 2, y: y(t.value) < TOP + 14 ? y(t.value) + 13 : y(t.value) - 3, "text-anchor": "end", class: "tick" }, t.label));
  }
  const points: string[] = [];
  s.values.forEach((v, i) => {
    if (v === null) return;
    const x = LEFT + step * i;
    if (s.kind === "bar") {
      svg.append(el("rect", { x: x + step * 0.15, y: y(v), width: Math.max(1, step * 0.7), height: y(0) - y(v), class: "chart-bar", "data-day": s.days[i], "data-value": v },
        el("title", {}, `${s.days[i]}: ${s.format(v)}`)));
    } else {
      const cx = x + step / 2;
      points.push(`${cx},${y(v)}`);
      svg.append(el("circle", { cx, cy: y(v), r: 2.5, class: "chart-point", "data-day": s.days[i], "data-value": v },
        el("title", {}, `${s.days[i]}: ${s.format(v)}`)));
    }
  });
  if (s.kind === "line" && points.length > 1) svg.prepend(el("polyline", { points: points.join(" "), class: "chart-line" }));
  const figure = document.createElement("figure");
  figure.className = "day-chart";
  figure.setAttribute("data-chart", id);
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  figure.append(caption, svg);
  return figure;
}
