/** Start a real bridge on an ephemeral port, and talk to it over HTTP and WebSocket like a user would. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startBridge, type BridgeOptions, type RunningBridge } from '../../bridge/app.js';
import type { WsServerMessage } from '../../common/types.js';

export { eventually } from './wait.js';

export interface TestBridge extends RunningBridge {
  dataDir: string;
  api<T = any>(method: string, urlPath: string, body?: unknown, token?: string | null): Promise<{ status: number; body: T }>;
  restart(): Promise<TestBridge>;
  dispose(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'blackbox-test-'));
}

export async function startTestBridge(opts: Partial<BridgeOptions> = {}, dataDir = tempDataDir()): Promise<TestBridge> {
  const b = await startBridge({ port: 0, seed: 7, simTickMs: 20, quiet: true, ...opts, dataDir });
  const api: TestBridge['api'] = async (method, urlPath, body, token) => {
    const headers: Record<string, string> = {};
    const t = token === undefined ? b.token : token;
    if (t !== null) headers.authorization = `Bearer ${t}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(`${b.url}${urlPath}`, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const tb: TestBridge = {
    ...b,
    dataDir,
    api,
    restart: async () => {
      await b.close();
      return startTestBridge(opts, dataDir);
    },
    dispose: async () => {
      await b.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return tb;
}

/** A WebSocket client that authenticates, subscribes and records every message. */
export class WsProbe {
  readonly messages: WsServerMessage[] = [];
  private waiters: Array<{ pred: (m: WsServerMessage) => boolean; resolve: (m: WsServerMessage) => void }> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as WsServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async open(b: { url: string; token: string }, channels: string[]): Promise<WsProbe> {
    const ws = new WebSocket(b.url.replace(/^http/, 'ws') + '/ws');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const probe = new WsProbe(ws);
    ws.send(JSON.stringify({ op: 'auth', token: b.token }));
    await probe.waitFor((m) => m.op === 'ready');
    ws.send(JSON.stringify({ op: 'subscribe', channels }));
    return probe;
  }

  waitFor(pred: (m: WsServerMessage) => boolean, timeoutMs = 10_000): Promise<WsServerMessage> {
    const found = this.messages.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a WebSocket message')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}
