/**
 * Strategies running in the bridge: each run is a StrategyHost on the bridge's own kernel (its
 * boletas are the bridge's orders, shown in Ordens with the run as their origin) and a runner in a
 * worker thread. On a real broker a run must be armed: its own limits (notional per boleta and in
 * total, boletas per minute, symbols) and `ARMAR` typed by the person; on the simulated B3 or a
 * replay it starts at once. PÂNICO halts every run. A bridge restart finds its runs stopped — never
 * running again by themselves — and the boletas they left working paused for a person to review.
 *
 * Time: in real time the service pumps each host as events come and wakes it on its timers; on a
 * replay the replay driver moves time and pumps the hosts itself (`pacing: 'driven'`).
 */
import { Low } from 'lowdb';
import path from 'node:path';
import { z } from 'zod';
import { strategyStartSchema, type StrategyRunView, type StrategyView } from '../../../common/backtest.js';
import { zodErrors } from '../../../common/schemas.js';
import type { ApiErrorItem } from '../../../common/types.js';
import { PrivateJsonFile } from '../../config/private-json-file.js';
import { isParentDone } from '../../model/order-state.js';
import type { TradingKernel } from '../../kernel.js';
import { continuousRoot, instrumentView, tradedContract } from '../../model/instrument.js';
import { saoPauloDate } from '../../calendar/iso-date.js';
import type { BarInterval } from '../api.js';
import { StrategyHost, type HostRun } from '../host.js';
import { describeStrategy, strategyCatalog } from '../sandbox/describe.js';
import { resolveParams } from '../params.js';
import type { HostEvent, StrategyFault } from '../protocol.js';
import { historyBars } from '../history.js';
import { MARKET_DB_FILE, MarketDb } from '../../marketdata/market-db.js';
import { existsSync } from 'node:fs';
import { ProcessRunner } from './runner-protocol.js';

export type StrategyMarket = 'sim' | 'live' | 'replay';

export interface StrategyServiceDeps {
  kernel: TradingKernel;
  dataDir: string;
  clock: () => number;
  market: StrategyMarket;
  /** 'realtime': the service paces its hosts; 'driven': a replay driver does. */
  pacing: 'realtime' | 'driven';
  /** Bars come from the venue (a replay of candles) or are built from prints. */
  barsFrom: 'venue' | 'prints';
  clients: { has(id: string): boolean; openingCashCentavos(id: string): number };
  audit(e: { actor: string; action: string; target?: string; details?: unknown }): void;
  log(level: 'info' | 'warn' | 'error', msg: string, extra?: unknown): void;
  publish(view: StrategyRunView): void;
  /** Hook budget and heap of a run's worker (tests shorten them). */
  hookBudgetMs?: number;
  heapMb?: number;
}

interface LiveRun {
  view: StrategyRunView;
  host?: StrategyHost;
  runner?: ProcessRunner;
  pumping: boolean;
  timer?: NodeJS.Timeout;
}

type Result<T> = { ok: true; value: T } | { ok: false; status: number; errors: ApiErrorItem[] };

/** Runs remembered (the newest); logs kept per run. */
const MAX_RUNS_KEPT = 200;
const MAX_LOGS_PER_RUN = 200;
const MAX_RUNNING = 20;

const persistedSchema = z.object({ runs: z.array(z.any()).default([]) });
type Persisted = { runs: StrategyRunView[] };

export class StrategyService {
  private readonly runs = new Map<string, LiveRun>();
  private nextId = 1;

  private constructor(
    private readonly d: StrategyServiceDeps,
    private readonly db: Low<Persisted>,
  ) {}

  /**
   * Opens the service: runs a previous bridge left running are stopped (they need arming again)
   * and their working boletas paused for review.
   */
  static async open(d: StrategyServiceDeps): Promise<StrategyService> {
    const db = new Low<Persisted>(new PrivateJsonFile<Persisted>(path.join(d.dataDir, 'strategy-runs.json')), { runs: [] });
    await db.read();
    db.data = persistedSchema.parse(db.data ?? {}) as Persisted;
    const s = new StrategyService(d, db);
    const now = new Date(d.clock()).toISOString();
    for (const v of db.data.runs) {
      if (v.state === 'running') {
        v.state = 'stopped';
        v.stoppedAt = now;
        v.reason = 'ponte reiniciada: a estratégia fica parada até ser iniciada (e armada) de novo';
        await s.pauseOrdersOf(v.id, 'estratégia parada pelo reinício da ponte; revise e retome ou cancele');
      }
      s.runs.set(v.id, { view: v, pumping: false });
      const n = Number(/^S(\d+)$/.exec(v.id)?.[1] ?? 0);
      if (n >= s.nextId) s.nextId = n + 1;
    }
    await s.persist();
    return s;
  }

  /** The strategies this bridge can run (examples and the folder's files) and the market they would trade. */
  async catalog(): Promise<{ strategies: StrategyView[]; broken: Array<{ id: string; error: string }>; market: StrategyMarket }> {
    return { ...(await strategyCatalog(this.d.dataDir)), market: this.d.market };
  }

  list(): StrategyRunView[] {
    return [...this.runs.values()].map((r) => this.snapshot(r)).reverse();
  }

  get(id: string): StrategyRunView | undefined {
    const r = this.runs.get(id);
    return r ? this.snapshot(r) : undefined;
  }

  /** The hosts of running runs (the replay driver pumps them). */
  hosts(): StrategyHost[] {
    const out: StrategyHost[] = [];
    for (const r of this.runs.values()) if (r.host && !r.host.isEnded()) out.push(r.host);
    return out;
  }

  /** "Estratégia <nome> (S3)" for an order's origin, from the actor `strategy:S3`. */
  originOf(actor: string): { strategyRunId: string; strategy: string } | undefined {
    if (!actor.startsWith('strategy:')) return undefined;
    const id = actor.slice('strategy:'.length);
    const r = this.runs.get(id);
    return { strategyRunId: id, strategy: r?.view.name ?? id };
  }

  async start(input: unknown, actor: string, actorName?: string): Promise<Result<StrategyRunView>> {
    const parsed = strategyStartSchema.safeParse(input);
    if (!parsed.success) return { ok: false, status: 422, errors: zodErrors(parsed.error) };
    const req = parsed.data;
    if (this.d.kernel.oms.killSwitchState().engaged) {
      return { ok: false, status: 409, errors: [{ field: 'strategy', code: 'trading_halted', message: 'PÂNICO acionado: nenhuma estratégia inicia até ser liberado' }] };
    }
    const running = [...this.runs.values()].filter((r) => r.view.state === 'running').length;
    if (running >= MAX_RUNNING) return { ok: false, status: 409, errors: [{ field: 'strategy', code: 'capacity', message: `já há ${MAX_RUNNING} estratégias rodando` }] };
    const errors: ApiErrorItem[] = [];
    let loaded;
    try {
      loaded = await describeStrategy(req.strategy, this.d.dataDir);
    } catch (e) {
      return { ok: false, status: 422, errors: [{ field: 'strategy', code: 'unknown_strategy', message: (e as Error).message }] };
    }
    const params = resolveParams(loaded.params, req.params, 'params');
    if (!params.ok) errors.push(...params.errors);
    const today = saoPauloDate(this.d.clock());
    req.symbols.forEach((sym, i) => {
      const traded = tradedContract(sym, today);
      const inst = this.d.kernel.instruments.get(traded);
      if (!inst) errors.push({ field: `symbols[${i}]`, code: 'unknown_symbol', message: `ativo desconhecido: ${sym}` });
      else {
        const why = this.d.kernel.instruments.tradableError(inst);
        if (why) errors.push({ field: `symbols[${i}]`, code: 'expired', message: why });
      }
    });
    req.clients.forEach((c, i) => {
      if (!this.d.clients.has(c)) errors.push({ field: `clients[${i}]`, code: 'unknown_client', message: `cliente desconhecido: ${c}` });
    });
    if (this.d.market === 'live') {
      if (!req.limits) errors.push({ field: 'limits', code: 'arming_required', message: 'corretora real: arme a estratégia com limites próprios (financeiro por boleta e total, boletas por minuto, ativos)' });
      if (req.confirm !== 'ARMAR') errors.push({ field: 'confirm', code: 'arming_required', message: 'corretora real: digite ARMAR para confirmar que a estratégia envia ordens de verdade' });
    }
    if (req.limits) {
      req.limits.symbols.forEach((sym, i) => {
        if (!req.symbols.includes(sym)) errors.push({ field: `limits.symbols[${i}]`, code: 'not_in_run', message: `${sym} não está entre os ativos da estratégia` });
      });
      if (req.limits.maxOrderNotionalBrl > req.limits.maxTotalNotionalBrl) errors.push({ field: 'limits.maxOrderNotionalBrl', code: 'range', message: 'o máximo por boleta passa do total' });
    }
    if (errors.length > 0 || !params.ok) return { ok: false, status: 422, errors };

    const id = `S${this.nextId++}`;
    const view: StrategyRunView = {
      id,
      strategy: req.strategy,
      name: loaded.name,
      symbols: req.symbols,
      clients: req.clients,
      interval: req.interval,
      params: params.values,
      state: 'running',
      market: this.d.market === 'live' ? 'live' : 'sim',
      ...(req.limits ? { limits: req.limits } : {}),
      startedAt: new Date(this.d.clock()).toISOString(),
      ...(actorName ? { startedBy: actorName } : {}),
      orders: 0,
      fills: 0,
      logs: [],
    };
    const run: LiveRun = { view, pumping: false };
    let runner: ProcessRunner;
    try {
      runner = await ProcessRunner.start({
        strategy: req.strategy,
        dataDir: this.d.dataDir,
        budgetMs: this.d.hookBudgetMs,
        heapMb: this.d.heapMb,
        init: {
          runId: id,
          mode: 'live',
          symbols: req.symbols,
          clients: req.clients,
          interval: req.interval as BarInterval,
          params: params.values,
          seed: req.seed,
          instruments: req.symbols.map((s) => {
            const v = instrumentView(this.d.kernel.instruments.require(tradedContract(s, today)));
            return { symbol: s, kind: v.kind, tickSize: v.tickSize, lotSize: v.lotSize, pointValue: v.pointValue };
          }),
          openingCash: Object.fromEntries(req.clients.map((c) => [c, this.d.clients.openingCashCentavos(c) / 100])),
        },
      });
    } catch (e) {
      return { ok: false, status: 422, errors: [{ field: 'strategy', code: 'load_failed', message: (e as Error).message }] };
    }
    const hostRun: HostRun = {
      runId: id,
      name: loaded.name,
      symbols: req.symbols,
      clients: req.clients,
      interval: req.interval as BarInterval,
      wants: loaded.wants,
      barsFrom: this.d.barsFrom,
      ...(req.limits ? { limits: req.limits } : {}),
    };
    run.runner = runner;
    run.host = new StrategyHost(this.d.kernel, runner, hostRun, {
      nowMs: this.d.clock,
      actor: `strategy:${id}`,
      onFault: (f) => void this.onFault(run, f),
      onLog: (t, message) => {
        view.logs.push({ t: new Date(t).toISOString(), message });
        if (view.logs.length > MAX_LOGS_PER_RUN) view.logs.shift();
        this.publish(run);
      },
      onQueued: this.d.pacing === 'realtime' ? () => this.schedulePump(run) : undefined,
    });
    // Subscribed like the universe: the front contract of a continuous future, too.
    for (const s of req.symbols) {
      const inst = this.d.kernel.instruments.require(tradedContract(s, today));
      this.d.kernel.quotes.track(inst);
      this.d.kernel.broker.subscribe(inst.symbol);
      if (continuousRoot(s)) this.d.kernel.broker.subscribe(s);
    }
    this.runs.set(id, run);
    this.trim();
    this.d.audit({ actor, action: 'strategy.start', target: id, details: { strategy: req.strategy, symbols: req.symbols, clients: req.clients, market: view.market, limits: req.limits, params: params.values } });
    run.host.start(this.history(req.symbols, req.interval as BarInterval, req.warmupBars, today));
    if (this.d.pacing === 'realtime') this.schedulePump(run);
    await this.persist();
    this.publish(run);
    return { ok: true, value: this.snapshot(run) };
  }

  /** Stops a run: onStop is called, its working boletas are canceled. */
  async stop(id: string, actor: string, reason = 'parada pelo usuário', state: 'stopped' | 'halted' = 'stopped'): Promise<Result<StrategyRunView>> {
    const run = this.runs.get(id);
    if (!run) return { ok: false, status: 404, errors: [{ field: 'id', code: 'not_found', message: `execução ${id} não encontrada` }] };
    if (run.view.state !== 'running') return { ok: true, value: this.snapshot(run) };
    await this.end(run, state, reason);
    await this.cancelOrdersOf(id, actor, `estratégia ${state === 'halted' ? 'interrompida' : 'parada'}: ${reason}`);
    this.d.audit({ actor, action: 'strategy.stop', target: id, details: { reason, state } });
    return { ok: true, value: this.snapshot(run) };
  }

  /** PÂNICO: every run halted (the OMS has already paused and canceled their boletas). */
  async haltAll(reason: string, actor: string): Promise<number> {
    let n = 0;
    for (const r of this.runs.values()) {
      if (r.view.state !== 'running') continue;
      await this.end(r, 'halted', reason);
      this.d.audit({ actor, action: 'strategy.halt', target: r.view.id, details: { reason } });
      n++;
    }
    return n;
  }

  async close(): Promise<void> {
    for (const r of this.runs.values()) {
      if (r.timer) clearTimeout(r.timer);
      r.host?.close();
      await r.runner?.terminate();
    }
    await this.persist();
  }

  // ------------------------------------------------------------------ internals

  /** The last closed bars before now from market.db, when the run asks for them and they are stored. */
  private history(symbols: string[], interval: BarInterval, count: number, today: string): HostEvent[] {
    const file = path.join(this.d.dataDir, MARKET_DB_FILE);
    if (count <= 0 || !existsSync(file)) return [];
    const db = MarketDb.openReadOnly(file);
    try {
      const bars = historyBars(db, symbols, interval, this.d.clock(), count, (s) => this.d.kernel.instruments.get(tradedContract(s, today))?.tickHundredths);
      return bars.length > 0 ? [{ kind: 'history', bars }] : [];
    } finally {
      db.close();
    }
  }

  private async end(run: LiveRun, state: 'stopped' | 'halted' | 'failed', reason: string, fault?: StrategyFault): Promise<void> {
    if (run.view.state !== 'running') return;
    run.view.state = state;
    run.view.stoppedAt = new Date(this.d.clock()).toISOString();
    run.view.reason = reason;
    if (fault) run.view.fault = { hook: fault.hook, message: fault.message, ...(fault.location ? { location: fault.location } : {}) };
    if (run.timer) clearTimeout(run.timer);
    if (state !== 'failed' && run.host && !run.host.isEnded()) {
      // onStop runs (briefly) before the host detaches; a hung onStop is the watchdog's.
      run.host.stop();
      try {
        await run.host.pump();
      } catch {
        // The run ends either way.
      }
    }
    run.host?.close();
    await run.runner?.terminate();
    await this.persist();
    this.publish(run);
  }

  private async onFault(run: LiveRun, f: StrategyFault): Promise<void> {
    this.d.log('warn', `strategy ${run.view.id} failed in ${f.hook}: ${f.message}${f.location ? ` (${f.location})` : ''}`);
    this.d.audit({ actor: 'system', action: 'strategy.failed', target: run.view.id, details: f });
    await this.end(run, 'failed', `falha em ${f.hook}: ${f.message}`, f);
    await this.cancelOrdersOf(run.view.id, 'system', `estratégia com falha: ${f.message}`);
  }

  private schedulePump(run: LiveRun): void {
    if (run.pumping || !run.host || run.host.isEnded()) return;
    run.pumping = true;
    setImmediate(() => void this.pumpNow(run));
  }

  private async pumpNow(run: LiveRun): Promise<void> {
    const host = run.host!;
    try {
      while (host.hasPending() && !host.isEnded()) {
        await host.pump();
        if (host.inFlightCount() > 0) await new Promise((r) => setImmediate(r));
      }
    } catch (e) {
      this.d.log('error', `strategy ${run.view.id} pump failed`, e);
    } finally {
      run.pumping = false;
    }
    this.refreshCounts(run);
    this.armTimer(run);
  }

  /** Real time: wake the host at its next timer or bar end. */
  private armTimer(run: LiveRun): void {
    if (run.timer) clearTimeout(run.timer);
    const host = run.host;
    if (!host || host.isEnded()) return;
    const next = host.nextWakeMs();
    if (next === undefined) return;
    run.timer = setTimeout(() => {
      host.onClock(this.d.clock());
      this.schedulePump(run);
    }, Math.max(0, Math.min(next - this.d.clock(), 60_000)));
    run.timer.unref();
  }

  private refreshCounts(run: LiveRun): void {
    if (!run.host) return;
    const ids = run.host.orderIds();
    let fills = 0;
    for (const id of ids) fills += this.d.kernel.oms.fillsOf(id).length;
    if (ids.length !== run.view.orders || fills !== run.view.fills) {
      run.view.orders = ids.length;
      run.view.fills = fills;
      this.publish(run);
    }
  }

  private ordersOf(runId: string): string[] {
    const actor = `strategy:${runId}`;
    return this.d.kernel.oms
      .list()
      .filter((p) => p.actor === actor && !isParentDone(p.status))
      .map((p) => p.id);
  }

  private async cancelOrdersOf(runId: string, actor: string, reason: string): Promise<void> {
    for (const id of this.ordersOf(runId)) await this.d.kernel.oms.cancel(id, actor, reason);
  }

  private async pauseOrdersOf(runId: string, reason: string): Promise<void> {
    for (const id of this.ordersOf(runId)) {
      const p = this.d.kernel.oms.get(id)!;
      if (!p.paused) await this.d.kernel.oms.pause(id, 'system', reason);
    }
  }

  private snapshot(run: LiveRun): StrategyRunView {
    if (run.view.state === 'running') this.refreshCounts(run);
    return { ...run.view, logs: [...run.view.logs] };
  }

  private publish(run: LiveRun): void {
    this.d.publish(this.snapshot(run));
  }

  private trim(): void {
    if (this.runs.size <= MAX_RUNS_KEPT) return;
    for (const [id, r] of this.runs) {
      if (this.runs.size <= MAX_RUNS_KEPT) break;
      if (r.view.state !== 'running') this.runs.delete(id);
    }
  }

  private async persist(): Promise<void> {
    this.db.data = { runs: [...this.runs.values()].map((r) => ({ ...r.view, logs: r.view.logs.slice(-20) })) };
    try {
      await this.db.write();
    } catch (e) {
      this.d.log('error', 'strategy-runs.json write failed', e);
    }
  }
}
