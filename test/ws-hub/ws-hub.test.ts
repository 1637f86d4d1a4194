import { afterEach, describe, expect, it } from 'vitest';
import type { WsServerMessage } from '../../common/types.js';
import { WS_CLOSE_UNAUTHENTICATED } from '../../bridge/api/ws-hub.js';
import { GOOD_ORIGIN, TestClient, refusedStatus, startHarness, type Harness } from './harness.js';
import { until } from '../support/wait.js';

type ErrorMessage = Extract<WsServerMessage, { op: 'error' }>;
type Sequenced = Extract<WsServerMessage, { op: 'snapshot' | 'delta' }>;

const isError = (m: WsServerMessage): m is ErrorMessage => m.op === 'error';
const errorFields = (m: WsServerMessage): string[] => (isError(m) ? m.errors.map((e) => `${e.field}:${e.code}`) : []);
const on = (channel: string) => (m: WsServerMessage): m is Sequenced =>
  (m.op === 'snapshot' || m.op === 'delta') && m.channel === channel;

let harness: Harness | undefined;
const clients: TestClient[] = [];

async function start(overrides: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness(overrides);
  let orders = 0;
  harness.hub.registerChannel('orders', () => ({ count: orders++ }));
  harness.hub.registerPattern('quotes:', (symbol) => (symbol === 'PETR4' || symbol === 'VALE3' ? { symbol, last: 36.5 } : undefined));
  return harness;
}

async function client(kind: 'authed' | 'raw' = 'authed', headers: Record<string, string> = {}): Promise<TestClient> {
  if (harness === undefined) throw new Error('start() first');
  const c = kind === 'authed' ? await TestClient.authed(harness.url) : await TestClient.open(harness.url, headers);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await harness?.close();
  harness = undefined;
});

describe('upgrade', () => {
  it('refuses a foreign origin with 403 before any protocol', async () => {
    const h = await start();
    const refused = await refusedStatus(h.url, { Origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).errors[0].field).toBe('origin');
    expect(h.hub.clientCount()).toBe(0);
    expect(h.audit.map((a) => a.event)).toEqual(['ws_origin_refused']);
    // The allowed origin goes through.
    const ok = await client('raw', { Origin: GOOD_ORIGIN });
    expect(ok.ws.readyState).toBe(ok.ws.OPEN);
  });

  it('authenticates with a Bearer header and refuses a bad one with 401', async () => {
    const h = await start();
    const c = await client('raw', { Authorization: 'Bearer secret-admin' });
    expect(await c.waitFor((m) => m.op === 'ready')).toEqual({ op: 'ready', role: 'admin' });
    expect((await refusedStatus(h.url, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect(h.audit.map((a) => `${a.event}:${a.via}`)).toEqual(['ws_login:header', 'ws_login_failed:header']);
  });

  it('refuses clients beyond maxClients with 503', async () => {
    const h = await start({ maxClients: 2 });
    await client();
    await client('raw');
    expect((await refusedStatus(h.url, {})).status).toBe(503);
    expect(h.hub.clientCount()).toBe(2);
  });
});

describe('authentication by message', () => {
  it('accepts {op:auth} as the first message, then answers pings', async () => {
    const h = await start();
    const c = await client('raw');
    c.send({ op: 'auth', token: 'secret-viewer' });
    expect(await c.waitFor((m) => m.op === 'ready')).toEqual({ op: 'ready', role: 'viewer' });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.op === 'pong');
    c.send({ op: 'auth', token: 'secret-viewer' });
    expect(errorFields(await c.waitFor(isError))).toEqual(['op:already_authenticated']);
    expect(h.audit[0]).toMatchObject({ event: 'ws_login', via: 'message', tokenId: 'tok-v', role: 'viewer' });
  });

  it('closes 4401 on a bad token', async () => {
    await start();
    const c = await client('raw');
    c.send({ op: 'auth', token: 'nope' });
    expect(errorFields(await c.waitFor(isError))).toEqual(['token:invalid_token']);
    expect(await c.waitClose()).toBe(WS_CLOSE_UNAUTHENTICATED);
  });

  it('closes 4401 when the first message is another op, or malformed', async () => {
    await start();
    const a = await client('raw');
    a.send({ op: 'subscribe', channels: ['orders'] });
    expect(errorFields(await a.waitFor(isError))).toEqual(['token:unauthenticated']);
    expect(await a.waitClose()).toBe(WS_CLOSE_UNAUTHENTICATED);
    const b = await client('raw');
    b.send('{not json');
    expect(errorFields(await b.waitFor(isError))).toEqual(['frame:malformed_json', 'token:unauthenticated']);
    expect(await b.waitClose()).toBe(WS_CLOSE_UNAUTHENTICATED);
  });

  it('closes 4401 when no auth arrives in time', async () => {
    const h = await start({ authTimeoutMs: 100 });
    const c = await client('raw');
    expect(errorFields(await c.waitFor(isError))).toEqual(['token:auth_timeout']);
    expect(await c.waitClose()).toBe(WS_CLOSE_UNAUTHENTICATED);
    await until(() => h.hub.clientCount() === 0);
  });
});

describe('channels', () => {
  it('sends a snapshot then deltas with consecutive sequence numbers', async () => {
    const h = await start();
    const a = await client();
    a.send({ op: 'subscribe', channels: ['orders'] });
    expect(await a.waitFor(on('orders'))).toEqual({ op: 'snapshot', channel: 'orders', seq: 0, data: { count: 0 } });
    for (let i = 1; i <= 3; i++) h.hub.publish('orders', { id: i });
    await a.waitCount(3, (m) => m.op === 'delta');
    expect(a.messages.filter((m) => m.op === 'delta')).toEqual([1, 2, 3].map((i) => ({ op: 'delta', channel: 'orders', seq: i, data: { id: i } })));

    // A late subscriber's snapshot carries the current seq; the next delta follows it for both.
    const b = await client();
    b.send({ op: 'subscribe', channels: ['orders'] });
    expect(await b.waitFor(on('orders'))).toMatchObject({ op: 'snapshot', seq: 3 });
    h.hub.publish('orders', { id: 4 });
    expect(await b.waitFor((m) => m.op === 'delta')).toMatchObject({ seq: 4, data: { id: 4 } });
    expect(await a.waitFor((m) => m.op === 'delta' && m.seq === 4)).toMatchObject({ data: { id: 4 } });
  });

  it('answers a snapshot request (after a gap) with the current seq', async () => {
    const h = await start();
    const c = await client();
    c.send({ op: 'snapshot', channel: 'orders' });
    expect(errorFields(await c.waitFor(isError))).toEqual(['channel:not_subscribed']);
    c.send({ op: 'subscribe', channels: ['orders'] });
    await c.waitFor(on('orders'));
    for (let i = 1; i <= 5; i++) h.hub.publish('orders', { id: i });
    await c.waitCount(5, (m) => m.op === 'delta');
    const from = c.messages.length;
    c.send({ op: 'snapshot', channel: 'orders' });
    expect(await c.waitFor((m) => m.op === 'snapshot', from)).toMatchObject({ channel: 'orders', seq: 5 });
  });

  it('names unknown channels and still subscribes the good ones', async () => {
    const h = await start();
    const c = await client();
    c.send({ op: 'subscribe', channels: ['quotes:PETR4', 'quotes:NOPE', 'bogus', 'quotes:'] });
    expect(await c.waitFor(on('quotes:PETR4'))).toMatchObject({ op: 'snapshot', seq: 0, data: { symbol: 'PETR4' } });
    expect(errorFields(await c.waitFor(isError))).toEqual([
      'channels[1]:unknown_channel',
      'channels[2]:unknown_channel',
      'channels[3]:unknown_channel',
    ]);
    expect(h.hub.stats().channels).toBe(1);
    h.hub.publish('quotes:NOPE', { last: 1 });
    h.hub.publish('quotes:PETR4', { last: 36.51 });
    expect(await c.waitFor((m) => m.op === 'delta')).toEqual({ op: 'delta', channel: 'quotes:PETR4', seq: 1, data: { last: 36.51 } });
    c.send({ op: 'unsubscribe', channels: ['quotes:PETR4', 'never-subscribed'] });
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.op === 'pong');
    expect(h.hub.stats().channels).toBe(0);
  });

  it('reports a snapshot function that throws instead of crashing', async () => {
    const h = await start();
    h.hub.registerChannel('broken', () => {
      throw new Error('boom');
    });
    const c = await client();
    c.send({ op: 'subscribe', channels: ['broken'] });
    expect(errorFields(await c.waitFor(isError))).toEqual(['channels[0]:snapshot_failed']);
  });

  it('serialises each delta once, and not at all without subscribers', async () => {
    const h = await start();
    let serialisations = 0;
    const payload = { toJSON: () => (serialisations++, { x: 1 }) };
    h.hub.publish('orders', payload);
    expect(serialisations).toBe(0);
    const many = await Promise.all([client(), client(), client(), client()]);
    for (const c of many) {
      c.send({ op: 'subscribe', channels: ['orders'] });
      await c.waitFor(on('orders'));
    }
    h.hub.publish('orders', payload);
    expect(serialisations).toBe(1);
    for (const c of many) expect(await c.waitFor((m) => m.op === 'delta')).toEqual({ op: 'delta', channel: 'orders', seq: 1, data: { x: 1 } });
  });
});

describe('malformed frames', () => {
  it('answers each with an error naming the field and keeps the connection', async () => {
    await start({ maxMessageBytes: 1024 });
    const c = await client();
    const cases: Array<[unknown, string[]]> = [
      ['{"op":', ['frame:malformed_json']],
      ['[1,2]', ['frame:invalid']],
      ['42', ['frame:invalid']],
      [{ channels: ['orders'] }, ['op:required']],
      [{ op: 'fly' }, ['op:unknown_op']],
      [{ op: 'subscribe', channels: ['orders'], extra: 1 }, ['extra:unknown_field']],
      [{ op: 'subscribe', channels: [] }, ['channels:required']],
      [{ op: 'subscribe', channels: 'orders' }, ['channels:required']],
      [{ op: 'subscribe', channels: ['orders', 7, ''] }, ['channels[1]:invalid', 'channels[2]:invalid']],
      [{ op: 'subscribe', channels: ['x'.repeat(200)] }, ['channels[0]:too_long']],
      [{ op: 'snapshot' }, ['channel:invalid']],
      [{ op: 'ping', token: 'x' }, ['token:unknown_field']],
      ['x'.repeat(2000), ['frame:too_large']],
    ];
    for (const [frame, expected] of cases) {
      const from = c.messages.length;
      c.send(frame);
      expect(errorFields(await c.waitFor(isError, from)), JSON.stringify(frame).slice(0, 60)).toEqual(expected);
    }
    const from = c.messages.length;
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(errorFields(await c.waitFor(isError, from))).toEqual(['frame:binary']);
    c.send({ op: 'ping' });
    await c.waitFor((m) => m.op === 'pong', from);
  });

  it('closes with 1009 on a frame far beyond the limit without buffering it', async () => {
    const h = await start({ maxMessageBytes: 1024 });
    const c = await client();
    c.send('x'.repeat(64 * 1024));
    expect(await c.waitClose()).toBe(1009);
    const other = await client();
    other.send({ op: 'ping' });
    await other.waitFor((m) => m.op === 'pong');
    await until(() => h.hub.clientCount() === 1);
  });
});

describe('slow consumers', () => {
  it('drops deltas for a stalled client without blocking others, then resyncs it with a snapshot', async () => {
    const h = await start({ maxBufferedBytes: 64 * 1024 });
    const fast = await client();
    const slow = await client();
    for (const c of [fast, slow]) {
      c.send({ op: 'subscribe', channels: ['quotes:PETR4'] });
      await c.waitFor(on('quotes:PETR4'));
    }
    slow.ws.pause();
    const blob = 'x'.repeat(32 * 1024);
    let published = 0;
    // Loopback kernel buffers absorb megabytes before the hub's backlog grows; publish until it does.
    while (h.hub.stats().staleClients === 0) {
      if (published > 5000) throw new Error('slow client never became stale');
      h.hub.publish('quotes:PETR4', { n: ++published, blob });
      if (published % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let i = 0; i < 20; i++) h.hub.publish('quotes:PETR4', { n: ++published, blob });
    expect(h.hub.stats().droppedDeltas).toBeGreaterThanOrEqual(20);

    // The fast client got every delta, in order, while the slow one was stuck.
    await fast.waitCount(published, (m) => m.op === 'delta', 20_000);
    const fastSeqs = fast.messages.filter((m): m is Sequenced => m.op === 'delta').map((m) => m.seq);
    expect(fastSeqs).toEqual(Array.from({ length: published }, (_, i) => i + 1));

    slow.ws.resume();
    const resync = (await slow.waitFor((m) => m.op === 'snapshot' && m.seq > 0, 0, 20_000)) as Sequenced;
    expect(resync.seq).toBe(published);
    const before = slow.messages.slice(0, slow.messages.indexOf(resync)).filter((m): m is Sequenced => m.op === 'delta');
    // What it did receive before the cut is gap-free; the snapshot supersedes the rest.
    expect(before.map((m) => m.seq)).toEqual(Array.from({ length: before.length }, (_, i) => i + 1));
    expect(before.length).toBeLessThan(published);
    expect(h.hub.stats().staleClients).toBe(0);

    h.hub.publish('quotes:PETR4', { n: ++published });
    const next = await slow.waitFor((m) => m.op === 'delta' && m.seq === published, slow.messages.indexOf(resync));
    expect(next).toMatchObject({ data: { n: published } });
  }, 60_000);

  it('coalesces snapshot requests from a client that does not read', async () => {
    const h = await start({ maxBufferedBytes: 16 * 1024 });
    const big = { rows: 'y'.repeat(200 * 1024) };
    h.hub.registerChannel('big', () => big);
    const c = await client();
    c.send({ op: 'subscribe', channels: ['big'] });
    await c.waitFor(on('big'));
    c.ws.pause();
    for (let i = 0; i < 200; i++) c.send({ op: 'snapshot', channel: 'big' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 200 requests × 200 KiB would be 40 MB; the backlog stays at a few snapshots.
    c.ws.resume();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const snapshots = c.messages.filter((m) => m.op === 'snapshot').length;
    expect(snapshots).toBeGreaterThan(1);
    expect(snapshots).toBeLessThan(100);
    expect(h.hub.stats().staleClients).toBe(0);
  });
});

describe('close', () => {
  it('closes every client with 1001 and refuses new upgrades', async () => {
    const h = await start();
    const a = await client();
    const b = await client('raw');
    await h.hub.close();
    expect(await a.waitClose()).toBe(1001);
    expect(await b.waitClose()).toBe(1001);
    await until(() => h.hub.clientCount() === 0);
    expect((await refusedStatus(h.url, {})).status).toBe(503);
  });
});
