/**
 * The order manager: parent orders (boletas) → child orders at the broker.
 *
 * Event-sourced. Every change is an event that is applied to memory by `apply()` and appended to
 * the journal; nothing leaves the bridge (an HTTP answer, a WebSocket delta, an order to the
 * broker) before the journal has committed the event that caused it. At start the journal is
 * replayed through the same `apply()`, then the broker's view is reconciled, then algos start
 * again. Live trading, simulation and backtests share this code; only the broker port changes.
 */
import { performance } from 'node:perf_hooks';
import type { AlgoSpec, ApiErrorItem, BatchRowResult, OrderView, ReconnectReport, ResumeAllResult, Side, TradingState } from '../../common/types.js';
import type { BoletaInput } from '../../common/schemas.js';
import {
  type Instrument,
  InstrumentRegistry,
  OffTickError,
  priceToTicks,
} from '../model/instrument.js';
import {
  assertChildTransition,
  assertParentTransition,
  type ChildStatus,
  isChildDone,
  isParentDone,
} from '../model/order-state.js';
import { type AlgoRegistry, createAlgoRegistry } from './algos/registry.js';
import { AlgoRuntime } from './algo-runtime.js';
import { DEMO_SESSION, type MarketSession } from './market-session.js';
import { faultPoint } from './fault-points.js';
import { NODE_TIMERS, type TimerHost } from './scheduler.js';
import type { BrokerConnectionState, BrokerFill, BrokerOrderUpdate, BrokerPort } from './broker-port.js';
import { billedFillFees } from './fill-fees.js';
import { allocationBookingId, fillBookingId, type AlgoAnchors, type ChildOrder, type FillRecord, type ParentOrder } from './orders.js';
import { apportion } from './apportion.js';
import { allocateFill, type AllocationAudit, type AllocationState, type AllocationTarget, initialAllocationState, planTargets } from './allocation.js';
import type { RiskGate } from '../risk/risk-gate.js';
import { orderView } from './order-view.js';
import type { PortfolioFill } from '../portfolio/portfolio.js';

/** Where events go: the journal (durable on resolve). */
export interface EventSink {
  append(type: string, data: unknown, timeMs?: number): Promise<unknown>;
  /** Its promises resolve without I/O (a backtest's in-memory journal), within the same turn. */
  readonly answersAtOnce?: boolean;
}

/** Books fills into positions and cash; deterministic from its inputs so replays agree. */
export interface FillBooker {
  bookFill(f: PortfolioFill): { feesCentavos: number };
  feesFor(symbol: string, qty: number, priceTicks: number, timeMs: number): number;
  positionQty(client: string, symbol: string): number;
  /** A booking's share of its day's bill as the bill stands now (centavos); undefined if never booked. */
  feeShareOf(bookingId: string): number | undefined;
}

export interface ClientDirectory {
  has(id: string): boolean;
  account(id: string): string;
  limits(id: string): { maxOrderQty?: number; maxOrderNotionalCentavos?: number } | undefined;
}

export interface QuoteSource {
  referenceTicks(symbol: string): number | undefined;
  ticks(symbol: string): { bidTicks?: number; askTicks?: number; lastTicks?: number };
}

export interface OmsDeps {
  instruments: InstrumentRegistry;
  journal: EventSink;
  broker: BrokerPort;
  risk: RiskGate;
  booker: FillBooker;
  clients: ClientDirectory;
  quotes: QuoteSource;
  /** Prefix of every order id, unique per installation, so ids never collide at the broker. */
  idPrefix: string;
  nowMs: () => number;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: unknown) => void;
  audit: (entry: { actor: string; action: string; target?: string; details?: unknown }) => void;
  /** The person behind a recorded actor (a token id), for the order's "enviada por". */
  actorName?: (actor: string) => string | undefined;
  /** The strategy run behind an actor (`strategy:<run>`), for the order's origin. */
  originOf?: (actor: string) => OrderView['origin'];
  /** Session phases and continuous windows algos plan against; default: the demo market, always open. */
  session?: MarketSession;
  /** Ticket types (VWAP's volume profile source lives in it); default: the built-in catalog with the U-shape. */
  algos?: AlgoRegistry;
  /** Host timers of the algo scheduler; 'manual' = the caller drives `runtime.runDue` (tests, benches). */
  timers?: TimerHost | 'manual';
  /**
   * 'manual': listeners hear of changes only when the caller runs `flushNotifications` (a backtest's
   * replay, after each step has settled, never yields a turn for the OMS's own flush).
   */
  notifications?: 'auto' | 'manual';
  /**
   * After a broker outage longer than `holdAfterMs`, parents with children are held (paused) for a
   * person to review instead of re-sent; 'resend' re-sends whatever the outage length.
   */
  reconnect?: { policy: 'hold' | 'resend'; holdAfterMs: number };
}

/** Default: an outage of more than a few seconds holds algos for review. */
export const DEFAULT_RECONNECT = { policy: 'hold' as const, holdAfterMs: 5_000 };

export type OmsListener = {
  ordersChanged(ids: string[]): void;
  portfolioChanged(): void;
  riskStateChanged(): void;
};

type Result<T> = { ok: true; value: T } | { ok: false; errors: ApiErrorItem[]; status?: number };

/** A boleta's row as `submitForParent` answers it: the (first) parent it was accepted as, or why not. */
export type AcceptedParentRow = { row: number; ok: true; parent: ParentOrder; duplicate?: boolean } | { row: number; ok: false; errors: ApiErrorItem[] };

const MAX_PARENTS_IN_MEMORY = 1_000_000;
/** How long a passing denial (throttle, no reference price) is retried before the boleta is paused. */
const MAX_DENIED_RETRY_MS = 30_000;
/** Denials that do not clear by waiting: retrying would leave the boleta silently stuck. */
const LASTING_DENIALS = new Set(['self_trade', 'price_collar', 'trading_halted']);
/** Lasting denials about the boleta itself (not the market's state): with nothing filled, it is rejected. */
const REJECTING_DENIALS = new Set(['self_trade', 'price_collar']);
const DENIAL_REASONS: Record<string, string> = {
  self_trade: 'cruzaria com outra ordem da própria gestora no outro lado (auto-negociação); cancele uma delas ou ajuste o preço',
  price_collar: 'preço fora do túnel de preço em torno da referência; ajuste o limite',
  trading_halted: 'negociação suspensa (PÂNICO ou estado HALTED); retome a ordem quando liberado',
  throttle: 'limite de envio de ordens por segundo esgotado por tempo demais; retome a ordem',
  no_reference: 'sem preço de referência para a proteção de uma ordem a mercado; retome quando houver cotação',
};
/** Longest stretch of algo start-ups in one turn when a batch is accepted (well under the 50 ms stall bar). */
const START_SLICE_MS = 10;

export class OrderManager {
  private readonly parents = new Map<string, ParentOrder>();
  private readonly children = new Map<string, ChildOrder>();
  private readonly byIdempotencyKey = new Map<string, string>();
  private readonly bookedTradeIds = new Set<string>();
  private readonly fills = new Map<string, FillRecord[]>();
  readonly runtime: AlgoRuntime;
  private readonly registry: AlgoRegistry;
  private readonly session: MarketSession;
  private disconnectedAtMs: number | undefined;
  private reconnectReport: ReconnectReport | undefined;
  /** Children whose `child.new` is durable and that were handed to the broker. */
  private readonly sentToBroker = new Set<string>();
  /** Live children per symbol and side, to refuse an order that would trade against the firm's own (wash trade). */
  private readonly liveBySymbol = new Map<string, Set<string>>();
  private readonly dirtyOrders = new Set<string>();
  /** Per parent: children not done, and whether any child was ever acknowledged (derived status in O(1)). */
  private readonly liveChildCounts = new Map<string, number>();
  private readonly ackedParents = new Set<string>();
  /** Since when each boleta's children have been refused by a passing denial (throttle, no reference). */
  private readonly deniedSinceMs = new Map<string, number>();
  private portfolioDirty = false;
  private killSwitch: { engaged: boolean; reason?: string; atMs?: number; by?: string } = { engaged: false };
  /** The state the risk officer chose; the kill switch overrides it with HALTED while engaged. */
  private chosenTradingState: TradingState = 'ACTIVE';
  private orderSeq = 0;
  private brokerConnected = false;
  private reconciling = true;
  private listener: OmsListener | undefined;
  private replaying = false;
  private flushScheduled = false;

  constructor(private readonly d: OmsDeps) {
    this.registry = d.algos ?? createAlgoRegistry();
    this.session = d.session ?? DEMO_SESSION;
    this.runtime = new AlgoRuntime(
      {
        child: (id) => this.children.get(id)!,
        fills: (id) => this.fills.get(id) ?? [],
        spawn: (p, qty, priceTicks) => this.spawnChild(p, this.d.instruments.require(p.symbol), qty, priceTicks),
        replace: (childId, change) => this.replaceChild(childId, change),
        cancel: (childId) => this.cancelChild(this.children.get(childId)!),
        finish: (p, reason) => this.finishParent(p, reason),
        pause: (p, reason) => this.holdParent(p, reason),
        isActive: (p) => !isParentDone(p.status) && !p.paused && !p.cancelRequested,
        descriptor: (type) => this.registry.descriptor(type),
      },
      {
        nowMs: d.nowMs,
        instruments: d.instruments,
        session: this.session,
        timers: d.timers === 'manual' ? undefined : (d.timers ?? NODE_TIMERS),
        log: d.log,
      },
    );
  }

  setListener(l: OmsListener): void {
    this.listener = l;
  }

  // ---------------------------------------------------------------------------------------
  // Start-up: replay, reconcile, resume
  // ---------------------------------------------------------------------------------------

  replay(events: Iterable<{ type: string; data: unknown }>): number {
    this.replaying = true;
    let n = 0;
    try {
      for (const ev of events) {
        this.apply(ev.type, ev.data);
        n++;
      }
    } finally {
      this.replaying = false;
    }
    for (const p of this.parents.values()) {
      this.orderSeq = Math.max(this.orderSeq, this.orderNumber(p.id));
      // Children still pending_new were journaled but may never have reached the broker.
      for (const cid of p.childIds) {
        const c = this.children.get(cid)!;
        if (c.status !== 'pending_new') this.sentToBroker.add(cid);
      }
    }
    this.d.risk.setState(this.killSwitch.engaged ? 'HALTED' : this.chosenTradingState);
    return n;
  }

  /** Align with the broker's view, then restart algos. Called on start and on every reconnect. */
  async reconcile(): Promise<void> {
    this.reconciling = true;
    const outageStartMs = this.disconnectedAtMs;
    const before = new Map<string, { status: ChildStatus; filledQty: number }>();
    for (const c of this.children.values()) if (!isChildDone(c.status)) before.set(c.id, { status: c.status, filledQty: c.filledQty });
    try {
      const snap = await this.d.broker.snapshot();
      const brokerOrders = new Map(snap.orders.map((o) => [o.clientOrderId, o]));
      for (const f of snap.fills) {
        if (this.children.has(f.clientOrderId)) this.onFill(f);
      }
      for (const c of this.children.values()) {
        if (isChildDone(c.status)) continue;
        const at = brokerOrders.get(c.id);
        if (at) {
          this.sentToBroker.add(c.id);
          this.onOrderUpdate(at);
        } else if (!this.sentToBroker.has(c.id) && c.status === 'pending_new') {
          // Journaled but never acknowledged: the broker refuses a known id, so sending again is safe.
          this.sendChild(c);
        } else {
          this.emit('child.update', { id: c.id, status: 'expired', reason: 'ordem não encontrada na corretora após reconexão' });
        }
      }
    } finally {
      this.reconciling = false;
    }
    if (outageStartMs !== undefined) await this.reportReconnect(outageStartMs, before);
    this.disconnectedAtMs = undefined;
    for (const p of this.parents.values()) this.startAlgo(p);
  }

  /**
   * What the exchange did while the link was down, for the audit trail and the pane's banner; and,
   * after an outage longer than the setting, parents that were working are held for review.
   */
  private async reportReconnect(outageStartMs: number, before: Map<string, { status: ChildStatus; filledQty: number }>): Promise<void> {
    const policy = this.d.reconnect ?? DEFAULT_RECONNECT;
    const nowMs = this.d.nowMs();
    const outageMs = Math.max(0, nowMs - outageStartMs);
    const canceledByExchange: string[] = [];
    const filledWhileAway: string[] = [];
    const affected = new Set<string>();
    for (const [id, was] of before) {
      const c = this.children.get(id)!;
      if (c.filledQty > was.filledQty) filledWhileAway.push(id);
      if (c.status === 'canceled' || c.status === 'expired' || c.status === 'rejected') canceledByExchange.push(id);
      affected.add(c.parentId);
    }
    const held: string[] = [];
    if (policy.policy === 'hold' && outageMs > policy.holdAfterMs) {
      const done: Promise<unknown>[] = [];
      for (const id of affected) {
        const p = this.parents.get(id)!;
        if (isParentDone(p.status) || p.paused || p.cancelRequested) continue;
        held.push(id);
        done.push(this.emit('order.paused', { id, paused: true, reason: `retida para revisão: corretora desconectada por ${Math.round(outageMs / 1000)} s` }));
        this.cancelLiveChildren(p);
      }
      await Promise.all(done);
    }
    this.reconnectReport = { at: new Date(nowMs).toISOString(), outageMs, canceledByExchange, filledWhileAway, held };
    this.d.audit({ actor: 'system', action: 'broker.reconnected', details: this.reconnectReport });
    this.d.log('warn', `broker reconnected after ${outageMs} ms: ${canceledByExchange.length} canceled by the exchange, ${filledWhileAway.length} filled meanwhile, ${held.length} held`);
    this.listener?.riskStateChanged();
  }

  /** The last reconnection's report (HealthView.lastReconnect). */
  lastReconnect(): ReconnectReport | undefined {
    return this.reconnectReport;
  }

  onConnection(state: BrokerConnectionState): void {
    const was = this.brokerConnected;
    this.brokerConnected = state.connected;
    if (was && !state.connected) this.disconnectedAtMs ??= this.d.nowMs();
    this.d.log(state.connected ? 'info' : 'warn', `broker: ${state.message}`);
    if (state.connected && !was && !this.reconciling) {
      void this.reconcile().catch((e) => this.d.log('error', 'reconcile failed', e));
    }
  }

  // ---------------------------------------------------------------------------------------
  // Commands
  // ---------------------------------------------------------------------------------------

  /** Validate a boleta completely; nothing is written. */
  validate(input: BoletaInput, prefix = ''): Result<Omit<ParentOrder, 'id' | 'actor' | 'createdAtMs' | 'updatedAtMs'>> {
    const errors: ApiErrorItem[] = [];
    const f = (name: string) => (prefix ? `${prefix}.${name}` : name);
    const inst = this.d.instruments.get(input.symbol);
    if (!inst) {
      return { ok: false, errors: [{ field: f('symbol'), code: 'unknown_symbol', message: `ativo desconhecido: ${input.symbol}` }] };
    }
    const notTradable = this.d.instruments.tradableError(inst, this.d.nowMs());
    if (notTradable) return { ok: false, errors: [{ field: f('symbol'), code: 'expired_contract', message: notTradable }] };
    let limitTicks: number | undefined;
    if (input.limitPrice !== undefined) {
      try {
        limitTicks = priceToTicks(inst, input.limitPrice);
      } catch (e) {
        if (!(e instanceof OffTickError)) throw e;
        errors.push({ field: f('limitPrice'), code: 'off_tick', message: e.message });
      }
    }
    const algo = this.registry.descriptor(input.algo.type);
    let anchors: AlgoAnchors | undefined;
    if (!algo) {
      errors.push({ field: f('algo.type'), code: 'unsupported_algo', message: `tipo de boleta ainda não disponível: ${input.algo.type}` });
    } else {
      const v = algo.validate(input.algo as AlgoSpec, inst, { nowMs: this.d.nowMs(), session: this.session, side: input.side, qty: input.qty, limitTicks });
      for (const e of v.errors) errors.push({ ...e, field: f(e.field) });
      anchors = v.anchors;
      if (algo.requiresLimit && input.limitPrice === undefined) {
        errors.push({ field: f('limitPrice'), code: 'required', message: `${algo.label} exige preço limite` });
      }
    }
    // One client, or a block with allocations: exactly one of the two.
    let targets: AllocationTarget[] | undefined;
    if (input.client !== undefined && input.allocations !== undefined) {
      errors.push({ field: f('allocations'), code: 'conflict', message: 'informe client ou allocations, não ambos' });
    } else if (input.client === undefined && input.allocations === undefined) {
      errors.push({ field: f('client'), code: 'required', message: 'informe o cliente (ou allocations para uma ordem em bloco)' });
    } else if (input.client !== undefined) {
      if (!this.d.clients.has(input.client)) {
        errors.push({ field: f('client'), code: 'unknown_client', message: `cliente desconhecido: ${input.client}` });
      }
    } else if (input.allocations) {
      input.allocations.forEach((a, i) => {
        if (!this.d.clients.has(a.client)) {
          errors.push({ field: f(`allocations[${i}].client`), code: 'unknown_client', message: `cliente desconhecido: ${a.client}` });
        }
      });
      const plan = planTargets(input.qty, inst.lotSize, input.allocations);
      if (plan.ok) targets = plan.targets;
      else for (const e of plan.errors) errors.push({ ...e, field: f(e.field) });
    }
    if (errors.length > 0) return { ok: false, errors };
    if (!this.brokerConnected) {
      // Fail closed: a boleta accepted now could only wait, and the user could not tell.
      return { ok: false, errors: [{ field: f('symbol'), code: 'broker_disconnected', message: 'corretora desconectada: nenhuma ordem é aceita até a reconexão' }] };
    }
    const own = this.selfTradeWith(inst.symbol, input.side, limitTicks);
    if (own) {
      return { ok: false, errors: [{ field: f('limitPrice'), code: 'self_trade', message: `cruzaria com a ordem ${own.parentId} da própria gestora no outro lado (${inst.symbol}); cancele-a ou ajuste o preço` }] };
    }
    const clients = input.client ? [input.client] : targets!.map((t) => t.client);
    const reference = this.d.quotes.referenceTicks(inst.symbol);
    for (const e of this.d.risk.checkBoleta({
      clients,
      clientLimits: (c) => this.d.clients.limits(c),
      inst,
      side: input.side,
      qty: input.qty,
      limitTicks,
      referenceTicks: reference,
      positionQty: (c) => this.d.booker.positionQty(c, inst.underlying ?? inst.symbol),
      ...(targets ? { clientQty: (c: string) => targets!.find((t) => t.client === c)?.targetQty ?? input.qty } : {}),
    })) {
      errors.push({ ...e, field: f(e.field) });
    }
    if (errors.length > 0) return { ok: false, errors };
    return {
      ok: true,
      value: {
        client: input.client,
        allocations: targets,
        allocationState: targets ? initialAllocationState(targets) : undefined,
        symbol: inst.symbol,
        side: input.side,
        qty: input.qty,
        limitTicks,
        algo: input.algo as AlgoSpec,
        status: 'pending_new',
        filledQty: 0,
        costTicksQty: 0,
        feesCentavos: 0,
        // Arrival benchmark: the mid at acceptance (the last trade or reference without a two-sided book).
        arrivalTicks: this.runtime.midTicks(inst.symbol) ?? reference,
        anchors,
        reprices: 0,
        idempotencyKey: input.idempotencyKey,
        childIds: [],
        fillIds: [],
        cancelRequested: false,
        paused: false,
        rejected: false,
        nextChildSeq: 1,
      },
    };
  }

  async submit(input: BoletaInput, actor: string): Promise<Result<{ order: OrderView; duplicate: boolean }>> {
    const [row] = await this.submitMany([input], actor, false);
    return row.ok ? { ok: true, value: { order: row.order, duplicate: row.duplicate ?? false } } : { ok: false, errors: row.errors };
  }

  /** Accept many boletas; valid rows go through unless `allOrNothing`. One group commit for all. */
  submitMany(inputs: BoletaInput[], actor: string, allOrNothing: boolean, prefixFor?: (i: number) => string): Promise<BatchRowResult[]> {
    return this.accept(inputs, actor, allOrNothing, prefixFor, true) as Promise<BatchRowResult[]>;
  }

  /**
   * One boleta, accepted exactly as `submitMany` accepts it (same checks, events and timing), for the
   * bridge's own callers that want the parent rather than an order view (a strategy host, which sends
   * one boleta per order of a backtest and reads only the ids).
   */
  submitForParent(input: BoletaInput, actor: string): Promise<[AcceptedParentRow]> {
    // The same promise `submitMany` would return: its callers' callbacks run at the same moment.
    return this.accept([input], actor, false, undefined, false) as Promise<[AcceptedParentRow]>;
  }

  private async accept(inputs: BoletaInput[], actor: string, allOrNothing: boolean, prefixFor: ((i: number) => string) | undefined, views: boolean): Promise<Array<BatchRowResult | AcceptedParentRow>> {
    const results: Array<BatchRowResult | AcceptedParentRow> = [];
    const accepted: Array<{ row: number; order: Omit<ParentOrder, 'id' | 'actor' | 'createdAtMs' | 'updatedAtMs'>; contentKey?: string }> = [];
    const nowMs = this.d.nowMs();
    const keysInBatch = new Set<string>();
    const halted = this.haltedError();
    inputs.forEach((input, row) => {
      const prefix = prefixFor?.(row) ?? '';
      // The halt is the first thing a sender learns, before an idempotent resend's `duplicate`.
      if (halted) {
        results.push({ row, ok: false, errors: [{ ...halted, field: prefix ? `${prefix}.${halted.field}` : halted.field }] });
        return;
      }
      if (input.idempotencyKey !== undefined) {
        const existing = this.byIdempotencyKey.get(input.idempotencyKey);
        if (existing) {
          const p = this.parents.get(existing)!;
          results.push(views ? { row, ok: true, order: this.view(p, false), duplicate: true } : { row, ok: true, parent: p, duplicate: true });
          return;
        }
        if (keysInBatch.has(input.idempotencyKey)) {
          results.push({ row, ok: false, errors: [{ field: `${prefix ? prefix + '.' : ''}idempotencyKey`, code: 'duplicate_key', message: 'idempotencyKey repetida no mesmo lote' }] });
          return;
        }
        keysInBatch.add(input.idempotencyKey);
      }
      if (this.parents.size >= MAX_PARENTS_IN_MEMORY) {
        results.push({ row, ok: false, errors: [{ field: prefix || 'symbol', code: 'capacity', message: 'limite de ordens do dia atingido' }] });
        return;
      }
      const v = this.validate(input, prefix);
      if (!v.ok) {
        results.push({ row, ok: false, errors: v.errors });
        return;
      }
      // Rows of one batch are not live yet, so validate() cannot see them cross each other.
      const crossed = accepted.find((a) => a.order.symbol === v.value.symbol && a.order.side !== v.value.side && pricesCross(v.value.side, v.value.limitTicks, a.order.limitTicks));
      if (crossed) {
        const other = prefixFor?.(crossed.row) ?? `linha ${crossed.row + 1}`;
        results.push({ row, ok: false, errors: [{ field: prefix ? `${prefix}.limitPrice` : 'limitPrice', code: 'self_trade', message: `cruzaria com ${other} do mesmo lote, no outro lado (${v.value.symbol}): a gestora não negocia consigo mesma; ajuste o preço ou envie só uma` }] });
        return;
      }
      let contentKey: string | undefined;
      if (input.idempotencyKey === undefined) {
        contentKey = `${input.client ?? JSON.stringify(input.allocations)}|${v.value.symbol}|${input.side}|${input.qty}|${v.value.limitTicks ?? 'mkt'}|${input.algo.type}`;
        const dup = this.d.risk.checkDuplicate(contentKey, nowMs);
        if (dup) {
          results.push({ row, ok: false, errors: [{ ...dup, field: prefix ? `${prefix}.${dup.field}` : dup.field }] });
          return;
        }
      }
      accepted.push({ row, order: v.value, contentKey });
      // Placeholder until the order exists; replaced below once the journal has it.
      results.push({ row, ok: true, order: undefined as unknown as OrderView } as BatchRowResult);
    });
    if (allOrNothing && results.some((r) => !r.ok)) {
      return results.map((r) => (r.ok && !r.duplicate ? { row: r.row, ok: false, errors: [{ field: prefixFor?.(r.row) ?? '(row)', code: 'batch_aborted', message: 'lote tudo-ou-nada: outra linha tem erro, nada foi enviado' }] } : r));
    }
    const commits: Promise<unknown>[] = [];
    const created: Array<{ row: number; id: string }> = [];
    for (const { row, order, contentKey } of accepted) {
      if (contentKey) this.d.risk.rememberAccepted(contentKey, nowMs);
      const parts = this.splitByAccount(order);
      const ids = parts.map(() => `${this.d.idPrefix}-${String(++this.orderSeq).padStart(6, '0')}`);
      parts.forEach((part, k) => {
        const id = ids[k];
        // Copied, then the new fields set: a spread followed by more fields in one literal is built
        // property by property, several microseconds per boleta.
        const parent: ParentOrder = Object.assign({}, part, { id, actor, createdAtMs: nowMs, updatedAtMs: nowMs });
        if (ids.length > 1) parent.routedWith = ids.filter((x) => x !== id);
        commits.push(this.emit('order.accepted', parent));
        if (k === 0) created.push({ row, id });
        this.d.audit({ actor, action: 'order.submit', target: id, details: { symbol: part.symbol, side: part.side, qty: part.qty, algo: part.algo.type, ...(ids.length > 1 ? { account: this.d.clients.account(part.allocations![0].client), boletaOf: ids[0] } : {}) } });
      });
      created.push(...ids.slice(1).map((id) => ({ row: -1, id })));
    }
    await Promise.all(commits);
    // Starting an algo plans it and sends its first children: for a batch of thousands that is
    // seconds of work, so it goes in slices of START_SLICE_MS with the event loop let in between
    // (market events, other requests). The orders are journaled already; one canceled or paused
    // meanwhile is simply not started (the runtime starts active parents only).
    let sliceEnd = performance.now() + START_SLICE_MS;
    for (const { row, id } of created) {
      if (performance.now() > sliceEnd) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceEnd = performance.now() + START_SLICE_MS;
      }
      const parent = this.parents.get(id)!;
      if (row >= 0) results[row] = views ? { row, ok: true, order: this.view(parent, false) } : { row, ok: true, parent };
      this.startAlgo(parent);
    }
    return results;
  }

  /**
   * Per-client routing: a block whose clients have their own broker accounts becomes one parent
   * per account (same algo, each with its clients' planned quantities), so every child trades in
   * the account whose clients it is allocated to. Clients without an account of their own share
   * the default (master) account and stay one block. The first part keeps the idempotency key.
   */
  private splitByAccount<T extends Omit<ParentOrder, 'id' | 'actor' | 'createdAtMs' | 'updatedAtMs'>>(order: T): T[] {
    if (!order.allocations) return [order];
    const groups = new Map<string, AllocationTarget[]>();
    for (const t of order.allocations) {
      const account = this.d.clients.account(t.client);
      const g = groups.get(account) ?? [];
      g.push(t);
      groups.set(account, g);
    }
    if (groups.size === 1) return [order];
    return [...groups.values()].map((targets, k) => ({
      ...order,
      qty: targets.reduce((a, t) => a + t.targetQty, 0),
      allocations: targets,
      allocationState: initialAllocationState(targets),
      idempotencyKey: k === 0 ? order.idempotencyKey : order.idempotencyKey === undefined ? undefined : `${order.idempotencyKey}#${k + 1}`,
    }));
  }

  async cancel(id: string, actor: string, reason = 'cancelada pelo usuário'): Promise<Result<OrderView>> {
    const p = this.parents.get(id);
    if (!p) return notFound(id);
    if (isParentDone(p.status)) return { ok: false, status: 409, errors: [{ field: 'id', code: 'order_done', message: `ordem ${id} já está ${p.status}` }] };
    this.d.audit({ actor, action: 'order.cancel', target: id, details: { reason } });
    const done = this.emit('order.cancel_requested', { id, reason });
    this.cancelLiveChildren(p);
    await done;
    return { ok: true, value: this.view(p, true) };
  }

  async pause(id: string, actor: string, reason = 'pausada pelo usuário'): Promise<Result<OrderView>> {
    const p = this.parents.get(id);
    if (!p) return notFound(id);
    if (isParentDone(p.status) || p.cancelRequested) return { ok: false, status: 409, errors: [{ field: 'id', code: 'order_done', message: `ordem ${id} não pode ser pausada (${p.status})` }] };
    this.d.audit({ actor, action: 'order.pause', target: id, details: { reason } });
    const done = this.emit('order.paused', { id, paused: true, reason });
    this.cancelLiveChildren(p);
    await done;
    return { ok: true, value: this.view(p, true) };
  }

  async resume(id: string, actor: string): Promise<Result<OrderView>> {
    const p = this.parents.get(id);
    if (!p) return notFound(id);
    if (!p.paused || isParentDone(p.status)) return { ok: false, status: 409, errors: [{ field: 'id', code: 'not_paused', message: `ordem ${id} não está pausada` }] };
    if (this.killSwitch.engaged) return { ok: false, status: 409, errors: [{ field: 'id', code: 'kill_switch', message: 'PÂNICO acionado: libere o PÂNICO antes de retomar ordens' }] };
    this.d.audit({ actor, action: 'order.resume', target: id });
    await this.emit('order.paused', { id, paused: false });
    this.startAlgo(p);
    return { ok: true, value: this.view(p, true) };
  }

  /**
   * "Retomar todas" after PÂNICO is released: every paused parent goes through resume() one by one,
   * so each is journaled and audited on its own; a parent that cannot resume is skipped with why.
   */
  async resumeAll(actor: string): Promise<Result<ResumeAllResult>> {
    if (this.killSwitch.engaged) return { ok: false, status: 409, errors: [{ field: 'confirm', code: 'kill_switch', message: 'PÂNICO acionado: libere o PÂNICO antes de retomar ordens' }] };
    const resumed: string[] = [];
    const skipped: ResumeAllResult['skipped'] = [];
    const paused = [...this.parents.values()].filter((p) => p.paused && !isParentDone(p.status));
    for (const p of paused) {
      if (p.cancelRequested) {
        skipped.push({ id: p.id, reason: 'cancelamento pedido' });
        continue;
      }
      const r = await this.resume(p.id, actor);
      if (r.ok) resumed.push(p.id);
      else skipped.push({ id: p.id, reason: r.errors.map((e) => e.message).join('; ') });
    }
    this.d.audit({ actor, action: 'order.resume_all', details: { resumed: resumed.length, skipped: skipped.length } });
    return { ok: true, value: { resumed, skipped } };
  }

  async amend(id: string, change: { qty?: number; limitPrice?: number }, actor: string): Promise<Result<OrderView>> {
    const p = this.parents.get(id);
    if (!p) return notFound(id);
    if (isParentDone(p.status) || p.cancelRequested) return { ok: false, status: 409, errors: [{ field: 'id', code: 'order_done', message: `ordem ${id} não pode ser alterada (${p.status})` }] };
    const inst = this.d.instruments.require(p.symbol);
    const errors: ApiErrorItem[] = [];
    let limitTicks = p.limitTicks;
    if (change.limitPrice !== undefined) {
      try {
        limitTicks = priceToTicks(inst, change.limitPrice);
      } catch (e) {
        errors.push({ field: 'limitPrice', code: 'off_tick', message: (e as Error).message });
      }
    }
    const qty = change.qty ?? p.qty;
    if (qty % inst.lotSize !== 0) errors.push({ field: 'qty', code: 'lot', message: `quantidade ${qty} não é múltipla do lote ${inst.lotSize}` });
    if (qty < p.filledQty) errors.push({ field: 'qty', code: 'below_filled', message: `quantidade ${qty} menor que o já executado (${p.filledQty})` });
    if (p.allocations && change.qty !== undefined) errors.push({ field: 'qty', code: 'block_qty', message: 'a quantidade de uma ordem em bloco é fixada pelo rateio; cancele e envie outra' });
    if (errors.length === 0 && limitTicks !== undefined) {
      for (const e of this.d.risk.checkBoleta({
        clients: [], clientLimits: () => undefined, inst, side: p.side, qty, limitTicks,
        referenceTicks: this.d.quotes.referenceTicks(p.symbol), positionQty: () => 0,
      })) {
        if (e.code === 'price_collar' || e.code === 'max_notional' || e.code === 'max_qty') errors.push(e);
      }
    }
    if (errors.length > 0) return { ok: false, errors };
    this.d.audit({ actor, action: 'order.amend', target: id, details: change });
    await this.emit('order.amended', { id, qty, limitTicks });
    if (!p.paused) this.runtime.onAmend(p);
    return { ok: true, value: this.view(p, true) };
  }

  /** PÂNICO: halt, pause every algo, cancel every working child. Answers after the journal has it. */
  async engageKillSwitch(reason: string, actor: string): Promise<void> {
    this.d.audit({ actor, action: 'killswitch.engage', details: { reason } });
    this.d.risk.setState('HALTED');
    const done: Promise<unknown>[] = [this.emit('killswitch', { engaged: true, reason, by: actor, atMs: this.d.nowMs() })];
    for (const p of this.parents.values()) {
      if (isParentDone(p.status)) continue;
      if (!p.paused && !p.cancelRequested) done.push(this.emit('order.paused', { id: p.id, paused: true, reason: `PÂNICO: ${reason}` }));
      this.cancelLiveChildren(p);
    }
    await Promise.all(done);
  }

  /** Pause every live boleta (e.g. the operator's Excel is gone); each must be resumed on purpose. */
  async pauseAll(reason: string, actor: string): Promise<number> {
    const done: Promise<unknown>[] = [];
    for (const p of this.parents.values()) {
      if (isParentDone(p.status) || p.paused || p.cancelRequested) continue;
      done.push(this.emit('order.paused', { id: p.id, paused: true, reason }));
      this.cancelLiveChildren(p);
    }
    if (done.length > 0) this.d.audit({ actor, action: 'order.pause_all', details: { reason, count: done.length } });
    await Promise.all(done);
    return done.length;
  }

  async releaseKillSwitch(reason: string, actor: string): Promise<void> {
    this.d.audit({ actor, action: 'killswitch.release', details: { reason } });
    await this.emit('killswitch', { engaged: false, reason, by: actor, atMs: this.d.nowMs() });
    this.d.risk.setState(this.chosenTradingState);
  }

  /** ACTIVE, REDUCING (only orders that reduce a position) or HALTED, chosen on purpose by risk. */
  async setTradingState(state: TradingState, reason: string, actor: string): Promise<void> {
    this.d.audit({ actor, action: 'trading_state.set', details: { state, reason } });
    await this.emit('trading_state', { state, reason, by: actor });
    if (!this.killSwitch.engaged) this.d.risk.setState(state);
  }

  private haltedError(): ApiErrorItem | undefined {
    if (this.d.risk.state() !== 'HALTED') return undefined;
    const message = this.killSwitch.engaged
      ? `PÂNICO acionado${this.killSwitch.reason ? ` (${this.killSwitch.reason})` : ''}: nenhuma ordem é aceita até o administrador liberar`
      : 'negociação suspensa (estado HALTED): nenhuma ordem é aceita até o risco reativar';
    return { field: 'symbol', code: 'trading_halted', message };
  }

  tradingState(): TradingState {
    return this.d.risk.state();
  }

  // ---------------------------------------------------------------------------------------
  // Broker events
  // ---------------------------------------------------------------------------------------

  onOrderUpdate(u: BrokerOrderUpdate): void {
    const c = this.children.get(u.clientOrderId);
    if (!c) {
      this.d.log('warn', `order update for an order this bridge does not know: ${u.clientOrderId}`);
      return;
    }
    const next = this.childStatusFor(c, u);
    if (next === c.status && u.brokerOrderId === c.brokerOrderId && u.qty === c.qty && u.priceTicks === c.priceTicks) return;
    this.emit('child.update', {
      id: c.id,
      status: next,
      brokerOrderId: u.brokerOrderId,
      reason: u.reason,
      qty: u.status === 'rejected' ? undefined : u.qty,
      priceTicks: u.status === 'rejected' ? undefined : u.priceTicks,
    });
  }

  onFill(f: BrokerFill): void {
    if (this.bookedTradeIds.has(f.tradeId)) return;
    const c = this.children.get(f.clientOrderId);
    if (!c) {
      this.d.log('error', `fill for unknown order ${f.clientOrderId} (trade ${f.tradeId}) not booked`);
      this.d.audit({ actor: 'broker', action: 'fill.unknown_order', target: f.clientOrderId, details: f });
      return;
    }
    if (f.qty <= 0 || c.filledQty + f.qty > c.qty) {
      this.d.log('error', `overfill refused on ${c.id}: ${c.filledQty} + ${f.qty} > ${c.qty} (trade ${f.tradeId})`);
      this.d.audit({ actor: 'broker', action: 'fill.overfill_refused', target: c.id, details: f });
      return;
    }
    const p = this.parents.get(c.parentId)!;
    const inst = this.d.instruments.require(p.symbol);
    let allocations: Array<{ client: string; qty: number }>;
    let allocationState: AllocationState | undefined;
    let allocationAudit: AllocationAudit | undefined;
    if (p.allocationState) {
      // The order's own sequence number offsets the tie-break, so blocks do not favour the same client.
      const r = allocateFill(p.allocationState, f.qty, inst.lotSize, this.orderNumber(p.id));
      allocations = r.allocations;
      allocationState = r.state;
      allocationAudit = r.audit;
    } else {
      allocations = [{ client: p.client!, qty: f.qty }];
    }
    const record: FillRecord & { allocationState?: AllocationState; allocationAudit?: AllocationAudit } = {
      tradeId: f.tradeId,
      childId: c.id,
      parentId: p.id,
      symbol: p.symbol,
      side: p.side,
      qty: f.qty,
      priceTicks: f.priceTicks,
      timeMs: f.timeMs,
      allocations,
      // A block's fees are counted per fill here and split with its cash when the block is allocated.
      feesCentavos: allocationState ? this.d.booker.feesFor(p.symbol, f.qty, f.priceTicks, f.timeMs) : 0,
      allocationState,
      allocationAudit,
    };
    void this.emit('fill', record).then(() => faultPoint('fill.journaled'));
  }

  // ---------------------------------------------------------------------------------------
  // Queries
  // ---------------------------------------------------------------------------------------

  get(id: string): ParentOrder | undefined {
    return this.parents.get(id);
  }

  list(filter: { client?: string; status?: string } = {}): ParentOrder[] {
    const out: ParentOrder[] = [];
    for (const p of this.parents.values()) {
      if (filter.client && p.client !== filter.client && !p.allocations?.some((a) => a.client === filter.client)) continue;
      if (filter.status && p.status !== filter.status) continue;
      out.push(p);
    }
    return out;
  }

  /** Each of the parent's fills' fee as its clients' day bills apportion it now; undefined while one is not billed yet. */
  billedFillFees(p: ParentOrder): number[] | undefined {
    return billedFillFees(p, this.fills.get(p.id) ?? [], (id) => this.d.booker.feeShareOf(id));
  }

  /** A boleta's fills, in the order they were booked. */
  fillsOf(id: string): readonly FillRecord[] {
    return this.fills.get(id) ?? [];
  }

  /** The parent an idempotency key was accepted as (a strategy's boleta by run and reference). */
  idByIdempotencyKey(key: string): string | undefined {
    return this.byIdempotencyKey.get(key);
  }

  killSwitchState(): { engaged: boolean; reason?: string; atMs?: number; by?: string } {
    return { ...this.killSwitch };
  }

  isBrokerConnected(): boolean {
    return this.brokerConnected;
  }

  liveChildCount(): number {
    let n = 0;
    for (const c of this.children.values()) if (!isChildDone(c.status)) n++;
    return n;
  }

  view(p: ParentOrder, detail: boolean): OrderView {
    const v = orderView(p, this.d.instruments.require(p.symbol), detail, (id) => this.children.get(id)!, this.fills.get(p.id) ?? [], {
      schedule: this.runtime.schedule(p.id),
      interval: this.runtime.intervalStats(p.id),
      // Only a detail pays for the bill's apportionment: a list view streams on every change of every order.
      billedFeesCentavos: detail ? this.billedFillFees(p) : undefined,
    });
    v.createdBy = this.d.actorName?.(p.actor) ?? p.actor;
    const origin = this.d.originOf?.(p.actor);
    if (origin) v.origin = origin;
    return v;
  }

  // ---------------------------------------------------------------------------------------
  // Event application: the only place state changes
  // ---------------------------------------------------------------------------------------

  private emit(type: string, data: unknown): Promise<unknown> {
    this.apply(type, data);
    const committed = this.d.journal.append(type, data, this.d.nowMs());
    committed.then(
      () => this.scheduleFlush(),
      (e) => this.d.log('error', `journal append failed for ${type}`, e),
    );
    return committed;
  }

  private apply(type: string, data: unknown): void {
    switch (type) {
      case 'order.accepted': {
        const p = { ...(data as ParentOrder) };
        p.childIds = [...p.childIds];
        p.fillIds = [...p.fillIds];
        this.parents.set(p.id, p);
        if (p.idempotencyKey) this.byIdempotencyKey.set(p.idempotencyKey, p.id);
        this.touch(p);
        return;
      }
      case 'child.new': {
        const c = { ...(data as ChildOrder) };
        const p = this.parents.get(c.parentId)!;
        this.children.set(c.id, c);
        let live = this.liveBySymbol.get(liveKey(c.symbol, c.side));
        if (!live) this.liveBySymbol.set(liveKey(c.symbol, c.side), (live = new Set()));
        live.add(c.id);
        this.liveChildCounts.set(p.id, (this.liveChildCounts.get(p.id) ?? 0) + 1);
        p.childIds.push(c.id);
        p.nextChildSeq += 1;
        this.runtime.childrenChanged(p.id);
        this.touch(p);
        return;
      }
      case 'child.update': {
        const u = data as { id: string; status: ChildStatus; brokerOrderId?: string; reason?: string; qty?: number; priceTicks?: number; reprice?: boolean };
        const c = this.children.get(u.id)!;
        assertChildTransition(c.id, c.status, u.status);
        this.childStatusChanged(c, u.status);
        c.status = u.status;
        if (u.brokerOrderId !== undefined) c.brokerOrderId = u.brokerOrderId;
        if (u.reason !== undefined) c.reason = u.reason;
        if (u.qty !== undefined && u.qty >= c.filledQty) c.qty = u.qty;
        if (u.priceTicks !== undefined) c.priceTicks = u.priceTicks;
        c.updatedAtMs = this.d.nowMs();
        if (isChildDone(c.status)) this.liveBySymbol.get(liveKey(c.symbol, c.side))?.delete(c.id);
        const p = this.parents.get(c.parentId)!;
        this.runtime.childrenChanged(p.id);
        if (u.reprice) p.reprices = (p.reprices ?? 0) + 1;
        if (c.status === 'rejected' && !p.cancelRequested) {
          // The market refused the order: stop the boleta rather than retry into the same refusal.
          p.cancelRequested = true;
          p.rejected = p.filledQty === 0;
          p.statusReason = `rejeitada pela corretora: ${u.reason ?? 'sem motivo'}`;
        }
        this.touch(p);
        if (!this.replaying && isChildDone(c.status)) this.runtime.onChildDone(p, c);
        return;
      }
      case 'fill': {
        const f = data as FillRecord & { allocationState?: AllocationState };
        if (this.bookedTradeIds.has(f.tradeId)) return;
        const c = this.children.get(f.childId)!;
        const p = this.parents.get(f.parentId)!;
        if (c.filledQty + f.qty > c.qty) throw new Error(`invariant: child ${c.id} overfilled`);
        let fees = f.feesCentavos;
        if (!p.allocationState) {
          // One client: booked fill by fill at the fill's price. Booked first: if the portfolio refuses
          // the fill, the order state is left untouched too.
          fees = this.d.booker.bookFill({ fillId: fillBookingId(f.tradeId, p.client!), client: p.client!, symbol: f.symbol, side: f.side, qty: f.qty, priceTicks: f.priceTicks, timeMs: f.timeMs }).feesCentavos;
          this.portfolioDirty = true;
        }
        this.bookedTradeIds.add(f.tradeId);
        c.filledQty += f.qty;
        const childNext: ChildStatus = c.filledQty === c.qty ? 'filled' : isChildDone(c.status) || c.status === 'pending_cancel' || c.status === 'pending_replace' ? c.status : 'partially_filled';
        if (childNext !== c.status) {
          assertChildTransition(c.id, c.status, childNext);
          this.childStatusChanged(c, childNext);
          c.status = childNext;
          if (isChildDone(c.status)) this.liveBySymbol.get(liveKey(c.symbol, c.side))?.delete(c.id);
        }
        p.filledQty += f.qty;
        this.runtime.childrenChanged(p.id);
        p.costTicksQty += f.qty * f.priceTicks;
        if (f.allocationState) p.allocationState = f.allocationState;
        const record: FillRecord = { tradeId: f.tradeId, childId: f.childId, parentId: f.parentId, symbol: f.symbol, side: f.side, qty: f.qty, priceTicks: f.priceTicks, timeMs: f.timeMs, allocations: f.allocations, feesCentavos: fees };
        p.feesCentavos += fees;
        p.fillIds.push(f.tradeId);
        const list = this.fills.get(p.id) ?? [];
        list.push(record);
        this.fills.set(p.id, list);
        this.assertParentInvariants(p);
        this.touch(p);
        if (!this.replaying) {
          this.runtime.onFill(p, c, f.qty);
          if (isChildDone(c.status)) this.runtime.onChildDone(p, c);
        }
        return;
      }
      case 'block.allocated': {
        const u = data as { id: string; timeMs: number; seq: number; rows: Array<{ client: string; qty: number; notionalCentavos: number; feesCentavos: number }> };
        const p = this.parents.get(u.id)!;
        const inst = this.d.instruments.require(p.symbol);
        const booked = (p.booked ??= { qty: 0, costTicksQty: 0, feesCentavos: 0, allocations: 0 });
        p.bookedByClient = (data as { bookedByClient: number[] }).bookedByClient;
        for (const r of u.rows) {
          // Every client of the block gets the same average price: its share of the block's cash.
          const priceTicks = Math.max(1, Math.round(r.notionalCentavos / (r.qty * inst.tickValueCentavos)));
          this.d.booker.bookFill({ fillId: allocationBookingId(p.id, u.seq, r.client), client: r.client, symbol: p.symbol, side: p.side, qty: r.qty, priceTicks, timeMs: u.timeMs, notionalCentavos: r.notionalCentavos, feesCentavos: r.feesCentavos });
          booked.qty += r.qty;
          booked.feesCentavos += r.feesCentavos;
        }
        booked.costTicksQty = p.costTicksQty;
        booked.allocations = u.seq;
        this.portfolioDirty = true;
        this.touch(p);
        return;
      }
      case 'order.cancel_requested': {
        const u = data as { id: string; reason: string };
        const p = this.parents.get(u.id)!;
        p.cancelRequested = true;
        p.statusReason = u.reason;
        this.touch(p);
        return;
      }
      case 'order.rejected': {
        // The risk gate refused the boleta's child for good before anything was filled.
        const u = data as { id: string; reason: string };
        const p = this.parents.get(u.id)!;
        p.cancelRequested = true;
        p.rejected = true;
        p.statusReason = u.reason;
        this.touch(p);
        return;
      }
      case 'order.paused': {
        const u = data as { id: string; paused: boolean; reason?: string };
        const p = this.parents.get(u.id)!;
        p.paused = u.paused;
        p.statusReason = u.reason;
        this.touch(p);
        return;
      }
      case 'order.amended': {
        const u = data as { id: string; qty: number; limitTicks?: number };
        const p = this.parents.get(u.id)!;
        p.qty = u.qty;
        p.limitTicks = u.limitTicks;
        this.touch(p);
        return;
      }
      case 'killswitch': {
        const k = data as { engaged: boolean; reason?: string; by?: string; atMs?: number };
        this.killSwitch = { engaged: k.engaged, reason: k.reason, by: k.by, atMs: k.atMs };
        if (!this.replaying) this.listener?.riskStateChanged();
        return;
      }
      case 'trading_state': {
        this.chosenTradingState = (data as { state: TradingState }).state;
        if (!this.replaying) this.listener?.riskStateChanged();
        return;
      }
      default:
        // Events of other components (and of newer versions) are theirs to read.
        return;
    }
  }

  /** Parent status is derived from its flags and children, then checked against the table. */
  private touch(p: ParentOrder): void {
    const next = this.deriveParentStatus(p);
    if (next !== p.status) {
      assertParentTransition(p.id, p.status, next);
      p.status = next;
    }
    p.updatedAtMs = this.d.nowMs();
    this.dirtyOrders.add(p.id);
    if (isParentDone(p.status)) {
      this.stopAlgo(p.id);
      if (!this.replaying && p.allocationState && p.filledQty > (p.booked?.qty ?? 0)) queueMicrotask(() => this.allocateBlock(p));
    }
  }

  /**
   * A block is allocated to its clients when it is done (rateio at the average price, as B3's
   * master accounts do): each client's quantity comes from the pre-trade plan applied fill by fill,
   * its cash is its share of the block's cash, so every client pays the same average price.
   */
  private allocateBlock(p: ParentOrder): void {
    const st = p.allocationState!;
    const booked = p.booked ?? { qty: 0, costTicksQty: 0, feesCentavos: 0, allocations: 0 };
    const bookedByClient = p.bookedByClient ?? st.targets.map(() => 0);
    const qtys = st.targets.map((_, i) => st.allocatedQty[i] - bookedByClient[i]);
    if (st.carriedQty > 0) {
      // A sub-lot remainder left when the block ends goes to the client furthest from its target.
      let best = 0;
      for (let i = 1; i < qtys.length; i++) {
        if (st.targets[i].targetQty - st.allocatedQty[i] > st.targets[best].targetQty - st.allocatedQty[best]) best = i;
      }
      qtys[best] += st.carriedQty;
    }
    const qty = qtys.reduce((a, b) => a + b, 0);
    if (qty <= 0 || qty !== p.filledQty - booked.qty) return;
    const inst = this.d.instruments.require(p.symbol);
    const cash = apportion((p.costTicksQty - booked.costTicksQty) * inst.tickValueCentavos, qtys);
    const fees = apportion(p.feesCentavos - booked.feesCentavos, qtys);
    const rows = st.targets
      .map((t, i) => ({ client: t.client, qty: qtys[i], notionalCentavos: cash[i], feesCentavos: fees[i] }))
      .filter((r) => r.qty > 0);
    this.emit('block.allocated', { id: p.id, timeMs: this.d.nowMs(), seq: booked.allocations + 1, rows, bookedByClient: bookedByClient.map((b, i) => b + qtys[i]) });
  }

  private childStatusChanged(c: ChildOrder, next: ChildStatus): void {
    if (!isChildDone(c.status) && isChildDone(next)) this.liveChildCounts.set(c.parentId, (this.liveChildCounts.get(c.parentId) ?? 1) - 1);
    if (next !== 'pending_new') this.ackedParents.add(c.parentId);
  }

  private deriveParentStatus(p: ParentOrder): ParentOrder['status'] {
    if (p.filledQty >= p.qty) return 'filled';
    const live = (this.liveChildCounts.get(p.id) ?? 0) > 0;
    if (p.cancelRequested) {
      if (live) return 'pending_cancel';
      if (p.rejected && p.status !== 'pending_cancel' && p.filledQty === 0) return 'rejected';
      return 'canceled';
    }
    if (p.paused) return 'paused';
    if (p.filledQty > 0) return 'partially_filled';
    const acked = this.ackedParents.has(p.id);
    return acked || p.status !== 'pending_new' ? 'working' : 'pending_new';
  }

  private assertParentInvariants(p: ParentOrder): void {
    let sum = 0;
    for (const id of p.childIds) sum += this.children.get(id)!.filledQty;
    if (sum !== p.filledQty) throw new Error(`invariant: parent ${p.id} filled ${p.filledQty} != children ${sum}`);
    if (p.filledQty > p.qty) this.d.log('error', `parent ${p.id} filled ${p.filledQty} above its quantity ${p.qty} (late fill after a re-send)`);
  }

  private childStatusFor(c: ChildOrder, u: BrokerOrderUpdate): ChildStatus {
    switch (u.status) {
      case 'new':
        // A refused cancel or replace comes back as the order's real state.
        return c.filledQty > 0 ? 'partially_filled' : 'working';
      case 'partially_filled':
        return c.status === 'pending_cancel' && !u.reason ? 'pending_cancel' : 'partially_filled';
      case 'filled':
        return 'filled';
      case 'canceled':
        return 'canceled';
      case 'expired':
        return 'expired';
      case 'rejected':
        return c.status === 'pending_new' ? 'rejected' : isChildDone(c.status) ? c.status : 'canceled';
    }
  }

  // ---------------------------------------------------------------------------------------
  // Algos and children
  // ---------------------------------------------------------------------------------------

  private startAlgo(p: ParentOrder): void {
    this.runtime.start(p);
  }

  private stopAlgo(id: string): void {
    this.runtime.stop(id);
    this.deniedSinceMs.delete(id);
  }

  /** The algo's window is over: what is left of the parent is canceled, the reason shown. */
  private finishParent(p: ParentOrder, reason: string): void {
    if (isParentDone(p.status) || p.cancelRequested) return;
    this.stopAlgo(p.id);
    void this.emit('order.cancel_requested', { id: p.id, reason });
    this.cancelLiveChildren(p);
  }

  /** The algo cannot go on by itself (a refusal that will not clear): paused, the reason shown. */
  private holdParent(p: ParentOrder, reason: string): void {
    if (isParentDone(p.status) || p.paused || p.cancelRequested) return;
    this.stopAlgo(p.id);
    void this.emit('order.paused', { id: p.id, paused: true, reason });
    this.cancelLiveChildren(p);
  }

  private spawnChild(p: ParentOrder, inst: Instrument, qty: number, priceTicks: number | undefined): void {
    if (qty <= 0 || qty % inst.lotSize !== 0) throw new Error(`invariant: child qty ${qty} breaks lot ${inst.lotSize} for ${p.id}`);
    if (p.paused || p.cancelRequested || isParentDone(p.status)) return;
    // No retry loop while the broker is away: reconcile() restarts every algo on reconnect.
    if (!this.brokerConnected || this.reconciling) return;
    const referenceTicks = this.d.quotes.referenceTicks(p.symbol);
    if (priceTicks === undefined) {
      priceTicks = this.d.risk.marketProtectionTicks(p.side, referenceTicks);
      if (priceTicks === undefined) {
        this.onChildDenied(p, 'no_reference');
        return;
      }
    }
    const denied = this.selfTradeWith(p.symbol, p.side, priceTicks)
      ? 'self_trade'
      : this.d.risk.checkChild(inst, p.side, priceTicks, referenceTicks, this.d.nowMs());
    if (denied) {
      this.onChildDenied(p, denied);
      return;
    }
    this.deniedSinceMs.delete(p.id);
    const nowMs = this.d.nowMs();
    const child: ChildOrder = {
      id: `${p.id}-${p.nextChildSeq}`,
      parentId: p.id,
      account: this.d.clients.account(p.client ?? p.allocations![0].client),
      symbol: p.symbol,
      side: p.side,
      qty,
      priceTicks,
      status: 'pending_new',
      filledQty: 0,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    this.emit('child.new', child).then(
      () => {
        faultPoint('child.journaled');
        this.sendChild(this.children.get(child.id)!);
      },
      () => undefined,
    );
  }

  /**
   * What to do with a child the risk gate refused. A denial that will not clear by itself
   * (self-trade, collar, a halt) ends the boleta visibly at once: rejected with the reason if
   * nothing was filled, else paused with the reason. A passing one (throttle, no reference price)
   * is retried by the algo, but only for a bounded time, then the boleta is paused with the reason.
   * Never a boleta silently waiting, and the same after a restart (the outcome is journaled).
   */
  private onChildDenied(p: ParentOrder, code: string): void {
    this.d.log('warn', `child of ${p.id} denied: ${code}`);
    const nowMs = this.d.nowMs();
    if (!LASTING_DENIALS.has(code)) {
      const since = this.deniedSinceMs.get(p.id) ?? nowMs;
      this.deniedSinceMs.set(p.id, since);
      if (nowMs - since < MAX_DENIED_RETRY_MS) {
        this.runtime.onDenied(p, code);
        return;
      }
    }
    this.deniedSinceMs.delete(p.id);
    const reason = `${DENIAL_REASONS[code] ?? `recusada pelo controle de risco (${code})`}`;
    const live = p.childIds.some((id) => !isChildDone(this.children.get(id)!.status));
    this.d.audit({ actor: 'system', action: 'order.denied', target: p.id, details: { code, reason } });
    // Rejected only when the boleta itself cannot go out as it stands; a halt or a timed-out retry pauses it.
    if (REJECTING_DENIALS.has(code) && p.filledQty === 0 && !live) {
      this.emit('order.rejected', { id: p.id, code, reason: `rejeitada: ${reason}` });
    } else {
      this.emit('order.paused', { id: p.id, paused: true, reason: `pausada: ${reason}` });
      this.cancelLiveChildren(p);
    }
  }

  private sendChild(c: ChildOrder): void {
    if (c.status !== 'pending_new') return;
    const p = this.parents.get(c.parentId)!;
    if (p.paused || p.cancelRequested) {
      this.emit('child.update', { id: c.id, status: 'canceled', reason: 'cancelada antes do envio' });
      return;
    }
    this.sentToBroker.add(c.id);
    this.d.broker.submit({ clientOrderId: c.id, account: c.account, symbol: c.symbol, side: c.side, qty: c.qty, priceTicks: c.priceTicks });
  }

  private replaceChild(childId: string, change: { qty?: number; priceTicks?: number }): void {
    const c = this.children.get(childId)!;
    if (isChildDone(c.status) || !this.sentToBroker.has(c.id) || c.status === 'pending_cancel') return;
    const reprice = change.priceTicks !== undefined && change.priceTicks !== c.priceTicks;
    this.emit('child.update', { id: c.id, status: 'pending_replace', ...(reprice ? { reprice: true } : {}) });
    this.d.broker.replace(c.id, change);
  }

  private cancelChild(c: ChildOrder): void {
    if (isChildDone(c.status) || c.status === 'pending_cancel') return;
    if (!this.sentToBroker.has(c.id)) {
      // Not at the broker yet: sendChild sees the parent paused/canceled and cancels it locally.
      return;
    }
    this.emit('child.update', { id: c.id, status: 'pending_cancel' });
    this.d.broker.cancel(c.id);
  }

  private cancelLiveChildren(p: ParentOrder): void {
    for (const id of p.childIds) this.cancelChild(this.children.get(id)!);
  }

  /**
   * A live order of the firm on the other side that this price would trade against: B3 and CVM
   * forbid trading with oneself, and it would only move money between the firm's own clients.
   */
  private selfTradeWith(symbol: string, side: Side, priceTicks: number | undefined): ChildOrder | undefined {
    for (const id of this.liveBySymbol.get(liveKey(symbol, side === 'buy' ? 'sell' : 'buy')) ?? []) {
      const c = this.children.get(id)!;
      if (pricesCross(side, priceTicks, c.priceTicks)) return c;
    }
    return undefined;
  }

  /** Order ids end in their sequence number: `<prefix>-000042`. */
  private orderNumber(id: string): number {
    const n = Number(id.slice(id.lastIndexOf('-') + 1));
    return Number.isSafeInteger(n) ? n : 0;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.d.notifications === 'manual') return;
    this.flushScheduled = true;
    setImmediate(() => this.flushNotifications());
  }

  /**
   * Tells the listener now what changed since it was last told (orders, then the portfolio): what
   * the OMS does by itself one turn of the event loop after a change is journaled. A replay calls it
   * once the journal's promises have settled instead of waiting for that turn.
   */
  flushNotifications(): void {
    this.flushScheduled = false;
    if (this.dirtyOrders.size > 0) {
      const ids = [...this.dirtyOrders];
      this.dirtyOrders.clear();
      this.listener?.ordersChanged(ids);
    }
    if (this.portfolioDirty) {
      this.portfolioDirty = false;
      this.listener?.portfolioChanged();
    }
  }
}

function liveKey(symbol: string, side: Side): string {
  return `${symbol}:${side}`;
}

/** Whether an order on `side` at `priceTicks` would trade with one on the other side (undefined = at market). */
function pricesCross(side: Side, priceTicks: number | undefined, otherTicks: number | undefined): boolean {
  return priceTicks === undefined || otherTicks === undefined || (side === 'buy' ? priceTicks >= otherTicks : priceTicks <= otherTicks);
}

function notFound(id: string): { ok: false; status: number; errors: ApiErrorItem[] } {
  return { ok: false, status: 404, errors: [{ field: 'id', code: 'not_found', message: `ordem não encontrada: ${id}` }] };
}
