/**
 * `npm run bench`: every benchmark of the bridge in one run on this machine, printed as a table
 * to paste into the README. Medians of repeated runs (the machines are shared and noisy).
 * Each figure is printed next to its bar from PRODUCT.md §7.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAlgoBench } from './algos.js';
import type { BacktestBenchResult } from './backtest.js';
import { runBridgeBench } from './bridge.js';
import { runImportBench } from './import.js';
import { runJournalBench } from './journal.js';
import { runMatchingBench } from './matching.js';
import { runPanicCliBench } from './panic-cli.js';
import { runWsFanoutBench } from './ws-fanout.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rows: Array<[string, string, string]> = [];

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`machine: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`);
console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The backtest benches in a process of their own (bench/backtest.ts), as the product runs every
 * backtest in a process of its own: nothing the benches before them left in this one counts.
 * `--expose-gc` lets the crossover give each contestant a clean heap.
 */
function backtestBenchInOwnProcess(): BacktestBenchResult {
  const dir = mkdtempSync(path.join(repo, 'data', 'bench-result-'));
  const file = path.join(dir, 'backtest.json');
  try {
    execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(repo, 'bench', 'backtest.ts')], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, BENCH_RESULT_FILE: file } });
    return JSON.parse(readFileSync(file, 'utf8')) as BacktestBenchResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

mkdirSync(path.join(repo, 'data'), { recursive: true });
const journalDir = mkdtempSync(path.join(repo, 'data', 'bench-journal-'));
try {
  const j = await runJournalBench(journalDir);
  rows.push(['journal, group commit (fsync per commit)', `${fmt(j.eventsPerSec)} events/s`, '≥ 100,000 events/s']);
  rows.push(['journal, lone event append→ack', `p50 ${j.loneAckP50Ms.toFixed(2)} ms, p99 ${j.loneAckP99Ms.toFixed(2)} ms`, 'p99 ≤ 2 ms']);
  rows.push([`bare better-sqlite3 loop, same disk and row (floor), transactions of ${j.batchRows}`, `${fmt(j.bareRowsPerSec)} rows/s; lone p50 ${j.bareLoneP50Ms.toFixed(2)} ms, p99 ${j.bareLoneP99Ms.toFixed(2)} ms`, '—']);
  rows.push(['journal against the bare loop', `${(j.eventsPerSec / j.bareRowsPerSec).toFixed(2)}× throughput (single runs ${Math.min(...j.runRatios).toFixed(2)}–${Math.max(...j.runRatios).toFixed(2)}×); lone p99 ${j.loneAckP99Ms - j.bareLoneP99Ms >= 0 ? '+' : ''}${(j.loneAckP99Ms - j.bareLoneP99Ms).toFixed(2)} ms`, '≥ 0.8×; ≤ +0.5 ms']);
} finally {
  rmSync(journalDir, { recursive: true, force: true });
}

for (const r of await runMatchingBench()) {
  rows.push([`matching: ${r.name}`, `${fmt(r.opsPerSec)} ops/s`, r.name.includes('nodejs-order-book') ? '(comparison)' : r.name.includes('deep') ? '≥ 500,000 ops/s, faster than the library' : '≥ 1,000,000 ops/s, faster than the library']);
}

const ws = await runWsFanoutBench();
rows.push([`WebSocket fan-out to ${ws.clients} clients`, `${fmt(ws.deltasPerSec)} deltas/s (${fmt(ws.messagesDeliveredPerSec)} messages/s delivered)`, '—']);

const bridge = await runBridgeBench();
rows.push(['bulk batch of 1,000 boletas, validated and accepted', `${bridge.batch1000Ms.toFixed(1)} ms`, '≤ 500 ms']);
rows.push(['PÂNICO with 1,000 working children, all cancels acknowledged', `${bridge.killSwitch1000Ms.toFixed(1)} ms (${bridge.acceptedAfterEngage} accepted after engage)`, '≤ 250 ms, none accepted']);

const algos = await runAlgoBench();
rows.push([
  `${fmt(algos.algos)} working algo orders (TWAP, VWAP, iceberg, cover) on ${algos.symbols} simulated symbols`,
  `${fmt(algos.marketEventsPerSec)} market events/s; event→decision p50 ${algos.p50Ms.toFixed(3)} ms, p99 ${algos.p99Ms.toFixed(2)} ms; longest stall ${algos.maxStallMs.toFixed(0)} ms with all working (start-up ${algos.startupMaxStallMs.toFixed(0)} ms); ${fmt(algos.bytesPerAlgo / 1024)} KiB heap per algo`,
  '≥ 10,000 with p99 ≤ 2 ms, no stall > 50 ms',
]);
const imp = await runImportBench();
{
  const ratios = imp.importRuns.map((x, i) => x / imp.bareRuns[i]);
  rows.push([
    `Profit CSV import, ${fmt(imp.rows)} 1-minute candles stored (import and its bare CSV reader taking turns, ${imp.runs} runs each)`,
    `${fmt(imp.importRowsPerSec)} rows/s (its bare reader on the same file: ${fmt(imp.bareParserRowsPerSec)} rows/s; ratio of medians ${(imp.importRowsPerSec / imp.bareParserRowsPerSec).toFixed(2)}, single runs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    '≥ 300,000 rows/s, ≥ 0.5 of the bare parser',
  ]);
}
rows.push(['market database: one day of 1-minute candles read', `${imp.dayReadMs.toFixed(2)} ms`, '≤ 5 ms']);
const bt = backtestBenchInOwnProcess();
const range = (f: { perSec: number[] }) => `${fmt(Math.min(...f.perSec))}–${fmt(Math.max(...f.perSec))}`;
rows.push([
  `backtest: signal-only strategy over ${fmt(bt.signal.bars)} 1-minute bars (${bt.signal.symbols} symbols × 8 years of B3 sessions), warm: every bar from the columnar cache (a sweep's later runs)`,
  `${fmt(bt.signal.warm.median)} bars/s (median of ${bt.signal.warm.perSec.length}; runs ${range(bt.signal.warm)})`,
  '≥ 1,000,000 bars/s',
]);
rows.push([
  `backtest: the same, cold: every bar from market.db (SQLite${bt.signal.readerThread ? ', read by a reader thread while the replay runs' : ''}; the cache written on the way)`,
  `${fmt(bt.signal.cold.median)} bars/s (median of ${bt.signal.cold.perSec.length}; runs ${range(bt.signal.cold)})`,
  '≥ 1,000,000 bars/s',
]);
const tr = bt.trading;
rows.push([
  `backtest: trading strategy over ${fmt(tr.prints)} prints (2 symbols × 15 sessions) through the simulated exchange and algos — a cover-to-X or TWAP parent working ${Math.round(tr.workingShare * 100)}% of the session on each symbol, passive limits placed and cancelled every 30 s — warm`,
  `${fmt(tr.warm.median)} prints/s (median of ${tr.warm.perSec.length}; runs ${range(tr.warm)}); ${fmt(tr.orders)} boletas, ${fmt(tr.children)} child orders, ${fmt(tr.reprices)} re-prices, ${fmt(tr.fills)} fills`,
  '≥ 200,000 trades/s',
]);
rows.push([`backtest: the same, cold (prints from market.db)`, `${fmt(tr.cold.median)} prints/s (median of ${tr.cold.perSec.length}; runs ${range(tr.cold)})`, '≥ 200,000 trades/s']);
for (const c of bt.crossover) {
  rows.push([
    `MA crossover ${c.fast}/${c.slow}, ${fmt(c.bars)} 1-minute bars: BlackBox (bundled ma-crossover.ts, every order through OMS, risk gate, fees, settlement)`,
    `${fmt(c.blackbox.median)} bars/s (median of ${c.blackbox.perSec.length}; runs ${range(c.blackbox)}); ${fmt(c.roundTrips)} round trips, the same as grademark's: ${c.sameTrades ? 'yes' : 'NO'} (entry and exit times and prices); fills off the next bar's open: ${c.fillsOffTheOpen}`,
    'faster than the library, same trades',
  ]);
  rows.push([`MA crossover ${c.fast}/${c.slow}: grademark 0.3.0 on the same bars`, `${fmt(c.grademark.median)} bars/s (median of ${c.grademark.perSec.length}; runs ${range(c.grademark)})`, '(comparison)']);
}
rows.push(['backtrader, published (2M candles, 100 × 20k, no trading; i7 laptop; blog 2019-10-25)', 'CPython 14,713 candles/s; PyPy 34,971 candles/s', '(reference, other machine)']);
const panicCli = await runPanicCliBench();
rows.push([`\`blackbox panic\` from a terminal, spawn to exit (${panicCli.runs} runs)`, `${panicCli.medianMs.toFixed(0)} ms (max ${panicCli.maxMs.toFixed(0)} ms)`, '< 500 ms']);

try {
  const { runProfitDllBench } = await import('./profitdll.js');
  for (const path of ['relay', 'direct'] as const) {
    const p = await runProfitDllBench(path);
    const how = path === 'relay' ? 'through the native relay' : 'direct koffi path';
    rows.push([`ProfitDLL stand-in callbacks to the event loop, ${how}`, `${fmt(p.callbacksPerSec)} /s (${fmt(p.received)}/${fmt(p.expected)} received, in order: ${p.inOrder})`, '≥ 10,000/s, none lost or reordered']);
  }
} catch (e) {
  rows.push(['ProfitDLL stand-in callbacks', `not measured: ${(e as Error).message}`, '≥ 10,000/s']);
}

console.log('| what | measured (median) | bar |');
console.log('|---|---|---|');
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
