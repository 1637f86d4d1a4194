/**
 * An order's progress as chart series: cumulative filled quantity from its fills, against the
 * algo's cumulative schedule when it has one (TWAP/VWAP). Pure, so the chart only draws.
 */
import type { OrderView } from '../../../common/types.js';

export interface ProgressPoint {
  /** Epoch ms. */
  t: number;
  qty: number;
}

export interface ProgressSeries {
  filled: ProgressPoint[];
  /** Absent when the order has no schedule: the chart then shows filled progress only. */
  target?: ProgressPoint[];
  /** Time span to draw: from acceptance to the schedule's end or now, whichever is later. */
  fromMs: number;
  toMs: number;
  totalQty: number;
}

/** Points kept per series: an algo with thousands of fills is drawn from a bounded sample. */
export const MAX_PROGRESS_POINTS = 500;

export function progressSeries(order: Pick<OrderView, 'createdAt' | 'updatedAt' | 'qty' | 'status' | 'fills' | 'schedule'>, nowMs: number): ProgressSeries {
  const fromMs = Date.parse(order.createdAt);
  const fills = [...(order.fills ?? [])].map((f) => ({ t: Date.parse(f.time), qty: f.qty })).filter((f) => Number.isFinite(f.t)).sort((a, b) => a.t - b.t);
  const filled: ProgressPoint[] = [{ t: fromMs, qty: 0 }];
  let cum = 0;
  for (const f of fills) {
    cum += f.qty;
    filled.push({ t: Math.max(f.t, fromMs), qty: cum });
  }
  const target = order.schedule?.length
    ? order.schedule
        .map((p) => ({ t: Date.parse(p.t), qty: p.targetQty }))
        .filter((p) => Number.isFinite(p.t))
        .sort((a, b) => a.t - b.t)
    : undefined;
  // A working order's line runs on to now; a finished one stops at its last change.
  const open = ['pending_new', 'working', 'partially_filled', 'pending_cancel', 'paused'].includes(order.status);
  const endMs = open ? Math.max(nowMs, filled[filled.length - 1]!.t) : Math.max(Date.parse(order.updatedAt) || fromMs, filled[filled.length - 1]!.t);
  if (endMs > filled[filled.length - 1]!.t) filled.push({ t: endMs, qty: cum });
  const toMs = Math.max(endMs, target?.[target.length - 1]?.t ?? endMs, fromMs + 1_000);
  return { filled: thin(filled), target: target && target.length ? thin(target) : undefined, fromMs, toMs, totalQty: order.qty };
}

/** Keeps the first and last points and an even sample between (a cumulative line keeps its shape). */
function thin(points: ProgressPoint[]): ProgressPoint[] {
  if (points.length <= MAX_PROGRESS_POINTS) return points;
  const step = (points.length - 1) / (MAX_PROGRESS_POINTS - 1);
  return Array.from({ length: MAX_PROGRESS_POINTS }, (_, i) => points[Math.round(i * step)]!);
}
