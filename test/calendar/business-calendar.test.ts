import { saoPauloDayRangeMs } from '../../bridge/marketdata/sp-instant.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b3Calendar, BusinessCalendar } from '../../bridge/calendar/business-calendar.js';
import { easterSunday, isoDate } from '../../bridge/calendar/holiday-rules.js';
import { DateTime } from 'luxon';
import { addCalendarDays, InvalidDateError, isWeekend, saoPauloDate, saoPauloDay } from '../../bridge/calendar/iso-date.js';

const cal = b3Calendar();
const weekdayHolidays = (year: number) => cal.weekdayHolidays(year).map((h) => h.date);

describe('holiday rules', () => {
  it('computes Easter Sunday', () => {
    expect([2024, 2025, 2026, 2027, 2028, 2029, 2030, 2035].map(easterSunday)).toEqual([
      '2024-03-31',
      '2025-04-20',
      '2026-04-05',
      '2027-03-28',
      '2028-04-16',
      '2029-04-01',
      '2030-04-21',
      '2035-03-25',
    ]);
  });

  it('matches the B3 2025 calendar on weekdays', () => {
    expect(weekdayHolidays(2025)).toEqual([
      '2025-01-01', '2025-03-03', '2025-03-04', '2025-04-18', '2025-04-21', '2025-05-01',
      '2025-06-19', '2025-11-20', '2025-12-24', '2025-12-25', '2025-12-31',
    ]);
  });

  it('matches the B3 2026 calendar on weekdays', () => {
    expect(weekdayHolidays(2026)).toEqual([
      '2026-01-01', '2026-02-16', '2026-02-17', '2026-04-03', '2026-04-21', '2026-05-01', '2026-06-04',
      '2026-09-07', '2026-10-12', '2026-11-02', '2026-11-20', '2026-12-24', '2026-12-25', '2026-12-31',
    ]);
    expect(cal.holiday('2026-04-03')?.name).toBe('Paixão de Cristo');
  });

  it('closes on Carnival 2026 (16-17 Feb) and opens late on Ash Wednesday', () => {
    expect(cal.isBusinessDay('2026-02-13')).toBe(true);
    expect(cal.isBusinessDay('2026-02-16')).toBe(false);
    expect(cal.isBusinessDay('2026-02-17')).toBe(false);
    expect(cal.isBusinessDay('2026-02-18')).toBe(true);
    expect(cal.specialSession('2026-02-18')?.kind).toBe('late_open');
    expect(cal.specialSession('2026-02-19')).toBeUndefined();
    expect(cal.nextBusinessDay('2026-02-13')).toBe('2026-02-18');
  });

  it('closes the last weekday of the year when 31 December falls on a weekend', () => {
    expect(cal.isBusinessDay('2028-12-29')).toBe(false);
    expect(cal.isBusinessDay('2028-12-28')).toBe(true);
  });

  it('closes on 20 November from 2024 on only', () => {
    expect(cal.isBusinessDay('2024-11-20')).toBe(false);
    expect(cal.isBusinessDay('2023-11-20')).toBe(true);
  });

  it('answers for years no published calendar covers (end of 2030, 2035, 2099)', () => {
    expect(cal.addBusinessDays('2030-12-30', 2)).toBe('2031-01-03');
    expect(weekdayHolidays(2035)).toContain('2035-03-23'); // Good Friday
    expect(cal.isBusinessDay('2035-02-05')).toBe(false); // Carnival Monday
    expect(cal.isBusinessDay('2099-12-31')).toBe(false);
  });
});

describe('settlement counts B3 days (no settlement on 24 and 31 December)', () => {
  it('a stock bought on Tue 22/12/2026 settles D+2 on Mon 28/12/2026', () => {
    expect(cal.addBusinessDays('2026-12-22', 2)).toBe('2026-12-28');
  });

  it('a futures adjustment for a trade on Wed 23/12/2026 is paid D+1 on Mon 28/12/2026', () => {
    expect(cal.addBusinessDays('2026-12-23', 1)).toBe('2026-12-28');
  });

  it('the last session of 2026 is Wed 30/12; its D+1 is Mon 04/01/2027', () => {
    expect(cal.isBusinessDay('2026-12-30')).toBe(true);
    expect(cal.isBusinessDay('2026-12-31')).toBe(false);
    expect(cal.addBusinessDays('2026-12-30', 1)).toBe('2027-01-04');
    expect(cal.addBusinessDays('2026-12-30', 2)).toBe('2027-01-05');
  });

  it('a stock bought Thu 19 Nov 2026 settles on Tue 24 Nov (20 Nov holiday)', () => {
    expect(cal.addBusinessDays('2026-11-19', 2)).toBe('2026-11-24');
  });

  it('skips Carnival 2026 when settling', () => {
    expect(cal.addBusinessDays('2026-02-12', 2)).toBe('2026-02-18');
  });
});

describe('any year (property)', () => {
  const year = fc.integer({ min: 1900, max: 2600 });

  it('fixed holidays, Carnival, Good Friday, Corpus Christi and 24/31 Dec are never sessions', () => {
    fc.assert(
      fc.property(year, (y) => {
        const easter = easterSunday(y);
        expect(new Date(`${easter}T00:00:00Z`).getUTCDay()).toBe(0);
        const closed = [
          isoDate(y, 1, 1), isoDate(y, 4, 21), isoDate(y, 5, 1), isoDate(y, 9, 7), isoDate(y, 10, 12),
          isoDate(y, 11, 2), isoDate(y, 11, 15), isoDate(y, 12, 24), isoDate(y, 12, 25), isoDate(y, 12, 31),
          addCalendarDays(easter, -48), addCalendarDays(easter, -47), addCalendarDays(easter, -2), addCalendarDays(easter, 60),
          ...(y >= 2024 ? [isoDate(y, 11, 20)] : []),
        ];
        for (const d of closed) expect(cal.isBusinessDay(d)).toBe(false);
        // Carnival is Monday and Tuesday, Corpus Christi a Thursday.
        expect(new Date(`${addCalendarDays(easter, -48)}T00:00:00Z`).getUTCDay()).toBe(1);
        expect(new Date(`${addCalendarDays(easter, 60)}T00:00:00Z`).getUTCDay()).toBe(4);
        // Ash Wednesday trades from 13:00.
        expect(cal.specialSession(addCalendarDays(easter, -46))?.kind).toBe('late_open');
      }),
      { numRuns: 300 },
    );
  });

  it('D+n lands on a session, after the trade date, with exactly n-1 sessions in between', () => {
    fc.assert(
      fc.property(year, fc.integer({ min: 0, max: 364 }), fc.integer({ min: 1, max: 3 }), (y, offset, n) => {
        const trade = addCalendarDays(isoDate(y, 1, 1), offset);
        const settle = cal.addBusinessDays(trade, n);
        expect(settle > trade).toBe(true);
        expect(cal.isBusinessDay(settle)).toBe(true);
        let sessions = 0;
        for (let d = addCalendarDays(trade, 1); d < settle; d = addCalendarDays(d, 1)) if (cal.isBusinessDay(d)) sessions++;
        expect(sessions).toBe(n - 1);
        // A holiday run never exceeds a long weekend plus Carnival or year-end: 8 calendar days per session at most.
        expect(new Date(settle).getTime() - new Date(trade).getTime()).toBeLessThanOrEqual(n * 8 * 86_400_000);
      }),
      { numRuns: 500 },
    );
  });
});

describe('published calendars as overrides', () => {
  const base = { description: 'x', years: [] as unknown[] };
  const src = ['https://www.b3.com.br/calendario'];

  it('an extra closure closes the day; an opened rule holiday trades', () => {
    const c = BusinessCalendar.fromData({
      ...base,
      years: [{ year: 2031, sources: src, closed: [{ date: '2031-07-09', name: 'Revolução Constitucionalista' }], open: [{ date: '2031-11-20', name: 'B3 abre' }] }],
    });
    expect(c.isBusinessDay('2031-07-09')).toBe(false);
    expect(c.holiday('2031-07-09')?.name).toBe('Revolução Constitucionalista');
    expect(c.isBusinessDay('2031-11-20')).toBe(true);
    expect(c.addBusinessDays('2031-07-08', 1)).toBe('2031-07-10');
  });

  it('refuses overrides that change nothing, dates of another year and repeated years', () => {
    const y = (o: object) => ({ year: 2031, sources: src, closed: [], open: [], ...o });
    expect(() => BusinessCalendar.fromData({ ...base, years: [y({ closed: [{ date: '2031-12-25', name: 'x' }] })] })).toThrow(/closed\[0\].*já é dia sem pregão/);
    expect(() => BusinessCalendar.fromData({ ...base, years: [y({ open: [{ date: '2031-07-09', name: 'x' }] })] })).toThrow(/open\[0\].*já é dia de pregão/);
    expect(() => BusinessCalendar.fromData({ ...base, years: [y({ closed: [{ date: '2032-07-09', name: 'x' }] })] })).toThrow(/não é de 2031/);
    expect(() => BusinessCalendar.fromData({ ...base, years: [y({}), y({})] })).toThrow(/repetido/);
    expect(() => BusinessCalendar.fromData({ ...base, extra: 1 })).toThrow();
  });
});

describe('BusinessCalendar API', () => {
  it('counts from non-business days and returns the date itself for n = 0', () => {
    expect(cal.addBusinessDays('2026-11-21', 2)).toBe('2026-11-24');
    expect(cal.addBusinessDays('2026-11-20', 0)).toBe('2026-11-20');
    expect(cal.onOrAfter('2026-12-24')).toBe('2026-12-28');
    expect(() => cal.addBusinessDays('2026-11-20', -1)).toThrow(RangeError);
    expect(() => cal.addBusinessDays('2026-11-20', 1.5)).toThrow(RangeError);
  });

  it('rejects malformed and impossible dates', () => {
    expect(() => cal.isBusinessDay('2026-02-30')).toThrow(InvalidDateError);
    expect(() => cal.isBusinessDay('26-02-20')).toThrow(InvalidDateError);
  });

  it('weekends are closed but are not holidays', () => {
    expect(isWeekend('2026-12-26')).toBe(true);
    expect(cal.isBusinessDay('2026-12-26')).toBe(false);
    expect(cal.holiday('2026-12-26')).toBeUndefined();
  });
});

describe('saoPauloDate', () => {
  it('uses the São Paulo date, not UTC', () => {
    // 02:00 UTC on the 20th is still 23:00 on the 19th in São Paulo (UTC-3).
    expect(saoPauloDate(Date.UTC(2026, 10, 20, 2, 0))).toBe('2026-11-19');
    expect(saoPauloDate(Date.UTC(2026, 10, 20, 3, 0))).toBe('2026-11-20');
  });

  it('the remembered day of any instant is luxon\'s, across Brazil\'s DST years (a midnight that did not exist included)', () => {
    const luxonDay = (ms: number) => {
      const d = DateTime.fromMillis(ms, { zone: 'America/Sao_Paulo' }).startOf('day');
      return { date: d.toISODate(), weekday: d.weekday, startMs: d.toMillis(), endMs: d.plus({ days: 1 }).startOf('day').toMillis() };
    };
    // 20 October 2013 began at 01:00 (DST): it ends at the midnight of the 21st, not at 01:00 of it;
    // the range of a date (backtests, the market database's reads) says the same.
    expect(saoPauloDayRangeMs('2013-10-20')).toEqual({ fromMs: Date.UTC(2013, 9, 20, 3), toMs: Date.UTC(2013, 9, 21, 2) });
    expect(saoPauloDayRangeMs('2018-11-03')).toEqual({ fromMs: Date.UTC(2018, 10, 3, 3), toMs: Date.UTC(2018, 10, 4, 3) });
    expect(saoPauloDay(Date.UTC(2013, 9, 21, 2, 30)).date).toBe('2013-10-21');
    expect(new Date(saoPauloDay(Date.UTC(2013, 9, 20, 12)).endMs).toISOString()).toBe('2013-10-21T02:00:00.000Z');
    // 4 November 2018: clocks went from 00:00 to 01:00, so the day starts at 01:00 (UTC-2).
    expect(saoPauloDay(Date.UTC(2018, 10, 4, 12))).toEqual(luxonDay(Date.UTC(2018, 10, 4, 12)));
    expect(new Date(saoPauloDay(Date.UTC(2018, 10, 4, 12)).startMs).toISOString()).toBe('2018-11-04T03:00:00.000Z');
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.integer({ min: -100_000, max: 100_000 }), (ms, step) => {
        // A walk back and forth around an instant, as a replay asks (the last day is remembered).
        for (const t of [ms, ms + step, ms - step, ms + 86_400_000, ms]) expect({ ...saoPauloDay(t) }).toEqual(luxonDay(t));
      }),
      { numRuns: 2_000 },
    );
    for (let t = Date.UTC(2018, 1, 17, 0); t < Date.UTC(2018, 1, 19, 0); t += 60_000) expect(saoPauloDate(t)).toBe(luxonDay(t).date);
    expect(() => saoPauloDay(Number.NaN)).toThrow(InvalidDateError);
  });
});
