/**
 * The one connection to the bridge, shared by the task pane, the custom functions and the ribbon
 * commands (they run in one JavaScript context: the shared runtime). REST with the Bearer token,
 * and one WebSocket that authenticates, subscribes to channels, tracks a sequence number per
 * channel and asks for a fresh snapshot when one is missed, and reconnects with backoff.
 *
 * Consumers never keep their own sockets: they `subscribe(channel, listener)` and read the
 * materialised value with `channel(name)`. Listeners are called synchronously on every change;
 * whoever paints (React, Excel cells, sheet tables) coalesces on its own clock.
 */
import type { ApiErrorItem, OrderView, ResumeAllResult, WsClientMessage, WsServerMessage } from '../../../common/types.js';
import type { AlgoDescriptor } from './algos.js';
import { errorItemMessage, httpErrorMessage, timeoutMessage, TOKEN_MISSING, TOKEN_REFUSED, unreachableMessage, wsRefusalMessage } from './errors.js';
import type { BridgeSettings, SettingsStore } from './settings.js';

export type ConnState = 'no-token' | 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface ConnectionInfo {
  state: ConnState;
  /** Role the bridge granted the token (viewer / trader / admin). */
  role?: string;
  /** Last problem, in pt-BR, for the indicator's tooltip. */
  message?: string;
  /** Consecutive failed attempts (0 when connected). */
  attempt: number;
  /** Epoch ms of the next attempt while reconnecting. */
  nextRetryAt?: number;
  url: string;
}

export type ChannelStatus = 'loading' | 'live' | 'stale' | 'error';

export interface ChannelView<T = unknown> {
  name: string;
  /** loading: no data yet; live: in sync; stale: data kept from before a disconnect; error: refused. */
  status: ChannelStatus;
  data: T | undefined;
  /** Increments on every change (cheap change detection for painters). */
  version: number;
  seq: number;
  error?: string;
  /** Epoch ms of the last snapshot or delta applied. */
  updatedAt?: number;
}

export type ChannelListener = (view: ChannelView) => void;
export type ConnectionListener = (info: ConnectionInfo) => void;

/** The part of the browser WebSocket the client uses (so tests can hand in a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface BridgeClientOptions {
  settings: SettingsStore;
  createWebSocket?: WebSocketFactory;
  fetch?: typeof fetch;
  /** Reconnect delays in ms; the last one repeats. Jitter of up to +20% is added. */
  backoffMs?: number[];
  /** Delay after an auth refusal before trying the same token again. */
  unauthorizedRetryMs?: number;
  /** How long a channel stays subscribed after its last listener leaves (Excel re-invokes functions often). */
  unsubscribeDelayMs?: number;
  pingIntervalMs?: number;
  /** Close and reconnect when nothing at all arrives for this long. */
  idleTimeoutMs?: number;
  /** Default REST timeout. */
  requestTimeoutMs?: number;
  random?: () => number;
  now?: () => number;
}

/** An error from the bridge (or from reaching it), with the bridge's field errors when it gave any. */
export class BridgeError extends Error {
  readonly status: number;
  readonly errors: ApiErrorItem[];
  constructor(message: string, status: number, errors: ApiErrorItem[] = []) {
    super(message);
    this.name = 'BridgeError';
    this.status = status;
    this.errors = errors;
  }
  /** True when the request may or may not have reached the bridge (timeout, network). */
  get uncertain(): boolean {
    return this.status === 0;
  }
}

/** Duck-typed check: pane, functions and commands are separate bundles sharing one client. */
export function isBridgeError(e: unknown): e is BridgeError {
  return !!e && typeof e === 'object' && (e as { name?: unknown }).name === 'BridgeError' && typeof (e as { status?: unknown }).status === 'number';
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Told the HTTP status of a successful response (201 created vs 200 already existed). */
  onStatus?: (status: number) => void;
  /** Skip the Authorization header (GET /api/health). */
  anonymous?: boolean;
}

interface ChannelInternal {
  name: string;
  status: ChannelStatus;
  data: unknown;
  seq: number;
  version: number;
  error?: string;
  updatedAt?: number;
  listeners: Set<ChannelListener>;
  /** Deltas are dropped until a snapshot arrives (after subscribe, reconnect or a gap). */
  awaitingSnapshot: boolean;
  subscribedOnServer: boolean;
  pinned: boolean;
  unsubscribeTimer?: ReturnType<typeof setTimeout>;
  /** orders channel: upsert target. */
  orders?: Map<string, OrderView>;
  ordersArray?: OrderView[];
}

const WS_OPEN = 1;
const DEFAULT_BACKOFF = [500, 1000, 2000, 4000, 8000, 15000];
/** Channels the client keeps for itself: the pane always shows them and they are tiny. */
const PINNED = ['killswitch', 'health'];

export class BridgeClient {
  private readonly opts: Required<Omit<BridgeClientOptions, 'createWebSocket' | 'fetch'>> & {
    createWebSocket?: WebSocketFactory;
    fetch?: typeof fetch;
  };
  private settings: BridgeSettings;
  private ws: WebSocketLike | undefined;
  private socketId = 0;
  private conn: ConnectionInfo;
  private readonly channels = new Map<string, ChannelInternal>();
  private readonly connListeners = new Set<ConnectionListener>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastMessageAt = 0;
  private authRefused = false;
  private started = false;
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(options: BridgeClientOptions) {
    this.opts = {
      backoffMs: DEFAULT_BACKOFF,
      unauthorizedRetryMs: 30_000,
      unsubscribeDelayMs: 5_000,
      pingIntervalMs: 15_000,
      idleTimeoutMs: 45_000,
      requestTimeoutMs: 15_000,
      random: Math.random,
      now: Date.now,
      ...options,
    };
    this.settings = options.settings.load();
    this.conn = { state: this.settings.token ? 'connecting' : 'no-token', attempt: 0, url: this.settings.url };
    for (const name of PINNED) this.ensureChannel(name).pinned = true;
  }

  // ---------------------------------------------------------------- settings and lifecycle

  get config(): BridgeSettings {
    return { ...this.settings };
  }

  get connection(): ConnectionInfo {
    return { ...this.conn };
  }

  /** Opens the socket (idempotent). Called lazily by the first consumer. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  /** Saves a new address/token and reconnects with them. */
  configure(next: BridgeSettings): void {
    this.opts.settings.save(next);
    this.settings = { ...next };
    this.cache.clear();
    this.authRefused = false;
    this.conn = { ...this.conn, attempt: 0, url: next.url, message: undefined, role: undefined };
    this.started = true;
    this.dropSocket();
    this.connect();
  }

  /** Tries again now (the "Reconectar" button, the browser's online event). */
  reconnectNow(): void {
    if (!this.started) return this.start();
    if (this.conn.state === 'open') return;
    this.conn.attempt = 0;
    this.dropSocket();
    this.connect();
  }

  /** Closes everything (tests, page unload). */
  stop(): void {
    this.started = false;
    this.dropSocket();
    this.clearTimers();
    for (const ch of this.channels.values()) if (ch.unsubscribeTimer) clearTimeout(ch.unsubscribeTimer);
  }

  onConnection(listener: ConnectionListener): () => void {
    this.connListeners.add(listener);
    return () => this.connListeners.delete(listener);
  }

  // ---------------------------------------------------------------- channels

  /**
   * Listens to a channel; the first listener subscribes it on the bridge. The returned function
   * is idempotent (Excel may cancel a stream more than once, and in any order with its successor).
   */
  subscribe(name: string, listener: ChannelListener): () => void {
    this.start();
    const ch = this.ensureChannel(name);
    if (ch.unsubscribeTimer) {
      clearTimeout(ch.unsubscribeTimer);
      ch.unsubscribeTimer = undefined;
    }
    ch.listeners.add(listener);
    if (!ch.subscribedOnServer) this.sendSubscribe([ch]);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      ch.listeners.delete(listener);
      this.maybeRelease(ch);
    };
  }

  /** The materialised value of a channel (orders: OrderView[]; others: the last snapshot/delta value). */
  channel<T = unknown>(name: string): ChannelView<T> {
    const ch = this.channels.get(name);
    if (!ch) return { name, status: 'loading', data: undefined, version: 0, seq: 0 };
    return {
      name,
      status: ch.status,
      data: this.materialise(ch) as T | undefined,
      version: ch.version,
      seq: ch.seq,
      error: ch.error,
      updatedAt: ch.updatedAt,
    };
  }

  /** Asks the bridge for a fresh snapshot of a channel (the pane's "Atualizar"). */
  requestSnapshot(name: string): void {
    const ch = this.channels.get(name);
    if (!ch) return;
    ch.awaitingSnapshot = true;
    this.send({ op: 'snapshot', channel: name });
  }

  // ---------------------------------------------------------------- REST

  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const fetchImpl = this.opts.fetch ?? globalThis.fetch.bind(globalThis);
    const url = new URL(path, this.settings.url).toString();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (!options.anonymous) {
      if (!this.settings.token) throw new BridgeError(TOKEN_MISSING, 401);
      headers.Authorization = `Bearer ${this.settings.token}`;
    }
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (err) {
      // The browser's own text ("Failed to fetch") tells a PM nothing: say what happened and what to do.
      const timedOut = controller.signal.aborted;
      throw new BridgeError(timedOut ? timeoutMessage(Math.round(timeoutMs / 1000), method) : unreachableMessage(this.settings.url), 0);
    } finally {
      clearTimeout(timer);
    }
    const text = await res.text().catch(() => '');
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (res.ok) {
      options.onStatus?.(res.status);
      return json as T;
    }
    const errors = extractErrors(json);
    throw new BridgeError(httpErrorMessage(res.status, errors), res.status, errors);
  }

  /** Cached GET (reference data: algos, instruments, clients). */
  cachedGet<T>(path: string, ttlMs = 60_000): Promise<T> {
    const hit = this.cache.get(path);
    const now = this.opts.now();
    if (hit && now - hit.at < ttlMs) return hit.value as Promise<T>;
    const value = this.request<T>('GET', path);
    this.cache.set(path, { at: now, value });
    value.catch(() => {
      if (this.cache.get(path)?.value === value) this.cache.delete(path);
    });
    return value;
  }

  invalidate(path?: string): void {
    if (path) this.cache.delete(path);
    else this.cache.clear();
  }

  getAlgos(): Promise<AlgoDescriptor[]> {
    return this.cachedGet<AlgoDescriptor[]>('/api/algos', 5 * 60_000);
  }

  /** Resumes every paused order (the caller has asked the user first: the bridge wants `confirm`). */
  resumeAll(): Promise<ResumeAllResult> {
    return this.request<ResumeAllResult>('POST', '/api/orders/resume-all', { confirm: true }, { timeoutMs: 30_000 });
  }

  // ---------------------------------------------------------------- internals: socket

  private wsUrl(): string {
    const u = new URL('/ws', this.settings.url);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  private connect(): void {
    this.clearTimers();
    if (!this.settings.token) {
      this.setConn({ state: 'no-token', message: TOKEN_MISSING });
      return;
    }
    const factory = this.opts.createWebSocket ?? defaultWebSocketFactory;
    const id = ++this.socketId;
    let ws: WebSocketLike;
    this.setConn({ state: this.conn.attempt > 0 ? 'reconnecting' : 'connecting', nextRetryAt: undefined });
    try {
      ws = factory(this.wsUrl());
    } catch (err) {
      this.scheduleReconnect(`O endereço do BlackBox em Configurações não é válido (${this.settings.url}). Corrija-o e salve.`);
      return;
    }
    this.ws = ws;
    this.lastMessageAt = this.opts.now();
    ws.onopen = () => {
      if (id !== this.socketId) return;
      this.lastMessageAt = this.opts.now();
      this.rawSend(ws, { op: 'auth', token: this.settings.token });
    };
    ws.onmessage = (ev) => {
      if (id !== this.socketId) return;
      this.lastMessageAt = this.opts.now();
      let msg: WsServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as WsServerMessage;
      } catch {
        return;
      }
      this.handleMessage(msg);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev) => {
      if (id !== this.socketId) return;
      this.handleClose(ev?.code);
    };
    this.pingTimer = setInterval(() => this.heartbeat(), this.opts.pingIntervalMs);
  }

  private heartbeat(): void {
    if (!this.ws) return;
    if (this.opts.now() - this.lastMessageAt > this.opts.idleTimeoutMs) {
      // Half-open socket: nothing for too long. Treat as a drop.
      this.handleClose(undefined);
      return;
    }
    if (this.conn.state === 'open') this.send({ op: 'ping' });
  }

  private handleMessage(msg: WsServerMessage): void {
    switch (msg.op) {
      case 'ready': {
        this.authRefused = false;
        this.setConn({ state: 'open', role: msg.role, attempt: 0, message: undefined, nextRetryAt: undefined });
        const wanted = [...this.channels.values()].filter((c) => c.pinned || c.listeners.size > 0 || c.unsubscribeTimer);
        for (const c of this.channels.values()) c.subscribedOnServer = false;
        this.sendSubscribe(wanted);
        return;
      }
      case 'snapshot': {
        const ch = this.channels.get(msg.channel);
        if (!ch) return;
        ch.awaitingSnapshot = false;
        ch.seq = msg.seq;
        ch.error = undefined;
        this.applySnapshot(ch, msg.data);
        return;
      }
      case 'delta': {
        const ch = this.channels.get(msg.channel);
        if (!ch || ch.awaitingSnapshot) return;
        if (msg.seq <= ch.seq) return; // duplicate or late
        if (msg.seq !== ch.seq + 1) {
          // Missed something: the state is no longer trustworthy until a fresh snapshot.
          ch.awaitingSnapshot = true;
          this.send({ op: 'snapshot', channel: ch.name });
          return;
        }
        ch.seq = msg.seq;
        this.applyDelta(ch, msg.data);
        return;
      }
      case 'error': {
        const errors = Array.isArray(msg.errors) ? msg.errors : [];
        if (this.conn.state !== 'open') {
          this.authRefused = true;
          this.setConn({ message: wsRefusalMessage(errors) });
          return;
        }
        this.attributeChannelErrors(errors);
        return;
      }
      default:
        return;
    }
  }

  /** The bridge names a refused channel in `field` (channels[i] or the channel name) or in the message. */
  private attributeChannelErrors(errors: ApiErrorItem[]): void {
    for (const e of errors) {
      for (const ch of this.channels.values()) {
        const escaped = ch.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const inMessage = new RegExp(`(^|[\\s"'])${escaped}($|[\\s"'.,;:])`).test(e.message ?? '');
        const named = e.field === ch.name || inMessage;
        if (named && ch.status !== 'live') {
          ch.status = 'error';
          ch.error = errorItemMessage(e);
          ch.awaitingSnapshot = false;
          ch.version++;
          this.notify(ch);
        }
      }
    }
  }

  private handleClose(code?: number): void {
    const wasOpen = this.conn.state === 'open';
    this.dropSocket();
    for (const ch of this.channels.values()) {
      ch.subscribedOnServer = false;
      ch.awaitingSnapshot = true;
      if (ch.status === 'live') {
        ch.status = 'stale';
        ch.version++;
        this.notify(ch);
      }
    }
    const refused = this.authRefused || code === 4001 || code === 4401 || code === 1008;
    if (refused) {
      this.authRefused = false;
      this.setConn({
        state: 'unauthorized',
        role: undefined,
        message: this.conn.message || TOKEN_REFUSED,
      });
      this.scheduleReconnect(undefined, this.opts.unauthorizedRetryMs);
      return;
    }
    this.scheduleReconnect(
      wasOpen
        ? 'A conexão com o BlackBox caiu; o painel reconecta sozinho. Os números ficam marcados como desatualizados até voltar.'
        : unreachableMessage(this.settings.url),
    );
  }

  private scheduleReconnect(message?: string, fixedDelay?: number): void {
    if (!this.started) return;
    const attempt = this.conn.attempt + 1;
    const steps = this.opts.backoffMs;
    const base = fixedDelay ?? steps[Math.min(attempt - 1, steps.length - 1)];
    const delay = Math.round(base * (1 + 0.2 * this.opts.random()));
    const state: ConnState = this.conn.state === 'unauthorized' ? 'unauthorized' : 'reconnecting';
    this.setConn({ state, attempt, nextRetryAt: this.opts.now() + delay, ...(message ? { message } : {}) });
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.socketId++;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'client');
      } catch {
        /* already closed */
      }
    }
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private send(msg: WsClientMessage): void {
    if (this.ws && this.conn.state === 'open') this.rawSend(this.ws, msg);
  }

  private rawSend(ws: WebSocketLike, msg: WsClientMessage): void {
    if (ws.readyState !== WS_OPEN) return;
    try {
      ws.send(JSON.stringify(msg));
    } catch {
      /* the close handler reconnects */
    }
  }

  private sendSubscribe(chs: ChannelInternal[]): void {
    if (!this.ws || this.conn.state !== 'open' || chs.length === 0) return;
    for (const ch of chs) {
      ch.subscribedOnServer = true;
      ch.awaitingSnapshot = true;
    }
    this.send({ op: 'subscribe', channels: chs.map((c) => c.name) });
  }

  private setConn(patch: Partial<ConnectionInfo>): void {
    this.conn = { ...this.conn, ...patch, url: this.settings.url };
    const info = this.connection;
    for (const l of [...this.connListeners]) {
      try {
        l(info);
      } catch {
        /* a broken listener must not break the connection */
      }
    }
  }

  // ---------------------------------------------------------------- internals: channel state

  private ensureChannel(name: string): ChannelInternal {
    let ch = this.channels.get(name);
    if (!ch) {
      ch = {
        name,
        status: 'loading',
        data: undefined,
        seq: 0,
        version: 0,
        listeners: new Set(),
        awaitingSnapshot: true,
        subscribedOnServer: false,
        pinned: false,
      };
      this.channels.set(name, ch);
    }
    return ch;
  }

  private maybeRelease(ch: ChannelInternal): void {
    if (ch.pinned || ch.listeners.size > 0 || ch.unsubscribeTimer) return;
    ch.unsubscribeTimer = setTimeout(() => {
      ch.unsubscribeTimer = undefined;
      if (ch.listeners.size > 0 || ch.pinned) return;
      if (ch.subscribedOnServer) this.send({ op: 'unsubscribe', channels: [ch.name] });
      this.channels.delete(ch.name);
    }, this.opts.unsubscribeDelayMs);
  }

  private applySnapshot(ch: ChannelInternal, data: unknown): void {
    if (ch.name === 'orders') {
      const map = new Map<string, OrderView>();
      if (Array.isArray(data)) for (const o of data as OrderView[]) if (o && typeof o.id === 'string') map.set(o.id, o);
      ch.orders = map;
      ch.ordersArray = undefined;
      ch.data = undefined;
    } else {
      ch.data = data;
    }
    this.markLive(ch);
  }

  private applyDelta(ch: ChannelInternal, data: unknown): void {
    if (ch.name === 'orders') {
      const items = Array.isArray(data) ? (data as OrderView[]) : [data as OrderView];
      if (!ch.orders) ch.orders = new Map();
      for (const o of items) if (o && typeof o.id === 'string') ch.orders.set(o.id, o);
      ch.ordersArray = undefined;
    } else {
      ch.data = data;
    }
    this.markLive(ch);
  }

  private markLive(ch: ChannelInternal): void {
    ch.status = 'live';
    ch.version++;
    ch.updatedAt = this.opts.now();
    this.notify(ch);
  }

  private materialise(ch: ChannelInternal): unknown {
    if (ch.name !== 'orders') return ch.data;
    if (!ch.orders) return undefined;
    if (!ch.ordersArray) ch.ordersArray = [...ch.orders.values()];
    return ch.ordersArray;
  }

  private notify(ch: ChannelInternal): void {
    if (ch.listeners.size === 0) return;
    const view = this.channel(ch.name);
    for (const l of [...ch.listeners]) {
      try {
        l(view);
      } catch {
        /* one broken consumer must not starve the others */
      }
    }
  }
}

function extractErrors(json: unknown): ApiErrorItem[] {
  if (json && typeof json === 'object' && Array.isArray((json as { errors?: unknown }).errors)) {
    return ((json as { errors: unknown[] }).errors).filter(
      (e): e is ApiErrorItem => !!e && typeof e === 'object' && typeof (e as ApiErrorItem).message === 'string',
    );
  }
  return [];
}

function defaultWebSocketFactory(url: string): WebSocketLike {
  return new WebSocket(url) as unknown as WebSocketLike;
}
