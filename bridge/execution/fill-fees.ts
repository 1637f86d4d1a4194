/**
 * What a parent's fills cost once B3 has billed their days. B3 prices a client's day at once (a buy
 * that a later sell of the same day turns into a day trade pays the day-trade table), so the fee a
 * fill showed when it was booked can move afterwards; the portfolio keeps each booking's share of its
 * day's bill as the bill stands. This turns those shares into one figure per fill of the parent.
 */
import { apportionByWeight } from '../fees/billing.js';
import { allocationBookingId, fillBookingId, type FillRecord, type ParentOrder } from './orders.js';

/** A booking's share of its day's bill now (centavos); undefined when nothing was booked under that id. */
export type BookingFee = (bookingId: string) => number | undefined;

/**
 * Each fill's fee as billed, in the order of `fills`. A one-client parent's fill is one booking; a
 * block books its clients per allocation round, so the rounds' billed total is spread over its fills
 * in proportion to the fees they showed (by quantity when they showed none). Undefined when a fill
 * is not billed yet — a one-client fill the portfolio has no booking of, or a block with fills still
 * to allocate: the figures the fills showed stand then.
 */
export function billedFillFees(p: ParentOrder, fills: readonly FillRecord[], feeOf: BookingFee): number[] | undefined {
  if (!p.allocations) {
    const out: number[] = [];
    for (const f of fills) {
      const c = feeOf(fillBookingId(f.tradeId, p.client!));
      if (c === undefined) return undefined;
      out.push(c);
    }
    return out;
  }
  if ((p.booked?.qty ?? 0) !== p.filledQty) return undefined;
  let total = 0;
  // A client left out of a round (nothing allocated to it then) has no booking in it.
  for (let seq = 1; seq <= (p.booked?.allocations ?? 0); seq++) for (const t of p.allocations) total += feeOf(allocationBookingId(p.id, seq, t.client)) ?? 0;
  const shown = fills.map((f) => BigInt(f.feesCentavos));
  return apportionByWeight(total, shown.some((w) => w > 0n) ? shown : fills.map((f) => BigInt(f.qty)));
}
