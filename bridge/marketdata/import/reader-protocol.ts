/** Messages between the market-database writer and the file reader thread (reader-worker.ts). */
import type { FileEncoding, ImportFileReport } from '../../../common/marketdata.js';
import type { ImportProgress, ReadOptions, ReadResult } from './profit-reader.js';
import type { RowBatch } from './row-batch.js';

/** Batches read ahead of the writer at most: memory stays at a few batches whatever the file's size. */
export const MAX_BATCHES_IN_FLIGHT = 4;

export type ReaderRequest =
  | { op: 'read'; file: string; label: string; opts: ReadOptions }
  /** The writer has stored one batch: the reader may send another. */
  | { op: 'ack' };

export type ReaderReply =
  | { op: 'detected'; variant: NonNullable<ImportFileReport['variant']>; encoding: FileEncoding; totalBytes: number }
  | { op: 'batch'; batch: RowBatch }
  | { op: 'progress'; progress: ImportProgress; line: number }
  | { op: 'end'; result: ReadResult };
