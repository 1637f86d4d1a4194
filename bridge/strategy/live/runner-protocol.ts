/**
 * A live run's runner in a process of its own (the sandbox), as the host sees it: a RunnerPort whose
 * dispatch sends a batch of events and resolves with the strategy's commands, one batch at a time,
 * in order.
 * A child that dies — a hook stuck past its budget (the sandbox's watchdog reports the line), a heap
 * at its cap, a crash — answers the batch in flight with a fault, so the host ends the run and the
 * bridge goes on.
 */
import type { DispatchResult, RunnerPort } from '../host.js';
import type { HostEvent, RunnerInit, StrategyFault } from '../protocol.js';
import { faultOfExit, spawnSandbox, type Sandbox } from '../sandbox/sandbox.js';
import type { FromSandbox } from '../sandbox/sandbox-protocol.js';

/** A live hook may run this long before the run is stopped (a bar a minute leaves it plenty). */
export const LIVE_HOOK_BUDGET_MS = 2_000;
export const LIVE_HEAP_MB = 256;

export class ProcessRunner implements RunnerPort {
  private seq = 0;
  private pending: { seq: number; resolve(r: DispatchResult): void } | undefined;
  private dead: StrategyFault | undefined;

  private constructor(
    private readonly box: Sandbox,
    budgetMs: number,
    heapMb: number,
    private readonly sourceFile: string,
  ) {
    box.onMessage((m) => {
      if (m.type === 'result' && this.pending?.seq === m.seq) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve({ commands: m.commands, nextTimerMs: m.nextTimerMs, ...(m.fault ? { fault: m.fault } : {}) });
      }
    });
    void box.exited.then((e) => this.die(faultOfExit(e, heapMb, budgetMs, this.sourceFile)));
  }

  /** Starts the process and waits until the strategy module has loaded (or says why it did not). */
  static async start(o: { strategy: string; dataDir: string; init: Omit<RunnerInit, 'probe' | 'sourceFile'>; budgetMs?: number; heapMb?: number }): Promise<ProcessRunner> {
    const budgetMs = o.budgetMs ?? LIVE_HOOK_BUDGET_MS;
    const heapMb = o.heapMb ?? LIVE_HEAP_MB;
    const box = spawnSandbox({ kind: 'runner', strategy: o.strategy, dataDir: o.dataDir, init: o.init, budgetMs }, { heapMb });
    const first = await new Promise<FromSandbox | { type: 'exit' }>((resolve) => {
      box.onMessage(resolve);
      void box.exited.then(() => resolve({ type: 'exit' }));
    });
    if (first.type !== 'ready') {
      box.kill();
      throw new Error(first.type === 'failed' ? first.message : 'o processo da estratégia terminou ao carregar');
    }
    return new ProcessRunner(box, budgetMs, heapMb, first.sourceFile);
  }

  /** Batches go one at a time, in the order they were handed over (a stop's last batch waits its turn). */
  dispatch(events: HostEvent[]): Promise<DispatchResult> {
    const next = this.queue.then(() => this.dispatchNow(events));
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private queue: Promise<void> = Promise.resolve();

  private dispatchNow(events: HostEvent[]): Promise<DispatchResult> {
    if (this.dead) return Promise.resolve({ commands: [], fault: this.dead });
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending = { seq, resolve };
      this.box.send({ type: 'dispatch', seq, events });
    });
  }

  async terminate(): Promise<void> {
    this.dead ??= { hook: 'stop', message: 'parada' };
    this.box.kill();
    await this.box.exited;
  }

  private die(f: StrategyFault): void {
    if (this.dead) return;
    this.dead = f;
    const p = this.pending;
    this.pending = undefined;
    p?.resolve({ commands: [], fault: f });
  }
}
