import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerFill, BrokerOrderUpdate } from '../../bridge/execution/broker-port.js';
import { SimExchange } from '../../bridge/adapters/sim/exchange.js';
import { ExchangeServer } from '../../bridge/adapters/sim/exchange-server.js';
import {
  createInProcessSimBroker,
  createRemoteSimBroker,
  spawnExchangeProcess,
  type SimBroker,
  type SpawnedExchange,
} from '../../bridge/adapters/sim/sim-broker.js';
import { defaultInstruments } from '../../bridge/model/instrument.js';
import { until } from '../support/wait.js';
import { Recorder } from '../support/broker-recorder.js';
import { offsetClock } from '../support/clock.js';

/** The listing the simulated B3 has on this date: WINZ26 and WDOZ26 are among its contracts. */
const LISTING_MS = Date.parse('2026-11-25T15:00:00Z');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('SimBroker in-process', () => {
  it('acknowledges asynchronously, streams fills and market data, and snapshots', async () => {
    let now = Date.parse('2026-03-10T16:00:00Z');
    const broker = createInProcessSimBroker({ instruments: defaultInstruments(LISTING_MS), seed: 9, tickIntervalMs: 0, clock: () => now });
    const rec = new Recorder();
    broker.setListener(rec);
    await broker.connect();
    cleanups.push(() => broker.close());
    broker.subscribe('PETR4');
    broker.submit({ clientOrderId: 'ip-1', account: 'A', symbol: 'PETR4', side: 'buy', qty: 300 });
    expect(rec.updates).toHaveLength(0);
    await until(() => rec.updates.some((u) => u.status === 'filled'));
    expect(rec.connections[0]).toMatchObject({ connected: true });
    expect(rec.updates[0]).toMatchObject({ clientOrderId: 'ip-1', status: 'new' });
    expect(rec.fills.reduce((s, f) => s + f.qty, 0)).toBe(300);
    expect(rec.books[0]).toMatchObject({ symbol: 'PETR4' });
    expect(rec.trades.length).toBeGreaterThan(0);

    const tradesBefore = rec.trades.length;
    now += 60_000;
    broker.exchange?.step(now);
    await until(() => rec.trades.length > tradesBefore);

    const snap = await broker.snapshot();
    expect(snap.orders).toEqual([expect.objectContaining({ clientOrderId: 'ip-1', status: 'filled', filledQty: 300 })]);
    expect(snap.fills.map((f) => f.tradeId)).toEqual(rec.fills.map((f) => f.tradeId));
  });

  it('hands a busy market step over in slices with the event loop free in between, in order, losing nothing', async () => {
    let now = Date.parse('2026-03-10T16:00:00Z');
    const insts = defaultInstruments(LISTING_MS);
    const exchange = new SimExchange({ instruments: insts, seed: 3, clock: () => now, baseEventsPerSecond: 100, activityProfile: () => 1 });
    const broker = createInProcessSimBroker({ exchange, tickIntervalMs: 0, clock: () => now });
    const delivered: unknown[] = [];
    const emitted: unknown[] = [];
    // Events handed over per turn of the event loop (counted, not timed: a loaded machine can
    // pause this process mid-turn, but cannot make a turn carry more events).
    let inTurn = 0;
    let busiestTurn = 0;
    let turns = 0;
    // The listener costs 0.2 ms an event, like an algo fan-out.
    const rec = new Recorder();
    const work = (ev: unknown) => {
      if (inTurn === 0) {
        turns++;
        setImmediate(() => {
          busiestTurn = Math.max(busiestTurn, inTurn);
          inTurn = 0;
        });
      }
      inTurn++;
      delivered.push(ev);
      const t = performance.now();
      while (performance.now() - t < 0.2);
    };
    broker.setListener({ ...rec, connection: (c) => rec.connection(c), orderUpdate: (u) => rec.orderUpdate(u), fill: (f) => rec.fill(f), book: (b) => work(b), trade: (t) => work(t) });
    await broker.connect();
    cleanups.push(() => broker.close());
    for (const i of insts) broker.subscribe(i.symbol);
    await broker.snapshot();
    delivered.length = 0;
    busiestTurn = 0;
    turns = 0;
    cleanups.push(exchange.addListener({ orderUpdate: () => {}, fill: () => {}, book: (b) => emitted.push(b), trade: (t) => emitted.push(t) }));
    now += 2_000;
    exchange.step(now);
    // A timer due meanwhile runs between slices, not after the whole step has been handed over.
    let timerAt = -1;
    setTimeout(() => (timerAt = delivered.length), 0);
    await broker.snapshot();
    expect(emitted.length).toBeGreaterThan(500);
    // The snapshot came after everything queued before it; nothing lost, nothing reordered.
    expect(delivered).toEqual(emitted);
    // Before the first slice or between two (which one depends on whether a millisecond passed before
    // the loop came round), never after the last: it ran with part of the step still queued.
    expect(timerAt).toBeGreaterThanOrEqual(0);
    expect(timerAt).toBeLessThan(delivered.length);
    // Slices of ~5 ms of listener work (~25 events here), never the whole step in one turn.
    expect(busiestTurn).toBeLessThanOrEqual(60);
    expect(turns).toBeGreaterThanOrEqual(Math.ceil(emitted.length / 60));
  });

  it('cancelAll cancels every working order', async () => {
    // On the listing's date, so WINZ26 is not expired whatever the real date.
    const broker = createInProcessSimBroker({ instruments: defaultInstruments(LISTING_MS), seed: 9, tickIntervalMs: 0, clock: offsetClock(LISTING_MS) });
    const rec = new Recorder();
    broker.setListener(rec);
    await broker.connect();
    cleanups.push(() => broker.close());
    broker.submit({ clientOrderId: 'w1', account: 'A', symbol: 'VALE3', side: 'buy', qty: 100, priceTicks: 5000 });
    broker.submit({ clientOrderId: 'w2', account: 'B', symbol: 'WINZ26', side: 'sell', qty: 2, priceTicks: 40_000 });
    broker.cancelAll();
    await until(() => rec.updates.filter((u) => u.status === 'canceled').length === 2);
    expect((await broker.snapshot()).orders.map((o) => o.status)).toEqual(['canceled', 'canceled']);
  });
});

describe('SimBroker remote', () => {
  it('reports a dropped link, refuses requests meanwhile, reconnects with backoff and reconciles', async () => {
    const exchange = new SimExchange({ instruments: defaultInstruments(LISTING_MS), seed: 4 });
    let server = new ExchangeServer(exchange);
    const port = await server.listen();
    cleanups.push(() => server.close());
    const broker = createRemoteSimBroker({ port, session: 'BBr0001', reconnectInitialMs: 20, reconnectMaxMs: 200 });
    const rec = new Recorder();
    broker.setListener(rec);
    await broker.connect();
    cleanups.push(() => broker.close());
    broker.subscribe('VALE3');
    broker.submit({ clientOrderId: 'r-1', account: 'A', symbol: 'VALE3', side: 'buy', qty: 100, priceTicks: 5000 });
    await until(() => rec.updates.some((u) => u.clientOrderId === 'r-1') && rec.books.length > 0);

    const booksBefore = rec.books.length;
    await server.close();
    await until(() => rec.connections.some((c) => !c.connected));
    expect(broker.isConnected()).toBe(false);
    broker.submit({ clientOrderId: 'r-2', account: 'A', symbol: 'VALE3', side: 'buy', qty: 100, priceTicks: 5000 });
    broker.cancel('r-1');
    await until(() => rec.updates.some((u) => u.clientOrderId === 'r-2') && rec.updates.filter((u) => u.clientOrderId === 'r-1').length === 2);
    expect(rec.updates.find((u) => u.clientOrderId === 'r-2')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/sem conexão/) });
    // The refused cancel reports the order as last seen (working), not as rejected.
    expect(rec.updates.filter((u) => u.clientOrderId === 'r-1').at(-1)).toMatchObject({ status: 'new', reason: expect.stringMatching(/sem conexão/) });
    await expect(broker.snapshot()).rejects.toThrow(/sem conexão/);

    // Same exchange, new server on the same port: the broker finds it by itself.
    server = new ExchangeServer(exchange, { port });
    await server.listen();
    await until(() => rec.connections.at(-1)?.connected === true);
    await until(() => rec.books.length > booksBefore); // subscriptions were renewed
    const snap = await broker.snapshot();
    expect(snap.orders.map((o) => [o.clientOrderId, o.status])).toEqual([['r-1', 'new']]);
  });

  it('survives the bridge being killed: a new broker reconciles the same orders and fills', async () => {
    const ex: SpawnedExchange = await spawnExchangeProcess({ seed: 5 });
    cleanups.push(() => ex.kill());

    const fixture = fileURLToPath(new URL('./fixtures/remote-bridge.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const bridge = spawn(process.execPath, ['--import', tsx, fixture, String(ex.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => {
      bridge.kill('SIGKILL');
    });
    const seen = await new Promise<{ orders: BrokerOrderUpdate[]; fills: BrokerFill[] }>((resolve, reject) => {
      let out = '';
      bridge.stdout.setEncoding('utf8');
      bridge.stdout.on('data', (chunk: string) => {
        out += chunk;
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { ready: { orders: BrokerOrderUpdate[]; fills: BrokerFill[] } }).ready);
      });
      bridge.once('exit', (code) => reject(new Error(`bridge fixture exited early (${code})`)));
    });
    expect(seen.fills.length).toBeGreaterThan(0);

    const exited = new Promise((r) => bridge.once('exit', r));
    bridge.kill('SIGKILL');
    await exited;

    const broker: SimBroker = createRemoteSimBroker({ port: ex.port, session: 'BBk0001' });
    const rec = new Recorder();
    broker.setListener(rec);
    await broker.connect();
    cleanups.push(() => broker.close());
    const snap = await broker.snapshot();
    const byId = new Map(snap.orders.map((o) => [o.clientOrderId, o]));
    expect(byId.get('k-rest')).toMatchObject({ status: 'new', qty: 100, priceTicks: 1000 });
    expect(byId.get('k-mkt')).toMatchObject({ status: 'filled', filledQty: 500 });
    expect(snap.fills.map((f) => f.tradeId)).toEqual(seen.fills.map((f) => f.tradeId));

    // The restarted bridge resends an order it is unsure about: refused, not booked twice.
    broker.submit({ clientOrderId: 'k-rest', account: 'ACC', symbol: 'VALE3', side: 'buy', qty: 100, priceTicks: 1000 });
    await until(() => rec.updates.some((u) => u.clientOrderId === 'k-rest'));
    expect(rec.updates.find((u) => u.clientOrderId === 'k-rest')).toMatchObject({ status: 'new', reason: expect.stringMatching(/duplicado/) });
    const again = await broker.snapshot();
    expect(again.orders.filter((o) => o.clientOrderId === 'k-rest')).toHaveLength(1);
    expect(again.orders).toHaveLength(snap.orders.length);
  });
});

describe('ExchangeServer bounds', () => {
  async function rawClient(port: number): Promise<net.Socket> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    cleanups.push(() => {
      socket.destroy();
    });
    return socket;
  }

  it('answers malformed lines and drops a client whose line exceeds the limit', async () => {
    const server = new ExchangeServer(new SimExchange({ instruments: defaultInstruments(LISTING_MS) }), { maxLineChars: 1024 });
    const port = await server.listen();
    cleanups.push(() => server.close());
    const socket = await rawClient(port);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    const closed = new Promise((r) => socket.once('close', r));
    socket.write('not json\n{"id":1,"op":"nope"}\n{"id":2,"op":"ping"}\n');
    await until(() => received.split('\n').length > 3);
    const lines = received.trim().split('\n').map((l) => JSON.parse(l) as { id: unknown; ok: boolean; error?: string });
    expect(lines[0]).toMatchObject({ id: null, ok: false, error: expect.stringMatching(/JSON inválido/) });
    expect(lines[1]).toMatchObject({ id: 1, ok: false, error: expect.stringMatching(/operação desconhecida/) });
    expect(lines[2]).toMatchObject({ id: 2, ok: true });
    socket.write('x'.repeat(2000));
    await closed;
    expect(received).toMatch(/linha maior que 1024/);
  });

  it('drops a client that stops reading instead of buffering without bound', async () => {
    const exchange = new SimExchange({ instruments: defaultInstruments(LISTING_MS) });
    const server = new ExchangeServer(exchange, { maxPendingMessages: 100 });
    const port = await server.listen();
    cleanups.push(() => server.close());
    const socket = await rawClient(port);
    socket.pause();
    const closed = new Promise((r) => socket.once('close', r));
    let n = 0;
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(JSON.stringify({ id: ++n, op: 'submit', order: { clientOrderId: `f-${n}`, account: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 1000 } }));
    }
    socket.write(lines.join('\n') + '\n');
    await until(() => server.clientCount === 0, 20_000);
    socket.resume();
    await closed;
    // The exchange kept what it accepted; the slow client just lost its window onto it.
    expect(exchange.ordersFor().length).toBeGreaterThan(0);
  });
});
