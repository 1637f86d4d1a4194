/**
 * One wake-up scheduler for every algo: a binary min-heap of (dueMs, key) on the one event loop,
 * with a single host timer armed for the earliest deadline. No timer per order: 10,000 working
 * TWAPs cost 10,000 heap entries, not 10,000 Node timers. Each turn runs at most
 * `maxWakesPerTurn` wake-ups and yields (setImmediate) before the next batch, so a burst of due
 * slices can never stall the event loop for market events and HTTP.
 *
 * A key has at most one pending wake-up; scheduling it again replaces the previous one (the old
 * heap entry is left in place and skipped when it surfaces: lazy deletion keeps updates O(log n)).
 */
import { performance } from 'node:perf_hooks';

export interface TimerHost {
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fn: () => void): void;
}

export const NODE_TIMERS: TimerHost = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setImmediate: (fn) => void setImmediate(fn),
};

export interface SchedulerOptions {
  nowMs: () => number;
  onWake: (key: string) => void;
  /** Bound on wake-ups run in one turn of the event loop. */
  maxWakesPerTurn?: number;
  /** Bound on the time one turn may spend in wake-ups (timer mode), whichever bound comes first. */
  maxTurnMs?: number;
  /** Host timers; undefined = manual: the caller drives `runDue` (tests, backtests, benches). */
  timers?: TimerHost;
}

interface Entry {
  dueMs: number;
  key: string;
  gen: number;
}

/** Time budget of one turn of wake-ups: well under the 50 ms stall bar, long enough to batch. */
const DEFAULT_TURN_MS = 10;

/** Longest a host timer is armed for: clocks can jump (tests, suspend), so re-check at least this often. */
const MAX_ARM_MS = 60_000;

export class WakeScheduler {
  private readonly heap: Entry[] = [];
  /** Generation of each key's live entry; an entry with another generation is stale. */
  private readonly live = new Map<string, number>();
  private gen = 0;
  private armedFor = Number.POSITIVE_INFINITY;
  private handle: unknown;
  private immediatePending = false;
  private readonly maxPerTurn: number;

  constructor(private readonly o: SchedulerOptions) {
    this.maxPerTurn = o.maxWakesPerTurn ?? 500;
  }

  /** Wake `key` at `dueMs` (replacing any pending wake-up of the same key). */
  wakeAt(key: string, dueMs: number): void {
    const gen = ++this.gen;
    this.live.set(key, gen);
    this.push({ dueMs, key, gen });
    // A heap that holds mostly stale entries is rebuilt so memory stays proportional to live keys.
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live.size) this.compact();
    this.arm();
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  pending(): number {
    return this.live.size;
  }

  /** Run due wake-ups, at most the per-turn bound (and, given `budgetMs`, for about that long). Returns how many ran. */
  runDue(nowMs = this.o.nowMs(), budgetMs = Number.POSITIVE_INFINITY): number {
    let ran = 0;
    const deadline = budgetMs === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : performance.now() + budgetMs;
    while (ran < this.maxPerTurn && this.heap.length > 0) {
      // The clock is read every 16 wake-ups only: performance.now() is cheap, not free.
      if ((ran & 15) === 15 && performance.now() > deadline) break;
      const top = this.heap[0];
      if (this.live.get(top.key) !== top.gen) {
        this.pop();
        continue;
      }
      if (top.dueMs > nowMs) break;
      this.pop();
      this.live.delete(top.key);
      ran++;
      this.o.onWake(top.key);
    }
    return ran;
  }

  /** Earliest live deadline, or undefined. */
  nextDueMs(): number | undefined {
    while (this.heap.length > 0 && this.live.get(this.heap[0].key) !== this.heap[0].gen) this.pop();
    return this.heap[0]?.dueMs;
  }

  stop(): void {
    if (this.o.timers && this.handle !== undefined) this.o.timers.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.heap.length = 0;
    this.live.clear();
  }

  private arm(): void {
    const t = this.o.timers;
    if (!t || this.immediatePending) return;
    const next = this.nextDueMs();
    if (next === undefined || next >= this.armedFor) return;
    if (this.handle !== undefined) t.clearTimeout(this.handle);
    this.armedFor = next;
    const delay = Math.min(MAX_ARM_MS, Math.max(0, next - this.o.nowMs()));
    this.handle = t.setTimeout(() => this.turn(), delay);
  }

  private turn(): void {
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.immediatePending = false;
    this.runDue(this.o.nowMs(), this.o.maxTurnMs ?? DEFAULT_TURN_MS);
    const next = this.nextDueMs();
    if (next !== undefined && next <= this.o.nowMs()) {
      // More are due than the bound allows: let I/O in, then continue.
      this.immediatePending = true;
      this.o.timers!.setImmediate(() => this.turn());
      return;
    }
    this.arm();
  }

  private compact(): void {
    const kept = this.heap.filter((e) => this.live.get(e.key) === e.gen);
    this.heap.length = 0;
    for (const e of kept) this.push(e);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].dueMs <= e.dueMs) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].dueMs < h[l].dueMs ? r : l;
      if (h[c].dueMs >= last.dueMs) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
}
