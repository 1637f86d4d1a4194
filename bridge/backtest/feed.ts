/**
 * The replayed market: stored candles or prints of a run's symbols, merged into one stream in time
 * order, read from market.db in chunks (a ten-year run never sits whole in memory).
 *
 * Bars: the run's interval as stored, or built from a finer stored interval (1m → 5m, 5m → 15m, any
 * intraday → 1d) bucket by bucket within each São Paulo day. Each bar is an event at its end. A daily
 * bar ends at the next São Paulo midnight.
 * Prints: times & trades as stored, in (time, sequence) order.
 */
import type Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { CANDLE_INTERVALS, type CandleInterval, type SeriesInterval } from '../../common/marketdata.js';
import { SAO_PAULO_ZONE } from '../calendar/iso-date.js';
import type { MarketDb, SeriesInfo } from '../marketdata/market-db.js';
import { BAR_INTERVAL_MS, barBucketer } from '../strategy/bar-builder.js';
import type { Aggressor, BarEvent, MarketEvent, PrintEvent } from './market-events.js';

export type FeedSource = 'bars' | 'trades';

/** Rows per read: large enough that SQLite's per-call cost vanishes, small enough to stay a few MB. */
const CHUNK_ROWS = 16_384;

const INTERVAL_MS = BAR_INTERVAL_MS;

export interface FeedSeriesPlan {
  dataSymbol: string;
  source: FeedSource;
  /** Stored series read. */
  stored: SeriesInterval;
  /** Interval of the bars emitted (bars source). */
  interval?: CandleInterval;
  /** Price hundredths per tick of the instrument that trades the series. */
  tickHundredths: number;
  rows: number;
}

export type FeedPlan = { ok: true; series: FeedSeriesPlan[] } | { ok: false; message: string };

/**
 * Chooses what to replay for each symbol: `bars` wants candles of the interval (or finer), `trades`
 * prints, `auto` candles when there are, else prints. A symbol with nothing usable in the range is an
 * error that lists what is stored, so the user sees what they could run instead.
 */
export function planFeed(
  db: MarketDb,
  symbols: string[],
  interval: CandleInterval,
  source: FeedSource | 'auto',
  fromMs: number,
  toMs: number,
  tickHundredthsOf: (symbol: string) => number | undefined,
): FeedPlan {
  const all = db.series();
  const out: FeedSeriesPlan[] = [];
  const missing: string[] = [];
  for (const symbol of symbols) {
    const tick = tickHundredthsOf(symbol);
    if (tick === undefined) return { ok: false, message: `ativo desconhecido: ${symbol}` };
    const mine = all.filter((s) => s.symbol === symbol && s.rows > 0 && (s.lastMs ?? 0) >= fromMs && (s.firstMs ?? 0) < toMs);
    const rowsIn = (s: SeriesInfo) => db.countRows(s.id, s.interval, fromMs, toMs);
    let chosen: FeedSeriesPlan | undefined;
    if (source !== 'trades') {
      const usable = CANDLE_INTERVALS.filter((i) => divides(i, interval));
      for (const stored of [...usable].reverse()) {
        const s = mine.find((x) => x.interval === stored);
        const rows = s ? rowsIn(s) : 0;
        if (s && rows > 0) {
          chosen = { dataSymbol: symbol, source: 'bars', stored, interval, tickHundredths: tick, rows };
          break;
        }
      }
    }
    if (!chosen && source !== 'bars') {
      const s = mine.find((x) => x.interval === 'trades');
      const rows = s ? rowsIn(s) : 0;
      if (s && rows > 0) chosen = { dataSymbol: symbol, source: 'trades', stored: 'trades', tickHundredths: tick, rows };
    }
    if (!chosen) missing.push(symbol);
    else out.push(chosen);
  }
  if (missing.length > 0) {
    const stored = all
      .filter((s) => s.rows > 0)
      .map((s) => `${s.symbol} ${s.interval === 'trades' ? 'negócios' : s.interval} de ${isoDay(s.firstMs)} a ${isoDay(s.lastMs)} (${s.rows.toLocaleString('pt-BR')} linhas)`);
    const what = source === 'trades' ? 'negócios' : source === 'bars' ? `candles de ${interval} (ou menores)` : `candles de ${interval} (ou menores) nem negócios`;
    return {
      ok: false,
      message: `sem ${what} de ${missing.join(', ')} entre ${isoDay(fromMs)} e ${isoDay(toMs - 1)}. Guardado na base: ${stored.length ? stored.join('; ') : 'nada (importe arquivos do Profit na aba Import Profit)'}`,
    };
  }
  return { ok: true, series: out };
}

/** Can bars of `target` be built from stored bars of `stored`? */
function divides(stored: CandleInterval, target: CandleInterval): boolean {
  if (stored === target) return true;
  if (target === '1d') return stored !== '1d';
  return stored !== '1d' && INTERVAL_MS[target] % INTERVAL_MS[stored] === 0;
}

function isoDay(ms: number | null): string {
  return ms === null ? '?' : DateTime.fromMillis(ms, { zone: SAO_PAULO_ZONE }).toISODate()!;
}

/** One series read forward in chunks. */
interface Cursor {
  plan: FeedSeriesPlan;
  /** Time of the next event, or Infinity when exhausted. */
  nextMs: number;
  take(): MarketEvent;
}

export class MarketFeed {
  private readonly cursors: Cursor[];
  private emitted = 0;
  readonly totalRows: number;

  constructor(db: MarketDb, plan: FeedSeriesPlan[], fromMs: number, toMs: number) {
    this.cursors = plan.map((p) => (p.source === 'trades' ? printCursor(db, p, fromMs, toMs) : barCursor(db, p, fromMs, toMs)));
    this.totalRows = plan.reduce((a, p) => a + p.rows, 0);
  }

  /** Time of the next event (Infinity at the end). */
  peekMs(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const c of this.cursors) if (c.nextMs < t) t = c.nextMs;
    return t;
  }

  /** The next event in time order; ties go to the symbol listed first. */
  next(): MarketEvent | undefined {
    let best: Cursor | undefined;
    for (const c of this.cursors) if (c.nextMs !== Number.POSITIVE_INFINITY && (!best || c.nextMs < best.nextMs)) best = c;
    if (!best) return undefined;
    this.emitted++;
    return best.take();
  }

  /** Stored rows consumed so far (candles or prints), for progress. */
  consumed(): number {
    return this.emitted;
  }
}

/** Reads [fromMs, toMs) of a series in chunks with keyset paging on (time, seq). */
function chunkReader(db: MarketDb, p: FeedSeriesPlan, fromMs: number, toMs: number): () => unknown[][] {
  const stmt: Database.Statement =
    p.stored === 'trades'
      ? db.prepareRaw(
          'SELECT time_ms, seq, price_h, qty, aggressor FROM trades WHERE series_id = ? AND (time_ms > ? OR (time_ms = ? AND seq > ?)) AND time_ms < ? ORDER BY time_ms, seq LIMIT ?',
        )
      : db.prepareRaw(
          'SELECT start_ms, open_h, high_h, low_h, close_h, volume_centavos, qty FROM candles WHERE series_id = ? AND start_ms > ? AND start_ms < ? ORDER BY start_ms LIMIT ?',
        );
  const id = db.find(p.dataSymbol, p.stored)!;
  let lastMs = fromMs - 1;
  let lastSeq = Number.MIN_SAFE_INTEGER;
  let done = false;
  return () => {
    if (done) return [];
    const rows = (p.stored === 'trades' ? stmt.all(id, lastMs, lastMs, lastSeq, toMs, CHUNK_ROWS) : stmt.all(id, lastMs, toMs, CHUNK_ROWS)) as unknown[][];
    if (rows.length < CHUNK_ROWS) done = true;
    if (rows.length > 0) {
      const last = rows[rows.length - 1];
      lastMs = last[0] as number;
      if (p.stored === 'trades') lastSeq = last[1] as number;
    }
    return rows;
  };
}

function printCursor(db: MarketDb, p: FeedSeriesPlan, fromMs: number, toMs: number): Cursor {
  const read = chunkReader(db, p, fromMs, toMs);
  let rows = read();
  let i = 0;
  const tick = p.tickHundredths;
  const c: Cursor = {
    plan: p,
    nextMs: rows.length > 0 ? (rows[0][0] as number) : Number.POSITIVE_INFINITY,
    take() {
      const r = rows[i++];
      const ev: PrintEvent = {
        kind: 'print',
        dataSymbol: p.dataSymbol,
        timeMs: r[0] as number,
        priceTicks: Math.max(1, Math.round((r[2] as number) / tick)),
        qty: r[3] as number,
        aggressor: r[4] as Aggressor,
      };
      if (i >= rows.length) {
        rows = read();
        i = 0;
      }
      c.nextMs = i < rows.length ? (rows[i][0] as number) : Number.POSITIVE_INFINITY;
      return ev;
    },
  };
  return c;
}

/**
 * Bars of the plan's interval: stored ones as they are, or finer ones folded bucket by bucket (a
 * bucket closes when a row of another bucket arrives or the series ends).
 */
function barCursor(db: MarketDb, p: FeedSeriesPlan, fromMs: number, toMs: number): Cursor {
  const read = chunkReader(db, p, fromMs, toMs);
  const target = p.interval!;
  const same = p.stored === target;
  const tick = p.tickHundredths;
  const bucket = barBucketer(target);
  let rows = read();
  let i = 0;
  let pending: BarEvent | undefined;

  const row = (): unknown[] | undefined => {
    if (i >= rows.length) {
      rows = read();
      i = 0;
      if (rows.length === 0) return undefined;
    }
    return rows[i++];
  };
  const toTicks = (h: unknown) => Math.max(1, Math.round((h as number) / tick));
  const barOf = (r: unknown[], startMs: number, endMs: number): BarEvent => ({
    kind: 'bar',
    dataSymbol: p.dataSymbol,
    startMs,
    timeMs: endMs,
    openTicks: toTicks(r[1]),
    highTicks: toTicks(r[2]),
    lowTicks: toTicks(r[3]),
    closeTicks: toTicks(r[4]),
    volumeCentavos: r[5] as number,
    qty: r[6] as number,
  });
  // The next complete bar, or undefined at the end.
  const produce = (): BarEvent | undefined => {
    if (same) {
      const r = row();
      if (!r) return undefined;
      const [s, e] = bucket(r[0] as number);
      return barOf(r, s, e);
    }
    for (;;) {
      const r = row();
      if (!r) {
        const out = pending;
        pending = undefined;
        return out;
      }
      const [s, e] = bucket(r[0] as number);
      if (pending && pending.startMs === s) {
        pending.highTicks = Math.max(pending.highTicks, toTicks(r[2]));
        pending.lowTicks = Math.min(pending.lowTicks, toTicks(r[3]));
        pending.closeTicks = toTicks(r[4]);
        pending.volumeCentavos += r[5] as number;
        pending.qty += r[6] as number;
        continue;
      }
      const out = pending;
      pending = barOf(r, s, e);
      if (out) return out;
    }
  };
  let next = produce();
  const c: Cursor = {
    plan: p,
    nextMs: next ? next.timeMs : Number.POSITIVE_INFINITY,
    take() {
      const ev = next!;
      next = produce();
      c.nextMs = next ? next.timeMs : Number.POSITIVE_INFINITY;
      return ev;
    },
  };
  return c;
}
