/**
 * B3's days without a session, computed by rule for any year: B3 publishes its calendar each
 * December, but an order, a settlement date or a futures expiry years ahead needs a date today.
 * The published calendars then correct the rules through data (data/b3-calendar-overrides.json).
 *
 * One list serves trading and settlement: Câmara B3 settles only on days with a session, so 24 and
 * 31 December (no pregão) are not settlement days either (reference/b3-oms-algos.md §4).
 */
import { addCalendarDays, isWeekend } from './iso-date.js';

export interface Holiday {
  date: string;
  name: string;
}

/** A trading day with a shortened session; trading-hours.json maps each kind to its phases. */
export interface SpecialSession {
  date: string;
  name: string;
  kind: 'late_open';
}

/** Lei 14.759/2023 made 20 November a national holiday from 2024 on. */
const CONSCIENCIA_NEGRA_FROM_YEAR = 2024;

export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Gregorian Easter Sunday (the anonymous algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDate(year, month, day);
}

/** National holidays on which B3 closes. */
function nationalHolidays(year: number): Holiday[] {
  const easter = easterSunday(year);
  const list: Holiday[] = [
    { date: isoDate(year, 1, 1), name: 'Confraternização Universal' },
    { date: addCalendarDays(easter, -48), name: 'Carnaval (segunda-feira)' },
    { date: addCalendarDays(easter, -47), name: 'Carnaval (terça-feira)' },
    { date: addCalendarDays(easter, -2), name: 'Paixão de Cristo' },
    { date: isoDate(year, 4, 21), name: 'Tiradentes' },
    { date: isoDate(year, 5, 1), name: 'Dia do Trabalho' },
    { date: addCalendarDays(easter, 60), name: 'Corpus Christi' },
    { date: isoDate(year, 9, 7), name: 'Independência do Brasil' },
    { date: isoDate(year, 10, 12), name: 'Nossa Senhora Aparecida' },
    { date: isoDate(year, 11, 2), name: 'Finados' },
    { date: isoDate(year, 11, 15), name: 'Proclamação da República' },
    { date: isoDate(year, 12, 25), name: 'Natal' },
  ];
  if (year >= CONSCIENCIA_NEGRA_FROM_YEAR) {
    list.push({ date: isoDate(year, 11, 20), name: 'Dia Nacional de Zumbi e da Consciência Negra' });
  }
  return list;
}

/**
 * Every day of `year` without a B3 session besides weekends, sorted, one entry per date: the
 * national holidays, 24 and 31 December, and — when 31 December falls on a weekend — the last
 * weekday of the year (B3 closed Fri 30 Dec 2022 and Fri 29 Dec 2023). A movable feast landing on
 * a fixed one (Good Friday on 21 April) keeps both names.
 */
export function ruleHolidays(year: number): Holiday[] {
  const list = nationalHolidays(year);
  list.push({ date: isoDate(year, 12, 24), name: 'Véspera de Natal (sem pregão)' });
  const newYearsEve = isoDate(year, 12, 31);
  list.push({ date: newYearsEve, name: 'Véspera de Ano Novo (sem pregão)' });
  if (isWeekend(newYearsEve)) {
    let lastWeekday = newYearsEve;
    while (isWeekend(lastWeekday)) lastWeekday = addCalendarDays(lastWeekday, -1);
    list.push({ date: lastWeekday, name: 'Último dia útil do ano (sem pregão)' });
  }
  const byDate = new Map<string, string>();
  for (const h of list) byDate.set(h.date, byDate.has(h.date) ? `${byDate.get(h.date)} / ${h.name}` : h.name);
  return [...byDate.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, name]) => ({ date, name }));
}

/** Ash Wednesday: the session opens at 13:00. */
export function ruleSpecialSessions(year: number): SpecialSession[] {
  return [{ date: addCalendarDays(easterSunday(year), -46), name: 'Quarta-feira de Cinzas (abertura às 13h)', kind: 'late_open' }];
}
