/**
 * Intraday volume profiles for the VWAP algo: per symbol, the median share of a session's volume in
 * each 5-minute bucket (São Paulo time) over the last N sessions stored, continuous trading only; the
 * auctions' shares apart (known only from times & trades, whose aggressor says `Leilão`).
 *
 * The source is the finest data stored: 1-minute candles, else 5-minute candles, else trades. A dated
 * future without data of its own uses its continuous series (WINZ26 → WINFUT). No data: undefined, and
 * the algo falls back to its U-shaped default.
 */
import type { SeriesInterval, VolumeProfile } from '../../common/marketdata.js';
import { b3Calendar } from '../calendar/business-calendar.js';
import { tradingHours, type DayPhase, type Segment } from '../calendar/trading-hours.js';
import { profileFromBuckets, U_PROFILE_SOURCE, type VolumeProfile as AlgoVolumeProfile, type VolumeProfileSource } from '../execution/algos/schedule.js';
import type { MarketDb } from './market-db.js';
import { saoPauloDayRangeMs } from './sp-instant.js';
import { AGGRESSOR } from './import/profit-fields.js';

export const DEFAULT_PROFILE_SESSIONS = 20;
const MAX_PROFILE_SESSIONS = 250;
const BUCKET_MINUTES = 5;
const MAX_ROWS_PER_SESSION = 2_000_000;

/** Profiles as the API serves them (shares per bucket). */
export interface VolumeProfileReader {
  /** `beforeDay` (yyyy-mm-dd): only sessions before it, as a backtest on that day would have known them. */
  volumeProfile(symbol: string, sessions?: number, beforeDay?: string): VolumeProfile | undefined;
}

/**
 * The VWAP algo's profile port served from the database: a symbol's measured profile where there is
 * one, the U-shaped default where there is not.
 */
export function vwapProfileSource(
  reader: VolumeProfileReader,
  fallback: VolumeProfileSource = U_PROFILE_SOURCE,
  options: { asOfDay?: boolean } = {},
): VolumeProfileSource {
  const built = new WeakMap<VolumeProfile, AlgoVolumeProfile | undefined>();
  return {
    profile(symbol, isoDate) {
      // Live: the latest sessions stored. A backtest: only the sessions before the day it plans (no look-ahead).
      const p = reader.volumeProfile(symbol, DEFAULT_PROFILE_SESSIONS, options.asOfDay ? isoDate : undefined);
      if (!p) return fallback.profile(symbol, isoDate);
      if (!built.has(p)) {
        const buckets = p.shares.filter((b) => b.share > 0).map((b) => ({ minute: minuteOfDay(b.start), weight: b.share }));
        built.set(p, buckets.length > 0 ? profileFromBuckets({ bucketMinutes: p.bucketMinutes, buckets }) : undefined);
      }
      return built.get(p) ?? fallback.profile(symbol, isoDate);
    },
  };
}

function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function segmentOfSymbol(symbol: string): Segment {
  const root = symbol.slice(0, 3);
  if (root === 'WIN' || root === 'IND') return 'futures';
  if (root === 'WDO' || root === 'DOL') return 'futures_fx';
  return 'equities';
}

function localMinute(ms: number, dayStartMs: number): number {
  return Math.floor((ms - dayStartMs) / 60_000);
}

function phaseAt(phases: DayPhase[], minute: number): DayPhase['phase'] | undefined {
  return phases.find((p) => p.startMinute <= minute && minute < p.endMinute)?.phase;
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface SessionVolume {
  buckets: Map<number, number>;
  continuous: number;
  opening: number;
  closing: number;
}

export class MarketVolumeProfiles implements VolumeProfileReader {
  private readonly cache = new Map<string, { version: string; profile: VolumeProfile | undefined }>();

  constructor(private readonly db: MarketDb) {}

  volumeProfile(symbol: string, sessions = DEFAULT_PROFILE_SESSIONS, beforeDay?: string): VolumeProfile | undefined {
    const n = Math.max(1, Math.min(MAX_PROFILE_SESSIONS, Math.floor(sessions)));
    const sym = symbol.toUpperCase();
    const own = this.profileOf(sym, n, beforeDay);
    if (own) return own;
    const continuous = /^([A-Z]{3})[FGHJKMNQUVXZ]\d{2}$/.exec(sym);
    return continuous ? this.profileOf(`${continuous[1]}FUT`, n, beforeDay) : undefined;
  }

  private profileOf(symbol: string, sessions: number, beforeDay?: string): VolumeProfile | undefined {
    const found = (['1m', '5m', 'trades'] as SeriesInterval[])
      .map((interval) => ({ interval, info: this.db.series().find((s) => s.symbol === symbol && s.interval === interval) }))
      .find((x) => x.info && x.info.rows > 0);
    if (!found?.info) return undefined;
    const version = `${found.interval}:${found.info.rows}:${found.info.lastMs}:${sessions}`;
    const key = `${symbol}:${sessions}:${beforeDay ?? ''}`;
    const hit = this.cache.get(key);
    if (hit?.version === version) return hit.profile;
    // Bounded: a backtest asks once per symbol and day it plans a VWAP on.
    if (this.cache.size > 10_000) this.cache.clear();
    const profile = this.compute(symbol, found.interval, found.info.id, sessions, beforeDay);
    this.cache.set(key, { version, profile });
    return profile;
  }

  private compute(symbol: string, interval: SeriesInterval, seriesId: number, sessions: number, beforeDay?: string): VolumeProfile | undefined {
    const stored = this.db.daysOf(seriesId);
    const days = (beforeDay === undefined ? stored : stored.filter((d) => d < beforeDay)).slice(-sessions);
    const segment = segmentOfSymbol(symbol);
    const vols: SessionVolume[] = [];
    for (const day of days) {
      let phases: DayPhase[] = [];
      try {
        phases = tradingHours().phasesOn(segment, day, b3Calendar());
      } catch {
        phases = []; // a date outside the calendar's years: every bucket counts as continuous
      }
      const { fromMs, toMs } = saoPauloDayRangeMs(day);
      const v: SessionVolume = { buckets: new Map(), continuous: 0, opening: 0, closing: 0 };
      const add = (ms: number, qty: number, auction: boolean) => {
        const minute = localMinute(ms, fromMs);
        const phase = phases.length ? phaseAt(phases, minute) : 'continuous';
        const noon = 12 * 60;
        if (auction || phase === 'pre_open' || phase === 'closing_call') {
          if (minute < noon) v.opening += qty;
          else v.closing += qty;
          return;
        }
        const b = minute - (minute % BUCKET_MINUTES);
        v.buckets.set(b, (v.buckets.get(b) ?? 0) + qty);
        v.continuous += qty;
      };
      if (interval === 'trades') {
        for (const t of this.db.trades(symbol, fromMs, toMs, MAX_ROWS_PER_SESSION)) add(t.timeMs, t.qty, t.aggressor === AGGRESSOR.auction);
      } else {
        for (const c of this.db.candles(symbol, interval, fromMs, toMs, MAX_ROWS_PER_SESSION)) add(c.startMs, c.qty, false);
      }
      if (v.continuous > 0) vols.push(v);
    }
    if (vols.length === 0) return undefined;
    const starts = [...new Set(vols.flatMap((v) => [...v.buckets.keys()]))].sort((a, b) => a - b);
    const med = starts.map((b) => median(vols.map((v) => (v.buckets.get(b) ?? 0) / v.continuous)));
    const total = med.reduce((a, b) => a + b, 0);
    const shares = starts.map((b, i) => ({ start: hhmm(b), share: total > 0 ? med[i] / total : 1 / starts.length }));
    const profile: VolumeProfile = { bucketMinutes: 5, shares, sessions: vols.length, source: `${symbol} ${interval}` };
    if (interval === 'trades') {
      const day = (v: SessionVolume) => v.continuous + v.opening + v.closing;
      profile.auctions = { opening: median(vols.map((v) => v.opening / day(v))), closing: median(vols.map((v) => v.closing / day(v))) };
    }
    return profile;
  }
}
