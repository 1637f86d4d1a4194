/**
 * Imports one Profit export into the market database as a two-stage pipeline: a reader thread
 * (reader-worker.ts → profit-reader.ts) reads and parses the file while this thread, the database's
 * writer, stores the batch before; neither waits for the other except when the reader is
 * MAX_BATCHES_IN_FLIGHT batches ahead. Reading and SQLite each cost about half of a row's time, so
 * on two cores the pipeline runs at the pace of the slower half instead of their sum.
 *
 * A file is one transaction: when it cannot be read to the end (cancelled, cut, unreadable) or a
 * write fails, nothing of it is kept and the report says so; refused lines are listed with their line
 * number and reason and the rest is stored. Re-importing a file writes nothing (every row is keyed by
 * its instant, or for trades by trade number or content); an overlapping file adds only what is new.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { CandleInterval, ImportFileReport } from '../../../common/marketdata.js';
import type { MarketDb } from '../market-db.js';
import { BatchWriter } from './batch-writer.js';
import type { ImportProgress, ReadResult } from './profit-reader.js';
import type { ReaderReply, ReaderRequest } from './reader-protocol.js';

export { DEFAULT_MAX_FILE_BYTES, IMPORT_CHUNK_BYTES, MAX_LINE_CHARS, type ImportProgress } from './profit-reader.js';

export interface ImportOptions {
  maxBytes?: number;
  /** Candle interval when the file cannot tell (one candle per day with a time column). */
  interval?: CandleInterval;
  onProgress?: (p: ImportProgress) => void;
  isCancelled?: () => boolean;
}

/** The reader thread, kept between files (starting one costs more than a small file) and ended to cancel one. */
let readerThread: Worker | undefined;
function reader(): Worker {
  if (readerThread) return readerThread;
  const w = new Worker(fileURLToPath(new URL('./reader-entry.mjs', import.meta.url)));
  w.unref(); // held only while a file is read (below): an idle reader never keeps the process alive
  readerThread = w;
  return w;
}
function endReader(): void {
  void readerThread?.terminate();
  readerThread = undefined;
}

/** Files of one thread go through its one reader thread one at a time, whatever database they go to. */
let queue: Promise<unknown> = Promise.resolve();

export function importProfitFile(db: MarketDb, file: string, label: string, opts: ImportOptions = {}): Promise<ImportFileReport> {
  const run = queue.then(() => importOne(db, file, label, opts));
  queue = run.catch(() => undefined);
  return run;
}

async function importOne(db: MarketDb, file: string, label: string, opts: ImportOptions): Promise<ImportFileReport> {
  const w = reader();
  const writer = new BatchWriter(db);
  let detected: Pick<ImportFileReport, 'variant' | 'encoding'> = {};
  let totalBytes = 0;
  let began = false;
  const outcome = await new Promise<{ result: ReadResult } | { cancelledAt: number } | { failed: string }>((resolve) => {
    const stop = (o: Parameters<typeof resolve>[0]) => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.unref();
      resolve(o);
    };
    const onError = (e: Error) => {
      endReader();
      stop({ failed: `leitura interrompida: ${e.message}; nada foi gravado` });
    };
    const onMessage = (m: ReaderReply) => {
      try {
        if (m.op === 'detected') {
          detected = { variant: m.variant, encoding: m.encoding };
          totalBytes = m.totalBytes;
        }
        else if (m.op === 'batch') {
          if (!began) {
            db.begin();
            began = true;
          }
          writer.write(m.batch);
          w.postMessage({ op: 'ack' } satisfies ReaderRequest);
        } else if (m.op === 'progress') {
          opts.onProgress?.(m.progress);
          if (opts.isCancelled?.()) {
            endReader(); // the rows it read ahead are dropped with the transaction
            stop({ cancelledAt: m.line });
          }
        } else stop({ result: m.result });
      } catch (e) {
        endReader();
        stop({ failed: `não consegui gravar: ${(e as Error).message}; nada foi gravado` });
      }
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.ref();
    w.postMessage({ op: 'read', file, label, opts: { maxBytes: opts.maxBytes, interval: opts.interval } } satisfies ReaderRequest);
  });
  const fail = (error: string, extra: Partial<ImportFileReport> = {}): ImportFileReport => {
    db.rollback();
    return { file: label, rowsRead: 0, stored: 0, duplicates: 0, refused: [], ...detected, ...extra, error };
  };
  if ('cancelledAt' in outcome) {
    const at = outcome.cancelledAt;
    return fail(`importação cancelada na linha ${at}: nada deste arquivo foi gravado`, { cancelled: true, stoppedAtLine: at });
  }
  if ('failed' in outcome) return fail(outcome.failed);
  const { report } = outcome.result;
  if (report.error) return fail(report.error, { ...report, stored: 0, duplicates: 0 });
  if (opts.isCancelled?.()) {
    const at = outcome.result.lastLine;
    return fail(`importação cancelada na linha ${at}: nada deste arquivo foi gravado`, { cancelled: true, stoppedAtLine: at });
  }
  try {
    if (!began) db.begin();
    writer.flush();
    for (const [code, name] of outcome.result.agents) db.putAgent(code, name);
    for (const [id, s] of writer.seriesDays) db.refreshSeries(id, s.interval, s.days);
    db.commit();
  } catch (e) {
    return fail(`não consegui gravar: ${(e as Error).message}; nada foi gravado`);
  }
  opts.onProgress?.({ bytesRead: totalBytes, totalBytes, rowsRead: report.rowsRead });
  return { ...report, stored: writer.stored, duplicates: writer.duplicates, series: [...writer.seriesNames] };
}
