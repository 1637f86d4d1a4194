/**
 * Crash test (PRODUCT.md §7): the simulated B3 in its own process, the bridge in another working
 * TWAPs, icebergs and cover-to-X orders for a block of three clients; the bridge is SIGKILLed ten
 * times at varied points — on a timer (mid-slice, during start-up and reconciliation), right after
 * a child's journal write and before its send, and right after a fill is journaled while fills
 * stream in — and restarted each time. Algos resume by themselves after a restart (the journal is
 * the truth; the broker is reconciled before any algo runs). At the end: every child the exchange
 * knows is known to the bridge, every fill the exchange made is booked exactly once, no child was
 * sent twice, and positions and cash are what the fills imply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BalanceView, OrderView, PositionView, QuoteView, SettlementDayView } from '../../common/types.js';
import { createRemoteSimBroker, spawnExchangeProcess, type SpawnedExchange } from '../../bridge/adapters/sim/sim-broker.js';
import type { BrokerSnapshot } from '../../bridge/execution/broker-port.js';
import { tempDataDir } from '../support/bridge.js';
import { eventually } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../support/crash-bridge-main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const OPENING_CASH = 50_000_000;

interface Running {
  child: ChildProcess;
  exited: Promise<NodeJS.Signals | number | null>;
  ready: Promise<{ url: string; token: string } | undefined>;
}

function startBridgeProcess(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, sig) => resolve(sig ?? code)));
  const ready = new Promise<{ url: string; token: string } | undefined>((resolve) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
    });
    void exited.then(() => resolve(undefined));
  });
  return { child, exited, ready };
}

async function api<T>(b: { url: string; token: string }, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${b.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${b.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ex: SpawnedExchange | undefined;
let current: Running | undefined;
const dataDir = tempDataDir();
afterAll(async () => {
  current?.child.kill('SIGKILL');
  await ex?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Where each run dies: a timer (ms after start) or a fault point of the bridge itself. */
const KILLS: Array<{ afterMs: number } | { at: string }> = [
  { afterMs: 2_500 },
  { at: 'child.journaled:1' },
  { at: 'fill.journaled:2' },
  { afterMs: 900 },
  { at: 'child.journaled:3' },
  { afterMs: 150 },
  { at: 'fill.journaled:4' },
  { at: 'child.journaled:2' },
  { afterMs: 1_600 },
  { at: 'fill.journaled:1' },
  { at: 'child.journaled:5' },
];

describe('SIGKILL mid-algo, ten times, against a separate exchange process', () => {
  it('loses nothing, books every fill once, sends no child twice; positions and cash follow the fills', async () => {
    ex = await spawnExchangeProcess({ seed: 21, tickIntervalMs: 20 });
    const env = { DATA_DIR: dataDir, EXCHANGE_PORT: String(ex.port) };

    // Run 0 accepts the orders.
    current = startBridgeProcess(env);
    const b0 = (await current.ready)!;
    for (const id of ['ALFA', 'BETA', 'GAMA']) await api(b0, 'POST', '/api/clients', { id, name: `Fundo ${id}`, openingCash: OPENING_CASH });
    const quotes = await eventually(async () => {
      const q = (await api<QuoteView[]>(b0, 'GET', '/api/quotes?symbols=PETR4,VALE3,ITUB4,BBDC4,BBAS3,ABEV3')).body;
      return q.every((x) => x.bid !== undefined && x.ask !== undefined) ? new Map(q.map((x) => [x.symbol, x])) : undefined;
    }, 20_000);
    const px = (sym: string, side: 'bid' | 'ask', delta: number) => Math.round((quotes.get(sym)![side]! + delta) * 100) / 100;
    const allocations = [{ client: 'ALFA', weight: 5 }, { client: 'BETA', weight: 3 }, { client: 'GAMA', weight: 2 }];
    const end = new Date(Date.now() + 60_000).toISOString();
    const boletas = [
      { symbol: 'PETR4', side: 'buy', qty: 6_000, limitPrice: px('PETR4', 'ask', 0.3), algo: { type: 'twap', end, sliceSec: 4, style: 'aggressive' } },
      { symbol: 'VALE3', side: 'sell', qty: 4_000, limitPrice: px('VALE3', 'bid', -0.3), algo: { type: 'twap', end, sliceSec: 5, style: 'aggressive', atEnd: 'finish' } },
      { symbol: 'ITUB4', side: 'buy', qty: 3_000, limitPrice: px('ITUB4', 'ask', 0.1), algo: { type: 'iceberg', displayQty: 500, variancePct: 20 } },
      { symbol: 'BBDC4', side: 'sell', qty: 3_000, limitPrice: px('BBDC4', 'bid', -0.05), algo: { type: 'iceberg', displayQty: 300 } },
      { symbol: 'BBAS3', side: 'buy', qty: 2_000, limitPrice: px('BBAS3', 'bid', 0.05), algo: { type: 'cover', minRepriceMs: 300 } },
      { symbol: 'ABEV3', side: 'sell', qty: 2_000, limitPrice: px('ABEV3', 'ask', -0.05), algo: { type: 'cover', minRepriceMs: 300 } },
    ];
    const batch = await api<Array<{ ok: boolean; order?: OrderView; errors?: unknown }>>(b0, 'POST', '/api/orders/batch', { rows: boletas.map((x) => ({ ...x, allocations })) });
    expect(batch.status, JSON.stringify(batch.body)).toBeLessThan(300);
    const results = (batch.body as unknown as { results: Array<{ ok: boolean; order?: OrderView; errors?: unknown }> }).results ?? batch.body;
    for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
    const parentIds = results.map((r) => r.order!.id);

    let faultKills = 0;
    for (const [i, kill] of KILLS.entries()) {
      if (i > 0) current = startBridgeProcess('at' in kill ? { ...env, BLACKBOX_CRASH_AT: kill.at } : env);
      const run = current;
      let killedByUs = false;
      const waitMs = 'afterMs' in kill ? kill.afterMs : 8_000;
      const timer = setTimeout(() => {
        killedByUs = true;
        run.child.kill('SIGKILL');
      }, waitMs);
      const how = await run.exited;
      clearTimeout(timer);
      expect(how).toBe('SIGKILL');
      if ('at' in kill && !killedByUs) faultKills++;
    }
    // Most fault points must really have been hit (a run that found nothing to do is killed on the timer).
    expect(faultKills).toBeGreaterThanOrEqual(4);

    // A last start without faults; let the algos run, then stop them and settle.
    current = startBridgeProcess(env);
    const b = (await current.ready)!;
    await sleep(3_000);
    for (const id of parentIds) await api(b, 'POST', `/api/orders/${id}/cancel`, {});
    const views = await eventually(async () => {
      const v = await Promise.all(parentIds.map(async (id) => (await api<OrderView>(b, 'GET', `/api/orders/${id}`)).body));
      const settled = v.every((o) => ['filled', 'canceled', 'rejected'].includes(o.status) && o.children!.every((c) => ['filled', 'canceled', 'expired', 'rejected'].includes(c.status)));
      return settled ? v : undefined;
    }, 30_000, 200);
    await sleep(500);

    // The exchange shows a session's orders to that session alone: watch through the bridge's.
    const prefix = parentIds[0].slice(0, parentIds[0].lastIndexOf('-'));
    const observer = createRemoteSimBroker({ port: ex.port, session: prefix });
    observer.setListener({ connection() {}, orderUpdate() {}, fill() {}, trade() {}, book() {} });
    await observer.connect();
    const snap: BrokerSnapshot = await observer.snapshot();
    await observer.close();
    const exOrders = snap.orders.filter((o) => o.clientOrderId.startsWith(prefix));
    const exFills = snap.fills.filter((f) => f.clientOrderId.startsWith(prefix));
    expect(exOrders.length).toBeGreaterThan(6);
    expect(exFills.length).toBeGreaterThan(6);

    const bridgeChildren = new Map(views.flatMap((v) => v.children!.map((c) => [c.id, c] as const)));
    // Every child the exchange knows is known to the bridge, and was sent once.
    for (const o of exOrders) expect(bridgeChildren.has(o.clientOrderId), o.clientOrderId).toBe(true);
    expect(new Set(exOrders.map((o) => o.clientOrderId)).size).toBe(exOrders.length);
    for (const c of bridgeChildren.values()) expect(c.status, `${c.id} refused (sent twice?)`).not.toBe('rejected');
    // Every exchange fill booked exactly once.
    const bridgeFills = views.flatMap((v) => v.fills!);
    expect(new Set(bridgeFills.map((f) => f.id)).size).toBe(bridgeFills.length);
    expect(new Set(bridgeFills.map((f) => f.id))).toEqual(new Set(exFills.map((f) => f.tradeId)));
    for (const v of views) {
      const qty = exFills.filter((f) => f.clientOrderId.startsWith(`${v.id}-`)).reduce((a, f) => a + f.qty, 0);
      expect(v.filledQty, v.id).toBe(qty);
      expect(v.allocations!.reduce((a, x) => a + x.filledQty, 0)).toBe(qty);
    }

    // Positions per client are the block's allocations; their sum is what the exchange filled.
    const expected = new Map<string, number>();
    for (const v of views) for (const a of v.allocations!) {
      const k = `${a.client}|${v.symbol}`;
      expected.set(k, (expected.get(k) ?? 0) + (v.side === 'buy' ? a.filledQty : -a.filledQty));
    }
    // Cash in integer centavos (sums of reais in floating point drift past the bound: 0.0300000018 > 0.03).
    const centavos = (brl: number) => Math.round(brl * 100);
    let cashOut = 0;
    let billedFees = 0;
    for (const client of ['ALFA', 'BETA', 'GAMA']) {
      const pos = (await api<PositionView[]>(b, 'GET', `/api/positions?client=${client}`)).body;
      for (const sym of boletas.map((x) => x.symbol)) {
        expect(pos.find((p) => p.symbol === sym)?.qty ?? 0, `${client} ${sym}`).toBe(expected.get(`${client}|${sym}`) ?? 0);
      }
      const bal = (await api<BalanceView[]>(b, 'GET', `/api/balances?client=${client}`)).body[0];
      cashOut += centavos(OPENING_CASH) - centavos(bal.d2);
      // What B3 bills the client for the day (its trades' fee estimates add up to the bill); every trade here settles D+2.
      billedFees += centavos((await api<SettlementDayView>(b, 'GET', `/api/settlements?client=${client}&date=${bal.dates[2]}`)).body.totals.fees);
    }
    // Cash: what the exchange's fills cost (buys out, sells in; a stock's tick is a centavo) plus the day's bills, to the centavo.
    let notional = 0;
    for (const f of exFills) notional += (f.side === 'buy' ? 1 : -1) * f.qty * f.priceTicks;
    expect(cashOut).toBe(notional + billedFees);
    // The orders' fees are estimates, each fill's rounded on its own to the centavo (B3 rounds once per client
    // and day): off the bill by at most half a centavo a fill, and half a centavo a client.
    const estimated = views.reduce((a, v) => a + centavos(v.metrics!.feesBrl), 0);
    expect(Math.abs(estimated - billedFees)).toBeLessThanOrEqual(Math.ceil((exFills.length + 3) / 2));
  }, 300_000);
});
