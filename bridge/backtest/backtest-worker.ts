/**
 * One backtest in a worker thread: the bridge's event loop (orders, quotes, the pane) never waits
 * for a replay, a strategy that loops is stopped by the parent's watchdog, and one that allocates
 * without bound hits the worker's heap limit instead of the bridge's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MarketDb, MARKET_DB_FILE } from '../marketdata/market-db.js';
import { loadStrategy } from '../strategy/loader.js';
import { runBacktest } from './engine.js';
import { CANCEL_SLOT, type BacktestJob, type BacktestWorkerMessage } from './worker-protocol.js';
import path from 'node:path';
import { existsSync } from 'node:fs';

const { job, control } = workerData as { job: BacktestJob; control: SharedArrayBuffer };
const probe = new Int32Array(control);
const post = (m: BacktestWorkerMessage) => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const file = path.join(job.dataDir, MARKET_DB_FILE);
  if (!existsSync(file)) {
    post({ type: 'refused', errors: [{ field: 'symbols', code: 'no_data', message: 'a base de dados de mercado está vazia: importe arquivos do Profit na aba Import Profit' }] });
    return;
  }
  const db = MarketDb.openReadOnly(file);
  try {
    const s = await loadStrategy(job.strategy, job.dataDir, job.allowPath);
    const out = await runBacktest(s.def, job.spec, {
      marketDb: db,
      sourceFile: s.file,
      probe,
      cancelled: () => Atomics.load(probe, CANCEL_SLOT) !== 0,
      progress: (fraction, eventsPerSec) => post({ type: 'progress', fraction, eventsPerSec }),
    });
    post(out.ok ? { type: 'done', result: out.result } : { type: 'refused', errors: out.errors });
  } finally {
    db.close();
  }
}

main().catch((e: Error) => post({ type: 'error', message: e.message }));
