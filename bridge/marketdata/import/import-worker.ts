/**
 * The only writer of market.db, on its own thread: parsing and SQLite work of an import never run on
 * the bridge's event loop, so orders keep flowing while a million-row file goes in. Jobs run one at
 * a time in arrival order; a cancel is read between chunks of the file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MarketDb } from '../market-db.js';
import { saoPauloDate } from '../../calendar/iso-date.js';
import { importProfitFile } from './profit-import.js';
import type { HistoryTrade, WorkerReply, WorkerRequest } from './worker-protocol.js';

const port = parentPort!;
const db = MarketDb.open((workerData as { dbFile: string }).dbFile);
const cancelled = new Set<string>();
let chain: Promise<void> = Promise.resolve();
const history = new Map<string, { ordinals: Map<string, number>; stored: number; duplicates: number; rows: number; refused: Array<{ line: number; reason: string }>; days: Set<string>; seriesId: number }>();

const reply = (m: WorkerReply) => port.postMessage(m);

function storeTrades(jobId: string, symbol: string, trades: HistoryTrade[], last: boolean): void {
  let h = history.get(jobId);
  if (!h) {
    h = { ordinals: new Map(), stored: 0, duplicates: 0, rows: 0, refused: [], days: new Set(), seriesId: db.seriesId(symbol, 'trades') };
    history.set(jobId, h);
  }
  const s = h;
  // A download is stored in one transaction per chunk; the chunks are the DLL's day-by-day answers.
  db.begin();
  try {
    for (const t of trades) {
      s.rows++;
      if (!(t.priceH > 0) || !(t.qty > 0)) {
        // The DLL sometimes sends price <= 0 trades (reference §10.3): kept out, counted in the report.
        if (s.refused.length < 1_000) s.refused.push({ line: s.rows, reason: `negócio com preço ${t.priceH / 100} ou quantidade ${t.qty} inválidos` });
        continue;
      }
      const key = `${t.timeMs}:${t.priceH}:${t.qty}:${t.aggressor}`;
      const ord = s.ordinals.get(key) ?? 0;
      s.ordinals.set(key, ord + 1);
      if (s.ordinals.size > 100_000) s.ordinals.clear();
      // Same key scheme as files without a trade number: content hash × 2^20 + ordinal, negative.
      const seq = -((((t.priceH * 31 + t.qty) * 31 + t.aggressor) >>> 0) * 2 ** 20 + ord + 1);
      const stored = db.putTrade(s.seriesId, seq, { timeMs: t.timeMs, priceH: t.priceH, qty: t.qty, buyerAgent: null, sellerAgent: null, aggressor: t.aggressor, tradeNumber: null });
      if (stored) s.stored++;
      else s.duplicates++;
      s.days.add(saoPauloDate(t.timeMs));
    }
    if (last) db.refreshSeries(s.seriesId, 'trades', s.days);
    db.commit();
  } catch (e) {
    db.rollback();
    throw e;
  }
  if (last) {
    history.delete(jobId);
    reply({ op: 'stored', jobId, rowsRead: s.rows, stored: s.stored, duplicates: s.duplicates, refused: s.refused });
  }
}

async function handle(m: WorkerRequest): Promise<void> {
  try {
    if (m.op === 'import') {
      if (cancelled.delete(m.jobId)) return;
      const report = await importProfitFile(db, m.file, m.label, {
        interval: m.interval,
        maxBytes: m.maxBytes,
        onProgress: (p) => reply({ op: 'progress', jobId: m.jobId, ...p }),
        isCancelled: () => cancelled.has(m.jobId),
      });
      cancelled.delete(m.jobId);
      reply({ op: 'done', jobId: m.jobId, report });
    } else if (m.op === 'storeTrades') storeTrades(m.jobId, m.symbol, m.trades, m.last);
    else if (m.op === 'delete') reply({ op: 'deleted', jobId: m.jobId, rows: db.deleteRange(m.symbol, m.interval, m.fromMs, m.toMs, m.fromDay, m.toDay) });
  } catch (e) {
    history.delete(m.jobId);
    reply({ op: 'failed', jobId: m.jobId, message: (e as Error).message });
  }
}

port.on('message', (m: WorkerRequest) => {
  // Cancels jump the queue: they must reach the import that is running.
  if (m.op === 'cancel') {
    cancelled.add(m.jobId);
    return;
  }
  chain = chain.then(() => handle(m));
});
