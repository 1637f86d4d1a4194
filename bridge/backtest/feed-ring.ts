/**
 * The ring the reader thread (feed-reader.ts) fills and the replay (feed-sources.ts) drains: per series,
 * SLOTS chunks of shared memory, each with a state (0 free, 1 filled) and its row count (0 = the
 * series is over, −1 = the reader failed). Handing a chunk over is two atomic stores, no message.
 */
export const WAKE = 0;
export const STOP = 1;
const HEAD = 2;

export interface ReaderSeries {
  seriesId: number;
  trades: boolean;
  fromMs: number;
  toMs: number;
  /** Write the columnar cache here as the rows are read. */
  cacheFile?: string;
  cacheKey?: unknown;
}

export interface ReaderJob {
  dbFile: string;
  series: ReaderSeries[];
  slots: number;
  chunkRows: number;
  control: SharedArrayBuffer;
  /** Per series, per slot: chunkRows × width float64. */
  buffers: SharedArrayBuffer[][];
}

export function ringLayout(series: number, slots: number) {
  return {
    size: HEAD + series * slots * 2,
    state: (i: number, k: number) => HEAD + (i * slots + k) * 2,
    rows: (i: number, k: number) => HEAD + (i * slots + k) * 2 + 1,
  };
}
