/**
 * Algo runtime benchmark (PRODUCT.md §7): 10,000 concurrent working algo orders — TWAP, VWAP,
 * iceberg and cover-to-X in equal parts — on the simulated B3 with a high quote rate, in one
 * process on the one event loop. Reports market events handled per second, the latency from a
 * market event reaching the bridge to the algos' decisions on it (p50/p99: the whole dispatch of
 * the event to every algo that asked for it, including the child orders it journals and sends),
 * the longest event-loop stall (perf_hooks monitorEventLoopDelay) and the heap per working algo.
 * The measured window opens 1 s after the last boleta was accepted, with every algo started and
 * working (`workingAtStart`); the start-up itself is reported apart (`startupMaxStallMs`).
 *
 * The journal is an in-memory sink and the risk gate's message throttle is opened wide: this
 * measures the algo runtime, not fsync (bench/journal.ts) nor the throttle.
 *
 * Standalone: `npx tsx bench/algos.ts` (ALGOS=10000 SECONDS=10).
 */
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { SimExchange } from '../bridge/adapters/sim/exchange.js';
import { createInProcessSimBroker } from '../bridge/adapters/sim/sim-broker.js';
import type { BoletaInput } from '../common/schemas.js';
import { type EventSink, OrderManager } from '../bridge/execution/oms.js';
import { QuoteBoard } from '../bridge/marketdata/quote-board.js';
import { type Instrument, InstrumentRegistry } from '../bridge/model/instrument.js';
import { PortfolioService } from '../bridge/portfolio/portfolio-service.js';
import { DEFAULT_RISK_LIMITS, RiskGate } from '../bridge/risk/risk-gate.js';

export interface AlgoBenchResult {
  algos: number;
  /** Working when the measured window opened, and when it closed (icebergs and covers may fill meanwhile). */
  workingAtStart: number;
  working: number;
  symbols: number;
  seconds: number;
  marketEventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Longest event-loop stall in the steady-state window (all algos accepted and working). */
  maxStallMs: number;
  /** Longest stall while the boletas were accepted and the algos started (not in maxStallMs). */
  startupMaxStallMs: number;
  /**
   * The process's CPU over the window (100 = one core) and the machine's 1-minute load: a stall
   * while this process got well under a core on a loaded machine is time it was not scheduled.
   */
  cpuPctOfOneCore: number;
  loadAvg1m: number;
  bytesPerAlgo: number;
  childOrders: number;
  reprices: number;
}

function syntheticStocks(n: number): Instrument[] {
  return Array.from({ length: n }, (_, i) => ({
    symbol: `BNCH${String(i).padStart(3, '0')}`,
    name: `BENCH ${i}`,
    kind: 'stock' as const,
    tickHundredths: 1,
    lotSize: 100,
    tickValueCentavos: 1,
    settlementDays: 2,
    minQty: 100,
    maxQty: 100_000_000,
    referenceTicks: 2_000 + 37 * i,
  }));
}

/**
 * A full collection before each heap reading, so the figure per algo is what the algos hold and not
 * garbage left by whatever ran before (npm run bench runs other benches in the same process).
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export async function runAlgoBench(opts: { algos?: number; seconds?: number; symbols?: number; eventsPerSecPerSymbol?: number; onMeasureStart?: () => void } = {}): Promise<AlgoBenchResult> {
  const algos = opts.algos ?? 10_000;
  const seconds = opts.seconds ?? 10;
  const symbolsN = opts.symbols ?? 200;
  const insts = syntheticStocks(symbolsN);
  const instruments = new InstrumentRegistry(insts);
  // The market must not replay a starved moment's activity in one burst (it shares this event loop here;
  // in production it is another process): catch-up is bounded to 100 ms of participant events.
  const exchange = new SimExchange({ instruments: insts, seed: 42, baseEventsPerSecond: opts.eventsPerSecPerSymbol ?? 60, activityProfile: () => 1, maxCatchUpMs: 100 });
  const broker = createInProcessSimBroker({ exchange, tickIntervalMs: 10 });
  const sink: EventSink = { append: () => Promise.resolve() };
  const quotes = new QuoteBoard(instruments);
  const oms = new OrderManager({
    instruments,
    journal: sink,
    broker,
    risk: new RiskGate({ ...DEFAULT_RISK_LIMITS, childOrdersPerSec: 1e9, childOrderBurst: 1e9 }),
    booker: new PortfolioService(instruments, () => 1e12),
    clients: { has: () => true, account: () => 'BENCH', limits: () => undefined },
    quotes,
    idPrefix: 'B',
    nowMs: Date.now,
    log: () => undefined,
    audit: () => undefined,
  });

  let measuring = false;
  let lat = new Float64Array(1 << 20);
  let n = 0;
  const record = (ms: number) => {
    if (!measuring) return;
    if (n === lat.length) {
      const bigger = new Float64Array(lat.length * 2);
      bigger.set(lat);
      lat = bigger;
    }
    lat[n++] = ms;
  };
  broker.setListener({
    connection: (s) => oms.onConnection(s),
    orderUpdate: (u) => oms.onOrderUpdate(u),
    fill: (f) => oms.onFill(f),
    trade: (t) => {
      const t0 = performance.now();
      oms.runtime.onTrade(t);
      quotes.onTrade(t);
      record(performance.now() - t0);
    },
    book: (b) => {
      const t0 = performance.now();
      oms.runtime.onBook(b);
      quotes.onBook(b);
      record(performance.now() - t0);
    },
  });
  await broker.connect();
  for (const i of insts) broker.subscribe(i.symbol);
  await new Promise((r) => setTimeout(r, 300));
  await oms.reconcile();

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  // Start-up (10,000 boletas accepted in batches of 1,000, journaled, planned, first children sent)
  // is measured on its own; the steady-state window below starts once every algo is working.
  const hStart = monitorEventLoopDelay({ resolution: 5 });
  hStart.enable();
  const now = Date.now();
  const endIso = new Date(now + 3_600_000).toISOString();
  const rows: BoletaInput[] = [];
  for (let i = 0; i < algos; i++) {
    const inst = insts[i % symbolsN];
    const q = quotes.ticks(inst.symbol);
    const bid = q.bidTicks ?? inst.referenceTicks;
    const base = { client: `C${i % 50}`, symbol: inst.symbol, side: 'buy' as const, idempotencyKey: `bench-${i}` };
    switch (i % 4) {
      case 0: // TWAP, passive, one slice per 10 s: the scheduler works
        rows.push({ ...base, qty: 100_000, limitPrice: (bid - 5) / 100, algo: { type: 'twap', end: endIso, sliceSec: 10 } });
        break;
      case 1: // VWAP with a participation cap: every print reaches it
        rows.push({ ...base, qty: 100_000, limitPrice: (bid - 5) / 100, algo: { type: 'vwap', end: endIso, sliceSec: 10, maxParticipationPct: 5 } });
        break;
      case 2: // iceberg resting below the market
        rows.push({ ...base, qty: 10_000, limitPrice: (bid - 10) / 100, algo: { type: 'iceberg', displayQty: 100, variancePct: 20 } });
        break;
      default: // cover to X a few ticks above the bid: every book change reaches it
        rows.push({ ...base, qty: 1_000, limitPrice: (bid + 2) / 100, algo: { type: 'cover', minRepriceMs: 2_000 } });
    }
  }
  for (let i = 0; i < rows.length; i += 1_000) {
    const res = await oms.submitMany(rows.slice(i, i + 1_000), 'bench', false);
    const bad = res.find((r) => !r.ok);
    if (bad && !bad.ok) throw new Error(`bench boleta refused: ${JSON.stringify(bad.errors[0])}`);
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 1_000));
  hStart.disable();
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  const isWorking = (p: { status: string }) => p.status === 'working' || p.status === 'partially_filled' || p.status === 'pending_new';
  const workingAtStart = oms.list().filter(isWorking).length;

  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  opts.onMeasureStart?.();
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsedS = (performance.now() - t0) / 1000;
  h.disable();
  const cpu = process.cpuUsage(cpu0);

  const working = oms.list().filter(isWorking).length;
  let childOrders = 0;
  let reprices = 0;
  for (const p of oms.list()) {
    childOrders += p.childIds.length;
    reprices += p.reprices ?? 0;
  }
  const sorted = lat.slice(0, n).sort();
  oms.runtime.close();
  await broker.close();
  return {
    algos,
    workingAtStart,
    working,
    symbols: symbolsN,
    seconds: elapsedS,
    marketEventsPerSec: n / elapsedS,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxStallMs: h.max / 1e6,
    startupMaxStallMs: hStart.max / 1e6,
    cpuPctOfOneCore: (cpu.user + cpu.system) / 10 / (elapsedS * 1000),
    loadAvg1m: os.loadavg()[0],
    bytesPerAlgo: (heapAfter - heapBefore) / algos,
    childOrders,
    reprices,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runAlgoBench({ algos: Number(process.env.ALGOS ?? 10_000), seconds: Number(process.env.SECONDS ?? 10) });
  console.log(JSON.stringify(r, null, 2));
}
