/**
 * The reading half of a replay, on a thread of its own: reads the run's series from market.db in
 * chunks, packs each into a slot of a shared ring (feed-sources.ts reads them there without a
 * message or a copy) and, when asked, writes the columnar cache file as it goes. It stays at most
 * SLOTS chunks ahead of the replay per series and sleeps on the ring's wake counter meanwhile; it
 * stops when every series is read, or when the replay sets the stop flag (a cancelled run: its cache
 * files are dropped, never published half written).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { MarketDb } from '../marketdata/market-db.js';
import { type CacheKey, CacheWriter } from './feed-cache.js';
import { CANDLE_SQL, packedRows, TRADE_SQL } from './feed.js';
import { type ReaderJob, ringLayout, STOP, WAKE } from './feed-ring.js';

const job = workerData as ReaderJob & { port: MessagePort };
const ctrl = new Int32Array(job.control);
const layout = ringLayout(job.series.length, job.slots);

interface Reading {
  read(into?: Float64Array): { rows: number; data: Float64Array<ArrayBufferLike> } | undefined;
  slots: Float64Array[];
  next: number;
  finished: boolean;
  writer?: CacheWriter;
}

function main(): void {
  const db = MarketDb.openReadOnly(job.dbFile);
  parentPort!.postMessage('ready');
  const readings: Reading[] = job.series.map((s, i) => {
    const stmt = db.prepareRaw(s.trades ? TRADE_SQL : CANDLE_SQL);
    const r = packedRows(stmt, s.trades, s.seriesId, s.fromMs, s.toMs, job.chunkRows);
    return {
      read: r.read,
      slots: job.buffers[i].map((b) => new Float64Array(b)),
      next: 0,
      finished: false,
      writer: s.cacheFile ? new CacheWriter(s.cacheFile, s.cacheKey as CacheKey) : undefined,
    };
  });
  try {
    for (;;) {
      if (Atomics.load(ctrl, STOP) !== 0) break;
      const wake = Atomics.load(ctrl, WAKE);
      let progressed = false;
      let open = 0;
      readings.forEach((r, i) => {
        if (r.finished) return;
        open++;
        const k = r.next % job.slots;
        const state = layout.state(i, k);
        if (Atomics.load(ctrl, state) !== 0) return;
        const c = r.read(r.slots[k]);
        if (c && c.data !== r.slots[k]) throw new Error('invariant: chunk outside its slot');
        if (c) r.writer?.write(c);
        else {
          r.finished = true;
          r.writer?.finish();
          r.writer = undefined;
        }
        Atomics.store(ctrl, layout.rows(i, k), c ? c.rows : 0);
        Atomics.store(ctrl, state, 1);
        Atomics.notify(ctrl, state);
        r.next++;
        progressed = true;
      });
      if (open === 0) break;
      if (!progressed) Atomics.wait(ctrl, WAKE, wake, 1_000);
    }
  } catch (e) {
    job.port.postMessage((e as Error).message);
    // Every series still being read ends with an error mark where the replay waits next.
    readings.forEach((r, i) => {
      if (r.finished) return;
      const k = r.next % job.slots;
      Atomics.store(ctrl, layout.rows(i, k), -1);
      Atomics.store(ctrl, layout.state(i, k), 1);
      Atomics.notify(ctrl, layout.state(i, k));
    });
  } finally {
    for (const r of readings) r.writer?.abort();
    db.close();
  }
}

main();
