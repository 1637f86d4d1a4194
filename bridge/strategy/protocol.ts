/**
 * What passes between a strategy runner and its host: events in, commands out. Plain data, so the
 * same runner works in the host's own thread (backtests) and in a worker thread (live), and a
 * backtest and a live run of the same strategy see the same sequence.
 *
 * Order of a fill's events, as every host sends them: `position` and `cash` (the state after the
 * fill), then `fill`, then `order`; so inside `onFill` the position already includes the fill.
 */
import type { Bar, InstrumentInfo, Quote, StrategyBoleta, StrategyFill, StrategyOrder, Trade } from './api.js';

export type HostEvent =
  | { kind: 'history'; bars: Bar[] }
  | { kind: 'start'; t: number }
  | { kind: 'bar'; t: number; bar: Bar }
  | { kind: 'trade'; t: number; trade: Trade }
  | { kind: 'quote'; t: number; quote: Quote }
  | { kind: 'position'; t: number; client: string; symbol: string; qty: number; avgPrice: number }
  | { kind: 'cash'; t: number; client: string; d0: number; d1: number; d2: number }
  | { kind: 'fill'; t: number; fill: StrategyFill }
  | { kind: 'order'; t: number; order: StrategyOrder }
  /** The clock reached `t`: run the timers due by then. */
  | { kind: 'clock'; t: number }
  | { kind: 'stop'; t: number };

export type RunnerCommand =
  /** `where`: the strategy's line that sent it, reported if the bridge refuses the boleta. */
  | { kind: 'submit'; ref: string; boleta: StrategyBoleta; client?: string; where?: string }
  | { kind: 'cancel'; ref: string }
  | { kind: 'log'; t: number; message: string };

/** Where a strategy failed: the hook, the message and its place in the strategy's file. */
export interface StrategyFault {
  hook: string;
  message: string;
  /** `file:line:column` in the strategy's source, when the stack shows it. */
  location?: string;
  stack?: string;
}

/** What a runner is told when it is created (all plain data). */
export interface RunnerInit {
  runId: string;
  mode: 'backtest' | 'live';
  symbols: string[];
  clients: string[];
  interval: Bar['interval'];
  params: Record<string, number | boolean | string>;
  seed: number;
  /** Instruments the strategy may trade (its symbols and what they resolve to). */
  instruments: InstrumentInfo[];
  /** Opening cash per client, BRL (the cash mirror starts here). */
  openingCash: Record<string, number>;
  /** The strategy module's file, to find its frames in a stack. */
  sourceFile?: string;
  /**
   * Shared with a watchdog in another thread: [0] the hook running now (HOOK_CODES, 0 = none),
   * [1] a counter bumped at every hook call. A hook that never returns freezes both.
   */
  probe?: Int32Array;
}

export const HOOK_CODES = ['', 'setup', 'onStart', 'onBar', 'onTrade', 'onQuote', 'onFill', 'onOrder', 'onTimer', 'onStop'] as const;

export type { Bar, Quote, StrategyBoleta, StrategyFill, StrategyOrder, Trade };
