/**
 * ProfitDLL callbacks to the event loop (PRODUCT.md §7: ≥ 10,000 callbacks/s, nothing lost or reordered),
 * through both paths side by side:
 *   - relay: the native relay's C callback runs TranslateTrade on the DLL's thread, copies into its ring and
 *     returns; the relay's notifier wakes the event loop, which drains the ring in batches;
 *   - direct: each callback crosses into the event loop through koffi (which blocks the DLL thread until the
 *     JavaScript callback returns), is translated with TranslateTrade there, queued and drained.
 *
 * The C stand-in's own thread fires a burst of trades through SetTradeCallbackV2, handed to the broker listener.
 * The stand-in numbers the trades' quantities 1, 2, 3, …, so the listener can prove that every one arrived
 * and in order. The rate runs from the request to the last trade received; the median of a few runs is kept.
 *
 * Run alone: npx tsx bench/profitdll.ts
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import koffi from 'koffi';
import { createProfitDllBroker } from '../bridge/adapters/profitdll/index.js';
import type { BrokerTrade } from '../bridge/execution/broker-port.js';
import { defaultInstruments } from '../bridge/model/instrument.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STANDIN_DIR = join(ROOT, 'bridge', 'native', 'profitdll-standin');
const TRADES_PER_RUN = 100_000;
const RUNS = 3;
const RUN_TIMEOUT_MS = 120_000;

export type CallbackPath = 'relay' | 'direct';

export interface ProfitDllBenchResult {
  path: CallbackPath;
  callbacksPerSec: number;
  received: number;
  expected: number;
  inOrder: boolean;
}

export async function runProfitDllBench(path: CallbackPath = 'relay'): Promise<ProfitDllBenchResult> {
  execFileSync(join(STANDIN_DIR, 'build.sh'), { stdio: 'pipe' });
  execFileSync(join(ROOT, 'bridge', 'native', 'profitdll-relay', 'build.sh'), { stdio: 'pipe' });
  const library = join(STANDIN_DIR, 'build', 'libprofitdll.so');
  process.env.PROFITDLL_STANDIN_STEP_MS = '1';
  process.env.PROFITDLL_STANDIN_MARKET_MS = '0';
  delete process.env.PROFITDLL_STANDIN_STATE_FILE;
  const emitTrades = koffi.load(library).func('int32 StandinEmitTrades(str16, str16, int32, int32)');

  let onTrade: (t: BrokerTrade) => void = () => {};
  const broker = createProfitDllBroker({
    dllPath: library,
    credentials: { activationKey: 'bench', user: 'bench', password: 'bench' },
    instruments: defaultInstruments(),
    relay: path === 'relay' ? 'auto' : 'off',
    log: (level, msg) => {
      if (level !== 'info') console.error(`[profitdll] ${msg}`);
    },
  });
  broker.setListener({
    connection: () => {},
    orderUpdate: () => {},
    fill: () => {},
    book: () => {},
    trade: (t) => onTrade(t),
  });
  await broker.connect();
  if (!broker.isConnected()) throw new Error(`stand-in did not connect: ${broker.status().message}`);
  if (broker.diagnostics().path !== path) throw new Error(`asked for the ${path} path, got ${broker.diagnostics().path}`);
  broker.subscribe('PETR4');
  await new Promise((r) => setTimeout(r, 50));

  const runs: ProfitDllBenchResult[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      let received = 0;
      let inOrder = true;
      const done = new Promise<void>((resolve) => {
        onTrade = (t) => {
          received++;
          if (t.qty !== received) inOrder = false;
          if (received === TRADES_PER_RUN) resolve();
        };
      });
      const t0 = performance.now();
      if (emitTrades('PETR4', 'B', TRADES_PER_RUN, 0) !== 0) throw new Error('StandinEmitTrades refused the burst');
      // A lost trade would leave `done` pending: the run then ends at the timeout, short of the count.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, RUN_TIMEOUT_MS)))]);
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      runs.push({ path, callbacksPerSec: Math.round(received / seconds), received, expected: TRADES_PER_RUN, inOrder });
    }
  } finally {
    await broker.close();
  }
  runs.sort((a, b) => a.callbacksPerSec - b.callbacksPerSec);
  const median = runs[Math.floor(runs.length / 2)];
  return {
    path,
    callbacksPerSec: median.callbacksPerSec,
    // The proof covers every run, not only the median one.
    received: Math.min(...runs.map((r) => r.received)),
    expected: TRADES_PER_RUN,
    inOrder: runs.every((r) => r.inOrder && r.received === r.expected),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const path of ['relay', 'direct'] as const) {
    const result = await runProfitDllBench(path);
    console.log(
      `profitdll ${path}: ${result.callbacksPerSec.toLocaleString('en-US')} callbacks/s (median of ${RUNS}), ` +
        `${result.received}/${result.expected} received, ${result.inOrder ? 'in order' : 'OUT OF ORDER'} ` +
        `(bar: ≥ 10,000/s, none lost or reordered)`,
    );
    if (result.callbacksPerSec < 10_000 || !result.inOrder || result.received !== result.expected) process.exitCode = 1;
  }
}
