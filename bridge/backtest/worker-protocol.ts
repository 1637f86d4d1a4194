/**
 * Running a backtest in a worker thread, as the bridge, the command line and the sweeps do: the job
 * goes in, progress and the result come out, a watchdog in this thread ends a strategy hook that runs
 * past its budget, and the worker's heap is capped so a strategy that allocates without bound fails
 * alone.
 */
import { Worker } from 'node:worker_threads';
import type { BacktestResultView, BacktestSpec, StrategyFaultView } from '../../common/backtest.js';
import type { ApiErrorItem } from '../../common/types.js';
import path from 'node:path';
import { resolveStrategyId } from '../strategy/loader.js';
import { locateLoop, watchWorkers } from '../strategy/locate-loop.js';
import { Watchdog } from '../strategy/watchdog.js';

export interface BacktestJob {
  strategy: string;
  /** The command line may name a file anywhere; the API only ids. */
  allowPath: boolean;
  dataDir: string;
  spec: BacktestSpec;
}

export type BacktestWorkerMessage =
  | { type: 'progress'; fraction: number; eventsPerSec: number }
  | { type: 'done'; result: BacktestResultView }
  | { type: 'refused'; errors: ApiErrorItem[] }
  | { type: 'error'; message: string };

/** [0] hook now, [1] hook calls (the runner's probe), [2] cancel requested. */
export const CONTROL_SLOTS = 3;
export const CANCEL_SLOT = 2;

/** A strategy hook may run this long before the run is stopped as a runaway loop. */
export const DEFAULT_HOOK_BUDGET_MS = 5_000;
/** Heap of a backtest worker: a strategy that allocates without bound fails here, not in the bridge. */
export const DEFAULT_HEAP_MB = 1_024;

export type BacktestOutcome =
  | { kind: 'done'; result: BacktestResultView }
  | { kind: 'refused'; errors: ApiErrorItem[] }
  | { kind: 'failed'; message: string; fault?: StrategyFaultView }
  | { kind: 'cancelled' };

export interface RunningBacktest {
  /** Asks the run to stop at its next progress point (a partial result is dropped). */
  cancel(): void;
  /** Ends the worker now (a cancel it did not heed, the bridge shutting down): the run ends cancelled. */
  terminate(): void;
  done: Promise<BacktestOutcome>;
}

export function startBacktestWorker(
  job: BacktestJob,
  o: { onProgress?: (fraction: number, eventsPerSec: number) => void; hookBudgetMs?: number; heapMb?: number } = {},
): RunningBacktest {
  watchWorkers();
  const control = new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const probe = new Int32Array(control);
  const worker = new Worker(new URL('./backtest-entry.mjs', import.meta.url), {
    workerData: { job, control },
    resourceLimits: { maxOldGenerationSizeMb: o.heapMb ?? DEFAULT_HEAP_MB },
    stdout: false,
    stderr: false,
  });
  let settled = false;
  let outcome: BacktestOutcome | undefined;
  const budget = o.hookBudgetMs ?? DEFAULT_HOOK_BUDGET_MS;
  const done = new Promise<BacktestOutcome>((resolve) => {
    const finish = (x: BacktestOutcome) => {
      if (settled) return;
      settled = true;
      dog.stop();
      resolve(x);
    };
    const dog = new Watchdog(probe, budget, (hook, forMs) => {
      void locateLoop(worker, sourceFileOf(job)).then((location) => {
        outcome = {
          kind: 'failed',
          message: `a estratégia não retornou de ${hook} em ${Math.round(forMs / 1000)} s: laço sem fim?${location ? ` (${location})` : ''}`,
          fault: { hook, message: `${hook} passou de ${budget / 1000} s sem retornar (laço sem fim?); execução interrompida`, ...(location ? { location } : {}) },
        };
        void worker.terminate();
      });
    });
    worker.on('message', (m: BacktestWorkerMessage) => {
      if (m.type === 'progress') o.onProgress?.(m.fraction, m.eventsPerSec);
      else if (m.type === 'done') outcome = Atomics.load(probe, CANCEL_SLOT) !== 0 && !m.result.fault ? { kind: 'cancelled' } : { kind: 'done', result: m.result };
      else if (m.type === 'refused') outcome = { kind: 'refused', errors: m.errors };
      else outcome = { kind: 'failed', message: m.message };
    });
    worker.on('error', (e: Error & { code?: string }) => {
      outcome ??=
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { kind: 'failed', message: `a estratégia passou do limite de memória (${o.heapMb ?? DEFAULT_HEAP_MB} MB)`, fault: { hook: 'memória', message: `limite de ${o.heapMb ?? DEFAULT_HEAP_MB} MB de memória excedido` } }
          : { kind: 'failed', message: e.message };
    });
    worker.on('exit', () => finish(outcome ?? { kind: 'failed', message: 'o processo do backtest terminou sem resultado' }));
  });
  return {
    cancel: () => Atomics.store(probe, CANCEL_SLOT, 1),
    terminate: () => {
      Atomics.store(probe, CANCEL_SLOT, 1);
      outcome ??= { kind: 'cancelled' };
      void worker.terminate();
    },
    done,
  };
}

/** The strategy's file as the worker will load it (to find its line in a stack). */
function sourceFileOf(job: BacktestJob): string | undefined {
  try {
    return resolveStrategyId(job.strategy, job.dataDir).file;
  } catch {
    return job.allowPath ? path.resolve(job.strategy) : undefined;
  }
}
