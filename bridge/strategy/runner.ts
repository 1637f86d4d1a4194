/**
 * StrategyRunner: one run of one strategy. It builds the context the strategy reads, keeps the
 * mirror of what the strategy has been told (its orders, positions and cash of its clients, bars,
 * quotes, timers), calls the hooks, and collects what the strategy asks for as commands.
 *
 * It has no clock, no I/O and no thread of its own: a host feeds it events (`dispatch`) and carries
 * out the commands it returns. The backtest engine hosts it in its own thread; the live runtime
 * hosts it in a worker thread. The same events in the same order give the same commands.
 *
 * A hook that throws ends the run: the runner keeps the fault (hook, message, file:line) and
 * refuses further events. An invalid boleta throws from `ctx.submit`, inside the hook, with the
 * strategy's own line in the stack.
 */
import { MAX_WARMUP_BARS } from '../../common/backtest.js';
import { tickHundredthsOf, ticksOnGrid } from '../../common/ticks.js';
import { InvalidDateError, saoPauloDay } from '../calendar/iso-date.js';
import { Prng } from '../model/prng.js';
import {
  indicators,
  type Bar,
  type CashInfo,
  type InstrumentInfo,
  type PositionInfo,
  type Quote,
  type StrategyBoleta,
  type StrategyContext,
  type StrategyDefinition,
  type StrategyHooks,
  type StrategyOrder,
} from './api.js';
import { HOOK_CODES, type HostEvent, type RunnerCommand, type RunnerInit, type StrategyFault } from './protocol.js';

/** Closed bars kept per symbol for `ctx.bars` (older ones are dropped): indicators keep their own state. */
export const MAX_BARS_KEPT = MAX_WARMUP_BARS;
/** Boletas a run may have open at once, and timers: bounds against a runaway strategy. */
export const MAX_OPEN_ORDERS = 10_000;
export const MAX_TIMERS = 1_000;
/** Commands one event may produce (a hook looping on `submit` is stopped here, not at the broker). */
export const MAX_COMMANDS_PER_EVENT = 5_000;
/** Shortest repeating timer: shorter would flood a backtest with wake-ups and a live run with events. */
export const MIN_TIMER_EVERY_MS = 1_000;
const MAX_LOG_CHARS = 2_000;

export class StrategyError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'StrategyError';
  }
}

/** Most events make no command: they share one empty list (never pushed to). */
const NO_COMMANDS: RunnerCommand[] = Object.freeze([]) as unknown as RunnerCommand[];

const HOOK_CODE = Object.fromEntries(HOOK_CODES.map((h, i) => [h, i])) as Record<(typeof HOOK_CODES)[number], number>;

const DONE_STATUSES = new Set<StrategyOrder['status']>(['filled', 'canceled', 'rejected', 'expired', 'refused']);

/**
 * A fixed-size ring of the latest closed bars of one symbol, kept as numbers: a run of millions of
 * bars keeps no bar object alive (each would outlive the young generation and cost the old one's
 * collections); `ctx.bars` builds the objects it returns.
 */
class BarRing {
  private readonly t = new Float64Array(MAX_BARS_KEPT);
  private readonly open = new Float64Array(MAX_BARS_KEPT);
  private readonly high = new Float64Array(MAX_BARS_KEPT);
  private readonly low = new Float64Array(MAX_BARS_KEPT);
  private readonly close = new Float64Array(MAX_BARS_KEPT);
  private readonly qty = new Float64Array(MAX_BARS_KEPT);
  private readonly volume = new Float64Array(MAX_BARS_KEPT);
  private readonly interval: Bar['interval'][] = [];
  /** Bars kept (up to MAX_BARS_KEPT) and where the next one goes. */
  private size = 0;
  private head = 0;

  constructor(private readonly symbol: string) {}

  push(b: Bar): void {
    const i = this.head;
    this.t[i] = b.t;
    this.open[i] = b.open;
    this.high[i] = b.high;
    this.low[i] = b.low;
    this.close[i] = b.close;
    this.qty[i] = b.qty;
    this.volume[i] = b.volume;
    this.interval[i] = b.interval;
    this.head = i + 1 === MAX_BARS_KEPT ? 0 : i + 1;
    if (this.size < MAX_BARS_KEPT) this.size++;
  }

  latest(count: number): Bar[] {
    const n = Math.min(count, this.size);
    const out = new Array<Bar>(n);
    for (let k = 0; k < n; k++) {
      const i = (this.head - n + k + MAX_BARS_KEPT) % MAX_BARS_KEPT;
      out[k] = { symbol: this.symbol, interval: this.interval[i], t: this.t[i], open: this.open[i], high: this.high[i], low: this.low[i], close: this.close[i], qty: this.qty[i], volume: this.volume[i] };
    }
    return out;
  }
}

interface Timer {
  atMs: number;
  everyMs?: number;
}

export class StrategyRunner {
  private readonly ctx: StrategyContext;
  private hooks: StrategyHooks = {};
  private readonly rng: Prng;
  private readonly instruments = new Map<string, InstrumentInfo>();
  private readonly orders = new Map<string, StrategyOrder>();
  private readonly openRefs = new Set<string>();
  private readonly positions = new Map<string, Map<string, PositionInfo>>();
  private readonly cashByClient = new Map<string, CashInfo>();
  private readonly bars = new Map<string, BarRing>();
  private readonly quotes = new Map<string, Quote>();
  private readonly lastPrice = new Map<string, number>();
  private readonly timers = new Map<string, Timer>();
  private commands: RunnerCommand[] = NO_COMMANDS;
  private nowMs = 0;
  private nextRef = 1;
  private currentHook = 'setup';
  private faulted: StrategyFault | undefined;
  private stopped = false;

  constructor(
    private readonly def: StrategyDefinition,
    private readonly init: RunnerInit,
  ) {
    this.rng = new Prng(init.seed >>> 0);
    for (const i of init.instruments) this.instruments.set(i.symbol, i);
    for (const c of init.clients) this.cashByClient.set(c, { d0: init.openingCash[c] ?? 0, d1: init.openingCash[c] ?? 0, d2: init.openingCash[c] ?? 0 });
    this.ctx = this.makeContext();
  }

  /** The fault that ended the run, if one did. */
  fault(): StrategyFault | undefined {
    return this.faulted;
  }

  /** Earliest timer, or undefined: the host wakes the runner (`clock`) then. */
  nextTimerMs(): number | undefined {
    if (this.timers.size === 0) return undefined;
    let next: number | undefined;
    for (const t of this.timers.values()) if (next === undefined || t.atMs < next) next = t.atMs;
    return next;
  }

  wantsTrades(): boolean {
    return this.def.wants?.trades === true;
  }

  wantsQuotes(): boolean {
    return this.def.wants?.quotes === true;
  }

  /** Applies one event, calls its hook, and returns the commands the strategy made meanwhile. */
  dispatch(ev: HostEvent): RunnerCommand[] {
    if (this.faulted || this.stopped) return [];
    if ('t' in ev) this.nowMs = ev.t;
    this.commands = NO_COMMANDS;
    switch (ev.kind) {
      case 'history':
        for (const b of ev.bars) this.rememberBar(b);
        return [];
      case 'start':
        this.call('setup', () => {
          this.hooks = (this.def.setup as (ctx: StrategyContext) => StrategyHooks)(this.ctx) ?? {};
        });
        this.call('onStart', () => this.hooks.onStart?.());
        break;
      case 'bar':
        this.rememberBar(ev.bar);
        this.lastPrice.set(ev.bar.symbol, ev.bar.close);
        this.runTimersDue(ev.t);
        if (this.hooks.onBar) this.callWith('onBar', this.hooks.onBar, ev.bar);
        break;
      case 'trade':
        this.lastPrice.set(ev.trade.symbol, ev.trade.price);
        this.runTimersDue(ev.t);
        if (this.hooks.onTrade) this.callWith('onTrade', this.hooks.onTrade, ev.trade);
        break;
      case 'quote':
        this.quotes.set(ev.quote.symbol, ev.quote);
        if (ev.quote.last !== undefined) this.lastPrice.set(ev.quote.symbol, ev.quote.last);
        this.runTimersDue(ev.t);
        if (this.hooks.onQuote) this.callWith('onQuote', this.hooks.onQuote, ev.quote);
        break;
      case 'position': {
        let byClient = this.positions.get(ev.client);
        if (!byClient) this.positions.set(ev.client, (byClient = new Map()));
        byClient.set(ev.symbol, { symbol: ev.symbol, qty: ev.qty, avgPrice: ev.avgPrice });
        return [];
      }
      case 'cash':
        this.cashByClient.set(ev.client, { d0: ev.d0, d1: ev.d1, d2: ev.d2 });
        return [];
      case 'fill':
        if (this.hooks.onFill) this.callWith('onFill', this.hooks.onFill, ev.fill);
        break;
      case 'order': {
        const known = this.orders.get(ev.order.ref);
        if (!known) return [];
        Object.assign(known, ev.order);
        if (DONE_STATUSES.has(known.status)) this.openRefs.delete(known.ref);
        if (this.hooks.onOrder) this.call('onOrder', () => this.hooks.onOrder!({ ...known }));
        break;
      }
      case 'clock':
        this.runTimersDue(ev.t);
        break;
      case 'stop':
        this.call('onStop', () => this.hooks.onStop?.());
        this.stopped = true;
        break;
    }
    return this.commands;
  }

  private dayStart = Number.NaN;
  private dayEnd = Number.NaN;
  private day = { date: '', weekday: 0 };

  /** São Paulo date and minute of an instant; luxon only when the instant leaves the day it knows. */
  private localTime(t: number): { date: string; minute: number; weekday: number } {
    if (!(t >= this.dayStart && t < this.dayEnd)) {
      let d;
      try {
        d = saoPauloDay(t);
      } catch (e) {
        if (e instanceof InvalidDateError) throw new StrategyError(`saoPaulo: instante inválido ${t}`);
        throw e;
      }
      this.dayStart = d.startMs;
      this.dayEnd = d.endMs;
      this.day = { date: d.date, weekday: d.weekday };
    }
    return { date: this.day.date, minute: Math.floor((t - this.dayStart) / 60_000), weekday: this.day.weekday };
  }

  private rememberBar(b: Bar): void {
    let ring = this.bars.get(b.symbol);
    if (!ring) this.bars.set(b.symbol, (ring = new BarRing(b.symbol)));
    ring.push(b);
  }

  /** Timers due by `t`, earliest first (ties by name, so the order never depends on insertion). */
  private runTimersDue(t: number): void {
    if (this.timers.size === 0) return;
    for (let guard = 0; guard < 100_000; guard++) {
      let name: string | undefined;
      let due: Timer | undefined;
      for (const [n, tm] of this.timers) {
        if (tm.atMs > t) continue;
        if (!due || tm.atMs < due.atMs || (tm.atMs === due.atMs && n < name!)) {
          name = n;
          due = tm;
        }
      }
      if (!due || this.faulted) return;
      const firedAt = due.atMs;
      if (due.everyMs !== undefined) due.atMs += due.everyMs;
      else this.timers.delete(name!);
      const saved = this.nowMs;
      this.nowMs = Math.max(firedAt, 0);
      if (this.hooks.onTimer) this.call('onTimer', () => this.hooks.onTimer!(name!));
      this.nowMs = saved;
    }
  }

  /** `call` for the per-event hooks: the hook and its argument, no closure per event. */
  private callWith<A>(hook: (typeof HOOK_CODES)[number], fn: (a: A) => void, arg: A): void {
    if (this.faulted) return;
    this.currentHook = hook;
    const probe = this.init.probe;
    if (probe) {
      probe[0] = HOOK_CODE[hook];
      probe[1]++;
    }
    try {
      fn.call(this.hooks, arg);
    } catch (e) {
      this.faulted = faultOf(hook, e, this.init.sourceFile);
      this.commands = NO_COMMANDS;
    } finally {
      if (probe) probe[0] = 0;
    }
  }

  private call(hook: string, fn: () => void): void {
    if (this.faulted) return;
    this.currentHook = hook;
    const probe = this.init.probe;
    if (probe) {
      probe[0] = HOOK_CODES.indexOf(hook as (typeof HOOK_CODES)[number]);
      probe[1]++;
    }
    try {
      fn();
    } catch (e) {
      this.faulted = faultOf(hook, e, this.init.sourceFile);
      this.commands = NO_COMMANDS;
    } finally {
      if (probe) probe[0] = 0;
    }
  }

  private push(cmd: RunnerCommand): void {
    if (this.commands === NO_COMMANDS) this.commands = [];
    if (this.commands.length >= MAX_COMMANDS_PER_EVENT) {
      throw new StrategyError(`mais de ${MAX_COMMANDS_PER_EVENT} comandos num só ${this.currentHook}: laço enviando ordens?`);
    }
    this.commands.push(cmd);
  }

  private instrument(symbol: string, field = 'symbol'): InstrumentInfo {
    const i = typeof symbol === 'string' ? this.instruments.get(symbol.toUpperCase()) : undefined;
    if (!i) {
      throw new StrategyError(`${field}: ativo ${JSON.stringify(symbol)} fora da execução (ativos: ${[...this.instruments.keys()].join(', ')})`, field);
    }
    return i;
  }

  private checkBoleta(b: StrategyBoleta): { boleta: StrategyBoleta; client?: string } {
    if (b === null || typeof b !== 'object') throw new StrategyError('submit: esperava uma boleta { symbol, side, qty, ... }');
    const inst = this.instrument(b.symbol, 'boleta.symbol');
    if (b.side !== 'buy' && b.side !== 'sell') throw new StrategyError(`boleta.side: esperava 'buy' ou 'sell', recebi ${JSON.stringify(b.side)}`, 'boleta.side');
    if (!Number.isSafeInteger(b.qty) || b.qty <= 0) throw new StrategyError(`boleta.qty: esperava um inteiro positivo, recebi ${JSON.stringify(b.qty)}`, 'boleta.qty');
    if (b.qty % inst.lotSize !== 0) throw new StrategyError(`boleta.qty: ${b.qty} não é múltiplo do lote ${inst.lotSize} de ${inst.symbol} (use ctx.roundQty)`, 'boleta.qty');
    if (b.limitPrice !== undefined && ticksOnGrid(b.limitPrice, tickHundredthsOf(inst.tickSize)) === undefined) {
      throw new StrategyError(`boleta.limitPrice: ${b.limitPrice} fora do tick ${inst.tickSize} de ${inst.symbol} (use ctx.roundPrice)`, 'boleta.limitPrice');
    }
    let client: string | undefined;
    if (b.allocations === undefined) {
      client = b.client ?? (this.init.clients.length === 1 ? this.init.clients[0] : undefined);
      if (client === undefined) throw new StrategyError(`boleta.client: a execução tem ${this.init.clients.length} clientes; diga qual (client) ou divida (allocations)`, 'boleta.client');
      if (!this.init.clients.includes(client)) throw new StrategyError(`boleta.client: ${JSON.stringify(client)} não é cliente desta execução (${this.init.clients.join(', ')})`, 'boleta.client');
    } else {
      if (!Array.isArray(b.allocations) || b.allocations.length === 0) throw new StrategyError('boleta.allocations: esperava uma lista de { client, qty } ou { client, weight }', 'boleta.allocations');
      for (const [i, a] of b.allocations.entries()) {
        if (!this.init.clients.includes(a?.client)) throw new StrategyError(`boleta.allocations[${i}].client: ${JSON.stringify(a?.client)} não é cliente desta execução`, `boleta.allocations[${i}].client`);
      }
    }
    // The strategy's object is copied (it may change it after submitting), field by field: a spread
    // followed by more fields is slow to build, and every boleta passes here.
    const boleta: StrategyBoleta = Object.assign({}, b);
    boleta.symbol = inst.symbol;
    if (b.allocations) boleta.allocations = b.allocations.map((a) => Object.assign({}, a));
    return { boleta, client };
  }

  private makeContext(): StrategyContext {
    const self = this;
    const init = this.init;
    const sumPosition = (symbol: string): PositionInfo => {
      let qty = 0;
      let cost = 0;
      for (const byClient of self.positions.values()) {
        const p = byClient.get(symbol);
        if (!p) continue;
        qty += p.qty;
        cost += p.qty * p.avgPrice;
      }
      return { symbol, qty, avgPrice: qty === 0 ? 0 : cost / qty };
    };
    const ctx: StrategyContext = {
      params: Object.freeze({ ...init.params }),
      symbols: Object.freeze([...init.symbols]),
      clients: Object.freeze([...init.clients]),
      interval: init.interval,
      mode: init.mode,
      indicators,
      now: () => self.nowMs,
      saoPaulo: (t) => self.localTime(t),
      random: () => self.rng.next(),
      submit(boleta) {
        if (self.openRefs.size >= MAX_OPEN_ORDERS) throw new StrategyError(`mais de ${MAX_OPEN_ORDERS} boletas abertas`);
        const { boleta: b, client } = self.checkBoleta(boleta);
        const ref = `o${self.nextRef++}`;
        self.orders.set(ref, { ref, symbol: b.symbol, side: b.side, qty: b.qty, filledQty: 0, avgPrice: 0, status: 'pending_new' });
        self.openRefs.add(ref);
        self.push(withWhere({ kind: 'submit', ref, boleta: b, ...(client !== undefined ? { client } : {}) }, callerTrace(ctx.submit), init.sourceFile));
        return ref;
      },
      cancel(ref) {
        const o = self.orders.get(ref);
        if (!o) throw new StrategyError(`cancel: boleta ${JSON.stringify(ref)} desconhecida`);
        if (!DONE_STATUSES.has(o.status)) self.push({ kind: 'cancel', ref });
      },
      order: (ref) => {
        const o = self.orders.get(ref);
        return o ? { ...o } : undefined;
      },
      openOrders(symbol) {
        const out: StrategyOrder[] = [];
        for (const ref of self.openRefs) {
          const o = self.orders.get(ref)!;
          if (symbol === undefined || o.symbol === symbol.toUpperCase()) out.push({ ...o });
        }
        return out;
      },
      position(symbol, client) {
        const s = symbol.toUpperCase();
        if (client === undefined) return sumPosition(s);
        const p = self.positions.get(client)?.get(s);
        return p ? { ...p } : { symbol: s, qty: 0, avgPrice: 0 };
      },
      cash(client) {
        if (client !== undefined) {
          const c = self.cashByClient.get(client);
          if (!c) throw new StrategyError(`cash: ${JSON.stringify(client)} não é cliente desta execução`);
          return { ...c };
        }
        const sum = { d0: 0, d1: 0, d2: 0 };
        for (const c of self.cashByClient.values()) {
          sum.d0 += c.d0;
          sum.d1 += c.d1;
          sum.d2 += c.d2;
        }
        // Summed in BRL from centavo-exact figures: round the sum back to centavos.
        return { d0: Math.round(sum.d0 * 100) / 100, d1: Math.round(sum.d1 * 100) / 100, d2: Math.round(sum.d2 * 100) / 100 };
      },
      last: (symbol) => self.lastPrice.get(symbol.toUpperCase()),
      quote: (symbol) => {
        const q = self.quotes.get(symbol.toUpperCase());
        return q ? { ...q } : undefined;
      },
      bars: (symbol, count = MAX_BARS_KEPT) => self.bars.get(symbol.toUpperCase())?.latest(Math.max(0, Math.floor(count))) ?? [],
      instrument: (symbol) => ({ ...self.instrument(symbol) }),
      roundPrice(symbol, price, side) {
        const inst = self.instrument(symbol);
        const h = tickHundredthsOf(inst.tickSize);
        const raw = (price * 100) / h;
        // Within floating-point noise of a tick, that tick (the same rule as the API's).
        const onGrid = ticksOnGrid(price, h);
        const n = onGrid ?? (side === 'buy' ? Math.floor(raw) : side === 'sell' ? Math.ceil(raw) : Math.round(raw));
        return (n * h) / 100;
      },
      roundQty(symbol, qty) {
        const lot = self.instrument(symbol).lotSize;
        return Math.max(0, Math.floor(qty / lot) * lot);
      },
      setTimer(name, atMs) {
        if (!Number.isFinite(atMs)) throw new StrategyError(`setTimer: instante inválido ${atMs}`);
        if (!self.timers.has(name) && self.timers.size >= MAX_TIMERS) throw new StrategyError(`mais de ${MAX_TIMERS} timers`);
        self.timers.set(name, { atMs: Math.max(atMs, self.nowMs) });
      },
      every(name, everyMs) {
        if (!(everyMs >= MIN_TIMER_EVERY_MS)) throw new StrategyError(`every: intervalo mínimo ${MIN_TIMER_EVERY_MS} ms, recebi ${everyMs}`);
        if (!self.timers.has(name) && self.timers.size >= MAX_TIMERS) throw new StrategyError(`mais de ${MAX_TIMERS} timers`);
        self.timers.set(name, { atMs: self.nowMs + everyMs, everyMs });
      },
      clearTimer(name) {
        self.timers.delete(name);
      },
      log(message) {
        self.push({ kind: 'log', t: self.nowMs, message: String(message).slice(0, MAX_LOG_CHARS) });
      },
    };
    return ctx;
  }
}

/**
 * Frames kept of the code that called `ctx.submit`: the hook's own line, or the strategy's helpers
 * a few calls deep. Capturing them costs a few microseconds on every boleta (3–9 µs measured on the
 * bench machine, against some 60 µs for the rest of a backtest boleta); fewer frames save little, as
 * most of it is fixed.
 */
const CALLER_FRAMES = 5;

/** The stack above `fn` (its caller first), `CALLER_FRAMES` deep; turned into text only when read. */
function callerTrace(fn: (...args: never[]) => unknown): { stack?: string } {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = CALLER_FRAMES;
  const trace: { stack?: string } = {};
  Error.captureStackTrace(trace, fn);
  Error.stackTraceLimit = limit;
  return trace;
}

/**
 * A submit command whose `where` (the strategy's line that sent it) is read from the stack only when
 * someone reads it: a host reads it when the bridge refuses the boleta, and a worker's message reads
 * it when it is sent. Turning the captured stack into text costs more than the rest of a boleta's
 * way through a backtest.
 */
function withWhere(cmd: Extract<RunnerCommand, { kind: 'submit' }>, trace: { stack?: string }, sourceFile: string | undefined): RunnerCommand {
  Object.defineProperty(cmd, 'where', {
    enumerable: true,
    configurable: true,
    get() {
      const where = locationIn(trace.stack ?? '', sourceFile);
      Object.defineProperty(cmd, 'where', { value: where, enumerable: true, writable: true });
      return where;
    },
  });
  return cmd;
}

/** The hook, message and the strategy's own line from an error's stack. */
export function faultOf(hook: string, e: unknown, sourceFile?: string): StrategyFault {
  const err = e instanceof Error ? e : new Error(String(e));
  const stack = typeof err.stack === 'string' ? err.stack : undefined;
  return { hook, message: err.message, ...(stack ? { stack, location: locationIn(stack, sourceFile) } : {}) };
}

/** `file:line:col` of the first frame in the strategy's file (else the first frame outside the bridge). */
export function locationIn(stack: string, sourceFile?: string): string | undefined {
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[1].replace(/^file:\/\//, '').replace(/\?.*$/, ''), line: m[2], col: m[3] }))
    // Frames of eval'd code and of Node's internals name no file of the strategy's.
    .filter((f) => f.file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(f.file));
  const norm = sourceFile?.replace(/^file:\/\//, '');
  const hit = (norm && frames.find((f) => f.file === norm)) || frames.find((f) => !/\/bridge\/(strategy|backtest)\//.test(f.file) && !f.file.startsWith('node:'));
  return hit ? `${hit.file}:${hit.line}:${hit.col}` : undefined;
}
