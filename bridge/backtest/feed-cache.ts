/**
 * A columnar cache of replayed series: the rows of one series over one run's range, as they come out
 * of market.db, in a binary file of numbers under `<data>/cache/` — so the runs after the first (a
 * sweep runs the same data dozens of times) read at the speed of memory instead of SQLite's.
 *
 * A file is named by a digest of everything its content depends on: the series and range, and the
 * series' version token, which market.db changes with every write to that series (an import that adds
 * or corrects rows, a deleted range) — so a changed series is never served from an old file. The same
 * key is written in the file's header and checked on every open, with the file's size.
 *
 * Layout: a 4,096-byte header (JSON, padded with spaces), then `rows × width` float64 values, row after
 * row (candles: start_ms, open_h, high_h, low_h, close_h, volume_centavos, qty; prints: time_ms,
 * price_h, qty, aggressor). A file is written under a temporary name and renamed when complete, so a
 * cancelled or crashed run leaves no half file behind under the real name. The folder is 0700 and the
 * files 0600, like the rest of the data folder; past CACHE_MAX_BYTES the least recently used go.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { FeedSeriesPlan, RowChunk, RowSource } from './feed.js';
import { rowWidth } from './feed.js';

export const CACHE_DIR = 'cache';
const HEADER_BYTES = 4_096;
const FORMAT = 'blackbox-feed-cache/1';
/**
 * Rows per read from a cache file: a few hundred KB. A replay reads a chunk of every series at once
 * (the events interleave), so small chunks keep them all in the CPU's caches (with 64K-row chunks, 12
 * series ran at half the speed).
 */
const READ_ROWS = 4_096;
/** Ranges below this many rows are read from SQLite every time: they take milliseconds. */
export const CACHE_MIN_ROWS = 100_000;
/** The folder's bound; the least recently used files go first. */
export const CACHE_MAX_BYTES = Number(process.env.BLACKBOX_BACKTEST_CACHE_MB ?? 4_096) * 1024 * 1024;
/** A temporary file this old belongs to a run that is gone. */
const STALE_TMP_MS = 3_600_000;

export interface CacheKey {
  format: string;
  symbol: string;
  stored: string;
  /** market.db's version token of the series, its rows and first/last instants. */
  version: string;
  seriesRows: number;
  firstMs: number | null;
  lastMs: number | null;
  fromMs: number;
  toMs: number;
  width: number;
}

export function cacheKey(p: FeedSeriesPlan, v: { version: string; rows: number; firstMs: number | null; lastMs: number | null }, fromMs: number, toMs: number): CacheKey {
  return { format: FORMAT, symbol: p.dataSymbol, stored: p.stored, version: v.version, seriesRows: v.rows, firstMs: v.firstMs, lastMs: v.lastMs, fromMs, toMs, width: rowWidth(p) };
}

export function cacheFile(dir: string, key: CacheKey): string {
  const digest = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 24);
  return path.join(dir, `${key.symbol.replace(/[^A-Za-z0-9$@_-]/g, '_')}.${key.stored}.${digest}.f64`);
}

/** The cache folder beside a market.db, created 0700 when missing. */
export function cacheDirOf(marketDbFile: string): string {
  const dir = path.join(path.dirname(marketDbFile), CACHE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** The cached rows of a key, or undefined when there is no valid file for it. */
export function openCached(file: string, key: CacheKey): RowSource | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, head, 0, HEADER_BYTES, 0) !== HEADER_BYTES) throw new Error('short header');
    const h = JSON.parse(head.toString('utf8').trimEnd()) as { key: CacheKey; rows: number };
    if (JSON.stringify(h.key) !== JSON.stringify(key)) throw new Error('another key');
    if (fstatSync(fd).size !== HEADER_BYTES + h.rows * key.width * 8) throw new Error('wrong size');
    const now = new Date();
    utimesSync(file, now, now);
    return fileRows(fd, h.rows, key.width);
  } catch {
    // Not ours, cut short or from another version: read from the database (and rewrite it).
    closeSync(fd);
    return undefined;
  }
}

function fileRows(fd: number, rows: number, width: number): RowSource {
  const buf = new Float64Array(READ_ROWS * width);
  const bytes = new Uint8Array(buf.buffer);
  let done = 0;
  let closed = false;
  const close = () => {
    if (!closed) closeSync(fd);
    closed = true;
  };
  return {
    next(): RowChunk | undefined {
      if (done >= rows || closed) {
        close();
        return undefined;
      }
      const n = Math.min(READ_ROWS, rows - done);
      const want = n * width * 8;
      let got = 0;
      while (got < want) {
        const r = readSync(fd, bytes, got, want - got, HEADER_BYTES + done * width * 8 + got);
        if (r <= 0) throw new Error('arquivo de cache do backtest truncado durante a leitura');
        got += r;
      }
      done += n;
      return { rows: n, data: buf };
    },
    close,
  };
}

/** Writes one key's rows as they are read; `finish` publishes the file, `abort` drops it. */
export class CacheWriter {
  private readonly tmp: string;
  private fd: number | undefined;
  private rows = 0;
  private pos = HEADER_BYTES;

  constructor(
    private readonly file: string,
    private readonly key: CacheKey,
  ) {
    this.tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    this.fd = openSync(this.tmp, 'w', 0o600);
  }

  write(c: RowChunk): void {
    if (this.fd === undefined) return;
    const bytes = c.rows * this.key.width * 8;
    const view = new Uint8Array(c.data.buffer, c.data.byteOffset, bytes);
    let off = 0;
    while (off < bytes) off += writeSync(this.fd, view, off, bytes - off, this.pos + off);
    this.pos += bytes;
    this.rows += c.rows;
  }

  finish(): void {
    if (this.fd === undefined) return;
    const head = Buffer.alloc(HEADER_BYTES, 0x20);
    const json = JSON.stringify({ key: this.key, rows: this.rows });
    if (Buffer.byteLength(json) > HEADER_BYTES) return this.abort();
    head.write(json, 0, 'utf8');
    writeSync(this.fd, head, 0, HEADER_BYTES, 0);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tmp, this.file);
    pruneCache(path.dirname(this.file));
  }

  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.tmp);
    } catch {
      // Already gone.
    }
  }
}

/** Keeps the folder under CACHE_MAX_BYTES (least recently used first) and drops abandoned temporary files. */
export function pruneCache(dir: string, maxBytes = CACHE_MAX_BYTES): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const files: Array<{ file: string; size: number; used: number }> = [];
  const now = Date.now();
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const st = statSync(file);
      if (name.endsWith('.tmp')) {
        if (now - st.mtimeMs > STALE_TMP_MS) unlinkSync(file);
        continue;
      }
      if (name.endsWith('.f64')) files.push({ file, size: st.size, used: st.mtimeMs });
    } catch {
      // Removed meanwhile by another run.
    }
  }
  let total = files.reduce((a, f) => a + f.size, 0);
  files.sort((a, b) => a.used - b.used);
  for (const f of files) {
    if (total <= maxBytes) break;
    try {
      unlinkSync(f.file);
    } catch {
      // Removed meanwhile.
    }
    total -= f.size;
  }
}
