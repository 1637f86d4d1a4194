/**
 * SimBroker: the BrokerPort onto the simulated B3, over one of two links.
 *
 *   in-process  wraps a SimExchange in this process. Events are delivered on a later turn of the event
 *               loop (setImmediate), never inside the call that caused them, as a real broker's
 *               acknowledgements arrive later.
 *   remote      talks to an ExchangeServer (usually `spawnExchangeProcess`) over TCP. When the link
 *               drops it reports {connected:false}, redials with capped exponential backoff, re-subscribes
 *               and reports {connected:true}; the OMS then reconciles through `snapshot()`.
 *
 * While disconnected nothing is queued: a submit is answered with a 'rejected' update, and a refused
 * cancel/replace with the order's last known state plus a reason (never 'rejected' for an order that may
 * still be working at the exchange).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  BrokerBook,
  BrokerEvents,
  BrokerFill,
  BrokerOrderRequest,
  BrokerOrderUpdate,
  BrokerPort,
  BrokerSnapshot,
  BrokerTrade,
} from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import { SimExchange, type SessionPhaseFn } from './exchange.js';

/** What a link delivers; SimBroker forwards it to the port's listener. */
interface LinkSink extends BrokerEvents {
  /** A request the link could not deliver or the server refused to parse; SimBroker answers it as an update. */
  refused(request: RefusedRequest, reason: string): void;
}

type RefusedRequest =
  | { op: 'submit'; order: BrokerOrderRequest }
  | { op: 'replace' | 'cancel'; clientOrderId: string }
  | { op: 'cancelAll' };

/**
 * The transport under SimBroker: the port's requests (made only while `isConnected()`; subscriptions
 * are remembered across reconnects), opened with a sink instead of a listener.
 */
interface SimLink
  extends Pick<BrokerPort, 'name' | 'close' | 'isConnected' | 'submit' | 'replace' | 'cancel' | 'cancelAll' | 'snapshot' | 'subscribe'> {
  /** Starts the link on the first call; resolves once it is connected (again). */
  open(sink: LinkSink): Promise<void>;
}

const WORKING = new Set(['new', 'partially_filled']);
/** Orders whose last state SimBroker remembers (a busy day is ~10k child orders). */
const MAX_KNOWN_ORDERS = 100_000;

export class SimBroker implements BrokerPort {
  readonly name: string;
  private listener: BrokerEvents | undefined;
  /** Last update seen per order, to answer a refused cancel/replace with the order's real state. */
  private readonly known = new Map<string, BrokerOrderUpdate>();
  private readonly sink: LinkSink;

  constructor(
    private readonly link: SimLink,
    private readonly clock: () => number = Date.now,
  ) {
    this.name = link.name;
    this.sink = {
      connection: (s) => this.listener?.connection(s),
      orderUpdate: (u) => {
        this.remember(u);
        this.listener?.orderUpdate(u);
      },
      fill: (f) => this.listener?.fill(f),
      trade: (t) => this.listener?.trade(t),
      book: (b) => this.listener?.book(b),
      refused: (request, reason) => this.refused(request, reason),
    };
  }

  /** The exchange behind an in-process link (undefined for a remote one), e.g. to step it by hand. */
  get exchange(): SimExchange | undefined {
    return this.link instanceof InProcessLink ? this.link.exchange : undefined;
  }

  setListener(events: BrokerEvents): void {
    this.listener = events;
  }

  connect(): Promise<void> {
    return this.link.open(this.sink);
  }

  async close(): Promise<void> {
    try {
      await this.link.close();
    } catch {
      // close() never throws: the link is being abandoned either way.
    }
  }

  isConnected(): boolean {
    return this.link.isConnected();
  }

  submit(order: BrokerOrderRequest): void {
    // An empty account means the broker's default one, as with ProfitDLL's single-account logins.
    if (order.account === '') order = { ...order, account: SIM_DEFAULT_ACCOUNT };
    if (this.link.isConnected()) this.link.submit(order);
    else this.later(() => this.refused({ op: 'submit', order }, NOT_CONNECTED));
  }

  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void {
    if (this.link.isConnected()) this.link.replace(clientOrderId, change);
    else this.later(() => this.refused({ op: 'replace', clientOrderId }, NOT_CONNECTED));
  }

  cancel(clientOrderId: string): void {
    if (this.link.isConnected()) this.link.cancel(clientOrderId);
    else this.later(() => this.refused({ op: 'cancel', clientOrderId }, NOT_CONNECTED));
  }

  cancelAll(): void {
    if (this.link.isConnected()) this.link.cancelAll();
    else this.later(() => this.refused({ op: 'cancelAll' }, NOT_CONNECTED));
  }

  snapshot(): Promise<BrokerSnapshot> {
    if (!this.link.isConnected()) return Promise.reject(new Error(NOT_CONNECTED));
    return this.link.snapshot();
  }

  subscribe(symbol: string): void {
    this.link.subscribe(symbol);
  }

  /**
   * A new order that never reached the exchange is 'rejected'. A cancel or replace that did not get
   * through leaves the order as it was: its last known state, with the reason.
   */
  private refused(request: RefusedRequest, reason: string): void {
    const timeMs = this.clock();
    if (request.op === 'submit') {
      const o = request.order;
      this.listener?.orderUpdate({
        clientOrderId: String(o.clientOrderId),
        status: 'rejected',
        qty: o.qty,
        filledQty: 0,
        ...(o.priceTicks !== undefined ? { priceTicks: o.priceTicks } : {}),
        reason,
        timeMs,
      });
      return;
    }
    const ids =
      request.op === 'cancelAll'
        ? [...this.known.values()].filter((u) => WORKING.has(u.status)).map((u) => u.clientOrderId)
        : [request.clientOrderId];
    for (const clientOrderId of ids) {
      const last = this.known.get(clientOrderId);
      const base: BrokerOrderUpdate = last ?? { clientOrderId, status: 'rejected', qty: 0, filledQty: 0, timeMs };
      this.listener?.orderUpdate({ ...base, reason, timeMs });
    }
  }

  private remember(u: BrokerOrderUpdate): void {
    this.known.set(u.clientOrderId, u);
    if (this.known.size <= MAX_KNOWN_ORDERS) return;
    // Forget the oldest finished orders first; working ones are what a refusal must describe correctly.
    for (const [id, last] of this.known) {
      if (this.known.size <= MAX_KNOWN_ORDERS * 0.9) break;
      if (!WORKING.has(last.status)) this.known.delete(id);
    }
  }

  /** Answers arrive on a later turn, as they would from a broker, never inside the request call. */
  private later(fn: () => void): void {
    setImmediate(fn);
  }
}

const NOT_CONNECTED = 'sem conexão com a bolsa simulada; pedido não enviado';

// --- in-process link ------------------------------------------------------------------------

type Delivery = (sink: LinkSink) => void;

class InProcessLink implements SimLink {
  readonly name = 'sim';
  private sink: LinkSink | undefined;
  private removeListener: (() => void) | undefined;
  private readonly subscriptions = new Set<string>();
  private outbox: Delivery[] = [];
  /** The batch being delivered (taken from the outbox) and how far into it delivery got. */
  private batch: Delivery[] = [];
  private batchHead = 0;
  /** Deliveries queued and handed over so far, so a snapshot can wait for the ones queued before it. */
  private queued = 0;
  private delivered = 0;
  private scheduled = false;

  constructor(
    readonly exchange: SimExchange,
    /** Steps the exchange on a timer while open; 0 leaves stepping to the caller. */
    private readonly tickIntervalMs: number,
  ) {}

  async open(sink: LinkSink): Promise<void> {
    if (this.sink) return;
    this.sink = sink;
    this.removeListener = this.exchange.addListener({
      orderUpdate: (u) => this.deliver((s) => s.orderUpdate(u)),
      fill: (f) => this.deliver((s) => s.fill(f)),
      trade: (t) => {
        if (this.subscriptions.has(t.symbol)) this.deliver((s) => s.trade(t));
      },
      book: (b) => {
        if (this.subscriptions.has(b.symbol)) this.deliver((s) => s.book(b));
      },
    });
    // The next step waits until this link has handed out the previous ones (it shares the event loop).
    if (this.tickIntervalMs > 0) this.exchange.start(this.tickIntervalMs, () => this.delivered >= this.queued - MAX_BACKLOG_AT_STEP);
    this.deliver((s) => s.connection({ connected: true, message: 'bolsa simulada (no processo) conectada / simulated exchange (in-process) connected' }));
  }

  async close(): Promise<void> {
    if (this.tickIntervalMs > 0) this.exchange.stop();
    this.removeListener?.();
    this.removeListener = undefined;
    this.sink = undefined;
    this.outbox = [];
    this.batch = [];
    this.batchHead = 0;
    this.delivered = this.queued;
  }

  isConnected(): boolean {
    return this.sink !== undefined;
  }

  submit(order: BrokerOrderRequest): void {
    this.exchange.submit(order);
  }

  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void {
    this.exchange.replace(clientOrderId, change);
  }

  cancel(clientOrderId: string): void {
    this.exchange.cancel(clientOrderId);
  }

  cancelAll(): void {
    this.exchange.cancelAll();
  }

  async snapshot(): Promise<BrokerSnapshot> {
    // Taken on a later turn, after the events already queued for the listener went out.
    const queuedBefore = this.queued;
    do await new Promise((resolve) => setImmediate(resolve));
    while (this.sink && this.delivered < queuedBefore);
    return { orders: this.exchange.ordersFor(), fills: this.exchange.fillsFor() };
  }

  subscribe(symbol: string): void {
    const s = symbol.toUpperCase();
    if (!this.exchange.subscribe(s)) return;
    this.subscriptions.add(s);
    const top = this.exchange.quote(s);
    if (top) this.deliver((sink) => sink.book(top));
  }

  /**
   * Everything goes out in order, on a later turn of the event loop, at most DELIVERY_TURN_MS of
   * listener work per turn: a busy market step (hundreds of prints and book changes, each fanned out
   * to the algos on the symbol, plus the acknowledgements of their children) is handed over in
   * slices with I/O and timers in between, never as one turn that stalls the bridge.
   */
  private deliver(d: Delivery): void {
    this.outbox.push(d);
    this.queued++;
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    // What was queued before this turn; what its delivery causes waits for a later turn, as before.
    if (this.batchHead >= this.batch.length) {
      this.batch = this.outbox;
      this.batchHead = 0;
      this.outbox = [];
    }
    const deadline = performance.now() + DELIVERY_TURN_MS;
    while (this.batchHead < this.batch.length) {
      const item = this.batch[this.batchHead++];
      this.delivered++;
      if (this.sink) item(this.sink);
      if (performance.now() > deadline) break;
    }
    if (this.batchHead >= this.batch.length) {
      this.batch = [];
      this.batchHead = 0;
    }
    if (this.batch.length > 0 || this.outbox.length > 0) this.scheduleDrain();
  }
}

/** Listener work the in-process link does in one turn: well under the 50 ms stall bar, long enough to batch. */
const DELIVERY_TURN_MS = 5;
/** Deliveries still queued beyond which the in-process exchange holds its next step (its own replies are never held). */
const MAX_BACKLOG_AT_STEP = 1_000;

// --- remote link ----------------------------------------------------------------------------

export interface RemoteLinkOptions {
  host?: string;
  port: number;
  /** Session name at the exchange (the installation's id): its orders' reports come to it alone. */
  session?: string;
  /** First redial delay; doubles per failed attempt up to reconnectMaxMs. Default 100 ms. */
  reconnectInitialMs?: number;
  /** Default 5,000 ms. */
  reconnectMaxMs?: number;
  /** How long connect() waits for a connection before failing (redials go on). Default 10 s. */
  connectTimeoutMs?: number;
  /** How long snapshot() waits for its answer. Default 10 s. */
  requestTimeoutMs?: number;
  /** Requests awaiting an answer beyond which new ones are refused. Default 10,000. */
  maxInFlight?: number;
  /** Longest line accepted from the server (a snapshot is one line). Default 64 MiB. */
  maxLineChars?: number;
}

type InFlight =
  | { kind: 'order'; request: RefusedRequest }
  | { kind: 'subscribe' }
  | { kind: 'logon' }
  | { kind: 'snapshot'; resolve: (s: BrokerSnapshot) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout };

class RemoteLink implements SimLink {
  readonly name = 'sim-remote';
  private readonly host: string;
  private readonly port: number;
  private readonly session: string | undefined;
  private readonly reconnectInitialMs: number;
  private readonly reconnectMaxMs: number;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxLineChars: number;

  private sink: LinkSink | undefined;
  private socket: net.Socket | undefined;
  private connected = false;
  private closed = false;
  private backoffMs: number;
  private redial: NodeJS.Timeout | undefined;
  private buffer = '';
  private nextId = 1;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly subscriptions = new Set<string>();
  /** connect() calls waiting for the link to come up. */
  private waiters: Array<() => void> = [];

  constructor(options: RemoteLinkOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port;
    this.session = options.session;
    this.reconnectInitialMs = options.reconnectInitialMs ?? 100;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxInFlight = options.maxInFlight ?? 10_000;
    this.maxLineChars = options.maxLineChars ?? 64 * 1024 * 1024;
    this.backoffMs = this.reconnectInitialMs;
  }

  open(sink: LinkSink): Promise<void> {
    if (this.closed) return Promise.reject(new Error('conexão com a bolsa simulada já fechada'));
    if (this.connected) return Promise.resolve();
    const first = this.sink === undefined;
    this.sink = sink;
    const up = new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`bolsa simulada inacessível em ${this.host}:${this.port} após ${this.connectTimeoutMs} ms (seguirá tentando)`));
      }, this.connectTimeoutMs);
      this.waiters.push(waiter);
    });
    if (first) this.dial();
    return up;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.redial) clearTimeout(this.redial);
    const socket = this.socket;
    this.socket = undefined;
    this.connected = false;
    this.failInFlight('conexão fechada');
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
    }
  }

  isConnected(): boolean {
    return this.connected;
  }

  submit(order: BrokerOrderRequest): void {
    this.request({ op: 'submit', order }, { kind: 'order', request: { op: 'submit', order } });
  }

  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void {
    this.request({ op: 'replace', clientOrderId, change }, { kind: 'order', request: { op: 'replace', clientOrderId } });
  }

  cancel(clientOrderId: string): void {
    this.request({ op: 'cancel', clientOrderId }, { kind: 'order', request: { op: 'cancel', clientOrderId } });
  }

  cancelAll(): void {
    this.request({ op: 'cancelAll' }, { kind: 'order', request: { op: 'cancelAll' } });
  }

  snapshot(): Promise<BrokerSnapshot> {
    return new Promise<BrokerSnapshot>((resolve, reject) => {
      const entry: InFlight = { kind: 'snapshot', resolve, reject };
      const id = this.request({ op: 'snapshot' }, entry);
      if (id === undefined) return;
      entry.timer = setTimeout(() => {
        this.inFlight.delete(id);
        reject(new Error(`snapshot sem resposta da bolsa simulada em ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
    });
  }

  subscribe(symbol: string): void {
    const s = symbol.toUpperCase();
    this.subscriptions.add(s);
    if (this.connected) this.request({ op: 'subscribe', symbol: s }, { kind: 'subscribe' });
  }

  /** Sends one request; returns its id, or undefined when it had to be refused here (and was answered). */
  private request(body: Record<string, unknown>, entry: InFlight): number | undefined {
    const socket = this.socket;
    if (!this.connected || !socket) return this.refuseLater(entry, NOT_CONNECTED);
    if (this.inFlight.size >= this.maxInFlight) {
      return this.refuseLater(entry, `mais de ${this.maxInFlight} pedidos sem resposta da bolsa simulada; pedido recusado`);
    }
    const id = this.nextId++;
    this.inFlight.set(id, entry);
    socket.write(`${JSON.stringify({ id, ...body })}\n`);
    return id;
  }

  private refuseLater(entry: InFlight, reason: string): undefined {
    setImmediate(() => this.answerFailure(entry, reason));
    return undefined;
  }

  private answerFailure(entry: InFlight, reason: string): void {
    if (entry.kind === 'snapshot') {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(new Error(reason));
    } else if (entry.kind === 'order') {
      this.sink?.refused(entry.request, reason);
    } else if (entry.kind === 'logon') {
      // Without its session the link would hear nothing of its orders: fail closed.
      this.connected = false;
      this.sink?.connection({ connected: false, message: `bolsa simulada recusou a sessão ${this.session}: ${reason}` });
    }
  }

  private dial(): void {
    if (this.closed) return;
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      socket.setKeepAlive(true, 1_000);
      this.connected = true;
      this.backoffMs = this.reconnectInitialMs;
      this.buffer = '';
      // Logon first: the exchange files every later order under this session.
      if (this.session !== undefined) this.request({ op: 'logon', session: this.session }, { kind: 'logon' });
      for (const s of this.subscriptions) this.request({ op: 'subscribe', symbol: s }, { kind: 'subscribe' });
      this.sink?.connection({ connected: true, message: `conectado à bolsa simulada em ${this.host}:${this.port} / connected` });
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
    socket.on('data', (chunk: string) => this.receive(socket, chunk));
    // 'close' follows every error; the redial logic lives there.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      const wasConnected = this.connected;
      this.connected = false;
      this.failInFlight('conexão com a bolsa simulada perdida');
      if (this.closed) return;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.reconnectMaxMs, this.backoffMs * 2);
      if (wasConnected) {
        this.sink?.connection({
          connected: false,
          message: `conexão com a bolsa simulada perdida; reconectando em ${delay} ms / disconnected, retrying`,
        });
      }
      this.redial = setTimeout(() => this.dial(), delay);
    });
  }

  /**
   * Pending snapshots fail. Pending order requests get no answer here: they may or may not have reached
   * the exchange, and the OMS learns which from snapshot() after reconnecting.
   */
  private failInFlight(reason: string): void {
    for (const entry of this.inFlight.values()) {
      if (entry.kind === 'snapshot') {
        if (entry.timer) clearTimeout(entry.timer);
        entry.reject(new Error(reason));
      }
    }
    this.inFlight.clear();
  }

  private receive(socket: net.Socket, chunk: string): void {
    let text = this.buffer + chunk;
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (line.length > 0) this.handleLine(line);
      nl = text.indexOf('\n');
    }
    if (text.length > this.maxLineChars) {
      // A server that never ends its line would grow this buffer forever: drop the link and redial.
      this.buffer = '';
      socket.destroy();
      return;
    }
    this.buffer = text;
  }

  private handleLine(line: string): void {
    let msg: { id?: unknown; ok?: boolean; result?: unknown; error?: string; ev?: string; data?: unknown };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    const sink = this.sink;
    if (!sink) return;
    switch (msg.ev) {
      case 'orderUpdate':
        return sink.orderUpdate(msg.data as BrokerOrderUpdate);
      case 'fill':
        return sink.fill(msg.data as BrokerFill);
      case 'trade':
        return sink.trade(msg.data as BrokerTrade);
      case 'book':
        return sink.book(msg.data as BrokerBook);
    }
    if (typeof msg.id !== 'number') return;
    const entry = this.inFlight.get(msg.id);
    if (!entry) return;
    this.inFlight.delete(msg.id);
    if (!msg.ok) return this.answerFailure(entry, msg.error ?? 'erro desconhecido da bolsa simulada');
    if (entry.kind === 'snapshot') {
      if (entry.timer) clearTimeout(entry.timer);
      entry.resolve(msg.result as BrokerSnapshot);
    } else if (entry.kind === 'subscribe' && msg.result) {
      sink.book(msg.result as BrokerBook);
    }
  }
}

// --- factories ------------------------------------------------------------------------------

export interface InProcessSimBrokerOptions {
  /** Either an exchange to wrap (e.g. one a backtest steps by hand) or what to build one from. */
  exchange?: SimExchange;
  instruments?: Instrument[];
  seed?: number;
  /** How often the exchange's participants are stepped; 0 = never (the caller steps). Default 50 ms. */
  tickIntervalMs?: number;
  sessionPhase?: SessionPhaseFn;
  clock?: () => number;
}

export function createInProcessSimBroker(options: InProcessSimBrokerOptions): SimBroker {
  const clock = options.clock ?? Date.now;
  let exchange = options.exchange;
  if (!exchange) {
    if (!options.instruments) throw new Error('createInProcessSimBroker: informe exchange ou instruments');
    exchange = new SimExchange({
      instruments: options.instruments,
      seed: options.seed,
      clock,
      ...(options.sessionPhase ? { sessionPhase: options.sessionPhase } : {}),
    });
  }
  return new SimBroker(new InProcessLink(exchange, options.tickIntervalMs ?? 50), clock);
}

/** `clock` stamps what the broker itself reports (a request refused while the link is down); default Date.now. */
export function createRemoteSimBroker(options: RemoteLinkOptions & { clock?: () => number }): SimBroker {
  return new SimBroker(new RemoteLink(options), options.clock);
}

/** The account of orders sent without one. */
export const SIM_DEFAULT_ACCOUNT = 'SIM';

// --- exchange process -----------------------------------------------------------------------

export interface SpawnedExchange {
  port: number;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s; resolves once it has exited. */
  kill(): Promise<void>;
}

export interface SpawnExchangeOptions {
  seed?: number;
  port?: number;
  host?: string;
  tickIntervalMs?: number;
  /** How long to wait for the listening line. Default 30 s. */
  startTimeoutMs?: number;
}

/** Starts `exchange-main.ts` in its own Node process and resolves once it listens. */
export function spawnExchangeProcess(options: SpawnExchangeOptions = {}): Promise<SpawnedExchange> {
  const main = fileURLToPath(new URL('./exchange-main.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const args = ['--import', tsx, main, '--port', String(options.port ?? 0), '--seed', String(options.seed ?? 1)];
  if (options.host) args.push('--host', options.host);
  if (options.tickIntervalMs) args.push('--tick-ms', String(options.tickIntervalMs));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(force);
  };

  return new Promise<SpawnedExchange>((resolve, reject) => {
    let out = '';
    const fail = (err: Error): void => {
      clearTimeout(timer);
      void kill();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`bolsa simulada não respondeu em ${options.startTimeoutMs ?? 30_000} ms`)),
      options.startTimeoutMs ?? 30_000,
    );
    const stdout = child.stdout as NonNullable<ChildProcess['stdout']>;
    stdout.setEncoding('utf8');
    const onData = (chunk: string): void => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) {
        if (out.length > 4096) fail(new Error(`saída inesperada da bolsa simulada: ${out.slice(0, 200)}`));
        return;
      }
      let port: unknown;
      try {
        port = (JSON.parse(out.slice(0, nl)) as { listening?: unknown }).listening;
      } catch {
        port = undefined;
      }
      if (typeof port !== 'number') return fail(new Error(`linha inesperada da bolsa simulada: ${out.slice(0, nl)}`));
      clearTimeout(timer);
      stdout.off('data', onData);
      child.off('exit', onEarlyExit);
      // Keep draining stdout so the child can never block on a full pipe.
      stdout.resume();
      resolve({ port, child, kill });
    };
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new Error(`bolsa simulada terminou antes de escutar (código ${code}, sinal ${signal})`));
    stdout.on('data', onData);
    child.once('exit', onEarlyExit);
    child.once('error', fail);
  });
}
