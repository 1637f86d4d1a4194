/**
 * Execution algorithms: event-driven state machines on the one event loop, no thread per order.
 * An algo never talks to the broker: it asks its context to spawn, replace or cancel child
 * orders, and the OMS runs each request through the journal and the risk gate. An algo keeps no
 * state that cannot be derived from its parent and children, so it survives a restart by being
 * started again.
 */
import type { AlgoParamDescriptor, AlgoSpec, ApiErrorItem } from '../../../common/types.js';
import type { Instrument } from '../../model/instrument.js';
import type { ChildOrder, ParentOrder } from '../orders.js';

export type AlgoParamSpec = AlgoParamDescriptor;

export interface AlgoDescriptor {
  type: AlgoSpec['type'];
  label: string;
  description: string;
  /** Whether a limit price is required (cover-to-X needs its X). */
  requiresLimit: boolean;
  params: AlgoParamSpec[];
  /** Validate the algo's own parameters; errors name `algo.<param>`. */
  validate(spec: AlgoSpec, inst: Instrument): ApiErrorItem[];
  create(ctx: AlgoContext): ExecAlgorithm;
}

export interface QuoteTicks {
  bidTicks?: number;
  askTicks?: number;
  lastTicks?: number;
}

export interface AlgoContext {
  readonly parent: Readonly<ParentOrder>;
  readonly instrument: Instrument;
  nowMs(): number;
  quote(): QuoteTicks;
  /** Children not yet done at the broker. */
  liveChildren(): ReadonlyArray<Readonly<ChildOrder>>;
  /** Parent quantity neither filled nor working at the broker. */
  unplacedQty(): number;
  spawn(qty: number, priceTicks: number | undefined): void;
  replace(childId: string, change: { qty?: number; priceTicks?: number }): void;
  cancel(childId: string): void;
  /** One pending wake-up per algo; a new call replaces the previous one. */
  wakeAfter(delayMs: number): void;
}

export interface ExecAlgorithm {
  /** Called on acceptance, on resume, after a restart and after a reconnect. */
  start(): void;
  onChildDone(child: Readonly<ChildOrder>): void;
  onFill(child: Readonly<ChildOrder>, qty: number): void;
  /** The parent's qty or limit changed. */
  onAmend(): void;
  onWake(): void;
  /** A spawn was denied by the risk gate (e.g. throttle): the algo may retry later. */
  onDenied(reason: string): void;
}
