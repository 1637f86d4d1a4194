/**
 * A watchdog for a strategy running in another thread: it reads the runner's probe (the hook running
 * now and a counter bumped at every hook call) and calls `onStuck` when one hook has run longer than
 * the budget — a loop that would otherwise hold its thread forever. The thread is then terminated
 * by the caller; nothing the strategy does can stop this timer, which runs in the caller's thread.
 */
import { HOOK_CODES } from './protocol.js';

const CHECK_EVERY_MS = 100;

export class Watchdog {
  private readonly timer: NodeJS.Timeout;
  private lastCount = -1;
  private since = Date.now();
  private fired = false;

  constructor(
    private readonly probe: Int32Array,
    private readonly budgetMs: number,
    private readonly onStuck: (hook: string, forMs: number) => void,
  ) {
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  private check(): void {
    if (this.fired) return;
    const now = Date.now();
    const count = this.probe[1];
    const hook = this.probe[0];
    if (count !== this.lastCount || hook === 0) {
      this.lastCount = count;
      this.since = now;
      return;
    }
    if (now - this.since > this.budgetMs) {
      this.fired = true;
      this.stop();
      this.onStuck(HOOK_CODES[hook] ?? 'hook', now - this.since);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
