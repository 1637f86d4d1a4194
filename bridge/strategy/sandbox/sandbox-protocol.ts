/**
 * What passes between the bridge and a strategy's process (IPC, structured clone).
 */
import type { ApiErrorItem } from '../../../common/types.js';
import type { BacktestResultView, BacktestSpec } from '../../../common/backtest.js';
import type { DescribedStrategy } from '../loader.js';
import type { HostEvent, RunnerCommand, RunnerInit, StrategyFault } from '../protocol.js';

export interface BacktestJob {
  strategy: string;
  /** The command line may name a file anywhere; the API only ids. */
  allowPath: boolean;
  dataDir: string;
  spec: BacktestSpec;
}

export type SandboxInit =
  | { kind: 'runner'; strategy: string; dataDir: string; init: Omit<RunnerInit, 'probe' | 'sourceFile'>; budgetMs: number }
  | { kind: 'backtest'; job: BacktestJob; budgetMs: number }
  | { kind: 'describe'; refs: string[]; dataDir: string | undefined; allowPath: boolean; budgetMs: number };

export type ToSandbox = { type: 'init'; init: SandboxInit } | { type: 'dispatch'; seq: number; events: HostEvent[] };

export type FromSandbox =
  | { type: 'ready'; sourceFile: string }
  | { type: 'failed'; message: string }
  | { type: 'result'; seq: number; commands: RunnerCommand[]; nextTimerMs?: number; fault?: StrategyFault }
  | { type: 'progress'; fraction: number; eventsPerSec: number }
  | { type: 'done'; result: BacktestResultView }
  | { type: 'refused'; errors: ApiErrorItem[] }
  | { type: 'error'; message: string }
  | { type: 'described'; ref: string; strategy?: DescribedStrategy; error?: string };

/** Written by the sandbox's watchdog thread on its own channel before it kills the process. */
export interface StuckReport {
  hook: string;
  forMs: number;
  stack?: string;
}
