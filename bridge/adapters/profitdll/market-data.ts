/**
 * Live market data: ticker and book subscriptions, trades from the trade callback, and the top of the
 * book read at the end of each depth burst. Callbacks copy and return; the drain reports to the listener.
 */
import type { BrokerBook } from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import { type AssetIdentifier, BookSide, type PriceGroup, type ProfitDllFunctions, TradeFlags, UpdateType } from './abi.js';
import type { ProfitDllRequests } from './relay.js';
import type { AdapterContext } from './adapter-context.js';
import { unknownInstrument } from './adapter-errors.js';
import type { BoundedQueue } from './bounded-queue.js';
import { aggressorOf, assetIdentifier, exchangeOf, toTicks, tradeTimeMs } from './conversions.js';
import { NL_OK, bilingual, bilingualText, nlError } from './errors.js';

export interface TradeEvent {
  k: 'trade';
  symbol: string;
  price: number;
  qty: number;
  tradeType: number;
  timeMs: number;
}

interface SideTop {
  price?: number;
  qty?: number;
}

export class MarketData {
  private readonly subscribed = new Set<string>();
  private readonly tops = new Map<string, { bid: SideTop; ask: SideTop }>();
  private readonly dirtyBooks = new Set<string>();
  private readonly depthBursts = new Set<string>();
  private droppedTrades = 0;
  /** Reused by the depth callback, so the hot path allocates as little as possible. */
  private readonly priceGroup = { Version: 0 } as PriceGroup;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly queue: Pick<BoundedQueue<TradeEvent>, 'push'>,
  ) {}

  /** Remembered for the session's life; activated now when the session runs, else once it does. */
  subscribe(symbol: string): void {
    const inst = this.ctx.instrument(symbol);
    if (!inst) {
      this.ctx.log('warn', unknownInstrument(symbol).message);
      return;
    }
    if (this.subscribed.has(inst.symbol)) return;
    this.subscribed.add(inst.symbol);
    const fns = this.ctx.session.running();
    if (fns) this.activate(fns, inst);
  }

  /** The subscriptions asked for before the session ran. */
  activateAll(fns: ProfitDllRequests): void {
    for (const symbol of this.subscribed) {
      const inst = this.ctx.instrument(symbol);
      if (inst) this.activate(fns, inst);
    }
  }

  unsubscribeAll(fns: ProfitDllRequests): void {
    for (const symbol of this.subscribed) {
      const inst = this.ctx.instrument(symbol);
      if (!inst) continue;
      const errors = [
        nlError(fns.UnsubscribePriceDepth(assetIdentifier(inst)), 'UnsubscribePriceDepth'),
        nlError(fns.UnsubscribeTicker(inst.symbol, exchangeOf(inst)), 'UnsubscribeTicker'),
      ];
      for (const err of errors) if (err) this.ctx.log('warn', `${symbol}: ${err.message}`);
    }
  }

  /** SetTradeCallbackV2 on the direct path: TranslateTrade (an accessor, so inside the callback), copy and return. */
  onTrade(asset: AssetIdentifier, pTrade: unknown, flags: number): void {
    const t = this.ctx.session.tradeReader!;
    const err = nlError(t.read(pTrade), 'TranslateTrade');
    if (err) throw err;
    this.onTradeRead(asset.Ticker ?? '', t.price, t.quantity, t.tradeType, tradeTimeMs(t) ?? Date.now(), flags);
  }

  /** A trade already translated (on the DLL's thread by the relay, or just above). */
  onTradeRead(symbol: string, price: number, qty: number, tradeType: number, timeMs: number, flags: number): void {
    // An exchange edit corrects an earlier trade; passing it on would count its volume twice.
    if (flags & TradeFlags.TC_IS_EDIT) return;
    const queued = this.queue.push({ k: 'trade', symbol, price, qty, tradeType, timeMs });
    if (!queued) this.droppedTrades++;
    this.ctx.requestDrain();
  }

  /** Trades the relay's ring had to drop: counted with the queue's own drops. */
  noteDroppedTrades(n: number): void {
    this.droppedTrades += n;
  }

  /** The top of the book the relay read with GetPriceGroup inside the depth callback. */
  onTopRead(symbol: string, side: number, price: number | undefined, qty: number): void {
    const top = this.topOf(symbol);
    const value: SideTop = price !== undefined ? { price, qty } : {};
    if (side === BookSide.bsBuy) top.bid = value;
    else top.ask = value;
    this.dirtyBooks.add(symbol);
    this.ctx.requestDrain();
  }

  /** SetPriceDepthCallback: reads the top of the book when a burst ends. */
  onDepth(fns: ProfitDllFunctions, asset: AssetIdentifier, side: number, updateType: number): void {
    const symbol = asset.Ticker ?? '';
    // utPrepare … utFlush brackets a burst: read the book once, at the end (§10.6).
    if (updateType === UpdateType.utPrepare) {
      this.depthBursts.add(symbol);
      return;
    }
    if (updateType !== UpdateType.utFlush && this.depthBursts.has(symbol)) return;
    this.depthBursts.delete(symbol);
    const both = updateType === UpdateType.utFlush || side === BookSide.bsBoth;
    if (both || side === BookSide.bsBuy) this.readTop(fns, asset, BookSide.bsBuy);
    if (both || side === BookSide.bsSell) this.readTop(fns, asset, BookSide.bsSell);
    this.dirtyBooks.add(symbol);
    this.ctx.requestDrain();
  }

  emitTrade(ev: TradeEvent): void {
    const inst = this.ctx.instrument(ev.symbol);
    if (!inst) return;
    const aggressor = aggressorOf(ev.tradeType);
    this.ctx.events.emit('trade', {
      symbol: inst.symbol,
      qty: ev.qty,
      priceTicks: toTicks(inst, ev.price),
      timeMs: ev.timeMs,
      ...(aggressor ? { aggressor } : {}),
    });
  }

  /** One book event per symbol whose top changed since the last drain. */
  flushBooks(): void {
    for (const symbol of this.dirtyBooks) {
      const inst = this.ctx.instrument(symbol);
      const top = this.tops.get(symbol);
      if (!inst || !top) continue;
      const book: BrokerBook = { symbol: inst.symbol, timeMs: Date.now() };
      if (top.bid.price !== undefined) {
        book.bidTicks = toTicks(inst, top.bid.price);
        book.bidQty = top.bid.qty!;
      }
      if (top.ask.price !== undefined) {
        book.askTicks = toTicks(inst, top.ask.price);
        book.askQty = top.ask.qty!;
      }
      this.ctx.events.emit('book', book);
    }
    this.dirtyBooks.clear();
  }

  reportDroppedTrades(): void {
    if (this.droppedTrades === 0) return;
    this.ctx.log(
      'warn',
      bilingualText(
        bilingual(
          `${this.droppedTrades} negócios descartados: a fila de callbacks encheu (o event loop está atrasado)`,
          `${this.droppedTrades} trades dropped: the callback queue was full (the event loop is behind)`,
        ),
      ),
    );
    this.droppedTrades = 0;
  }

  private topOf(symbol: string): { bid: SideTop; ask: SideTop } {
    let top = this.tops.get(symbol);
    if (!top) {
      top = { bid: {}, ask: {} };
      this.tops.set(symbol, top);
    }
    return top;
  }

  private activate(fns: ProfitDllRequests, inst: Instrument): void {
    const errors = [
      nlError(fns.SubscribeTicker(inst.symbol, exchangeOf(inst)), 'SubscribeTicker'),
      nlError(fns.SubscribePriceDepth(assetIdentifier(inst)), 'SubscribePriceDepth'),
    ];
    for (const err of errors) if (err) this.ctx.log('error', `${inst.symbol}: ${err.message}`);
  }

  /** GetPriceGroup at position 0 is the top of one side (an accessor: called inside the callback). */
  private readTop(fns: ProfitDllFunctions, asset: AssetIdentifier, side: number): void {
    const top = this.topOf(asset.Ticker ?? '');
    const g = this.priceGroup;
    g.Version = 0;
    const rc = fns.GetPriceGroup(asset, side, 0, g);
    // A theoretical (auction) level has Price = -INF (§10.6): not a tradable top.
    const valid = rc === NL_OK && Number.isFinite(g.Price) && g.Price > 0;
    const value: SideTop = valid ? { price: g.Price, qty: Number(g.Quantity) } : {};
    if (side === BookSide.bsBuy) top.bid = value;
    else top.ask = value;
  }
}
