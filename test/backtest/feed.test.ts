/**
 * Where a replay reads its rows from never changes what it replays: market.db in this thread, a
 * reader thread, or the columnar cache written by an earlier run give the same run; a series changed
 * since (a corrected candle: same rows, same last instant) is read again, never served from the old
 * file; a cancelled run publishes no half-written file.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestSpecSchema, type BacktestResultView } from '../../common/backtest.js';
import { runBacktest } from '../../bridge/backtest/engine.js';
import { pruneCache } from '../../bridge/backtest/feed-cache.js';
import { CANDLE_SQL, TRADE_SQL } from '../../bridge/backtest/feed.js';
import type { FeedReadOptions } from '../../bridge/backtest/feed-sources.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { saoPauloDayRangeMs } from '../../bridge/marketdata/sp-instant.js';
import type { StrategyDefinition } from '../../bridge/strategy/api.js';
import maCrossover from '../../bridge/strategy/examples/ma-crossover.js';
import { writeCandles, writeTrades } from '../support/market-fixture.js';
import { comparable, withDb } from './helpers.js';

let db: MarketDb;
let cleanup: () => void;
let cacheDir: string;
beforeAll(() => {
  ({ db, cleanup } = withDb());
  cacheDir = path.join(path.dirname(db.file), 'cache');
  writeCandles(db, { symbol: 'PETR4', interval: '1m', from: '2026-10-01', to: '2026-11-27', startH: 3_000, tickH: 1, seed: 1 });
  writeCandles(db, { symbol: 'VALE3', interval: '1m', from: '2026-10-01', to: '2026-11-27', startH: 6_000, tickH: 1, seed: 2 });
  writeTrades(db, { symbol: 'ITUB4', from: '2026-11-02', to: '2026-11-06', startH: 3_500, tickH: 1, perDay: 4_000 });
});
afterAll(() => cleanup());

const spec = { symbols: ['PETR4', 'VALE3'], from: '2026-10-01', to: '2026-11-27', interval: '1m' as const, params: { fast: 5, slow: 20 } };
const run = async (feed: FeedReadOptions, s: Record<string, unknown> = spec, cancelled?: () => boolean): Promise<BacktestResultView> => {
  const out = await runBacktest(maCrossover as StrategyDefinition, backtestSpecSchema.parse(s), { marketDb: db, feed: { cacheMinRows: 1_000, ...feed }, cancelled });
  if (!out.ok) throw new Error(JSON.stringify(out.errors));
  return out.result;
};
const files = () => (existsSync(cacheDir) ? readdirSync(cacheDir) : []);

describe('replay sources', () => {
  it('market.db in this thread, a reader thread, and the cache written by the first run give the same run', async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const direct = await run({ cache: false, thread: false });
    expect(direct.stats.read).toEqual({ cachedRows: 0, databaseRows: direct.stats.rows, readerThread: false });
    expect(direct.fills.length).toBeGreaterThan(50);
    const threaded = await run({ cache: false, thread: true });
    expect(threaded.stats.read).toEqual({ cachedRows: 0, databaseRows: direct.stats.rows, readerThread: true });
    expect(comparable(threaded)).toEqual(comparable(direct));
    expect(files()).toEqual([]);
    // Cold: read from market.db (in the reader thread) and written to the cache on the way.
    const cold = await run({ thread: true });
    expect(cold.stats.read!.databaseRows).toBe(direct.stats.rows);
    expect(files().filter((f) => f.endsWith('.f64'))).toHaveLength(2);
    expect(comparable(cold)).toEqual(comparable(direct));
    // Warm: every row from the cache.
    const warm = await run({});
    expect(warm.stats.read).toEqual({ cachedRows: direct.stats.rows, databaseRows: 0, readerThread: false });
    expect(comparable(warm)).toEqual(comparable(direct));
    // Written in this thread instead, the cache is the same.
    rmSync(cacheDir, { recursive: true, force: true });
    await run({ thread: false });
    expect(comparable(await run({}))).toEqual(comparable(direct));
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    for (const f of files()) expect(statSync(path.join(cacheDir, f)).mode & 0o777).toBe(0o600);
  });

  it('prints read through the thread and the cache give the same run', async () => {
    const prints = { ...spec, symbols: ['ITUB4'], from: '2026-11-02', to: '2026-11-06', source: 'trades' };
    const direct = await run({ cache: false, thread: false }, prints);
    expect(direct.fills.length).toBeGreaterThan(5);
    await run({ thread: true }, prints);
    const warm = await run({}, prints);
    expect(warm.stats.read!.cachedRows).toBe(16_000); // 2 November is a holiday: four sessions
    expect(comparable(warm)).toEqual(comparable(direct));
  });

  it('a corrected candle (same rows, same last instant) is read again from market.db, never from the old file', async () => {
    await run({});
    const before = await run({});
    expect(before.stats.read!.cachedRows).toBe(before.stats.rows);
    // Re-import of one candle with another close, as a corrected Profit export would store it.
    const id = db.find('PETR4', '1m')!;
    const startMs = saoPauloDayRangeMs('2026-10-15').fromMs + 11 * 3_600_000;
    const [c] = db.candles('PETR4', '1m', startMs, startMs + 1, 1);
    db.begin();
    db.putCandle(id, { ...c, closeH: c.closeH + 500, highH: c.highH + 500 });
    db.refreshSeries(id, '1m', ['2026-10-15']);
    db.commit();
    const after = await run({});
    // PETR4 is read again; VALE3, unchanged, still comes from its file.
    expect(after.stats.read!.databaseRows).toBe(before.stats.rows / 2);
    expect(after.stats.read!.cachedRows).toBe(before.stats.rows / 2);
    expect(comparable(after)).not.toEqual(comparable(before));
    expect(comparable(after)).toEqual(comparable(await run({ cache: false, thread: false })));
  });

  it('a run cancelled mid-way publishes no cache file and leaves no temporary one', async () => {
    // A year of minutes: more than the reader thread reads ahead of the replay (8 chunks of 4,096 rows).
    writeCandles(db, { symbol: 'ITUB4', interval: '1m', from: '2025-10-01', to: '2026-09-30', startH: 3_500, tickH: 1, seed: 3 });
    const long = { ...spec, symbols: ['ITUB4'], from: '2025-10-01', to: '2026-09-30' };
    for (const thread of [true, false]) {
      rmSync(cacheDir, { recursive: true, force: true });
      const r = await run({ thread }, long, () => true);
      expect(r.warnings).toContain('execução cancelada: resultado parcial');
      expect(r.stats.events).toBe(8_192);
      // The reader thread stops on its own: give it a moment to drop its file.
      for (let i = 0; i < 50 && files().length > 0; i++) await new Promise((res) => setTimeout(res, 20));
      expect(files()).toEqual([]);
    }
    // Read to its end, the same range is published.
    await run({ thread: true }, long);
    expect(files().filter((f) => f.startsWith('ITUB4.1m'))).toHaveLength(1);
  });

  it('the cache folder is kept under its size, least recently used first, and abandoned temporary files go', () => {
    const dir = path.join(path.dirname(db.file), 'prune-test');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const now = Date.now() / 1000;
    for (const [name, age] of [['a.f64', 30], ['b.f64', 20], ['c.f64', 10], ['.x.tmp', 7_200], ['.y.tmp', 10]] as const) {
      writeFileSync(path.join(dir, name), Buffer.alloc(1_000));
      utimesSync(path.join(dir, name), now - age, now - age);
    }
    pruneCache(dir, 2_000);
    expect(readdirSync(dir).sort()).toEqual(['.y.tmp', 'b.f64', 'c.f64']);
  });
});

describe('market.db', () => {
  it('the replay reads each chunk by seeking the primary key to where the last one ended, never from the series start', () => {
    const plan = (sql: string, args: unknown[]) => (new Database(db.file, { readonly: true }).prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan(TRADE_SQL, [1, 0, 0, 1, 10])).toContain('(time_ms,seq)>(?,?) AND time_ms<?');
    expect(plan(CANDLE_SQL, [1, 0, 1, 10])).toContain('start_ms>? AND start_ms<?');
  });


  it('a database from before the version token gets one when opened for writing, and per-day counts agree with a count of the rows', () => {
    const id = db.find('PETR4', '1m')!;
    expect(db.seriesVersion(id)?.version).toMatch(/^[0-9a-f]{24}$/);
    const r = { from: saoPauloDayRangeMs('2026-10-05').fromMs, to: saoPauloDayRangeMs('2026-10-20').toMs };
    expect(db.rowsOnDays(id, '2026-10-05', '2026-10-20')).toBe(db.countRows(id, '1m', r.from, r.to));
    const { db: old, cleanup: done } = withDb();
    try {
      const file = old.file;
      writeCandles(old, { symbol: 'PETR4', interval: '1d', from: '2026-10-01', to: '2026-10-09', startH: 3_000, tickH: 1 });
      old.close();
      // As written before: no version column.
      const raw = new Database(file);
      raw.exec('ALTER TABLE series DROP COLUMN version');
      raw.close();
      const ro = MarketDb.openReadOnly(file);
      expect(ro.seriesVersion(ro.find('PETR4', '1d')!)).toBeUndefined();
      ro.close();
      const rw = MarketDb.open(file);
      expect(rw.seriesVersion(rw.find('PETR4', '1d')!)?.version).toMatch(/^[0-9a-f]{24}$/);
      rw.close();
    } finally {
      done();
    }
  });
});
