import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeClient, isBridgeError, type BridgeError } from '../../addin/src/core/bridge-client.js';
import { memorySettings } from '../../addin/src/core/settings.js';
import type { OrderView } from '../../common/types.js';
import { SocketFactory } from './support/fake-bridge-socket.js';

function order(id: string, patch: Partial<OrderView> = {}): OrderView {
  return {
    id,
    client: 'CLI1',
    symbol: 'PETR4',
    side: 'buy',
    qty: 100,
    filledQty: 0,
    avgPrice: 0,
    algo: { type: 'full' },
    status: 'working',
    createdAt: '2026-11-26T13:00:00.000Z',
    updatedAt: '2026-11-26T13:00:00.000Z',
    ...patch,
  };
}

describe('BridgeClient WebSocket', () => {
  let f: SocketFactory;
  let client: BridgeClient;
  beforeEach(() => {
    vi.useFakeTimers();
    f = new SocketFactory();
    client = new BridgeClient({
      settings: memorySettings({ url: 'https://localhost:3000', token: 'tok' }),
      createWebSocket: f.create,
      random: () => 0,
    });
  });
  afterEach(() => {
    client.stop();
    vi.useRealTimers();
  });

  it('authenticates first, then subscribes every wanted channel at once', () => {
    client.subscribe('orders', () => {});
    expect(f.last.url).toBe('wss://localhost:3000/ws');
    f.last.open();
    expect(f.last.sent[0]).toEqual({ op: 'auth', token: 'tok' });
    expect(f.last.ops('subscribe')).toHaveLength(0); // not before ready
    f.last.push({ op: 'ready', role: 'trader' });
    expect(client.connection).toMatchObject({ state: 'open', role: 'trader' });
    const sub = f.last.ops('subscribe');
    expect(sub).toHaveLength(1);
    expect(new Set(sub[0]!.channels as string[])).toEqual(new Set(['orders', 'killswitch', 'health']));
  });

  it('materialises orders: snapshot then deltas upserted by id', () => {
    const seen: number[] = [];
    client.subscribe('orders', (v) => seen.push(v.version));
    const s = f.connect();
    s.push({ op: 'snapshot', channel: 'orders', seq: 10, data: [order('A'), order('B')] });
    s.push({ op: 'delta', channel: 'orders', seq: 11, data: order('B', { filledQty: 100, status: 'filled' }) });
    s.push({ op: 'delta', channel: 'orders', seq: 12, data: order('C') });
    const v = client.channel<OrderView[]>('orders');
    expect(v.status).toBe('live');
    expect(v.data!.map((o) => `${o.id}:${o.status}`)).toEqual(['A:working', 'B:filled', 'C:working']);
    expect(seen.length).toBe(3);
  });

  it('asks for a fresh snapshot after a gap and ignores deltas until it arrives', () => {
    client.subscribe('orders', () => {});
    const s = f.connect();
    s.push({ op: 'snapshot', channel: 'orders', seq: 1, data: [order('A')] });
    s.push({ op: 'delta', channel: 'orders', seq: 3, data: order('X') }); // seq 2 missed
    expect(s.ops('snapshot')).toEqual([{ op: 'snapshot', channel: 'orders' }]);
    s.push({ op: 'delta', channel: 'orders', seq: 4, data: order('Y') });
    expect(client.channel<OrderView[]>('orders').data!.map((o) => o.id)).toEqual(['A']);
    s.push({ op: 'snapshot', channel: 'orders', seq: 4, data: [order('A'), order('X'), order('Y')] });
    s.push({ op: 'delta', channel: 'orders', seq: 5, data: order('Z') });
    expect(client.channel<OrderView[]>('orders').data!.map((o) => o.id)).toEqual(['A', 'X', 'Y', 'Z']);
  });

  it('ignores duplicate or late deltas', () => {
    client.subscribe('positions', () => {});
    const s = f.connect();
    s.push({ op: 'snapshot', channel: 'positions', seq: 5, data: { consolidated: [1], byClient: [] } });
    s.push({ op: 'delta', channel: 'positions', seq: 5, data: { consolidated: [2], byClient: [] } });
    expect(client.channel<{ consolidated: number[] }>('positions').data!.consolidated).toEqual([1]);
  });

  it('marks data stale on a drop, reconnects with growing backoff, resubscribes and resnapshots', () => {
    client.subscribe('balances', () => {});
    let s = f.connect();
    s.push({ op: 'snapshot', channel: 'balances', seq: 1, data: [{ client: 'A', d0: 1, d1: 1, d2: 1 }] });
    s.drop();
    expect(client.channel('balances').status).toBe('stale');
    expect(client.channel('balances').data).toBeDefined(); // kept, but flagged
    expect(client.connection.state).toBe('reconnecting');
    expect(f.sockets).toHaveLength(1);
    vi.advanceTimersByTime(499);
    expect(f.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(f.sockets).toHaveLength(2);
    f.last.drop(); // second failure: 1 s
    vi.advanceTimersByTime(999);
    expect(f.sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(f.sockets).toHaveLength(3);
    s = f.connect();
    expect(s.ops('subscribe')[0]!.channels).toContain('balances');
    expect(client.connection.attempt).toBe(0);
    s.push({ op: 'snapshot', channel: 'balances', seq: 40, data: [] });
    expect(client.channel('balances').status).toBe('live');
  });

  it('reports a refused token as unauthorized and retries slowly', () => {
    client.start();
    const s = f.last;
    s.open();
    s.push({ op: 'error', errors: [{ field: 'token', code: 'invalid_token', message: 'the token is not valid' }] });
    s.drop(1008);
    expect(client.connection.state).toBe('unauthorized');
    // The bridge's English text for developers becomes what a PM can act on.
    expect(client.connection.message).toContain('O BlackBox recusou o token');
    expect(client.connection.message).toContain('Configurações');
    expect(client.connection.message).not.toContain('not valid');
    vi.advanceTimersByTime(10_000);
    expect(f.sockets).toHaveLength(1);
    vi.advanceTimersByTime(20_000);
    expect(f.sockets).toHaveLength(2);
  });

  it('drops a silent socket after the idle timeout', () => {
    client.start();
    f.connect();
    vi.advanceTimersByTime(15_000);
    expect(f.last.ops('ping')).toHaveLength(1);
    vi.advanceTimersByTime(45_000);
    expect(client.connection.state).toBe('reconnecting');
  });

  it('keeps a channel briefly after its last listener leaves, then unsubscribes', () => {
    const off = client.subscribe('quotes:PETR4', () => {});
    const s = f.connect();
    off();
    off(); // idempotent
    const again = client.subscribe('quotes:PETR4', () => {});
    vi.advanceTimersByTime(10_000);
    expect(s.ops('unsubscribe')).toHaveLength(0);
    again();
    vi.advanceTimersByTime(5_000);
    expect(s.ops('unsubscribe')).toEqual([{ op: 'unsubscribe', channels: ['quotes:PETR4'] }]);
  });

  it('without a token stays idle and says so', () => {
    const c = new BridgeClient({ settings: memorySettings({ url: 'http://127.0.0.1:3000', token: '' }), createWebSocket: f.create });
    c.start();
    expect(c.connection.state).toBe('no-token');
    expect(f.sockets).toHaveLength(0);
    c.configure({ url: 'http://127.0.0.1:3000', token: 'x' });
    expect(f.last.url).toBe('ws://127.0.0.1:3000/ws');
    c.stop();
  });
});

describe('BridgeClient REST', () => {
  const make = (impl: typeof fetch) =>
    new BridgeClient({ settings: memorySettings({ url: 'http://127.0.0.1:9', token: 'tok' }), fetch: impl, createWebSocket: new SocketFactory().create });

  it('sends the bearer token and parses JSON', async () => {
    const calls: Array<[string, RequestInit]> = [];
    const c = make((async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      return new Response(JSON.stringify({ ok: 1 }), { status: 200 });
    }) as unknown as typeof fetch);
    await expect(c.request('POST', '/api/orders', { a: 1 })).resolves.toEqual({ ok: 1 });
    expect(calls[0]![0]).toBe('http://127.0.0.1:9/api/orders');
    expect((calls[0]![1].headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('turns 422 into field errors and network failures into uncertain errors', async () => {
    const c422 = make((async () =>
      new Response(JSON.stringify({ errors: [{ field: 'qty', code: 'lot', message: 'lote de 100' }] }), { status: 422 })) as unknown as typeof fetch);
    const e1 = (await c422.request("POST", "/api/orders", {}).catch((e: unknown) => e)) as BridgeError;
    expect(isBridgeError(e1) && e1.status).toBe(422);
    expect(e1.errors[0].field).toBe('qty');
    const cDown = make((async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch);
    const e2 = (await cDown.request("GET", "/api/orders").catch((e: unknown) => e)) as BridgeError;
    expect(e2.status).toBe(0);
    expect(e2.message).toContain('O BlackBox não está respondendo em http://127.0.0.1:9');
    expect(e2.message).toContain('npx blackbox start');
    expect(e2.message).not.toContain('fetch failed');
    const c401 = make((async () => new Response(JSON.stringify({ errors: [{ field: 'token', code: 'invalid_token', message: 'token inválido' }] }), { status: 401 })) as unknown as typeof fetch);
    const e3 = (await c401.request('GET', '/api/orders').catch((e: unknown) => e)) as BridgeError;
    expect(e3.status).toBe(401);
    expect(e3.message).toContain('Configurações');
    const c500 = make((async () => new Response('oops', { status: 500 })) as unknown as typeof fetch);
    expect(((await c500.request('GET', '/api/orders').catch((e: unknown) => e)) as BridgeError).message).toContain('Erro interno do BlackBox');
  });

  it('times out a slow bridge', async () => {
    const slow = make(((_u: string, init: RequestInit) =>
      new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(new Error('aborted'))))) as unknown as typeof fetch);
    const e = (await slow.request("GET", "/api/orders", undefined, { timeoutMs: 50 }).catch((x: unknown) => x)) as BridgeError;
    expect(e.status).toBe(0);
    expect(e.message).toContain('não respondeu');
  });
});

describe('channel errors', () => {
  it('marks only the refused channel (not one whose name is a prefix of it)', () => {
    vi.useFakeTimers();
    const f = new SocketFactory();
    const c = new BridgeClient({ settings: memorySettings({ url: 'http://x:1', token: 't' }), createWebSocket: f.create });
    c.subscribe('quotes:PETR4', () => {});
    c.subscribe('quotes:PETR4X', () => {});
    const s = f.connect();
    s.push({ op: 'error', errors: [{ field: 'channels[1]', code: 'unknown_channel', message: 'unknown channel quotes:PETR4X' }] });
    expect(c.channel('quotes:PETR4X').status).toBe('error');
    expect(c.channel('quotes:PETR4').status).toBe('loading');
    c.stop();
    vi.useRealTimers();
  });
});
