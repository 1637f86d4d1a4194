/**
 * Backtests and sweeps of the bridge (and of the command line): requests validated before anything
 * is queued (the strategy resolves, its parameters resolve, the range has data — planned here, in
 * the request's thread, on a read-only handle of market.db, so a range without data is a 422 at once),
 * then run in processes of their own (strategy sandboxes), at most `maxParallel` at once (one core stays with the order path),
 * with progress (fraction, events/s, ETA) for the `backtests` channel and sweep tables for the
 * `sweeps` channel. Results go to ResultsStore (`<data>/backtests.db`).
 *
 * A sweep is one run per combination of its grid, in the same pool, behind single backtests (a
 * person waiting on one run is not queued behind a thousand). With a Redis URL the sweep's runs go
 * to BullMQ instead (redis-sweeps.ts) and any number of `blackbox worker` machines run them.
 */
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  backtestRequestSchema,
  sweepRequestSchema,
  type BacktestRunView,
  type BacktestSpec,
  type SweepView,
} from '../../common/backtest.js';
import { zodErrors } from '../../common/schemas.js';
import type { ApiErrorItem } from '../../common/types.js';
import { MarketDb, MARKET_DB_FILE } from '../marketdata/market-db.js';
import type { DescribedStrategy } from '../strategy/loader.js';
import { describeStrategy } from '../strategy/sandbox/describe.js';
import { resolveParams, type ParamValue } from '../strategy/params.js';
import { fingerprintOf, planData, rangeErrors, type DataFingerprint } from './data-plan.js';
import { ResultsStore } from './results-store.js';
import type { RedisDispatcher } from './redis-sweeps.js';
import { bundleStrategy } from './strategy-bundle.js';
import { startBacktestWorker, type BacktestJob, type BacktestOutcome, type RunningBacktest } from './worker-protocol.js';

/** Combinations a sweep may have. */
export const MAX_SWEEP_RUNS = 1_000;
/** Single backtests waiting for a worker; more is refused (429). */
export const MAX_QUEUED_RUNS = 100;
/** Sweeps not finished at once. */
export const MAX_OPEN_SWEEPS = 10;
const RUN_PUBLISH_MS = 250;
const SWEEP_PUBLISH_MS = 1_000;
/** A cancelled run that has not stopped by then (a slow strategy between progress points) is ended. */
const CANCEL_GRACE_MS = 3_000;

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; errors: ApiErrorItem[] };

/** One core for the order path, the rest for backtests. */
export function defaultParallelism(): number {
  return Math.max(1, availableParallelism() - 1);
}

export interface BacktestServiceOptions {
  dataDir: string;
  /** Backtests running at once on this machine (default: cores − 1, at least 1). */
  maxParallel?: number;
  /** The command line may name a strategy file anywhere; the API only ids. */
  allowPaths?: boolean;
  /** A run's view as it changes, or `{ id, deleted: true }` once it is gone (every open pane drops it). */
  publishRun?: (run: BacktestRunView | { id: string; deleted: true }) => void;
  publishSweep?: (sweep: SweepView) => void;
  /** Redis of the sweeps fanned out with BullMQ (settings.sweepRedisUrl); connected at the first sweep. */
  redisUrl?: string;
  hookBudgetMs?: number;
  heapMb?: number;
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, extra?: unknown) => void;
}

export interface RunFinished {
  run: BacktestRunView;
  outcome: BacktestOutcome;
}

interface Active {
  id: string;
  view: BacktestRunView;
  job: BacktestJob;
  sweepId?: string;
  running?: RunningBacktest;
  startedMs?: number;
  lastPublishMs: number;
  cancelRequested: boolean;
  deleteRequested: boolean;
  finished: Promise<RunFinished>;
  resolve(f: RunFinished): void;
}

interface OpenSweep {
  id: string;
  runs: Set<string>;
  cancelled: boolean;
  lastPublishMs: number;
  timer?: NodeJS.Timeout;
  finished: Promise<SweepView>;
  resolve(v: SweepView): void;
}

interface Prepared {
  loaded: DescribedStrategy;
  spec: BacktestSpec;
  /** The parameters as given, read by their declared types (defaults not filled in). */
  params: Record<string, ParamValue>;
  plan: Extract<ReturnType<typeof planData>, { ok: true }>;
}

export class BacktestService {
  readonly store: ResultsStore;
  readonly maxParallel: number;
  private readonly active = new Map<string, Active>();
  private readonly singles: Active[] = [];
  private readonly sweepRuns: Active[] = [];
  private readonly sweepsOpen = new Map<string, OpenSweep>();
  private running = 0;
  private db: MarketDb | undefined;
  private redis: Promise<RedisDispatcher> | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly log: NonNullable<BacktestServiceOptions['log']>;

  constructor(private readonly o: BacktestServiceOptions) {
    this.store = ResultsStore.open(o.dataDir);
    this.maxParallel = Math.max(1, o.maxParallel ?? defaultParallelism());
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => undefined);
  }

  /** Runs and sweeps a previous process left unfinished will not finish now (the bridge calls this at start). */
  abandonUnfinished(): number {
    return this.store.abandonUnfinished(this.now());
  }

  // ------------------------------------------------------------------ validation

  private marketDb(): MarketDb | undefined {
    if (this.db) return this.db;
    const file = path.join(this.o.dataDir, MARKET_DB_FILE);
    if (!existsSync(file)) return undefined;
    this.db = MarketDb.openReadOnly(file);
    return this.db;
  }

  private async load(ref: string): Promise<{ ok: true; loaded: DescribedStrategy } | { ok: false; errors: ApiErrorItem[] }> {
    try {
      const loaded = await describeStrategy(ref, this.o.dataDir, this.o.allowPaths === true);
      return { ok: true, loaded };
    } catch (e) {
      return { ok: false, errors: [{ field: 'strategy', code: 'unknown_strategy', message: (e as Error).message }] };
    }
  }

  /** Strategy, parameters, dates and data of one spec; every error names its field. */
  private async prepare(ref: string, spec: BacktestSpec, grid?: Record<string, unknown[]>): Promise<Outcome<Prepared>> {
    const errors: ApiErrorItem[] = [];
    const s = await this.load(ref);
    let params: Record<string, ParamValue> = {};
    if (!s.ok) errors.push(...s.errors);
    else {
      // Grid names are checked apart; the base parameters may leave them out.
      const r = resolveParams(s.loaded.params, spec.params, 'spec.params');
      if (!r.ok) errors.push(...r.errors);
      else params = Object.fromEntries(Object.keys(spec.params).map((k) => [k, r.values[k]]));
      if (grid) errors.push(...gridErrors(s.loaded, grid));
    }
    const range = rangeErrors(spec);
    errors.push(...range);
    let plan: Prepared['plan'] | undefined;
    if (range.length === 0) {
      const db = this.marketDb();
      const p = db ? planData(db, spec) : { ok: false as const, message: 'a base de dados de mercado está vazia: importe arquivos do Profit na aba Import Profit' };
      if (p.ok) plan = p;
      else errors.push({ field: 'spec.symbols', code: 'no_data', message: p.message });
    }
    if (errors.length || !s.ok || !plan) return { ok: false, status: 422, errors };
    return { ok: true, value: { loaded: s.loaded, spec: { ...spec, params }, params, plan } };
  }

  private strategyName(p: Prepared): string {
    // The API names strategies by id; a path given on the command line is kept whole.
    return p.loaded.source === 'bundled' || !this.o.allowPaths ? p.loaded.id : p.loaded.file;
  }

  // ------------------------------------------------------------------ single backtests

  async submit(input: unknown): Promise<Outcome<BacktestRunView>> {
    if (this.closed) return { ok: false, status: 503, errors: [{ field: '(server)', code: 'closing', message: 'a ponte está encerrando' }] };
    const parsed = backtestRequestSchema.safeParse(input);
    if (!parsed.success) return { ok: false, status: 422, errors: zodErrors(parsed.error) };
    const req = parsed.data;
    if (this.singles.length >= MAX_QUEUED_RUNS) {
      return { ok: false, status: 429, errors: [{ field: 'strategy', code: 'queue_full', message: `fila de backtests cheia (${MAX_QUEUED_RUNS} na espera): aguarde ou cancele algum` }] };
    }
    const p = await this.prepare(req.strategy, req.spec);
    if (!p.ok) return p;
    const a = this.createRun(p.value, req.label);
    this.singles.push(a);
    this.publish(a, true);
    this.pump();
    return { ok: true, value: { ...a.view } };
  }

  private createRun(p: Prepared, label?: string, sweepId?: string, paramsKey?: string): Active {
    const id = `bt-${randomBytes(6).toString('hex')}`;
    const createdMs = this.now();
    const strategy = this.strategyName(p);
    this.store.create({ id, strategy, spec: p.spec, label, sweepId, paramsKey, createdMs });
    let resolve!: (f: RunFinished) => void;
    const finished = new Promise<RunFinished>((r) => (resolve = r));
    const a: Active = {
      id,
      view: { id, ...(label ? { label } : {}), strategy, spec: p.spec, state: 'queued', createdAt: new Date(createdMs).toISOString(), progress: 0, ...(sweepId ? { sweepId } : {}) },
      job: { strategy: p.loaded.source === 'bundled' ? p.loaded.id : this.o.allowPaths ? p.loaded.file : p.loaded.id, allowPath: this.o.allowPaths === true, dataDir: this.o.dataDir, spec: p.spec },
      sweepId,
      lastPublishMs: 0,
      cancelRequested: false,
      deleteRequested: false,
      finished,
      resolve,
    };
    this.active.set(id, a);
    return a;
  }

  /** Starts queued local runs while workers are free: single backtests first, then sweep runs. */
  private pump(): void {
    while (!this.closed && this.running < this.maxParallel) {
      const a = this.singles.shift() ?? this.sweepRuns.shift();
      if (!a) return;
      this.running++;
      this.startRun(a, startBacktestWorker(a.job, { hookBudgetMs: this.o.hookBudgetMs, heapMb: this.o.heapMb, onProgress: (f, e) => this.progress(a, f, e) }), true);
    }
  }

  private startRun(a: Active, running: RunningBacktest, local: boolean): void {
    a.running = running;
    a.startedMs = this.now();
    a.view.state = 'running';
    this.store.setState(a.id, 'running');
    this.publish(a, true);
    void running.done.then(
      (outcome) => this.finish(a, outcome, local),
      (e: Error) => this.finish(a, { kind: 'failed', message: e.message }, local),
    );
  }

  private progress(a: Active, fraction: number, eventsPerSec: number): void {
    if (a.view.state !== 'running') return;
    const elapsed = this.now() - (a.startedMs ?? this.now());
    a.view.progress = Math.min(1, Math.max(0, fraction));
    a.view.eventsPerSec = Math.round(eventsPerSec);
    if (fraction > 0.01 && fraction < 1) a.view.etaMs = Math.round((elapsed / fraction) * (1 - fraction));
    else delete a.view.etaMs;
    this.publish(a, false);
  }

  private finish(a: Active, outcome: BacktestOutcome, local: boolean): void {
    if (local) this.running--;
    this.active.delete(a.id);
    if (this.closed) return;
    const now = this.now();
    if (a.deleteRequested) {
      this.store.delete(a.id);
      this.o.publishRun?.({ id: a.id, deleted: true });
      a.resolve({ run: { ...a.view, state: 'cancelled' }, outcome });
      return;
    }
    if (outcome.kind === 'done') this.store.finish(a.id, outcome.result.fault ? 'failed' : 'done', outcome.result, now);
    else if (outcome.kind === 'cancelled') this.store.fail(a.id, 'cancelled', 'cancelado', now);
    else if (outcome.kind === 'refused') this.store.fail(a.id, 'failed', outcome.errors.map((e) => e.message).join('; '), now);
    else this.store.fail(a.id, 'failed', outcome.message, now, outcome.fault);
    const view = this.store.get(a.id) ?? { ...a.view, state: outcome.kind === 'cancelled' ? 'cancelled' : a.view.state };
    a.view = view;
    if (outcome.kind === 'done' && !a.sweepId) this.log('info', `backtest ${a.id} ${view.state} in ${now - (a.startedMs ?? now)} ms`);
    this.publish(a, true);
    a.resolve({ run: view, outcome });
    if (a.sweepId) this.runOfSweepEnded(a.sweepId, a.id);
    this.pump();
  }

  private publish(a: Active, force: boolean): void {
    if (a.sweepId) {
      this.publishSweep(a.sweepId, false);
      return;
    }
    const now = this.now();
    if (!force && now - a.lastPublishMs < RUN_PUBLISH_MS) return;
    a.lastPublishMs = now;
    this.o.publishRun?.({ ...a.view });
  }

  list(): BacktestRunView[] {
    return this.store.list().map((r) => this.overlay(r));
  }

  private overlay(r: BacktestRunView): BacktestRunView {
    const a = this.active.get(r.id);
    return a ? { ...r, ...a.view } : r;
  }

  get(id: string): (BacktestRunView & { result?: ReturnType<ResultsStore['result']> }) | undefined {
    const r = this.store.get(id);
    if (!r) return undefined;
    const result = this.store.result(id);
    return { ...this.overlay(r), ...(result ? { result } : {}) };
  }

  rows(id: string, kind: 'order' | 'fill', offset: number, limit: number): { total: number; offset: number; limit: number; rows: unknown[] } | undefined {
    if (!this.store.get(id)) return undefined;
    return { total: this.store.count(id, kind), offset, limit, rows: this.store.rows(id, kind, offset, limit) };
  }

  /** Resolves when the run has ended (done, failed or cancelled). */
  whenFinished(id: string): Promise<RunFinished> | undefined {
    return this.active.get(id)?.finished;
  }

  cancel(id: string): Outcome<BacktestRunView> {
    const a = this.active.get(id);
    if (!a) {
      const r = this.store.get(id);
      if (!r) return { ok: false, status: 404, errors: [{ field: 'id', code: 'not_found', message: `backtest não encontrado: ${id}` }] };
      return { ok: false, status: 409, errors: [{ field: 'id', code: 'finished', message: `o backtest ${id} já terminou (${r.state})` }] };
    }
    this.stop(a);
    return { ok: true, value: { ...a.view } };
  }

  private stop(a: Active): void {
    if (a.cancelRequested) return;
    a.cancelRequested = true;
    if (!a.running) {
      // Still queued: it never starts.
      for (const q of [this.singles, this.sweepRuns]) {
        const i = q.indexOf(a);
        if (i >= 0) q.splice(i, 1);
      }
      this.finish(a, { kind: 'cancelled' }, false);
      return;
    }
    const running = a.running;
    running.cancel();
    const t = setTimeout(() => {
      if (this.active.has(a.id)) running.terminate();
    }, CANCEL_GRACE_MS);
    t.unref();
  }

  delete(id: string): Outcome<{ id: string; deleted: true }> {
    const r = this.store.get(id);
    if (!r) return { ok: false, status: 404, errors: [{ field: 'id', code: 'not_found', message: `backtest não encontrado: ${id}` }] };
    if (r.sweepId) return { ok: false, status: 409, errors: [{ field: 'id', code: 'in_sweep', message: `o backtest ${id} é parte da varredura ${r.sweepId}: ele fica com a tabela da varredura` }] };
    const a = this.active.get(id);
    if (a) {
      // Running: stopped, and its row goes when it ends.
      a.deleteRequested = true;
      this.stop(a);
      if (this.active.has(id)) return { ok: true, value: { id, deleted: true } };
    }
    this.store.delete(id);
    this.o.publishRun?.({ id, deleted: true });
    return { ok: true, value: { id, deleted: true } };
  }

  // ------------------------------------------------------------------ sweeps

  async submitSweep(input: unknown, o: { redisUrl?: string } = {}): Promise<Outcome<SweepView>> {
    if (this.closed) return { ok: false, status: 503, errors: [{ field: '(server)', code: 'closing', message: 'a ponte está encerrando' }] };
    const parsed = sweepRequestSchema.safeParse(input);
    if (!parsed.success) return { ok: false, status: 422, errors: zodErrors(parsed.error) };
    const req = parsed.data;
    const names = Object.keys(req.grid);
    if (names.length === 0) return { ok: false, status: 422, errors: [{ field: 'grid', code: 'required', message: 'informe ao menos um parâmetro com valores a testar' }] };
    const total = names.reduce((n, k) => n * req.grid[k].length, 1);
    if (total > MAX_SWEEP_RUNS) {
      return { ok: false, status: 422, errors: [{ field: 'grid', code: 'too_many', message: `a grade tem ${total.toLocaleString('pt-BR')} combinações; no máximo ${MAX_SWEEP_RUNS.toLocaleString('pt-BR')}` }] };
    }
    if ([...this.sweepsOpen.values()].filter((s) => !s.cancelled).length >= MAX_OPEN_SWEEPS) {
      return { ok: false, status: 429, errors: [{ field: 'grid', code: 'queue_full', message: `${MAX_OPEN_SWEEPS} varreduras em andamento: aguarde ou cancele alguma` }] };
    }
    const p = await this.prepare(req.strategy, req.spec, req.grid);
    if (!p.ok) return p;
    const redisUrl = o.redisUrl ?? this.o.redisUrl;
    let redis: RedisDispatcher | undefined;
    let shipped: Parameters<RedisDispatcher['start']>[0]['strategy'] | undefined;
    let fingerprint: DataFingerprint | undefined;
    if (redisUrl) {
      try {
        redis = await this.redisFor(redisUrl);
        shipped = p.value.loaded.source === 'bundled' ? { id: p.value.loaded.id } : await bundleStrategy(p.value.loaded.file);
      } catch (e) {
        return { ok: false, status: 503, errors: [{ field: 'redis', code: 'unavailable', message: (e as Error).message }] };
      }
      fingerprint = fingerprintOf(this.marketDb()!, p.value.spec, p.value.plan);
    }

    const id = `sw-${randomBytes(6).toString('hex')}`;
    const workers = redis ? `BullMQ em ${redis.label}` : `local ×${this.maxParallel}`;
    this.store.createSweep({ id, strategy: this.strategyName(p.value), rankBy: req.rankBy, total, workers, label: req.label, createdMs: this.now() });
    let resolve!: (v: SweepView) => void;
    const finished = new Promise<SweepView>((r) => (resolve = r));
    const sweep: OpenSweep = { id, runs: new Set(), cancelled: false, lastPublishMs: 0, finished, resolve };
    this.sweepsOpen.set(id, sweep);
    const runs: Active[] = [];
    for (const combo of combinations(names, req.grid)) {
      const raw = { ...req.spec.params, ...combo };
      const r = resolveParams(p.value.loaded.params, raw, 'grid');
      // Every value was checked above, one parameter at a time; a combination cannot fail here.
      const params = r.ok ? Object.fromEntries(Object.keys(raw).map((k) => [k, r.values[k]])) : (raw as Record<string, ParamValue>);
      const prepared: Prepared = { ...p.value, spec: { ...p.value.spec, params }, params };
      const key = JSON.stringify(names.map((n) => [n, params[n]]));
      const a = this.createRun(prepared, names.map((n) => `${n}=${params[n]}`).join(' '), id, key);
      sweep.runs.add(a.id);
      runs.push(a);
    }
    if (redis) {
      for (const a of runs) {
        const data = { runId: a.id, sweepId: id, strategy: shipped!, spec: a.view.spec, fingerprint: fingerprint! };
        this.startRun(a, redis.start(data, (f, e) => this.progress(a, f, e)), false);
      }
    } else {
      this.sweepRuns.push(...runs);
      this.pump();
    }
    this.publishSweep(id, true);
    return { ok: true, value: this.store.sweep(id)! };
  }

  private redisFor(url: string): Promise<RedisDispatcher> {
    if (url !== this.o.redisUrl) {
      // A URL of its own (the command line's --redis): one dispatcher per service is enough.
      this.o.redisUrl = url;
      this.redis = undefined;
    }
    this.redis ??= import('./redis-sweeps.js').then((m) => m.RedisDispatcher.connect(url, this.log));
    const r = this.redis;
    r.catch(() => {
      if (this.redis === r) this.redis = undefined;
    });
    return r;
  }

  private runOfSweepEnded(sweepId: string, runId: string): void {
    const s = this.sweepsOpen.get(sweepId);
    if (!s) return;
    s.runs.delete(runId);
    if (s.runs.size > 0) return;
    this.sweepsOpen.delete(sweepId);
    clearTimeout(s.timer);
    const view = this.store.sweep(sweepId)!;
    const state = s.cancelled ? 'cancelled' : view.rows.every((r) => r.state === 'failed') ? 'failed' : 'done';
    this.store.setSweepState(sweepId, state);
    const final = this.store.sweep(sweepId)!;
    this.o.publishSweep?.(final);
    s.resolve(final);
  }

  private publishSweep(id: string, force: boolean): void {
    const s = this.sweepsOpen.get(id);
    if (!s || !this.o.publishSweep) return;
    const now = this.now();
    if (!force && now - s.lastPublishMs < SWEEP_PUBLISH_MS) {
      // Coalesced: the table goes out at most once a second while runs finish.
      s.timer ??= setTimeout(() => {
        s.timer = undefined;
        this.publishSweep(id, true);
      }, SWEEP_PUBLISH_MS - (now - s.lastPublishMs));
      return;
    }
    s.lastPublishMs = now;
    const v = this.store.sweep(id);
    if (v) this.o.publishSweep(v);
  }

  sweeps(): SweepView[] {
    return this.store.sweeps();
  }

  sweep(id: string): SweepView | undefined {
    return this.store.sweep(id);
  }

  whenSweepFinished(id: string): Promise<SweepView> | undefined {
    return this.sweepsOpen.get(id)?.finished;
  }

  cancelSweep(id: string): Outcome<SweepView> {
    const s = this.sweepsOpen.get(id);
    if (!s) {
      const v = this.store.sweep(id);
      if (!v) return { ok: false, status: 404, errors: [{ field: 'id', code: 'not_found', message: `varredura não encontrada: ${id}` }] };
      return { ok: false, status: 409, errors: [{ field: 'id', code: 'finished', message: `a varredura ${id} já terminou (${v.state})` }] };
    }
    s.cancelled = true;
    // Queued runs first, so none of them starts when a running one stops.
    const ids = [...s.runs];
    const of = (rid: string) => this.active.get(rid);
    for (const rid of ids) if (of(rid) && !of(rid)!.running) this.stop(of(rid)!);
    for (const rid of ids) if (of(rid)) this.stop(of(rid)!);
    return { ok: true, value: this.store.sweep(id)! };
  }

  // ------------------------------------------------------------------ shutdown

  async close(): Promise<void> {
    if (this.closed) return;
    const pending = [...this.active.values()];
    this.closed = true;
    this.singles.length = 0;
    this.sweepRuns.length = 0;
    for (const a of pending) a.running?.terminate();
    await Promise.race([Promise.allSettled(pending.filter((a) => a.running).map((a) => a.running!.done)), new Promise((r) => setTimeout(r, 2_000).unref())]);
    for (const s of this.sweepsOpen.values()) clearTimeout(s.timer);
    if (this.redis) await (await this.redis.catch(() => undefined))?.close();
    this.db?.close();
    this.store.close();
  }
}

/** Every combination of the grid's values, the first parameter varying slowest. */
function* combinations(names: string[], grid: Record<string, Array<number | boolean | string>>): Generator<Record<string, number | boolean | string>> {
  const idx = names.map(() => 0);
  for (;;) {
    yield Object.fromEntries(names.map((n, i) => [n, grid[n][idx[i]]]));
    let k = names.length - 1;
    while (k >= 0) {
      idx[k]++;
      if (idx[k] < grid[names[k]].length) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}

/** Each grid value against the strategy's declared parameter, named `grid.<param>`. */
function gridErrors(s: DescribedStrategy, grid: Record<string, unknown[]>): ApiErrorItem[] {
  const declared = s.params;
  const out: ApiErrorItem[] = [];
  for (const [name, values] of Object.entries(grid)) {
    if (!Object.hasOwn(declared, name)) {
      const known = Object.keys(declared);
      out.push({ field: `grid.${name}`, code: 'unknown_param', message: `parâmetro desconhecido: ${name}${known.length ? ` (a estratégia declara ${known.join(', ')})` : ' (a estratégia não declara parâmetros)'}` });
      continue;
    }
    const seen = new Set<string>();
    values.forEach((v, i) => {
      const r = resolveParams({ [name]: declared[name] }, { [name]: v }, 'grid');
      if (!r.ok) out.push(...r.errors.map((e) => ({ ...e, message: `valor ${i + 1} (${JSON.stringify(v)}): ${e.message}` })));
      else {
        const key = JSON.stringify(r.values[name]);
        if (seen.has(key)) out.push({ field: `grid.${name}`, code: 'duplicate', message: `valor repetido: ${JSON.stringify(v)}` });
        seen.add(key);
      }
    });
  }
  return out;
}
