/**
 * ReplayVenue: the BrokerPort of a replayed market. Our orders rest here and are filled against
 * recorded history by one of two documented fill models; the recorded market itself is never
 * changed by them (no market impact: the tape cannot know how others would have reacted).
 *
 * Bars (candles), no look-ahead:
 *   - an order takes part from the first bar that STARTS at or after the instant it was sent, so a
 *     decision made on a bar's close is filled on the next bar, never the one it saw;
 *   - market (or marketable at that bar's open): filled at the open; a buy limit below the open
 *     fills at its limit only when the bar trades strictly below it (a sell, strictly above),
 *     and, with `fillOnTouch`, when it only touches it;
 *   - volume limit: all our fills in one bar together take at most `barVolumePct` of the bar's
 *     quantity (whole lots; the rest keeps working on later bars);
 *   - fills are stamped at the bar's end, when the bar is known.
 *
 * Prints (times & trades), queue position honoured:
 *   - the top of the book is inferred from the aggressor of each print (a buyer lifted the ask
 *     at P: ask = P; a seller hit the bid at P: bid = P) and its sizes from the quantity printed
 *     at that price during the last `touchWindowMs`;
 *   - an order marketable on arrival takes the inferred opposite best, up to its size; with no
 *     print in the window (a closed market, a quiet symbol) there is no book to take from and it
 *     rests until the next print;
 *   - a resting order joins the back of its price level: the quantity printed at that price in
 *     the window is the queue ahead of it (none when it improves the best). A later print at its
 *     price consumes the queue ahead first and only then fills it; a print strictly through its
 *     price fills it at its limit — or at the inferred opposite best after that print when that is
 *     better (an order resting beyond the opposite best, such as a market order's protected limit,
 *     pays the market, not its limit). A print's quantity is shared by our orders, never used twice;
 *   - auction prints fill only orders they trade strictly through, at the auction's price (B3's
 *     calls execute everything at one price).
 *
 * Reports are queued and handed to the listener by `flush()`: the replay driver flushes after each
 * step, so everything happens in simulated time and in one deterministic order.
 */
import type { Side } from '../../common/types.js';
import type {
  BrokerBar,
  BrokerBook,
  BrokerEvents,
  BrokerFill,
  BrokerOrderRequest,
  BrokerOrderStatus,
  BrokerOrderUpdate,
  BrokerPort,
  BrokerSnapshot,
  BrokerTrade,
} from '../execution/broker-port.js';
import type { Instrument } from '../model/instrument.js';
import type { BarEvent, MarketEvent, PrintEvent } from './market-events.js';

export interface FillModelOptions {
  /** Share of a bar's quantity our fills may take, in percent (0, 100]. */
  barVolumePct: number;
  /** A limit that the bar only touches fills too (optimistic); default false. */
  fillOnTouch: boolean;
  /** Window of prints that measures the size at a price level (queue ahead, touch size). */
  touchWindowMs: number;
}

export const DEFAULT_FILL_MODEL: FillModelOptions = { barVolumePct: 25, fillOnTouch: false, touchWindowMs: 60_000 };

export interface ReplayVenueOptions {
  clock: () => number;
  /** The instrument of a trading symbol (a dated contract resolves by the maturity rules). */
  instrument: (symbol: string) => Instrument | undefined;
  fill?: Partial<FillModelOptions>;
}

interface VenueOrder {
  seq: number;
  clientOrderId: string;
  account: string;
  symbol: string;
  side: Side;
  qty: number;
  filledQty: number;
  costTicksQty: number;
  priceTicks?: number;
  status: BrokerOrderStatus;
  /** The first bar that starts at or after this instant may fill it (bars model). */
  activeFromMs: number;
  /** Quantity ahead of it at its price (prints model). */
  queueAhead: number;
  /** When it was sent (a day order expires with the session of that day). */
  sentMs: number;
  /** Orders sent before it (its place in `orders`). */
  n: number;
  reason?: string;
  timeMs: number;
}

/** Our working orders in one series, best price first, then arrival. */
interface SeriesMarket {
  dataSymbol: string;
  /** The symbol the series quotes as now (a continuous future: the front contract). */
  tradeSymbol: string;
  inst: Instrument;
  bidTicks?: number;
  askTicks?: number;
  lastTicks?: number;
  /** Prints inside the touch window, oldest first (time, price, qty), and their qty per price. */
  recent: number[];
  recentHead: number;
  qtyAt: Map<number, number>;
  bids: VenueOrder[];
  asks: VenueOrder[];
  shownBid?: number;
  shownAsk?: number;
  shownBidQty?: number;
  shownAskQty?: number;
}

const ORDER_UPDATE = 0;
const FILL = 1;
const TRADE = 2;
const BOOK = 3;
const BAR = 4;

/**
 * Reports waiting for `flush`, in order: a kind and its data side by side in arrays that keep their
 * size between steps (no wrapper object per report, no array per step).
 */
class ReportQueue {
  private readonly kinds: number[] = [];
  private readonly data: unknown[] = [];
  private head = 0;
  private tail = 0;

  private push(kind: number, d: unknown): void {
    this.kinds[this.tail] = kind;
    this.data[this.tail++] = d;
  }

  orderUpdate(d: BrokerOrderUpdate): void {
    this.push(ORDER_UPDATE, d);
  }

  fill(d: BrokerFill): void {
    this.push(FILL, d);
  }

  trade(d: BrokerTrade): void {
    this.push(TRADE, d);
  }

  book(d: BrokerBook): void {
    this.push(BOOK, d);
  }

  bar(d: BrokerBar): void {
    this.push(BAR, d);
  }

  get length(): number {
    return this.tail - this.head;
  }

  /**
   * Hands every report to the listener, in order; reports a listener queues meanwhile (an algo
   * re-placing on a fill) are handed over after those queued before them. Returns how many.
   */
  flush(l: BrokerEvents | undefined): number {
    const kinds = this.kinds;
    const data = this.data;
    let n = 0;
    while (this.head < this.tail) {
      const i = this.head++;
      const d = data[i];
      data[i] = undefined;
      n++;
      if (!l) continue;
      switch (kinds[i]) {
        case ORDER_UPDATE:
          l.orderUpdate(d as BrokerOrderUpdate);
          break;
        case FILL:
          l.fill(d as BrokerFill);
          break;
        case TRADE:
          l.trade(d as BrokerTrade);
          break;
        case BOOK:
          l.book(d as BrokerBook);
          break;
        case BAR:
          l.bar?.(d as BrokerBar);
          break;
      }
    }
    this.head = this.tail = 0;
    // A burst (a mass cancel) does not keep its arrays forever.
    if (kinds.length > 65_536) {
      kinds.length = 0;
      data.length = 0;
    }
    return n;
  }
}

const WORKING = new Set<BrokerOrderStatus>(['new', 'partially_filled']);
const NO_ORDERS: readonly VenueOrder[] = [];
/** Our orders the venue keeps for a day's snapshot (a backtest day of a busy strategy is far below). */
const MAX_ORDERS = 1_000_000;

export class ReplayVenue implements BrokerPort {
  readonly name = 'replay';
  private listener: BrokerEvents | undefined;
  private connected = false;
  private readonly fillModel: FillModelOptions;
  private readonly series = new Map<string, SeriesMarket>();
  /** Trading symbol → its series. */
  private readonly bySymbol = new Map<string, SeriesMarket>();
  private readonly orders = new Map<string, VenueOrder>();
  private fills: BrokerFill[] = [];
  private readonly reports = new ReportQueue();
  private seq = 0;
  private tradeSeq = 0;

  constructor(private readonly o: ReplayVenueOptions) {
    this.fillModel = { ...DEFAULT_FILL_MODEL, ...o.fill };
    if (!(this.fillModel.barVolumePct > 0 && this.fillModel.barVolumePct <= 100)) {
      throw new RangeError(`barVolumePct deve estar em (0, 100], recebi ${this.fillModel.barVolumePct}`);
    }
  }

  // ----------------------------------------------------------------- the market side (the driver)

  /** Declares a series and the symbol it quotes as; calling it again moves it (a futures roll). */
  setSeries(dataSymbol: string, tradeSymbol: string): void {
    const inst = this.o.instrument(tradeSymbol);
    if (!inst) throw new Error(`instrumento desconhecido: ${tradeSymbol}`);
    let s = this.series.get(dataSymbol);
    if (!s) {
      s = { dataSymbol, tradeSymbol, inst, recent: [], recentHead: 0, qtyAt: new Map(), bids: [], asks: [] };
      this.series.set(dataSymbol, s);
    } else if (s.tradeSymbol !== tradeSymbol) {
      s.tradeSymbol = tradeSymbol;
      s.inst = inst;
      s.shownBid = s.shownAsk = undefined;
    }
    this.bySymbol.set(tradeSymbol, s);
  }

  /** The series that prices a trading symbol, if any. */
  seriesOf(symbol: string): string | undefined {
    return this.bySymbol.get(symbol)?.dataSymbol;
  }

  tradeSymbolOf(dataSymbol: string): string | undefined {
    return this.series.get(dataSymbol)?.tradeSymbol;
  }

  apply(ev: MarketEvent): void {
    const s = this.series.get(ev.dataSymbol);
    if (!s) throw new Error(`série não declarada: ${ev.dataSymbol}`);
    if (ev.kind === 'bar') this.onBar(s, ev);
    else this.onPrint(s, ev);
  }

  /**
   * Working orders end (B3 day orders at the end of the session); with `sentBeforeMs`, only those
   * sent before that instant (an order sent at the new day's first instant is that day's).
   */
  expireWorking(reason: string, sentBeforeMs = Number.POSITIVE_INFINITY): void {
    // Working orders are the resting ones; they end in the order they were first sent.
    const resting: VenueOrder[] = [];
    for (const s of this.series.values()) for (const side of [s.bids, s.asks]) for (const o of side) if (o.sentMs < sentBeforeMs) resting.push(o);
    if (resting.length === 0) return;
    resting.sort((a, b) => a.n - b.n);
    for (const o of resting) if (WORKING.has(o.status)) this.end(o, 'expired', reason);
    for (const s of this.series.values()) {
      for (const side of [s.bids, s.asks]) {
        let kept = 0;
        for (const o of side) if (WORKING.has(o.status)) side[kept++] = o;
        side.length = kept;
      }
    }
  }

  /** Hands queued reports to the listener, in order; returns how many. */
  flush(): number {
    // A listener may submit from inside a report (an algo re-placing on a fill): those are handed over too.
    return this.reports.flush(this.listener);
  }

  pendingReports(): number {
    return this.reports.length;
  }

  workingCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.bids.length + s.asks.length;
    return n;
  }

  // ----------------------------------------------------------------- BrokerPort

  setListener(events: BrokerEvents): void {
    this.listener = events;
  }

  async connect(): Promise<void> {
    this.connected = true;
    this.listener?.connection({ connected: true, message: 'replay: mercado gravado / recorded market' });
  }

  async close(): Promise<void> {
    this.connected = false;
  }

  isConnected(): boolean {
    return this.connected;
  }

  submit(r: BrokerOrderRequest): void {
    const now = this.o.clock();
    if (this.orders.has(r.clientOrderId)) {
      this.reports.orderUpdate({ clientOrderId: r.clientOrderId, status: 'rejected', qty: r.qty, filledQty: 0, reason: `id de ordem repetido: ${r.clientOrderId}`, timeMs: now });
      return;
    }
    const s = this.bySymbol.get(r.symbol);
    const refuse = (reason: string) => this.reports.orderUpdate({ clientOrderId: r.clientOrderId, status: 'rejected', qty: r.qty, filledQty: 0, reason, timeMs: now });
    const why = !s
      ? `sem dados de mercado de ${r.symbol} nesta reprodução`
      : !Number.isSafeInteger(r.qty) || r.qty <= 0 || r.qty % s.inst.lotSize !== 0
        ? `quantidade ${r.qty} fora do lote ${s.inst.lotSize}`
        : r.priceTicks !== undefined && !(Number.isSafeInteger(r.priceTicks) && r.priceTicks > 0)
          ? `preço inválido: ${r.priceTicks}`
          : this.orders.size >= MAX_ORDERS
            ? 'limite de ordens da reprodução atingido'
            : undefined;
    if (why !== undefined || !s) {
      refuse(why ?? '');
      return;
    }
    const o: VenueOrder = {
      seq: ++this.seq,
      clientOrderId: r.clientOrderId,
      account: r.account,
      symbol: r.symbol,
      side: r.side,
      qty: r.qty,
      filledQty: 0,
      costTicksQty: 0,
      priceTicks: r.priceTicks,
      status: 'new',
      activeFromMs: now,
      queueAhead: 0,
      sentMs: now,
      n: this.orders.size,
      timeMs: now,
    };
    this.orders.set(o.clientOrderId, o);
    this.update(o);
    this.takeOnArrival(s, o);
    if (WORKING.has(o.status)) this.rest(s, o);
  }

  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void {
    const o = this.orders.get(clientOrderId);
    const now = this.o.clock();
    if (!o || !WORKING.has(o.status)) {
      this.reports.orderUpdate(o ? { ...this.view(o), reason: 'ordem não está ativa' } : { clientOrderId, status: 'rejected', qty: 0, filledQty: 0, reason: 'ordem desconhecida', timeMs: now });
      return;
    }
    const s = this.bySymbol.get(o.symbol)!;
    if (change.qty !== undefined) {
      if (!Number.isSafeInteger(change.qty) || change.qty < o.filledQty || change.qty % s.inst.lotSize !== 0) {
        this.reports.orderUpdate({ ...this.view(o), reason: `quantidade inválida: ${change.qty}` });
        return;
      }
    }
    const repriced = change.priceTicks !== undefined && change.priceTicks !== o.priceTicks;
    const grew = change.qty !== undefined && change.qty > o.qty;
    this.unrest(s, o);
    if (change.qty !== undefined) o.qty = change.qty;
    if (change.priceTicks !== undefined) o.priceTicks = change.priceTicks;
    o.timeMs = now;
    if (o.filledQty >= o.qty) {
      o.status = 'filled';
      this.update(o);
      return;
    }
    // A new price or a larger quantity loses queue priority, as at B3; a smaller quantity keeps it.
    if (repriced || grew) {
      o.seq = ++this.seq;
      o.activeFromMs = now;
      this.takeOnArrival(s, o);
    }
    this.update(o);
    if (WORKING.has(o.status)) this.rest(s, o, !(repriced || grew));
  }

  cancel(clientOrderId: string): void {
    const o = this.orders.get(clientOrderId);
    if (!o || !WORKING.has(o.status)) {
      const now = this.o.clock();
      this.reports.orderUpdate(o ? { ...this.view(o), reason: 'ordem não está ativa' } : { clientOrderId, status: 'rejected', qty: 0, filledQty: 0, reason: 'ordem desconhecida', timeMs: now });
      return;
    }
    this.unrest(this.bySymbol.get(o.symbol)!, o);
    this.end(o, 'canceled');
  }

  cancelAll(): void {
    for (const o of [...this.orders.values()]) if (WORKING.has(o.status)) this.cancel(o.clientOrderId);
  }

  async snapshot(): Promise<BrokerSnapshot> {
    return { orders: [...this.orders.values()].map((o) => this.view(o)), fills: this.fills.map((f) => ({ ...f })) };
  }

  subscribe(): void {
    // Every declared series is replayed whether or not someone subscribed.
  }

  // ----------------------------------------------------------------- bars

  private onBar(s: SeriesMarket, bar: BarEvent): void {
    const lot = s.inst.lotSize;
    let capacity = Math.floor((bar.qty * this.fillModel.barVolumePct) / 100 / lot) * lot;
    // Arrival order across both sides: the volume limit is shared by all our orders in the bar.
    const eligible = s.bids.length + s.asks.length === 0 ? NO_ORDERS : [...s.bids, ...s.asks].filter((o) => o.activeFromMs <= bar.startMs).sort((a, b) => a.seq - b.seq);
    for (const o of eligible) {
      if (capacity < lot) break;
      const px = this.barFillPrice(o, bar);
      if (px === undefined) continue;
      const q = Math.min(o.qty - o.filledQty, capacity);
      capacity -= q;
      this.fill(o, q, px, bar.timeMs);
      if (!WORKING.has(o.status)) this.unrest(s, o);
    }
    s.lastTicks = bar.closeTicks;
    // After the bar the book is quoted one tick around its close; the bar's volume is one print.
    s.bidTicks = Math.max(1, bar.closeTicks - 1);
    s.askTicks = bar.closeTicks + 1;
    this.reports.bar({ symbol: s.dataSymbol, tradeSymbol: s.tradeSymbol, startMs: bar.startMs, endMs: bar.timeMs, openTicks: bar.openTicks, highTicks: bar.highTicks, lowTicks: bar.lowTicks, closeTicks: bar.closeTicks, qty: bar.qty, volumeCentavos: bar.volumeCentavos });
    if (bar.qty > 0) this.reports.trade({ symbol: s.tradeSymbol, qty: bar.qty, priceTicks: bar.closeTicks, timeMs: bar.timeMs });
    const touch = Math.max(lot, Math.floor(bar.qty / 10 / lot) * lot);
    this.showBook(s, bar.timeMs, touch, touch);
  }

  private barFillPrice(o: VenueOrder, bar: BarEvent): number | undefined {
    const L = o.priceTicks;
    if (L === undefined) return bar.openTicks;
    if (o.side === 'buy') {
      if (bar.openTicks <= L) return bar.openTicks;
      if (bar.lowTicks < L || (this.fillModel.fillOnTouch && bar.lowTicks === L)) return L;
      return undefined;
    }
    if (bar.openTicks >= L) return bar.openTicks;
    if (bar.highTicks > L || (this.fillModel.fillOnTouch && bar.highTicks === L)) return L;
    return undefined;
  }

  // ----------------------------------------------------------------- prints

  private onPrint(s: SeriesMarket, p: PrintEvent): void {
    this.forget(s, p.timeMs);
    const P = p.priceTicks;
    if (p.aggressor === 3) {
      // Auction: only orders the uncross price went strictly through, all at that price.
      const avail = this.through(s.bids, P, p.qty, p.timeMs);
      this.through(s.asks, P, avail, p.timeMs);
    } else {
      // The book this print reveals first: an order beyond the opposite best pays that best.
      if (p.aggressor === 1) {
        s.askTicks = P;
        if (s.bidTicks !== undefined && s.bidTicks >= P) s.bidTicks = P - 1;
      } else if (p.aggressor === 2) {
        s.bidTicks = P;
        if (s.askTicks !== undefined && s.askTicks <= P) s.askTicks = P + 1;
      } else {
        if (s.bidTicks === undefined || s.bidTicks >= P) s.bidTicks = P - 1;
        if (s.askTicks === undefined || s.askTicks <= P) s.askTicks = P + 1;
      }
      const avail = this.matchSide(s.bids, P, p.qty, p.timeMs, s.askTicks);
      this.matchSide(s.asks, P, avail, p.timeMs, s.bidTicks);
    }
    s.lastTicks = P;
    s.recent.push(p.timeMs, P, p.qty);
    s.qtyAt.set(P, (s.qtyAt.get(P) ?? 0) + p.qty);
    this.reports.trade(p.aggressor === 1 || p.aggressor === 2 ? { symbol: s.tradeSymbol, qty: p.qty, priceTicks: P, timeMs: p.timeMs, aggressor: p.aggressor === 1 ? 'buy' : 'sell' } : { symbol: s.tradeSymbol, qty: p.qty, priceTicks: P, timeMs: p.timeMs });
    this.showBook(s, p.timeMs);
  }

  /**
   * One side of our book against a print at P: trade-throughs, then the queue at P. A trade-through
   * fills at the order's limit, or at the opposite best the print left when that is better. Returns
   * what is left of the print. (Every print passes here: no closure per call.)
   */
  private matchSide(side: VenueOrder[], P: number, avail: number, timeMs: number, oppositeTicks: number | undefined): number {
    let i = 0;
    while (avail > 0 && i < side.length) {
      const o = side[i];
      const L = o.priceTicks!;
      const buy = o.side === 'buy';
      if (buy ? L > P : L < P) {
        const q = Math.min(o.qty - o.filledQty, avail);
        avail -= q;
        const px = oppositeTicks === undefined ? L : buy ? (oppositeTicks < L ? Math.max(oppositeTicks, P) : L) : oppositeTicks > L ? Math.min(oppositeTicks, P) : L;
        this.fill(o, q, px, timeMs);
        if (!WORKING.has(o.status)) side.splice(i, 1);
        else i++;
        continue;
      }
      if (L !== P) break;
      // At its price: the print first works through the queue ahead of it.
      const ahead = Math.min(o.queueAhead, avail);
      o.queueAhead -= ahead;
      const left = avail - ahead;
      if (left > 0) {
        const q = Math.min(o.qty - o.filledQty, left);
        avail -= q;
        this.fill(o, q, L, timeMs);
        if (!WORKING.has(o.status)) {
          side.splice(i, 1);
          continue;
        }
      }
      i++;
    }
    return avail;
  }

  /** An auction print at P against one side: the orders it went strictly through fill at P. */
  private through(side: VenueOrder[], P: number, avail: number, timeMs: number): number {
    let i = 0;
    while (avail > 0 && i < side.length) {
      const o = side[i];
      const L = o.priceTicks!;
      if (!(o.side === 'buy' ? L > P : L < P)) break;
      const q = Math.min(o.qty - o.filledQty, avail);
      avail -= q;
      this.fill(o, q, P, timeMs);
      if (!WORKING.has(o.status)) side.splice(i, 1);
      else i++;
    }
    return avail;
  }

  /**
   * An order marketable against the inferred opposite best takes that level's size (prints model).
   * The book is inferred from the prints of the last `touchWindowMs`: with none (a closed market, a
   * quiet symbol) there is nothing to take, and the order waits for the next print.
   */
  private takeOnArrival(s: SeriesMarket, o: VenueOrder): void {
    const now = this.o.clock();
    this.forget(s, now);
    if (s.recentHead >= s.recent.length) return;
    const opposite = o.side === 'buy' ? s.askTicks : s.bidTicks;
    if (opposite === undefined) return;
    const marketable = o.priceTicks === undefined || (o.side === 'buy' ? o.priceTicks >= opposite : o.priceTicks <= opposite);
    if (!marketable) return;
    const size = this.sizeAt(s, opposite);
    const q = Math.min(o.qty - o.filledQty, size);
    if (q <= 0) return;
    this.fill(o, q, opposite, now);
    // Liquidity we took is gone from the level, and our trade is a print of its own.
    s.recent.push(now, opposite, -q);
    s.qtyAt.set(opposite, (s.qtyAt.get(opposite) ?? 0) - q);
    this.reports.trade({ symbol: s.tradeSymbol, qty: q, priceTicks: opposite, timeMs: now, aggressor: o.side });
  }

  /** Size at a price level: what printed there in the window (at least one lot). */
  private sizeAt(s: SeriesMarket, priceTicks: number): number {
    const lot = s.inst.lotSize;
    const q = s.qtyAt.get(priceTicks) ?? 0;
    return Math.max(lot, Math.floor(q / lot) * lot);
  }

  /** Drops prints older than the window from the per-price sizes. */
  private forget(s: SeriesMarket, nowMs: number): void {
    const r = s.recent;
    const horizon = nowMs - this.fillModel.touchWindowMs;
    let h = s.recentHead;
    while (h < r.length && r[h] < horizon) {
      const price = r[h + 1];
      const left = (s.qtyAt.get(price) ?? 0) - r[h + 2];
      if (left <= 0) s.qtyAt.delete(price);
      else s.qtyAt.set(price, left);
      h += 3;
    }
    if (h > 3 * 4096 && h > r.length / 2) {
      s.recent = r.slice(h);
      h = 0;
    }
    s.recentHead = h;
  }

  // ----------------------------------------------------------------- our orders

  private rest(s: SeriesMarket, o: VenueOrder, keepQueue = false): void {
    if (o.priceTicks === undefined) {
      // A market order with nothing to take: nothing rests at "any price".
      this.end(o, 'canceled', 'ordem a mercado sem contraparte');
      return;
    }
    const side = o.side === 'buy' ? s.bids : s.asks;
    if (!keepQueue) {
      const best = o.side === 'buy' ? s.bidTicks : s.askTicks;
      const improves = best === undefined || (o.side === 'buy' ? o.priceTicks > best : o.priceTicks < best);
      o.queueAhead = improves ? 0 : Math.max(this.sizeAt(s, o.priceTicks), best === undefined ? 0 : this.sizeAt(s, best));
    }
    // Best price first, then arrival: binary search for the slot.
    const better = o.side === 'buy' ? (a: VenueOrder) => a.priceTicks! > o.priceTicks! || (a.priceTicks === o.priceTicks && a.seq < o.seq) : (a: VenueOrder) => a.priceTicks! < o.priceTicks! || (a.priceTicks === o.priceTicks && a.seq < o.seq);
    let lo = 0;
    let hi = side.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (better(side[mid])) lo = mid + 1;
      else hi = mid;
    }
    side.splice(lo, 0, o);
  }

  private unrest(s: SeriesMarket, o: VenueOrder): void {
    const side = o.side === 'buy' ? s.bids : s.asks;
    const i = side.indexOf(o);
    if (i >= 0) side.splice(i, 1);
  }

  /** Books a fill on one of our orders; the caller takes a filled order off its side of the book. */
  private fill(o: VenueOrder, qty: number, priceTicks: number, timeMs: number): void {
    if (qty <= 0) return;
    if (o.filledQty + qty > o.qty) throw new Error(`invariant: overfill of ${o.clientOrderId}`);
    o.filledQty += qty;
    o.costTicksQty += qty * priceTicks;
    o.status = o.filledQty === o.qty ? 'filled' : 'partially_filled';
    o.timeMs = timeMs;
    const f: BrokerFill = { tradeId: `R${++this.tradeSeq}`, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, qty, priceTicks, timeMs };
    this.fills.push(f);
    this.reports.fill(f);
    this.update(o);
  }

  private end(o: VenueOrder, status: 'canceled' | 'expired', reason?: string): void {
    o.status = status;
    o.reason = reason;
    o.timeMs = this.o.clock();
    this.update(o);
  }

  private update(o: VenueOrder): void {
    this.reports.orderUpdate(this.view(o));
  }

  private view(o: VenueOrder): BrokerOrderUpdate {
    return {
      clientOrderId: o.clientOrderId,
      brokerOrderId: `R-${o.clientOrderId}`,
      status: o.status,
      qty: o.qty,
      filledQty: o.filledQty,
      ...(o.priceTicks !== undefined ? { priceTicks: o.priceTicks } : {}),
      ...(o.reason ? { reason: o.reason } : {}),
      timeMs: o.timeMs,
    };
  }

  private showBook(s: SeriesMarket, timeMs: number, bidQty?: number, askQty?: number): void {
    const bq = bidQty ?? (s.bidTicks === undefined ? undefined : this.sizeAt(s, s.bidTicks));
    const aq = askQty ?? (s.askTicks === undefined ? undefined : this.sizeAt(s, s.askTicks));
    if (s.shownBid === s.bidTicks && s.shownAsk === s.askTicks && s.shownBidQty === bq && s.shownAskQty === aq) return;
    s.shownBid = s.bidTicks;
    s.shownAsk = s.askTicks;
    s.shownBidQty = bq;
    s.shownAskQty = aq;
    this.reports.book({ symbol: s.tradeSymbol, bidTicks: s.bidTicks, bidQty: bq, askTicks: s.askTicks, askQty: aq, timeMs });
  }
}
