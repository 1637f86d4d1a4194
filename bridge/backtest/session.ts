/**
 * B3's session as a replay sees it: the committed calendar and trading hours, and for a date the
 * hours table does not reach (history older than its first row) the grid of the nearest date it
 * does, said once in the run's warnings. Algos plan against it exactly as they do live.
 */
import { b3Calendar } from '../calendar/business-calendar.js';
import { tradingHours, type Segment, type TradingHours } from '../calendar/trading-hours.js';
import { b3Session, type MarketSession } from '../execution/market-session.js';

export function replaySession(warn: (message: string) => void): MarketSession {
  const hours = tradingHours();
  const calendar = b3Calendar();
  const { first, last } = hours.coverage();
  const warned = new Set<string>();
  const fallback: Pick<TradingHours, 'phasesOn'> = {
    phasesOn(segment: Segment, isoDate: string) {
      if (isoDate >= first && isoDate <= last) return hours.phasesOn(segment, isoDate, calendar);
      if (!calendar.isBusinessDay(isoDate)) return [];
      const near = isoDate < first ? first : last;
      const key = `${segment}|${isoDate.slice(0, 4)}`;
      if (!warned.has(key)) {
        warned.add(key);
        warn(`sem horário de pregão de ${segment} para ${isoDate.slice(0, 4)} na tabela: usado o de ${near}`);
      }
      return hours.phasesOn(segment, calendar.isBusinessDay(near) ? near : calendar.nextBusinessDay(near), calendar);
    },
  };
  return b3Session(fallback as TradingHours, calendar);
}
