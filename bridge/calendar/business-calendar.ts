/**
 * The B3 calendar: which days have a session. It serves trading (risk gate, algos, session phases)
 * and settlement alike, because Câmara B3 settles stocks, options and futures adjustments only on
 * days with a session: D+n counts B3 days, and 24 and 31 December are not settlement days.
 *
 * Holidays come from rules for any year (holiday-rules.ts), corrected by the calendars B3 has
 * published (data/b3-calendar-overrides.json), so a date years ahead never throws.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { addCalendarDays, assertIsoDate, isWeekend, yearOf } from './iso-date.js';
import { ruleHolidays, ruleSpecialSessions, type Holiday, type SpecialSession } from './holiday-rules.js';

export type { Holiday, SpecialSession } from './holiday-rules.js';
export type SpecialSessionKind = SpecialSession['kind'];

const isoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use yyyy-mm-dd');
const datedSchema = z.strictObject({ date: isoDateSchema, name: z.string().min(1) });

const overridesSchema = z.strictObject({
  description: z.string(),
  years: z.array(
    z.strictObject({
      year: z.number().int(),
      sources: z.array(z.string().url()).min(1),
      closed: z.array(datedSchema),
      open: z.array(datedSchema),
    }),
  ),
});

export type CalendarOverrides = z.infer<typeof overridesSchema>;

interface YearDays {
  holidays: Map<string, Holiday>;
  specialSessions: Map<string, SpecialSession>;
}

/** Years kept computed; a calendar consulted for many years (a property test) stays bounded. */
const MAX_CACHED_YEARS = 64;

export class BusinessCalendar {
  private readonly overrides: Map<number, CalendarOverrides['years'][number]>;
  private readonly years = new Map<number, YearDays>();

  private constructor(data: CalendarOverrides) {
    this.overrides = new Map(data.years.map((y) => [y.year, y]));
  }

  /**
   * Validates the overrides and builds the calendar. An override that changes nothing (a `closed`
   * day that is already closed, an `open` day the rules keep open) is an error: it would hide a
   * typo in the date.
   */
  static fromData(raw: unknown): BusinessCalendar {
    const data = overridesSchema.parse(raw);
    const seenYears = new Set<number>();
    for (const y of data.years) {
      if (seenYears.has(y.year)) throw new Error(`calendário B3: ano ${y.year} repetido`);
      seenYears.add(y.year);
      const rules = new Set(ruleHolidays(y.year).map((h) => h.date));
      const seen = new Set<string>();
      for (const [list, what] of [[y.closed, 'closed'], [y.open, 'open']] as const) {
        list.forEach(({ date }, i) => {
          const field = `calendário B3 ${y.year}.${what}[${i}]`;
          assertIsoDate(date);
          if (yearOf(date) !== y.year) throw new Error(`${field}: ${date} não é de ${y.year}`);
          if (seen.has(date)) throw new Error(`${field}: ${date} repetida`);
          seen.add(date);
          if (what === 'closed' && (isWeekend(date) || rules.has(date))) throw new Error(`${field}: ${date} já é dia sem pregão`);
          if (what === 'open' && !rules.has(date)) throw new Error(`${field}: ${date} já é dia de pregão pelas regras`);
        });
      }
    }
    return new BusinessCalendar(data);
  }

  static fromFile(path: string | URL): BusinessCalendar {
    return BusinessCalendar.fromData(JSON.parse(readFileSync(path, 'utf8')));
  }

  private yearDays(year: number): YearDays {
    let days = this.years.get(year);
    if (days) return days;
    const override = this.overrides.get(year);
    const open = new Set(override?.open.map((o) => o.date));
    const holidays = new Map<string, Holiday>();
    for (const h of ruleHolidays(year)) if (!open.has(h.date)) holidays.set(h.date, h);
    for (const h of override?.closed ?? []) holidays.set(h.date, { date: h.date, name: h.name });
    const specialSessions = new Map(ruleSpecialSessions(year).filter((s) => !holidays.has(s.date)).map((s) => [s.date, s]));
    days = { holidays, specialSessions };
    if (this.years.size >= MAX_CACHED_YEARS) this.years.delete(this.years.keys().next().value!);
    this.years.set(year, days);
    return days;
  }

  /** A day with a B3 session: something trades and settles on it. */
  isBusinessDay(isoDate: string): boolean {
    assertIsoDate(isoDate);
    return !isWeekend(isoDate) && !this.yearDays(yearOf(isoDate)).holidays.has(isoDate);
  }

  /** The holiday on that date, if any (weekends are not holidays). */
  holiday(isoDate: string): Holiday | undefined {
    assertIsoDate(isoDate);
    return this.yearDays(yearOf(isoDate)).holidays.get(isoDate);
  }

  specialSession(isoDate: string): SpecialSession | undefined {
    assertIsoDate(isoDate);
    return this.yearDays(yearOf(isoDate)).specialSessions.get(isoDate);
  }

  /** The weekday holidays of a year, sorted (what B3's published calendar lists). */
  weekdayHolidays(year: number): Holiday[] {
    return [...this.yearDays(year).holidays.values()].filter((h) => !isWeekend(h.date)).sort((a, b) => (a.date < b.date ? -1 : 1));
  }

  /** The first business day strictly after the date. */
  nextBusinessDay(isoDate: string): string {
    // Asked for every fill and every balance (D+1, D+2): remembered per date.
    let next = this.nextDays.get(isoDate);
    if (next !== undefined) return next;
    let d = addCalendarDays(isoDate, 1);
    while (!this.isBusinessDay(d)) d = addCalendarDays(d, 1);
    if (this.nextDays.size >= 100_000) this.nextDays.clear();
    this.nextDays.set(isoDate, (next = d));
    return next;
  }

  private readonly nextDays = new Map<string, string>();

  /** The business day itself, or the first one after it. */
  onOrAfter(isoDate: string): string {
    return this.isBusinessDay(isoDate) ? isoDate : this.nextBusinessDay(isoDate);
  }

  /**
   * The date n business days after `isoDate` (D+n), counting only days strictly after it, so a
   * trade on any day settles on the n-th business day that follows. n = 0 returns the date itself.
   */
  addBusinessDays(isoDate: string, n: number): string {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`número de dias úteis inválido: ${n}`);
    if (!this.nextDays.has(isoDate)) assertIsoDate(isoDate);
    let d = isoDate;
    for (let i = 0; i < n; i++) d = this.nextBusinessDay(d);
    return d;
  }
}

let committed: BusinessCalendar | undefined;

/** The B3 calendar (rules plus the committed overrides), read once: sessions and settlement. */
export function b3Calendar(): BusinessCalendar {
  committed ??= BusinessCalendar.fromFile(new URL('./data/b3-calendar-overrides.json', import.meta.url));
  return committed;
}
