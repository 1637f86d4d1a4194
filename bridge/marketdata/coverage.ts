/**
 * What the database holds per series, and its gaps: B3 sessions (trading calendar, bridge/calendar)
 * between the first and the last stored day that have no row at all.
 */
import type { CoverageRow, GapRange } from '../../common/marketdata.js';
import { b3Calendar, type BusinessCalendar } from '../calendar/business-calendar.js';
import { addCalendarDays } from '../calendar/iso-date.js';
import type { MarketDb } from './market-db.js';

/** Gaps listed per series; a longer list is cut (the count of days is still right in the last range). */
const MAX_GAPS_LISTED = 500;

export function sessionGaps(days: string[], calendar: BusinessCalendar = b3Calendar()): { gaps: GapRange[] } {
  const gaps: GapRange[] = [];
  if (days.length < 2) return { gaps };
  const have = new Set(days);
  let open: GapRange | undefined;
  for (let d = days[0]; d <= days[days.length - 1]; d = addCalendarDays(d, 1)) {
    if (!calendar.isBusinessDay(d)) continue;
    if (have.has(d)) {
      open = undefined;
      continue;
    }
    if (open) {
      open.to = d;
      open.days++;
    } else if (gaps.length < MAX_GAPS_LISTED) {
      open = { from: d, to: d, days: 1 };
      gaps.push(open);
    }
  }
  return { gaps };
}

export function coverage(db: MarketDb): CoverageRow[] {
  return db.series().map((s) => {
    const days = db.daysOf(s.id);
    const { gaps } = sessionGaps(days);
    return {
      symbol: s.symbol,
      interval: s.interval,
      from: new Date(s.firstMs ?? 0).toISOString(),
      to: new Date(s.lastMs ?? 0).toISOString(),
      rows: s.rows,
      gaps,
    };
  });
}

