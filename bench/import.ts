/**
 * Profit CSV import: rows/s stored for a generated 1,000,000-row 1-minute candle file (formatted
 * numbers: thousands dots, decimal commas), side by side in the same run with the import's own
 * reader (same stream, decoding, papaparse options) reading the same file into nothing (the floor the
 * import stands on), and the range read of one day of 1-minute candles. Bars (PRODUCT.md §7):
 * ≥ 300,000 rows/s stored and ≥ half the bare parser; read ≤ 5 ms.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { delimitedRecords } from '../bridge/marketdata/import/delimited-records.js';
import { IMPORT_CHUNK_BYTES, importProfitFile, MAX_LINE_CHARS } from '../bridge/marketdata/import/profit-import.js';
import { MarketDb } from '../bridge/marketdata/market-db.js';
import { saoPauloDayRangeMs } from '../bridge/marketdata/sp-instant.js';
import { median } from './stats.js';

export interface ImportBenchResult {
  rows: number;
  runs: number;
  /** Medians of `runs`; every run's figure below. */
  importRowsPerSec: number;
  bareParserRowsPerSec: number;
  importRuns: number[];
  bareRuns: number[];
  dayReadMs: number;
}

const p2 = (n: number) => String(n).padStart(2, '0');

async function writeFile(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  let t = Date.UTC(2020, 0, 2, 13, 0); // 10:00 in São Paulo
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const d = new Date(t - 3 * 3_600_000);
    const px = 100_000 + (i % 5_000);
    const a = `${Math.floor(px / 1000)}.${String(px % 1000).padStart(3, '0')}`;
    chunk += `WINFUT;${p2(d.getUTCDate())}/${p2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()};${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00;${a};${a};${a};${a};600.822.115,84;24.228\n`;
    t += 60_000;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** The import's own reader (same stream, decoding, parser and options) reading the file into nothing. */
async function bareParse(file: string): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  const source = createReadStream(file, { highWaterMark: IMPORT_CHUNK_BYTES }).setEncoding('utf8');
  for await (const records of delimitedRecords(source, ';', MAX_LINE_CHARS)) n += records.length;
  return n / ((performance.now() - t0) / 1000);
}

/**
 * The import and the bare reader take turns, `runs` times each (a fresh database for every import),
 * so both meet the same moments of a shared machine; the figures are the medians.
 */
export async function runImportBench(dir?: string, rows = 1_000_000, runs = Number(process.env.IMPORT_RUNS ?? 3)): Promise<ImportBenchResult> {
  const work = dir ?? mkdtempSync(path.join(process.cwd(), 'data', 'bench-import-'));
  const file = path.join(work, 'winfut-1min.csv');
  try {
    await writeFile(file, rows);
    const bare: number[] = [];
    const stored: number[] = [];
    for (let run = 0; run < runs; run++) {
      bare.push(await bareParse(file));
      const dbFile = path.join(work, `market-${run}.db`);
      const db = MarketDb.open(dbFile);
      try {
        const t0 = performance.now();
        const r = await importProfitFile(db, file, 'bench', { maxBytes: 4 * 1024 ** 3 });
        const importSec = (performance.now() - t0) / 1000;
        if (r.error || r.stored !== rows) throw new Error(`import stored ${r.stored}/${rows}: ${r.error ?? ''}`);
        stored.push(rows / importSec);
      } finally {
        db.close();
      }
      if (run < runs - 1) for (const ext of ['', '-wal', '-shm']) rmSync(dbFile + ext, { force: true });
    }
    const db = MarketDb.open(path.join(work, `market-${runs - 1}.db`));
    try {
      const day = saoPauloDayRangeMs('2020-06-15');
      const reads: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        const c = db.candles('WINFUT', '1m', day.fromMs, day.toMs, 10_000);
        reads.push(performance.now() - t);
        if (c.length !== 1440) throw new Error(`day read returned ${c.length} candles`);
      }
      return { rows, runs, importRowsPerSec: median(stored), bareParserRowsPerSec: median(bare), importRuns: stored, bareRuns: bare, dayReadMs: median(reads) };
    } finally {
      db.close();
    }
  } finally {
    if (!dir) rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runImportBench();
  console.log(r);
}
