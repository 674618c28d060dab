// The console's WebSocket (/api/v1/ws, signed in by the session cookie): frames as they come,
// and a reconnect with growing delay when the connection drops. After a reconnect the console
// fetches again what it shows (the server keeps no per-connection backlog), so a message sent
// while the connection was down is shown once, from the fetch, and never lost.
export type Frame = { type: string; [key: string]: unknown };

export class Live {
  private socket: WebSocket | null = null;
  private delay = 500;
  private timer = 0;
  private everConnected = false;
  private stopped = false;
  connected = false;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly onState: (connected: boolean, reconnected: boolean) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
  }

  send(frame: Frame): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private open(): void {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws`, "caredesk.v1");
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 500;
      this.connected = true;
      this.onState(true, this.everConnected);
      this.everConnected = true;
    };
    socket.onmessage = (e) => {
      try {
        const frame = JSON.parse(String(e.data)) as Frame;
        if (frame && typeof frame.type === "string") this.onFrame(frame);
      } catch {
        // not a frame of ours; ignore
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.connected) this.onState(false, false);
      this.connected = false;
      if (this.stopped) return;
      this.timer = window.setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }
}
