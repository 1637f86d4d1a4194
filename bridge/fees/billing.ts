/**
 * Fees as B3 bills them: per investor, trade date and segment, the day's trades are priced
 * together and rounded once. So an algo's hundred small children cost what one order of the same
 * size costs, and a day trade (the same client and asset bought and sold the same day) gets the
 * day-trade table on the quantity that was both bought and sold, on both legs.
 *
 * Each trade's fee is then an estimate: the day's billed total apportioned over its trades by
 * their exact fee, largest remainder first, so the estimates add up to the bill to the centavo.
 */
import type { Instrument } from '../model/instrument.js';
import { FEE_SCALE, type FeeCalculator } from './fee-schedule.js';
import { divRoundHalfAwayFromZero, toSafeNumber } from './rounding.js';

export type FeeSegment = 'equities' | 'derivatives';

export function feeSegment(inst: Instrument): FeeSegment {
  return inst.kind === 'stock' || inst.kind === 'fractional' ? 'equities' : 'derivatives';
}

export interface BillableTrade {
  fillId: string;
  instrument: Instrument;
  /** The asset a day trade is matched on: a fractional symbol is its round lot's shares. */
  assetSymbol: string;
  side: 'buy' | 'sell';
  qty: number;
  notionalCentavos: number;
}

export interface PricedTrade extends BillableTrade {
  regularExact: bigint;
  dayTradeExact: bigint;
}

interface SideTotals {
  qty: number;
  regularExact: bigint;
  dayTradeExact: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Splits `total` in proportion to non-negative bigint weights, largest remainder first, ties to the earlier. */
export function apportionByWeight(total: number, weights: readonly bigint[]): number[] {
  const sum = weights.reduce((a, w) => a + w, 0n);
  if (sum === 0n) return weights.map(() => 0);
  const big = BigInt(total);
  const parts = weights.map((w) => (big * w) / sum);
  const order = weights.map((w, i) => ({ i, r: (big * w) % sum })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  let left = big - parts.reduce((a, p) => a + p, 0n);
  for (let k = 0; left > 0n; k++, left--) parts[order[k].i] += 1n;
  return parts.map(Number);
}

/** One investor's bill for one trade date and segment. Exact fees are linear in the trade, so sides are kept as sums. */
export class FeeDay {
  private readonly trades: PricedTrade[] = [];
  private readonly sides = new Map<string, SideTotals>();
  private cachedTotal: number | undefined = 0;
  private cachedEstimates: Map<string, number> | undefined;

  constructor(
    readonly isoDate: string,
    readonly segment: FeeSegment,
    private readonly fees: FeeCalculator,
    private readonly usdBrl: () => number | undefined,
  ) {}

  /** Prices a trade at both tables; throws (changing nothing) when the table cannot price it. */
  price(t: BillableTrade): PricedTrade {
    const usdBrl = this.usdBrl();
    // Every fill passes here: plain literals, no spreads (a spread with more fields is slow to build).
    return {
      fillId: t.fillId,
      instrument: t.instrument,
      assetSymbol: t.assetSymbol,
      side: t.side,
      qty: t.qty,
      notionalCentavos: t.notionalCentavos,
      regularExact: this.fees.exactFee(t.instrument, t.qty, t.notionalCentavos, { isoDate: this.isoDate, dayTrade: false, usdBrl }),
      dayTradeExact: this.fees.exactFee(t.instrument, t.qty, t.notionalCentavos, { isoDate: this.isoDate, dayTrade: true, usdBrl }),
    };
  }

  add(t: PricedTrade): void {
    this.trades.push(t);
    const k = `${t.assetSymbol}|${t.side}`;
    const s = this.sides.get(k) ?? { qty: 0, regularExact: 0n, dayTradeExact: 0n };
    s.qty += t.qty;
    s.regularExact += t.regularExact;
    s.dayTradeExact += t.dayTradeExact;
    this.sides.set(k, s);
    this.cachedTotal = undefined;
    this.cachedEstimates = undefined;
  }

  /** Quantity of an asset both bought and sold this day: priced at the day-trade table. */
  dayTradeQty(assetSymbol: string): number {
    return Math.min(this.sides.get(`${assetSymbol}|buy`)?.qty ?? 0, this.sides.get(`${assetSymbol}|sell`)?.qty ?? 0);
  }

  /**
   * Exact weight of a trade (or of a side's totals) over a common denominator: on each side the
   * day-traded share dt/sideQty is priced at the day-trade table and the rest at the regular one.
   */
  private weight(assetSymbol: string, side: string, regular: bigint, dayTrade: bigint, denominator: bigint): bigint {
    const sideQty = BigInt(this.sides.get(`${assetSymbol}|${side}`)!.qty);
    const dt = BigInt(this.dayTradeQty(assetSymbol));
    return (dayTrade * dt + regular * (sideQty - dt)) * (denominator / sideQty);
  }

  private denominator(): bigint {
    let d = 1n;
    for (const s of this.sides.values()) d = (d * BigInt(s.qty)) / gcd(d, BigInt(s.qty));
    return d;
  }

  /** What B3 bills for the day: the exact sum rounded once to the centavo, halves up. */
  totalCentavos(): number {
    if (this.cachedTotal !== undefined) return this.cachedTotal;
    const d = this.denominator();
    let exact = 0n;
    for (const [k, s] of this.sides) {
      const [asset, side] = k.split('|');
      exact += this.weight(asset, side, s.regularExact, s.dayTradeExact, d);
    }
    this.cachedTotal = toSafeNumber(divRoundHalfAwayFromZero(exact, d * FEE_SCALE));
    return this.cachedTotal;
  }

  /**
   * Each trade's estimated fee, in booking order; they add up to totalCentavos(). Kept until the
   * next trade of the day: an order's detail and the settlements ask again without a new trade.
   */
  estimates(): ReadonlyMap<string, number> {
    if (this.cachedEstimates) return this.cachedEstimates;
    const d = this.denominator();
    const weights = this.trades.map((t) => this.weight(t.assetSymbol, t.side, t.regularExact, t.dayTradeExact, d));
    const parts = apportionByWeight(this.totalCentavos(), weights);
    this.cachedEstimates = new Map(this.trades.map((t, i) => [t.fillId, parts[i]]));
    return this.cachedEstimates;
  }

  /** One trade's share of the current total, rounded on its own (what the fill reports when booked). */
  shareOf(t: PricedTrade): number {
    const d = this.denominator();
    let all = 0n;
    for (const [k, s] of this.sides) {
      const [asset, side] = k.split('|');
      all += this.weight(asset, side, s.regularExact, s.dayTradeExact, d);
    }
    if (all === 0n) return 0;
    const own = this.weight(t.assetSymbol, t.side, t.regularExact, t.dayTradeExact, d);
    return toSafeNumber(divRoundHalfAwayFromZero(BigInt(this.totalCentavos()) * own, all));
  }
}
