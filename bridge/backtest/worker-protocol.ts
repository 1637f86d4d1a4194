/**
 * Running a backtest in a process of its own (the strategy sandbox), as the bridge, the command line
 * and the sweeps do: the job goes in, progress and the result come out. The sandbox's watchdog ends a
 * strategy hook that runs past its budget (reporting its line), and the process's heap cap makes a
 * strategy that allocates without bound fail alone. Cancel ends the process.
 */
import path from 'node:path';
import type { BacktestResultView, StrategyFaultView } from '../../common/backtest.js';
import type { ApiErrorItem } from '../../common/types.js';
import { resolveStrategyId } from '../strategy/loader.js';
import { faultOfExit, spawnSandbox } from '../strategy/sandbox/sandbox.js';
import type { BacktestJob } from '../strategy/sandbox/sandbox-protocol.js';

export type { BacktestJob };

/** The module that runs the job in the sandbox's process. */
const BACKTEST_CHILD = new URL('./backtest-child.ts', import.meta.url);

/** A strategy hook may run this long before the run is stopped as a runaway loop. */
export const DEFAULT_HOOK_BUDGET_MS = 5_000;
/** Heap of a backtest's process: a strategy that allocates without bound fails there, not in the bridge. */
export const DEFAULT_HEAP_MB = 1_024;

export type BacktestOutcome =
  | { kind: 'done'; result: BacktestResultView }
  | { kind: 'refused'; errors: ApiErrorItem[] }
  | { kind: 'failed'; message: string; fault?: StrategyFaultView }
  | { kind: 'cancelled' };

export interface RunningBacktest {
  /** Ends the run: its process is killed at once (a partial result is dropped). */
  cancel(): void;
  /** The same as cancel (kept for callers that tell a request from a shutdown). */
  terminate(): void;
  done: Promise<BacktestOutcome>;
}

export function startBacktestWorker(
  job: BacktestJob,
  o: { onProgress?: (fraction: number, eventsPerSec: number) => void; hookBudgetMs?: number; heapMb?: number } = {},
): RunningBacktest {
  const budgetMs = o.hookBudgetMs ?? DEFAULT_HOOK_BUDGET_MS;
  const heapMb = o.heapMb ?? DEFAULT_HEAP_MB;
  const box = spawnSandbox({ kind: 'backtest', job, budgetMs }, { heapMb, handlers: BACKTEST_CHILD });
  let outcome: BacktestOutcome | undefined;
  let cancelled = false;
  box.onMessage((m) => {
    if (m.type === 'progress') o.onProgress?.(m.fraction, m.eventsPerSec);
    else if (m.type === 'done') outcome = { kind: 'done', result: m.result };
    else if (m.type === 'refused') outcome = { kind: 'refused', errors: m.errors };
    else if (m.type === 'error' || m.type === 'failed') outcome = { kind: 'failed', message: m.message };
  });
  const done = box.exited.then((e): BacktestOutcome => {
    if (cancelled) return { kind: 'cancelled' };
    if (outcome) return outcome;
    const fault = faultOfExit(e, heapMb, budgetMs, sourceFileOf(job));
    return { kind: 'failed', message: `${fault.message}${fault.location ? ` (${fault.location})` : ''}`, fault };
  });
  return {
    cancel: () => {
      cancelled = true;
      box.kill();
    },
    // A process ends at once: cancel and terminate are the same.
    terminate: () => {
      cancelled = true;
      box.kill();
    },
    done,
  };
}

/** The strategy's file as the sandbox loads it (to find its line in a stack). */
function sourceFileOf(job: BacktestJob): string | undefined {
  try {
    return resolveStrategyId(job.strategy, job.dataDir).file;
  } catch {
    return job.allowPath ? path.resolve(job.strategy) : undefined;
  }
}
