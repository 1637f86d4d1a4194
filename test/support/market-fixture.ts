/**
 * Recorded markets for tests and benches: deterministic candles and prints written straight into a
 * market.db, over real B3 sessions (holidays skipped) in São Paulo time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CandleInterval } from '../../common/marketdata.js';
import { b3Calendar } from '../../bridge/calendar/business-calendar.js';
import { addCalendarDays } from '../../bridge/calendar/iso-date.js';
import { CANDLE_BATCH, MarketDb } from '../../bridge/marketdata/market-db.js';
import { saoPauloDayRangeMs } from '../../bridge/marketdata/sp-instant.js';
import { Prng } from '../../bridge/model/prng.js';

export function tempMarketDb(): { db: MarketDb; dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bb-market-'));
  const file = path.join(dir, 'market.db');
  return { db: MarketDb.open(file), dir, file };
}

/** B3 sessions from `from` to `to`, inclusive. */
export function sessions(from: string, to: string): string[] {
  const cal = b3Calendar();
  const out: string[] = [];
  for (let d = from; d <= to; d = addCalendarDays(d, 1)) if (cal.isBusinessDay(d)) out.push(d);
  return out;
}

export interface CandleSpec {
  symbol: string;
  interval: CandleInterval;
  from: string;
  to: string;
  /** Start price in hundredths (centavos for stocks, 0.01 point for index futures). */
  startH: number;
  /** Price step of the walk, in hundredths (the tick: 1 for stocks, 500 for WIN). */
  tickH: number;
  seed?: number;
  /** Minutes of the session, São Paulo time (default 10:00 to 17:00). */
  openMinute?: number;
  closeMinute?: number;
  qty?: number;
}

/** A random walk of candles over the sessions; returns how many were written. */
export function writeCandles(db: MarketDb, c: CandleSpec): number {
  const rng = new Prng(c.seed ?? 7);
  const stepMin = c.interval === '1d' ? 0 : Number(c.interval.replace('m', ''));
  const open = c.openMinute ?? 600;
  const close = c.closeMinute ?? 1020;
  let price = c.startH;
  let n = 0;
  db.begin();
  const id = db.seriesId(c.symbol, c.interval);
  const days = sessions(c.from, c.to);
  const buf: Array<number | null> = [];
  const put = (startMs: number, o: number, h: number, l: number, cl: number, qty: number) => {
    buf.push(id, startMs, o, h, l, cl, Math.round((qty * cl) / 1), qty, Math.max(1, Math.round(qty / 100)));
    if (buf.length === CANDLE_BATCH * 9) {
      db.putCandleBatch(buf);
      buf.length = 0;
    }
    n++;
  };
  const walk = () => {
    const o = price;
    let h = o;
    let l = o;
    for (let k = 0; k < 4; k++) {
      price = Math.max(c.tickH, price + (rng.int(3) - 1) * c.tickH);
      h = Math.max(h, price);
      l = Math.min(l, price);
    }
    return [o, h, l, price];
  };
  for (const day of days) {
    const dayStart = saoPauloDayRangeMs(day).fromMs;
    if (stepMin === 0) {
      const [o, h, l, cl] = walk();
      put(dayStart, o, h, l, cl, c.qty ?? 100_000);
      continue;
    }
    for (let m = open; m < close; m += stepMin) {
      const [o, h, l, cl] = walk();
      put(dayStart + m * 60_000, o, h, l, cl, (c.qty ?? 10_000) + rng.int(10) * 100);
    }
  }
  for (let i = 0; i < buf.length; i += 9) db.putCandle(id, { startMs: buf[i + 1]!, openH: buf[i + 2]!, highH: buf[i + 3]!, lowH: buf[i + 4]!, closeH: buf[i + 5]!, volumeCentavos: buf[i + 6]!, qty: buf[i + 7]!, trades: buf[i + 8] });
  db.refreshSeries(id, c.interval, days);
  db.commit();
  return n;
}

export interface TradesSpec {
  symbol: string;
  from: string;
  to: string;
  startH: number;
  tickH: number;
  /** Prints per session (spread evenly over 10:00–17:00). */
  perDay: number;
  lot?: number;
  seed?: number;
}

/** Prints over the sessions: a random walk with aggressor sides, in lots. */
export function writeTrades(db: MarketDb, t: TradesSpec): number {
  const rng = new Prng(t.seed ?? 11);
  const lot = t.lot ?? 100;
  let price = t.startH;
  let n = 0;
  db.begin();
  const id = db.seriesId(t.symbol, 'trades');
  const days = sessions(t.from, t.to);
  for (const day of days) {
    const dayStart = saoPauloDayRangeMs(day).fromMs + 600 * 60_000;
    const spacing = Math.floor((7 * 3_600_000) / t.perDay);
    for (let k = 0; k < t.perDay; k++) {
      const buyer = rng.int(2) === 0;
      // A buyer lifts the ask, a seller hits the bid: the walk moves a tick now and then.
      if (rng.int(4) === 0) price = Math.max(t.tickH, price + (buyer ? t.tickH : -t.tickH));
      const qty = lot * (1 + rng.int(5));
      db.putTrade(id, -(k + 1), { timeMs: dayStart + k * spacing, priceH: price, qty, buyerAgent: null, sellerAgent: null, aggressor: buyer ? 1 : 2, tradeNumber: k + 1 });
      n++;
    }
  }
  db.refreshSeries(id, 'trades', days);
  db.commit();
  return n;
}
