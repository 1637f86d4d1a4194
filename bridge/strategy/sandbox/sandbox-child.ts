/**
 * A strategy's own process: a live run's runner (answering batches of events with commands), a
 * describe of modules, or — with the handler the backtest layer passes in (`SandboxHandlers`) — a
 * whole backtest. Its heap is capped by the parent (`--max-old-space-size`): a strategy that
 * allocates without bound kills this process, never the bridge. A watchdog thread beside the main
 * one ends a hook that runs past its budget, reporting the line it was stuck on.
 */
import { Worker } from 'node:worker_threads';
import { describe, loadStrategy } from '../loader.js';
import { HOOK_CODES } from '../protocol.js';
import { StrategyRunner } from '../runner.js';
import type { FromSandbox, SandboxInit, ToSandbox } from './sandbox-protocol.js';

/** The parent's channel for the watchdog's report (stdio index 4). */
const WATCHDOG_FD = 4;

/** Where a running hook is marked, for the watchdog thread to read (pass it to the runner). */
export const hookProbe = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));

export function sendToParent(m: FromSandbox): Promise<void> {
  return new Promise((resolve) => process.send!(m, () => resolve()));
}

function startWatchdog(budgetMs: number): void {
  const w = new Worker(new URL('./watchdog-thread.mjs', import.meta.url), { workerData: { probe: hookProbe.buffer, budgetMs, fd: WATCHDOG_FD, hooks: [...HOOK_CODES] } });
  w.unref();
}

async function runner(init: Extract<SandboxInit, { kind: 'runner' }>): Promise<void> {
  let r: StrategyRunner;
  try {
    const s = await loadStrategy(init.strategy, init.dataDir);
    r = new StrategyRunner(s.def, { ...init.init, sourceFile: s.file, probe: hookProbe });
    await sendToParent({ type: 'ready', sourceFile: s.file });
  } catch (e) {
    await sendToParent({ type: 'failed', message: (e as Error).message });
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
    void sendToParent({ type: 'result', seq: m.seq, commands, nextTimerMs: r.nextTimerMs(), ...(fault ? { fault } : {}) });
  });
}

/** Each module's name and declared parameters, one answer per module (a later one that hangs loses only itself). */
async function describeAll(init: Extract<SandboxInit, { kind: 'describe' }>): Promise<void> {
  for (const ref of init.refs) {
    try {
      await sendToParent({ type: 'described', ref, strategy: describe(await loadStrategy(ref, init.dataDir, init.allowPath)) });
    } catch (e) {
      await sendToParent({ type: 'described', ref, error: (e as Error).message });
    }
  }
}

/** Jobs a layer above the strategies runs in this process (a backtest needs the engine, which sits above). */
export interface SandboxHandlers {
  backtest?: (init: Extract<SandboxInit, { kind: 'backtest' }>) => Promise<void>;
}

/** Answers the parent's one init message (the entry module calls this once the handlers are loaded). */
export function serveSandbox(handlers: SandboxHandlers = {}): void {
  process.once('message', (m: ToSandbox) => {
    if (m.type !== 'init') return;
    const init = m.init;
    // Loading modules runs no hook: the parent's timeout bounds a describe, not the watchdog.
    if (init.kind !== 'describe') startWatchdog(init.budgetMs);
    const job = (): Promise<void> => {
      if (init.kind === 'describe') return describeAll(init);
      if (init.kind === 'backtest' && handlers.backtest) return handlers.backtest(init);
      throw new Error(`este processo não roda trabalhos do tipo ${init.kind}`);
    };
    const run = init.kind === 'runner' ? runner(init) : Promise.resolve().then(job).then(() => process.disconnect());
    run.catch(async (e: Error) => {
      await sendToParent({ type: 'error', message: e.message });
      process.disconnect();
    });
  });
}
