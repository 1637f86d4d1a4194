/**
 * Wire shapes of the market database (PRODUCT.md §3 `blackbox import --json`, §4 /api/marketdata and
 * /api/import), shared by the bridge, the CLI and the add-in. Prices travel as decimal numbers
 * (BRL, or points for index futures), money in BRL, quantities as integers, instants as ISO 8601 UTC.
 */

/** Candle intervals the database keeps; `trades` is the series of individual trades (times & trades). */
export const CANDLE_INTERVALS = ['1m', '2m', '5m', '10m', '15m', '30m', '60m', '1d'] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];
export type SeriesInterval = CandleInterval | 'trades';

export type ProfitVariant =
  | 'candles-formatted'
  | 'candles-intraday'
  | 'candles-daily'
  | 'trades-header'
  | 'trades-headerless';

export type FileEncoding = 'utf-8' | 'utf-8-bom' | 'windows-1252' | 'utf-16le';

export interface RefusedLine {
  /** 1-based line number in the file, header included. */
  line: number;
  reason: string;
}

/** One file's outcome. `stored` counts rows written (new, or corrected values for a known instant). */
export interface ImportFileReport {
  file: string;
  variant?: ProfitVariant;
  encoding?: FileEncoding;
  /** The series the rows went to, e.g. `PETR4 15m`. */
  series?: string[];
  rowsRead: number;
  stored: number;
  duplicates: number;
  refused: RefusedLine[];
  /** Refused lines beyond the ones listed (the list is bounded). */
  refusedNotListed?: number;
  /** Set when the file could not be read at all (nothing was stored). */
  error?: string;
  /** Set when the import was cancelled: `stored` says exactly what was kept (lines before `stoppedAtLine`). */
  cancelled?: boolean;
  stoppedAtLine?: number;
}

export interface ImportReport {
  files: ImportFileReport[];
}

export type ImportJobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** What the `imports` WebSocket channel carries, one per job (snapshot: the recent jobs). */
export interface ImportJobView {
  id: string;
  kind: 'file' | 'history';
  /** File name, or `PETR4 2026-11-02…2026-11-06` for a history download. */
  label: string;
  state: ImportJobState;
  /** Bytes read of the file (files) or 0–100 (history). */
  done: number;
  total: number;
  rowsRead: number;
  rowsPerSec: number;
  etaSec?: number;
  report?: ImportFileReport;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface GapRange {
  /** First and last B3 session date without data, `AAAA-MM-DD`. */
  from: string;
  to: string;
  days: number;
}

export interface CoverageRow {
  symbol: string;
  interval: SeriesInterval;
  /** ISO instants of the first and last row. */
  from: string;
  to: string;
  rows: number;
  /** B3 sessions between from and to with no row (intraday and trades: whole days only). */
  gaps: GapRange[];
}

export interface CandleRow {
  /** Start of the candle, ISO instant. */
  t: string;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Financial volume in BRL. */
  volume: number;
  qty: number;
  trades: number;
}

export interface VolumeProfile {
  bucketMinutes: 5;
  /** Continuous-trading buckets, São Paulo local start time; shares sum to 1. */
  shares: Array<{ start: string; share: number }>;
  /** Median share of the day's volume traded in the auctions (known only from times & trades). */
  auctions?: { opening: number; closing: number };
  sessions: number;
  source: string;
}
