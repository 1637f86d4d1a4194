/**
 * The market database: candles and trades in SQLite, in its own file beside the journal
 * (`<data>/market.db`, mode 0600), so a long import never holds a lock the order path waits for.
 *
 * Units: prices in hundredths of the quote unit (centavos for stocks, 0.01 point for index futures —
 * exact for every B3 instrument and for adjusted series that fall off the instrument's tick); the
 * instrument's own ticks are `priceHundredths / tickHundredths` (model/instrument.ts). Financial
 * volume in centavos. Instants in epoch ms UTC. One writer (the import worker); readers anywhere
 * (WAL lets them read while an import writes).
 *
 * Each (symbol, interval) is a series; `WINFUT`/`WDOFUT` (Profit's continuous futures) are series of
 * their own, never mixed with a dated contract such as `WINZ26`.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import type { SeriesInterval } from '../../common/marketdata.js';
import { retryWhileBusy } from '../config/sqlite-busy.js';
import { saoPauloDayRangeMs } from './sp-instant.js';

export const MARKET_DB_FILE = 'market.db';
/** Candles per multi-row INSERT during imports (9 parameters each, well under SQLite's 32,766). */
export const CANDLE_BATCH = 64;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS instruments (
  symbol TEXT PRIMARY KEY,
  kind TEXT NOT NULL            -- 'continuous' (WINFUT, WDO$…), 'future', 'option', 'stock'
);
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  symbol TEXT NOT NULL REFERENCES instruments(symbol),
  interval TEXT NOT NULL,
  rows INTEGER NOT NULL DEFAULT 0,
  first_ms INTEGER,
  last_ms INTEGER,
  UNIQUE (symbol, interval)
);
-- Rows per São Paulo session date: coverage and gaps without scanning millions of rows.
CREATE TABLE IF NOT EXISTS series_days (
  series_id INTEGER NOT NULL,
  day TEXT NOT NULL,
  rows INTEGER NOT NULL,
  PRIMARY KEY (series_id, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS candles (
  series_id INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  open_h INTEGER NOT NULL,
  high_h INTEGER NOT NULL,
  low_h INTEGER NOT NULL,
  close_h INTEGER NOT NULL,
  volume_centavos INTEGER NOT NULL,
  qty INTEGER NOT NULL,
  trades INTEGER,
  PRIMARY KEY (series_id, start_ms)
) WITHOUT ROWID;
-- seq: the B3 trade number when the source has it, else a negative key from the trade's own fields
-- (hash × 128 + ordinal among identical trades in that millisecond), so re-imports match row for row.
CREATE TABLE IF NOT EXISTS trades (
  series_id INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  price_h INTEGER NOT NULL,
  qty INTEGER NOT NULL,
  buyer_agent INTEGER,
  seller_agent INTEGER,
  aggressor INTEGER NOT NULL,   -- 0 undefined, 1 buyer, 2 seller, 3 auction, 4 RLP
  trade_number INTEGER,
  PRIMARY KEY (series_id, time_ms, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agents (
  code INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
`;

export interface SeriesInfo {
  id: number;
  symbol: string;
  interval: SeriesInterval;
  rows: number;
  firstMs: number | null;
  lastMs: number | null;
}

export interface CandleRecord {
  startMs: number;
  openH: number;
  highH: number;
  lowH: number;
  closeH: number;
  volumeCentavos: number;
  qty: number;
  trades: number | null;
}

export interface TradeRecord {
  timeMs: number;
  priceH: number;
  qty: number;
  buyerAgent: number | null;
  sellerAgent: number | null;
  aggressor: number;
  tradeNumber: number | null;
}

/** Profit's continuous futures: `WINFUT`, `WDOFUT`, `WIN$`, `WIN$N`, `WDO@N`… */
export function instrumentKind(symbol: string): 'continuous' | 'future' | 'option' | 'stock' {
  if (/^[A-Z0-9]{3}(FUT|\$N?|@N?)$/.test(symbol)) return 'continuous';
  if (/^[A-Z0-9]{3}[FGHJKMNQUVXZ]\d{2}$/.test(symbol)) return 'future';
  if (/^[A-Z]{4}[A-X]\d{2,3}[A-Z]?$/.test(symbol)) return 'option';
  return 'stock';
}

function createPrivateFile(file: string): void {
  if (existsSync(file)) return;
  closeSync(openSync(file, 'a', 0o600));
}

export class MarketDb {
  private readonly db: Database.Database;
  private readonly stmts;

  private constructor(
    readonly file: string,
    readonly: boolean,
  ) {
    if (readonly) {
      // A reader beside the writer (a backtest in its own thread): WAL lets it read while an import writes.
      const ro = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
      this.db = ro;
      ro.pragma('cache_size = -65536');
      // The first read loads the schema: the moment a reader can meet a writer mid-setup.
      retryWhileBusy(() => ro.prepare('SELECT count(*) FROM sqlite_master').get());
    } else {
      createPrivateFile(file);
      const rw = new Database(file, { timeout: 5_000 });
      this.db = rw;
      chmodSync(file, 0o600);
      rw.pragma('cache_size = -65536');
      retryWhileBusy(() => {
        rw.pragma('journal_mode = WAL');
        // Market data can be imported again; the order journal is the one that fsyncs every event.
        rw.pragma('synchronous = NORMAL');
        rw.transaction(() => {
          rw.exec(SCHEMA);
          // Added after the first release: a token that changes with every write to a series (see seriesVersion).
          const cols = rw.prepare("SELECT name FROM pragma_table_info('series')").pluck().all() as string[];
          if (!cols.includes('version')) rw.exec("ALTER TABLE series ADD COLUMN version TEXT NOT NULL DEFAULT ''");
          rw.exec("UPDATE series SET version = lower(hex(randomblob(12))) WHERE version = ''");
        }).immediate();
      });
    }
    const db = this.db;
    this.stmts = {
      instrument: db.prepare('INSERT INTO instruments (symbol, kind) VALUES (?, ?) ON CONFLICT(symbol) DO NOTHING'),
      seriesGet: db.prepare<[string, string], { id: number }>('SELECT id FROM series WHERE symbol = ? AND interval = ?'),
      seriesAdd: db.prepare('INSERT INTO series (symbol, interval) VALUES (?, ?)'),
      candle: db.prepare(this.candleSql(1)),
      trade: db.prepare('INSERT OR IGNORE INTO trades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      agent: db.prepare('INSERT INTO agents (code, name) VALUES (?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name WHERE name IS NOT excluded.name'),
      countCandles: db.prepare<[number, number, number], { n: number }>('SELECT count(*) AS n FROM candles WHERE series_id = ? AND start_ms >= ? AND start_ms < ?'),
      countTrades: db.prepare<[number, number, number], { n: number }>('SELECT count(*) AS n FROM trades WHERE series_id = ? AND time_ms >= ? AND time_ms < ?'),
      dayPut: db.prepare('INSERT INTO series_days VALUES (?, ?, ?) ON CONFLICT(series_id, day) DO UPDATE SET rows = excluded.rows'),
      dayDel: db.prepare('DELETE FROM series_days WHERE series_id = ? AND day = ?'),
      firstCandle: db.prepare<[number], { t: number | null }>('SELECT min(start_ms) AS t FROM candles WHERE series_id = ?'),
      lastCandle: db.prepare<[number], { t: number | null }>('SELECT max(start_ms) AS t FROM candles WHERE series_id = ?'),
      firstTrade: db.prepare<[number], { t: number | null }>('SELECT min(time_ms) AS t FROM trades WHERE series_id = ?'),
      lastTrade: db.prepare<[number], { t: number | null }>('SELECT max(time_ms) AS t FROM trades WHERE series_id = ?'),
      allSeries: db.prepare<[], { id: number; symbol: string; interval: string; rows: number; first_ms: number | null; last_ms: number | null }>(
        'SELECT id, symbol, interval, rows, first_ms, last_ms FROM series WHERE rows > 0 ORDER BY symbol, interval',
      ),
      days: db.prepare<[number], { day: string }>('SELECT day FROM series_days WHERE series_id = ? ORDER BY day'),
      candles: db.prepare(
        'SELECT start_ms AS startMs, open_h AS openH, high_h AS highH, low_h AS lowH, close_h AS closeH, volume_centavos AS volumeCentavos, qty, trades FROM candles WHERE series_id = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms LIMIT ?',
      ),
      trades: db.prepare(
        'SELECT time_ms AS timeMs, price_h AS priceH, qty, buyer_agent AS buyerAgent, seller_agent AS sellerAgent, aggressor, trade_number AS tradeNumber FROM trades WHERE series_id = ? AND time_ms >= ? AND time_ms < ? ORDER BY time_ms, seq LIMIT ?',
      ),
      deleteCandles: db.prepare('DELETE FROM candles WHERE series_id = ? AND start_ms >= ? AND start_ms < ?'),
      deleteTrades: db.prepare('DELETE FROM trades WHERE series_id = ? AND time_ms >= ? AND time_ms < ?'),
      daysIn: db.prepare<[number, string, string], { day: string }>('SELECT day FROM series_days WHERE series_id = ? AND day >= ? AND day <= ?'),
    };
  }

  static open(file: string): MarketDb {
    return new MarketDb(file, false);
  }

  /** Opens an existing database for reading only (backtests, sweeps). */
  static openReadOnly(file: string): MarketDb {
    return new MarketDb(file, true);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- writes (the import worker)

  /** BEGIN IMMEDIATE: a second writer (a CLI import beside the bridge) waits here, not mid-file. */
  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.db.exec('COMMIT');
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  seriesId(symbol: string, interval: SeriesInterval): number {
    const hit = this.stmts.seriesGet.get(symbol, interval);
    if (hit) return hit.id;
    this.stmts.instrument.run(symbol, instrumentKind(symbol));
    return Number(this.stmts.seriesAdd.run(symbol, interval).lastInsertRowid);
  }

  /** True when the row was written (new, or different values for a stored instant); false when identical. */
  putCandle(seriesId: number, c: CandleRecord): boolean {
    return this.stmts.candle.run(seriesId, c.startMs, c.openH, c.highH, c.lowH, c.closeH, c.volumeCentavos, c.qty, c.trades).changes > 0;
  }

  /**
   * CANDLE_BATCH rows of one series in one statement (a statement per row costs more than the row):
   * `params` holds CANDLE_BATCH × 9 values in column order. Returns how many were written.
   */
  putCandleBatch(params: Array<number | null>): number {
    this.batchStmt ??= this.db.prepare(this.candleSql(CANDLE_BATCH));
    return this.batchStmt.run(params).changes;
  }

  private batchStmt: Database.Statement | undefined;

  private candleSql(rows: number): string {
    const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    return `INSERT INTO candles VALUES ${values}
        ON CONFLICT(series_id, start_ms) DO UPDATE SET open_h = excluded.open_h, high_h = excluded.high_h,
          low_h = excluded.low_h, close_h = excluded.close_h, volume_centavos = excluded.volume_centavos,
          qty = excluded.qty, trades = excluded.trades
        WHERE (open_h, high_h, low_h, close_h, volume_centavos, qty) IS NOT
              (excluded.open_h, excluded.high_h, excluded.low_h, excluded.close_h, excluded.volume_centavos, excluded.qty)
           OR trades IS NOT excluded.trades`;
  }

  /** True when new; false when that trade is stored already. */
  putTrade(seriesId: number, seq: number, t: TradeRecord): boolean {
    return this.stmts.trade.run(seriesId, t.timeMs, seq, t.priceH, t.qty, t.buyerAgent, t.sellerAgent, t.aggressor, t.tradeNumber).changes > 0;
  }

  putAgent(code: number, name: string): void {
    this.stmts.agent.run(code, name);
  }

  /** Recounts the given session dates of a series and its totals (after an import or a deletion). */
  refreshSeries(seriesId: number, interval: SeriesInterval, days: Iterable<string>): void {
    const count = interval === 'trades' ? this.stmts.countTrades : this.stmts.countCandles;
    for (const day of days) {
      const r = saoPauloDayRangeMs(day);
      const n = count.get(seriesId, r.fromMs, r.toMs)!.n;
      if (n > 0) this.stmts.dayPut.run(seriesId, day, n);
      else this.stmts.dayDel.run(seriesId, day);
    }
    const first = (interval === 'trades' ? this.stmts.firstTrade : this.stmts.firstCandle).get(seriesId)!.t;
    const last = (interval === 'trades' ? this.stmts.lastTrade : this.stmts.lastCandle).get(seriesId)!.t;
    // Prepared here, by the writer only: a reader may open a file from before the version column.
    this.totalsStmt ??= this.db.prepare(
      'UPDATE series SET rows = (SELECT coalesce(sum(rows), 0) FROM series_days WHERE series_id = @id), first_ms = @first, last_ms = @last, version = @version WHERE id = @id',
    );
    this.totalsStmt.run({ id: seriesId, first, last, version: randomBytes(12).toString('hex') });
  }

  private totalsStmt: Database.Statement | undefined;

  /** Deletes [fromMs, toMs) of a series (session dates `fromDay`..`toDay` recounted); returns rows deleted. */
  deleteRange(symbol: string, interval: SeriesInterval, fromMs: number, toMs: number, fromDay: string, toDay: string): number {
    const s = this.stmts.seriesGet.get(symbol, interval);
    if (!s) return 0;
    return this.db.transaction(() => {
      const del = interval === 'trades' ? this.stmts.deleteTrades : this.stmts.deleteCandles;
      const n = del.run(s.id, fromMs, toMs).changes;
      const days = this.stmts.daysIn.all(s.id, fromDay, toDay).map((d) => d.day);
      this.refreshSeries(s.id, interval, days);
      return n;
    }).immediate();
  }

  // ---------------------------------------------------------------- reads

  series(): SeriesInfo[] {
    return this.stmts.allSeries.all().map((r) => ({ id: r.id, symbol: r.symbol, interval: r.interval as SeriesInterval, rows: r.rows, firstMs: r.first_ms, lastMs: r.last_ms }));
  }

  /**
   * What identifies the stored content of a series: a random token written with every change to it
   * (an import that stores or corrects rows, a deleted range; a rolled-back write rolls it back
   * too), with its rows and first and last instants. Row count and last instant alone miss a
   * corrected candle. Undefined for a database written before the token existed and not opened for
   * writing since (the writer adds it) — or for an unknown series.
   */
  seriesVersion(seriesId: number): { version: string; rows: number; firstMs: number | null; lastMs: number | null } | undefined {
    if (this.versionStmt === undefined) {
      const cols = this.db.prepare("SELECT name FROM pragma_table_info('series')").pluck().all() as string[];
      this.versionStmt = cols.includes('version') ? this.db.prepare('SELECT version, rows, first_ms AS firstMs, last_ms AS lastMs FROM series WHERE id = ?') : null;
    }
    const r = this.versionStmt?.get(seriesId) as { version: string; rows: number; firstMs: number | null; lastMs: number | null } | undefined;
    return r && r.version !== '' ? r : undefined;
  }

  private versionStmt: Database.Statement | null | undefined;

  find(symbol: string, interval: SeriesInterval): number | undefined {
    return this.stmts.seriesGet.get(symbol, interval)?.id;
  }

  /** Session dates with at least one row, ascending. */
  daysOf(seriesId: number): string[] {
    return this.stmts.days.all(seriesId).map((d) => d.day);
  }

  candles(symbol: string, interval: SeriesInterval, fromMs: number, toMs: number, limit: number): CandleRecord[] {
    const id = this.find(symbol, interval);
    return id === undefined ? [] : (this.stmts.candles.all(id, fromMs, toMs, limit) as CandleRecord[]);
  }

  /** The `count` candles of a series that start before `beforeMs`, oldest first. */
  candlesBefore(symbol: string, interval: SeriesInterval, beforeMs: number, count: number): CandleRecord[] {
    const id = this.find(symbol, interval);
    if (id === undefined) return [];
    this.beforeStmt ??= this.db.prepare(
      'SELECT start_ms AS startMs, open_h AS openH, high_h AS highH, low_h AS lowH, close_h AS closeH, volume_centavos AS volumeCentavos, qty, trades FROM candles WHERE series_id = ? AND start_ms < ? ORDER BY start_ms DESC LIMIT ?',
    );
    return (this.beforeStmt.all(id, beforeMs, count) as CandleRecord[]).reverse();
  }

  private beforeStmt: Database.Statement | undefined;

  /**
   * Rows of a series on the São Paulo dates `fromDay`..`toDay` (inclusive), from the per-day counts
   * kept with every write: the same figure as countRows over those days' instants, without a scan of
   * the rows (ten years of minute bars are millions).
   */
  rowsOnDays(seriesId: number, fromDay: string, toDay: string): number {
    this.daysRowsStmt ??= this.db.prepare('SELECT coalesce(sum(rows), 0) AS n FROM series_days WHERE series_id = ? AND day >= ? AND day <= ?');
    return (this.daysRowsStmt.get(seriesId, fromDay, toDay) as { n: number }).n;
  }

  private daysRowsStmt: Database.Statement | undefined;

  /** Rows of a series in [fromMs, toMs). */
  countRows(seriesId: number, interval: SeriesInterval, fromMs: number, toMs: number): number {
    return (interval === 'trades' ? this.stmts.countTrades : this.stmts.countCandles).get(seriesId, fromMs, toMs)!.n;
  }

  /** A read statement returning rows as arrays (the replay's chunked reads). */
  prepareRaw(sql: string): Database.Statement {
    return this.db.prepare(sql).raw(true);
  }

  trades(symbol: string, fromMs: number, toMs: number, limit: number): TradeRecord[] {
    const id = this.find(symbol, 'trades');
    return id === undefined ? [] : (this.stmts.trades.all(id, fromMs, toMs, limit) as TradeRecord[]);
  }
}
