// Canned responses: the practice's shared replies with variables, filled in the composer so
// the agent reads and can edit the text before it goes. A variable that has no value (a
// patient with no name on file) stays visible and is reported, so nothing goes out as
// "Hello {{first_name}}".
export const VARIABLES = ["first_name", "practice_name", "agent_name", "location_hours"] as const;
export type Variable = (typeof VARIABLES)[number];

export interface Filled {
  text: string;
  missing: string[];
}

export function fill(template: string, values: Partial<Record<Variable, string>>): Filled {
  const missing: string[] = [];
  const text = template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) => {
    const value = values[name as Variable];
    if (value) return value;
    if (!missing.includes(name)) missing.push(name);
    return whole;
  });
  return { text, missing };
}

export function unfilled(text: string): string[] {
  return Array.from(text.matchAll(/\{\{\s*([a-z_]+)\s*\}\}/g), (m) => m[1]);
}

const DAYS: Record<string, string> = {
  sun: "Sun",
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
};

function time(t: string): string {
  return t.replace(/^0(\d)/, "$1");
}

// "mon-fri 08:00-17:00; sat 09:00-12:00" (the server's business-hours form) as a patient reads
// it: "Mon–Fri 8:00–17:00, Sat 9:00–12:00". "always" is "open around the clock".
export function readableHours(spec: string): string {
  const s = spec.trim();
  if (!s) return "";
  if (s === "always") return "open around the clock";
  return s
    .split(";")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [days, ...spans] = part.split(/\s+/);
      const dayText = days
        .split(",")
        .map((d) =>
          d
            .split("-")
            .map((x) => DAYS[x] ?? x)
            .join("–"),
        )
        .join(", ");
      const spanText = spans
        .join("")
        .split(",")
        .map((span) =>
          span
            .split("-")
            .map(time)
            .join("–"),
        )
        .join(", ");
      return `${dayText} ${spanText}`;
    })
    .join(", ");
}

export function firstName(fullName: string): string {
  return fullName.trim().split(/\s+/)[0] ?? "";
}
