/**
 * The strategy API: what a strategy author writes against. A strategy is a TypeScript module whose
 * default export is `defineStrategy({...})`; the same module runs in a backtest (on a simulated
 * clock, over stored history) and live (in a worker thread of the bridge), and it cannot tell the
 * two apart: both hand it the same events through the same context.
 *
 *   import { defineStrategy } from '../bridge/strategy/api.js';
 *   export default defineStrategy({
 *     name: 'Cruzamento de médias',
 *     params: { fast: { type: 'integer', default: 9, min: 1 }, slow: { type: 'integer', default: 21, min: 2 } },
 *     setup(ctx) {
 *       const fast = new ctx.indicators.SMA(ctx.params.fast);
 *       return { onBar(bar) { ... ctx.submit({ symbol: bar.symbol, side: 'buy', qty: 100 }) ... } };
 *     },
 *   });
 *
 * Everything a hook reads is synchronous and reflects what the strategy has been told so far (no
 * look-ahead: a backtest never shows a bar before its end). Orders go out when the hook returns;
 * their acceptance, fills and end come back as `onOrder` and `onFill`.
 *
 * Units at this edge are the user's: prices in BRL (or points), money in BRL, quantities in units,
 * instants in epoch milliseconds. The bridge converts to integer ticks and centavos once, as it does
 * for every boleta.
 */
import * as indicators from 'trading-signals';
import type { AlgoSpec, AllocationRequest, OrderStatus, Side } from '../../common/types.js';

export type BarInterval = '1m' | '5m' | '15m' | '30m' | '60m' | '1d';

/** A closed candle: it reaches the strategy at its end (`t + interval`), never before. */
export interface Bar {
  symbol: string;
  interval: BarInterval;
  /** Start of the bar, epoch ms. */
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Quantity traded (shares or contracts). */
  qty: number;
  /** Financial volume, BRL. */
  volume: number;
}

/** A print in the symbol (times & trades). */
export interface Trade {
  symbol: string;
  t: number;
  price: number;
  qty: number;
  aggressor?: Side;
}

/** Top of the book as the market shows it. */
export interface Quote {
  symbol: string;
  t: number;
  bid?: number;
  ask?: number;
  bidQty?: number;
  askQty?: number;
  last?: number;
}

/**
 * A boleta from a strategy: the bridge's boleta without the idempotency key (the runtime keys every
 * boleta by run and reference, so a resend after a restart is never a second order). `client` may be
 * left out when the run trades for exactly one client; a block names `allocations`. No `limitPrice`
 * = market (with protection); no `algo` = ordem cheia.
 */
export interface StrategyBoleta {
  symbol: string;
  side: Side;
  qty: number;
  limitPrice?: number;
  algo?: AlgoSpec;
  client?: string;
  allocations?: AllocationRequest[];
}

/** One of the strategy's boletas as it stands. */
export interface StrategyOrder {
  /** The strategy's own reference, returned by `submit`. */
  ref: string;
  /** The bridge's order id once accepted. */
  orderId?: string;
  symbol: string;
  side: Side;
  qty: number;
  filledQty: number;
  /** Average fill price (0 while nothing filled). */
  avgPrice: number;
  status: OrderStatus | 'refused';
  /** Why it was refused, rejected or paused. */
  reason?: string;
}

export interface StrategyFill {
  ref: string;
  orderId: string;
  symbol: string;
  side: Side;
  qty: number;
  price: number;
  t: number;
}

export interface PositionInfo {
  symbol: string;
  qty: number;
  avgPrice: number;
}

export interface CashInfo {
  /** Cash today and after the settlements of the next two B3 days, BRL. */
  d0: number;
  d1: number;
  d2: number;
}

export interface InstrumentInfo {
  symbol: string;
  kind: 'stock' | 'fractional' | 'future' | 'option';
  tickSize: number;
  lotSize: number;
  /** BRL per point (WIN 0.20, WDO 10, stocks 1). */
  pointValue: number;
}

export type ParamSpec =
  | { type: 'number'; default: number; min?: number; max?: number; label?: string }
  | { type: 'integer'; default: number; min?: number; max?: number; label?: string }
  | { type: 'boolean'; default: boolean; label?: string }
  | { type: 'string'; default: string; label?: string }
  | { type: 'enum'; default: string; options: readonly string[]; label?: string };

export type ParamSpecs = Record<string, ParamSpec>;

/** The parameter values a spec declares, typed. */
export type ParamValues<S extends ParamSpecs> = {
  readonly [K in keyof S]: S[K] extends { type: 'number' | 'integer' } ? number : S[K] extends { type: 'boolean' } ? boolean : string;
};

export interface StrategyContext<P = Record<string, number | boolean | string>> {
  /** The run's parameters, validated against the declared specs. */
  readonly params: P;
  /** Symbols the run was started with (bars and quotes of these arrive). */
  readonly symbols: readonly string[];
  /** Clients the run trades for. */
  readonly clients: readonly string[];
  /** Interval of `onBar`. */
  readonly interval: BarInterval;
  /** 'backtest' or 'live': for logging only; a strategy should behave the same in both. */
  readonly mode: 'backtest' | 'live';
  /** Technical indicators (trading-signals): `new ctx.indicators.SMA(20)`, `.update(x, false)`, `.getResult()`. */
  readonly indicators: typeof indicators;

  /** Now, epoch ms: the simulated clock in a backtest. */
  now(): number;
  /** An instant in B3's time zone (America/Sao_Paulo): its date, minutes since midnight and weekday (1 = Monday). */
  saoPaulo(t: number): { date: string; minute: number; weekday: number };
  /** A deterministic random number in [0, 1) from the run's seed (use it instead of Math.random). */
  random(): number;

  /** Sends a boleta when the hook returns; returns its reference. Invalid input throws, naming the field. */
  submit(boleta: StrategyBoleta): string;
  /** Asks to cancel a boleta (what is filled stays filled). */
  cancel(ref: string): void;
  order(ref: string): StrategyOrder | undefined;
  /** Boletas not yet done (filled, canceled, rejected, expired or refused). */
  openOrders(symbol?: string): StrategyOrder[];

  /** Position of one client, or the sum over the run's clients when `client` is left out. */
  position(symbol: string, client?: string): PositionInfo;
  cash(client?: string): CashInfo;

  /** Last price seen, if any. */
  last(symbol: string): number | undefined;
  quote(symbol: string): Quote | undefined;
  /** The latest closed bars of a symbol, oldest first (at most `count`; history before the run included). */
  bars(symbol: string, count?: number): readonly Bar[];
  instrument(symbol: string): InstrumentInfo;
  /** The price snapped to the tick (down for a buy limit, up for a sell, nearest otherwise). */
  roundPrice(symbol: string, price: number, side?: Side): number;
  /** The quantity rounded down to whole lots. */
  roundQty(symbol: string, qty: number): number;

  /** Calls `onTimer(name)` at `atMs` (replacing a timer of the same name). */
  setTimer(name: string, atMs: number): void;
  /** Calls `onTimer(name)` every `everyMs`, the first at now + everyMs. */
  every(name: string, everyMs: number): void;
  clearTimer(name: string): void;

  log(message: string): void;
}

export interface StrategyHooks {
  onStart?(): void;
  onBar?(bar: Bar): void;
  onTrade?(trade: Trade): void;
  onQuote?(quote: Quote): void;
  onFill?(fill: StrategyFill): void;
  onOrder?(order: StrategyOrder): void;
  onTimer?(name: string): void;
  onStop?(): void;
}

export interface StrategyDefinition<S extends ParamSpecs = ParamSpecs> {
  name: string;
  description?: string;
  params?: S;
  /** Wants prints (`onTrade`) and top of book (`onQuote`)? Bars always arrive. Default false: fewer events, faster runs. */
  wants?: { trades?: boolean; quotes?: boolean };
  /** Called once per run: keep the run's state in this closure and return the hooks. */
  setup(ctx: StrategyContext<ParamValues<S>>): StrategyHooks;
}

/** Identity with types: `export default defineStrategy({ ... })`. */
export function defineStrategy<S extends ParamSpecs>(def: StrategyDefinition<S>): StrategyDefinition<S> {
  return def;
}

export { indicators };
export type { AlgoSpec };
