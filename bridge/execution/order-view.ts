/**
 * The wire view of a parent order (OrderView), with children, fills, allocation and execution
 * quality when detail is asked for. Prices leave the integer world here, once.
 */
import type { OrderView } from '../../common/types.js';
import { avgTicksToPrice, type Instrument, ticksToPrice } from '../model/instrument.js';
import type { ChildOrder, FillRecord, ParentOrder } from './orders.js';

export function orderView(
  p: ParentOrder,
  inst: Instrument,
  detail: boolean,
  children: (id: string) => ChildOrder,
  fills: readonly FillRecord[],
): OrderView {
  const avgTicks = p.filledQty > 0 ? p.costTicksQty / p.filledQty : 0;
  const v: OrderView = {
    id: p.id,
    client: p.client,
    symbol: p.symbol,
    side: p.side,
    qty: p.qty,
    filledQty: p.filledQty,
    avgPrice: p.filledQty > 0 ? avgTicksToPrice(inst, avgTicks) : 0,
    limitPrice: p.limitTicks === undefined ? undefined : ticksToPrice(inst, p.limitTicks),
    algo: p.algo,
    status: p.status,
    statusReason: p.statusReason,
    createdAt: new Date(p.createdAtMs).toISOString(),
    updatedAt: new Date(p.updatedAtMs).toISOString(),
    idempotencyKey: p.idempotencyKey,
  };
  if (p.allocations) {
    v.allocations = p.allocations.map((a, i) => ({
      client: a.client,
      targetQty: a.targetQty,
      filledQty: p.allocationState?.allocatedQty[i] ?? 0,
      avgPrice: v.avgPrice,
    }));
  }
  if (detail) {
    v.children = p.childIds.map((id) => {
      const c = children(id);
      return {
        id: c.id,
        symbol: c.symbol,
        side: c.side,
        qty: c.qty,
        filledQty: c.filledQty,
        limitPrice: c.priceTicks === undefined ? undefined : ticksToPrice(inst, c.priceTicks),
        status: c.status === 'pending_replace' ? 'working' : c.status,
        brokerOrderId: c.brokerOrderId,
        createdAt: new Date(c.createdAtMs).toISOString(),
      };
    });
    v.fills = fills.map((f) => ({
      id: f.tradeId,
      childId: f.childId,
      qty: f.qty,
      price: ticksToPrice(inst, f.priceTicks),
      time: new Date(f.timeMs).toISOString(),
      feesBrl: f.feesCentavos / 100,
    }));
    const sideSign = p.side === 'buy' ? 1 : -1;
    v.metrics = {
      arrivalPrice: p.arrivalTicks === undefined ? undefined : ticksToPrice(inst, p.arrivalTicks),
      avgPrice: p.filledQty > 0 ? v.avgPrice : undefined,
      slippageVsArrivalBps:
        p.filledQty > 0 && p.arrivalTicks
          ? Math.round(((sideSign * (avgTicks - p.arrivalTicks)) / p.arrivalTicks) * 1e4 * 100) / 100
          : undefined,
      feesBrl: p.feesCentavos / 100,
    };
  }
  return v;
}
