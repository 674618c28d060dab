// What every screen of the console shares: who is signed in, the practice's people and
// queues, the live connection, and the chats offered to or held by this agent.
import type { Live } from "./live";
import type { Canned, Chat, Location, Me, User } from "./types";

export interface App {
  me: Me;
  users: Map<number, User>;
  queues: string[];
  locations: Location[];
  practiceHours: string;
  canned: Canned[];
  live: Live;
  myChats: { offered: Chat[]; active: Chat[] };
  isLead: boolean;
  isAdmin: boolean;
  go(hash: string): void;
  refreshInbox(): void;
  refreshChats(): Promise<void>;
  toast(text: string, kind?: "error" | "info"): void;
}

export function userName(app: App, id: number | null | undefined): string {
  if (!id) return "nobody";
  if (id === app.me.user_id) return "you";
  return app.users.get(id)?.display_name ?? `user ${id}`;
}

// Per agent and browser: the newest message time seen in each conversation, so the inbox can
// mark what changed since the agent last looked (kept in this browser; no PHI in it).
export class SeenMarks {
  private marks: Record<string, string> = {};
  constructor(private readonly key: string) {
    try {
      this.marks = JSON.parse(localStorage.getItem(key) ?? "{}") as Record<string, string>;
    } catch {
      this.marks = {};
    }
  }
  unread(id: number, lastMessageAt: string): boolean {
    const seen = this.marks[id];
    return !seen || seen < lastMessageAt;
  }
  see(id: number, lastMessageAt: string): void {
    if (this.marks[id] && this.marks[id] >= lastMessageAt) return;
    this.marks[id] = lastMessageAt;
    const ids = Object.keys(this.marks);
    if (ids.length > 2000) delete this.marks[ids[0]];
    localStorage.setItem(this.key, JSON.stringify(this.marks));
  }
}
