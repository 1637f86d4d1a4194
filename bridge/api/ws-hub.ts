/**
 * The WebSocket hub behind `/ws` (PRODUCT.md §4, §8): authenticated clients subscribe to channels and
 * receive a snapshot, then sequenced deltas.
 *
 * Design points:
 * - Browsers do not apply CORS to WebSockets, so the Origin is checked at the upgrade, before any
 *   byte of the protocol; scripts may authenticate with a Bearer header, browsers (which cannot set
 *   headers on a WebSocket) with a first `{op:'auth'}` message.
 * - Fan-out is the hot path (every quote tick to every Excel): a delta is serialised and encoded to
 *   UTF-8 once per publish and the same Buffer is written to every subscriber; a channel nobody
 *   watches costs one Map lookup. Each socket is corked for the rest of the tick, so a burst leaves
 *   in one writev per client instead of one syscall per delta per client (5x throughput measured).
 * - A slow consumer must never hold memory without bound nor slow anyone else: once its socket
 *   backlog at the start of a tick passes `maxBufferedBytes`, its deltas are dropped and it is marked
 *   stale; when the backlog has drained it gets a fresh snapshot of every channel it missed, which
 *   supersedes the lost deltas. Per client the hub therefore holds at most maxBufferedBytes plus one
 *   tick's burst (whose frames are shared by all subscribers) plus one snapshot per channel.
 * - Every malformed frame gets `{op:'error'}` naming the field; nothing a client sends can throw out
 *   of this module.
 *
 * Sequence numbers: each channel counts its deltas while it has subscribers; a snapshot carries the
 * seq of the last delta it already contains, so the next delta is seq + 1 and a client that sees a
 * jump asks `{op:'snapshot', channel}`. The snapshot functions must therefore reflect every delta
 * already published: the owner updates its state and calls `publish` in the same tick.
 * A channel's counter is forgotten when its last subscriber leaves (a new snapshot resets the
 * baseline anyway), so `quotes:*` costs nothing for symbols nobody watches.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ApiErrorItem, WsClientMessage, WsServerMessage } from '../../common/types.js';
import { duplicateKeyMessage, firstDuplicateKey } from './strict-json.js';

export type WsRole = 'viewer' | 'trader' | 'admin';

export interface WsIdentity {
  role: WsRole;
  tokenId: string;
}

export interface WsAuditEntry {
  event: 'ws_origin_refused' | 'ws_capacity_refused' | 'ws_login' | 'ws_login_failed' | 'ws_disconnect';
  remoteAddress?: string;
  origin?: string;
  tokenId?: string;
  role?: WsRole;
  via?: 'header' | 'message';
  /** Failure reason or close code, for the audit trail. */
  reason?: string;
}

export interface WsHubDeps {
  authenticate(token: string): WsIdentity | null;
  allowedOrigins(origin: string | undefined): boolean;
  maxClients: number;
  /** Largest client frame that is parsed; larger ones are answered with an error. */
  maxMessageBytes: number;
  /** Socket backlog beyond which a client's deltas are dropped until it drains. */
  maxBufferedBytes: number;
  authTimeoutMs: number;
  onAudit?(entry: WsAuditEntry): void;
}

export interface WsHubStats {
  clients: number;
  authenticated: number;
  staleClients: number;
  /** Channels with at least one subscriber. */
  channels: number;
  /** Deltas not sent to a stale client since the hub started (each later replaced by a snapshot). */
  droppedDeltas: number;
}

/** Close code for authentication failures (4000–4999 is the application range; 401 echoes HTTP). */
export const WS_CLOSE_UNAUTHENTICATED = 4401;
export const MAX_CHANNEL_NAME_CHARS = 128;
/** Covers every quote of a large Excel sheet while bounding one client's share of the hub. */
export const MAX_SUBSCRIPTIONS_PER_CLIENT = 2000;
export const MAX_CHANNELS_PER_MESSAGE = 500;
/**
 * Frames up to this multiple of maxMessageBytes are read so the client gets an error naming the
 * frame; anything larger is refused by `ws` before it is buffered (close 1009), which bounds what a
 * hostile client can make the hub hold.
 */
const OVERSIZED_FRAME_GRACE = 4;
/**
 * Replies to a client's own requests (errors, pongs) are not droppable like deltas; a client that
 * keeps asking while reading nothing is cut off once its backlog reaches this multiple of the limit.
 */
const CONTROL_BACKLOG_FACTOR = 2;
const CLOSE_GRACE_MS = 1000;

const SEND_TEXT = { binary: false } as const;

interface Client {
  readonly ws: WebSocket;
  /** The upgraded TCP/TLS socket under `ws`, corked while a tick's deltas are written. */
  readonly socket: Duplex;
  corked: boolean;
  /**
   * Delta backlog when this tick's first write was corked. Staleness is judged on it, not on the
   * live figure, which also counts the current tick's burst: those frames are the Buffers shared by
   * every subscriber and leave at the end of the tick, so counting them would mark even a fast client
   * stale whenever one tick publishes more than maxBufferedBytes.
   */
  tickStartBacklogBytes: number;
  readonly remoteAddress?: string;
  readonly origin?: string;
  identity?: WsIdentity;
  authTimer?: NodeJS.Timeout;
  readonly subscriptions: Set<string>;
  /** Deltas are being dropped until the backlog drains. */
  stale: boolean;
  /** Channels owed a fresh snapshot when the backlog drains. */
  readonly owedSnapshots: Set<string>;
  /**
   * Snapshot bytes still in the socket backlog. They do not count against maxBufferedBytes: a
   * snapshot larger than the limit would otherwise make its own recovery stale again, forever.
   */
  snapshotBacklogBytes: number;
}

interface ChannelState {
  seq: number;
  readonly subscribers: Set<Client>;
}

type Parsed = { ok: true; msg: WsClientMessage } | { ok: false; errors: ApiErrorItem[] };

type SnapshotLookup = { kind: 'found'; data: unknown } | { kind: 'unknown' } | { kind: 'failed' };

const OP_FIELDS: Record<WsClientMessage['op'], readonly string[]> = {
  auth: ['op', 'token'],
  subscribe: ['op', 'channels'],
  unsubscribe: ['op', 'channels'],
  snapshot: ['op', 'channel'],
  ping: ['op'],
};

function error(field: string, code: string, message: string): ApiErrorItem {
  return { field, code, message };
}

function snapshotError(field: string, channel: string, kind: 'unknown' | 'failed'): ApiErrorItem {
  return kind === 'unknown'
    ? error(field, 'unknown_channel', `unknown channel ${channel}`)
    : error(field, 'snapshot_failed', `could not build a snapshot of ${channel}`);
}

function channelNameError(field: string, value: unknown): ApiErrorItem | undefined {
  if (typeof value !== 'string' || value.length === 0) return error(field, 'invalid', 'a channel name is a non-empty string');
  if (value.length > MAX_CHANNEL_NAME_CHARS) {
    return error(field, 'too_long', `channel names are at most ${MAX_CHANNEL_NAME_CHARS} characters`);
  }
  return undefined;
}

/** Shape check of one client frame; names the offending field. */
function parseClientMessage(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, errors: [error('frame', 'malformed_json', 'the frame is not valid JSON')] };
  }
  const repeated = firstDuplicateKey(text);
  if (repeated !== undefined) return { ok: false, errors: [error(repeated, 'duplicate_key', duplicateKeyMessage(repeated))] };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [error('frame', 'invalid', 'a message is a JSON object with an "op"')] };
  }
  const record = value as Record<string, unknown>;
  const op = record.op;
  if (typeof op !== 'string') return { ok: false, errors: [error('op', 'required', 'op is required')] };
  if (!Object.hasOwn(OP_FIELDS, op)) {
    return { ok: false, errors: [error('op', 'unknown_op', `unknown op "${op.slice(0, 32)}"`)] };
  }
  const allowed = OP_FIELDS[op as WsClientMessage['op']];
  const errors = Object.keys(record)
    .filter((key) => !allowed.includes(key))
    .map((key) => error(key.slice(0, 64), 'unknown_field', `unknown field for op "${op}"`));
  switch (op) {
    case 'auth':
      if (typeof record.token !== 'string' || record.token.length === 0) {
        errors.push(error('token', 'required', 'token is required'));
      }
      break;
    case 'subscribe':
    case 'unsubscribe': {
      const channels = record.channels;
      if (!Array.isArray(channels) || channels.length === 0) {
        errors.push(error('channels', 'required', 'channels must be a non-empty array of channel names'));
      } else if (channels.length > MAX_CHANNELS_PER_MESSAGE) {
        errors.push(error('channels', 'too_many', `at most ${MAX_CHANNELS_PER_MESSAGE} channels per message`));
      } else {
        channels.forEach((name, i) => {
          const problem = channelNameError(`channels[${i}]`, name);
          if (problem !== undefined) errors.push(problem);
        });
      }
      break;
    }
    case 'snapshot': {
      const problem = channelNameError('channel', record.channel);
      if (problem !== undefined) errors.push(problem);
      break;
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, msg: record as unknown as WsClientMessage };
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 503, item: ApiErrorItem): void {
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' }[status];
  const body = JSON.stringify({ errors: [item] });
  // The peer may already be gone; a write error must not become an unhandled 'error' event.
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

export class WsHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly fixedChannels = new Map<string, () => unknown>();
  private readonly patterns = new Map<string, (suffix: string) => unknown>();
  private droppedDeltas = 0;
  private closed = false;
  private readonly corkedClients: Client[] = [];
  private readonly uncorkAll = (): void => {
    for (const client of this.corkedClients) {
      client.corked = false;
      client.socket.uncork();
    }
    this.corkedClients.length = 0;
  };

  constructor(private readonly deps: WsHubDeps) {
    positiveInteger('maxClients', deps.maxClients);
    positiveInteger('maxMessageBytes', deps.maxMessageBytes);
    positiveInteger('maxBufferedBytes', deps.maxBufferedBytes);
    positiveInteger('authTimeoutMs', deps.authTimeoutMs);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Compression would cost a deflate per client per delta, defeating serialise-once, and
      // opens the door to decompression bombs.
      perMessageDeflate: false,
      maxPayload: deps.maxMessageBytes * OVERSIZED_FRAME_GRACE,
    });
  }

  registerChannel(name: string, snapshot: () => unknown): void {
    this.fixedChannels.set(name, snapshot);
  }

  /** `snapshot(suffix)` returns undefined when the suffix names nothing (e.g. an unknown symbol). */
  registerPattern(prefix: string, snapshot: (suffix: string) => unknown): void {
    this.patterns.set(prefix, snapshot);
  }

  clientCount(): number {
    return this.clients.size;
  }

  stats(): WsHubStats {
    let authenticated = 0;
    let staleClients = 0;
    for (const client of this.clients) {
      if (client.identity !== undefined) authenticated++;
      if (client.stale) staleClients++;
    }
    return { clients: this.clients.size, authenticated, staleClients, channels: this.channels.size, droppedDeltas: this.droppedDeltas };
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = req.headers.origin;
    const remoteAddress = req.socket.remoteAddress;
    if (this.closed) {
      refuseUpgrade(socket, 503, error('server', 'closing', 'the bridge is shutting down'));
      return;
    }
    if (!this.deps.allowedOrigins(origin)) {
      this.audit({ event: 'ws_origin_refused', origin, remoteAddress });
      refuseUpgrade(socket, 403, error('origin', 'forbidden', 'this origin may not open the WebSocket'));
      return;
    }
    if (this.clients.size >= this.deps.maxClients) {
      this.audit({ event: 'ws_capacity_refused', origin, remoteAddress });
      refuseUpgrade(socket, 503, error('server', 'too_many_clients', 'too many WebSocket clients'));
      return;
    }
    let identity: WsIdentity | undefined;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      identity = (match !== null && this.deps.authenticate(match[1])) || undefined;
      if (identity === undefined) {
        this.audit({ event: 'ws_login_failed', via: 'header', origin, remoteAddress, reason: 'invalid_token' });
        refuseUpgrade(socket, 401, error('token', 'invalid_token', 'the Authorization token is not valid'));
        return;
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket, origin, remoteAddress, identity));
  }

  /**
   * Sends `data` as the next delta of `channel` to its subscribers. Serialises once; costs nothing
   * when nobody subscribes. Stale subscribers are skipped and owed a snapshot instead.
   */
  publish(channel: string, data: unknown): void {
    const state = this.channels.get(channel);
    if (state === undefined) return;
    const seq = state.seq + 1;
    const message: WsServerMessage = { op: 'delta', channel, seq, data };
    // Serialise before bumping seq: a value that cannot be serialised must not leave a gap.
    const frame = Buffer.from(JSON.stringify(message));
    state.seq = seq;
    const limit = this.deps.maxBufferedBytes;
    for (const client of state.subscribers) {
      if (!client.stale) {
        if (!client.corked) this.cork(client);
        if (client.tickStartBacklogBytes <= limit) {
          client.ws.send(frame, SEND_TEXT);
          continue;
        }
        this.markStale(client);
      }
      client.owedSnapshots.add(channel);
      this.droppedDeltas++;
    }
  }

  /**
   * Holds a client's writes until the end of the current tick so a burst of deltas leaves in one
   * writev instead of one syscall per delta per client (the dominant cost of fan-out). Adds no
   * latency: the batch is flushed as soon as the publishing code yields.
   */
  private cork(client: Client): void {
    client.corked = true;
    client.tickStartBacklogBytes = client.ws.bufferedAmount - client.snapshotBacklogBytes;
    client.socket.cork();
    if (this.corkedClients.push(client) === 1) process.nextTick(this.uncorkAll);
  }

  /** Closes every client with 1001 (going away) and refuses new upgrades; resolves when all are gone. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          const force = setTimeout(() => client.ws.terminate(), CLOSE_GRACE_MS);
          client.ws.once('close', () => {
            clearTimeout(force);
            resolve();
          });
          client.ws.close(1001, 'server shutting down');
        }),
    );
    await Promise.all(pending);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onConnection(
    ws: WebSocket,
    socket: Duplex,
    origin: string | undefined,
    remoteAddress: string | undefined,
    identity: WsIdentity | undefined,
  ): void {
    const client: Client = {
      ws,
      socket,
      corked: false,
      tickStartBacklogBytes: 0,
      origin,
      remoteAddress,
      subscriptions: new Set(),
      stale: false,
      owedSnapshots: new Set(),
      snapshotBacklogBytes: 0,
    };
    this.clients.add(client);
    // 'error' is always followed by 'close', where the client is cleaned up; without a listener it would throw.
    ws.on('error', () => undefined);
    ws.on('close', (code) => this.onClose(client, code));
    ws.on('message', (data, isBinary) => this.onMessage(client, data, isBinary));
    if (identity !== undefined) {
      this.login(client, identity, 'header');
    } else {
      client.authTimer = setTimeout(() => {
        this.audit({ event: 'ws_login_failed', via: 'message', origin, remoteAddress, reason: 'auth_timeout' });
        this.rejectUnauthenticated(client, [error('token', 'auth_timeout', `no auth message within ${this.deps.authTimeoutMs} ms`)]);
      }, this.deps.authTimeoutMs);
    }
  }

  private login(client: Client, identity: WsIdentity, via: 'header' | 'message'): void {
    clearTimeout(client.authTimer);
    client.identity = identity;
    this.audit({ event: 'ws_login', via, tokenId: identity.tokenId, role: identity.role, origin: client.origin, remoteAddress: client.remoteAddress });
    this.sendControl(client, { op: 'ready', role: identity.role });
  }

  private rejectUnauthenticated(client: Client, errors: ApiErrorItem[]): void {
    this.sendControl(client, { op: 'error', errors });
    client.ws.close(WS_CLOSE_UNAUTHENTICATED, 'unauthenticated');
  }

  private onMessage(client: Client, data: RawData, isBinary: boolean): void {
    // Frames already in flight when we decided to close are not answered (nor audited twice).
    if (client.ws.readyState !== client.ws.OPEN) return;
    const bytes = rawToBuffer(data);
    let parsed: Parsed;
    if (isBinary) {
      parsed = { ok: false, errors: [error('frame', 'binary', 'frames must be JSON text')] };
    } else if (bytes.length > this.deps.maxMessageBytes) {
      parsed = { ok: false, errors: [error('frame', 'too_large', `frames are at most ${this.deps.maxMessageBytes} bytes`)] };
    } else {
      parsed = parseClientMessage(bytes.toString('utf8'));
    }

    if (client.identity === undefined) {
      if (parsed.ok && parsed.msg.op === 'auth') {
        const identity = this.deps.authenticate(parsed.msg.token);
        if (identity !== null) {
          this.login(client, identity, 'message');
          return;
        }
        this.audit({ event: 'ws_login_failed', via: 'message', origin: client.origin, remoteAddress: client.remoteAddress, reason: 'invalid_token' });
        this.rejectUnauthenticated(client, [error('token', 'invalid_token', 'the token is not valid')]);
        return;
      }
      const errors = parsed.ok ? [] : parsed.errors;
      errors.push(error('token', 'unauthenticated', 'send {"op":"auth","token":...} first'));
      this.audit({ event: 'ws_login_failed', via: 'message', origin: client.origin, remoteAddress: client.remoteAddress, reason: 'unauthenticated' });
      this.rejectUnauthenticated(client, errors);
      return;
    }

    if (!parsed.ok) {
      this.sendControl(client, { op: 'error', errors: parsed.errors });
      return;
    }
    const msg = parsed.msg;
    switch (msg.op) {
      case 'auth':
        this.sendControl(client, { op: 'error', errors: [error('op', 'already_authenticated', 'this connection is already authenticated')] });
        return;
      case 'ping':
        this.sendControl(client, { op: 'pong' });
        return;
      case 'subscribe':
        this.subscribe(client, msg.channels);
        return;
      case 'unsubscribe':
        for (const channel of msg.channels) this.unsubscribe(client, channel);
        return;
      case 'snapshot':
        if (!client.subscriptions.has(msg.channel)) {
          this.sendControl(client, { op: 'error', errors: [error('channel', 'not_subscribed', `subscribe to ${msg.channel} first`)] });
          return;
        }
        this.resendSnapshot(client, msg.channel);
        return;
    }
  }

  /**
   * Resolves a channel name to its current snapshot. A throwing snapshot function is reported to
   * the client rather than thrown into `ws`.
   */
  private snapshotOf(channel: string): SnapshotLookup {
    try {
      const fixed = this.fixedChannels.get(channel);
      if (fixed !== undefined) return { kind: 'found', data: fixed() };
      let best: string | undefined;
      for (const prefix of this.patterns.keys()) {
        if (channel.length > prefix.length && channel.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
      }
      const pattern = best === undefined ? undefined : this.patterns.get(best);
      if (best === undefined || pattern === undefined) return { kind: 'unknown' };
      const data = pattern(channel.slice(best.length));
      return data === undefined ? { kind: 'unknown' } : { kind: 'found', data };
    } catch {
      return { kind: 'failed' };
    }
  }

  private subscribe(client: Client, channels: readonly string[]): void {
    const errors: ApiErrorItem[] = [];
    channels.forEach((channel, i) => {
      const field = `channels[${i}]`;
      if (!client.subscriptions.has(channel) && client.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CLIENT) {
        errors.push(error(field, 'too_many', `at most ${MAX_SUBSCRIPTIONS_PER_CLIENT} subscriptions per connection`));
        return;
      }
      const snapshot = this.snapshotOf(channel);
      if (snapshot.kind !== 'found') {
        errors.push(snapshotError(field, channel, snapshot.kind));
        return;
      }
      let state = this.channels.get(channel);
      if (state === undefined) {
        state = { seq: 0, subscribers: new Set() };
        this.channels.set(channel, state);
      }
      state.subscribers.add(client);
      client.subscriptions.add(channel);
      if (!this.deferSnapshot(client, channel)) this.sendSnapshot(client, channel, state.seq, snapshot.data);
    });
    if (errors.length > 0) this.sendControl(client, { op: 'error', errors });
  }

  private unsubscribe(client: Client, channel: string): void {
    if (!client.subscriptions.delete(channel)) return;
    client.owedSnapshots.delete(channel);
    const state = this.channels.get(channel);
    if (state === undefined) return;
    state.subscribers.delete(client);
    if (state.subscribers.size === 0) this.channels.delete(channel);
  }

  private resendSnapshot(client: Client, channel: string): void {
    if (this.deferSnapshot(client, channel)) return;
    const state = this.channels.get(channel);
    if (state === undefined) return;
    const snapshot = this.snapshotOf(channel);
    if (snapshot.kind !== 'found') {
      this.sendControl(client, { op: 'error', errors: [snapshotError('channel', channel, snapshot.kind)] });
      return;
    }
    this.sendSnapshot(client, channel, state.seq, snapshot.data);
  }

  /**
   * A client whose backlog is over the limit gets the snapshot when it drains instead of now:
   * repeated subscribe/snapshot requests from a client that does not read then coalesce into one
   * owed snapshot per channel instead of piling full snapshots into memory.
   */
  private deferSnapshot(client: Client, channel: string): boolean {
    if (!client.stale && client.ws.bufferedAmount <= this.deps.maxBufferedBytes) return false;
    client.owedSnapshots.add(channel);
    if (!client.stale) this.markStale(client);
    return true;
  }

  private sendSnapshot(client: Client, channel: string, seq: number, data: unknown): void {
    const message: WsServerMessage = { op: 'snapshot', channel, seq, data };
    const frame = Buffer.from(JSON.stringify(message));
    client.snapshotBacklogBytes += frame.length;
    // Called once the frame has left the process (or the socket died): it no longer sits in the backlog.
    client.ws.send(frame, SEND_TEXT, () => {
      client.snapshotBacklogBytes -= frame.length;
    });
  }

  /**
   * Stops deltas to a client and waits for its backlog to drain. A ping written now completes only
   * after everything queued before it has been written out, so its callback is the drain signal
   * (event-driven, no polling); clients answer pings transparently.
   */
  private markStale(client: Client): void {
    client.stale = true;
    client.ws.ping(undefined, undefined, (err) => {
      if (err || !this.clients.has(client)) return;
      client.stale = false;
      const owed = [...client.owedSnapshots];
      client.owedSnapshots.clear();
      for (const channel of owed) this.resendSnapshot(client, channel);
    });
  }

  /** Replies to the client's own requests; see CONTROL_BACKLOG_FACTOR. */
  private sendControl(client: Client, message: WsServerMessage): void {
    const backlog = client.ws.bufferedAmount - client.snapshotBacklogBytes;
    if (backlog > this.deps.maxBufferedBytes * CONTROL_BACKLOG_FACTOR) {
      client.ws.terminate();
      return;
    }
    client.ws.send(JSON.stringify(message));
  }

  private onClose(client: Client, code: number): void {
    if (!this.clients.delete(client)) return;
    clearTimeout(client.authTimer);
    for (const channel of [...client.subscriptions]) this.unsubscribe(client, channel);
    if (client.identity !== undefined) {
      this.audit({
        event: 'ws_disconnect',
        tokenId: client.identity.tokenId,
        role: client.identity.role,
        origin: client.origin,
        remoteAddress: client.remoteAddress,
        reason: String(code),
      });
    }
  }

  private audit(entry: WsAuditEntry): void {
    this.deps.onAudit?.(entry);
  }
}
