/** The writing half of an import: stores parsed batches (row-batch.ts) inside the caller's transaction. */
import type { SeriesInterval } from '../../../common/marketdata.js';
import { CANDLE_BATCH, type MarketDb } from '../market-db.js';
import { ROW_NUMS, type RowBatch } from './row-batch.js';

const nullable = (v: number) => (Number.isNaN(v) ? null : v);

/** Stores batches of one file inside the caller's transaction; remembers what the series need afterwards. */
export class BatchWriter {
  stored = 0;
  duplicates = 0;
  readonly seriesDays = new Map<number, { interval: SeriesInterval; days: Set<string> }>();
  readonly seriesNames = new Set<string>();
  private readonly seriesCache = new Map<string, number>();
  // Rows of one series wait here for a multi-row INSERT; the array keeps its size for the whole file.
  private readonly params: Array<number | null> = new Array(CANDLE_BATCH * 9).fill(0);
  private len = 0;
  private paramsSeries = -1;

  constructor(private readonly db: MarketDb) {}

  private series(symbol: string, interval: SeriesInterval): number {
    const key = `${symbol} ${interval}`;
    let id = this.seriesCache.get(key);
    if (id === undefined) {
      id = this.db.seriesId(symbol, interval);
      this.seriesCache.set(key, id);
      this.seriesNames.add(key);
      this.seriesDays.set(id, { interval, days: new Set() });
    }
    return id;
  }

  write(b: RowBatch): void {
    const { keys, nums } = b;
    let lastSym = -1;
    let lastDay = -1;
    let id = -1;
    for (let r = 0; r < b.rows; r++) {
      const sym = keys[r * 2];
      const day = keys[r * 2 + 1];
      if (sym !== lastSym || day !== lastDay) {
        id = this.series(b.symbols[sym], b.interval);
        this.seriesDays.get(id)!.days.add(b.days[day]);
        lastSym = sym;
        lastDay = day;
      }
      const k = r * ROW_NUMS;
      if (b.interval === 'trades') {
        const t = { timeMs: nums[k], priceH: nums[k + 2], qty: nums[k + 3], buyerAgent: nullable(nums[k + 4]), sellerAgent: nullable(nums[k + 5]), aggressor: nums[k + 6], tradeNumber: nullable(nums[k + 7]) };
        if (this.db.putTrade(id, nums[k + 1], t)) this.stored++;
        else this.duplicates++;
        continue;
      }
      if (id !== this.paramsSeries && this.len) this.flush();
      this.paramsSeries = id;
      const p = this.params;
      let j = this.len;
      p[j++] = id;
      for (let c = 0; c < 7; c++) p[j++] = nums[k + c];
      p[j++] = nullable(nums[k + 7]);
      this.len = j;
      if (j === p.length) this.flush();
    }
  }

  flush(): void {
    const p = this.params;
    if (this.len === p.length) {
      const written = this.db.putCandleBatch(p);
      this.stored += written;
      this.duplicates += CANDLE_BATCH - written;
    } else {
      for (let k = 0; k < this.len; k += 9) {
        const [sid, startMs, openH, highH, lowH, closeH, volumeCentavos, qty, trades] = p.slice(k, k + 9) as number[];
        if (this.db.putCandle(sid, { startMs, openH, highH, lowH, closeH, volumeCentavos, qty, trades })) this.stored++;
        else this.duplicates++;
      }
    }
    this.len = 0;
  }
}

