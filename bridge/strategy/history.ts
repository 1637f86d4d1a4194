/**
 * History a strategy starts with: the last closed bars of its symbols from the market database,
 * before the instant it starts (a backtest's first day, or now for a live run), so `ctx.bars` can
 * warm its indicators up in onStart. Only a stored series of the run's own interval is read.
 */
import type { MarketDb } from '../marketdata/market-db.js';
import type { Bar, BarInterval } from './api.js';

export function historyBars(
  db: MarketDb,
  symbols: readonly string[],
  interval: BarInterval,
  beforeMs: number,
  count: number,
  tickHundredthsOf: (symbol: string) => number | undefined,
): Bar[] {
  const out: Bar[] = [];
  if (count <= 0) return out;
  for (const symbol of symbols) {
    const tick = tickHundredthsOf(symbol);
    if (tick === undefined) continue;
    // Adjusted series may sit off the tick: snapped here as the replay snaps them.
    const p = (h: number) => (Math.max(1, Math.round(h / tick)) * tick) / 100;
    for (const c of db.candlesBefore(symbol, interval, beforeMs, count)) {
      out.push({ symbol, interval, t: c.startMs, open: p(c.openH), high: p(c.highH), low: p(c.lowH), close: p(c.closeH), qty: c.qty, volume: c.volumeCentavos / 100 });
    }
  }
  return out.sort((a, b) => a.t - b.t || (a.symbol < b.symbol ? -1 : 1));
}
