/**
 * Calendar dates as ISO `yyyy-mm-dd` strings, and the session date of an instant.
 *
 * A date string names a day, not an instant, so day arithmetic runs on UTC midnights where no
 * zone offset can shift it. The only place a zone matters is turning an instant into the B3
 * session date, and that is America/Sao_Paulo whatever the machine's zone is.
 */
import { DateTime } from 'luxon';

export const SAO_PAULO_ZONE = 'America/Sao_Paulo';

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export class InvalidDateError extends Error {}

/** Epoch ms of the UTC midnight of an ISO date; throws on anything that is not a real date. */
function utcMidnightMs(isoDate: string): number {
  const m = ISO_DATE.exec(isoDate);
  if (!m) throw new InvalidDateError(`data inválida '${isoDate}': use yyyy-mm-dd`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March; a date that does not round-trip does not exist.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    throw new InvalidDateError(`data inexistente '${isoDate}'`);
  }
  return ms;
}

function fromUtcMidnightMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function assertIsoDate(isoDate: string): void {
  utcMidnightMs(isoDate);
}

export function addCalendarDays(isoDate: string, days: number): string {
  return fromUtcMidnightMs(utcMidnightMs(isoDate) + days * DAY_MS);
}

/** 0 = Sunday ... 6 = Saturday. */
function weekday(isoDate: string): number {
  return new Date(utcMidnightMs(isoDate)).getUTCDay();
}

export function isWeekend(isoDate: string): boolean {
  const d = weekday(isoDate);
  return d === 0 || d === 6;
}

export function yearOf(isoDate: string): number {
  return Number(isoDate.slice(0, 4));
}

/** A São Paulo calendar day: its date, weekday (1 = Monday … 7 = Sunday) and [startMs, endMs). */
export interface SaoPauloDay {
  readonly date: string;
  readonly weekday: number;
  readonly startMs: number;
  readonly endMs: number;
}

/** Days worked out so far, by the UTC day number of the instant three hours earlier. */
const spDays = new Map<number, SaoPauloDay>();
const MAX_SP_DAYS = 50_000;
const SP_PROBE_MS = 3 * 3_600_000;
let lastSpDay: SaoPauloDay = { date: '', weekday: 0, startMs: Number.NaN, endMs: Number.NaN };

function spDayOfKey(key: number): SaoPauloDay {
  let d = spDays.get(key);
  if (d) return d;
  const start = DateTime.fromISO(fromUtcMidnightMs(key * DAY_MS), { zone: SAO_PAULO_ZONE }).startOf('day');
  // The day ends where the next one starts: a day that began at 01:00 (its midnight skipped by DST)
  // plus 24 hours of wall clock would reach 01:00 of the next day, an hour into it.
  d = Object.freeze({ date: start.toISODate()!, weekday: start.weekday, startMs: start.toMillis(), endMs: start.plus({ days: 1 }).startOf('day').toMillis() });
  if (spDays.size >= MAX_SP_DAYS) spDays.clear();
  spDays.set(key, d);
  return d;
}

/** The São Paulo day of a calendar date `AAAA-MM-DD` (throws on anything that is not a real date). */
export function saoPauloDayOf(isoDate: string): SaoPauloDay {
  return spDayOfKey(utcMidnightMs(isoDate) / DAY_MS);
}

/**
 * The São Paulo day holding an instant. luxon is the authority on the zone (its offsets, Brazil's
 * DST until 2019, a midnight that did not exist), asked once per day and remembered: a replay asks
 * this for every event, and a zone conversion costs more than the rest of an event's work.
 */
export function saoPauloDay(timeMs: number): SaoPauloDay {
  if (timeMs >= lastSpDay.startMs && timeMs < lastSpDay.endMs) return lastSpDay;
  if (!Number.isFinite(timeMs) || Math.abs(timeMs) > 8.64e15) throw new InvalidDateError(`instante inválido: ${timeMs}`);
  // São Paulo is 2 to 3 hours behind UTC: the date of the instant three hours earlier is the day or the one before.
  const key = Math.floor((timeMs - SP_PROBE_MS) / DAY_MS);
  let d = spDayOfKey(key);
  if (timeMs >= d.endMs) d = spDayOfKey(key + 1);
  else if (timeMs < d.startMs) d = spDayOfKey(key - 1);
  lastSpDay = d;
  return d;
}

/** The B3 session date of an instant: its calendar date in São Paulo. */
export function saoPauloDate(timeMs: number): string {
  return saoPauloDay(timeMs).date;
}

/** Date and minutes since local midnight of an instant in São Paulo (for session phases). */
export function saoPauloDateAndMinute(timeMs: number): { isoDate: string; minuteOfDay: number } {
  const dt = DateTime.fromMillis(timeMs, { zone: SAO_PAULO_ZONE });
  if (!dt.isValid) throw new InvalidDateError(`instante inválido: ${timeMs}`);
  return { isoDate: dt.toISODate()!, minuteOfDay: dt.hour * 60 + dt.minute };
}
