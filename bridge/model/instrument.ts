/**
 * Instruments and the integer units the bridge computes in.
 *
 * Prices inside the bridge are integer ticks; money is integer centavos. A price from the outside
 * is accepted only when it lies exactly on the tick (never silently rounded: a boleta at 36.555
 * is a typo, not an order). Conversions live here and nowhere else.
 */
import type { InstrumentView } from '../../common/types.js';

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

function stock(symbol: string, name: string, price: number): Instrument {
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

/** The default universe of the simulated B3: liquid names, their odd-lot books, and the mini futures. */
export function defaultInstruments(): Instrument[] {
  const stocks = STOCKS.map(([s, n, p]) => stock(s, n, p));
  return [
    ...stocks,
    ...stocks.map(fractional),
    {
      symbol: 'WINZ26',
      name: 'MINI IBOVESPA DEZ/26',
      kind: 'future',
      tickHundredths: 500,
      lotSize: 1,
      tickValueCentavos: 100,
      settlementDays: 1,
      minQty: 1,
      maxQty: 10_000,
      referenceTicks: 155_000 / 5,
    },
    {
      symbol: 'WDOZ26',
      name: 'MINI DOLAR DEZ/26',
      kind: 'future',
      tickHundredths: 50,
      lotSize: 1,
      tickValueCentavos: 500,
      settlementDays: 1,
      minQty: 1,
      maxQty: 10_000,
      referenceTicks: 5_420 * 2,
    },
  ];
}

export class OffTickError extends Error {}

/** Exact conversion of a decimal price to ticks; throws OffTickError when the price is not on the tick. */
export function priceToTicks(inst: Instrument, price: number): number {
  if (!Number.isFinite(price) || price <= 0) throw new OffTickError(`preço inválido: ${price}`);
  const hundredths = Math.round(price * 100);
  if (Math.abs(hundredths - price * 100) > 1e-6 * Math.max(1, Math.abs(price))) {
    throw new OffTickError(`preço ${price} fora do tick ${ticksToPrice(inst, 1)}`);
  }
  if (hundredths % inst.tickHundredths !== 0) {
    throw new OffTickError(`preço ${price} fora do tick ${ticksToPrice(inst, 1)}`);
  }
  const ticks = hundredths / inst.tickHundredths;
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

export function notionalCentavos(inst: Instrument, qty: number, priceTicks: number): number {
  const v = qty * priceTicks * inst.tickValueCentavos;
  if (!Number.isSafeInteger(v)) throw new RangeError(`notional overflow: ${qty} x ${priceTicks}`);
  return v;
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
  };
}

export class InstrumentRegistry {
  private readonly bySymbol = new Map<string, Instrument>();
  constructor(instruments: Instrument[]) {
    for (const i of instruments) this.bySymbol.set(i.symbol, i);
  }
  get(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol.toUpperCase());
  }
  require(symbol: string): Instrument {
    const i = this.get(symbol);
    if (!i) throw new Error(`unknown symbol ${symbol}`);
    return i;
  }
  all(): Instrument[] {
    return [...this.bySymbol.values()];
  }
}
