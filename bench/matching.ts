/**
 * Matching benchmark (PRODUCT.md §7): the simulated exchange's OrderBook against the npm library
 * `nodejs-order-book`, on the same deterministic op streams, in one run.
 *
 *   shallow: a few levels around a wandering mid; passive limits, marketable limits, market orders, cancels.
 *   deep:    130,000 orders rested first in long queues at 8 prices (untimed), then a timed mix where
 *            cancels hit random orders in the middle of those queues and the book stays above 100,000 orders.
 *
 * Each figure is the median of several repetitions (the machine is shared and noisy). The library cancels
 * in O(queue length), so on the deep stream it runs a prefix of the timed mix (same ops, fewer of them);
 * the row says how many ops it ran. Both books must trade the same quantity on the ops they both ran.
 *
 * Standalone: `npx tsx bench/matching.ts`.
 */
import { pathToFileURL } from 'node:url';
import { OrderBook as LibOrderBook, Side as LibSide } from 'nodejs-order-book';
import { OrderBook, type FillSink } from '../bridge/adapters/sim/order-book.js';
import { Prng } from '../bridge/model/prng.js';
import { median } from './stats.js';

const OP_LIMIT = 0;
const OP_MARKET = 1;
const OP_CANCEL = 2;

interface OpStream {
  length: number;
  /** Ops before `setupLength` build the book and are not timed. */
  setupLength: number;
  kind: Uint8Array;
  /** 0 buy, 1 sell. */
  side: Uint8Array;
  priceTicks: Int32Array;
  qty: Int32Array;
  /** Order id for limit/market, target id for cancel. */
  id: Float64Array;
  /** The same ids as strings, prebuilt so the library is not charged for the conversion. */
  idText: string[];
}

function newStream(length: number): OpStream {
  return {
    length,
    setupLength: 0,
    kind: new Uint8Array(length),
    side: new Uint8Array(length),
    priceTicks: new Int32Array(length),
    qty: new Int32Array(length),
    id: new Float64Array(length),
    idText: new Array<string>(length),
  };
}

class StreamWriter {
  private i = 0;
  private nextId = 1;
  /** Ids that may still rest; cancels draw from here (some will have traded: a cancel of nothing, in both books). */
  readonly live: number[] = [];
  constructor(
    readonly s: OpStream,
    private readonly rng: Prng,
  ) {}
  get count(): number {
    return this.i;
  }
  limit(side: number, priceTicks: number, qty: number): void {
    const id = this.nextId++;
    this.put(OP_LIMIT, side, priceTicks, qty, id);
    this.live.push(id);
  }
  market(side: number, qty: number): void {
    this.put(OP_MARKET, side, 0, qty, this.nextId++);
  }
  cancelRandom(): boolean {
    if (this.live.length === 0) return false;
    const k = this.rng.int(this.live.length);
    const id = this.live[k];
    this.live[k] = this.live[this.live.length - 1];
    this.live.pop();
    this.put(OP_CANCEL, 0, 0, 0, id);
    return true;
  }
  private put(kind: number, side: number, priceTicks: number, qty: number, id: number): void {
    const s = this.s;
    s.kind[this.i] = kind;
    s.side[this.i] = side;
    s.priceTicks[this.i] = priceTicks;
    s.qty[this.i] = qty;
    s.id[this.i] = id;
    s.idText[this.i] = String(id);
    this.i++;
  }
}

/** Upper bound of possibly-resting orders in the shallow stream: it keeps the book a few hundred orders deep. */
const SHALLOW_LIVE_ORDERS = 300;

export function shallowStream(ops: number, seed = 7): OpStream {
  const rng = new Prng(seed);
  const w = new StreamWriter(newStream(ops), rng);
  let mid = 10_000;
  while (w.count < ops) {
    if (rng.next() < 0.01) mid += rng.next() < 0.5 ? -1 : 1;
    const side = rng.int(2);
    const r = rng.next();
    if (w.live.length > SHALLOW_LIVE_ORDERS) {
      w.cancelRandom();
    } else if (r < 0.5) {
      w.limit(side, side === 0 ? mid - rng.int(5) : mid + 1 + rng.int(5), 1 + rng.int(10));
    } else if (r < 0.6) {
      w.limit(side, side === 0 ? mid + 1 + rng.int(2) : mid - rng.int(2), 1 + rng.int(20));
    } else if (r < 0.7) {
      w.market(side, 1 + rng.int(20));
    } else if (!w.cancelRandom()) {
      w.limit(side, side === 0 ? mid : mid + 1, 1 + rng.int(10));
    }
  }
  return w.s;
}

export const DEEP_SETUP_ORDERS = 130_000;

export function deepStream(mixOps: number, seed = 11): OpStream {
  const rng = new Prng(seed);
  const w = new StreamWriter(newStream(DEEP_SETUP_ORDERS + mixOps), rng);
  const bidPrices = [9_996, 9_997, 9_998, 9_999];
  const askPrices = [10_001, 10_002, 10_003, 10_004];
  const passive = (side: number): void =>
    w.limit(side, side === 0 ? bidPrices[rng.int(4)] : askPrices[rng.int(4)], 1 + rng.int(10));
  for (let i = 0; i < DEEP_SETUP_ORDERS; i++) passive(i & 1);
  w.s.setupLength = w.count;
  while (w.count < w.s.length) {
    const side = rng.int(2);
    const r = rng.next();
    if (r < 0.45) passive(side);
    else if (r < 0.8) w.cancelRandom();
    else if (r < 0.9) w.market(side, 1 + rng.int(10));
    else w.limit(side, side === 0 ? 10_001 : 9_999, 1 + rng.int(10));
  }
  return w.s;
}

class TradedQty implements FillSink {
  qty = 0;
  fills = 0;
  onFill(_maker: number, _taker: number, qty: number): void {
    this.qty += qty;
    this.fills++;
  }
}

interface RunResult {
  elapsedMs: number;
  ops: number;
  tradedQty: number;
  /** Orders resting after the run; only our book reports it. */
  restingAfter?: number;
}

function runOurs(s: OpStream, timedOps: number): RunResult {
  const sink = new TradedQty();
  const book = new OrderBook(sink, 1 << 12);
  const { kind, side, priceTicks, qty, id } = s;
  const apply = (i: number): void => {
    const k = kind[i];
    if (k === OP_LIMIT) book.addLimit(id[i], side[i] === 0 ? 'buy' : 'sell', qty[i], priceTicks[i]);
    else if (k === OP_MARKET) book.addMarket(id[i], side[i] === 0 ? 'buy' : 'sell', qty[i]);
    else book.cancel(id[i]);
  };
  for (let i = 0; i < s.setupLength; i++) apply(i);
  const tradedBefore = sink.qty;
  const end = s.setupLength + timedOps;
  const t0 = performance.now();
  for (let i = s.setupLength; i < end; i++) apply(i);
  const elapsedMs = performance.now() - t0;
  book.checkInvariants();
  return { elapsedMs, ops: timedOps, tradedQty: sink.qty - tradedBefore, restingAfter: book.size };
}

function runLibrary(s: OpStream, timedOps: number): RunResult {
  const book = new LibOrderBook();
  const { kind, side, priceTicks, qty, idText } = s;
  let traded = 0;
  const apply = (i: number): void => {
    const k = kind[i];
    if (k === OP_LIMIT) {
      const r = book.limit({ id: idText[i], side: side[i] === 0 ? LibSide.BUY : LibSide.SELL, size: qty[i], price: priceTicks[i] });
      traded += qty[i] - r.quantityLeft;
    } else if (k === OP_MARKET) {
      const r = book.market({ side: side[i] === 0 ? LibSide.BUY : LibSide.SELL, size: qty[i] });
      traded += qty[i] - r.quantityLeft;
    } else {
      book.cancel(idText[i]);
    }
  };
  for (let i = 0; i < s.setupLength; i++) apply(i);
  const tradedBefore = traded;
  const end = s.setupLength + timedOps;
  const t0 = performance.now();
  for (let i = s.setupLength; i < end; i++) apply(i);
  const elapsedMs = performance.now() - t0;
  return { elapsedMs, ops: timedOps, tradedQty: traded - tradedBefore };
}

export interface BenchRow {
  name: string;
  opsPerSec: number;
  /** Timed ops per repetition. */
  ops: number;
  reps: number;
  medianMs: number;
  /** Quantity traded during the timed ops (must match between books on the same ops). */
  tradedQty: number;
  /** Orders resting after the run (our book only). */
  restingAfter?: number;
}

function measure(name: string, reps: number, run: () => RunResult): BenchRow {
  const times: number[] = [];
  let last: RunResult | undefined;
  for (let r = 0; r < reps; r++) {
    last = run();
    times.push(last.elapsedMs);
  }
  if (!last) throw new Error('no repetitions');
  const medianMs = median(times);
  return {
    name,
    opsPerSec: Math.round((last.ops / medianMs) * 1000),
    ops: last.ops,
    reps,
    medianMs: Math.round(medianMs * 100) / 100,
    tradedQty: last.tradedQty,
    ...(last.restingAfter === undefined ? {} : { restingAfter: last.restingAfter }),
  };
}

export interface MatchingBenchOptions {
  shallowOps?: number;
  deepMixOps?: number;
  /** Timed deep ops the library runs (a prefix of the same mix). */
  libraryDeepOps?: number;
  reps?: number;
  libraryReps?: number;
}

export async function runMatchingBench(options: MatchingBenchOptions = {}): Promise<BenchRow[]> {
  const shallowOps = options.shallowOps ?? 1_000_000;
  const deepMixOps = options.deepMixOps ?? 300_000;
  const libraryDeepOps = Math.min(options.libraryDeepOps ?? 3_000, deepMixOps);
  const reps = options.reps ?? 7;
  const libraryReps = options.libraryReps ?? 3;

  const shallow = shallowStream(shallowOps);
  const deep = deepStream(deepMixOps);

  const rows: BenchRow[] = [];
  // Warm both code paths before timing anything.
  runOurs(shallowStream(50_000, 99), 50_000);
  runLibrary(shallowStream(20_000, 99), 20_000);

  const ourShallow = measure('shallow · blackbox OrderBook', reps, () => runOurs(shallow, shallow.length));
  const libShallow = measure('shallow · nodejs-order-book', libraryReps, () => runLibrary(shallow, shallow.length));
  rows.push(ourShallow, libShallow);

  const ourDeep = measure('deep · blackbox OrderBook', reps, () => runOurs(deep, deepMixOps));
  const ourDeepPrefix = runOurs(deep, libraryDeepOps);
  const libDeep = measure(`deep · nodejs-order-book (first ${libraryDeepOps} ops)`, libraryReps, () => runLibrary(deep, libraryDeepOps));
  rows.push(ourDeep, libDeep);

  if (ourShallow.tradedQty !== libShallow.tradedQty) {
    throw new Error(`shallow: traded qty differs, ours ${ourShallow.tradedQty} vs library ${libShallow.tradedQty}`);
  }
  if (ourDeepPrefix.tradedQty !== libDeep.tradedQty) {
    throw new Error(`deep prefix: traded qty differs, ours ${ourDeepPrefix.tradedQty} vs library ${libDeep.tradedQty}`);
  }
  if (ourDeep.restingAfter === undefined || ourDeep.restingAfter < 100_000) {
    throw new Error(`deep: only ${ourDeep.restingAfter} orders resting at the end; the scenario needs 100,000+`);
  }
  return rows;
}

function printTable(rows: BenchRow[]): void {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const header = ['scenario', 'ops/s (median)', 'timed ops', 'reps', 'median ms', 'traded qty', 'resting after'];
  const body = rows.map((r) => [r.name, fmt(r.opsPerSec), fmt(r.ops), String(r.reps), String(r.medianMs), fmt(r.tradedQty), r.restingAfter === undefined ? '' : fmt(r.restingAfter)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMatchingBench()
    .then(printTable)
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
