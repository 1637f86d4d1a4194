/**
 * São Paulo wall-clock times (what Profit writes) → unambiguous UTC instants.
 *
 * luxon is the authority on the zone's rules; calling it per row would cost more than the whole rest
 * of an import, so each date's offset is asked once and cached. A date on which the offset changes
 * (Brazil's DST transitions until 2019, always at local midnight, outside any B3 session) goes to luxon
 * row by row: a time that does not exist is moved forward, a repeated one takes the earlier instant.
 */
import { DateTime } from 'luxon';
import { SAO_PAULO_ZONE, saoPauloDayOf } from '../calendar/iso-date.js';

interface DayInfo {
  /** Offset in ms (UTC = local − offset) for the whole day, or undefined when it changes that day. */
  offsetMs: number | undefined;
}

const MAX_CACHED_DAYS = 20_000;
const days = new Map<number, DayInfo>();

function dayInfo(year: number, month: number, day: number): DayInfo {
  const key = year * 10_000 + month * 100 + day;
  let info = days.get(key);
  if (info) return info;
  const start = DateTime.fromObject({ year, month, day, hour: 0 }, { zone: SAO_PAULO_ZONE });
  const end = DateTime.fromObject({ year, month, day, hour: 23, minute: 59 }, { zone: SAO_PAULO_ZONE });
  info = { offsetMs: start.offset === end.offset ? start.offset * 60_000 : undefined };
  if (days.size >= MAX_CACHED_DAYS) days.clear();
  days.set(key, info);
  return info;
}

/** Epoch ms of a São Paulo local date and time (month 1–12). The date must be a real one. */
export function saoPauloInstantMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const info = dayInfo(year, month, day);
  if (info.offsetMs !== undefined) return Date.UTC(year, month - 1, day, hour, minute, second, ms) - info.offsetMs;
  return DateTime.fromObject({ year, month, day, hour, minute, second, millisecond: ms }, { zone: SAO_PAULO_ZONE }).toMillis();
}

/**
 * Epoch ms of São Paulo midnight of a date whose offset holds all day, so a time of day is added
 * without a calendar call; undefined on a day when the offset changes (use saoPauloInstantMs).
 */
export function saoPauloFixedDayStartMs(year: number, month: number, day: number): number | undefined {
  const info = dayInfo(year, month, day);
  return info.offsetMs === undefined ? undefined : Date.UTC(year, month - 1, day) - info.offsetMs;
}

/** [start, end) instants of a São Paulo calendar date `AAAA-MM-DD` (the day as calendar/iso-date.ts knows it). */
export function saoPauloDayRangeMs(isoDate: string): { fromMs: number; toMs: number } {
  const d = saoPauloDayOf(isoDate);
  return { fromMs: d.startMs, toMs: d.endMs };
}
