/**
 * The backtest job of a strategy's process (see worker-protocol.ts): the sandbox's entry loads this
 * module beside the strategy layer's own jobs, so the sandbox itself never reaches up to the engine.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MARKET_DB_FILE, MarketDb } from '../marketdata/market-db.js';
import { loadStrategy } from '../strategy/loader.js';
import { hookProbe, sendToParent, type SandboxHandlers } from '../strategy/sandbox/sandbox-child.js';
import { runBacktest } from './engine.js';

export const sandboxHandlers: SandboxHandlers = {
  async backtest({ job }) {
    const file = path.join(job.dataDir, MARKET_DB_FILE);
    if (!existsSync(file)) {
      await sendToParent({ type: 'refused', errors: [{ field: 'symbols', code: 'no_data', message: 'a base de dados de mercado está vazia: importe arquivos do Profit na aba Import Profit' }] });
      return;
    }
    const db = MarketDb.openReadOnly(file);
    try {
      const s = await loadStrategy(job.strategy, job.dataDir, job.allowPath);
      const out = await runBacktest(s.def, job.spec, {
        marketDb: db,
        sourceFile: s.file,
        probe: hookProbe,
        progress: (fraction, eventsPerSec) => void sendToParent({ type: 'progress', fraction, eventsPerSec }),
      });
      await sendToParent(out.ok ? { type: 'done', result: out.result } : { type: 'refused', errors: out.errors });
    } finally {
      db.close();
    }
  },
};
