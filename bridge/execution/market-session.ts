/**
 * The session as algos see it: the phase of a symbol now (pre-open, auction, continuous, closing
 * call, closed) and the continuous-trading windows of a day, so schedules skip auctions instead of
 * trading into them. Two sources: B3's calendar and hours (data), or the demo market that is open
 * whenever the bridge runs.
 */
import { DateTime } from 'luxon';
import { b3Calendar, type BusinessCalendar } from '../calendar/business-calendar.js';
import { saoPauloDate, saoPauloDay } from '../calendar/iso-date.js';
import { segmentOf, tradingHours, type TradingHours } from '../calendar/trading-hours.js';
import type { Instrument } from '../model/instrument.js';

export type AlgoPhase = 'pre_open' | 'auction' | 'continuous' | 'closing_call' | 'closed';

export const ZONE = 'America/Sao_Paulo';

export interface MarketSession {
  phase(inst: Instrument, timeMs: number): AlgoPhase;
  /** Continuous-trading intervals [startMs, endMs) that overlap [fromMs, toMs), clipped to it. */
  continuousWindows(inst: Instrument, fromMs: number, toMs: number): Array<[number, number]>;
  /** End of the continuous session of the day of `timeMs` (the default end of a schedule), or undefined when no session. */
  closeMs(inst: Instrument, timeMs: number): number | undefined;
  /**
   * The first instant after `timeMs` at which `phase` may answer differently (the next phase
   * boundary, else the next midnight); absent when the session cannot tell (the caller polls).
   */
  nextChangeMs?(inst: Instrument, timeMs: number): number;
}

function spMidnightMs(isoDate: string): number {
  return DateTime.fromISO(isoDate, { zone: ZONE }).startOf('day').toMillis();
}

/** Demo market: always continuous; a day's "close" is the end of the São Paulo day. */
export const DEMO_SESSION: MarketSession = {
  phase: () => 'continuous',
  continuousWindows: (_inst, fromMs, toMs) => (toMs > fromMs ? [[fromMs, toMs]] : []),
  closeMs: (_inst, timeMs) => DateTime.fromMillis(timeMs, { zone: ZONE }).plus({ days: 1 }).startOf('day').toMillis(),
};

/** Longest schedule window the session is asked about, in days (a TWAP lives within one day; this only bounds loops). */
const MAX_WINDOW_DAYS = 7;

export function b3Session(hours: TradingHours = tradingHours(), calendar: BusinessCalendar = b3Calendar()): MarketSession {
  const dayPhases = (inst: Instrument, isoDate: string) => {
    try {
      return hours.phasesOn(segmentOf(inst), isoDate, calendar);
    } catch {
      // Outside the calendar's data, or an instrument without a grid: fail closed.
      return [];
    }
  };
  // Algos ask for the phase on every market event: the São Paulo day (its bounds and phase grid) is
  // worked out once per segment and day, so a phase is a range check, not two time-zone conversions.
  const days = new Map<string, { fromMs: number; toMs: number; phases: ReturnType<typeof dayPhases> }>();
  const dayOf = (inst: Instrument, timeMs: number) => {
    let seg = '';
    try {
      seg = segmentOf(inst);
    } catch {
      // No grid for this instrument: dayPhases gives it none (closed), under the '' key.
    }
    let d = days.get(seg);
    if (!d || timeMs < d.fromMs || timeMs >= d.toMs) {
      const day = saoPauloDay(timeMs);
      d = { fromMs: day.startMs, toMs: day.endMs, phases: dayPhases(inst, day.date) };
      days.set(seg, d);
    }
    return d;
  };
  return {
    phase(inst, timeMs) {
      const d = dayOf(inst, timeMs);
      const minute = (timeMs - d.fromMs) / 60_000;
      const p = d.phases.find((x) => x.startMinute <= minute && minute < x.endMinute);
      if (!p || p.phase === 'cancellation') return 'closed';
      return p.phase === 'pre_open' ? 'pre_open' : p.phase === 'closing_call' ? 'closing_call' : 'continuous';
    },
    nextChangeMs(inst, timeMs) {
      const d = dayOf(inst, timeMs);
      const minute = (timeMs - d.fromMs) / 60_000;
      let next = Number.POSITIVE_INFINITY;
      for (const p of d.phases) {
        if (p.startMinute > minute && p.startMinute < next) next = p.startMinute;
        if (p.endMinute > minute && p.endMinute < next) next = p.endMinute;
      }
      return next === Number.POSITIVE_INFINITY ? d.toMs : Math.min(d.toMs, d.fromMs + next * 60_000);
    },
    continuousWindows(inst, fromMs, toMs) {
      const out: Array<[number, number]> = [];
      let day = saoPauloDate(fromMs);
      for (let i = 0; i < MAX_WINDOW_DAYS; i++) {
        const midnight = spMidnightMs(day);
        if (midnight >= toMs) break;
        for (const p of dayPhases(inst, day)) {
          if (p.phase !== 'continuous') continue;
          const s = Math.max(fromMs, midnight + p.startMinute * 60_000);
          const e = Math.min(toMs, midnight + p.endMinute * 60_000);
          if (e > s) out.push([s, e]);
        }
        day = DateTime.fromISO(day, { zone: ZONE }).plus({ days: 1 }).toISODate()!;
      }
      return out;
    },
    closeMs(inst, timeMs) {
      const day = saoPauloDate(timeMs);
      const cont = dayPhases(inst, day).filter((p) => p.phase === 'continuous');
      if (cont.length === 0) return undefined;
      return spMidnightMs(day) + cont[cont.length - 1].endMinute * 60_000;
    },
  };
}
