/**
 * A strategy runner in a worker thread, seen from the bridge: a RunnerPort whose dispatch posts a
 * batch of events and resolves with the strategy's commands. One batch at a time (the host awaits
 * each). A watchdog in this thread ends a hook that runs past its budget — the worker is paused to
 * read the stuck line, then terminated — and a worker that dies (out of memory, say) answers the
 * batch in flight with a fault, so the host ends the run and the bridge goes on.
 */
import { Worker } from 'node:worker_threads';
import type { DispatchResult, RunnerPort } from '../host.js';
import { locateLoop, watchWorkers } from '../locate-loop.js';
import type { HostEvent, RunnerCommand, RunnerInit, StrategyFault } from '../protocol.js';
import { Watchdog } from '../watchdog.js';

export type RunnerRequest = { seq: number; events: HostEvent[] };
export type RunnerReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'result'; seq: number; commands: RunnerCommand[]; nextTimerMs?: number; fault?: StrategyFault };

/** A live hook may run this long before the run is stopped (a bar a minute leaves it plenty). */
export const LIVE_HOOK_BUDGET_MS = 2_000;
export const LIVE_HEAP_MB = 256;

export class WorkerRunner implements RunnerPort {
  private seq = 0;
  private pending: { seq: number; resolve(r: DispatchResult): void } | undefined;
  private dead: StrategyFault | undefined;
  private readonly dog: Watchdog;

  private constructor(
    private readonly worker: Worker,
    probe: Int32Array,
    budgetMs: number,
    heapMb: number,
    sourceFile: string | undefined,
  ) {
    this.dog = new Watchdog(probe, budgetMs, (hook, forMs) => {
      void locateLoop(worker, sourceFile).then((location) => {
        this.die({ hook, message: `${hook} passou de ${budgetMs / 1000} s sem retornar (${Math.round(forMs / 1000)} s; laço sem fim, ou memória no limite?): estratégia interrompida`, ...(location ? { location } : {}) });
        void worker.terminate();
      });
    });
    worker.on('message', (m: RunnerReply) => {
      if (m.type === 'result' && this.pending?.seq === m.seq) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve({ commands: m.commands, nextTimerMs: m.nextTimerMs, ...(m.fault ? { fault: m.fault } : {}) });
      }
    });
    worker.on('error', (e: Error & { code?: string }) => {
      this.die(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { hook: 'memória', message: `a estratégia passou do limite de ${heapMb} MB de memória: interrompida` }
          : { hook: 'worker', message: e.message },
      );
    });
    worker.on('exit', () => this.die({ hook: 'worker', message: 'o processo da estratégia terminou' }));
  }

  /** Starts the worker and waits until the strategy module has loaded (or says why it did not). */
  static async start(o: { strategy: string; dataDir: string; init: RunnerInit; sourceFile?: string; budgetMs?: number; heapMb?: number }): Promise<WorkerRunner> {
    watchWorkers();
    const probe = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const heapMb = o.heapMb ?? LIVE_HEAP_MB;
    const worker = new Worker(new URL('./runner-entry.mjs', import.meta.url), {
      workerData: { strategy: o.strategy, dataDir: o.dataDir, init: o.init, probe },
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
      stdout: false,
      stderr: false,
    });
    const first = await new Promise<RunnerReply | { type: 'exit' }>((resolve) => {
      worker.once('message', resolve);
      worker.once('exit', () => resolve({ type: 'exit' }));
    });
    if (first.type !== 'ready') {
      await worker.terminate();
      throw new Error(first.type === 'failed' ? first.message : 'o processo da estratégia terminou ao carregar');
    }
    return new WorkerRunner(worker, new Int32Array(probe), o.budgetMs ?? LIVE_HOOK_BUDGET_MS, heapMb, o.sourceFile);
  }

  dispatch(events: HostEvent[]): Promise<DispatchResult> {
    if (this.dead) return Promise.resolve({ commands: [], fault: this.dead });
    if (this.pending) throw new Error('invariant: one batch at a time per strategy runner');
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending = { seq, resolve };
      this.worker.postMessage({ seq, events } satisfies RunnerRequest);
    });
  }

  async terminate(): Promise<void> {
    this.dog.stop();
    this.dead ??= { hook: 'stop', message: 'parada' };
    await this.worker.terminate();
  }

  private die(f: StrategyFault): void {
    if (this.dead) return;
    this.dead = f;
    this.dog.stop();
    const p = this.pending;
    this.pending = undefined;
    p?.resolve({ commands: [], fault: f });
  }
}
