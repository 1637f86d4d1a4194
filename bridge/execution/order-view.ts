/**
 * The wire view of a parent order (OrderView), with children, fills, allocation and execution
 * quality when detail is asked for. Prices leave the integer world here, once.
 */
import type { OrderView, SchedulePoint } from '../../common/types.js';
import { avgTicksToPrice, type Instrument, ticksToPrice } from '../model/instrument.js';
import type { ChildOrder, FillRecord, ParentOrder } from './orders.js';

export function orderView(
  p: ParentOrder,
  inst: Instrument,
  detail: boolean,
  children: (id: string) => ChildOrder,
  fills: readonly FillRecord[],
  extra: {
    schedule?: SchedulePoint[];
    interval?: { marketQty: number; marketCostTicksQty: number };
    /** Each fill's fee as billed now, in the order of `fills` (detail only); else what each showed when booked. */
    billedFeesCentavos?: readonly number[];
  } = {},
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
    ...(p.routedWith ? { routedWith: p.routedWith } : {}),
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
    v.fills = fills.map((f, i) => ({
      id: f.tradeId,
      childId: f.childId,
      qty: f.qty,
      price: ticksToPrice(inst, f.priceTicks),
      time: new Date(f.timeMs).toISOString(),
      feesBrl: (extra.billedFeesCentavos?.[i] ?? f.feesCentavos) / 100,
    }));
    if (extra.schedule) v.schedule = extra.schedule;
  }
  // Execution quality travels on every view, so the orders channel streams it as fills come in.
  const feesCentavos = extra.billedFeesCentavos ? extra.billedFeesCentavos.reduce((a, c) => a + c, 0) : p.feesCentavos;
  v.metrics = executionMetrics(p, inst, avgTicks, extra.interval, feesCentavos);
  return v;
}

const bps = (x: number) => Math.round(x * 1e4 * 100) / 100;

/**
 * Execution quality. Slippage is signed so that positive is worse for the order's side (a buy
 * that paid above its benchmark): side x (avg - benchmark) / benchmark in basis points. The
 * interval VWAP and participation cover the market traded in the symbol while the order worked,
 * as the bridge saw it (since acceptance, or since the bridge last started).
 */
export function executionMetrics(
  p: ParentOrder,
  inst: Instrument,
  avgTicks: number,
  interval: { marketQty: number; marketCostTicksQty: number } | undefined,
  feesCentavos: number,
): NonNullable<OrderView['metrics']> {
  const sideSign = p.side === 'buy' ? 1 : -1;
  const filled = p.filledQty > 0;
  const vwapTicks = interval && interval.marketQty > 0 ? interval.marketCostTicksQty / interval.marketQty : undefined;
  return {
    arrivalPrice: p.arrivalTicks === undefined ? undefined : avgTicksToPrice(inst, p.arrivalTicks),
    avgPrice: filled ? avgTicksToPrice(inst, avgTicks) : undefined,
    slippageVsArrivalBps: filled && p.arrivalTicks ? bps((sideSign * (avgTicks - p.arrivalTicks)) / p.arrivalTicks) : undefined,
    intervalVwap: vwapTicks === undefined ? undefined : avgTicksToPrice(inst, vwapTicks),
    slippageVsVwapBps: filled && vwapTicks ? bps((sideSign * (avgTicks - vwapTicks)) / vwapTicks) : undefined,
    participationRate: interval && interval.marketQty > 0 ? Math.round(Math.min(1, p.filledQty / interval.marketQty) * 1e4) / 1e4 : undefined,
    children: p.childIds.length,
    reprices: p.reprices ?? 0,
    feesBrl: feesCentavos / 100,
  };
}
