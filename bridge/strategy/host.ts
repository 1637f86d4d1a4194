/**
 * StrategyHost: the bridge side of one strategy run. It turns what the trading kernel sees (bars,
 * prints, quotes, the run's orders and fills, its clients' positions and cash) into events for the
 * strategy's runner, and carries out the runner's commands through the OMS, as boletas with an
 * idempotency key per run and reference and the run as their origin.
 *
 * Events are queued and handed over in batches (`flush`): the same batches, in the same order,
 * whether the runner sits in this thread (a backtest) or in a worker (a live run) — which is what
 * makes a backtest and a live run of the same recorded market take the same decisions.
 *
 * A fault ends the run: a hook that threw (the runner's), a boleta the bridge refused (with the
 * place in the strategy's file where it was sent), or a limit of the run broken.
 */
import type { BoletaInput } from '../../common/schemas.js';
import type { OrderStatus } from '../../common/types.js';
import { saoPauloDay } from '../calendar/iso-date.js';
import type { BrokerBar } from '../execution/broker-port.js';
import type { ParentOrder } from '../execution/orders.js';
import type { TradingKernel } from '../kernel.js';
import { avgTicksToPrice, continuousRoot, type Instrument, notionalCentavos, priceToTicks, ticksToPrice, tradedContract } from '../model/instrument.js';
import type { BarInterval, StrategyOrder } from './api.js';
import { BarBuilder, type BuiltBar } from './bar-builder.js';
import type { HostEvent, RunnerCommand, StrategyFault } from './protocol.js';

export interface DispatchResult {
  commands: RunnerCommand[];
  nextTimerMs?: number;
  fault?: StrategyFault;
}

/** Where the runner lives: this thread (a backtest) or a worker (live). */
export interface RunnerPort {
  dispatch(events: HostEvent[]): DispatchResult | Promise<DispatchResult>;
}

/** A live run's own limits, checked before any boleta reaches the OMS. */
export interface StrategyLimits {
  /** Largest notional of one boleta, BRL. */
  maxOrderNotionalBrl: number;
  /** Sum of the notional of every boleta the run sent, BRL. */
  maxTotalNotionalBrl: number;
  maxOrdersPerMinute: number;
  /** Symbols the run may trade (as the strategy names them). */
  symbols: string[];
}

export interface HostRun {
  runId: string;
  name: string;
  /** As the strategy names them (a continuous future: `WINFUT`). */
  symbols: string[];
  clients: string[];
  interval: BarInterval;
  wants: { trades: boolean; quotes: boolean };
  /** Bars come from the venue (a replay of candles) or are built here from prints. */
  barsFrom: 'venue' | 'prints';
  limits?: StrategyLimits;
}

export interface HostOptions {
  nowMs: () => number;
  /** Actor of the run's boletas: `strategy:<runId>`. */
  actor: string;
  onFault(f: StrategyFault): void;
  onLog(t: number, message: string): void;
  /** Events are waiting (real time: the caller pumps soon); a replay driver pumps on its own. */
  onQueued?: () => void;
}

interface RefState {
  ref: string;
  parentIds: string[];
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  /** Fills already told, per parent. */
  fillsSeen: Map<string, number>;
  last?: string;
  /** Canceled by the strategy before the OMS had accepted it: canceled on acceptance. */
  cancelOnAccept?: boolean;
}

/** Events queued for one batch at most: beyond this a runner that cannot keep up is a fault. */
const MAX_PENDING_EVENTS = 100_000;
const ORDER_RATE_WINDOW_MS = 60_000;

export class StrategyHost {
  private pending: HostEvent[] = [];
  private readonly refs = new Map<string, RefState>();
  private readonly refByParent = new Map<string, RefState>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly bars: BarBuilder | undefined;
  private nextTimerMs: number | undefined;
  private readonly lastPosition = new Map<string, string>();
  private readonly lastCash = new Map<string, string>();
  private readonly sentTimes: number[] = [];
  private totalNotionalCentavos = 0;
  private readonly detach: Array<() => void> = [];
  private ended = false;
  /** Strategy symbol → the symbol it trades as today, and back. */
  private readonly tradeOf = new Map<string, string>();
  private readonly strategyOf = new Map<string, string>();
  private tradeDate = '';
  private dayStartMs = Number.NaN;
  private dayEndMs = Number.NaN;

  constructor(
    private readonly kernel: TradingKernel,
    private readonly runner: RunnerPort,
    readonly run: HostRun,
    private readonly o: HostOptions,
  ) {
    this.resolveSymbols(o.nowMs());
    if (run.barsFrom === 'prints') this.bars = new BarBuilder(run.interval, (b) => this.queueBuiltBar(b));
    this.detach.push(
      kernel.tap({
        bar: (b) => {
          this.resolveSymbols(this.o.nowMs());
          this.onVenueBar(b);
        },
        trade: (t) => {
          // Bars from the venue and no interest in prints: nothing to do with a print.
          if (this.bars === undefined && !this.run.wants.trades) return;
          this.resolveSymbols(this.o.nowMs());
          const sym = this.strategyOf.get(t.symbol);
          if (sym === undefined) return;
          const inst = this.instrument(t.symbol)!;
          this.bars?.print(sym, t.timeMs, t.priceTicks, t.qty, notionalCentavos(inst, t.qty, t.priceTicks));
          if (this.run.wants.trades) {
            this.queue({ kind: 'trade', t: this.o.nowMs(), trade: { symbol: sym, t: t.timeMs, price: ticksToPrice(inst, t.priceTicks), qty: t.qty, ...(t.aggressor ? { aggressor: t.aggressor } : {}) } });
          }
        },
        book: (b) => {
          if (!this.run.wants.quotes) return;
          this.resolveSymbols(this.o.nowMs());
          const sym = this.strategyOf.get(b.symbol);
          if (sym === undefined) return;
          const inst = this.instrument(b.symbol)!;
          const last = this.kernel.quotes.ticks(b.symbol).lastTicks;
          this.queue({
            kind: 'quote',
            t: this.o.nowMs(),
            quote: { symbol: sym, t: b.timeMs, bid: priceOrNone(inst, b.bidTicks), ask: priceOrNone(inst, b.askTicks), bidQty: b.bidQty, askQty: b.askQty, last: priceOrNone(inst, last) },
          });
        },
      }),
      kernel.listen({
        ordersChanged: (ids) => this.onOrdersChanged(ids),
        portfolioChanged: () => this.syncPortfolio(),
      }),
    );
  }

  /** Starts the run: history (if any), then `start`. */
  start(history: HostEvent[] = []): void {
    this.pending.push(...history);
    this.syncPortfolio();
    this.queue({ kind: 'start', t: this.o.nowMs() });
  }

  /** Stops the run (onStop is called); its boletas stay as they are unless the caller cancels them. */
  stop(): void {
    if (this.ended) return;
    this.queue({ kind: 'stop', t: this.o.nowMs() });
  }

  /** Detaches from the kernel: nothing more reaches the runner. */
  close(): void {
    this.ended = true;
    for (const d of this.detach.splice(0)) d();
  }

  isEnded(): boolean {
    return this.ended;
  }

  /** The parents this run sent (by reference order). */
  orderIds(): string[] {
    return [...this.refs.values()].flatMap((r) => r.parentIds);
  }

  /** When the host wants the clock: the runner's next timer or the end of a bar being built. */
  nextWakeMs(): number | undefined {
    const bar = this.bars?.nextCloseMs();
    if (bar === undefined) return this.nextTimerMs;
    return this.nextTimerMs === undefined ? bar : Math.min(bar, this.nextTimerMs);
  }

  /** The clock reached `nowMs`: close due bars, wake due timers, roll contracts on a new date. */
  onClock(nowMs: number): void {
    if (this.ended) return;
    this.resolveSymbols(nowMs);
    this.bars?.closeDue(nowMs);
    if (this.nextTimerMs !== undefined && this.nextTimerMs <= nowMs) {
      this.nextTimerMs = undefined;
      this.queue({ kind: 'clock', t: nowMs });
    }
  }

  /** Events not yet handed to the runner, or boletas on their way into the OMS. */
  hasPending(): boolean {
    return (this.pending.length > 0 && !this.ended) || this.inFlight.size > 0;
  }

  /** Boletas on their way into the OMS (accepted or refused when these settle). */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Hands the queued events to the runner and carries out its commands. Returns whether anything
   * went to the OMS; synchronous when the runner is (a backtest), so a quiet step costs no turn.
   */
  pump(): boolean | Promise<boolean> {
    if (this.ended || this.pending.length === 0) return false;
    const batch = this.pending;
    this.pending = [];
    const r = this.runner.dispatch(batch);
    return r instanceof Promise ? r.then((x) => this.carryOut(x)) : this.carryOut(r);
  }

  private carryOut(r: DispatchResult): boolean | Promise<boolean> {
    this.nextTimerMs = r.nextTimerMs;
    let acted = false;
    for (const c of r.commands) acted = this.execute(c) || acted;
    if (r.fault) {
      this.fail(r.fault);
      return acted;
    }
    if (this.pending.length === 0 || this.ended) return acted;
    // Commands can queue events at once (a refused boleta): hand those over too.
    const more = this.pump();
    return typeof more === 'boolean' ? acted || more : more.then((m) => acted || m);
  }

  // --------------------------------------------------------------------- events in

  private queue(ev: HostEvent): void {
    if (this.ended) return;
    if (this.pending.length >= MAX_PENDING_EVENTS) {
      this.fail({ hook: 'host', message: `a estratégia não acompanha o mercado: mais de ${MAX_PENDING_EVENTS} eventos na fila` });
      return;
    }
    this.pending.push(ev);
    if (this.pending.length === 1) this.o.onQueued?.();
  }

  /** A new São Paulo date: continuous futures move to their front contract. */
  private resolveSymbols(nowMs: number): void {
    // Asked on every wake-up: the date is worked out only when the clock leaves the day it knows.
    if (nowMs >= this.dayStartMs && nowMs < this.dayEndMs) return;
    const day = saoPauloDay(nowMs);
    this.dayStartMs = day.startMs;
    this.dayEndMs = day.endMs;
    const date = day.date;
    if (date === this.tradeDate) return;
    const first = this.tradeDate === '';
    this.tradeDate = date;
    this.strategyOf.clear();
    for (const s of this.run.symbols) {
      const traded = tradedContract(s, date);
      this.tradeOf.set(s, traded);
      this.strategyOf.set(traded, s);
    }
    // Cash D+0/D+1/D+2 moves with the date (yesterday's D+1 is today's D+0), and a continuous future
    // may now trade as another contract: the strategy hears both before the day's first event.
    if (!first) this.syncPortfolio();
  }

  private onVenueBar(b: BrokerBar): void {
    if (this.run.barsFrom !== 'venue' || this.tradeOf.get(b.symbol) === undefined) return;
    const inst = this.instrument(b.tradeSymbol);
    if (!inst) return;
    this.queueBar(b.symbol, inst, b);
  }

  /** Instruments by traded symbol, looked up once (every bar and print asks). */
  private readonly instCache = new Map<string, Instrument | undefined>();

  private instrument(symbol: string): Instrument | undefined {
    let inst = this.instCache.get(symbol);
    if (inst === undefined && !this.instCache.has(symbol)) {
      inst = this.kernel.instruments.get(symbol);
      this.instCache.set(symbol, inst);
    }
    return inst;
  }

  private queueBuiltBar(b: BuiltBar): void {
    const inst = this.kernel.instruments.get(this.tradeOf.get(b.symbol) ?? b.symbol);
    if (inst) this.queueBar(b.symbol, inst, b);
  }

  private queueBar(symbol: string, inst: Instrument, b: { startMs: number; endMs: number; openTicks: number; highTicks: number; lowTicks: number; closeTicks: number; qty: number; volumeCentavos: number }): void {
    // Every bar passes here: no closure per call.
    this.queue({
      kind: 'bar',
      t: b.endMs,
      bar: {
        symbol,
        interval: this.run.interval,
        t: b.startMs,
        open: ticksToPrice(inst, b.openTicks),
        high: ticksToPrice(inst, b.highTicks),
        low: ticksToPrice(inst, b.lowTicks),
        close: ticksToPrice(inst, b.closeTicks),
        qty: b.qty,
        volume: b.volumeCentavos / 100,
      },
    });
  }

  private onOrdersChanged(ids: string[]): void {
    const now = this.o.nowMs();
    for (const id of ids) {
      const ref = this.refByParent.get(id);
      if (!ref) continue;
      const p = this.kernel.oms.get(id)!;
      const inst = this.kernel.instruments.require(p.symbol);
      const fills = this.kernel.oms.fillsOf(id);
      const seen = ref.fillsSeen.get(id) ?? 0;
      // Position and cash after the fill go first, so that inside onFill the position includes it
      // (protocol.ts); the OMS tells orders before the portfolio, so the portfolio is read here.
      if (fills.length > seen) this.syncPortfolio();
      for (let k = seen; k < fills.length; k++) {
        const f = fills[k];
        this.queue({ kind: 'fill', t: now, fill: { ref: ref.ref, orderId: id, symbol: ref.symbol, side: f.side, qty: f.qty, price: ticksToPrice(inst, f.priceTicks), t: f.timeMs } });
      }
      ref.fillsSeen.set(id, fills.length);
      const state = this.stateOf(ref);
      const key = `${state.status}|${state.filledQty}|${state.reason ?? ''}`;
      if (key !== ref.last) {
        ref.last = key;
        this.queue({ kind: 'order', t: now, order: state });
      }
    }
  }

  /** One reference's state over its parents (a block routed per account is several). */
  private stateOf(ref: RefState): StrategyOrder {
    const parents = ref.parentIds.map((id) => this.kernel.oms.get(id)!);
    let filled = 0;
    let costTicksQty = 0;
    for (const p of parents) {
      filled += p.filledQty;
      costTicksQty += p.costTicksQty;
    }
    const inst = this.kernel.instruments.require(parents[0].symbol);
    const status = combinedStatus(parents);
    const reason = parents.find((p) => p.statusReason)?.statusReason;
    return {
      ref: ref.ref,
      orderId: ref.parentIds[0],
      symbol: ref.symbol,
      side: ref.side,
      qty: ref.qty,
      filledQty: filled,
      avgPrice: filled === 0 ? 0 : avgTicksToPrice(inst, costTicksQty / filled),
      status,
      ...(reason ? { reason } : {}),
    };
  }

  /** Positions and cash of the run's clients, sent when they change. */
  private syncPortfolio(): void {
    if (this.ended) return;
    const now = this.o.nowMs();
    const portfolio = this.kernel.portfolio;
    for (const client of this.run.clients) {
      for (const sym of this.run.symbols) {
        const { qty, avgPrice } = this.positionOf(client, sym);
        const key = `${client}|${sym}`;
        const sig = `${qty}|${avgPrice}`;
        if (this.lastPosition.get(key) === sig) continue;
        this.lastPosition.set(key, sig);
        this.queue({ kind: 'position', t: now, client, symbol: sym, qty, avgPrice });
      }
      const b = portfolio.balanceView(client, now);
      const sig = `${b.d0}|${b.d1}|${b.d2}`;
      if (this.lastCash.get(client) !== sig) {
        this.lastCash.set(client, sig);
        this.queue({ kind: 'cash', t: now, client, d0: b.d0, d1: b.d1, d2: b.d2 });
      }
    }
  }

  /**
   * A client's position as the strategy names the symbol. A continuous future (`WINFUT`) is every
   * contract of its root the client holds: across a roll the old and the new contract together, so
   * the strategy's position does not move while the rolling orders fill.
   */
  private positionOf(client: string, sym: string): { qty: number; avgPrice: number } {
    const portfolio = this.kernel.portfolio;
    const root = this.rootOf(sym);
    if (root === undefined) {
      const traded = this.tradeOf.get(sym) ?? sym;
      const inst = this.kernel.instruments.get(traded);
      const p = inst ? portfolio.position(client, traded) : undefined;
      const qty = p?.qty ?? 0;
      const avgPrice = p?.avgPriceTicks === undefined || !inst ? 0 : avgTicksToPrice(inst, p.avgPriceTicks);
      return { qty, avgPrice };
    }
    // Every contract of one root trades on the same tick: their ticks average as they are.
    let qty = 0;
    let costTicksQty = 0;
    let contract: Instrument | undefined;
    for (const p of portfolio.positionSnapshots(client)) {
      if (p.qty === 0 || p.avgPriceTicks === undefined || !p.symbol.startsWith(root)) continue;
      const inst = this.instrument(p.symbol);
      if (inst?.kind !== 'future' || inst.symbol.length !== root.length + 3) continue;
      qty += p.qty;
      costTicksQty += p.qty * p.avgPriceTicks;
      contract = inst;
    }
    return { qty, avgPrice: qty === 0 || !contract ? 0 : avgTicksToPrice(contract, costTicksQty / qty) };
  }

  private readonly roots = new Map<string, string | undefined>();

  private rootOf(sym: string): string | undefined {
    if (!this.roots.has(sym)) this.roots.set(sym, continuousRoot(sym));
    return this.roots.get(sym);
  }

  // --------------------------------------------------------------------- commands out

  /** Carries out one command; true when it went to the OMS. */
  private execute(c: RunnerCommand): boolean {
    if (this.ended) return false;
    switch (c.kind) {
      case 'log':
        this.o.onLog(c.t, c.message);
        return false;
      case 'cancel': {
        const ref = this.refs.get(c.ref);
        if (!ref) return false;
        if (ref.parentIds.length === 0) {
          ref.cancelOnAccept = true;
          return false;
        }
        for (const id of ref.parentIds) this.track(this.kernel.oms.cancel(id, this.o.actor, 'cancelada pela estratégia'));
        return true;
      }
      case 'submit':
        this.submit(c);
        return true;
    }
  }

  private submit(c: Extract<RunnerCommand, { kind: 'submit' }>): void {
    const traded = this.tradeOf.get(c.boleta.symbol) ?? c.boleta.symbol;
    const ref: RefState = { ref: c.ref, parentIds: [], symbol: c.boleta.symbol, side: c.boleta.side, qty: c.boleta.qty, fillsSeen: new Map() };
    this.refs.set(c.ref, ref);
    const limitError = this.checkLimits(c, traded);
    if (limitError) {
      this.refuse(ref, limitError, c.where);
      return;
    }
    const input: BoletaInput = {
      symbol: traded,
      side: c.boleta.side,
      qty: c.boleta.qty,
      algo: (c.boleta.algo ?? { type: 'full' }) as BoletaInput['algo'],
      idempotencyKey: `${this.run.runId}:${c.ref}`,
      ...(c.boleta.limitPrice !== undefined ? { limitPrice: c.boleta.limitPrice } : {}),
      ...(c.boleta.allocations ? { allocations: c.boleta.allocations } : { client: c.client }),
    };
    this.track(
      // The parent, not an order view: the host reads only its ids.
      this.kernel.oms.submitForParent(input, this.o.actor).then((rows) => {
        const row = rows[0];
        if (!row.ok) {
          this.refuse(ref, row.errors.map((e) => `${e.field}: ${e.message}`).join('; '), c.where);
          return;
        }
        const ids = [row.parent.id, ...(row.parent.routedWith ?? [])];
        ref.parentIds.push(...ids);
        for (const id of ids) this.refByParent.set(id, ref);
        this.onOrdersChanged(ids);
        if (ref.cancelOnAccept) for (const id of ids) this.track(this.kernel.oms.cancel(id, this.o.actor, 'cancelada pela estratégia'));
      }),
    );
  }

  private checkLimits(c: Extract<RunnerCommand, { kind: 'submit' }>, traded: string): string | undefined {
    const lim = this.run.limits;
    if (!lim) return undefined;
    const now = this.o.nowMs();
    if (!lim.symbols.includes(c.boleta.symbol)) return `limite da estratégia: ${c.boleta.symbol} fora dos ativos armados (${lim.symbols.join(', ')})`;
    while (this.sentTimes.length > 0 && now - this.sentTimes[0] >= ORDER_RATE_WINDOW_MS) this.sentTimes.shift();
    if (this.sentTimes.length >= lim.maxOrdersPerMinute) return `limite da estratégia: mais de ${lim.maxOrdersPerMinute} boletas por minuto`;
    const inst = this.kernel.instruments.get(traded);
    if (!inst) return `ativo desconhecido: ${traded}`;
    let priceTicks: number | undefined;
    try {
      priceTicks = c.boleta.limitPrice !== undefined ? priceToTicks(inst, c.boleta.limitPrice) : this.kernel.quotes.referenceTicks(traded);
    } catch {
      priceTicks = undefined;
    }
    if (priceTicks === undefined) return `limite da estratégia: sem preço para medir o financeiro de ${traded}`;
    const notional = notionalCentavos(inst, c.boleta.qty, priceTicks);
    if (notional > lim.maxOrderNotionalBrl * 100) return `limite da estratégia: boleta de ${brl(notional / 100)} acima do máximo por boleta (${brl(lim.maxOrderNotionalBrl)})`;
    if (this.totalNotionalCentavos + notional > lim.maxTotalNotionalBrl * 100) return `limite da estratégia: financeiro total passaria de ${brl(lim.maxTotalNotionalBrl)}`;
    this.sentTimes.push(now);
    this.totalNotionalCentavos += notional;
    return undefined;
  }

  private refuse(ref: RefState, reason: string, where?: string): void {
    this.queue({ kind: 'order', t: this.o.nowMs(), order: { ref: ref.ref, symbol: ref.symbol, side: ref.side, qty: ref.qty, filledQty: 0, avgPrice: 0, status: 'refused', reason } });
    this.fail({ hook: 'submit', message: `boleta ${ref.ref} recusada: ${reason}`, ...(where ? { location: where } : {}) });
  }

  private fail(f: StrategyFault): void {
    if (this.ended) return;
    this.close();
    this.o.onFault(f);
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e) => this.fail({ hook: 'host', message: (e as Error).message })).finally(() => this.inFlight.delete(t));
    this.inFlight.add(t);
  }
}

const BRL = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
const brl = (x: number) => BRL.format(x).replace(/\u00a0/g, ' ');

function priceOrNone(inst: Instrument, ticks: number | undefined): number | undefined {
  return ticks === undefined ? undefined : ticksToPrice(inst, ticks);
}

const ACTIVE: ReadonlySet<OrderStatus> = new Set(['pending_new', 'working', 'partially_filled', 'pending_cancel', 'paused']);

/** The status of a boleta made of several parents: the least advanced one while any is active. */
function combinedStatus(parents: ParentOrder[]): OrderStatus {
  if (parents.length === 1) return parents[0].status;
  const active = parents.find((p) => ACTIVE.has(p.status));
  if (active) return active.status;
  if (parents.every((p) => p.status === 'filled')) return 'filled';
  return parents.find((p) => p.status !== 'filled')!.status;
}
