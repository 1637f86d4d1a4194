/**
 * Bars from prints: what a strategy gets when the market sends trades rather than candles (a live
 * feed, or a replay of times & trades). A bar covers [start, end) of its interval, counted from São
 * Paulo midnight, and closes at its end: the host asks `nextCloseMs` and calls `closeDue(now)` when
 * the clock gets there, so a quiet minute delays nothing. A bucket without prints makes no bar.
 */
import { DateTime } from 'luxon';
import type { CandleInterval } from '../../common/marketdata.js';
import { SAO_PAULO_ZONE } from '../calendar/iso-date.js';

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
  const size = BAR_INTERVAL_MS[interval];
  let dayStart = Number.NaN;
  let dayEnd = Number.NaN;
  return (ms) => {
    if (!(ms >= dayStart && ms < dayEnd)) {
      const d = DateTime.fromMillis(ms, { zone: SAO_PAULO_ZONE }).startOf('day');
      dayStart = d.toMillis();
      dayEnd = d.plus({ days: 1 }).toMillis();
    }
    if (interval === '1d') return [dayStart, dayEnd];
    const s = dayStart + Math.floor((ms - dayStart) / size) * size;
    return [s, Math.min(s + size, dayEnd)];
  };
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
