/**
 * A strategy's own process: a live run's runner (answering batches of events with commands) or a
 * whole backtest. Its heap is capped by the parent (`--max-old-space-size`): a strategy that
 * allocates without bound kills this process, never the bridge. A watchdog thread beside the main
 * one ends a hook that runs past its budget, reporting the line it was stuck on.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { runBacktest } from '../../backtest/engine.js';
import { MARKET_DB_FILE, MarketDb } from '../../marketdata/market-db.js';
import { describe, loadStrategy } from '../loader.js';
import { HOOK_CODES } from '../protocol.js';
import { StrategyRunner } from '../runner.js';
import type { FromSandbox, SandboxInit, ToSandbox } from './sandbox-protocol.js';

/** The parent's channel for the watchdog's report (stdio index 4). */
const WATCHDOG_FD = 4;

const probe = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));

function send(m: FromSandbox): Promise<void> {
  return new Promise((resolve) => process.send!(m, () => resolve()));
}

function startWatchdog(budgetMs: number): void {
  const w = new Worker(new URL('./watchdog-thread.mjs', import.meta.url), { workerData: { probe: probe.buffer, budgetMs, fd: WATCHDOG_FD, hooks: [...HOOK_CODES] } });
  w.unref();
}

async function runner(init: Extract<SandboxInit, { kind: 'runner' }>): Promise<void> {
  let r: StrategyRunner;
  try {
    const s = await loadStrategy(init.strategy, init.dataDir);
    r = new StrategyRunner(s.def, { ...init.init, sourceFile: s.file, probe });
    await send({ type: 'ready', sourceFile: s.file });
  } catch (e) {
    await send({ type: 'failed', message: (e as Error).message });
    process.disconnect();
    return;
  }
  process.on('message', (m: ToSandbox) => {
    if (m.type !== 'dispatch') return;
    const commands = [];
    for (const ev of m.events) {
      commands.push(...r.dispatch(ev));
      if (r.fault()) break;
    }
    const fault = r.fault();
    void send({ type: 'result', seq: m.seq, commands, nextTimerMs: r.nextTimerMs(), ...(fault ? { fault } : {}) });
  });
}

async function backtest(init: Extract<SandboxInit, { kind: 'backtest' }>): Promise<void> {
  const { job } = init;
  const file = path.join(job.dataDir, MARKET_DB_FILE);
  if (!existsSync(file)) {
    await send({ type: 'refused', errors: [{ field: 'symbols', code: 'no_data', message: 'a base de dados de mercado está vazia: importe arquivos do Profit na aba Import Profit' }] });
    return;
  }
  const db = MarketDb.openReadOnly(file);
  try {
    const s = await loadStrategy(job.strategy, job.dataDir, job.allowPath);
    const out = await runBacktest(s.def, job.spec, {
      marketDb: db,
      sourceFile: s.file,
      probe,
      progress: (fraction, eventsPerSec) => void send({ type: 'progress', fraction, eventsPerSec }),
    });
    await send(out.ok ? { type: 'done', result: out.result } : { type: 'refused', errors: out.errors });
  } finally {
    db.close();
  }
}

/** Each module's name and declared parameters, one answer per module (a later one that hangs loses only itself). */
async function describeAll(init: Extract<SandboxInit, { kind: 'describe' }>): Promise<void> {
  for (const ref of init.refs) {
    try {
      await send({ type: 'described', ref, strategy: describe(await loadStrategy(ref, init.dataDir, init.allowPath)) });
    } catch (e) {
      await send({ type: 'described', ref, error: (e as Error).message });
    }
  }
}

process.once('message', (m: ToSandbox) => {
  if (m.type !== 'init') return;
  // Loading modules runs no hook: the parent's timeout bounds a describe, not the watchdog.
  if (m.init.kind !== 'describe') startWatchdog(m.init.budgetMs);
  const run = m.init.kind === 'runner' ? runner(m.init) : (m.init.kind === 'backtest' ? backtest(m.init) : describeAll(m.init)).then(() => process.disconnect());
  run.catch(async (e: Error) => {
    await send({ type: 'error', message: e.message });
    process.disconnect();
  });
});
