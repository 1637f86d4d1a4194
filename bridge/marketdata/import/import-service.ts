/**
 * Import jobs of the bridge: uploaded Profit files and ProfitDLL history downloads, queued and run
 * one at a time by the writer thread (import-worker.ts), with progress for the `imports` WebSocket
 * channel and a final report per job. Reads (coverage, candles, profiles) use the bridge's own
 * read connection: WAL lets them run while the writer works.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CandleInterval, ImportFileReport, ImportJobView, SeriesInterval } from '../../../common/marketdata.js';
import type { BrokerTrade } from '../../execution/broker-port.js';
import { MarketDb, MARKET_DB_FILE } from '../market-db.js';
import { MarketVolumeProfiles } from '../volume-profile.js';
import { DEFAULT_MAX_FILE_BYTES } from './profit-import.js';
import type { HistoryTrade, WorkerReply, WorkerRequest } from './worker-protocol.js';

/** A broker that can download trade history (the ProfitDLL adapter). */
export interface HistoryTradesSource {
  downloadHistory(symbol: string, fromMs: number, toMs: number, onProgress?: (percent: number) => void): Promise<BrokerTrade[]>;
}

export function historySourceOf(broker: unknown): HistoryTradesSource | undefined {
  const b = broker as Partial<HistoryTradesSource>;
  return typeof b.downloadHistory === 'function' ? (b as HistoryTradesSource) : undefined;
}

export interface ImportServiceOptions {
  dataDir: string;
  publish: (job: ImportJobView) => void;
  history?: HistoryTradesSource;
  /** Price of a trade in hundredths from the broker's ticks (the instrument's tick). */
  tickHundredths?: (symbol: string) => number | undefined;
  maxFileBytes?: number;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: unknown) => void;
  now?: () => number;
}

/** Jobs waiting behind the running one; more is refused (the pane says to wait). */
export const MAX_QUEUED_JOBS = 16;
const JOBS_KEPT = 50;
const TRADES_PER_MESSAGE = 50_000;
const PROGRESS_PUBLISH_MS = 250;

export class QueueFullError extends Error {}

interface Job {
  view: ImportJobView;
  tempFile?: string;
  startedMs?: number;
  lastPublishMs: number;
  resolve?: (v: unknown) => void;
  reject?: (e: Error) => void;
}

export class ImportService {
  readonly db: MarketDb;
  readonly profiles: MarketVolumeProfiles;
  readonly uploadDir: string;
  private readonly jobs = new Map<string, Job>();
  private pendingCount = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: ImportServiceOptions) {
    const dbFile = path.join(opts.dataDir, MARKET_DB_FILE);
    this.db = MarketDb.open(dbFile);
    this.profiles = new MarketVolumeProfiles(this.db);
    this.uploadDir = path.join(opts.dataDir, 'imports');
    mkdirSync(this.uploadDir, { recursive: true, mode: 0o700 });
    this.now = opts.now ?? Date.now;
    this.dbFile = dbFile;
  }

  private readonly dbFile: string;
  private writer: Worker | undefined;

  /** The writer thread, started at the first write: a bridge that never imports never pays for it. */
  private get worker(): Worker {
    if (this.writer) return this.writer;
    const entry = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));
    const w = new Worker(entry, { workerData: { dbFile: this.dbFile } });
    w.on('message', (m: WorkerReply) => this.onReply(m));
    w.on('error', (e) => {
      this.opts.log('error', 'market-db writer thread failed', e);
      this.writer = undefined;
      for (const job of this.jobs.values()) if (job.view.state === 'running' || job.view.state === 'queued') this.finish(job, 'failed', undefined, `gravador da base de mercado parou: ${e.message}`);
      for (const d of this.deletes.values()) d.reject?.(new Error(`gravador da base de mercado parou: ${e.message}`));
      this.deletes.clear();
    });
    w.unref();
    this.writer = w;
    return w;
  }

  get historyAvailable(): boolean {
    return this.opts.history !== undefined;
  }

  get maxFileBytes(): number {
    return this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  list(): ImportJobView[] {
    return [...this.jobs.values()].map((j) => j.view);
  }

  get(id: string): ImportJobView | undefined {
    return this.jobs.get(id)?.view;
  }

  /** A temp file name in the upload folder for an incoming file. */
  tempPath(): string {
    return path.join(this.uploadDir, `upload-${randomBytes(8).toString('hex')}.csv`);
  }

  private newJob(kind: ImportJobView['kind'], label: string, total: number): Job {
    if (this.closed) throw new QueueFullError('a ponte está encerrando');
    if (this.pendingCount >= MAX_QUEUED_JOBS + 1) throw new QueueFullError(`fila de importação cheia (${MAX_QUEUED_JOBS} na espera): aguarde as importações em andamento`);
    const id = `imp-${randomBytes(6).toString('hex')}`;
    const job: Job = { view: { id, kind, label, state: 'queued', done: 0, total, rowsRead: 0, rowsPerSec: 0 }, lastPublishMs: 0 };
    this.jobs.set(id, job);
    this.pendingCount++;
    this.trim();
    this.opts.publish(job.view);
    return job;
  }

  private trim(): void {
    if (this.jobs.size <= JOBS_KEPT) return;
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= JOBS_KEPT) break;
      if (j.view.state !== 'queued' && j.view.state !== 'running') this.jobs.delete(id);
    }
  }

  private send(m: WorkerRequest): void {
    this.worker.postMessage(m);
  }

  /** Queues an uploaded file; the temp file is removed when the job ends. */
  importFile(tempFile: string, label: string, sizeBytes: number, interval?: CandleInterval): ImportJobView {
    const job = this.newJob('file', label, sizeBytes);
    job.tempFile = tempFile;
    this.send({ op: 'import', jobId: job.view.id, file: tempFile, label, interval, maxBytes: this.maxFileBytes });
    return job.view;
  }

  cancel(id: string): ImportJobView | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.view.state === 'queued' || job.view.state === 'running') this.send({ op: 'cancel', jobId: id });
    if (job.view.state === 'queued' && job.view.kind === 'file') {
      // The worker skips it when it comes up; the view says so now.
      this.finish(job, 'cancelled', { file: job.view.label, rowsRead: 0, stored: 0, duplicates: 0, refused: [], cancelled: true, error: 'cancelada antes de começar: nada foi gravado' });
    }
    if (job.view.kind === 'history' && job.view.state === 'running') job.view.error = 'cancelamento pedido: a ProfitDLL não interrompe um download; o que chegar não será gravado';
    return job.view;
  }

  /** Downloads the trades of [fromMs, toMs] through the broker and stores them. */
  downloadHistory(symbol: string, fromMs: number, toMs: number, label: string): ImportJobView {
    const source = this.opts.history;
    if (!source) throw new Error('histórico pela ProfitDLL indisponível: a ponte não está na corretora profitdll');
    const job = this.newJob('history', label, 100);
    const id = job.view.id;
    void this.runHistory(job, source, symbol, fromMs, toMs).catch((e: Error) => this.finish(job, 'failed', undefined, e.message));
    return this.get(id)!;
  }

  private async runHistory(job: Job, source: HistoryTradesSource, symbol: string, fromMs: number, toMs: number): Promise<void> {
    this.start(job);
    const trades = await source.downloadHistory(symbol, fromMs, toMs, (p) => {
      job.view.done = p;
      this.progress(job, false);
    });
    if (job.view.error?.startsWith('cancelamento')) {
      this.finish(job, 'cancelled', { file: job.view.label, rowsRead: trades.length, stored: 0, duplicates: 0, refused: [], cancelled: true, error: 'cancelado: nada foi gravado' });
      return;
    }
    const tick = this.opts.tickHundredths?.(symbol) ?? 1;
    const rows: HistoryTrade[] = trades.map((t) => ({ timeMs: t.timeMs, priceH: t.priceTicks * tick, qty: t.qty, aggressor: t.aggressor === 'buy' ? 1 : t.aggressor === 'sell' ? 2 : 0 }));
    job.view.rowsRead = rows.length;
    const stored = new Promise<unknown>((resolve, reject) => {
      job.resolve = resolve;
      job.reject = reject;
    });
    if (rows.length === 0) this.send({ op: 'storeTrades', jobId: job.view.id, symbol, trades: [], last: true });
    for (let i = 0; i < rows.length; i += TRADES_PER_MESSAGE) {
      this.send({ op: 'storeTrades', jobId: job.view.id, symbol, trades: rows.slice(i, i + TRADES_PER_MESSAGE), last: i + TRADES_PER_MESSAGE >= rows.length });
    }
    await stored;
  }

  /** Deletes [fromMs, toMs) of a series through the writer; resolves with the rows deleted. */
  deleteRange(symbol: string, interval: SeriesInterval, fromMs: number, toMs: number, fromDay: string, toDay: string): Promise<number> {
    const jobId = `del-${randomBytes(6).toString('hex')}`;
    return new Promise((resolve, reject) => {
      const job: Job = { view: { id: jobId, kind: 'file', label: 'delete', state: 'running', done: 0, total: 0, rowsRead: 0, rowsPerSec: 0 }, lastPublishMs: 0, resolve: resolve as (v: unknown) => void, reject };
      this.deletes.set(jobId, job);
      this.send({ op: 'delete', jobId, symbol, interval, fromMs, toMs, fromDay, toDay });
    });
  }

  private readonly deletes = new Map<string, Job>();

  private start(job: Job): void {
    if (job.view.state !== 'queued') return;
    job.view.state = 'running';
    job.startedMs = this.now();
    job.view.startedAt = new Date(job.startedMs).toISOString();
    this.opts.publish(job.view);
  }

  private progress(job: Job, force: boolean): void {
    const now = this.now();
    const elapsedSec = Math.max(0.001, (now - (job.startedMs ?? now)) / 1000);
    job.view.rowsPerSec = Math.round(job.view.rowsRead / elapsedSec);
    const frac = job.view.total > 0 ? job.view.done / job.view.total : 0;
    job.view.etaSec = frac > 0.01 ? Math.max(0, Math.round((elapsedSec / frac) * (1 - frac))) : undefined;
    if (force || now - job.lastPublishMs >= PROGRESS_PUBLISH_MS) {
      job.lastPublishMs = now;
      this.opts.publish(job.view);
    }
  }

  private finish(job: Job, state: ImportJobView['state'], report?: ImportFileReport, error?: string): void {
    if (job.view.state === 'done' || job.view.state === 'failed' || job.view.state === 'cancelled') return;
    job.view.state = state;
    if (report) job.view.report = report;
    if (error) job.view.error = error;
    job.view.finishedAt = new Date(this.now()).toISOString();
    if (job.view.kind === 'file') job.view.done = job.view.total;
    this.pendingCount--;
    if (job.tempFile) rmSync(job.tempFile, { force: true });
    this.opts.publish(job.view);
    job.resolve?.(undefined);
  }

  private onReply(m: WorkerReply): void {
    const del = this.deletes.get(m.jobId);
    if (del) {
      this.deletes.delete(m.jobId);
      if (m.op === 'deleted') del.resolve?.(m.rows);
      else if (m.op === 'failed') del.reject?.(new Error(m.message));
      return;
    }
    const job = this.jobs.get(m.jobId);
    if (!job) return;
    if (m.op === 'progress') {
      this.start(job);
      job.view.done = m.bytesRead;
      job.view.total = m.totalBytes;
      job.view.rowsRead = m.rowsRead;
      this.progress(job, false);
    } else if (m.op === 'done') {
      this.start(job);
      job.view.rowsRead = m.report.rowsRead;
      this.progress(job, false);
      const state = m.report.cancelled ? 'cancelled' : m.report.error ? 'failed' : 'done';
      this.finish(job, state, m.report, m.report.error);
      if (state === 'done') this.opts.log('info', `import ${job.view.label}: ${m.report.stored} stored, ${m.report.duplicates} duplicates, ${m.report.refused.length + (m.report.refusedNotListed ?? 0)} refused`);
    } else if (m.op === 'stored') {
      const report: ImportFileReport = { file: job.view.label, series: [], rowsRead: m.rowsRead, stored: m.stored, duplicates: m.duplicates, refused: m.refused };
      job.view.done = 100;
      this.finish(job, 'done', report);
    } else if (m.op === 'failed') {
      this.finish(job, 'failed', undefined, m.message);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer?.terminate();
    this.db.close();
  }
}
