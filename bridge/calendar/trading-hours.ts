/**
 * B3 session phases per segment, from data (bridge/calendar/data/trading-hours.json).
 *
 * Hours are data because B3 moves them twice a year with US daylight saving time and announces
 * each move by circular; a code change for every circular would be the wrong depth. The data names
 * phase grids once and lists, per segment, which grid holds over which date range, plus the grid
 * of special sessions (Ash Wednesday opens at 13:00). Which days are special comes from the trading
 * calendar, so the two data files never have to agree on Easter.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { BusinessCalendar } from './business-calendar.js';
import { addCalendarDays, assertIsoDate, saoPauloDateAndMinute } from './iso-date.js';

export const SEGMENTS = ['equities', 'futures', 'futures_fx'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** What an order may do now: rest in the book and trade, rest for an auction, or nothing. */
export type SessionPhase = 'open' | 'auction' | 'closed';

const PHASE_MEANING = {
  // Offer cancellation before the opening call: B3 accepts cancels only.
  cancellation: 'closed',
  pre_open: 'auction',
  continuous: 'open',
  closing_call: 'auction',
} as const satisfies Record<string, SessionPhase>;
export type PhaseName = keyof typeof PHASE_MEANING;

const clockSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:mm');
const isoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use yyyy-mm-dd');

const phaseSchema = z.strictObject({
  phase: z.enum(Object.keys(PHASE_MEANING) as [PhaseName, ...PhaseName[]]),
  start: clockSchema,
  end: clockSchema,
});

const segmentSchema = z.strictObject({
  description: z.string(),
  schedules: z
    .array(
      z.strictObject({
        validFrom: isoDateSchema,
        validTo: isoDateSchema,
        grid: z.string(),
        basis: z.string(),
      }),
    )
    .min(1),
  specialSessions: z.strictObject({ late_open: z.string() }),
});

const tradingHoursSchema = z.strictObject({
  timeZone: z.literal('America/Sao_Paulo'),
  description: z.string(),
  maintenance: z.string(),
  sources: z.array(z.string()),
  grids: z.record(z.string(), z.array(phaseSchema).min(1)),
  segments: z.strictObject({
    equities: segmentSchema,
    futures: segmentSchema,
    futures_fx: segmentSchema,
  }),
});

export type TradingHoursData = z.infer<typeof tradingHoursSchema>;

/** One phase of a day, in minutes since São Paulo midnight, [startMinute, endMinute). */
export interface DayPhase {
  phase: PhaseName;
  startMinute: number;
  endMinute: number;
}

function minuteOf(clock: string): number {
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}

export class TradingHours {
  private readonly grids = new Map<string, DayPhase[]>();

  private constructor(private readonly data: TradingHoursData) {
    for (const [name, phases] of Object.entries(data.grids)) {
      const day = phases.map((p) => ({ phase: p.phase, startMinute: minuteOf(p.start), endMinute: minuteOf(p.end) }));
      day.forEach((p, i) => {
        const prevEnd = i > 0 ? day[i - 1].endMinute : 0;
        if (p.startMinute >= p.endMinute || p.startMinute < prevEnd) {
          throw new Error(`grade ${name}: fases devem ser crescentes e sem sobreposição (${phases[i].start})`);
        }
      });
      this.grids.set(name, day);
    }
    for (const segment of SEGMENTS) {
      const seg = data.segments[segment];
      seg.schedules.forEach((s, i) => {
        assertIsoDate(s.validFrom);
        assertIsoDate(s.validTo);
        if (s.validFrom > s.validTo) throw new Error(`${segment}: validFrom ${s.validFrom} > validTo ${s.validTo}`);
        // Contiguous ranges: a gap would be a day with no hours at all, found only on that day.
        if (i > 0 && addCalendarDays(seg.schedules[i - 1].validTo, 1) !== s.validFrom) {
          throw new Error(`${segment}: ${s.validFrom} não segue ${seg.schedules[i - 1].validTo}`);
        }
        this.requireGrid(s.grid);
      });
      this.requireGrid(seg.specialSessions.late_open);
    }
  }

  static fromData(raw: unknown): TradingHours {
    return new TradingHours(tradingHoursSchema.parse(raw));
  }

  static fromFile(path: string | URL): TradingHours {
    return TradingHours.fromData(JSON.parse(readFileSync(path, 'utf8')));
  }

  private requireGrid(name: string): DayPhase[] {
    const grid = this.grids.get(name);
    if (!grid) throw new Error(`grade de horário desconhecida: ${name}`);
    return grid;
  }

  /** The dates every segment has hours for: [first, last], inclusive. */
  coverage(): { first: string; last: string } {
    let first = '';
    let last = '9999-12-31';
    for (const segment of SEGMENTS) {
      const sch = this.data.segments[segment].schedules;
      if (sch[0].validFrom > first) first = sch[0].validFrom;
      if (sch[sch.length - 1].validTo < last) last = sch[sch.length - 1].validTo;
    }
    return { first, last };
  }

  /**
   * The phases of a segment on a date, or [] when the B3 calendar has no session that day.
   * Throws when the date lies outside the hours' schedules.
   */
  phasesOn(segment: Segment, isoDate: string, calendar: BusinessCalendar): DayPhase[] {
    if (!calendar.isBusinessDay(isoDate)) return [];
    const seg = this.data.segments[segment];
    const special = calendar.specialSession(isoDate);
    if (special) return this.requireGrid(seg.specialSessions[special.kind]);
    const schedule = seg.schedules.find((s) => s.validFrom <= isoDate && isoDate <= s.validTo);
    if (!schedule) {
      throw new RangeError(`sem horário de ${segment} para ${isoDate}: atualize bridge/calendar/data/trading-hours.json`);
    }
    return this.requireGrid(schedule.grid);
  }

  sessionPhase(segment: Segment, timeMs: number, calendar: BusinessCalendar): SessionPhase {
    const { isoDate, minuteOfDay } = saoPauloDateAndMinute(timeMs);
    const current = this.phasesOn(segment, isoDate, calendar).find(
      (p) => p.startMinute <= minuteOfDay && minuteOfDay < p.endMinute,
    );
    return current ? PHASE_MEANING[current.phase] : 'closed';
  }
}

let committed: TradingHours | undefined;

/** The trading hours from the committed data, read once. */
export function tradingHours(): TradingHours {
  committed ??= TradingHours.fromFile(new URL('./data/trading-hours.json', import.meta.url));
  return committed;
}

/** Session phase of a segment at an instant, per the committed hours and the given B3 calendar. */
export function sessionPhase(segment: Segment, timeMs: number, calendar: BusinessCalendar): SessionPhase {
  return tradingHours().sessionPhase(segment, timeMs, calendar);
}

/** Futures roots and the segment whose hours they follow. */
const FUTURES_SEGMENT_BY_ROOT: Record<string, Segment> = {
  IND: 'futures',
  WIN: 'futures',
  DOL: 'futures_fx',
  WDO: 'futures_fx',
};

/** The instrument as far as its hours go: calendars sit below the instrument model and know only these two fields. */
export interface HoursSubject {
  kind: string;
  symbol: string;
}

export function segmentOf(instrument: HoursSubject): Segment {
  switch (instrument.kind) {
    case 'stock':
    case 'fractional':
      return 'equities';
    case 'future': {
      const segment = FUTURES_SEGMENT_BY_ROOT[instrument.symbol.slice(0, 3)];
      if (segment) return segment;
      break;
    }
    case 'option':
      // Listed options have their own grid (10:05 open, call to 18:15) that the data does not carry yet.
      break;
  }
  throw new Error(`sem segmento de horário para ${instrument.symbol} (${instrument.kind})`);
}
