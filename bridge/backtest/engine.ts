/**
 * A backtest: one strategy over stored history, through the same kernel as live (OMS, algos, risk
 * gate, allocation, fees, settlement) with only the market swapped: the replay venue on a simulated
 * clock that jumps from event to event, an in-memory journal, and the strategy's runner in this
 * thread. Deterministic: the same data, spec and seed give the same orders, fills and figures.
 */
import type { ApiErrorItem } from '../../common/types.js';
import type { BacktestFillView, BacktestOrderView, BacktestResultView, BacktestSpec } from '../../common/backtest.js';
import { saoPauloDate } from '../calendar/iso-date.js';
import { createAlgoRegistry } from '../execution/algos/registry.js';
import { feeSchedule } from '../fees/fee-schedule.js';
import { createKernel, type TradingKernel } from '../kernel.js';
import type { MarketDb } from '../marketdata/market-db.js';
import { MarketVolumeProfiles, vwapProfileSource } from '../marketdata/volume-profile.js';
import { saoPauloDayRangeMs } from '../marketdata/sp-instant.js';
import { brlToCentavos, defaultInstruments, instrumentView, InstrumentRegistry, notionalCentavos, ticksToPrice, tradedContract } from '../model/instrument.js';
import { resolveParams } from '../strategy/params.js';
import type { BarInterval, StrategyDefinition } from '../strategy/api.js';
import { historyBars } from '../strategy/history.js';
import { StrategyHost, type DispatchResult, type RunnerPort } from '../strategy/host.js';
import type { HostEvent, StrategyFault } from '../strategy/protocol.js';
import { StrategyRunner } from '../strategy/runner.js';
import { EquityTracker } from './equity.js';
import type { FeedReadOptions, FeedReadStats } from './feed-sources.js';
import { computeMetrics } from './metrics.js';
import { CountingSink, DISCARDING_SINK, ReplayDriver, SimClock } from './replay-driver.js';
import { openReplayMarket } from './replay-market.js';
import { replaySession } from './session.js';

export interface BacktestOptions {
  marketDb: MarketDb;
  /** The strategy module's file (to find its lines in a stack). */
  sourceFile?: string;
  cancelled?: () => boolean;
  /** 0..1 and events per second, every few thousand events. */
  progress?: (fraction: number, eventsPerSec: number) => void;
  /** The runner's probe, read by a watchdog in another thread. */
  probe?: Int32Array;
  /** How the stored rows are read: the columnar cache, a reader thread (defaults: both when worth it). */
  feed?: FeedReadOptions;
}

export type BacktestOutcome = { ok: true; result: BacktestResultView } | { ok: false; errors: ApiErrorItem[] };

const MAX_LOGS = 1_000;
const NO_HOSTS: StrategyHost[] = [];
const NO_COMMANDS: DispatchResult['commands'] = [];

/**
 * The runner in this thread: a batch is dispatched synchronously, event by event. The result is one
 * object rewritten per batch (the host reads it before it dispatches again): a run makes no object per bar here.
 */
class InThreadRunner implements RunnerPort {
  private readonly result: DispatchResult = { commands: NO_COMMANDS, nextTimerMs: undefined, fault: undefined };

  constructor(private readonly runner: StrategyRunner) {}

  dispatch(events: HostEvent[]): DispatchResult {
    let commands: DispatchResult['commands'] | undefined;
    for (let i = 0; i < events.length; i++) {
      const c = this.runner.dispatch(events[i]);
      if (c.length > 0) commands = commands ? commands.concat(c) : c;
      if (this.runner.fault()) break;
    }
    const r = this.result;
    r.commands = commands ?? NO_COMMANDS;
    r.nextTimerMs = this.runner.nextTimerMs();
    r.fault = this.runner.fault();
    return r;
  }
}

export async function runBacktest(def: StrategyDefinition, spec: BacktestSpec, o: BacktestOptions): Promise<BacktestOutcome> {
  const started = performance.now();
  const errors: ApiErrorItem[] = [];
  const params = resolveParams(def.params, spec.params, 'params');
  if (!params.ok) errors.push(...params.errors);
  if (spec.from > spec.to) errors.push({ field: 'from', code: 'range', message: `início ${spec.from} depois do fim ${spec.to}` });
  if (errors.length) return { ok: false, errors };

  const clock = new SimClock(saoPauloDayRangeMs(spec.from).fromMs);
  const instruments = new InstrumentRegistry(defaultInstruments(clock.now()), { nowMs: clock.now });
  const opened = openReplayMarket(o.marketDb, spec, instruments, clock);
  if (!opened.ok) return { ok: false, errors: [{ field: 'symbols', code: 'no_data', message: opened.message }] };
  const market = opened.market;
  const { fromMs, toMs, venue } = market;
  const tradeSymbol = (s: string, ms: number) => tradedContract(s, saoPauloDate(ms));

  const warnings: string[] = [];
  let fault: StrategyFault | undefined;
  const warn = (m: string) => {
    if (warnings.length < 100) warnings.push(m);
  };
  const sink = new CountingSink(DISCARDING_SINK);
  const openingCentavos = brlToCentavos(spec.cashBrl);
  const clients = new Set(spec.clients);
  const profiles = new MarketVolumeProfiles(o.marketDb);
  // History older than the fee table is priced by its first version, said once per year.
  const feeYears = new Set<string>();
  const fees = feeSchedule().reachingBack((isoDate, first) => {
    const year = isoDate.slice(0, 4);
    if (feeYears.has(year)) return;
    feeYears.add(year);
    warn(`sem tabela de tarifas da B3 para ${year}: usada a de ${first}`);
  });
  const kernel = createKernel({
    broker: venue,
    journal: sink,
    instruments,
    clients: { has: (c) => clients.has(c), account: () => '', limits: () => undefined, openingCashCentavos: () => openingCentavos },
    settings: { collarBps: 1_000, maxOrderQty: 100_000_000, maxOrderNotionalBrl: Math.max(50_000_000, spec.cashBrl * 10) },
    // VWAP plans on the sessions before the day it trades: no look-ahead into the replayed data.
    algos: createAlgoRegistry(vwapProfileSource(profiles, undefined, { asOfDay: true })),
    session: replaySession(warn),
    idPrefix: 'BT',
    nowMs: clock.now,
    timers: 'manual',
    notifications: 'manual',
    fees,
    log: (level, msg, extra) => {
      if (level === 'info') return;
      const text = extra instanceof Error ? `${msg}: ${extra.message}` : msg;
      // A broker event the kernel could not apply (a fill it could not book) leaves the run's books
      // wrong from there on: the run stops and says why instead of finishing with wrong figures.
      if (msg === 'event handler failed' && !fault) fault = { hook: 'kernel', message: `evento da corretora não aplicado: ${text}` };
      warn(text);
    },
    audit: () => undefined,
  });
  market.attach(kernel, () => spec.clients, warn);

  const runId = `bt-${spec.seed}`;
  const sourceFile = o.sourceFile;
  const runner = new StrategyRunner(def, {
    runId,
    mode: 'backtest',
    symbols: spec.symbols,
    clients: spec.clients,
    interval: spec.interval as BarInterval,
    params: params.ok ? params.values : {},
    seed: spec.seed,
    instruments: spec.symbols.map((s) => {
      const v = instrumentView(instruments.require(tradeSymbol(s, fromMs)));
      return { symbol: s, kind: v.kind, tickSize: v.tickSize, lotSize: v.lotSize, pointValue: v.pointValue };
    }),
    openingCash: Object.fromEntries(spec.clients.map((c) => [c, spec.cashBrl])),
    sourceFile,
    probe: o.probe,
  });
  const logs: Array<{ t: string; message: string }> = [];
  const host = new StrategyHost(
    kernel,
    new InThreadRunner(runner),
    {
      runId,
      name: def.name,
      symbols: spec.symbols,
      clients: spec.clients,
      interval: spec.interval as BarInterval,
      wants: { trades: runner.wantsTrades(), quotes: runner.wantsQuotes() },
      barsFrom: market.barsFrom,
    },
    {
      nowMs: clock.now,
      actor: `strategy:${runId}`,
      onFault: (f) => (fault = f),
      onLog: (t, message) => {
        if (logs.length < MAX_LOGS) logs.push({ t: new Date(t).toISOString(), message });
      },
    },
  );
  const equity = new EquityTracker(kernel, spec.clients, openingCentavos, fromMs, toMs);
  kernel.listen({ portfolioChanged: () => equity.refresh() });

  const hosts = [host];
  const driver = new ReplayDriver({
    clock,
    venue,
    kernel,
    sink,
    hosts: () => (host.isEnded() ? NO_HOSTS : hosts),
    afterStep: (ev) => equity.sample(ev.timeMs),
    dayChanged: (_prev, next, nextStartMs) => {
      equity.closeDay();
      market.dayChanged(next, nextStartMs);
    },
  });

  await kernel.broker.connect();
  await kernel.oms.reconcile();
  const history = historyBars(o.marketDb, spec.symbols, spec.interval as BarInterval, fromMs, spec.warmupBars, (s) => instruments.get(tradeSymbol(s, fromMs))?.tickHundredths);
  host.start(history.length > 0 ? [{ kind: 'history', bars: history }] : []);
  await driver.settle();

  const { feed, stats: readStats } = await market.openFeed(o.feed);
  const total = Math.max(1, feed.totalRows);
  const runStart = performance.now();
  let run: { events: number; cancelled: boolean };
  try {
    run = await driver.run(feed, {
      cancelled: () => (o.cancelled?.() ?? false) || fault !== undefined,
      progress: (n) => {
        const secs = (performance.now() - runStart) / 1000;
        o.progress?.(Math.min(1, n / total), secs > 0 ? n / secs : 0);
      },
    });
  } finally {
    feed.close();
  }
  host.stop();
  await driver.settle();
  host.close();
  equity.closeDay();

  const elapsedMs = performance.now() - started;
  return { ok: true, result: collect(kernel, equity, spec, { events: run.events, elapsedMs, source: describeSource(market.plan), rows: feed.totalRows, read: readStats }, logs, warnings, fault, run.cancelled) };
}

function describeSource(series: Array<{ dataSymbol: string; source: string; stored: string; interval?: string }>): string {
  return series.map((s) => (s.source === 'trades' ? `${s.dataSymbol} negócios` : s.stored === s.interval ? `${s.dataSymbol} ${s.stored}` : `${s.dataSymbol} ${s.interval} de ${s.stored}`)).join(', ');
}

function collect(
  kernel: TradingKernel,
  equity: EquityTracker,
  spec: BacktestSpec,
  stats: { events: number; elapsedMs: number; source: string; rows: number; read: FeedReadStats },
  logs: Array<{ t: string; message: string }>,
  warnings: string[],
  fault: StrategyFault | undefined,
  cancelled: boolean,
): BacktestResultView {
  const oms = kernel.oms;
  const parents = oms.list();
  const orders: BacktestOrderView[] = [];
  const fills: BacktestFillView[] = [];
  let traded = 0;
  let slipW = 0;
  let slipQ = 0;
  let vwapW = 0;
  let vwapQ = 0;
  let partSum = 0;
  let partN = 0;
  let children = 0;
  let reprices = 0;
  for (const p of parents) {
    const inst = kernel.instruments.require(p.symbol);
    const v = oms.view(p, false);
    const m = v.metrics;
    orders.push({
      id: v.id,
      symbol: v.symbol,
      side: v.side,
      qty: v.qty,
      filledQty: v.filledQty,
      avgPrice: v.avgPrice,
      ...(v.limitPrice !== undefined ? { limitPrice: v.limitPrice } : {}),
      algo: v.algo.type,
      status: v.status,
      ...(v.statusReason ? { statusReason: v.statusReason } : {}),
      createdAt: v.createdAt,
      ...(v.client ? { client: v.client } : {}),
      ...(m?.slippageVsArrivalBps !== undefined ? { slippageVsArrivalBps: m.slippageVsArrivalBps } : {}),
      ...(m?.slippageVsVwapBps !== undefined ? { slippageVsVwapBps: m.slippageVsVwapBps } : {}),
      ...(m?.participationRate !== undefined ? { participationRate: m.participationRate } : {}),
      ...(m?.children !== undefined ? { children: m.children } : {}),
      ...(m?.reprices !== undefined ? { reprices: m.reprices } : {}),
    });
    if (m && v.filledQty > 0) {
      if (m.slippageVsArrivalBps !== undefined) {
        slipW += m.slippageVsArrivalBps * v.filledQty;
        slipQ += v.filledQty;
      }
      if (m.slippageVsVwapBps !== undefined) {
        vwapW += m.slippageVsVwapBps * v.filledQty;
        vwapQ += v.filledQty;
      }
      if (m.participationRate !== undefined) {
        partSum += m.participationRate;
        partN++;
      }
    }
    children += m?.children ?? 0;
    reprices += m?.reprices ?? 0;
    const parentFills = oms.fillsOf(p.id);
    // Their share of the clients' final day bills, so the run's fills add up to its fees to the centavo.
    const fees = oms.billedFillFees(p) ?? parentFills.map((f) => f.feesCentavos);
    parentFills.forEach((f, k) => {
      traded += Math.abs(notionalCentavos(inst, f.qty, f.priceTicks));
      fills.push({ orderId: p.id, symbol: f.symbol, side: f.side, qty: f.qty, price: ticksToPrice(inst, f.priceTicks), t: new Date(f.timeMs).toISOString(), feesBrl: fees[k] / 100 });
    });
  }
  const e = equity.result();
  const average = e.daily.reduce((a, b) => a + b, 0) / Math.max(1, e.daily.length);
  const metrics = computeMetrics({
    dailyEquityCentavos: e.daily,
    maxDrawdown: e.maxDrawdown,
    wins: e.wins,
    losses: e.losses,
    tradedNotionalCentavos: traded,
    averageEquityCentavos: average,
    feesCentavos: e.feesCentavos,
    fills: fills.length,
    riskFreeAnnual: spec.riskFreeAnnual,
  });
  const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
  return {
    metrics,
    orders,
    fills,
    equity: e.curve.map((p) => ({ t: new Date(p.t).toISOString(), value: p.equityCentavos / 100 })),
    drawdown: e.curve.map((p) => ({ t: new Date(p.t).toISOString(), value: Math.round(p.drawdown * 1e6) / 1e6 })),
    executionQuality: {
      orders: orders.length,
      slippageVsArrivalBps: round(slipQ > 0 ? slipW / slipQ : null),
      slippageVsVwapBps: round(vwapQ > 0 ? vwapW / vwapQ : null),
      participationRate: partN > 0 ? Math.round((partSum / partN) * 1e4) / 1e4 : null,
      children,
      reprices,
    },
    logs,
    stats: { ...stats, elapsedMs: Math.round(stats.elapsedMs), eventsPerSec: stats.elapsedMs > 0 ? Math.round(stats.events / (stats.elapsedMs / 1000)) : 0 },
    ...(fault ? { fault: { hook: fault.hook, message: fault.message, ...(fault.location ? { location: fault.location } : {}) } } : {}),
    warnings: cancelled && !fault ? [...warnings, 'execução cancelada: resultado parcial'] : warnings,
  };
}
