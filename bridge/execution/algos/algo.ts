/**
 * Execution algorithms: event-driven state machines on the one event loop, no thread or timer per
 * order. An algo never talks to the broker: it asks its context to spawn, replace or cancel child
 * orders, and the OMS runs each request through the journal and the risk gate. An algo keeps no
 * state that cannot be derived from its parent (with its journaled anchors), its children and its
 * fills, so it survives a restart by being started again.
 */
import type { AlgoParamDescriptor, AlgoSpec, ApiErrorItem, Side } from '../../../common/types.js';
import type { Instrument } from '../../model/instrument.js';
import type { AlgoPhase, MarketSession } from '../market-session.js';
import type { AlgoAnchors, ChildOrder, FillRecord, ParentOrder } from '../orders.js';

export type AlgoParamSpec = AlgoParamDescriptor;

export interface AlgoValidationEnv {
  nowMs: number;
  session: MarketSession;
  side: Side;
  qty: number;
  limitTicks?: number;
}

export interface AlgoValidation {
  errors: ApiErrorItem[];
  anchors?: AlgoAnchors;
}

export interface AlgoDescriptor {
  type: AlgoSpec['type'];
  label: string;
  description: string;
  /** Whether a limit price is required (cover-to-X needs its X). */
  requiresLimit: boolean;
  params: AlgoParamSpec[];
  /** Validate the algo's own parameters (errors name `algo.<param>`) and fix its anchors. */
  validate(spec: AlgoSpec, inst: Instrument, env: AlgoValidationEnv): AlgoValidation;
  create(ctx: AlgoContext): ExecAlgorithm;
}

export interface MarketTop {
  bidTicks?: number;
  bidQty?: number;
  askTicks?: number;
  askQty?: number;
  lastTicks?: number;
}

export interface PrintedTrade {
  qty: number;
  priceTicks: number;
  timeMs: number;
}

export interface PlannedPoint {
  tMs: number;
  /** Cumulative quantity the order should have filled by `tMs`. */
  targetQty: number;
}

export interface AlgoContext {
  readonly parent: Readonly<ParentOrder>;
  readonly instrument: Instrument;
  nowMs(): number;
  /** Best bid/ask with sizes and the last trade, as the broker last reported them. */
  market(): MarketTop;
  phase(): AlgoPhase;
  session(): MarketSession;
  /** Ask for market events: `book` (best bid/ask changes) and/or `trades` (prints in the symbol). */
  subscribe(events: { book?: boolean; trades?: boolean }): void;
  /** Quantity printed in the symbol since `sinceMs` (every trade, the firm's own included). */
  printedQtySince(sinceMs: number): number;
  children(): ReadonlyArray<Readonly<ChildOrder>>;
  fills(): ReadonlyArray<Readonly<FillRecord>>;
  /** Children not yet done at the broker. */
  liveChildren(): ReadonlyArray<Readonly<ChildOrder>>;
  /** Parent quantity neither filled nor working at the broker. */
  unplacedQty(): number;
  /** Quantity working at the broker (live children's open quantity). */
  workingQty(): number;
  spawn(qty: number, priceTicks: number | undefined): void;
  replace(childId: string, change: { qty?: number; priceTicks?: number }): void;
  cancel(childId: string): void;
  /** One pending wake-up per algo; a new call replaces the previous one. */
  wakeAt(dueMs: number): void;
  wakeAfter(delayMs: number): void;
  /** Publish the plan that progress is drawn against (GET /api/orders/:id `schedule`). */
  setSchedule(points: readonly PlannedPoint[]): void;
  /** The algo is done (its window ended): cancel what is left of the parent, with a reason. */
  finish(reason: string): void;
  /** Stop and wait for a person (a refusal that will not clear by itself), with a reason. */
  pause(reason: string): void;
}

export interface ExecAlgorithm {
  /** Called on acceptance, on resume, after a restart and after a reconnect. */
  start(): void;
  onChildDone(child: Readonly<ChildOrder>): void;
  onFill(child: Readonly<ChildOrder>, qty: number): void;
  /** The parent's qty or limit changed. */
  onAmend(): void;
  onWake(): void;
  /** A spawn was refused before it left by a passing denial (risk gate): retry later. */
  onDenied(reason: string): void;
  onBook?(top: MarketTop): void;
  onTrade?(trade: PrintedTrade): void;
  onPhase?(phase: AlgoPhase): void;
}

const RETRY_AFTER_DENIAL_MS = 250;

/**
 * A spawn refused by a passing denial (throttle, no reference price yet): try again shortly. The OMS
 * owns the denial policy — lasting refusals end the boleta visibly, and a passing one that lasts
 * too long pauses it — so an algo only ever hears of denials worth retrying.
 */
export function retryAfterDenial(ctx: AlgoContext): void {
  ctx.wakeAfter(RETRY_AFTER_DENIAL_MS);
}

export function floorToLot(qty: number, lot: number): number {
  return qty <= 0 ? 0 : Math.floor(qty / lot) * lot;
}
