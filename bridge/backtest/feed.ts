/**
 * The replayed market: stored candles or prints of a run's symbols, merged into one stream in time
 * order, read from market.db in chunks (a ten-year run never sits whole in memory).
 *
 * Bars: the run's interval as stored, or built from a finer stored interval (1m → 5m, 5m → 15m, any
 * intraday → 1d) bucket by bucket within each São Paulo day. Each bar is an event at its end. A daily
 * bar ends at the next São Paulo midnight.
 * Prints: times & trades as stored, in (time, sequence) order.
 */
import { CANDLE_INTERVALS, type CandleInterval, type SeriesInterval } from '../../common/marketdata.js';
import { saoPauloDate, saoPauloDay } from '../calendar/iso-date.js';
import type { MarketDb, SeriesInfo } from '../marketdata/market-db.js';
import { BAR_INTERVAL_MS, BarBuckets } from '../strategy/bar-builder.js';
import type { Aggressor, BarEvent, MarketEvent, PrintEvent } from './market-events.js';

export type FeedSource = 'bars' | 'trades';

/** Rows per read: SQLite's cost per call vanishes at a few thousand, and a chunk of every series at once stays in the CPU's caches. */
const CHUNK_ROWS = 4_096;

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
  /** Stored rows in the range. */
  rows: number;
  /** The stored series read (market.db's series id). */
  seriesId: number;
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
  // A range of whole São Paulo days (every run's) is counted from the per-day counts.
  const first = saoPauloDay(fromMs);
  const last = toMs > fromMs ? saoPauloDay(toMs - 1) : first;
  const days = first.startMs === fromMs && last.endMs === toMs ? { from: first.date, to: last.date } : undefined;
  const out: FeedSeriesPlan[] = [];
  const missing: string[] = [];
  for (const symbol of symbols) {
    const tick = tickHundredthsOf(symbol);
    if (tick === undefined) return { ok: false, message: `ativo desconhecido: ${symbol}` };
    const mine = all.filter((s) => s.symbol === symbol && s.rows > 0 && (s.lastMs ?? 0) >= fromMs && (s.firstMs ?? 0) < toMs);
    const rowsIn = (s: SeriesInfo) => (days ? db.rowsOnDays(s.id, days.from, days.to) : db.countRows(s.id, s.interval, fromMs, toMs));
    let chosen: FeedSeriesPlan | undefined;
    if (source !== 'trades') {
      const usable = CANDLE_INTERVALS.filter((i) => divides(i, interval));
      for (const stored of [...usable].reverse()) {
        const s = mine.find((x) => x.interval === stored);
        const rows = s ? rowsIn(s) : 0;
        if (s && rows > 0) {
          chosen = { dataSymbol: symbol, source: 'bars', stored, interval, tickHundredths: tick, rows, seriesId: s.id };
          break;
        }
      }
    }
    if (!chosen && source !== 'bars') {
      const s = mine.find((x) => x.interval === 'trades');
      const rows = s ? rowsIn(s) : 0;
      if (s && rows > 0) chosen = { dataSymbol: symbol, source: 'trades', stored: 'trades', tickHundredths: tick, rows, seriesId: s.id };
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
  return ms === null ? '?' : saoPauloDate(ms);
}

/**
 * Stored rows of one series, read forward in chunks of numbers: `rows` rows of the layout's columns,
 * row after row in one Float64Array. A chunk is read once, in order, and may be reused by its source
 * for the next one (so a ten-million-row run allocates a few chunks, not ten million row arrays).
 */
export interface RowChunk {
  rows: number;
  data: Float64Array<ArrayBufferLike>;
}

export interface RowSource {
  /** The next chunk, or undefined at the end of the range. */
  next(): RowChunk | undefined;
  /** Stops reading (a cancelled run): files closed, threads ended. */
  close(): void;
}

/** Candles: start_ms, open_h, high_h, low_h, close_h, volume_centavos, qty. */
export const BAR_ROW = 7;
/** Prints: time_ms, price_h, qty, aggressor. */
export const PRINT_ROW = 4;

export const rowWidth = (p: Pick<FeedSeriesPlan, 'source'>): number => (p.source === 'trades' ? PRINT_ROW : BAR_ROW);

export const CANDLE_SQL =
  'SELECT start_ms, open_h, high_h, low_h, close_h, volume_centavos, qty FROM candles WHERE series_id = ? AND start_ms > ? AND start_ms < ? ORDER BY start_ms LIMIT ?';
/** Keyset paging on (time, seq) as a row value: SQLite seeks the primary key to it (an OR of the two scanned the series from its start for every chunk). */
export const TRADE_SQL =
  'SELECT time_ms, price_h, qty, aggressor, seq FROM trades WHERE series_id = ? AND (time_ms, seq) > (?, ?) AND time_ms < ? ORDER BY time_ms, seq LIMIT ?';

/**
 * Reads [fromMs, toMs) of a stored series with keyset paging on (time, seq) and packs each chunk
 * into numbers. `stmt` is a raw prepared statement of CANDLE_SQL or TRADE_SQL (this thread's
 * database or a reader thread's own connection).
 */
export function packedRows(stmt: { all(...args: unknown[]): unknown[] }, trades: boolean, seriesId: number, fromMs: number, toMs: number, chunkRows = CHUNK_ROWS): { read(into?: Float64Array<ArrayBufferLike>): RowChunk | undefined } {
  const width = trades ? PRINT_ROW : BAR_ROW;
  let lastMs = fromMs - 1;
  let lastSeq = Number.MIN_SAFE_INTEGER;
  let done = false;
  return {
    read(into) {
      if (done) return undefined;
      const rows = (trades ? stmt.all(seriesId, lastMs, lastSeq, toMs, chunkRows) : stmt.all(seriesId, lastMs, toMs, chunkRows)) as number[][];
      if (rows.length < chunkRows) done = true;
      if (rows.length === 0) return undefined;
      const data = into && into.length >= rows.length * width ? into : new Float64Array(chunkRows * width);
      let k = 0;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        for (let c = 0; c < width; c++) data[k++] = r[c];
      }
      const last = rows[rows.length - 1];
      lastMs = last[0];
      if (trades) lastSeq = last[4];
      return { rows: rows.length, data };
    },
  };
}

/** A series read in this thread, straight from SQLite. */
export function sqliteRows(db: MarketDb, p: FeedSeriesPlan, fromMs: number, toMs: number): RowSource {
  const trades = p.stored === 'trades';
  const stmt = db.prepareRaw(trades ? TRADE_SQL : CANDLE_SQL);
  const reader = packedRows(stmt, trades, p.seriesId, fromMs, toMs);
  let buf: Float64Array<ArrayBufferLike> | undefined;
  return {
    next() {
      const c = reader.read(buf);
      buf = c?.data;
      return c;
    },
    close() {},
  };
}

/**
 * One series as events, read forward chunk by chunk. Cursors are classes, not closures: a run of
 * twelve symbols has twelve cursors, and per-cursor closures would make every call inside them
 * polymorphic (twelve targets) and so never inlined, on the hottest path of a replay.
 */
interface Cursor {
  plan: FeedSeriesPlan;
  /** Time of the next event, or Infinity when exhausted. */
  nextMs: number;
  take(): MarketEvent;
}

/** Rows of a source one at a time: `at` is the offset of the current row in `data`. */
class RowReader {
  data: Float64Array<ArrayBufferLike> = EMPTY;
  at = 0;
  private end = 0;
  private readonly width: number;

  constructor(
    private readonly source: RowSource,
    width: number,
  ) {
    this.width = width;
  }

  /** Moves to the next row; false at the end. */
  advance(): boolean {
    this.at += this.width;
    if (this.at < this.end) return true;
    const c = this.source.next();
    if (!c || c.rows === 0) {
      this.end = 0;
      this.at = 0;
      this.data = EMPTY;
      return false;
    }
    this.data = c.data;
    this.at = 0;
    this.end = c.rows * this.width;
    return true;
  }
}

const EMPTY = new Float64Array(0);

export interface MarketFeedOptions {
  /** Where each series' rows come from (default: this thread's SQLite connection). */
  open?: (p: FeedSeriesPlan) => RowSource;
}

export class MarketFeed {
  private readonly cursors: Cursor[];
  private readonly sources: RowSource[] = [];
  private emitted = 0;
  readonly totalRows: number;

  constructor(db: MarketDb, plan: FeedSeriesPlan[], fromMs: number, toMs: number, opts: MarketFeedOptions = {}) {
    const open = opts.open ?? ((p: FeedSeriesPlan) => sqliteRows(db, p, fromMs, toMs));
    this.cursors = plan.map((p) => {
      const src = open(p);
      this.sources.push(src);
      return p.source === 'trades' ? new PrintCursor(p, src) : new BarCursor(p, src);
    });
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
    const cs = this.cursors;
    let best: Cursor | undefined;
    let bestMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i];
      if (c.nextMs < bestMs) {
        best = c;
        bestMs = c.nextMs;
      }
    }
    if (!best) return undefined;
    this.emitted++;
    return best.take();
  }

  /** Events handed out so far (candles or prints; a bar built from finer candles counts once), for progress. */
  consumed(): number {
    return this.emitted;
  }

  /** Stops reading: open files and reader threads of the sources are released. */
  close(): void {
    for (const s of this.sources) s.close();
  }
}

class PrintCursor implements Cursor {
  nextMs: number;
  private readonly rows: RowReader;
  private readonly tick: number;
  private readonly dataSymbol: string;

  constructor(
    readonly plan: FeedSeriesPlan,
    source: RowSource,
  ) {
    this.rows = new RowReader(source, PRINT_ROW);
    this.rows.at = -PRINT_ROW;
    this.tick = plan.tickHundredths;
    this.dataSymbol = plan.dataSymbol;
    this.nextMs = this.rows.advance() ? this.rows.data[this.rows.at] : Number.POSITIVE_INFINITY;
  }

  take(): PrintEvent {
    const rows = this.rows;
    const d = rows.data;
    const k = rows.at;
    const ev: PrintEvent = {
      kind: 'print',
      dataSymbol: this.dataSymbol,
      timeMs: d[k],
      priceTicks: toTicks(d[k + 1], this.tick),
      qty: d[k + 2],
      aggressor: d[k + 3] as Aggressor,
    };
    this.nextMs = rows.advance() ? rows.data[rows.at] : Number.POSITIVE_INFINITY;
    return ev;
  }
}

/** Stored hundredths as ticks of the instrument (at least one). Stocks quote in centavos: their tick is a hundredth. */
function toTicks(hundredths: number, tick: number): number {
  return Math.max(1, Math.round(tick === 1 ? hundredths : hundredths / tick));
}

/**
 * Bars of the plan's interval: stored ones as they are, or finer ones folded bucket by bucket (a
 * bucket closes when a row of another bucket arrives or the series ends).
 */
class BarCursor implements Cursor {
  nextMs: number;
  private readonly rows: RowReader;
  private readonly same: boolean;
  private readonly tick: number;
  private readonly dataSymbol: string;
  private readonly buckets: BarBuckets;
  /** The bar being folded from finer rows (not yet complete). */
  private pending: BarEvent | undefined;
  private more: boolean;
  private next: BarEvent | undefined;

  constructor(
    readonly plan: FeedSeriesPlan,
    source: RowSource,
  ) {
    this.rows = new RowReader(source, BAR_ROW);
    this.rows.at = -BAR_ROW;
    this.same = plan.stored === plan.interval!;
    this.tick = plan.tickHundredths;
    this.dataSymbol = plan.dataSymbol;
    this.buckets = new BarBuckets(plan.interval!);
    this.more = this.rows.advance();
    this.next = this.produce();
    this.nextMs = this.next ? this.next.timeMs : Number.POSITIVE_INFINITY;
  }

  take(): BarEvent {
    const ev = this.next!;
    this.next = this.produce();
    this.nextMs = this.next ? this.next.timeMs : Number.POSITIVE_INFINITY;
    return ev;
  }

  private barAt(d: Float64Array<ArrayBufferLike>, k: number, startMs: number, endMs: number): BarEvent {
    const tick = this.tick;
    return {
      kind: 'bar',
      dataSymbol: this.dataSymbol,
      startMs,
      timeMs: endMs,
      openTicks: toTicks(d[k + 1], tick),
      highTicks: toTicks(d[k + 2], tick),
      lowTicks: toTicks(d[k + 3], tick),
      closeTicks: toTicks(d[k + 4], tick),
      qty: d[k + 6],
      volumeCentavos: d[k + 5],
    };
  }

  /** The next complete bar, or undefined at the end. */
  private produce(): BarEvent | undefined {
    const rows = this.rows;
    const buckets = this.buckets;
    if (this.same) {
      if (!this.more) return undefined;
      const d = rows.data;
      const k = rows.at;
      const s = buckets.startOf(d[k]);
      const ev = this.barAt(d, k, s, buckets.end);
      this.more = rows.advance();
      return ev;
    }
    const tick = this.tick;
    for (;;) {
      const pending = this.pending;
      if (!this.more) {
        this.pending = undefined;
        return pending;
      }
      const d = rows.data;
      const k = rows.at;
      const s = buckets.startOf(d[k]);
      if (pending && pending.startMs === s) {
        pending.highTicks = Math.max(pending.highTicks, toTicks(d[k + 2], tick));
        pending.lowTicks = Math.min(pending.lowTicks, toTicks(d[k + 3], tick));
        pending.closeTicks = toTicks(d[k + 4], tick);
        pending.volumeCentavos += d[k + 5];
        pending.qty += d[k + 6];
        this.more = rows.advance();
        continue;
      }
      this.pending = this.barAt(d, k, s, buckets.end);
      this.more = rows.advance();
      if (pending) return pending;
    }
  }
}
