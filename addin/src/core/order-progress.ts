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

/** The shortest time axis drawn (an order filled in a second would be a vertical line). */
export const MIN_SPAN_MS = 60_000;

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
  // A working order's line runs on to now; a finished one to its last change. An order filled at
  // once still gets a readable span, its line flat at the filled quantity after the fill.
  const open = ['pending_new', 'working', 'partially_filled', 'pending_cancel', 'paused'].includes(order.status);
  const lastMs = filled[filled.length - 1]!.t;
  const endMs = open ? Math.max(nowMs, lastMs) : Math.max(Date.parse(order.updatedAt) || fromMs, lastMs);
  const toMs = Math.max(endMs, target?.[target.length - 1]?.t ?? endMs, fromMs + MIN_SPAN_MS);
  if ((open ? endMs : toMs) > lastMs) filled.push({ t: open ? endMs : toMs, qty: cum });
  return { filled: thin(filled), target: target && target.length ? thin(target) : undefined, fromMs, toMs, totalQty: order.qty };
}

/** Keeps the first and last points and an even sample between (a cumulative line keeps its shape). */
function thin(points: ProgressPoint[]): ProgressPoint[] {
  if (points.length <= MAX_PROGRESS_POINTS) return points;
  const step = (points.length - 1) / (MAX_PROGRESS_POINTS - 1);
  return Array.from({ length: MAX_PROGRESS_POINTS }, (_, i) => points[Math.round(i * step)]!);
}
