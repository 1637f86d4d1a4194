/**
 * Backtest results in SQLite (`<data>/backtests.db`, mode 0600, its own file beside the journal and
 * the market database): one row per run with its spec, state and metrics; its curves, orders and
 * fills beside it, read in pages. Sweeps group runs. A run can be deleted; the journal is never
 * touched by any of this.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { retryWhileBusy } from '../config/sqlite-busy.js';
import type { BacktestFillView, BacktestOrderView, BacktestResultView, BacktestRunView, BacktestSpec, BacktestState, StrategyFaultView, SweepRowView, SweepView } from '../../common/backtest.js';

export const BACKTESTS_DB_FILE = 'backtests.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  finished_ms INTEGER,
  label TEXT,
  strategy TEXT NOT NULL,
  spec TEXT NOT NULL,
  state TEXT NOT NULL,
  metrics TEXT,
  error TEXT,
  fault TEXT,
  sweep_id TEXT,
  params_key TEXT,
  -- Everything but the orders and fills: curves, execution quality, logs, stats, warnings.
  summary TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs (sweep_id);
CREATE TABLE IF NOT EXISTS run_rows (
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,            -- 'order' | 'fill'
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, kind, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sweeps (
  id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  label TEXT,
  strategy TEXT NOT NULL,
  rank_by TEXT NOT NULL,
  total INTEGER NOT NULL,
  workers TEXT NOT NULL,
  state TEXT NOT NULL
);
`;

/** Runs listed at most (the newest first). */
const MAX_LISTED = 500;
/** Orders or fills kept per run: a strategy that sends millions is truncated, said in its warnings. */
export const MAX_ROWS_KEPT = 200_000;

type RunRow = {
  id: string;
  created_ms: number;
  finished_ms: number | null;
  label: string | null;
  strategy: string;
  spec: string;
  state: BacktestState;
  metrics: string | null;
  error: string | null;
  fault: string | null;
  sweep_id: string | null;
};

export class ResultsStore {
  private readonly db: Database.Database;

  private constructor(readonly file: string) {
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    this.db = new Database(file, { timeout: 5_000 });
    chmodSync(file, 0o600);
    const db = this.db;
    retryWhileBusy(() => {
      db.pragma('journal_mode = WAL');
      // Results can be recomputed (same data, same seed): no fsync per run.
      db.pragma('synchronous = NORMAL');
      db.transaction(() => db.exec(SCHEMA)).immediate();
    });
  }

  static open(dataDir: string): ResultsStore {
    return new ResultsStore(path.join(dataDir, BACKTESTS_DB_FILE));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  create(run: { id: string; strategy: string; spec: BacktestSpec; label?: string; sweepId?: string; paramsKey?: string; createdMs: number }): void {
    this.db
      .prepare('INSERT INTO runs (id, created_ms, label, strategy, spec, state, sweep_id, params_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(run.id, run.createdMs, run.label ?? null, run.strategy, JSON.stringify(run.spec), 'queued', run.sweepId ?? null, run.paramsKey ?? null);
  }

  setState(id: string, state: BacktestState): void {
    this.db.prepare('UPDATE runs SET state = ? WHERE id = ?').run(state, id);
  }

  /** A run that ended without a result (a crash, a refusal before it started, a runaway hook). */
  fail(id: string, state: 'failed' | 'cancelled', error: string, finishedMs: number, fault?: StrategyFaultView): void {
    this.db.prepare('UPDATE runs SET state = ?, error = ?, finished_ms = ?, fault = ? WHERE id = ?').run(state, error, finishedMs, fault ? JSON.stringify(fault) : null, id);
  }

  /** The result, in one transaction: the run row and its orders and fills. */
  finish(id: string, state: BacktestState, result: BacktestResultView, finishedMs: number): void {
    const { orders, fills, metrics, fault, ...summary } = result;
    const warnings = [...summary.warnings];
    if (orders.length > MAX_ROWS_KEPT || fills.length > MAX_ROWS_KEPT) warnings.push(`guardadas só as primeiras ${MAX_ROWS_KEPT.toLocaleString('pt-BR')} ordens e execuções`);
    const putRow = this.db.prepare('INSERT INTO run_rows (run_id, kind, seq, data) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM run_rows WHERE run_id = ?').run(id);
      orders.slice(0, MAX_ROWS_KEPT).forEach((o, i) => putRow.run(id, 'order', i, JSON.stringify(o)));
      fills.slice(0, MAX_ROWS_KEPT).forEach((f, i) => putRow.run(id, 'fill', i, JSON.stringify(f)));
      this.db
        .prepare('UPDATE runs SET state = ?, metrics = ?, fault = ?, summary = ?, finished_ms = ?, error = ? WHERE id = ?')
        .run(state, JSON.stringify(metrics), fault ? JSON.stringify(fault) : null, JSON.stringify({ ...summary, warnings }), finishedMs, fault ? faultText(fault) : null, id);
    }).immediate();
  }

  list(filter: { sweepId?: string } = {}): BacktestRunView[] {
    const rows = filter.sweepId
      ? (this.db.prepare('SELECT * FROM runs WHERE sweep_id = ? ORDER BY created_ms, id').all(filter.sweepId) as RunRow[])
      : (this.db.prepare('SELECT * FROM runs WHERE sweep_id IS NULL ORDER BY created_ms DESC LIMIT ?').all(MAX_LISTED) as RunRow[]);
    return rows.map(runView);
  }

  get(id: string): BacktestRunView | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return r ? runView(r) : undefined;
  }

  /** The whole result of a finished run, with at most `limit` orders and fills. */
  result(id: string, limit = 1_000): (Omit<BacktestResultView, 'orders' | 'fills'> & { orders: BacktestOrderView[]; fills: BacktestFillView[]; totalOrders: number; totalFills: number }) | undefined {
    const r = this.db.prepare('SELECT metrics, fault, summary FROM runs WHERE id = ?').get(id) as { metrics: string | null; fault: string | null; summary: string | null } | undefined;
    if (!r?.summary || !r.metrics) return undefined;
    const count = (kind: string) => (this.db.prepare('SELECT count(*) AS n FROM run_rows WHERE run_id = ? AND kind = ?').get(id, kind) as { n: number }).n;
    return {
      ...(JSON.parse(r.summary) as Omit<BacktestResultView, 'orders' | 'fills' | 'metrics' | 'fault'>),
      metrics: JSON.parse(r.metrics),
      ...(r.fault ? { fault: JSON.parse(r.fault) } : {}),
      orders: this.rows(id, 'order', 0, limit) as BacktestOrderView[],
      fills: this.rows(id, 'fill', 0, limit) as BacktestFillView[],
      totalOrders: count('order'),
      totalFills: count('fill'),
    };
  }

  /** Orders or fills kept for a run. */
  count(id: string, kind: 'order' | 'fill'): number {
    return (this.db.prepare('SELECT count(*) AS n FROM run_rows WHERE run_id = ? AND kind = ?').get(id, kind) as { n: number }).n;
  }

  rows(id: string, kind: 'order' | 'fill', offset: number, limit: number): unknown[] {
    return (this.db.prepare('SELECT data FROM run_rows WHERE run_id = ? AND kind = ? AND seq >= ? ORDER BY seq LIMIT ?').all(id, kind, offset, limit) as Array<{ data: string }>).map((x) => JSON.parse(x.data));
  }

  delete(id: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM run_rows WHERE run_id = ?').run(id);
      return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
    }).immediate();
  }

  /** Runs left `queued` or `running` by a bridge that stopped: they will not finish now. */
  abandonUnfinished(nowMs: number): number {
    return this.db.transaction(() => {
      this.db.prepare("UPDATE sweeps SET state = 'failed' WHERE state IN ('queued', 'running')").run();
      return this.db.prepare("UPDATE runs SET state = 'failed', error = 'interrompido: a ponte parou durante a execução', finished_ms = ? WHERE state IN ('queued', 'running')").run(nowMs).changes;
    }).immediate();
  }

  createSweep(s: { id: string; strategy: string; rankBy: string; total: number; workers: string; label?: string; createdMs: number }): void {
    this.db.prepare('INSERT INTO sweeps (id, created_ms, label, strategy, rank_by, total, workers, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(s.id, s.createdMs, s.label ?? null, s.strategy, s.rankBy, s.total, s.workers, 'running');
  }

  setSweepState(id: string, state: BacktestState): void {
    this.db.prepare('UPDATE sweeps SET state = ? WHERE id = ?').run(state, id);
  }

  sweep(id: string): SweepView | undefined {
    const s = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as
      | { id: string; created_ms: number; label: string | null; strategy: string; rank_by: string; total: number; workers: string; state: BacktestState }
      | undefined;
    if (!s) return undefined;
    const runs = this.list({ sweepId: id });
    const rows: SweepRowView[] = runs.map((r) => ({ runId: r.id, params: r.spec.params, state: r.state, ...(r.metrics ? { metrics: r.metrics } : {}), ...(r.error ? { error: r.error } : {}) }));
    return {
      id: s.id,
      ...(s.label ? { label: s.label } : {}),
      strategy: s.strategy,
      rankBy: s.rank_by,
      state: s.state,
      createdAt: new Date(s.created_ms).toISOString(),
      total: s.total,
      done: runs.filter((r) => r.state === 'done' || r.state === 'failed' || r.state === 'cancelled').length,
      rows: rankRows(rows, s.rank_by),
      workers: s.workers,
    };
  }

  sweeps(): SweepView[] {
    const ids = this.db.prepare('SELECT id FROM sweeps ORDER BY created_ms DESC LIMIT 100').pluck().all() as string[];
    return ids.map((id) => this.sweep(id)!);
  }

  /** A finished run of the same sweep with these parameters (a resumed sweep skips it). */
  doneInSweep(sweepId: string, paramsKey: string): string | undefined {
    return this.db.prepare("SELECT id FROM runs WHERE sweep_id = ? AND params_key = ? AND state = 'done'").pluck().get(sweepId, paramsKey) as string | undefined;
  }
}

function runView(r: RunRow): BacktestRunView {
  return {
    id: r.id,
    ...(r.label ? { label: r.label } : {}),
    strategy: r.strategy,
    spec: JSON.parse(r.spec),
    state: r.state,
    createdAt: new Date(r.created_ms).toISOString(),
    ...(r.finished_ms !== null ? { finishedAt: new Date(r.finished_ms).toISOString() } : {}),
    progress: r.state === 'done' ? 1 : 0,
    ...(r.metrics ? { metrics: JSON.parse(r.metrics) } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.fault ? { fault: JSON.parse(r.fault) } : {}),
    ...(r.sweep_id ? { sweepId: r.sweep_id } : {}),
  };
}

/** Best first by the metric (drawdown: smallest first); runs without the figure last. */
export function rankRows(rows: SweepRowView[], rankBy: string): SweepRowView[] {
  const key = rankBy as keyof NonNullable<SweepRowView['metrics']>;
  const lowerIsBetter = rankBy === 'maxDrawdown';
  const val = (r: SweepRowView) => {
    const v = r.metrics?.[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    if (x === undefined && y === undefined) return 0;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return lowerIsBetter ? x - y : y - x;
  });
}

/** A fault as one line (a sweep's row shows only this): the hook, the message and where in the strategy. */
function faultText(f: StrategyFaultView): string {
  return `${f.hook}: ${f.message}${f.location ? ` (${f.location})` : ''}`;
}
