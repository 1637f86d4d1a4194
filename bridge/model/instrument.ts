/**
 * Instruments and the integer units the bridge computes in.
 *
 * Prices inside the bridge are integer ticks; money is integer centavos. A price from the outside
 * is accepted only when it lies exactly on the tick (never silently rounded: a boleta at 36.555
 * is a typo, not an order). Conversions live here and nowhere else.
 */
import { ticksOnGrid } from '../../common/ticks.js';
import type { InstrumentView } from '../../common/types.js';
import { b3Calendar } from '../calendar/business-calendar.js';
import { saoPauloDate } from '../calendar/iso-date.js';
import { contractName, FuturesCatalog, type FuturesContract } from './futures-contracts.js';

export type InstrumentKind = InstrumentView['kind'];

export interface Instrument {
  symbol: string;
  name: string;
  kind: InstrumentKind;
  /** Tick in hundredths of the quote unit: R$0.01 = 1, WIN 5 points = 500, WDO 0.5 = 50. */
  tickHundredths: number;
  lotSize: number;
  /** Cash value of one tick on one unit, in centavos: stock 1, WIN 100 (5 pts x R$0.20), WDO 500. */
  tickValueCentavos: number;
  /** Business days to settlement: stocks 2, options 1, futures 1 (daily adjustment). */
  settlementDays: number;
  /** Quantity bounds of a single order, in units (fractional book trades 1..99). */
  minQty: number;
  maxQty: number;
  /** Round-lot symbol that a fractional symbol mirrors. */
  underlying?: string;
  /** Reference price (ticks) the simulated market starts from. */
  referenceTicks: number;
  /** Futures: the last trading day (ISO yyyy-mm-dd); the contract is expired from the next day. */
  expiry?: string;
}

const STOCKS: Array<[symbol: string, name: string, price: number]> = [
  ['PETR4', 'PETROBRAS PN', 36.5],
  ['VALE3', 'VALE ON', 61.8],
  ['ITUB4', 'ITAUUNIBANCO PN', 38.2],
  ['BBDC4', 'BRADESCO PN', 16.4],
  ['BBAS3', 'BRASIL ON', 24.1],
  ['ABEV3', 'AMBEV S/A ON', 13.7],
  ['B3SA3', 'B3 ON', 13.2],
  ['WEGE3', 'WEG ON', 44.3],
];

/** A B3 stock's standard terms: R$ 0,01 tick, round lot of 100, settled D+2. */
export function stockInstrument(symbol: string, name: string, price: number): Instrument {
  return {
    symbol,
    name,
    kind: 'stock',
    tickHundredths: 1,
    lotSize: 100,
    tickValueCentavos: 1,
    settlementDays: 2,
    minQty: 100,
    maxQty: 100_000_000,
    referenceTicks: Math.round(price * 100),
  };
}

function fractional(base: Instrument): Instrument {
  return {
    ...base,
    symbol: `${base.symbol}F`,
    name: `${base.name} (fracionário)`,
    kind: 'fractional',
    lotSize: 1,
    minQty: 1,
    maxQty: 99,
    underlying: base.symbol,
  };
}

let committedFutures: FuturesCatalog | undefined;

/** Futures codes and expiries by the committed rules and the B3 calendar, read once. */
export function futuresCatalog(): FuturesCatalog {
  committedFutures ??= FuturesCatalog.fromFile(new URL('./data/futures-contracts.json', import.meta.url), b3Calendar());
  return committedFutures;
}

function futureInstrument(c: FuturesContract): Instrument {
  return {
    symbol: c.symbol,
    name: contractName(c.root, c.year, c.month),
    kind: 'future',
    tickHundredths: c.root.tickHundredths,
    lotSize: 1,
    tickValueCentavos: c.root.tickValueCentavos,
    settlementDays: 1,
    minQty: 1,
    maxQty: c.root.maxQty,
    referenceTicks: Math.round((c.root.referencePrice * 100) / c.root.tickHundredths),
    expiry: c.expiry,
  };
}

/** Contracts of each root the universe offers: the current one and the next. */
const OFFERED_CONTRACTS_PER_ROOT = 2;
/**
 * Contracts of each root the simulated B3 lists: more than are offered, so a bridge that runs
 * across an expiry finds the next contract's book already there.
 */
const LISTED_CONTRACTS_PER_ROOT = 4;

/** The futures not expired on the São Paulo date of `nowMs`, `perRoot` of each root, current first. */
function upcomingFutures(nowMs: number, perRoot: number): Instrument[] {
  const today = saoPauloDate(nowMs);
  const catalog = futuresCatalog();
  return catalog.rootNames().flatMap((root) => catalog.upcoming(root, today, perRoot).map(futureInstrument));
}

/** Liquid names and their odd-lot books. */
function equityInstruments(): Instrument[] {
  const stocks = STOCKS.map(([s, n, p]) => stockInstrument(s, n, p));
  return [...stocks, ...stocks.map(fractional)];
}

/** The universe of the simulated B3 on the date of `nowMs`: equities and the listed futures. */
export function defaultInstruments(nowMs = Date.now()): Instrument[] {
  return [...equityInstruments(), ...upcomingFutures(nowMs, LISTED_CONTRACTS_PER_ROOT)];
}

/** Profit's continuous futures names: `WINFUT`, `WIN$`, `WIN$N`, `WDO@N`… → the root (`WIN`). */
export function continuousRoot(symbol: string): string | undefined {
  const m = /^([A-Z]{3})(FUT|\$N?|@N?)$/.exec(symbol.toUpperCase());
  return m && futuresCatalog().rootNames().includes(m[1]) ? m[1] : undefined;
}

/**
 * The contract a continuous name trades as on a São Paulo date: the front contract, rolled on its
 * expiry day (on that day the next contract is already the one traded). Other symbols are themselves.
 */
export function tradedContract(symbol: string, isoDate: string): string {
  const root = continuousRoot(symbol);
  if (!root) return symbol.toUpperCase();
  const [front, next] = futuresCatalog().upcoming(root, isoDate, 2);
  return front.expiry > isoDate ? front.symbol : next.symbol;
}

export class OffTickError extends Error {}

/**
 * Exact conversion of a decimal price to ticks; throws OffTickError when the price is not on the
 * tick. "On the tick" is common/ticks.ts's rule, the same one the sheet boletas apply.
 */
export function priceToTicks(inst: Instrument, price: number): number {
  if (!Number.isFinite(price) || price <= 0) throw new OffTickError(`preço inválido: ${price}`);
  const ticks = ticksOnGrid(price, inst.tickHundredths);
  if (ticks === undefined) throw new OffTickError(`preço ${price} fora do tick ${ticksToPrice(inst, 1)}`);
  // A price so large its ticks are no longer exact integers can only overflow notional arithmetic later.
  if (!Number.isSafeInteger(ticks)) throw new OffTickError(`preço ${price} fora da faixa aceita`);
  return ticks;
}

export function ticksToPrice(inst: Instrument, ticks: number): number {
  // One rounding at the edge: ticks x hundredths is an exact integer, /100 is the decimal the user reads.
  return (ticks * inst.tickHundredths) / 100;
}

/** Fractional ticks (an average) to a decimal price, rounded to 1e-6 for display. */
export function avgTicksToPrice(inst: Instrument, ticks: number): number {
  return Math.round(((ticks * inst.tickHundredths) / 100) * 1e6) / 1e6;
}

/**
 * THE definition of notional (financeiro): qty x price x the instrument's value per tick, in
 * centavos. WIN at 155.000 points is R$ 31.000 a contract (R$ 0,20 a point), WDO R$ 10 a point,
 * a stock R$ 1 per R$ 1. Exposure in Posições, the risk gate's limits, position cost and P&L and
 * the futures adjustment all come from here; signed like `qty`.
 */
export function notionalCentavos(inst: Pick<Instrument, 'tickValueCentavos'>, qty: number, priceTicks: number): number {
  const v = qty * priceTicks * inst.tickValueCentavos;
  if (!Number.isSafeInteger(v)) throw new RangeError(`financeiro fora do inteiro seguro: ${qty} x ${priceTicks}`);
  return v === 0 ? 0 : v; // never -0
}

export function centavosToBrl(centavos: number): number {
  return centavos / 100;
}

export function brlToCentavos(brl: number): number {
  return Math.round(brl * 100);
}

export function instrumentView(inst: Instrument): InstrumentView {
  return {
    symbol: inst.symbol,
    name: inst.name,
    kind: inst.kind,
    tickSize: ticksToPrice(inst, 1),
    lotSize: inst.lotSize,
    pointValue: (inst.tickValueCentavos / 100) / ticksToPrice(inst, 1),
    settlementDays: inst.settlementDays,
    ...(inst.underlying ? { underlying: inst.underlying } : {}),
    ...(inst.expiry ? { expiry: inst.expiry } : {}),
  };
}

/**
 * The instruments the bridge knows. Futures come from the rules: any code they make resolves (an
 * expired contract still books and values the fills of a replayed journal), but the universe
 * (`all`) offers only the current and next contract of each root on the clock's date, so it rolls
 * by itself as the clock passes an expiry. `tradableError` is what refuses an expired contract.
 */
export class InstrumentRegistry {
  private readonly bySymbol = new Map<string, Instrument>();
  private readonly futures = new Map<string, Instrument | null>();
  private readonly nowMs: () => number;

  constructor(instruments: Instrument[], options: { nowMs?: () => number } = {}) {
    // Futures in the list are the exchange's listing; the registry takes them from the rules instead.
    for (const i of instruments) if (i.kind !== 'future') this.bySymbol.set(i.symbol, i);
    this.nowMs = options.nowMs ?? Date.now;
  }

  get(symbol: string): Instrument | undefined {
    const s = symbol.toUpperCase();
    const known = this.bySymbol.get(s);
    if (known) return known;
    let fut = this.futures.get(s);
    if (fut === undefined) {
      const c = futuresCatalog().parse(s);
      fut = c ? futureInstrument(c) : null;
      // Bounded: one entry per code asked for, and codes are three letters, a month letter and two digits.
      if (this.futures.size < 10_000) this.futures.set(s, fut);
    }
    return fut ?? undefined;
  }

  /**
   * Adds a stock the universe does not list (a backtest over a stored series, say) with B3's standard
   * terms, and its odd-lot book; a symbol already known is left as it is.
   */
  addStock(symbol: string, referencePrice: number): Instrument {
    const s = symbol.toUpperCase();
    const known = this.get(s);
    if (known) return known;
    const inst = stockInstrument(s, s, referencePrice);
    this.bySymbol.set(s, inst);
    this.bySymbol.set(`${s}F`, fractional(inst));
    return inst;
  }

  require(symbol: string): Instrument {
    const i = this.get(symbol);
    if (!i) throw new Error(`unknown symbol ${symbol}`);
    return i;
  }

  /** Equities, then the futures offered today (current and next of each root). */
  all(): Instrument[] {
    return [...this.bySymbol.values(), ...upcomingFutures(this.nowMs(), OFFERED_CONTRACTS_PER_ROOT)];
  }

  /** Why an order in this instrument cannot be accepted at `nowMs` (pt-BR), or undefined when it can. */
  tradableError(inst: Instrument, nowMs = this.nowMs()): string | undefined {
    if (!inst.expiry) return undefined;
    const today = saoPauloDate(nowMs);
    if (inst.expiry >= today) return undefined;
    const root = inst.symbol.slice(0, 3);
    const offered = upcomingFutures(nowMs, OFFERED_CONTRACTS_PER_ROOT)
      .filter((i) => i.symbol.startsWith(root))
      .map((i) => i.symbol);
    const [y, m, d] = inst.expiry.split('-');
    return `contrato ${inst.symbol} vencido em ${d}/${m}/${y}: negocie ${offered.join(' ou ')}`;
  }
}
