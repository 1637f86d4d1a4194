import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BusinessCalendar,
  CalendarRangeError,
  settlementCalendar,
  tradingCalendar,
} from '../../bridge/calendar/business-calendar.js';
import { buildCalendars, easterSunday } from '../../bridge/calendar/generate-holidays.js';
import { addCalendarDays, InvalidDateError, isWeekend, saoPauloDate } from '../../bridge/calendar/iso-date.js';

const trading = tradingCalendar();
const settlement = settlementCalendar();

function weekdayHolidays(cal: BusinessCalendar, year: number): string[] {
  const out: string[] = [];
  for (let d = `${year}-01-01`; d.startsWith(String(year)); d = addCalendarDays(d, 1)) {
    if (!isWeekend(d) && cal.holiday(d)) out.push(d);
  }
  return out;
}

describe('generated calendar data', () => {
  it('computes Easter Sunday', () => {
    expect([2024, 2025, 2026, 2027, 2028, 2029, 2030].map(easterSunday)).toEqual([
      '2024-03-31',
      '2025-04-20',
      '2026-04-05',
      '2027-03-28',
      '2028-04-16',
      '2029-04-01',
      '2030-04-21',
    ]);
  });

  it('the committed JSON is exactly what the generator writes', () => {
    const built = buildCalendars();
    for (const kind of ['trading', 'settlement'] as const) {
      const file = new URL(`../../bridge/calendar/data/${kind}-calendar.json`, import.meta.url);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(built[kind]);
    }
  });

  it('every holiday has a pt-BR name', () => {
    const data = buildCalendars();
    expect(data.trading.holidays.find((h) => h.date === '2026-04-03')?.name).toBe('Paixão de Cristo');
    expect(data.settlement.holidays.every((h) => h.name.length > 0)).toBe(true);
  });
});

describe('trading calendar (no pregão)', () => {
  it('matches the B3 2025 calendar on weekdays', () => {
    expect(weekdayHolidays(trading, 2025)).toEqual([
      '2025-01-01',
      '2025-03-03',
      '2025-03-04',
      '2025-04-18',
      '2025-04-21',
      '2025-05-01',
      '2025-06-19',
      '2025-11-20',
      '2025-12-24',
      '2025-12-25',
      '2025-12-31',
    ]);
  });

  it('matches the B3 2026 calendar on weekdays', () => {
    expect(weekdayHolidays(trading, 2026)).toEqual([
      '2026-01-01',
      '2026-02-16',
      '2026-02-17',
      '2026-04-03',
      '2026-04-21',
      '2026-05-01',
      '2026-06-04',
      '2026-09-07',
      '2026-10-12',
      '2026-11-02',
      '2026-11-20',
      '2026-12-24',
      '2026-12-25',
      '2026-12-31',
    ]);
  });

  it('closes on Carnival 2026 (16-17 Feb) and opens late on Ash Wednesday', () => {
    expect(trading.isBusinessDay('2026-02-13')).toBe(true);
    expect(trading.isBusinessDay('2026-02-16')).toBe(false);
    expect(trading.isBusinessDay('2026-02-17')).toBe(false);
    expect(trading.isBusinessDay('2026-02-18')).toBe(true);
    expect(trading.specialSession('2026-02-18')?.kind).toBe('late_open');
    expect(trading.specialSession('2026-02-19')).toBeUndefined();
    expect(trading.nextBusinessDay('2026-02-13')).toBe('2026-02-18');
  });

  it('closes the last weekday of the year when 31 December falls on a weekend', () => {
    expect(trading.isBusinessDay('2028-12-29')).toBe(false);
    expect(settlement.isBusinessDay('2028-12-29')).toBe(true);
  });

  it('closes on 20 November from 2024 on', () => {
    expect(trading.isBusinessDay('2024-11-20')).toBe(false);
    expect(settlement.isBusinessDay('2024-11-20')).toBe(false);
  });
});

describe('settlement calendar (bank days)', () => {
  it('keeps 24 and 31 December as settlement days, unlike the trading calendar', () => {
    for (const d of ['2026-12-24', '2026-12-31']) {
      expect(trading.isBusinessDay(d)).toBe(false);
      expect(settlement.isBusinessDay(d)).toBe(true);
    }
    expect(settlement.isBusinessDay('2026-12-25')).toBe(false);
    expect(settlement.isBusinessDay('2027-01-01')).toBe(false);
  });

  it('settles a stock bought Thursday 19 Nov 2026 on Tuesday 24 Nov (20 Nov holiday)', () => {
    expect(settlement.addBusinessDays('2026-11-19', 1)).toBe('2026-11-23');
    expect(settlement.addBusinessDays('2026-11-19', 2)).toBe('2026-11-24');
  });

  it('settles a trade of Wed 23 Dec 2026 D+1 on the 24th and D+2 on Mon 28 Dec', () => {
    expect(settlement.addBusinessDays('2026-12-23', 1)).toBe('2026-12-24');
    expect(settlement.addBusinessDays('2026-12-23', 2)).toBe('2026-12-28');
  });

  it('skips Carnival 2026 when settling', () => {
    expect(settlement.addBusinessDays('2026-02-12', 2)).toBe('2026-02-18');
  });
});

describe('BusinessCalendar API', () => {
  it('counts from non-business days and returns the date itself for n = 0', () => {
    expect(settlement.addBusinessDays('2026-11-21', 2)).toBe('2026-11-24');
    expect(settlement.addBusinessDays('2026-11-20', 0)).toBe('2026-11-20');
    expect(() => settlement.addBusinessDays('2026-11-20', -1)).toThrow(RangeError);
    expect(() => settlement.addBusinessDays('2026-11-20', 1.5)).toThrow(RangeError);
  });

  it('throws a clear error outside the covered years', () => {
    expect(() => trading.isBusinessDay('2031-01-02')).toThrow(CalendarRangeError);
    expect(() => trading.isBusinessDay('2023-12-29')).toThrow(/2024-2030/);
    expect(() => settlement.addBusinessDays('2030-12-30', 2)).toThrow(CalendarRangeError);
  });

  it('rejects malformed and impossible dates', () => {
    expect(() => trading.isBusinessDay('2026-02-30')).toThrow(InvalidDateError);
    expect(() => trading.isBusinessDay('26-02-20')).toThrow(InvalidDateError);
  });

  it('rejects bad data', () => {
    const base = buildCalendars().settlement;
    expect(() =>
      BusinessCalendar.fromData({ ...base, holidays: [...base.holidays, base.holidays[0]] }),
    ).toThrow(/repetida/);
    expect(() =>
      BusinessCalendar.fromData({ ...base, holidays: [{ date: '2031-01-01', name: 'x' }] }),
    ).toThrow(/fora/);
    expect(() => BusinessCalendar.fromData({ ...base, extra: 1 })).toThrow();
  });

  it('loads each committed calendar as its own kind', () => {
    expect(trading.kind).toBe('trading');
    expect(settlement.kind).toBe('settlement');
  });
});

describe('saoPauloDate', () => {
  it('uses the São Paulo date, not UTC', () => {
    // 02:00 UTC on the 20th is still 23:00 on the 19th in São Paulo (UTC-3).
    expect(saoPauloDate(Date.UTC(2026, 10, 20, 2, 0))).toBe('2026-11-19');
    expect(saoPauloDate(Date.UTC(2026, 10, 20, 3, 0))).toBe('2026-11-20');
  });
});
