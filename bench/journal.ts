/**
 * Journal bench (PRODUCT.md §7): group-commit throughput (bar ≥ 100,000 events/s) and lone-event
 * append→ack latency (bar p99 ≤ 2 ms), both with every commit fsync'd. Medians of several runs.
 *
 *   npx tsx bench/journal.ts
 *
 * fsync is only meaningful on a real disk: tmpfs acknowledges it for free. The standalone run therefore
 * uses the repo's git-ignored data/ (or /var/tmp) and prints the filesystem type it ran on.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Journal } from '../bridge/journal/index.js';
import { median } from './stats.js';

const RUNS = 7;
const THROUGHPUT_EVENTS = 200_000;
/** Events a producer issues per event-loop turn; the next burst waits for the next turn, racing the flush. */
const BURST_EVENTS = 1_000;
const LONE_APPENDS = 2_000;
/** Lone appends before timing starts: the first commits also create the WAL and warm the page cache. */
const LONE_WARMUP_APPENDS = 100;

export interface JournalBenchResult {
  /** Journal / bare throughput of each run, in run order (the README's ratio is of the two medians). */
  runRatios: number[];
  eventsPerSec: number;
  loneAckP50Ms: number;
  loneAckP99Ms: number;
  /** The bare loop at the journal's batch size (BURST_EVENTS rows per transaction). */
  bareRowsPerSec: number;
  bareLoneP50Ms: number;
  bareLoneP99Ms: number;
  /** Rows per transaction of both throughput lines. */
  batchRows: number;
}

/** A fill-sized order event, so the bench pays realistic JSON and row costs. */
function orderEvent(i: number): unknown {
  return {
    orderId: `ORD-${String(i).padStart(8, '0')}`,
    childId: `CH-${String(i).padStart(8, '0')}-1`,
    account: 'FUNDO-ACOES-FIA',
    symbol: 'PETR4',
    side: i % 2 === 0 ? 'buy' : 'sell',
    qty: 100 * (1 + (i % 7)),
    priceTicks: 3712 + (i % 13),
    status: 'partially_filled',
  };
}

/** The events both loops write, built before either clock starts: each then serialises and stores them. */
const EVENTS = Array.from({ length: THROUGHPUT_EVENTS }, (_, i) => orderEvent(i));

async function throughputRun(path: string): Promise<number> {
  const journal = Journal.open(path);
  try {
    // Each ack is consumed as it comes, as the OMS does (emit → then), rather than 200,000 promises
    // kept alive for one Promise.all: that harness cost GC time the journal does not have in the bridge.
    let sent = 0;
    let acked = 0;
    let failed: unknown;
    const t0 = performance.now();
    await new Promise<void>((done, fail) => {
      const ack = (): void => {
        if (++acked === THROUGHPUT_EVENTS) done();
      };
      const nack = (e: unknown): void => {
        failed ??= e;
        fail(e);
      };
      const burst = (): void => {
        const end = Math.min(sent + BURST_EVENTS, THROUGHPUT_EVENTS);
        for (; sent < end; sent++) journal.append('order.fill', EVENTS[sent]).then(ack, nack);
        if (sent < THROUGHPUT_EVENTS && failed === undefined) setImmediate(burst);
      };
      burst();
    });
    const elapsedMs = performance.now() - t0;
    return THROUGHPUT_EVENTS / (elapsedMs / 1000);
  } finally {
    journal.close();
  }
}

/**
 * The floor: a bare better-sqlite3 loop on the same disk, same pragmas (WAL, synchronous=FULL) and
 * the same row (seq, time_ms, type, JSON data) serialised from the same objects, with none of the
 * journal's work around it (queue, promises, validation, append-only triggers).
 */
function bareDb(path: string): { db: Database.Database; insert: Database.Statement<[number, number, string, string]> } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL) STRICT');
  return { db, insert: db.prepare('INSERT INTO events (seq, time_ms, type, data) VALUES (?, ?, ?, ?)') };
}

function bareThroughputRun(path: string, txnRows: number): number {
  const { db, insert } = bareDb(path);
  try {
    const tx = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(i + 1, Date.now(), 'order.fill', JSON.stringify(EVENTS[i]));
    });
    const t0 = performance.now();
    for (let i = 0; i < THROUGHPUT_EVENTS; i += txnRows) tx.immediate(i, Math.min(i + txnRows, THROUGHPUT_EVENTS));
    return THROUGHPUT_EVENTS / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
  }
}

/**
 * Lone appends of the journal and lone rows of the bare loop, one of each in turn (which goes first alternates),
 * each waited for before the next. The p99 is set by the slowest fsyncs, and on a shared disk those come in
 * bursts: interleaved, both sides meet the same bursts, so their difference is the journal's own latency.
 */
async function loneRuns(journalPath: string, barePath: string): Promise<{ journal: Latency; bare: Latency }> {
  const journal = Journal.open(journalPath);
  const { db, insert } = bareDb(barePath);
  try {
    let bareSeq = 0;
    const bareInsert = (i: number): void => {
      insert.run(++bareSeq, Date.now(), 'order.fill', JSON.stringify(EVENTS[i]));
    };
    for (let i = 0; i < LONE_WARMUP_APPENDS; i++) {
      await journal.append('order.fill', EVENTS[i]);
      bareInsert(i);
    }
    const journalMs: number[] = [];
    const bareMs: number[] = [];
    const timeJournal = async (i: number): Promise<void> => {
      const t0 = performance.now();
      await journal.append('order.fill', EVENTS[i]);
      journalMs.push(performance.now() - t0);
    };
    const timeBare = (i: number): void => {
      const t0 = performance.now();
      bareInsert(i);
      bareMs.push(performance.now() - t0);
    };
    for (let i = 0; i < LONE_APPENDS; i++) {
      if (i % 2 === 0) {
        await timeJournal(i);
        timeBare(i);
      } else {
        timeBare(i);
        await timeJournal(i);
      }
    }
    return { journal: latency(journalMs), bare: latency(bareMs) };
  } finally {
    journal.close();
    db.close();
  }
}

interface Latency {
  p50Ms: number;
  p99Ms: number;
}

function latency(ms: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}

/** Nearest-rank quantile of an ascending array. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export async function runJournalBench(dir: string): Promise<JournalBenchResult> {
  mkdirSync(dir, { recursive: true });
  const rates: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  const bareRates: number[] = [];
  const bareP50s: number[] = [];
  const bareP99s: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // A fresh file per measurement, so neither sees the other's WAL or checkpoint debt. Journal and bare
    // loop take turns within each run, so both see the same disk and machine load; the journal goes first in
    // even runs and second in odd ones, so neither side always meets what the run before left behind.
    const paths = ['throughput', 'lone', 'bare-throughput', 'bare-lone'].map((n) => join(dir, `${n}-${run}.db`));
    try {
      if (run % 2 === 0) {
        rates.push(await throughputRun(paths[0]));
        bareRates.push(bareThroughputRun(paths[2], BURST_EVENTS));
      } else {
        bareRates.push(bareThroughputRun(paths[2], BURST_EVENTS));
        rates.push(await throughputRun(paths[0]));
      }
      const lone = await loneRuns(paths[1], paths[3]);
      p50s.push(lone.journal.p50Ms);
      p99s.push(lone.journal.p99Ms);
      bareP50s.push(lone.bare.p50Ms);
      bareP99s.push(lone.bare.p99Ms);
    } finally {
      for (const p of paths) for (const suffix of ['', '-wal', '-shm']) rmSync(p + suffix, { force: true });
    }
  }
  return {
    runRatios: rates.map((r, i) => r / bareRates[i]),
    eventsPerSec: median(rates),
    loneAckP50Ms: median(p50s),
    loneAckP99Ms: median(p99s),
    bareRowsPerSec: median(bareRates),
    bareLoneP50Ms: median(bareP50s),
    bareLoneP99Ms: median(bareP99s),
    batchRows: BURST_EVENTS,
  };
}

function signed(n: number, digits: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
}

function filesystemOf(dir: string): string {
  try {
    const lines = execFileSync('df', ['-PT', dir], { encoding: 'utf8' }).trim().split('\n');
    const [device, type] = lines[lines.length - 1].split(/\s+/);
    return `${type} (${device})`;
  } catch {
    return 'unknown (df failed)';
  }
}

async function main(): Promise<void> {
  const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
  let base = join(repoRoot, 'data');
  try {
    mkdirSync(base, { recursive: true });
  } catch {
    base = '/var/tmp';
  }
  const dir = mkdtempSync(join(base, 'bench-journal-'));
  const fs = filesystemOf(dir);
  console.log(`journal bench in ${dir} on ${fs}${fs.startsWith('tmpfs') ? '  WARNING: tmpfs, fsync costs nothing here' : ''}`);
  try {
    const r = await runJournalBench(dir);
    console.log(
      `group commit: ${Math.round(r.eventsPerSec).toLocaleString('en-US')} events/s ` +
        `(${THROUGHPUT_EVENTS.toLocaleString('en-US')} events, bursts of ${BURST_EVENTS}; bar ≥ 100,000)`,
    );
    console.log(
      `lone append→ack: p50 ${r.loneAckP50Ms.toFixed(3)} ms, p99 ${r.loneAckP99Ms.toFixed(3)} ms ` +
        `(${LONE_APPENDS} sequential appends; bar p99 ≤ 2 ms)`,
    );
    console.log(
      `bare better-sqlite3 loop (floor): ${Math.round(r.bareRowsPerSec).toLocaleString('en-US')} rows/s in transactions of ${r.batchRows}; ` +
        `lone row p50 ${r.bareLoneP50Ms.toFixed(3)} ms, p99 ${r.bareLoneP99Ms.toFixed(3)} ms`,
    );
    console.log(
      `journal / bare: throughput ${(r.eventsPerSec / r.bareRowsPerSec).toFixed(2)}x (bar ≥ 0.80), ` +
        `lone p99 ${signed(r.loneAckP99Ms - r.bareLoneP99Ms, 3)} ms (bar ≤ +0.5 ms)`,
    );
    console.log(`throughput ratio of each run: ${r.runRatios.map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`medians of ${RUNS} runs; lone appends of journal and bare loop interleaved one for one`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
