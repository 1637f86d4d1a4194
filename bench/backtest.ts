/**
 * Backtest benchmarks (PRODUCT.md §7), all through `runBacktest` — the same kernel (OMS, algos, risk
 * gate, portfolio with fees and settlement) as the bridge, on the replay venue — in one process:
 *
 * 1. A signal-only strategy (two SMAs per symbol and their crossings, no order) over ten million
 *    1-minute bars: 12 symbols × 8 years of B3 sessions (10:00–17:00). Cold: the rows come from
 *    market.db (SQLite; a reader thread packs them while the replay runs) and are written to the
 *    columnar cache on the way, the cache emptied before each cold run. Warm: every row from the cache
 *    (what the runs of a sweep after the first do). Bar: ≥ 1,000,000 bars/s.
 * 2. A trading strategy over times & trades (two symbols, 100,000 prints a session) replayed through
 *    the simulated exchange and the algos: on each symbol a cover-to-X or a TWAP parent is kept
 *    working through the session (alternating; one sent as soon as the last one is done), and every
 *    30 s a passive limit one tick inside the market is sent and cancelled 20 s later if it has not
 *    filled. Cold and warm as above. Bar: ≥ 200,000 prints/s.
 * 3. The bundled MA crossover (ma-crossover.ts, fast 9 / slow 21, market orders) against the same
 *    crossover in grademark 0.3.0 on the same bars, side by side: long when the fast SMA crosses above
 *    the slow one, flat when it crosses below, each fill at the next bar's open. The bars are every
 *    minute of every day, without session gaps: a B3 day order sent after the session's last bar
 *    expires with the day (grademark has no days), so gaps would make the two differ on purpose. Both
 *    must give the same round trips (entry and exit times and prices). Also with 50/200 (fewer
 *    trades), to show the cost per bar apart from the cost per order.
 *
 * Medians of repeated runs; every run's figures are returned. `npm run bench` runs this file in a
 * process of its own, as the product runs every backtest in a process of its own: the bridge, algo
 * and import benches before it leave nothing behind (their heap, the type feedback of the code they
 * share with a replay) that would slow the replay here. Standalone: `npx tsx bench/backtest.ts`
 * (env BACKTEST_SYMBOLS, BACKTEST_YEARS_FROM, BACKTEST_COLD_RUNS, BACKTEST_WARM_RUNS, BACKTEST_MA_BARS).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataFrame } from 'data-forge';
import { backtest as grademarkBacktest } from 'grademark';
import { SMA } from 'trading-signals';
import { backtestSpecSchema, type BacktestResultView, type BacktestSpecInput } from '../common/backtest.js';
import { runBacktest } from '../bridge/backtest/engine.js';
import { CANDLE_BATCH, MarketDb } from '../bridge/marketdata/market-db.js';
import { Prng } from '../bridge/model/prng.js';
import { defineStrategy, type StrategyDefinition } from '../bridge/strategy/api.js';
import maCrossover from '../bridge/strategy/examples/ma-crossover.js';
import { writeCandles, writeTrades } from '../test/support/market-fixture.js';
import { median } from './stats.js';

const SYMBOLS = ['PETR4', 'VALE3', 'ITUB4', 'BBDC4', 'ABEV3', 'B3SA3', 'WEGE3', 'RENT3', 'SUZB3', 'GGBR4', 'BBAS3', 'ITSA4'];

export interface RunFigures {
  /** Rows replayed (bars or prints) per wall-clock second, each run. */
  perSec: number[];
  median: number;
  rows: number;
}

export interface BacktestBenchResult {
  signal: { bars: number; symbols: number; cold: RunFigures; warm: RunFigures; readerThread: boolean };
  trading: {
    prints: number;
    cold: RunFigures;
    warm: RunFigures;
    orders: number;
    children: number;
    reprices: number;
    fills: number;
    /** Share of the timer's looks (every 10 s, 10:05–16:30) that found an algo parent working. */
    workingShare: number;
  };
  crossover: Array<{
    fast: number;
    slow: number;
    bars: number;
    blackbox: RunFigures;
    grademark: RunFigures;
    roundTrips: number;
    sameTrades: boolean;
    /** BlackBox fills whose price is not the open of the bar they filled on (market orders go out as protected limits). */
    fillsOffTheOpen: number;
    /** Bars that opened more than 2% away from the close before (where a protected limit could bind). */
    gapsOver2Pct: number;
  }>;
}

function figures(perSec: number[], rows: number): RunFigures {
  return { perSec, median: median(perSec), rows };
}

async function timed(def: StrategyDefinition, spec: BacktestSpecInput, db: MarketDb): Promise<{ result: BacktestResultView; perSec: number }> {
  const t0 = performance.now();
  const out = await runBacktest(def, backtestSpecSchema.parse(spec), { marketDb: db });
  const secs = (performance.now() - t0) / 1000;
  if (!out.ok) throw new Error(`backtest refused: ${out.errors.map((e) => e.message).join('; ')}`);
  if (out.result.fault) throw new Error(`backtest fault: ${out.result.fault.message}`);
  return { result: out.result, perSec: out.result.stats.rows / secs };
}

/** Two SMAs per symbol and their crossings: a signal computed on every bar, no order sent. */
const signalOnly = defineStrategy({
  name: 'signal only',
  setup(ctx) {
    const st = new Map(ctx.symbols.map((s) => [s, { fast: new ctx.indicators.SMA(9), slow: new ctx.indicators.SMA(21), prev: 0, crossings: 0 }]));
    return {
      onBar(bar) {
        const x = st.get(bar.symbol)!;
        const f = x.fast.update(bar.close, false);
        const s = x.slow.update(bar.close, false);
        if (f === null || s === null) return;
        const d = f - s;
        if (d > 0 !== x.prev > 0) x.crossings++;
        x.prev = d;
      },
      onStop() {
        ctx.log(`crossings ${[...st.values()].reduce((a, x) => a + x.crossings, 0)}`);
      },
    };
  },
});

/** Keeps a cover-to-X or a TWAP parent working on each symbol, and places and cancels passive limits. */
const tradingStrategy = defineStrategy({
  name: 'algos at work',
  setup(ctx) {
    let looks = 0;
    let working = 0;
    let k = 0;
    /** Per symbol: the algo parent (its side) and the passive limit resting, if any. */
    const algo = new Map<string, { ref: string; side: 'buy' | 'sell' }>();
    const passive = new Map<string, string>();
    const isOpen = (symbol: string, ref: string | undefined) => ref !== undefined && ctx.openOrders(symbol).some((o) => o.ref === ref);
    // Trading now: within the session's hours and the market printing (not a holiday's clock).
    let lastBarMs = Number.NEGATIVE_INFINITY;
    const inSession = () => {
      const m = ctx.saoPaulo(ctx.now()).minute;
      return m >= 10 * 60 + 5 && m < 16 * 60 + 30 && ctx.now() - lastBarMs < 180_000;
    };
    return {
      onBar(bar) {
        lastBarMs = bar.t + 60_000;
      },
      onStart() {
        ctx.every('algos', 10_000);
        ctx.every('passive', 30_000);
      },
      onTimer(name) {
        if (!inSession()) return;
        for (const symbol of ctx.symbols) {
          const last = ctx.last(symbol);
          if (last === undefined) continue;
          const current = algo.get(symbol);
          if (name === 'algos') {
            looks++;
            if (isOpen(symbol, current?.ref)) {
              working++;
              continue;
            }
            const held = ctx.position(symbol).qty;
            const side = held < 20_000 ? 'buy' : 'sell';
            // Never both sides at once (the risk gate refuses trading with oneself): a passive limit
            // left on the other side is cancelled first, and the new parent goes out on the next look.
            const rest = passive.get(symbol);
            if (isOpen(symbol, rest) && current?.side !== side) {
              ctx.cancel(rest!);
              passive.delete(symbol);
              continue;
            }
            const qty = side === 'buy' ? 5_000 : Math.min(held, 5_000);
            const ref =
              k++ % 2 === 0
                ? ctx.submit({ symbol, side, qty, limitPrice: ctx.roundPrice(symbol, last * (side === 'buy' ? 1.002 : 0.998)), algo: { type: 'cover', minRepriceMs: 2_000 } })
                : ctx.submit({ symbol, side, qty, algo: { type: 'twap', sliceSec: 60, style: 'passive', end: new Date(ctx.now() + 20 * 60_000).toISOString() } });
            algo.set(symbol, { ref, side });
          } else {
            // A passive limit one tick inside, on the side the algo works; the one before is cancelled.
            const rest = passive.get(symbol);
            if (rest !== undefined) {
              if (isOpen(symbol, rest)) ctx.cancel(rest);
              passive.delete(symbol);
              continue;
            }
            if (!current) continue;
            const tick = ctx.instrument(symbol).tickSize;
            const px = ctx.roundPrice(symbol, current.side === 'buy' ? last - tick : last + tick);
            passive.set(symbol, ctx.submit({ symbol, side: current.side, qty: 100, limitPrice: px }));
          }
        }
      },
      onStop() {
        ctx.log(`working ${looks === 0 ? 0 : working / looks}`);
      },
    };
  },
});

/** Every minute of every calendar day from 2025-01-01 (no session gaps), a random walk in centavos. */
function writeEveryMinute(db: MarketDb, symbol: string, bars: number, seed: number): number[][] {
  const rng = new Prng(seed);
  const t0 = Date.UTC(2025, 0, 1, 3); // 00:00 in São Paulo
  const rows: number[][] = [];
  let p = 3_000;
  for (let i = 0; i < bars; i++) {
    const o = p;
    let h = o;
    let l = o;
    for (let k = 0; k < 4; k++) {
      p = Math.max(1, p + rng.int(3) - 1);
      h = Math.max(h, p);
      l = Math.min(l, p);
    }
    rows.push([t0 + i * 60_000, o, h, l, p, 10_000 + rng.int(10) * 100]);
  }
  db.begin();
  const id = db.seriesId(symbol, '1m');
  const buf: number[] = [];
  for (const r of rows) {
    buf.push(id, r[0], r[1], r[2], r[3], r[4], r[5] * r[4], r[5], 1);
    if (buf.length === CANDLE_BATCH * 9) {
      db.putCandleBatch(buf);
      buf.length = 0;
    }
  }
  for (let i = 0; i < buf.length; i += 9) db.putCandle(id, { startMs: buf[i + 1], openH: buf[i + 2], highH: buf[i + 3], lowH: buf[i + 4], closeH: buf[i + 5], volumeCentavos: buf[i + 6], qty: buf[i + 7], trades: 1 });
  db.refreshSeries(id, '1m', new Set(rows.map((r) => new Date(r[0] - 3 * 3_600_000).toISOString().slice(0, 10))));
  db.commit();
  return rows;
}

/** The same crossover in grademark: SMAs by the same library, rules on each bar, fills at the next bar's open. */
function grademarkCrossover(rows: number[][], fast: number, slow: number): Array<{ entryMs: number; entryPrice: number; exitMs: number; exitPrice: number }> {
  const f = new SMA(fast);
  const s = new SMA(slow);
  let prev: number | undefined;
  const bars = rows.map((r) => {
    const close = r[4] / 100;
    const a = f.update(close, false);
    const b = s.update(close, false);
    const diff = a === null || b === null ? undefined : a - b;
    const bar = { time: new Date(r[0]), open: r[1] / 100, high: r[2] / 100, low: r[3] / 100, close, diff, prev };
    if (diff !== undefined) prev = diff;
    return bar;
  });
  type B = (typeof bars)[number];
  const trades = grademarkBacktest(
    {
      entryRule: (enter: () => void, a: { bar: B }) => {
        if (a.bar.prev !== undefined && a.bar.diff !== undefined && a.bar.prev <= 0 && a.bar.diff > 0) enter();
      },
      exitRule: (exit: () => void, a: { bar: B }) => {
        if (a.bar.prev !== undefined && a.bar.diff !== undefined && a.bar.prev >= 0 && a.bar.diff < 0) exit();
      },
    } as never,
    new DataFrame(bars) as never,
  );
  // The last position is closed at the last close by grademark ("finalize"); BlackBox keeps it open.
  return trades.filter((t) => t.exitReason === 'exit-rule').map((t) => ({ entryMs: t.entryTime.getTime(), entryPrice: t.entryPrice, exitMs: t.exitTime.getTime(), exitPrice: t.exitPrice }));
}

interface BenchOptions {
  db: MarketDb;
  cache: string;
  coldRuns: number;
  warmRuns: number;
}

/** Signal only over ten million bars, cold (cache emptied before each run) then warm. */
async function signalBench(o: BenchOptions, symbols: string[], fromYear: number): Promise<BacktestBenchResult['signal']> {
  let bars = 0;
  symbols.forEach((symbol, i) => {
    bars += writeCandles(o.db, { symbol, interval: '1m', from: `${fromYear}-01-01`, to: '2026-12-31', startH: 3_000 + i * 700, tickH: 1, seed: 100 + i });
  });
  const spec = { symbols, from: `${fromYear}-01-01`, to: '2026-12-31', interval: '1m' as const };
  const cold: number[] = [];
  const warm: number[] = [];
  let readerThread = false;
  for (let i = 0; i < o.coldRuns; i++) {
    rmSync(o.cache, { recursive: true, force: true });
    const r = await timed(signalOnly, spec, o.db);
    if (r.result.stats.rows !== bars || r.result.stats.read?.cachedRows !== 0) throw new Error('signal cold run did not read every bar from market.db');
    readerThread = r.result.stats.read?.readerThread ?? false;
    cold.push(r.perSec);
  }
  for (let i = 0; i < o.warmRuns; i++) {
    const r = await timed(signalOnly, spec, o.db);
    if (r.result.stats.read?.cachedRows !== bars) throw new Error('signal warm run did not read every bar from the cache');
    if (r.result.orders.length !== 0) throw new Error('the signal-only strategy sent orders');
    warm.push(r.perSec);
  }
  return { bars, symbols: symbols.length, cold: figures(cold, bars), warm: figures(warm, bars), readerThread };
}

/** The trading strategy over prints, cold then warm; every warm run must give the same fills. */
async function tradingBench(o: BenchOptions): Promise<BacktestBenchResult['trading']> {
  let prints = 0;
  for (const [i, symbol] of ['PETR4', 'VALE3'].entries()) {
    prints += writeTrades(o.db, { symbol, from: '2026-11-03', to: '2026-11-24', startH: 3_000 + i * 3_000, tickH: 1, perDay: 100_000, seed: 200 + i });
  }
  const spec = { symbols: ['PETR4', 'VALE3'], from: '2026-11-03', to: '2026-11-24', interval: '1m' as const, source: 'trades' as const, cashBrl: 50_000_000 };
  const cold: number[] = [];
  const warm: number[] = [];
  let last: BacktestResultView | undefined;
  for (let i = 0; i < Math.max(1, o.coldRuns - 1); i++) {
    rmSync(o.cache, { recursive: true, force: true });
    cold.push((await timed(tradingStrategy, spec, o.db)).perSec);
  }
  for (let i = 0; i < o.warmRuns; i++) {
    const r = await timed(tradingStrategy, spec, o.db);
    if (r.result.stats.read?.cachedRows !== prints) throw new Error('trading warm run did not read every print from the cache');
    if (last && JSON.stringify(last.fills) !== JSON.stringify(r.result.fills)) throw new Error('trading runs differ');
    warm.push(r.perSec);
    last = r.result;
  }
  return {
    prints,
    cold: figures(cold, prints),
    warm: figures(warm, prints),
    orders: last!.orders.length,
    children: last!.executionQuality.children,
    reprices: last!.executionQuality.reprices,
    fills: last!.fills.length,
    workingShare: Number(/working ([\d.]+)/.exec(last!.logs.at(-1)?.message ?? '')?.[1] ?? 0),
  };
}

/** A full collection when the process allows it (`--expose-gc`), else nothing. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The bundled MA crossover and grademark's, alternating, on the same bars; the round trips compared every run. */
async function crossoverBench(o: BenchOptions, bars: number): Promise<BacktestBenchResult['crossover']> {
  const rows = writeEveryMinute(o.db, 'CMIN3', bars, 7);
  const day = (ms: number) => new Date(ms - 3 * 3_600_000).toISOString().slice(0, 10);
  const openAt = new Map(rows.map((r) => [r[0], r[1]]));
  const closeBefore = rows.map((r, i) => (i > 0 ? rows[i - 1][4] : r[1]));
  const gaps = rows.filter((r, i) => Math.abs(r[1] - closeBefore[i]) > 0.02 * closeBefore[i]).length;
  const out: BacktestBenchResult['crossover'] = [];
  for (const [fast, slow] of [
    [9, 21],
    [50, 200],
  ]) {
    const spec = { symbols: ['CMIN3'], from: day(rows[0][0]), to: day(rows[rows.length - 1][0]), interval: '1m' as const, params: { fast, slow, qty: 100 } };
    const bb: number[] = [];
    const gm: number[] = [];
    let same = true;
    let roundTrips = 0;
    let offOpen = 0;
    // Alternating, so both meet the same moments of a shared machine; each starts on a collected
    // heap, so neither pays for the other's garbage (the bench process has --expose-gc).
    for (let i = 0; i < o.warmRuns; i++) {
      collectGarbage();
      const r = await timed(maCrossover as StrategyDefinition, spec, o.db);
      bb.push(r.perSec);
      collectGarbage();
      const t0 = performance.now();
      const g = grademarkCrossover(rows, fast, slow);
      gm.push(rows.length / ((performance.now() - t0) / 1000));
      // BlackBox's fills are stamped at the end of the bar they filled on: its start is a minute before.
      const f = r.result.fills.map((x) => ({ startMs: Date.parse(x.t) - 60_000, price: x.price }));
      const pairs = [];
      for (let k = 0; k + 1 < f.length; k += 2) pairs.push({ entryMs: f[k].startMs, entryPrice: f[k].price, exitMs: f[k + 1].startMs, exitPrice: f[k + 1].price });
      same &&= JSON.stringify(pairs) === JSON.stringify(g);
      roundTrips = g.length;
      offOpen = f.filter((x) => Math.round(x.price * 100) !== openAt.get(x.startMs)).length;
    }
    out.push({ fast, slow, bars: rows.length, blackbox: figures(bb, rows.length), grademark: figures(gm, rows.length), roundTrips, sameTrades: same, fillsOffTheOpen: offOpen, gapsOver2Pct: gaps });
  }
  return out;
}

export async function runBacktestBench(opts: { dir?: string } = {}): Promise<BacktestBenchResult> {
  const env = (k: string, d: number) => Number(process.env[k] ?? d);
  // For a quicker look at one part: BACKTEST_ONLY=signal | trading | crossover.
  const only = process.env.BACKTEST_ONLY;
  const part = (name: string) => only === undefined || only === name;
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  mkdirSync(path.join(root, 'data'), { recursive: true });
  const dir = opts.dir ?? mkdtempSync(path.join(root, 'data', 'bench-backtest-'));
  const db = MarketDb.open(path.join(dir, 'market.db'));
  const o: BenchOptions = { db, cache: path.join(dir, 'cache'), coldRuns: env('BACKTEST_COLD_RUNS', 3), warmRuns: env('BACKTEST_WARM_RUNS', 5) };
  const none = figures([], 0);
  try {
    return {
      signal: part('signal') ? await signalBench(o, SYMBOLS.slice(0, env('BACKTEST_SYMBOLS', 12)), env('BACKTEST_YEARS_FROM', 2019)) : { bars: 0, symbols: 0, cold: none, warm: none, readerThread: false },
      trading: part('trading') ? await tradingBench(o) : { prints: 0, cold: none, warm: none, orders: 0, children: 0, reprices: 0, fills: 0, workingShare: 0 },
      crossover: part('crossover') ? await crossoverBench(o, env('BACKTEST_MA_BARS', 500_000)) : [],
    };
  } finally {
    db.close();
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runBacktestBench();
  // `npm run bench` runs this file in a process of its own and reads the figures from BENCH_RESULT_FILE.
  if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(r));
  else console.log(JSON.stringify(r, (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2));
}
