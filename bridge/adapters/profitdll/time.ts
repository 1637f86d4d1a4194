/**
 * ProfitDLL speaks Brasília wall-clock time without a zone (reference/profitdll.md §11.4): TSystemTime
 * records, and "DD/MM/YYYY HH:mm:SS" strings for history requests. The bridge speaks epoch milliseconds.
 */
import { DateTime } from 'luxon';
import type { SystemTime } from './abi.js';

export const B3_ZONE = 'America/Sao_Paulo';

const offsetByHour = new Map<number, number>();

/**
 * Wall-clock fields in B3's zone to epoch ms, or undefined for an empty record (year 0). The zone offset
 * is cached per hour: a history download converts hundreds of thousands of trades of the same hours.
 */
export function systemTimeToEpochMs(st: SystemTime): number | undefined {
  return b3WallClockToEpochMs(st.wYear, st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond, st.wMilliseconds);
}

export function b3WallClockToEpochMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | undefined {
  if (!year || !month || !day) return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const hourKey = Math.floor(wall / 3_600_000);
  let offsetMs = offsetByHour.get(hourKey);
  if (offsetMs === undefined) {
    offsetMs = DateTime.fromObject({ year, month, day, hour }, { zone: B3_ZONE }).offset * 60_000;
    offsetByHour.set(hourKey, offsetMs);
  }
  return wall - offsetMs;
}

/** The format GetHistoryTrades expects (§10.3). */
export function formatHistoryDate(epochMs: number): string {
  return DateTime.fromMillis(epochMs, { zone: B3_ZONE }).toFormat('dd/MM/yyyy HH:mm:ss');
}

/** B3 trading day of an instant, as yyyy-mm-dd. */
export function b3Day(epochMs: number): string {
  return DateTime.fromMillis(epochMs, { zone: B3_ZONE }).toISODate()!;
}

/** Splits [fromMs, toMs] at B3 midnights: history is requested one day at a time (§10.3, WIN/WDO rule). */
export function splitByB3Day(fromMs: number, toMs: number): Array<{ fromMs: number; toMs: number }> {
  const out: Array<{ fromMs: number; toMs: number }> = [];
  let start = fromMs;
  while (start <= toMs) {
    const nextMidnight = DateTime.fromMillis(start, { zone: B3_ZONE }).startOf('day').plus({ days: 1 }).toMillis();
    const end = Math.min(toMs, nextMidnight - 1);
    out.push({ fromMs: start, toMs: end });
    start = nextMidnight;
  }
  return out;
}
