/**
 * Writes the two B3 calendars as data: bridge/calendar/data/{trading,settlement}-calendar.json.
 *
 *   npx tsx bridge/calendar/generate-holidays.ts [firstYear lastYear]
 *
 * The runtime reads only the JSON; this script exists so that the Easter-based dates are computed
 * rather than typed. When B3 publishes its calendar each December, compare it with the output and
 * put any difference (an extra closure) here, not in the JSON: test/calendar checks that the
 * committed files are exactly what this script produces.
 *
 * Two calendars, because B3 keeps them apart: on 24 and 31 December there is no trading session,
 * yet banks and the clearing settle, so a trade of 23 December settles D+1 on the 24th.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { addCalendarDays, isWeekend } from './iso-date.js';
import type { CalendarData, Holiday, SpecialSession } from './business-calendar.js';

export const DEFAULT_FIRST_YEAR = 2024;
export const DEFAULT_LAST_YEAR = 2030;

const SOURCES = [
  'https://www.opovo.com.br/noticias/economia/2024/12/04/b3-divulga-calendario-de-feriados-de-2025-9-de-julho-tera-pregao.html',
  'https://timesbrasil.com.br/minhas-financas/bolsa-de-valores-em-2026-confira-os-feriados-e-dias-sem-negociacao',
  'https://exame.com/invest/mercados/quando-a-bolsa-fecha-em-2026-confira-o-calendario-da-b3/',
  'https://www.anbima.com.br/feriados/feriados.asp',
];

/** Last weekday closure when 31 December falls on a weekend: B3 closed Fri 30 Dec 2022 and Fri 29 Dec 2023. */
const YEAR_END_SOURCES = [
  'https://exame.com/invest/mercados/calendario-da-bolsa-em-2023-saiba-quando-a-b3-fecha-para-feriados/',
  'https://maisretorno.com/portal/como-fica-o-funcionamento-da-bolsa-e-dos-bancos-no-fim-de-ano',
];

function isoDate(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
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

/** Bank holidays (ANBIMA): every day on which nothing settles, besides weekends. */
function settlementHolidays(year: number): Holiday[] {
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
  // Lei 14.759/2023 made 20 November a national holiday from 2024 on.
  if (year >= 2024) list.push({ date: isoDate(year, 11, 20), name: 'Dia Nacional de Zumbi e da Consciência Negra' });
  return list;
}

/** Days without a B3 trading session: the bank holidays plus the year-end closures. */
function tradingHolidays(year: number): Holiday[] {
  const list = settlementHolidays(year);
  list.push({ date: isoDate(year, 12, 24), name: 'Véspera de Natal (sem pregão)' });
  const newYearsEve = isoDate(year, 12, 31);
  list.push({ date: newYearsEve, name: 'Véspera de Ano Novo (sem pregão)' });
  if (isWeekend(newYearsEve)) {
    let lastWeekday = newYearsEve;
    while (isWeekend(lastWeekday)) lastWeekday = addCalendarDays(lastWeekday, -1);
    list.push({ date: lastWeekday, name: 'Último dia útil do ano (sem pregão)' });
  }
  return list;
}

/** Sorted by date, one entry per date: a movable feast landing on a fixed one (Good Friday on 21 April) keeps both names. */
function sortedUnique(list: Holiday[]): Holiday[] {
  const byDate = new Map<string, string>();
  for (const h of list) byDate.set(h.date, byDate.has(h.date) ? `${byDate.get(h.date)} / ${h.name}` : h.name);
  return [...byDate.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, name]) => ({ date, name }));
}

function years(firstYear: number, lastYear: number): number[] {
  return Array.from({ length: lastYear - firstYear + 1 }, (_, i) => firstYear + i);
}

export function buildCalendars(
  firstYear = DEFAULT_FIRST_YEAR,
  lastYear = DEFAULT_LAST_YEAR,
): { trading: CalendarData; settlement: CalendarData } {
  if (!Number.isInteger(firstYear) || !Number.isInteger(lastYear) || firstYear > lastYear) {
    throw new Error(`anos inválidos: ${firstYear}..${lastYear}`);
  }
  const generatedBy = 'bridge/calendar/generate-holidays.ts (do not edit by hand: rerun the script)';
  const all = years(firstYear, lastYear);
  const specialSessions: SpecialSession[] = all.map((y) => ({
    date: addCalendarDays(easterSunday(y), -46),
    name: 'Quarta-feira de Cinzas (abertura às 13h)',
    kind: 'late_open',
  }));
  return {
    trading: {
      calendar: 'trading',
      description: 'B3 trading sessions: no pregão on these dates nor on weekends.',
      generatedBy,
      firstYear,
      lastYear,
      sources: [...SOURCES, ...YEAR_END_SOURCES],
      holidays: sortedUnique(all.flatMap(tradingHolidays)),
      specialSessions,
    },
    settlement: {
      calendar: 'settlement',
      description:
        'Settlement business days (bank holidays, ANBIMA): nothing settles on these dates nor on weekends. ' +
        '24 and 31 December are settlement days even though B3 holds no session.',
      generatedBy,
      firstYear,
      lastYear,
      sources: SOURCES,
      holidays: sortedUnique(all.flatMap(settlementHolidays)),
      specialSessions: [],
    },
  };
}

function main(argv: string[]): void {
  const [first, last] = argv.length >= 2 ? [Number(argv[0]), Number(argv[1])] : [DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR];
  const { trading, settlement } = buildCalendars(first, last);
  for (const data of [trading, settlement]) {
    const url = new URL(`./data/${data.calendar}-calendar.json`, import.meta.url);
    writeFileSync(url, `${JSON.stringify(data, null, 2)}\n`);
    process.stdout.write(`wrote ${url.pathname}: ${data.holidays.length} holidays ${first}-${last}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
