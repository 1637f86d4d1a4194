/**
 * Sweeps across machines through Redis with BullMQ: the producer (a bridge with
 * `settings.sweepRedisUrl`, or `blackbox sweep --redis URL`) adds one job per run to the queue
 * `blackbox-backtests`; `blackbox worker --redis URL` on each machine takes jobs and runs them with
 * `startBacktestWorker` against its own data folder's market.db; the outcome comes back as the job's
 * return value and lands in the producer's ResultsStore. BullMQ carries everything (jobs, progress,
 * results, retries of a worker that died mid-job, the cancel event): no protocol of our own.
 *
 * A job carries the strategy's code when it is a file (bundled, see strategy-bundle.ts) and the
 * fingerprint of the data the producer planned on; a worker whose data differs fails the job with
 * the difference instead of producing other numbers.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents, QueueEventsProducer, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { BacktestSpec } from '../../common/backtest.js';
import { MarketDb, MARKET_DB_FILE } from '../marketdata/market-db.js';
import { existsSync } from 'node:fs';
import { fingerprintDifference, fingerprintOf, planData, type DataFingerprint } from './data-plan.js';
import { installShippedStrategy, type ShippedStrategy } from './strategy-bundle.js';
import { startBacktestWorker, type BacktestOutcome, type RunningBacktest } from './worker-protocol.js';

export const SWEEP_QUEUE = 'blackbox-backtests';
/** Custom event on the queue's event stream: the producer asks the worker running a job to stop it. */
const CANCEL_EVENT = 'blackbox:cancel';
const CONNECT_TIMEOUT_MS = 10_000;
const PROGRESS_EVERY_MS = 1_000;
const CANCEL_GRACE_MS = 3_000;
/** How often the producer asks Redis for jobs it has heard nothing about (an event lost in a reconnect). */
const BACKSTOP_POLL_MS = 15_000;
/** The event stream keeps this many entries: enough that a producer reading it never misses a result. */
const EVENTS_KEPT = 10_000;

export interface RemoteJobData {
  runId: string;
  sweepId?: string;
  /** A bundled example by id, or a file's code. */
  strategy: { id: string } | ShippedStrategy;
  spec: BacktestSpec;
  fingerprint: DataFingerprint;
}

export type RemoteJobResult = BacktestOutcome & { worker: string };

/** The URL without its password, for views and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'redis://(inválido)';
  }
}

export function checkRedisUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `use redis://HOST:PORTA ou rediss://HOST:PORTA, não ${u.protocol}`;
    return undefined;
  } catch {
    return `URL do Redis inválida: ${url}`;
  }
}

function connection(url: string): ConnectionOptions {
  // Workers block on Redis: BullMQ wants commands retried for as long as the connection is down.
  return { url, maxRetriesPerRequest: null };
}

async function ready<T>(what: string, url: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`não consegui conectar ao Redis em ${redactRedisUrl(url)} (${what}) em ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface Pending {
  resolve(o: BacktestOutcome): void;
  onProgress?: (fraction: number, eventsPerSec: number) => void;
}

/** The producer's side: runs handed to BullMQ, their outcomes awaited. */
export class RedisDispatcher {
  readonly label: string;
  private readonly pending = new Map<string, Pending>();
  private readonly cancelling = new Set<Promise<void>>();
  private readonly poll: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly producer: QueueEventsProducer,
    url: string,
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string, extra?: unknown) => void,
  ) {
    this.label = redactRedisUrl(url);
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, toOutcome(returnvalue)));
    events.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, failedReason));
    events.on('progress', ({ jobId, data }) => {
      const p = data as { fraction?: number; eventsPerSec?: number };
      if (typeof p?.fraction === 'number') this.pending.get(jobId)?.onProgress?.(p.fraction, p.eventsPerSec ?? 0);
    });
    this.poll = setInterval(() => void this.backstop(), BACKSTOP_POLL_MS);
    this.poll.unref();
  }

  static async connect(url: string, log: RedisDispatcher['log'] = () => undefined): Promise<RedisDispatcher> {
    const bad = checkRedisUrl(url);
    if (bad) throw new Error(bad);
    const queue = new Queue(SWEEP_QUEUE, { connection: connection(url) });
    const events = new QueueEvents(SWEEP_QUEUE, { connection: connection(url) });
    const producer = new QueueEventsProducer(SWEEP_QUEUE, { connection: connection(url) });
    const onError = (e: Error) => log('warn', `redis: ${e.message}`);
    queue.on('error', onError);
    events.on('error', onError);
    producer.on('error', onError);
    try {
      await ready('fila', url, queue.waitUntilReady());
      await ready('eventos', url, events.waitUntilReady());
      await ready('eventos', url, producer.waitUntilReady());
    } catch (e) {
      await Promise.allSettled([queue.close(), events.close(), producer.close()]);
      throw e;
    }
    return new RedisDispatcher(queue, events, producer, url, log);
  }

  start(data: RemoteJobData, onProgress?: (fraction: number, eventsPerSec: number) => void): RunningBacktest {
    const done = new Promise<BacktestOutcome>((resolve) => this.pending.set(data.runId, { resolve, onProgress }));
    const id = data.runId;
    this.queue
      .add('backtest', data, {
        jobId: id,
        // A thrown error (a worker that could not write the strategy, Redis trouble) is tried once more;
        // a worker killed mid-run is a stalled job BullMQ hands to another worker by itself.
        attempts: 2,
        backoff: { type: 'fixed', delay: 1_000 },
        removeOnComplete: { age: 3_600 },
        removeOnFail: { age: 24 * 3_600 },
      })
      .catch((e: Error) => this.settle(id, { kind: 'failed', message: `não consegui enfileirar no Redis: ${e.message}` }));
    return {
      cancel: () => this.track(this.cancel(id)),
      terminate: () => {
        this.track(this.cancel(id));
        this.settle(id, { kind: 'cancelled' });
      },
      done,
    };
  }

  private track(p: Promise<void>): void {
    this.cancelling.add(p);
    void p.finally(() => this.cancelling.delete(p));
  }

  private async cancel(id: string): Promise<void> {
    try {
      const job = await this.queue.getJob(id);
      if (!job) return;
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        await job.remove();
        this.settle(id, { kind: 'cancelled' });
      } else if (state === 'active') {
        await this.producer.publishEvent({ eventName: CANCEL_EVENT, jobId: id }, EVENTS_KEPT);
      }
    } catch (e) {
      // Removing races with a worker taking the job: then the cancel event reaches it.
      await this.producer.publishEvent({ eventName: CANCEL_EVENT, jobId: id }, EVENTS_KEPT).catch(() => undefined);
      this.log('warn', `redis: cancel ${id}: ${(e as Error).message}`);
    }
  }

  private async onFailed(jobId: string, reason: string): Promise<void> {
    if (!this.pending.has(jobId)) return;
    // A failure with attempts left is retried: only the last one ends the run.
    try {
      const job = await this.queue.getJob(jobId);
      if (job && (await job.getState()) !== 'failed') return;
    } catch {
      // Redis unreachable: the backstop poll will look again.
      return;
    }
    this.settle(jobId, { kind: 'failed', message: reason || 'o worker falhou sem dizer por quê' });
  }

  private async backstop(): Promise<void> {
    for (const id of [...this.pending.keys()]) {
      if (this.closed) return;
      try {
        const job = await this.queue.getJob(id);
        if (!job) continue;
        const state = await job.getState();
        if (state === 'completed') this.settle(id, toOutcome(job.returnvalue));
        else if (state === 'failed') this.settle(id, { kind: 'failed', message: job.failedReason || 'o worker falhou' });
      } catch {
        return;
      }
    }
  }

  private settle(id: string, o: BacktestOutcome): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.resolve(o);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'cancelled' });
    // Cancels on their way (a closing bridge stops its sweeps) reach Redis before the connections close.
    await Promise.allSettled([...this.cancelling]);
    await Promise.allSettled([this.queue.close(), this.events.close(), this.producer.close()]);
  }
}

function toOutcome(v: unknown): BacktestOutcome {
  const r = (typeof v === 'string' ? JSON.parse(v) : v) as RemoteJobResult | undefined;
  if (!r || typeof r !== 'object' || !('kind' in r)) return { kind: 'failed', message: 'o worker devolveu um resultado ilegível' };
  const { worker: _worker, ...outcome } = r;
  return outcome as BacktestOutcome;
}

export interface RemoteWorkerOptions {
  redisUrl: string;
  dataDir: string;
  concurrency: number;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  hookBudgetMs?: number;
  heapMb?: number;
}

/** Fingerprints computed here, by data spec, for a minute: a sweep's jobs share one. */
const FINGERPRINT_TTL_MS = 60_000;

/** `blackbox worker`: takes jobs from the queue and runs them on this machine's data. */
export async function startRemoteWorker(o: RemoteWorkerOptions): Promise<{ close(force?: boolean): Promise<void>; worker: Worker }> {
  const bad = checkRedisUrl(o.redisUrl);
  if (bad) throw new Error(bad);
  const host = hostname();
  const marketFile = path.join(o.dataDir, MARKET_DB_FILE);
  const fingerprints = new Map<string, { atMs: number; value: DataFingerprint | string }>();

  const ownFingerprint = (spec: BacktestSpec): DataFingerprint | string => {
    const key = JSON.stringify([spec.symbols, spec.from, spec.to, spec.interval, spec.source]);
    const hit = fingerprints.get(key);
    if (hit && Date.now() - hit.atMs < FINGERPRINT_TTL_MS) return hit.value;
    let value: DataFingerprint | string;
    if (!existsSync(marketFile)) value = `a base de dados de mercado desta máquina está vazia (${marketFile})`;
    else {
      const db = MarketDb.openReadOnly(marketFile);
      try {
        const plan = planData(db, spec);
        value = plan.ok ? fingerprintOf(db, spec, plan) : plan.message;
      } finally {
        db.close();
      }
    }
    fingerprints.set(key, { atMs: Date.now(), value });
    return value;
  };

  const processor = async (job: Job<RemoteJobData>, _token?: string, signal?: AbortSignal): Promise<RemoteJobResult> => {
    const d = job.data;
    const where = `${host}:${o.dataDir}`;
    const mine = ownFingerprint(d.spec);
    if (typeof mine === 'string') throw new UnrecoverableError(`dados diferentes em ${where}: ${mine}`);
    const diff = fingerprintDifference(d.fingerprint, mine);
    if (diff) throw new UnrecoverableError(`dados diferentes em ${where}: ${diff}. Importe os mesmos arquivos nesta máquina ou pare este worker`);
    const strategy = 'source' in d.strategy ? installShippedStrategy(o.dataDir, d.strategy) : d.strategy.id;
    let lastProgress = 0;
    const run = startBacktestWorker(
      { strategy, allowPath: 'source' in d.strategy, dataDir: o.dataDir, spec: d.spec },
      {
        hookBudgetMs: o.hookBudgetMs,
        heapMb: o.heapMb,
        onProgress: (fraction, eventsPerSec) => {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = now;
          void job.updateProgress({ fraction, eventsPerSec: Math.round(eventsPerSec) }).catch(() => undefined);
        },
      },
    );
    // Cancelled by the producer: stop at the next progress point, or end the thread if it does not.
    const stop = () => {
      run.cancel();
      setTimeout(() => run.terminate(), CANCEL_GRACE_MS).unref();
    };
    signal?.addEventListener('abort', stop);
    try {
      const outcome = await run.done;
      const name = 'source' in d.strategy ? d.strategy.name : d.strategy.id;
      o.log('info', `${job.id} ${name}: ${outcome.kind}`);
      return { ...outcome, worker: host };
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  };

  const worker = new Worker<RemoteJobData, RemoteJobResult>(SWEEP_QUEUE, processor, {
    connection: connection(o.redisUrl),
    concurrency: o.concurrency,
    name: host,
    // A backtest runs in its own thread: this loop stays free to renew the job's lock.
    lockDuration: 60_000,
    autorun: false,
  });
  const events = new QueueEvents(SWEEP_QUEUE, { connection: connection(o.redisUrl) });
  worker.on('error', (e) => o.log('warn', `redis: ${e.message}`));
  events.on('error', (e) => o.log('warn', `redis: ${e.message}`));
  worker.on('failed', (job, e) => o.log('warn', `${job?.id ?? '?'}: ${e.message}`));
  events.on(CANCEL_EVENT as 'error', ((args: { jobId?: string }) => {
    if (args?.jobId && worker.cancelJob(args.jobId, 'cancelado pelo produtor')) o.log('info', `${args.jobId}: cancelado`);
  }) as never);
  try {
    await ready('worker', o.redisUrl, worker.waitUntilReady());
    await ready('eventos', o.redisUrl, events.waitUntilReady());
  } catch (e) {
    await Promise.allSettled([worker.close(true), events.close()]);
    throw e;
  }
  void worker.run().catch((e: Error) => o.log('error', `worker: ${e.message}`));
  return {
    worker,
    // force: the jobs running here are left to BullMQ, which hands them to another worker once their lock expires.
    close: async (force = false) => {
      await Promise.allSettled([events.close(), worker.close(force)]);
    },
  };
}
