/**
 * Live quotes per symbol, built from the broker's trades and top-of-book events. It is the
 * reference price for collars and the mark for unrealised P&L.
 */
import type { QuoteView } from '../../common/types.js';
import type { BrokerBook, BrokerTrade } from '../execution/broker-port.js';
import { type Instrument, InstrumentRegistry, ticksToPrice } from '../model/instrument.js';

interface QuoteState {
  inst: Instrument;
  bidTicks?: number;
  bidQty?: number;
  askTicks?: number;
  askQty?: number;
  lastTicks?: number;
  openTicks?: number;
  highTicks?: number;
  lowTicks?: number;
  prevCloseTicks: number;
  volumeQty: number;
  volumeCentavos: number;
  trades: number;
  timeMs: number;
}

export class QuoteBoard {
  private readonly quotes = new Map<string, QuoteState>();

  /** `clock` stamps a quote that has had no trade or book yet (default Date.now). */
  constructor(
    instruments: InstrumentRegistry,
    private readonly clock: () => number = Date.now,
  ) {
    for (const inst of instruments.all()) this.track(inst);
  }

  /** Starts quoting an instrument (a futures contract the universe rolled into); false if already quoted. */
  track(inst: Instrument): boolean {
    if (this.quotes.has(inst.symbol)) return false;
    this.quotes.set(inst.symbol, { inst, prevCloseTicks: inst.referenceTicks, volumeQty: 0, volumeCentavos: 0, trades: 0, timeMs: 0 });
    return true;
  }

  onTrade(t: BrokerTrade): boolean {
    const q = this.quotes.get(t.symbol);
    if (!q) return false;
    q.lastTicks = t.priceTicks;
    q.openTicks ??= t.priceTicks;
    q.highTicks = Math.max(q.highTicks ?? t.priceTicks, t.priceTicks);
    q.lowTicks = Math.min(q.lowTicks ?? t.priceTicks, t.priceTicks);
    q.volumeQty += t.qty;
    q.volumeCentavos += t.qty * t.priceTicks * q.inst.tickValueCentavos;
    q.trades += 1;
    q.timeMs = t.timeMs;
    return true;
  }

  onBook(b: BrokerBook): boolean {
    const q = this.quotes.get(b.symbol);
    if (!q) return false;
    q.bidTicks = b.bidTicks;
    q.bidQty = b.bidQty;
    q.askTicks = b.askTicks;
    q.askQty = b.askQty;
    q.timeMs = b.timeMs;
    return true;
  }

  /** Best reference for collars and marks: last trade, else mid, else the previous close. */
  referenceTicks(symbol: string): number | undefined {
    const q = this.quotes.get(symbol);
    if (!q) return undefined;
    if (q.lastTicks !== undefined) return q.lastTicks;
    if (q.bidTicks !== undefined && q.askTicks !== undefined) return Math.round((q.bidTicks + q.askTicks) / 2);
    return q.prevCloseTicks;
  }

  ticks(symbol: string): { bidTicks?: number; askTicks?: number; lastTicks?: number } {
    const q = this.quotes.get(symbol);
    return q ? { bidTicks: q.bidTicks, askTicks: q.askTicks, lastTicks: q.lastTicks } : {};
  }

  view(symbol: string): QuoteView | undefined {
    const q = this.quotes.get(symbol);
    if (!q) return undefined;
    const p = (t: number | undefined) => (t === undefined ? undefined : ticksToPrice(q.inst, t));
    const last = q.lastTicks ?? q.prevCloseTicks;
    return {
      symbol,
      bid: p(q.bidTicks),
      bidQty: q.bidQty,
      ask: p(q.askTicks),
      askQty: q.askQty,
      last: p(q.lastTicks),
      open: p(q.openTicks),
      high: p(q.highTicks),
      low: p(q.lowTicks),
      prevClose: p(q.prevCloseTicks),
      changePct: Math.round(((last - q.prevCloseTicks) / q.prevCloseTicks) * 1e6) / 1e4,
      volumeQty: q.volumeQty,
      volumeBrl: q.volumeCentavos / 100,
      trades: q.trades,
      time: new Date(q.timeMs || this.clock()).toISOString(),
    };
  }

  symbols(): string[] {
    return [...this.quotes.keys()];
  }
}
