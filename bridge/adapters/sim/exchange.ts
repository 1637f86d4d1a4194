/**
 * The simulated B3: one OrderBook per instrument, our orders by clientOrderId, and synthetic
 * participants that keep every book alive.
 *
 * Participants are driven by a seeded PRNG (one stream per symbol) and by the time passed to `step`,
 * so a test that fixes the seed and drives the clock by hand sees exactly the same market every run.
 * Their fair price is a mean-reverting random walk around the instrument's referenceTicks that also
 * follows the last trade, so when one of our large orders walks the book the price stays moved.
 * Activity follows an intraday U-shape (America/Sao_Paulo): busy at the open and the close.
 *
 * Everything that happens is queued and delivered to listeners after the book is consistent again, so a
 * listener may call back into the exchange (submit from inside a fill handler) without corrupting a match.
 *
 * The exchange never depends on who is connected: orders and fills stay here whether or not a bridge is
 * listening, which is what lets a restarted bridge reconcile through `ordersFor` / `fillsFor`.
 */
import type { Side } from '../../../common/types.js';
import { saoPauloDate, saoPauloDay } from '../../calendar/iso-date.js';
import type {
  BrokerBook,
  BrokerFill,
  BrokerOrderRequest,
  BrokerOrderStatus,
  BrokerOrderUpdate,
  BrokerTrade,
} from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import { OrderBook } from './order-book.js';
import { Prng, hashString } from '../../model/prng.js';

export type SessionPhase = 'open' | 'auction' | 'closed';
export type SessionPhaseFn = (symbol: string, nowMs: number) => SessionPhase;

export interface SimExchangeListener {
  orderUpdate?(update: BrokerOrderUpdate): void;
  fill?(fill: BrokerFill): void;
  trade?(trade: BrokerTrade): void;
  book?(book: BrokerBook): void;
}

export interface SimExchangeOptions {
  instruments: Instrument[];
  /** Seed of the participants; the same seed and the same calls give the same market. Default 1. */
  seed?: number;
  /** Epoch milliseconds for our orders' timestamps. Default Date.now. */
  clock?: () => number;
  /**
   * Trading phase of a symbol at a time. Default: always 'open' (a demo session at any hour).
   * 'closed' refuses new orders and expires working ones; 'auction' books orders without matching and
   * uncrosses at the single price of maximum volume when the phase turns 'open' (or 'closed').
   */
  sessionPhase?: SessionPhaseFn;
  /** Participant events per second per symbol at the quietest time of day. Default 2. */
  baseEventsPerSecond?: number;
  /** Multiplier of the participant event rate at a time. Default: uShapedActivity(). */
  activityProfile?: (nowMs: number) => number;
  /** After a longer gap between steps only this much participant activity is replayed. Default 60 s. */
  maxCatchUpMs?: number;
}

/** Price levels per side that participants keep quoted. */
const QUOTE_LEVELS = 5;
/** Below this many levels on a side, participants post there first. */
const MIN_LEVELS = 3;
/** Participants' resting orders per symbol above which they cancel rather than post. */
const MAX_PARTICIPANT_ORDERS = 120;
const ALWAYS_OPEN: SessionPhaseFn = () => 'open';

/**
 * Default activity profile: 1 in the quiet middle of the day, rising to about 4x at the open and 3.5x
 * at the close of the 10:00–18:00 São Paulo session; 1 outside it (the demo market trades at any hour).
 */
export function uShapedActivity(openMinute = 10 * 60, closeMinute = 18 * 60): (nowMs: number) => number {
  return (nowMs) => {
    const minute = (nowMs - saoPauloDay(nowMs).startMs) / 60_000;
    if (minute < openMinute || minute > closeMinute) return 1;
    return 1 + 3 * Math.exp(-(minute - openMinute) / 45) + 2.5 * Math.exp(-(closeMinute - minute) / 45);
  };
}

interface SimOrder {
  id: number;
  clientOrderId: string;
  brokerOrderId?: string;
  account: string;
  symbol: string;
  side: Side;
  qty: number;
  filledQty: number;
  priceTicks?: number;
  status: BrokerOrderStatus;
  reason?: string;
  timeMs: number;
}

interface SymbolState {
  inst: Instrument;
  book: OrderBook;
  rng: Prng;
  fairTicks: number;
  lastTradeTicks?: number;
  /** tradeSeq the fair price last followed. */
  followedTradeSeq: number;
  tradeSeq: number;
  nextEventMs: number;
  phase: SessionPhase;
  /** Participant ids that may still rest (some will have traded; cancels find out). */
  participants: number[];
  subscribed: boolean;
  shownBid?: number;
  shownBidQty: number;
  shownAsk?: number;
  shownAskQty: number;
}

type SimEvent =
  | { kind: 'orderUpdate'; data: BrokerOrderUpdate }
  | { kind: 'fill'; data: BrokerFill }
  | { kind: 'trade'; data: BrokerTrade }
  | { kind: 'book'; data: BrokerBook };

const WORKING: ReadonlySet<BrokerOrderStatus> = new Set(['new', 'partially_filled']);

export class SimExchange {
  private readonly clock: () => number;
  private readonly sessionPhase: SessionPhaseFn;
  private readonly baseEventsPerSecond: number;
  private readonly activity: (nowMs: number) => number;
  private readonly maxCatchUpMs: number;
  /** Distinguishes ids of this exchange instance from those of an earlier one (an in-process exchange restarts with its bridge). */
  private readonly tag: string;

  private readonly symbols = new Map<string, SymbolState>();
  private readonly symbolList: SymbolState[] = [];
  private nextId = 1;

  private orders: SimOrder[] = [];
  private readonly byClientId = new Map<string, SimOrder>();
  /** Our resting orders by book id: every fill looks here to tell ours from participants'. */
  private readonly working = new Map<number, SimOrder>();
  private fills: Array<{ account: string; fill: BrokerFill }> = [];

  private readonly listeners = new Set<SimExchangeListener>();
  private readonly queue: SimEvent[] = [];
  private flushing = false;

  /** Time stamped on what the current operation produces (our call: clock(); a participant event: its time). */
  private opTimeMs: number;
  /** Side of the incoming order being matched; undefined while an auction uncrosses. */
  private takerSide: Side | undefined;
  private tradingDate: string;
  private lastStepMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: SimExchangeOptions) {
    this.clock = options.clock ?? Date.now;
    this.sessionPhase = options.sessionPhase ?? ALWAYS_OPEN;
    this.baseEventsPerSecond = options.baseEventsPerSecond ?? 2;
    this.activity = options.activityProfile ?? uShapedActivity();
    this.maxCatchUpMs = options.maxCatchUpMs ?? 60_000;
    const seed = options.seed ?? 1;
    const now = this.clock();
    this.tag = now.toString(36);
    this.opTimeMs = now;
    this.lastStepMs = now;
    this.tradingDate = saoPauloDate(now);

    for (const inst of options.instruments) {
      const symbol = inst.symbol.toUpperCase();
      if (this.symbols.has(symbol)) throw new Error(`duplicate instrument ${symbol}`);
      const st: SymbolState = {
        inst,
        book: new OrderBook(),
        rng: new Prng(hashString(symbol, seed >>> 0)),
        fairTicks: inst.referenceTicks,
        followedTradeSeq: 0,
        tradeSeq: 0,
        nextEventMs: now,
        phase: this.sessionPhase(symbol, now),
        participants: [],
        subscribed: false,
        shownBidQty: 0,
        shownAskQty: 0,
      };
      st.book.setFillSink({ onFill: (maker, taker, qty, price) => this.onMatch(st, maker, taker, qty, price) });
      st.nextEventMs = now + this.interArrivalMs(st, now);
      this.symbols.set(symbol, st);
      this.symbolList.push(st);
      if (st.phase === 'auction') st.book.beginAuction();
      if (st.phase !== 'closed') this.seedLiquidity(st);
    }
  }

  // --- listeners -----------------------------------------------------------------------------

  /** Registers a listener; returns the function that removes it. */
  addListener(listener: SimExchangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Turns on public trades and top-of-book events for a symbol. False when the symbol is unknown. */
  subscribe(symbol: string): boolean {
    const st = this.symbols.get(String(symbol).toUpperCase());
    if (!st) return false;
    st.subscribed = true;
    return true;
  }

  // --- our orders ----------------------------------------------------------------------------

  /** Accepts, rejects or refuses (duplicate) an order; returns its state after the call. */
  submit(request: BrokerOrderRequest): BrokerOrderUpdate {
    const now = this.clock();
    this.opTimeMs = now;
    const clientOrderId = request?.clientOrderId;
    if (typeof clientOrderId !== 'string' || clientOrderId.length === 0 || clientOrderId.length > 128) {
      return this.emitRefusal(
        { clientOrderId: String(clientOrderId ?? ''), status: 'rejected', qty: 0, filledQty: 0, timeMs: now },
        'clientOrderId inválido (texto de 1 a 128 caracteres)',
      );
    }
    const known = this.byClientId.get(clientOrderId);
    if (known) {
      return this.emitRefusal(this.toUpdate(known), `clientOrderId duplicado: ${clientOrderId} já existe na bolsa; a ordem não foi registrada de novo`);
    }

    const st = typeof request.symbol === 'string' ? this.symbols.get(request.symbol.toUpperCase()) : undefined;
    if (st) this.refreshPhase(st, now);
    const reason = this.validateNew(request, st);
    const order: SimOrder = {
      id: this.nextId++,
      clientOrderId,
      account: typeof request.account === 'string' ? request.account : '',
      symbol: st ? st.inst.symbol : String(request.symbol),
      side: request.side === 'sell' ? 'sell' : 'buy',
      qty: Number.isSafeInteger(request.qty) ? request.qty : 0,
      filledQty: 0,
      status: 'rejected',
      timeMs: now,
    };
    if (request.priceTicks !== undefined && Number.isSafeInteger(request.priceTicks)) order.priceTicks = request.priceTicks;
    this.orders.push(order);
    this.byClientId.set(clientOrderId, order);
    if (reason !== undefined || !st) {
      order.reason = reason;
      this.push({ kind: 'orderUpdate', data: this.toUpdate(order) });
      this.flush();
      return this.toUpdate(order);
    }

    order.brokerOrderId = `SIM-${this.tag}-${order.id}`;
    order.status = 'new';
    this.push({ kind: 'orderUpdate', data: this.toUpdate(order) });
    this.takerSide = order.side;
    if (order.priceTicks === undefined) {
      // Registered as working only for the match, so fills find it; a market order never rests.
      this.working.set(order.id, order);
      const filled = st.book.addMarket(order.id, order.side, order.qty);
      this.working.delete(order.id);
      if (filled < order.qty) {
        order.status = 'canceled';
        order.reason = filled === 0 ? 'sem contraparte no livro' : `saldo de ${order.qty - filled} sem contraparte cancelado`;
        order.timeMs = now;
        this.push({ kind: 'orderUpdate', data: this.toUpdate(order) });
      }
      if (order.filledQty !== filled) throw new Error(`market order ${clientOrderId}: ${order.filledQty} booked vs ${filled} matched`);
    } else {
      this.working.set(order.id, order);
      st.book.addLimit(order.id, order.side, order.qty, order.priceTicks);
    }
    this.assertOrder(st, order);
    this.afterOp(st);
    return this.toUpdate(order);
  }

  /**
   * Changes total quantity and/or price of a working order (B3 PUMA: a pure reduction keeps queue
   * priority, anything else loses it). Refused changes answer with the order's state and a reason.
   */
  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): BrokerOrderUpdate {
    const now = this.clock();
    this.opTimeMs = now;
    const order = typeof clientOrderId === 'string' ? this.byClientId.get(clientOrderId) : undefined;
    if (!order) return this.emitUnknown(clientOrderId, now);
    if (!WORKING.has(order.status)) return this.emitRefusal(this.toUpdate(order), `ordem não está ativa (${order.status}); alteração recusada`);
    const st = this.symbols.get(order.symbol) as SymbolState;
    this.refreshPhase(st, now);
    // The phase change may just have filled the order (uncross) or expired it (close).
    if (!WORKING.has(order.status)) return this.emitRefusal(this.toUpdate(order), `ordem não está ativa (${order.status}); alteração recusada`);
    if (st.phase === 'closed') return this.emitRefusal(this.toUpdate(order), `mercado fechado para ${order.symbol}; alteração recusada`);
    const newQty = change?.qty ?? order.qty;
    const newPrice = change?.priceTicks ?? order.priceTicks;
    if (change?.qty === undefined && change?.priceTicks === undefined) {
      return this.emitRefusal(this.toUpdate(order), 'alteração sem quantidade nem preço');
    }
    const qtyReason = this.validateQty(st.inst, newQty);
    if (qtyReason) return this.emitRefusal(this.toUpdate(order), `alteração recusada: ${qtyReason}`);
    if (newQty <= order.filledQty) {
      return this.emitRefusal(this.toUpdate(order), `nova quantidade ${newQty} não excede a já executada ${order.filledQty}; use cancelamento`);
    }
    if (newPrice === undefined || !Number.isSafeInteger(newPrice) || newPrice <= 0) {
      return this.emitRefusal(this.toUpdate(order), `alteração recusada: preço inválido ${String(newPrice)} (ticks inteiros positivos)`);
    }

    order.qty = newQty;
    order.priceTicks = newPrice;
    order.timeMs = now;
    order.reason = undefined;
    this.push({ kind: 'orderUpdate', data: this.toUpdate(order) });
    this.takerSide = order.side;
    st.book.replace(order.id, newQty - order.filledQty, newPrice);
    this.assertOrder(st, order);
    this.afterOp(st);
    return this.toUpdate(order);
  }

  /** Cancels a working order. Accepted in every phase, so a kill switch works even with the market closed. */
  cancel(clientOrderId: string): BrokerOrderUpdate {
    const now = this.clock();
    this.opTimeMs = now;
    const order = typeof clientOrderId === 'string' ? this.byClientId.get(clientOrderId) : undefined;
    if (!order) return this.emitUnknown(clientOrderId, now);
    if (!WORKING.has(order.status)) return this.emitRefusal(this.toUpdate(order), `ordem não está ativa (${order.status}); cancelamento recusado`);
    const st = this.symbols.get(order.symbol) as SymbolState;
    this.cancelWorking(st, order, 'canceled', now);
    this.afterOp(st);
    return this.toUpdate(order);
  }

  /** Cancels every working order of an account, or of all accounts. Returns how many were canceled. */
  cancelAll(account?: string): number {
    const now = this.clock();
    this.opTimeMs = now;
    const targets = [...this.working.values()].filter((o) => account === undefined || o.account === account);
    const touched = new Set<SymbolState>();
    for (const order of targets) {
      const st = this.symbols.get(order.symbol) as SymbolState;
      this.cancelWorking(st, order, 'canceled', now);
      touched.add(st);
    }
    for (const st of touched) this.emitBookIfChanged(st);
    this.flush();
    return targets.length;
  }

  /** Today's orders (all states), oldest first, of one account or all. */
  ordersFor(account?: string): BrokerOrderUpdate[] {
    return this.orders.filter((o) => account === undefined || o.account === account).map((o) => this.toUpdate(o));
  }

  /** Today's fills of our orders, in execution order, of one account or all. */
  fillsFor(account?: string): BrokerFill[] {
    return this.fills.filter((f) => account === undefined || f.account === account).map((f) => ({ ...f.fill }));
  }

  // --- market data and state -----------------------------------------------------------------

  /** Current top of book, or undefined for an unknown symbol. */
  quote(symbol: string): BrokerBook | undefined {
    const st = this.symbols.get(String(symbol).toUpperCase());
    return st ? this.topOfBook(st, this.clock()) : undefined;
  }

  lastTradeTicks(symbol: string): number | undefined {
    return this.symbols.get(symbol.toUpperCase())?.lastTradeTicks;
  }

  phaseOf(symbol: string): SessionPhase | undefined {
    return this.symbols.get(symbol.toUpperCase())?.phase;
  }

  /** The book itself, for tests and diagnostics. Changing it directly bypasses the exchange's records. */
  orderBook(symbol: string): OrderBook | undefined {
    return this.symbols.get(symbol.toUpperCase())?.book;
  }

  // --- time ----------------------------------------------------------------------------------

  /** Advances participant activity and session phases to nowMs (times earlier than the last step are ignored). */
  step(nowMs: number): void {
    if (!(nowMs >= this.lastStepMs)) return;
    this.lastStepMs = nowMs;
    this.rollDay(nowMs);
    for (const st of this.symbolList) {
      this.refreshPhase(st, nowMs);
      if (st.phase === 'closed') {
        st.nextEventMs = nowMs + this.interArrivalMs(st, nowMs);
        continue;
      }
      if (nowMs - st.nextEventMs > this.maxCatchUpMs) st.nextEventMs = nowMs - this.maxCatchUpMs;
      while (st.nextEventMs <= nowMs) {
        const t = st.nextEventMs;
        this.opTimeMs = t;
        this.participantEvent(st);
        st.nextEventMs = t + this.interArrivalMs(st, t);
      }
      this.opTimeMs = nowMs;
      this.emitBookIfChanged(st);
    }
    this.flush();
  }

  /**
   * Runs `step(clock())` every intervalMs (live use). The timer does not keep the process alive by itself.
   * `ready` (an in-process consumer sharing this event loop) can hold a step back while it is still
   * handing out the previous ones: the market then catches up (at most maxCatchUpMs of activity) on
   * a later tick instead of piling events up faster than they are consumed.
   */
  start(intervalMs: number, ready: () => boolean = () => true): void {
    if (!(intervalMs > 0)) throw new RangeError(`interval must be positive, got ${intervalMs}`);
    this.stop();
    this.timer = setInterval(() => {
      if (ready()) this.step(this.clock());
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // --- internals: our orders -----------------------------------------------------------------

  private validateNew(r: BrokerOrderRequest, st: SymbolState | undefined): string | undefined {
    if (!st) return `símbolo desconhecido: ${String(r.symbol)}`;
    if (typeof r.account !== 'string' || r.account.length === 0) return 'conta não informada';
    if (r.side !== 'buy' && r.side !== 'sell') return `lado inválido: ${String(r.side)} (buy ou sell)`;
    const qtyReason = this.validateQty(st.inst, r.qty);
    if (qtyReason) return qtyReason;
    if (r.priceTicks !== undefined && (!Number.isSafeInteger(r.priceTicks) || r.priceTicks <= 0)) {
      return `preço inválido: ${String(r.priceTicks)} ticks (precisa ser um número inteiro positivo de ticks)`;
    }
    // B3 refuses orders in a contract past its last trading day.
    if (st.inst.expiry && saoPauloDate(this.clock()) > st.inst.expiry) return `contrato ${st.inst.symbol} vencido em ${st.inst.expiry}`;
    if (st.phase === 'closed') return `mercado fechado para ${st.inst.symbol}`;
    if (st.phase === 'auction' && r.priceTicks === undefined) return `ordem a mercado não é aceita durante o leilão de ${st.inst.symbol}`;
    return undefined;
  }

  private validateQty(inst: Instrument, qty: unknown): string | undefined {
    if (typeof qty !== 'number' || !Number.isSafeInteger(qty) || qty <= 0) return `quantidade inválida: ${String(qty)} (inteiro positivo)`;
    if (qty % inst.lotSize !== 0) return `quantidade ${qty} não é múltipla do lote ${inst.lotSize} de ${inst.symbol}`;
    if (qty < inst.minQty) return `quantidade ${qty} abaixo do mínimo ${inst.minQty} de ${inst.symbol}`;
    if (qty > inst.maxQty) return `quantidade ${qty} acima do máximo ${inst.maxQty} de ${inst.symbol}`;
    return undefined;
  }

  private cancelWorking(st: SymbolState, order: SimOrder, status: 'canceled' | 'expired', timeMs: number, reason?: string): void {
    const leaves = st.book.cancel(order.id);
    if (leaves !== order.qty - order.filledQty) {
      throw new Error(`order ${order.clientOrderId}: book had ${leaves} resting, records say ${order.qty - order.filledQty}`);
    }
    this.working.delete(order.id);
    order.status = status;
    order.reason = reason;
    order.timeMs = timeMs;
    this.push({ kind: 'orderUpdate', data: this.toUpdate(order) });
  }

  /** Book and records agree: a working order rests exactly its open quantity; a final one does not rest. */
  private assertOrder(st: SymbolState, order: SimOrder): void {
    const leaves = st.book.orderQty(order.id);
    const open = WORKING.has(order.status) ? order.qty - order.filledQty : 0;
    if (leaves !== open || order.filledQty > order.qty || (order.status === 'filled' && order.filledQty !== order.qty)) {
      throw new Error(
        `order ${order.clientOrderId} inconsistent: status ${order.status}, qty ${order.qty}, filled ${order.filledQty}, resting ${leaves}`,
      );
    }
  }

  private onMatch(st: SymbolState, makerId: number, takerId: number, qty: number, priceTicks: number): void {
    const n = ++st.tradeSeq;
    st.lastTradeTicks = priceTicks;
    if (st.subscribed) {
      const trade: BrokerTrade = { symbol: st.inst.symbol, qty, priceTicks, timeMs: this.opTimeMs };
      if (this.takerSide !== undefined) trade.aggressor = this.takerSide;
      this.push({ kind: 'trade', data: trade });
    }
    const maker = this.working.get(makerId);
    if (maker) this.applyFill(st, maker, n, qty, priceTicks);
    const taker = this.working.get(takerId);
    if (taker) this.applyFill(st, taker, n, qty, priceTicks);
  }

  private applyFill(st: SymbolState, order: SimOrder, tradeNo: number, qty: number, priceTicks: number): void {
    order.filledQty += qty;
    if (order.filledQty > order.qty) throw new Error(`order ${order.clientOrderId} overfilled: ${order.filledQty} > ${order.qty}`);
    order.status = order.filledQty === order.qty ? 'filled' : 'partially_filled';
    order.timeMs = this.opTimeMs;
    if (order.status === 'filled') this.working.delete(order.id);
    const fill: BrokerFill = {
      // One trade fills two orders, possibly both ours: the side keeps each fill's id unique.
      tradeId: `T${st.inst.symbol}-${this.tag}-${tradeNo}-${order.side === 'buy' ? 'B' : 'S'}`,
      clientOrderId: order.clientOrderId,
      symbol: st.inst.symbol,
      side: order.side,
      qty,
      priceTicks,
      timeMs: this.opTimeMs,
    };
    this.fills.push({ account: order.account, fill });
    this.push({ kind: 'fill', data: { ...fill } });
    this.push({ kind: 'orderUpdate', data: this.toUpdate(order) });
  }

  private emitUnknown(clientOrderId: unknown, now: number): BrokerOrderUpdate {
    return this.emitRefusal(
      { clientOrderId: String(clientOrderId ?? ''), status: 'rejected', qty: 0, filledQty: 0, timeMs: now },
      `ordem desconhecida: ${String(clientOrderId)}`,
    );
  }

  private emitRefusal(update: BrokerOrderUpdate, reason: string): BrokerOrderUpdate {
    const refused = { ...update, reason, timeMs: this.opTimeMs };
    this.push({ kind: 'orderUpdate', data: refused });
    this.flush();
    return { ...refused };
  }

  private toUpdate(o: SimOrder): BrokerOrderUpdate {
    const u: BrokerOrderUpdate = { clientOrderId: o.clientOrderId, status: o.status, qty: o.qty, filledQty: o.filledQty, timeMs: o.timeMs };
    if (o.brokerOrderId !== undefined) u.brokerOrderId = o.brokerOrderId;
    if (o.priceTicks !== undefined) u.priceTicks = o.priceTicks;
    if (o.reason !== undefined) u.reason = o.reason;
    return u;
  }

  // --- internals: session --------------------------------------------------------------------

  private refreshPhase(st: SymbolState, nowMs: number): void {
    const next = this.sessionPhase(st.inst.symbol, nowMs);
    const prev = st.phase;
    if (next === prev) return;
    st.phase = next;
    this.opTimeMs = nowMs;
    if (prev === 'auction') this.uncross(st);
    if (next === 'auction') st.book.beginAuction();
    if (next === 'closed') this.closeSymbol(st, nowMs, `fim do pregão de ${st.inst.symbol}`);
    if (prev === 'closed') this.seedLiquidity(st);
    this.emitBookIfChanged(st);
  }

  private uncross(st: SymbolState): void {
    this.takerSide = undefined;
    st.book.uncross(st.lastTradeTicks ?? st.fairTicks);
    for (const order of this.working.values()) if (order.symbol === st.inst.symbol) this.assertOrder(st, order);
  }

  /** Day orders expire; participants leave; the book starts the next session empty. */
  private closeSymbol(st: SymbolState, nowMs: number, reason: string): void {
    for (const order of [...this.working.values()]) {
      if (order.symbol === st.inst.symbol) this.cancelWorking(st, order, 'expired', nowMs, reason);
    }
    st.book.clear();
    st.participants.length = 0;
  }

  /** At midnight in São Paulo, working day orders expire and yesterday's records are dropped. */
  private rollDay(nowMs: number): void {
    const date = saoPauloDate(nowMs);
    if (date === this.tradingDate) return;
    this.tradingDate = date;
    this.opTimeMs = nowMs;
    for (const order of [...this.working.values()]) {
      const st = this.symbols.get(order.symbol) as SymbolState;
      this.cancelWorking(st, order, 'expired', nowMs, 'ordem do dia expirada na virada do dia');
    }
    this.flush();
    this.orders = [];
    this.fills = [];
    this.byClientId.clear();
  }

  // --- internals: participants ---------------------------------------------------------------

  private interArrivalMs(st: SymbolState, atMs: number): number {
    return st.rng.exponential(this.baseEventsPerSecond * this.activity(atMs)) * 1000;
  }

  private seedLiquidity(st: SymbolState): void {
    const fair = st.fairTicks;
    for (let d = 0; d < QUOTE_LEVELS; d++) {
      for (let k = 0; k < 3; k++) {
        this.postAt(st, 'buy', fair - d);
        this.postAt(st, 'sell', fair + 1 + d);
      }
    }
  }

  private participantEvent(st: SymbolState): void {
    const rng = st.rng;
    const ref = st.inst.referenceTicks;
    if (st.tradeSeq !== st.followedTradeSeq && st.lastTradeTicks !== undefined) {
      // Participants re-anchor most of the way to the last trade, so a large order that sweeps levels leaves
      // the price moved (permanent impact); a trade one tick away, the usual hit of the best offer, moves nothing.
      const shift = Math.trunc((st.lastTradeTicks - st.fairTicks) * 0.75);
      st.fairTicks += shift;
      st.followedTradeSeq = st.tradeSeq;
      if (Math.abs(shift) >= 2 && st.phase === 'open') {
        // Makers step up (or down) at once: without a fresh quote on the far side, the stale best
        // price would be hit next and drag the price straight back.
        this.postAt(st, 'buy', st.fairTicks);
        this.postAt(st, 'sell', st.fairTicks + 1);
        return;
      }
    }
    if (rng.next() < 0.2) {
      // Mean reversion toward the reference: the walk drifts back when it strays a few percent away.
      const deviation = (st.fairTicks - ref) / Math.max(1, ref * 0.02);
      const pUp = Math.min(0.9, Math.max(0.1, 0.5 - 0.15 * deviation));
      st.fairTicks += rng.next() < pUp ? 1 : -1;
    }
    st.fairTicks = Math.max(QUOTE_LEVELS + 1, st.fairTicks);

    const book = st.book;
    if (st.phase === 'auction') {
      // Pre-opening: orders on both sides of the fair price, crossing, and some cancels; nothing trades yet.
      if (rng.next() < 0.3 && this.cancelParticipant(st)) return;
      const side: Side = rng.next() < 0.5 ? 'buy' : 'sell';
      this.postAt(st, side, st.fairTicks + rng.range(-3, 3));
      return;
    }
    if (book.levelCount('buy') < MIN_LEVELS) return this.post(st, 'buy');
    if (book.levelCount('sell') < MIN_LEVELS) return this.post(st, 'sell');
    const side: Side = rng.next() < 0.5 ? 'buy' : 'sell';
    const r = rng.next();
    if (r < 0.35 || st.participants.length > MAX_PARTICIPANT_ORDERS) {
      if (!this.cancelParticipant(st)) this.post(st, side);
    } else if (r < 0.75) {
      this.post(st, side);
    } else {
      this.marketable(st, side);
    }
  }

  private post(st: SymbolState, side: Side): void {
    let d = 0;
    while (d < QUOTE_LEVELS - 1 && st.rng.next() < 0.5) d++;
    this.postAt(st, side, side === 'buy' ? st.fairTicks - d : st.fairTicks + 1 + d);
  }

  private postAt(st: SymbolState, side: Side, priceTicks: number, lotsScale = 1): void {
    const id = this.nextId++;
    this.takerSide = side;
    st.book.addLimit(id, side, this.participantQty(st, lotsScale), Math.max(1, priceTicks));
    if (st.book.has(id)) st.participants.push(id);
  }

  private marketable(st: SymbolState, side: Side): void {
    const book = st.book;
    if (st.rng.next() < 0.6) {
      this.takerSide = side;
      book.addMarket(this.nextId++, side, this.participantQty(st, 2));
      return;
    }
    const opposite = side === 'buy' ? book.bestAskTicks() : book.bestBidTicks();
    if (opposite === undefined) return this.post(st, side);
    this.postAt(st, side, opposite, 2);
  }

  private cancelParticipant(st: SymbolState): boolean {
    const ids = st.participants;
    for (let attempt = 0; attempt < 4 && ids.length > 0; attempt++) {
      const k = st.rng.int(ids.length);
      const id = ids[k];
      ids[k] = ids[ids.length - 1];
      ids.pop();
      if (st.book.cancel(id) > 0) return true;
    }
    return false;
  }

  /** A few lots, more often small: 1 to 10 lots (times lotsScale), within the instrument's bounds. */
  private participantQty(st: SymbolState, lotsScale: number): number {
    const inst = st.inst;
    const lots = (1 + Math.min(9, Math.floor(st.rng.exponential(0.5)))) * lotsScale;
    const maxLots = Math.floor(inst.maxQty / inst.lotSize);
    const minLots = Math.ceil(inst.minQty / inst.lotSize);
    return Math.max(minLots, Math.min(maxLots, lots)) * inst.lotSize;
  }

  // --- internals: events ---------------------------------------------------------------------

  private topOfBook(st: SymbolState, timeMs: number): BrokerBook {
    const b: BrokerBook = { symbol: st.inst.symbol, timeMs };
    const bid = st.book.bestBidTicks();
    const ask = st.book.bestAskTicks();
    if (bid !== undefined) {
      b.bidTicks = bid;
      b.bidQty = st.book.bestBidQty();
    }
    if (ask !== undefined) {
      b.askTicks = ask;
      b.askQty = st.book.bestAskQty();
    }
    return b;
  }

  private emitBookIfChanged(st: SymbolState): void {
    if (!st.subscribed) return;
    const book = st.book;
    const bid = book.bestBidTicks();
    const ask = book.bestAskTicks();
    const bidQty = book.bestBidQty();
    const askQty = book.bestAskQty();
    if (bid === st.shownBid && ask === st.shownAsk && bidQty === st.shownBidQty && askQty === st.shownAskQty) return;
    st.shownBid = bid;
    st.shownAsk = ask;
    st.shownBidQty = bidQty;
    st.shownAskQty = askQty;
    this.push({ kind: 'book', data: this.topOfBook(st, this.opTimeMs) });
  }

  private afterOp(st: SymbolState): void {
    this.emitBookIfChanged(st);
    this.flush();
  }

  private push(ev: SimEvent): void {
    this.queue.push(ev);
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    let failure: unknown;
    try {
      for (let i = 0; i < this.queue.length; i++) {
        const ev = this.queue[i];
        for (const l of this.listeners) {
          try {
            switch (ev.kind) {
              case 'orderUpdate':
                l.orderUpdate?.(ev.data);
                break;
              case 'fill':
                l.fill?.(ev.data);
                break;
              case 'trade':
                l.trade?.(ev.data);
                break;
              case 'book':
                l.book?.(ev.data);
                break;
            }
          } catch (err) {
            // Every listener still gets every event; the first failure surfaces once the queue is drained.
            failure ??= err;
          }
        }
      }
    } finally {
      this.queue.length = 0;
      this.flushing = false;
    }
    if (failure !== undefined) throw failure;
  }
}
