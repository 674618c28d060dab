// Automatic logoff (HIPAA 164.312(a)(2)(iii)): after the server's idle time with no keyboard,
// pointer or touch input, the console signs out, so a workstation left alone does not stay
// open on patients' messages. A minute before, it warns and offers to stay. The console's own
// background calls (heartbeat, live updates) are not input and do not count.
export type IdleState = "active" | "warning" | "expired";

export class IdleGuard {
  private last: number;
  constructor(
    private readonly limitMs: number,
    private readonly now: () => number,
    private readonly warnMs = 60000,
  ) {
    this.last = now();
  }
  touch(): void {
    this.last = this.now();
  }
  state(): IdleState {
    const idle = this.now() - this.last;
    if (idle >= this.limitMs) return "expired";
    if (idle >= this.limitMs - Math.min(this.warnMs, this.limitMs / 2)) return "warning";
    return "active";
  }
  secondsLeft(): number {
    return Math.max(0, Math.ceil((this.limitMs - (this.now() - this.last)) / 1000));
  }
}
