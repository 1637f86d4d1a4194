/**
 * Average-cost position arithmetic, in integer centavos.
 *
 * The cost basis is the exact signed sum of qty x price x tick value of the open quantity; the
 * average price is derived from it on demand and never stored, so it cannot drift. A reducing fill
 * removes its share of the cost rounded once to the centavo, and realised P&L is the fill's cash
 * minus exactly that removed cost. Because every centavo leaves the cost basis only through
 * realised P&L, realised + unrealised always equals the cash-flow P&L (sells - buys + qty x last).
 */
import { divRoundHalfAwayFromZero, toSafeNumber } from '../fees/rounding.js';
import { notionalCentavos } from '../model/instrument.js';

export interface PositionState {
  /** Signed: long > 0, short < 0. */
  qty: number;
  /** Signed like qty: what the open quantity cost (long) or raised (short). */
  costCentavos: number;
  realisedCentavos: number;
  /** Cash value of one tick on one unit (stock 1, WIN 100, WDO 500). */
  tickValueCentavos: number;
}

/** Applies a fill of `signedQty` (buy > 0, sell < 0) at `priceTicks`; returns the realised P&L of this fill. */
export function applyFillToPosition(pos: PositionState, signedQty: number, priceTicks: number): number {
  return applyCashFillToPosition(pos, signedQty, notionalCentavos(pos, Math.abs(signedQty), priceTicks));
}

/**
 * The same, for a fill whose cash is given in centavos (unsigned) rather than qty x price: a block
 * allocated at its average price books each client at its share of the block's cash.
 */
export function applyCashFillToPosition(pos: PositionState, signedQty: number, cashCentavos: number): number {
  let realised = 0;
  let opening = signedQty;
  let openingCash = cashCentavos;
  if (pos.qty !== 0 && Math.sign(pos.qty) !== Math.sign(signedQty)) {
    const closingQty = Math.min(Math.abs(signedQty), Math.abs(pos.qty));
    // Closing everything removes the whole basis with no rounding at all.
    const removedCost =
      closingQty === Math.abs(pos.qty)
        ? pos.costCentavos
        : toSafeNumber(
            divRoundHalfAwayFromZero(BigInt(pos.costCentavos) * BigInt(closingQty), BigInt(Math.abs(pos.qty))),
          );
    const closingCash =
      closingQty === Math.abs(signedQty)
        ? cashCentavos
        : toSafeNumber(divRoundHalfAwayFromZero(BigInt(cashCentavos) * BigInt(closingQty), BigInt(Math.abs(signedQty))));
    // A long is reduced by selling (cash in), a short by buying (cash out): the sign of the position.
    const fillCash = Math.sign(pos.qty) * closingCash;
    realised = fillCash - removedCost;
    pos.costCentavos -= removedCost;
    pos.realisedCentavos += realised;
    pos.qty += Math.sign(signedQty) * closingQty;
    opening = signedQty - Math.sign(signedQty) * closingQty;
    openingCash = cashCentavos - closingCash;
  }
  if (opening !== 0) {
    pos.qty += opening;
    pos.costCentavos += Math.sign(opening) * openingCash;
  }
  return realised;
}

export function unrealisedCentavos(pos: PositionState, lastTicks: number): number {
  return notionalCentavos(pos, pos.qty, lastTicks) - pos.costCentavos;
}

/** Average price in (fractional) ticks, for display only; undefined when flat. */
export function averagePriceTicks(qty: number, costCentavos: number, tickValueCentavos: number): number | undefined {
  return qty === 0 ? undefined : costCentavos / (qty * tickValueCentavos);
}
