/**
 * B3 business-day calendars, loaded from data (bridge/calendar/data/*.json, written by
 * generate-holidays.ts). Two instances matter and must not be mixed up:
 *   - the trading calendar: days with a pregão (risk gate, algos, session phases);
 *   - the settlement calendar: days on which cash and securities move (D+1, D+2).
 * They differ on 24 and 31 December (no session, but settlement runs).
 *
 * Outside the years the data covers every method throws: silently treating 2031 as "weekdays only"
 * would settle trades on holidays nobody listed.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { addCalendarDays, assertIsoDate, isWeekend, yearOf } from './iso-date.js';

const isoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use yyyy-mm-dd');

const holidaySchema = z.strictObject({ date: isoDateSchema, name: z.string().min(1) });

/** A trading day with a shortened session; trading-hours.json maps each kind to its phases. */
const specialSessionSchema = z.strictObject({
  date: isoDateSchema,
  name: z.string().min(1),
  kind: z.enum(['late_open']),
});

const calendarDataSchema = z.strictObject({
  calendar: z.enum(['trading', 'settlement']),
  description: z.string(),
  generatedBy: z.string(),
  firstYear: z.number().int(),
  lastYear: z.number().int(),
  sources: z.array(z.string()),
  holidays: z.array(holidaySchema),
  specialSessions: z.array(specialSessionSchema),
});

export type Holiday = z.infer<typeof holidaySchema>;
export type SpecialSession = z.infer<typeof specialSessionSchema>;
export type SpecialSessionKind = SpecialSession['kind'];
export type CalendarData = z.infer<typeof calendarDataSchema>;
export type CalendarKind = CalendarData['calendar'];

export class CalendarRangeError extends RangeError {}

export class BusinessCalendar {
  readonly kind: CalendarKind;
  readonly firstYear: number;
  readonly lastYear: number;
  private readonly holidays: Map<string, Holiday>;
  private readonly specialSessions: Map<string, SpecialSession>;

  private constructor(data: CalendarData) {
    this.kind = data.calendar;
    this.firstYear = data.firstYear;
    this.lastYear = data.lastYear;
    this.holidays = new Map(data.holidays.map((h) => [h.date, h]));
    this.specialSessions = new Map(data.specialSessions.map((s) => [s.date, s]));
  }

  /** Validates the data (shape, real dates, within the years, no date twice) and builds the calendar. */
  static fromData(raw: unknown): BusinessCalendar {
    const data = calendarDataSchema.parse(raw);
    if (data.firstYear > data.lastYear) throw new Error(`calendário ${data.calendar}: firstYear > lastYear`);
    for (const list of [data.holidays, data.specialSessions]) {
      const seen = new Set<string>();
      for (const { date } of list) {
        assertIsoDate(date);
        const y = yearOf(date);
        if (y < data.firstYear || y > data.lastYear) {
          throw new Error(`calendário ${data.calendar}: ${date} fora de ${data.firstYear}-${data.lastYear}`);
        }
        if (seen.has(date)) throw new Error(`calendário ${data.calendar}: ${date} repetida`);
        seen.add(date);
      }
    }
    return new BusinessCalendar(data);
  }

  static fromFile(path: string | URL): BusinessCalendar {
    return BusinessCalendar.fromData(JSON.parse(readFileSync(path, 'utf8')));
  }

  private checkRange(isoDate: string): void {
    assertIsoDate(isoDate);
    const y = yearOf(isoDate);
    if (y < this.firstYear || y > this.lastYear) {
      throw new CalendarRangeError(
        `calendário ${this.kind} cobre ${this.firstYear}-${this.lastYear}; ${isoDate} está fora ` +
          '(rode bridge/calendar/generate-holidays.ts com mais anos)',
      );
    }
  }

  isBusinessDay(isoDate: string): boolean {
    this.checkRange(isoDate);
    return !isWeekend(isoDate) && !this.holidays.has(isoDate);
  }

  /** The holiday on that date, if any (weekends are not holidays). */
  holiday(isoDate: string): Holiday | undefined {
    this.checkRange(isoDate);
    return this.holidays.get(isoDate);
  }

  specialSession(isoDate: string): SpecialSession | undefined {
    this.checkRange(isoDate);
    return this.specialSessions.get(isoDate);
  }

  /** The first business day strictly after the date. */
  nextBusinessDay(isoDate: string): string {
    let d = addCalendarDays(isoDate, 1);
    while (!this.isBusinessDay(d)) d = addCalendarDays(d, 1);
    return d;
  }

  /**
   * The date n business days after `isoDate` (D+n), counting only days strictly after it, so a
   * trade on any day settles on the n-th business day that follows. n = 0 returns the date itself.
   */
  addBusinessDays(isoDate: string, n: number): string {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`número de dias úteis inválido: ${n}`);
    this.checkRange(isoDate);
    let d = isoDate;
    for (let i = 0; i < n; i++) d = this.nextBusinessDay(d);
    return d;
  }
}

const DATA_DIR = new URL('./data/', import.meta.url);

function loadCommitted(kind: CalendarKind): BusinessCalendar {
  const cal = BusinessCalendar.fromFile(new URL(`${kind}-calendar.json`, DATA_DIR));
  // A swapped file would settle on days without a session or the reverse, silently.
  if (cal.kind !== kind) throw new Error(`${kind}-calendar.json contém o calendário ${cal.kind}`);
  return cal;
}

let trading: BusinessCalendar | undefined;
let settlement: BusinessCalendar | undefined;

/** The B3 trading calendar from the committed data, read once. */
export function tradingCalendar(): BusinessCalendar {
  trading ??= loadCommitted('trading');
  return trading;
}

/** The settlement (bank) calendar from the committed data, read once. */
export function settlementCalendar(): BusinessCalendar {
  settlement ??= loadCommitted('settlement');
  return settlement;
}
