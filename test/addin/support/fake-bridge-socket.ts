/** A scripted WebSocket for BridgeClient unit tests: the test plays the bridge. */
import type { WebSocketLike } from '../../../addin/src/core/bridge-client.js';

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
  // --- the bridge side
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  ops(op: string): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.op === op);
  }
}

export class SocketFactory {
  sockets: FakeSocket[] = [];
  create = (url: string): FakeSocket => {
    const s = new FakeSocket(url);
    this.sockets.push(s);
    return s;
  };
  get last(): FakeSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error('no socket yet');
    return s;
  }
  /** Opens the last socket, answers auth with ready. */
  connect(role = 'admin'): FakeSocket {
    const s = this.last;
    s.open();
    s.push({ op: 'ready', role });
    return s;
  }
}
