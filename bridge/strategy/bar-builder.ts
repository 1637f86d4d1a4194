/**
 * Bars from prints: what a strategy gets when the market sends trades rather than candles (a live
 * feed, or a replay of times & trades). A bar covers [start, end) of its interval, counted from São
 * Paulo midnight, and closes at its end: the host asks `nextCloseMs` and calls `closeDue(now)` when
 * the clock gets there, so a quiet minute delays nothing. A bucket without prints makes no bar.
 */
import type { CandleInterval } from '../../common/marketdata.js';
import { saoPauloDay } from '../calendar/iso-date.js';

export const BAR_INTERVAL_MS: Record<CandleInterval, number> = {
  '1m': 60_000,
  '2m': 120_000,
  '5m': 300_000,
  '10m': 600_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '60m': 3_600_000,
  '1d': 86_400_000,
};

/**
 * The [start, end) bucket of `interval` that holds an instant: intraday buckets counted from the São
 * Paulo midnight (a 15-minute bar of 10:00 holds 10:00–10:14:59), a day from midnight to midnight.
 */
export function barBucketer(interval: CandleInterval): (ms: number) => [number, number] {
  const b = new BarBuckets(interval);
  return (ms) => {
    const s = b.startOf(ms);
    return [s, b.end];
  };
}

/** barBucketer without an array per call: `startOf(ms)` returns the bucket's start and leaves its end in `end`. */
export class BarBuckets {
  private readonly size: number;
  private readonly daily: boolean;
  private dayStart = Number.NaN;
  private dayEnd = Number.NaN;
  /** End of the bucket of the last `startOf`. */
  end = Number.NaN;

  constructor(interval: CandleInterval) {
    this.size = BAR_INTERVAL_MS[interval];
    this.daily = interval === '1d';
  }

  startOf(ms: number): number {
    if (!(ms >= this.dayStart && ms < this.dayEnd)) {
      const d = saoPauloDay(ms);
      this.dayStart = d.startMs;
      this.dayEnd = d.endMs;
    }
    if (this.daily) {
      this.end = this.dayEnd;
      return this.dayStart;
    }
    const s = this.dayStart + Math.floor((ms - this.dayStart) / this.size) * this.size;
    this.end = Math.min(s + this.size, this.dayEnd);
    return s;
  }
}

export interface BuiltBar {
  symbol: string;
  startMs: number;
  endMs: number;
  openTicks: number;
  highTicks: number;
  lowTicks: number;
  closeTicks: number;
  qty: number;
  volumeCentavos: number;
}

export class BarBuilder {
  private readonly open = new Map<string, BuiltBar>();
  private readonly bucket: (ms: number) => [number, number];

  constructor(
    interval: CandleInterval,
    private readonly emit: (bar: BuiltBar) => void,
  ) {
    this.bucket = barBucketer(interval);
  }

  /** A print; a print past the open bar's end closes it first. */
  print(symbol: string, timeMs: number, priceTicks: number, qty: number, volumeCentavos: number): void {
    let b = this.open.get(symbol);
    if (b && timeMs >= b.endMs) {
      this.open.delete(symbol);
      this.emit(b);
      b = undefined;
    }
    if (!b) {
      const [startMs, endMs] = this.bucket(timeMs);
      this.open.set(symbol, { symbol, startMs, endMs, openTicks: priceTicks, highTicks: priceTicks, lowTicks: priceTicks, closeTicks: priceTicks, qty, volumeCentavos });
      return;
    }
    if (priceTicks > b.highTicks) b.highTicks = priceTicks;
    if (priceTicks < b.lowTicks) b.lowTicks = priceTicks;
    b.closeTicks = priceTicks;
    b.qty += qty;
    b.volumeCentavos += volumeCentavos;
  }

  /** Earliest end of an open bar. */
  nextCloseMs(): number | undefined {
    let next: number | undefined;
    for (const b of this.open.values()) if (next === undefined || b.endMs < next) next = b.endMs;
    return next;
  }

  /** Closes (emits) every bar whose end is at or before `nowMs`, earliest first. */
  closeDue(nowMs: number): void {
    const due = [...this.open.values()].filter((b) => b.endMs <= nowMs).sort((a, b) => a.endMs - b.endMs || (a.symbol < b.symbol ? -1 : 1));
    for (const b of due) {
      this.open.delete(b.symbol);
      this.emit(b);
    }
  }
}
