/**
 * Slice plans for TWAP and VWAP: the cumulative quantity the order should have filled by the end
 * of each slice. Pure functions of the journaled anchors, so a restart plans exactly the same.
 *
 * Time only counts inside continuous trading: auctions and closed periods carry no weight and no
 * slice starts in them. TWAP weighs every continuous minute the same; VWAP weighs each minute by
 * the symbol's volume profile (5-minute buckets). Targets are floored to the lot and the last
 * point is the whole quantity, so the plan is non-decreasing and ends exactly at the total.
 */
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { ZONE } from '../market-session.js';
import { floorToLot, type PlannedPoint } from './algo.js';

/** Relative volume of a 5-minute bucket: `weightAt(minuteOfDay)` for São Paulo minute-of-day. */
export interface VolumeProfile {
  bucketMinutes: number;
  weightAt(minuteOfDay: number): number;
}

/** Where VWAP gets a symbol's intraday profile (the market database implements it; the U-shape is the default). */
export interface VolumeProfileSource {
  profile(symbol: string, isoDate: string): VolumeProfile | undefined;
}

interface ProfileData {
  bucketMinutes: number;
  buckets: Array<{ minute: number; weight: number }>;
}

export function profileFromBuckets(data: ProfileData): VolumeProfile {
  const byMinute = new Map(data.buckets.map((b) => [b.minute, b.weight]));
  const floor = Math.min(...data.buckets.map((b) => b.weight));
  if (!(floor > 0)) throw new Error('perfil de volume: pesos devem ser positivos');
  return {
    bucketMinutes: data.bucketMinutes,
    weightAt: (minute) => byMinute.get(Math.floor(minute / data.bucketMinutes) * data.bucketMinutes) ?? floor,
  };
}

let uShape: VolumeProfile | undefined;

export function defaultUProfile(): VolumeProfile {
  uShape ??= profileFromBuckets(JSON.parse(readFileSync(new URL('./data/u-profile.json', import.meta.url), 'utf8')) as ProfileData);
  return uShape;
}

/** The default source: the U-shape for every symbol and day. */
export const U_PROFILE_SOURCE: VolumeProfileSource = { profile: () => defaultUProfile() };

export interface PlanInput {
  /** Continuous-trading windows inside [start, end), ascending and disjoint. */
  windows: ReadonlyArray<readonly [number, number]>;
  sliceMs: number;
  totalQty: number;
  lot: number;
  /** Undefined = TWAP (flat). */
  profile?: VolumeProfile;
}

export interface PlannedSlice extends PlannedPoint {
  /** When the slice starts: the decision time. `tMs` (inherited) is when it should be done. */
  startMs: number;
}

/** Most slices one order may plan (bounds memory and the published schedule). */
export const MAX_SLICES = 5_000;

export function sliceCount(windows: PlanInput['windows'], sliceMs: number): number {
  let n = 0;
  for (const [s, e] of windows) n += Math.ceil((e - s) / sliceMs);
  return n;
}

/**
 * Weight of [a, b) under the profile: exact per 5-minute bucket (bucket edges cut the interval).
 * `offsetMs` is São Paulo's UTC offset (no daylight saving since 2019), looked up once per plan.
 */
function weightOf(a: number, b: number, profile: VolumeProfile | undefined, offsetMs: number): number {
  if (!profile) return b - a;
  const bucketMs = profile.bucketMinutes * 60_000;
  let w = 0;
  let t = a;
  while (t < b) {
    const localMs = (((t + offsetMs) % 86_400_000) + 86_400_000) % 86_400_000;
    const bucketStart = Math.floor(localMs / bucketMs) * bucketMs;
    const next = Math.min(b, t + (bucketStart + bucketMs - localMs));
    w += (next - t) * profile.weightAt(bucketStart / 60_000);
    t = next;
  }
  return w;
}

export function planSlices(i: PlanInput): PlannedSlice[] {
  const spans: Array<{ startMs: number; endMs: number; w: number }> = [];
  const offsetMs = i.windows.length > 0 ? DateTime.fromMillis(i.windows[0][0], { zone: ZONE }).offset * 60_000 : 0;
  for (const [s, e] of i.windows) {
    for (let t = s; t < e; t += i.sliceMs) {
      const end = Math.min(e, t + i.sliceMs);
      spans.push({ startMs: t, endMs: end, w: weightOf(t, end, i.profile, offsetMs) });
    }
  }
  if (spans.length === 0) return [];
  const total = spans.reduce((a, x) => a + x.w, 0);
  let cum = 0;
  return spans.map((x, k) => {
    cum += x.w;
    const targetQty = k === spans.length - 1 ? i.totalQty : floorToLot((i.totalQty * cum) / total, i.lot);
    return { startMs: x.startMs, tMs: x.endMs, targetQty };
  });
}

/** Index of the slice in force at `nowMs` (the last that has started), or -1 before the first. */
export function sliceAt(plan: readonly PlannedSlice[], nowMs: number): number {
  let lo = 0;
  let hi = plan.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (plan[mid].startMs <= nowMs) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
