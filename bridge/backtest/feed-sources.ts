/**
 * Where a replay's rows come from, series by series: the columnar cache when it holds the series'
 * range at its current version (memory speed), else market.db — read by a reader thread when there
 * is much to read (SQLite's cost then overlaps the replay's instead of adding to it), else in this
 * thread — and written to the cache on the way when the range is worth keeping.
 */
import { receiveMessageOnPort, MessageChannel, Worker } from 'node:worker_threads';
import type { MarketDb } from '../marketdata/market-db.js';
import { CACHE_MIN_ROWS, cacheDirOf, cacheFile, cacheKey, CacheWriter, openCached, type CacheKey } from './feed-cache.js';
import { type FeedSeriesPlan, type RowChunk, type RowSource, rowWidth, sqliteRows } from './feed.js';
import { type ReaderJob, ringLayout, STOP, WAKE } from './feed-ring.js';

export interface FeedReadOptions {
  /** Keep and reuse the columnar cache under `<data>/cache` (default true; ranges of CACHE_MIN_ROWS rows or more). */
  cache?: boolean;
  /** Read market.db in a reader thread: 'auto' (default) when THREAD_MIN_ROWS rows or more must come from it. */
  thread?: boolean | 'auto';
  /** Smallest range (rows) worth caching; default CACHE_MIN_ROWS. */
  cacheMinRows?: number;
}

/** What the run read from where (reported in the run's stats). */
export interface FeedReadStats {
  cachedRows: number;
  databaseRows: number;
  readerThread: boolean;
}

/** Below this many rows to read from SQLite, starting a thread costs more than it saves. */
export const THREAD_MIN_ROWS = 300_000;
/** Chunks the reader thread may be ahead per series, and their size (small: see feed-cache.ts READ_ROWS). */
const SLOTS = 8;
const CHUNK_ROWS = 4_096;
/** A reader that has not handed a chunk over for this long is gone (a thread that could not start). */
const READER_TIMEOUT_MS = 60_000;

export interface FeedSources {
  open(p: FeedSeriesPlan): RowSource;
  stats: FeedReadStats;
  /** Resolves once a reader thread has opened the database (at once without one); rejects when it could not start. */
  ready: Promise<void>;
}

export function feedSources(db: MarketDb, plan: FeedSeriesPlan[], fromMs: number, toMs: number, o: FeedReadOptions = {}): FeedSources {
  const stats: FeedReadStats = { cachedRows: 0, databaseRows: 0, readerThread: false };
  const chosen = new Map<FeedSeriesPlan, RowSource>();
  const toRead: Array<{ p: FeedSeriesPlan; file?: string; key?: CacheKey }> = [];
  let dir: string | undefined;
  for (const p of plan) {
    let file: string | undefined;
    let key: CacheKey | undefined;
    const v = o.cache !== false && p.rows >= (o.cacheMinRows ?? CACHE_MIN_ROWS) ? db.seriesVersion(p.seriesId) : undefined;
    if (v) {
      dir ??= cacheDirOf(db.file);
      key = cacheKey(p, v, fromMs, toMs);
      file = cacheFile(dir, key);
      const hit = openCached(file, key);
      if (hit) {
        chosen.set(p, hit);
        stats.cachedRows += p.rows;
        continue;
      }
    }
    toRead.push({ p, file, key });
    stats.databaseRows += p.rows;
  }
  const thread = o.thread === true || (o.thread !== false && stats.databaseRows >= THREAD_MIN_ROWS);
  let ready = Promise.resolve();
  if (thread && toRead.length > 0) {
    stats.readerThread = true;
    const r = readerThread(db.file, toRead, fromMs, toMs);
    ready = r.ready;
    toRead.forEach((x, i) => chosen.set(x.p, r.sources[i]));
  } else {
    for (const r of toRead) chosen.set(r.p, r.file ? writingThrough(sqliteRows(db, r.p, fromMs, toMs), new CacheWriter(r.file, r.key!)) : sqliteRows(db, r.p, fromMs, toMs));
  }
  return {
    open: (p) => {
      const s = chosen.get(p);
      if (!s) throw new Error(`invariant: série ${p.dataSymbol} sem fonte`);
      return s;
    },
    stats,
    ready,
  };
}

/** Rows read in this thread, copied to the cache as they pass; published when the range is read to its end. */
function writingThrough(src: RowSource, w: CacheWriter): RowSource {
  return {
    next() {
      const c = src.next();
      if (c) w.write(c);
      else w.finish();
      return c;
    },
    close() {
      w.abort();
      src.close();
    },
  };
}

/** One reader thread for the series to read from market.db; one ring source per series. */
function readerThread(dbFile: string, series: Array<{ p: FeedSeriesPlan; file?: string; key?: CacheKey }>, fromMs: number, toMs: number): { sources: RowSource[]; ready: Promise<void> } {
  const layout = ringLayout(series.length, SLOTS);
  const control = new SharedArrayBuffer(layout.size * Int32Array.BYTES_PER_ELEMENT);
  const ctrl = new Int32Array(control);
  const buffers = series.map(({ p }) => Array.from({ length: SLOTS }, () => new SharedArrayBuffer(CHUNK_ROWS * rowWidth(p) * 8)));
  const { port1, port2 } = new MessageChannel();
  const job: ReaderJob = {
    dbFile,
    series: series.map(({ p, file, key }) => ({ seriesId: p.seriesId, trades: p.source === 'trades', fromMs, toMs, ...(file ? { cacheFile: file, cacheKey: key } : {}) })),
    slots: SLOTS,
    chunkRows: CHUNK_ROWS,
    control,
    buffers,
  };
  const worker = new Worker(new URL('./feed-reader-entry.mjs', import.meta.url), { workerData: { ...job, port: port2 }, transferList: [port2] });
  // The replay waits for chunks in shared memory (Atomics.wait), where no event of the worker can
  // reach it: it starts only once the reader has said it is up, so a reader that cannot start is an
  // error here rather than a wait.
  const ready = new Promise<void>((resolve, reject) => {
    const fail = (e: Error | number) => reject(new Error(`o leitor da base de mercado não iniciou: ${typeof e === 'number' ? `saiu com ${e}` : e.message}`));
    worker.once('message', () => {
      worker.off('error', fail);
      worker.off('exit', fail);
      worker.unref();
      resolve();
    });
    worker.once('error', fail);
    worker.once('exit', fail);
  });
  let open = series.length;
  const stop = () => {
    Atomics.store(ctrl, STOP, 1);
    Atomics.add(ctrl, WAKE, 1);
    Atomics.notify(ctrl, WAKE);
  };
  const failure = () => {
    const m = receiveMessageOnPort(port1)?.message;
    return new Error(`leitura da base de mercado interrompida: ${typeof m === 'string' ? m : 'o leitor parou'}`);
  };
  const sources = series.map((_, i): RowSource => {
    const views = buffers[i].map((b) => new Float64Array(b));
    let n = 0;
    let held = -1;
    let ended = false;
    const release = () => {
      if (held < 0) return;
      Atomics.store(ctrl, layout.state(i, held), 0);
      Atomics.add(ctrl, WAKE, 1);
      Atomics.notify(ctrl, WAKE);
      held = -1;
    };
    const end = () => {
      if (ended) return;
      ended = true;
      release();
      if (--open === 0) port1.close();
    };
    return {
      next(): RowChunk | undefined {
        if (ended) return undefined;
        release();
        const k = n % SLOTS;
        const state = layout.state(i, k);
        const since = Date.now();
        while (Atomics.load(ctrl, state) === 0) {
          Atomics.wait(ctrl, state, 0, 1_000);
          if (Atomics.load(ctrl, state) === 0 && Date.now() - since > READER_TIMEOUT_MS) {
            stop();
            end();
            throw new Error(`leitura da base de mercado interrompida: o leitor não respondeu em ${READER_TIMEOUT_MS / 1000} s`);
          }
        }
        const rows = Atomics.load(ctrl, layout.rows(i, k));
        if (rows < 0) {
          const e = failure();
          stop();
          end();
          throw e;
        }
        n++;
        held = k;
        if (rows === 0) {
          end();
          return undefined;
        }
        return { rows, data: views[k] };
      },
      close() {
        // A run that ends before its data (cancelled, failed): the reader stops and drops its half-written cache.
        if (!ended) stop();
        end();
      },
    };
  });
  return { sources, ready };
}
