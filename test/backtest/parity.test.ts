/**
 * Backtest ↔ live parity: the same strategy over the same recorded market, once through the backtest
 * path (runBacktest: in-memory journal, the runner in this thread) and once through the live path (a
 * real bridge on the replay venue: HTTP API, journal on disk, the strategy in a worker thread, its
 * boletas through the same OMS and algos), gives the same orders and the same fills.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backtestSpecSchema, type BacktestResultView } from '../../common/backtest.js';
import type { OrderView } from '../../common/types.js';
import { runBacktest } from '../../bridge/backtest/engine.js';
import { loadStrategy } from '../../bridge/strategy/loader.js';
import { eventually, startTestBridge, tempDataDir, type TestBridge } from '../support/bridge.js';
import { tempMarketDb, writeCandles, writeTrades } from '../support/market-fixture.js';

const bridges: TestBridge[] = [];
afterAll(async () => {
  for (const b of bridges) await b.dispose();
});

interface Case {
  name: string;
  strategy: string;
  symbols?: string[];
  clients?: string[];
  params: Record<string, number | string | boolean>;
  source: 'bars' | 'trades';
  interval: '1m' | '5m';
  data(db: ReturnType<typeof tempMarketDb>['db']): void;
}

const CASES: Case[] = [
  {
    name: 'moving-average crossover on 5-minute bars built from prints (queue model)',
    strategy: 'ma-crossover',
    params: { fast: 3, slow: 8, qty: 300 },
    source: 'trades',
    interval: '5m',
    data: (db) => writeTrades(db, { symbol: 'PETR4', from: '2026-03-02', to: '2026-03-03', startH: 3650, tickH: 1, perDay: 4_000 }),
  },
  {
    name: 'mean reversion on replayed 5-minute candles (bar model)',
    strategy: 'mean-reversion-5m',
    params: { lookback: 10, entryZ: 1, qty: 200 },
    source: 'bars',
    interval: '5m',
    data: (db) => writeCandles(db, { symbol: 'PETR4', interval: '5m', from: '2026-03-02', to: '2026-03-04', startH: 3650, tickH: 1, seed: 3 }),
  },
  {
    name: 'a daily rebalance of two clients with TWAP block boletas (algos, allocation)',
    strategy: 'rebalancer',
    symbols: ['PETR4', 'VALE3'],
    clients: ['ALFA', 'BETA'],
    params: { targets: 'PETR4=0.5,VALE3=0.3', every: 'daily', algo: 'twap', sliceSec: 300, band: 0.01 },
    source: 'trades',
    interval: '1m',
    data: (db) => {
      writeTrades(db, { symbol: 'PETR4', from: '2026-03-02', to: '2026-03-04', startH: 3650, tickH: 1, perDay: 3_000, seed: 21 });
      writeTrades(db, { symbol: 'VALE3', from: '2026-03-02', to: '2026-03-04', startH: 6180, tickH: 1, perDay: 3_000, seed: 22 });
    },
  },
];

function comparableOrders(orders: Array<Pick<OrderView, 'symbol' | 'side' | 'qty' | 'filledQty' | 'avgPrice' | 'status' | 'createdAt'> & { limitPrice?: number; algo: unknown }>) {
  return orders
    .map((o) => ({ symbol: o.symbol, side: o.side, qty: o.qty, filledQty: o.filledQty, avgPrice: o.avgPrice, limitPrice: o.limitPrice, status: o.status, createdAt: o.createdAt, algo: typeof o.algo === 'string' ? o.algo : (o.algo as { type: string }).type }))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

describe('backtest and live parity', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { db, file } = tempMarketDb();
      c.data(db);
      const symbols = c.symbols ?? ['PETR4'];
      const clients = c.clients ?? ['ALFA'];
      const spec = backtestSpecSchema.parse({ symbols, from: '2026-03-02', to: '2026-03-04', interval: c.interval, source: c.source, params: c.params, clients, cashBrl: 1_000_000, seed: 5 });

      const s = await loadStrategy(c.strategy, undefined);
      const bt = await runBacktest(s.def, spec, { marketDb: db, sourceFile: s.file });
      expect(bt.ok).toBe(true);
      const backtest = (bt as { ok: true; result: BacktestResultView }).result;
      expect(backtest.fault).toBeUndefined();
      expect(backtest.orders.length).toBeGreaterThan(2);
      expect(backtest.orders.some((o) => o.filledQty > 0 && o.algo === (c.params.algo ?? 'full'))).toBe(true);
      db.close();

      // The live path: a bridge whose market is the same recorded history.
      const dataDir = tempDataDir();
      mkdirSync(dataDir, { recursive: true });
      copyFileSync(file, path.join(dataDir, 'market.db'));
      const b = await startTestBridge({ replay: { symbols: spec.symbols, from: spec.from, to: spec.to, interval: spec.interval, source: spec.source, fill: spec.fill } }, dataDir);
      bridges.push(b);
      for (const id of clients) expect((await b.api('POST', '/api/clients', { id, name: `Fundo ${id}`, openingCash: 1_000_000 })).status).toBe(201);
      const started = await b.api('POST', '/api/strategies/runs', { strategy: c.strategy, symbols, clients, interval: c.interval, params: c.params, seed: 5 });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      await b.replay!.run();
      const run = await b.api('GET', `/api/strategies/runs/${started.body.id}`);
      expect(run.body.state, JSON.stringify(run.body)).toBe('running');

      const list = (await b.api<OrderView[]>('GET', '/api/orders')).body;
      const live = await Promise.all(list.map(async (o) => (await b.api<OrderView>('GET', `/api/orders/${o.id}`)).body));
      expect(live.every((o) => o.origin?.strategyRunId === started.body.id)).toBe(true);
      expect(comparableOrders(live)).toEqual(comparableOrders(backtest.orders));
      const liveFills = live.flatMap((o) => (o.fills ?? []).map((f) => ({ qty: f.qty, price: f.price, t: f.time, side: o.side })));
      const btFills = backtest.fills.map((f) => ({ qty: f.qty, price: f.price, t: f.t, side: f.side }));
      const key = (f: { t: string; price: number; qty: number }) => `${f.t}|${f.price}|${f.qty}`;
      expect(liveFills.sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual(btFills.sort((a, b) => (key(a) < key(b) ? -1 : 1)));
    }, 120_000);
  }
});

describe('a bridge on recorded history', () => {
  it('plays it when asked over the API, once, and says where it is', async () => {
    const { db, file } = tempMarketDb();
    writeCandles(db, { symbol: 'VALE3', interval: '15m', from: '2026-03-02', to: '2026-03-03', startH: 6180, tickH: 1 });
    db.close();
    const dataDir = tempDataDir();
    copyFileSync(file, path.join(dataDir, 'market.db'));
    const b = await startTestBridge({ replay: { symbols: ['VALE3'], from: '2026-03-02', to: '2026-03-03', interval: '15m', source: 'auto', fill: {} } }, dataDir);
    bridges.push(b);
    expect((await b.api('GET', '/api/replay')).body).toMatchObject({ state: 'ready', events: 0 });
    const started = await b.api('POST', '/api/replay/run');
    expect(started.status).toBe(202);
    const done = await eventually(async () => {
      const s = (await b.api('GET', '/api/replay')).body;
      return s.state === 'done' ? s : undefined;
    });
    expect(done.events).toBe(2 * 28);
    expect(done.simTime).toBe('2026-03-03T20:00:00.000Z');
    const q = (await b.api('GET', '/api/quotes?symbols=VALE3')).body[0];
    expect(q.last).toBeGreaterThan(0);
    expect((await b.api('POST', '/api/replay/run')).body.state).toBe('done');
  });

  it('refuses to start on history that is not stored, saying what is', async () => {
    const { db, file } = tempMarketDb();
    writeCandles(db, { symbol: 'VALE3', interval: '15m', from: '2026-03-02', to: '2026-03-03', startH: 6180, tickH: 1 });
    db.close();
    const dataDir = tempDataDir();
    copyFileSync(file, path.join(dataDir, 'market.db'));
    await expect(startTestBridge({ replay: { symbols: ['PETR4'], from: '2026-03-02', to: '2026-03-03', interval: '15m', source: 'auto', fill: {} } }, dataDir)).rejects.toThrow(/sem candles de 15m .* de PETR4 .*Guardado na base: VALE3 15m/);
  });
});
