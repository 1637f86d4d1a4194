/**
 * The replay loop shared by a backtest and by the bridge running on recorded history: it moves a
 * simulated clock from event to event, hands each recorded event to the venue, and lets the kernel
 * and the strategies finish everything that event caused before the next one ("settle"). Timers
 * (algo wake-ups, strategy timers, bar ends) fire at their own instants in between. Nothing depends
 * on how long anything takes in real time, so the same data and seed give the same run.
 */
import { saoPauloDay } from '../calendar/iso-date.js';
import type { EventSink } from '../execution/oms.js';
import type { TradingKernel } from '../kernel.js';
import type { StrategyHost } from '../strategy/host.js';
import type { MarketFeed } from './feed.js';
import type { MarketEvent } from './market-events.js';
import type { ReplayVenue } from './replay-venue.js';

/** A clock that only moves when told to, and never backwards. */
export class SimClock {
  constructor(private t: number) {}

  readonly now = (): number => this.t;

  set(t: number): void {
    if (t > this.t) this.t = t;
  }
}

/** An event sink that counts what it was given and what is still being written. */
export class CountingSink implements EventSink {
  appended = 0;
  inFlight = 0;
  readonly answersAtOnce: boolean;

  constructor(private readonly inner: EventSink) {
    this.answersAtOnce = inner.answersAtOnce === true;
  }

  append(type: string, data: unknown, timeMs?: number): Promise<unknown> {
    this.appended++;
    this.inFlight++;
    const p = this.inner.append(type, data, timeMs);
    p.then(
      () => this.inFlight--,
      () => this.inFlight--,
    );
    return p;
  }
}

/** Keeps nothing: a backtest's orders live in the OMS's memory for the run and go to the results. */
export const DISCARDING_SINK: EventSink = { append: () => RESOLVED, answersAtOnce: true };
const RESOLVED = Promise.resolve();

export interface ReplayParticipants {
  clock: SimClock;
  venue: ReplayVenue;
  kernel: TradingKernel;
  sink: CountingSink;
  hosts(): Iterable<StrategyHost>;
  /** After each recorded event has settled (equity sample, progress). */
  afterStep?(ev: MarketEvent): void;
  /** A São Paulo date ended: `date` is the one that ended, `next` the new one, which starts at `nextStartMs`. */
  dayChanged?(date: string, next: string, nextStartMs: number): void;
}

export interface ReplayControl {
  cancelled(): boolean;
  progress?(eventsDone: number): void;
  /** A replay sharing its thread with a server yields a turn this often (ms of work); a backtest's own process never does. */
  yieldEveryMs?: number;
}

/** Settle rounds per step before the loop is declared stuck (an algo re-placing forever). */
const MAX_SETTLE_ROUNDS = 10_000;
const PROGRESS_EVERY = 8_192;
/** Microtask hops given to promise chains per settle round before a real turn is waited for. */
const MICROTASK_SPINS = 64;

/** Microtask hops that stand in for a real turn when nothing in the run waits on I/O or timers. */
const QUIET_SPINS = 4;

async function spinMicrotasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ReplayDriver {
  private date = '';
  private dayStart = Number.NaN;
  private dayEnd = Number.NaN;
  private events = 0;

  constructor(private readonly p: ReplayParticipants) {}

  async run(feed: MarketFeed, control: ReplayControl): Promise<{ events: number; cancelled: boolean }> {
    let yieldAt = performance.now() + (control.yieldEveryMs ?? Number.POSITIVE_INFINITY);
    for (;;) {
      const ev = feed.next();
      if (!ev) break;
      // The common step (no timer due, nothing sent) runs without giving up the thread.
      if (this.wakeDue(ev.timeMs)) await this.advanceTo(ev.timeMs);
      this.apply(ev);
      if (!this.settleSync()) await this.settle();
      this.events++;
      this.p.afterStep?.(ev);
      if ((this.events & (PROGRESS_EVERY - 1)) === 0) {
        control.progress?.(this.events);
        if (control.cancelled()) return { events: this.events, cancelled: true };
      }
      // Sharing a thread (the bridge on recorded history): let HTTP, WebSocket and timers in now and then.
      if ((this.events & 255) === 0 && performance.now() > yieldAt) {
        await nextTurn();
        yieldAt = performance.now() + control.yieldEveryMs!;
      }
    }
    control.progress?.(this.events);
    return { events: this.events, cancelled: false };
  }

  /** One recorded event: timers due before it, a new date if it starts one, the event, then settle. */
  async step(ev: MarketEvent): Promise<void> {
    await this.advanceTo(ev.timeMs);
    this.apply(ev);
    await this.settle();
    this.events++;
    this.p.afterStep?.(ev);
  }

  private apply(ev: MarketEvent): void {
    // A bar belongs to the day it covers, though it is known at its end: the minute bar of 23:59 ends
    // at midnight and is still that day's (its orders have not expired yet); a daily bar is its date's.
    const at = ev.kind === 'bar' ? ev.startMs : ev.timeMs;
    if (!(at >= this.dayStart && at < this.dayEnd)) this.newDay(at);
    this.p.clock.set(ev.timeMs);
    this.p.venue.apply(ev);
  }

  private nextWakeMs(): number | undefined {
    let next = this.p.kernel.oms.runtime.scheduler.nextDueMs();
    for (const h of this.p.hosts()) {
      const w = h.nextWakeMs();
      if (w !== undefined && (next === undefined || w < next)) next = w;
    }
    return next;
  }

  private wakeDue(t: number): boolean {
    const next = this.nextWakeMs();
    return next !== undefined && next <= t;
  }

  /** Runs every algo wake-up and strategy wake-up due at or before `t`, each at its own instant. */
  async advanceTo(t: number): Promise<void> {
    const runtime = this.p.kernel.oms.runtime;
    for (;;) {
      const next = this.nextWakeMs();
      if (next === undefined || next > t) return;
      this.p.clock.set(next);
      const now = this.p.clock.now();
      runtime.runDue(now);
      for (const h of this.p.hosts()) h.onClock(now);
      if (!this.settleSync()) await this.settle();
    }
  }

  /**
   * One settle round without yielding: reports to the kernel, events to the strategies. True when
   * that started nothing (no boleta, no journal write, no report left); false when the asynchronous
   * settle must go on (`waiting` holds a strategy still deciding).
   */
  private settleSync(): boolean {
    const { venue, sink } = this.p;
    const before = sink.appended;
    venue.flush();
    let quiet = true;
    for (const h of this.p.hosts()) {
      if (!h.hasPending()) continue;
      const r = h.pump();
      if (typeof r === 'boolean') {
        if (r || h.inFlightCount() > 0) quiet = false;
      } else {
        this.waiting.push(r);
        quiet = false;
      }
    }
    return quiet && sink.appended === before && sink.inFlight === 0 && venue.pendingReports() === 0;
  }

  private waiting: Array<Promise<boolean>> = [];

  /** Until the venue, the kernel and every strategy host have nothing left to do. */
  async settle(): Promise<void> {
    const { sink } = this.p;
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      if (this.waiting.length > 0) {
        const w = this.waiting;
        this.waiting = [];
        await Promise.all(w);
      }
      // A journal that answers at once (a backtest's) and boletas on their way into the OMS are
      // promise chains: they run as microtasks, without a turn of the event loop each.
      for (let i = 0; i < MICROTASK_SPINS && (i < 4 || sink.inFlight > 0 || this.hostsInFlight()); i++) await null;
      // A journal that writes for real answers on later turns.
      while (sink.inFlight > 0 || this.hostsInFlight()) await nextTurn();
      // The OMS tells its listeners (order updates, the portfolio) now rather than on its own turn.
      this.p.kernel.oms.flushNotifications();
      if (this.settleSync() && this.waiting.length === 0) {
        // Quiet: make sure no promise chain was still on its way, then look again.
        await this.quietTurn();
        this.p.kernel.oms.flushNotifications();
        if (this.settleSync() && this.waiting.length === 0) return;
      }
    }
    throw new Error(`a reprodução não assentou após ${MAX_SETTLE_ROUNDS} rodadas no instante ${new Date(this.p.clock.now()).toISOString()}`);
  }

  /**
   * With a journal that answers at once, every chain the kernel starts is made of promise reactions
   * only (no I/O, no timers), so spinning the microtask queue sees them through; a journal that
   * writes for real answers on a later turn of the event loop, which must then be given.
   */
  private quietTurn(): Promise<void> | void {
    if (!this.p.sink.answersAtOnce) return nextTurn();
    return spinMicrotasks(QUIET_SPINS);
  }

  private hostsInFlight(): boolean {
    for (const h of this.p.hosts()) if (h.inFlightCount() > 0) return true;
    return false;
  }

  private newDay(timeMs: number): void {
    const d = saoPauloDay(timeMs);
    const next = d.date;
    this.dayStart = d.startMs;
    this.dayEnd = d.endMs;
    const prev = this.date;
    this.date = next;
    if (prev !== '') this.p.dayChanged?.(prev, next, d.startMs);
  }
}
