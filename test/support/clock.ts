/**
 * Clocks for tests that name futures contracts. Contracts roll with the date (WDOZ26 expired on
 * 01/12/2026), so a test that trades WINZ26 gives the bridge, registry or exchange a clock of a day
 * when WINZ26 is live instead of the machine's: the suite then passes whatever the real date.
 */
import { spMs } from '../calendar/sp-time.js';

/**
 * Wednesday 25/11/2026, 11:00 in São Paulo, a business day on which the universe offers WINZ26 and WING27,
 * WDOZ26 and WDOF27.
 */
export const LIVE_Z26_MS = spMs('2026-11-25T11:00');

/**
 * A clock that reads `start` now (epoch ms, or São Paulo wall-clock time as `spMs` reads it) and moves on
 * with real time, so timers, timeouts and algo schedules behave as they do on the machine's clock.
 */
export function offsetClock(start: number | string = LIVE_Z26_MS): () => number {
  const offset = (typeof start === 'number' ? start : spMs(start)) - Date.now();
  return () => Date.now() + offset;
}
