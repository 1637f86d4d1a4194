/**
 * Parsed rows on their way from the reader thread to the SQLite writer: one Float64Array of numbers
 * (transferred, not copied) and a small table of the batch's symbols and session dates, so a batch of
 * thousands of rows is a handful of objects for the structured clone and the GC.
 */
import type { SeriesInterval } from '../../../common/marketdata.js';

/** Rows per batch: big enough that posting costs nothing per row, small enough to hold a few in flight. */
export const BATCH_ROWS = 8_192;
/** Numbers per row. Candles: startMs, open, high, low, close, volumeCentavos, qty, trades. Trades: timeMs, seq, price, qty, buyer, seller, aggressor, tradeNumber. */
export const ROW_NUMS = 8;

export interface RowBatch {
  interval: SeriesInterval;
  rows: number;
  /** Per row: index into `symbols`, then index into `days`. */
  keys: Int32Array;
  symbols: string[];
  /** São Paulo session dates (YYYY-MM-DD). */
  days: string[];
  /** `rows × ROW_NUMS` values; NaN where the value is absent (SQL NULL). */
  nums: Float64Array;
}

/** Fills one batch at a time; `take` hands it over and starts the next. */
export class BatchBuilder {
  private keys = new Int32Array(BATCH_ROWS * 2);
  private nums = new Float64Array(BATCH_ROWS * ROW_NUMS);
  private symbols: string[] = [];
  private days: string[] = [];
  private lastSymbol: string | undefined;
  private lastDay: string | undefined;
  rows = 0;

  /** The row's numbers are written by the caller at `at(row)`; returns that offset. */
  push(symbol: string, day: string): number {
    if (symbol !== this.lastSymbol) {
      this.lastSymbol = symbol;
      this.symbols.push(symbol);
    }
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.days.push(day);
    }
    const r = this.rows++;
    this.keys[r * 2] = this.symbols.length - 1;
    this.keys[r * 2 + 1] = this.days.length - 1;
    return r * ROW_NUMS;
  }

  get values(): Float64Array {
    return this.nums;
  }

  get full(): boolean {
    return this.rows === BATCH_ROWS;
  }

  take(interval: SeriesInterval): RowBatch {
    const b: RowBatch = { interval, rows: this.rows, keys: this.keys, symbols: this.symbols, days: this.days, nums: this.nums };
    this.keys = new Int32Array(BATCH_ROWS * 2);
    this.nums = new Float64Array(BATCH_ROWS * ROW_NUMS);
    this.symbols = [];
    this.days = [];
    this.lastSymbol = this.lastDay = undefined;
    this.rows = 0;
    return b;
  }
}
