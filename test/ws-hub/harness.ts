/** Real HTTP server + hub + ws clients on loopback, for the hub tests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { WsServerMessage } from '../../common/types.js';
import { WsHub, type WsAuditEntry, type WsHubDeps } from '../../bridge/api/ws-hub.js';

export const TOKENS: Record<string, { role: 'viewer' | 'trader' | 'admin'; tokenId: string }> = {
  'secret-viewer': { role: 'viewer', tokenId: 'tok-v' },
  'secret-admin': { role: 'admin', tokenId: 'tok-a' },
};
export const GOOD_ORIGIN = 'https://localhost:3000';

export interface Harness {
  hub: WsHub;
  server: Server;
  url: string;
  audit: WsAuditEntry[];
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<WsHubDeps> = {}): Promise<Harness> {
  const audit: WsAuditEntry[] = [];
  const hub = new WsHub({
    authenticate: (token) => TOKENS[token] ?? null,
    allowedOrigins: (origin) => origin === undefined || origin === GOOD_ORIGIN,
    maxClients: 20,
    maxMessageBytes: 4096,
    maxBufferedBytes: 256 * 1024,
    authTimeoutMs: 2000,
    onAudit: (entry) => audit.push(entry),
    ...overrides,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    server,
    url: `ws://127.0.0.1:${port}/ws`,
    audit,
    async close() {
      await hub.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A ws client that records every message and lets a test await the next ones. */
export class TestClient {
  readonly messages: WsServerMessage[] = [];
  closeCode: number | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as WsServerMessage);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Opens with the viewer token sent as the first message and waits for `ready`. */
  static async authed(url: string): Promise<TestClient> {
    const client = await TestClient.open(url);
    client.send({ op: 'auth', token: 'secret-viewer' });
    await client.waitFor((m) => m.op === 'ready');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first message (from `from` on) matching `pred`. */
  async waitFor(pred: (m: WsServerMessage) => boolean, from = 0, timeoutMs = 5000): Promise<WsServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(pred);
      if (found !== undefined) return found;
      if (this.closeCode !== undefined) throw new Error(`closed (${this.closeCode}) before the expected message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages.slice(from)).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitCount(count: number, pred: (m: WsServerMessage) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.filter(pred).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out with ${this.messages.filter(pred).length}/${count}`);
      await this.waitFor(() => true, this.messages.length, Math.max(1, deadline - Date.now())).catch(() => undefined);
    }
  }

  waitClose(): Promise<number> {
    return this.closed;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Status code of a refused upgrade. */
export function refusedStatus(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('upgrade unexpectedly accepted')));
    ws.on('error', () => undefined);
  });
}
