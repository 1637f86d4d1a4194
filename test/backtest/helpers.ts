/**
 * Small recorded markets written candle by candle or print by print (São Paulo wall time), and a
 * backtest runner that returns the result or throws with the errors, for the engine's tests.
 */
import { rmSync } from 'node:fs';
import type { BacktestResultView, BacktestSpecInput } from '../../common/backtest.js';
import { backtestSpecSchema } from '../../common/backtest.js';
import type { CandleInterval } from '../../common/marketdata.js';
import { runBacktest } from '../../bridge/backtest/engine.js';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { saoPauloInstantMs } from '../../bridge/marketdata/sp-instant.js';
import { defineStrategy, type StrategyBoleta, type StrategyDefinition } from '../../bridge/strategy/api.js';
import { tempMarketDb } from '../support/market-fixture.js';

/** Epoch ms of `YYYY-MM-DD HH:mm[:ss]` in São Paulo. */
export function sp(local: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) throw new Error(`bad local time ${local}`);
  return saoPauloInstantMs(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] ? +m[6] : 0);
}

/** São Paulo `YYYY-MM-DD HH:mm:ss` of an instant (ISO string or ms). */
export function local(t: string | number): string {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return new Date(ms - 3 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** [local start, open, high, low, close, qty] in BRL (or points). */
export type CandleRow = [string, number, number, number, number, number];

export function putCandles(db: MarketDb, symbol: string, interval: CandleInterval, rows: CandleRow[]): void {
  db.begin();
  const id = db.seriesId(symbol, interval);
  const days = new Set<string>();
  for (const [t, o, h, l, c, qty] of rows) {
    const h100 = (x: number) => Math.round(x * 100);
    db.putCandle(id, { startMs: sp(t), openH: h100(o), highH: h100(h), lowH: h100(l), closeH: h100(c), volumeCentavos: Math.round(qty * c * 100), qty, trades: 1 });
    days.add(t.slice(0, 10));
  }
  db.refreshSeries(id, interval, days);
  db.commit();
}

/** [local time, price, qty, aggressor 'buy' | 'sell' | 'auction'] */
/** Daily bars that open, trade and close at one price each (`[date, price]`), a million shares a day. */
export function putFlatDays(db: MarketDb, symbol: string, days: Array<[string, number]>): void {
  putCandles(db, symbol, '1d', days.map(([date, p]) => [`${date} 00:00`, p, p, p, p, 1_000_000]));
}

export type PrintRow = [string, number, number, 'buy' | 'sell' | 'auction'];

export function putPrints(db: MarketDb, symbol: string, rows: PrintRow[]): void {
  db.begin();
  const id = db.seriesId(symbol, 'trades');
  const days = new Set<string>();
  rows.forEach(([t, price, qty, agg], i) => {
    db.putTrade(id, i + 1, { timeMs: sp(t), priceH: Math.round(price * 100), qty, buyerAgent: null, sellerAgent: null, aggressor: agg === 'buy' ? 1 : agg === 'sell' ? 2 : 3, tradeNumber: i + 1 });
    days.add(t.slice(0, 10));
  });
  db.refreshSeries(id, 'trades', days);
  db.commit();
}

export function withDb(): { db: MarketDb; cleanup(): void } {
  const { db, dir } = tempMarketDb();
  return {
    db,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function backtest(def: StrategyDefinition, spec: BacktestSpecInput, db: MarketDb): Promise<BacktestResultView> {
  const out = await runBacktest(def, backtestSpecSchema.parse(spec), { marketDb: db });
  if (!out.ok) throw new Error(out.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  if (out.result.fault) throw new Error(`fault in ${out.result.fault.hook}: ${out.result.fault.message}`);
  return out.result;
}

/** The run's result without what depends on the machine (timings). */
export function comparable(r: BacktestResultView): unknown {
  const { stats, ...rest } = r;
  return { ...rest, stats: { events: stats.events, rows: stats.rows, source: stats.source } };
}

/**
 * A scripted strategy: each boleta is sent on the bar that starts at its local time (São Paulo; a
 * prefix matches, so '2026-11-24' is a daily bar's date), once, and cancelled on the bar at `cancelAt`.
 */
export function sendOn(plan: Array<{ at: string; boleta: StrategyBoleta; cancelAt?: string }>): StrategyDefinition {
  return defineStrategy({
    name: 'scripted',
    setup(ctx) {
      const refs: Array<string | undefined> = [];
      return {
        onBar(bar) {
          const at = local(bar.t);
          plan.forEach((p, i) => {
            if (refs[i] === undefined && at.startsWith(p.at)) refs[i] = ctx.submit(p.boleta);
            if (p.cancelAt !== undefined && refs[i] !== undefined && at.startsWith(p.cancelAt)) ctx.cancel(refs[i]!);
          });
        },
      };
    },
  });
}
