/**
 * The algo runtime, beside the OMS: it builds the context each algo works through, owns the one
 * wake-up scheduler, keeps the market state algos read (best bid/ask with sizes, prints, session
 * phase) and routes market events only to the algos that asked for them. The OMS keeps the state
 * tables, the journal and the broker; every request an algo makes goes back through the OMS host.
 *
 * Market state here is market data, not order state: after a restart it starts afresh from the
 * broker's feed, while everything about the orders is rebuilt from the journal.
 */
import type { SchedulePoint } from '../../common/types.js';
import { isChildDone } from '../model/order-state.js';
import type { Instrument, InstrumentRegistry } from '../model/instrument.js';
import type { AlgoContext, AlgoDescriptor, ExecAlgorithm, MarketTop, PlannedPoint } from './algos/algo.js';
import type { BrokerBook, BrokerTrade } from './broker-port.js';
import type { AlgoPhase, MarketSession } from './market-session.js';
import type { ChildOrder, FillRecord, ParentOrder } from './orders.js';
import { type TimerHost, WakeScheduler } from './scheduler.js';

/** What the runtime needs from the OMS: read the tables, and ask for changes that go through the journal. */
export interface AlgoHost {
  child(id: string): ChildOrder;
  fills(parentId: string): readonly FillRecord[];
  spawn(p: ParentOrder, qty: number, priceTicks: number | undefined): void;
  replace(childId: string, change: { qty?: number; priceTicks?: number }): void;
  cancel(childId: string): void;
  finish(p: ParentOrder, reason: string): void;
  pause(p: ParentOrder, reason: string): void;
  /** Not done, not paused, not being canceled. */
  isActive(p: ParentOrder): boolean;
  descriptor(type: string): AlgoDescriptor | undefined;
}

export interface AlgoRuntimeOptions {
  nowMs: () => number;
  instruments: InstrumentRegistry;
  session: MarketSession;
  /** Host timers; undefined = manual (`runDue` is driven by the caller: tests, benches, backtests). */
  timers?: TimerHost;
  maxWakesPerTurn?: number;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: unknown) => void;
}

/** Prints kept per symbol for participation windows: by age and by count, whichever bounds first. */
const PRINT_MAX_AGE_MS = 2 * 3_600_000;
const PRINT_MAX_COUNT = 200_000;
/**
 * The phase of a symbol with working algos is first looked at this soon, then at its next change
 * when the session can tell it (a B3 session: its phase boundaries), else again this soon.
 */
const PHASE_POLL_MS = 1_000;
/** Longest between two looks even when the session names the next change (a wall clock may jump). */
const PHASE_POLL_MAX_MS = 60_000;
const PHASE_KEY = '\u0000phase:';

class SymbolMarket {
  top: MarketTop = {};
  phase: AlgoPhase | undefined;
  /** Print times and the cumulative quantity after each print (prefix sums for O(log n) windows). */
  times: number[] = [];
  cumQty: number[] = [];
  head = 0;
  totalQty = 0;
  totalCostTicksQty = 0;
  /** The running algos themselves (not ids): a market event reaches each without a lookup. */
  bookSubs = new Set<Running>();
  tradeSubs = new Set<Running>();
  algos = new Set<string>();

  constructor(readonly inst: Instrument) {}

  print(t: BrokerTrade): void {
    this.totalQty += t.qty;
    this.totalCostTicksQty += t.qty * t.priceTicks;
    this.top.lastTicks = t.priceTicks;
    this.times.push(t.timeMs);
    this.cumQty.push(this.totalQty);
    const live = this.times.length - this.head;
    if (live > PRINT_MAX_COUNT || t.timeMs - this.times[this.head] > PRINT_MAX_AGE_MS) {
      while (this.head < this.times.length - 1 && (this.times.length - this.head > PRINT_MAX_COUNT || t.timeMs - this.times[this.head] > PRINT_MAX_AGE_MS)) this.head++;
      if (this.head > 4096 && this.head > this.times.length / 2) {
        this.times = this.times.slice(this.head);
        this.cumQty = this.cumQty.slice(this.head);
        this.head = 0;
      }
    }
  }

  /** Quantity printed after `sinceMs` (exclusive), within the prints kept. */
  qtySince(sinceMs: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid] <= sinceMs) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= this.times.length) return 0;
    const before = lo > 0 ? this.cumQty[lo - 1] : 0;
    return this.totalQty - before;
  }
}

interface Running {
  algo: ExecAlgorithm;
  p: ParentOrder;
  /** Bumped by the OMS on every change to this parent's children or fills: what the context derived from them is stale. */
  childEpoch: number;
}

/** Market traded in the symbol over an order's working interval (for interval VWAP and participation). */
export interface IntervalStats {
  marketQty: number;
  marketCostTicksQty: number;
}

export class AlgoRuntime {
  private readonly running = new Map<string, Running>();
  private readonly markets = new Map<string, SymbolMarket>();
  private readonly schedules = new Map<string, readonly PlannedPoint[]>();
  private readonly intervals = new Map<string, { fromQty: number; fromCost: number; toQty?: number; toCost?: number; symbol: string }>();
  readonly scheduler: WakeScheduler;

  constructor(
    private readonly host: AlgoHost,
    private readonly o: AlgoRuntimeOptions,
  ) {
    this.scheduler = new WakeScheduler({ nowMs: o.nowMs, timers: o.timers, maxWakesPerTurn: o.maxWakesPerTurn, onWake: (k) => this.onWake(k) });
  }

  // --- lifecycle, called by the OMS ---------------------------------------------------------

  /** Start (or restart) the algo of an active parent. */
  start(p: ParentOrder): void {
    if (!this.host.isActive(p)) return;
    let r = this.running.get(p.id);
    if (!r) {
      const desc = this.host.descriptor(p.algo.type);
      if (!desc) {
        this.o.log('error', `order ${p.id}: algo ${p.algo.type} is not available in this version`);
        this.host.pause(p, `tipo de boleta ${p.algo.type} indisponível nesta versão`);
        return;
      }
      const m = this.market(p.symbol);
      r = { algo: undefined as unknown as ExecAlgorithm, p, childEpoch: 0 };
      this.running.set(p.id, r);
      m.algos.add(p.id);
      if (!this.intervals.has(p.id)) this.intervals.set(p.id, { fromQty: m.totalQty, fromCost: m.totalCostTicksQty, symbol: p.symbol });
      else {
        // Resumed: the interval goes on from where it stopped.
        const iv = this.intervals.get(p.id)!;
        if (iv.toQty !== undefined) {
          iv.fromQty = m.totalQty - (iv.toQty - iv.fromQty);
          iv.fromCost = m.totalCostTicksQty - (iv.toCost! - iv.fromCost);
          iv.toQty = iv.toCost = undefined;
        }
      }
      r.algo = desc.create(this.contextFor(r));
      this.armPhasePoll(p.symbol);
    }
    this.guard(p.id, () => r.algo.start());
  }

  /** The parent is done, paused or being canceled: forget its algo (its state lives in the tables). */
  stop(id: string): void {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    this.scheduler.cancel(id);
    const m = this.markets.get(r.p.symbol);
    if (m) {
      m.bookSubs.delete(r);
      m.tradeSubs.delete(r);
      m.algos.delete(id);
      const iv = this.intervals.get(id);
      if (iv && iv.toQty === undefined) {
        iv.toQty = m.totalQty;
        iv.toCost = m.totalCostTicksQty;
      }
    }
  }

  /** A child of `id` was created, changed state or filled (called from the OMS's apply, for every such change). */
  childrenChanged(id: string): void {
    const r = this.running.get(id);
    if (r) r.childEpoch++;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  runningCount(): number {
    return this.running.size;
  }

  onFill(p: ParentOrder, c: ChildOrder, qty: number): void {
    const r = this.running.get(p.id);
    if (r) this.guard(p.id, () => r.algo.onFill(c, qty));
  }

  onChildDone(p: ParentOrder, c: ChildOrder): void {
    const r = this.running.get(p.id);
    if (r && this.host.isActive(p)) this.guard(p.id, () => r.algo.onChildDone(c));
  }

  onAmend(p: ParentOrder): void {
    const r = this.running.get(p.id);
    if (r && this.host.isActive(p)) this.guard(p.id, () => r.algo.onAmend());
  }

  onDenied(p: ParentOrder, reason: string): void {
    const r = this.running.get(p.id);
    if (r) this.guard(p.id, () => r.algo.onDenied(reason));
  }

  // --- market events --------------------------------------------------------------------------

  onBook(b: BrokerBook): void {
    const m = this.markets.get(b.symbol) ?? this.marketIfKnown(b.symbol);
    if (!m) return;
    const t = m.top;
    const changed = t.bidTicks !== b.bidTicks || t.askTicks !== b.askTicks || t.bidQty !== b.bidQty || t.askQty !== b.askQty;
    t.bidTicks = b.bidTicks;
    t.bidQty = b.bidQty;
    t.askTicks = b.askTicks;
    t.askQty = b.askQty;
    if (!changed) return;
    // The hottest loop of the bridge (every book change × every algo on the symbol): no closure or
    // lookup per algo, and an algo that throws is paused without stopping the others.
    for (const r of m.bookSubs) {
      if (!r.algo.onBook || !this.host.isActive(r.p)) continue;
      try {
        r.algo.onBook(t);
      } catch (e) {
        this.failed(r.p.id, e);
      }
    }
  }

  onTrade(tr: BrokerTrade): void {
    const m = this.markets.get(tr.symbol) ?? this.marketIfKnown(tr.symbol);
    if (!m) return;
    m.print(tr);
    for (const r of m.tradeSubs) {
      if (!r.algo.onTrade || !this.host.isActive(r.p)) continue;
      try {
        r.algo.onTrade(tr);
      } catch (e) {
        this.failed(r.p.id, e);
      }
    }
  }

  /** Manual mode: run due wake-ups (and phase polls) up to the per-turn bound. */
  runDue(nowMs = this.o.nowMs()): number {
    return this.scheduler.runDue(nowMs);
  }

  close(): void {
    this.scheduler.stop();
  }

  // --- what the order views read ------------------------------------------------------------------

  schedule(id: string): SchedulePoint[] | undefined {
    return this.schedules.get(id)?.map((x) => ({ t: new Date(x.tMs).toISOString(), targetQty: x.targetQty }));
  }

  intervalStats(id: string): IntervalStats | undefined {
    const iv = this.intervals.get(id);
    if (!iv) return undefined;
    const m = this.markets.get(iv.symbol);
    const toQty = iv.toQty ?? m?.totalQty ?? iv.fromQty;
    const toCost = iv.toCost ?? m?.totalCostTicksQty ?? iv.fromCost;
    return { marketQty: toQty - iv.fromQty, marketCostTicksQty: toCost - iv.fromCost };
  }

  /** Mid (or last) of a symbol now, in ticks: the arrival benchmark. */
  midTicks(symbol: string): number | undefined {
    const t = this.markets.get(symbol)?.top;
    if (!t) return undefined;
    if (t.bidTicks !== undefined && t.askTicks !== undefined) return (t.bidTicks + t.askTicks) / 2;
    return t.lastTicks;
  }

  // --- internals ----------------------------------------------------------------------------------

  private market(symbol: string): SymbolMarket {
    let m = this.markets.get(symbol);
    if (!m) {
      m = new SymbolMarket(this.o.instruments.require(symbol));
      this.markets.set(symbol, m);
    }
    return m;
  }

  private marketIfKnown(symbol: string): SymbolMarket | undefined {
    return this.o.instruments.get(symbol) ? this.market(symbol) : undefined;
  }

  private onWake(key: string): void {
    if (key.startsWith(PHASE_KEY)) return this.pollPhase(key.slice(PHASE_KEY.length));
    const r = this.running.get(key);
    if (r && this.host.isActive(r.p)) this.guard(key, () => r.algo.onWake());
  }

  private armPhasePoll(symbol: string): void {
    const key = PHASE_KEY + symbol;
    if (this.scheduler.has(key)) return;
    const now = this.o.nowMs();
    const m = this.markets.get(symbol);
    const next = m?.phase !== undefined ? this.o.session.nextChangeMs?.(m.inst, now) : undefined;
    // A replay of bars otherwise woke every algo's symbol 60 times a bar to learn nothing new.
    this.scheduler.wakeAt(key, next === undefined ? now + PHASE_POLL_MS : Math.max(now + 1, Math.min(next, now + PHASE_POLL_MAX_MS)));
  }

  private pollPhase(symbol: string): void {
    const m = this.markets.get(symbol);
    if (!m || m.algos.size === 0) return;
    const phase = this.o.session.phase(m.inst, this.o.nowMs());
    if (phase !== m.phase) {
      m.phase = phase;
      for (const id of m.algos) {
        const r = this.running.get(id);
        if (r?.algo.onPhase && this.host.isActive(r.p)) this.guard(id, () => r.algo.onPhase!(phase));
      }
    }
    this.armPhasePoll(symbol);
  }

  /** An algo that throws is paused with the reason visible; the bridge and the other algos go on. */
  private guard(id: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.failed(id, e);
    }
  }

  private failed(id: string, e: unknown): void {
    const r = this.running.get(id);
    this.o.log('error', `algo of ${id} failed`, e);
    if (r) {
      this.stop(id);
      this.host.pause(r.p, `erro no algoritmo: ${(e as Error).message}`);
    }
  }

  private contextFor(r: Running): AlgoContext {
    // One object per started algo, its methods on the prototype: no closure per context.
    return new RuntimeContext(r, this.o.instruments.require(r.p.symbol), this.market(r.p.symbol), this.host, this.o, this.scheduler, this.running, this.schedules);
  }
}

/**
 * What an algo works through. What algos ask on every market event (live children, working and
 * placed quantity) is derived once per change of the children: the OMS bumps `r.childEpoch` on
 * each, so between changes a print or a book change costs no scan and no allocation.
 */
class RuntimeContext implements AlgoContext {
  readonly parent: ParentOrder;
  readonly nowMs: () => number;
  /**
   * Children before `firstLive` are done and fully booked: they are skipped, so a TWAP with
   * hundreds of finished slices costs what its few live children cost. A done child never comes
   * back to life (a late fill keeps it done), so the index only moves forward.
   */
  private firstLive = 0;
  private epoch = -1;
  private live: readonly ChildOrder[] = [];
  private working = 0;
  /** Placed beyond what filled: unplaced = qty - filled - this. */
  private placedOpen = 0;

  constructor(
    private readonly r: Running,
    readonly instrument: Instrument,
    private readonly m: SymbolMarket,
    private readonly host: AlgoHost,
    private readonly o: AlgoRuntimeOptions,
    private readonly scheduler: WakeScheduler,
    private readonly running: ReadonlyMap<string, Running>,
    private readonly schedules: Map<string, readonly PlannedPoint[]>,
  ) {
    this.parent = r.p;
    this.nowMs = o.nowMs;
  }

  private refresh(): void {
    const r = this.r;
    if (this.epoch === r.childEpoch) return;
    this.epoch = r.childEpoch;
    const host = this.host;
    const ids = this.parent.childIds;
    let firstLive = this.firstLive;
    while (firstLive < ids.length) {
      const c = host.child(ids[firstLive]);
      if (!isChildDone(c.status) || (c.status === 'filled' && c.filledQty < c.qty)) break;
      firstLive++;
    }
    this.firstLive = firstLive;
    const out: ChildOrder[] = [];
    let working = 0;
    let placedOpen = 0;
    for (let i = firstLive; i < ids.length; i++) {
      const c = host.child(ids[i]);
      const done = isChildDone(c.status);
      if (!done) {
        out.push(c);
        working += c.qty - c.filledQty;
      }
      // A child reported filled whose fills are still on the way counts as fully placed.
      placedOpen += (!done || c.status === 'filled' ? c.qty : c.filledQty) - c.filledQty;
    }
    this.working = working;
    this.placedOpen = placedOpen;
    // A new array each time: an algo iterating the previous one while it cancels stays on that one.
    this.live = out;
  }

  market(): MarketTop {
    return this.m.top;
  }

  phase(): AlgoPhase {
    return this.o.session.phase(this.instrument, this.o.nowMs());
  }

  session(): MarketSession {
    return this.o.session;
  }

  subscribe(ev: { book?: boolean; trades?: boolean }): void {
    // Only while running: an algo stopped mid-call must not come back through a late subscribe.
    if (this.running.get(this.parent.id) !== this.r) return;
    if (ev.book) this.m.bookSubs.add(this.r);
    if (ev.trades) this.m.tradeSubs.add(this.r);
  }

  printedQtySince(sinceMs: number): number {
    return this.m.qtySince(sinceMs);
  }

  children(): ChildOrder[] {
    return this.parent.childIds.map((id) => this.host.child(id));
  }

  fills(): readonly FillRecord[] {
    return this.host.fills(this.parent.id);
  }

  liveChildren(): readonly ChildOrder[] {
    this.refresh();
    return this.live;
  }

  unplacedQty(): number {
    this.refresh();
    // Children before firstLive are placed exactly as far as they filled (p.filledQty); the rest add what is open.
    const p = this.parent;
    return Math.max(0, p.qty - p.filledQty - this.placedOpen);
  }

  workingQty(): number {
    this.refresh();
    return this.working;
  }

  spawn(qty: number, priceTicks: number | undefined): void {
    this.host.spawn(this.parent, qty, priceTicks);
  }

  replace(childId: string, change: { qty?: number; priceTicks?: number }): void {
    this.host.replace(childId, change);
  }

  cancel(childId: string): void {
    this.host.cancel(childId);
  }

  wakeAt(dueMs: number): void {
    this.scheduler.wakeAt(this.parent.id, dueMs);
  }

  wakeAfter(delayMs: number): void {
    this.scheduler.wakeAt(this.parent.id, this.o.nowMs() + delayMs);
  }

  setSchedule(points: readonly PlannedPoint[]): void {
    this.schedules.set(this.parent.id, points);
  }

  finish(reason: string): void {
    this.host.finish(this.parent, reason);
  }

  pause(reason: string): void {
    this.host.pause(this.parent, reason);
  }
}
