/** Messages between the bridge and the market-database writer thread (import-worker.ts). */
import type { CandleInterval, ImportFileReport, SeriesInterval } from '../../../common/marketdata.js';

/** A trade from a ProfitDLL history download, prices in hundredths. */
export interface HistoryTrade {
  timeMs: number;
  priceH: number;
  qty: number;
  /** 0 undefined, 1 buyer, 2 seller (stored codes). */
  aggressor: number;
}

export type WorkerRequest =
  | { op: 'import'; jobId: string; file: string; label: string; interval?: CandleInterval; maxBytes?: number }
  | { op: 'cancel'; jobId: string }
  | { op: 'storeTrades'; jobId: string; symbol: string; trades: HistoryTrade[]; last: boolean }
  | { op: 'delete'; jobId: string; symbol: string; interval: SeriesInterval; fromMs: number; toMs: number; fromDay: string; toDay: string };

export type WorkerReply =
  | { op: 'progress'; jobId: string; bytesRead: number; totalBytes: number; rowsRead: number }
  | { op: 'done'; jobId: string; report: ImportFileReport }
  | { op: 'stored'; jobId: string; rowsRead: number; stored: number; duplicates: number; refused: Array<{ line: number; reason: string }> }
  | { op: 'deleted'; jobId: string; rows: number }
  | { op: 'failed'; jobId: string; message: string };
