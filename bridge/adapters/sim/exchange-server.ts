/**
 * SimExchange over TCP on 127.0.0.1, so the exchange can live in its own process and outlive a bridge
 * killed with SIGKILL; the restarted bridge reconnects and reconciles through `snapshot`.
 *
 * Protocol: newline-delimited JSON, one object per line, UTF-8.
 *   client → server   {"id":1,"op":"submit","order":BrokerOrderRequest}
 *                     {"id":2,"op":"replace","clientOrderId":"…","change":{"qty"?:n,"priceTicks"?:n}}
 *                     {"id":3,"op":"cancel","clientOrderId":"…"}
 *                     {"id":4,"op":"cancelAll","account"?:"…"}
 *                     {"id":5,"op":"snapshot","account"?:"…"}          → result {orders, fills}
 *                     {"id":6,"op":"subscribe","symbol":"PETR4"}        → result BrokerBook (current top)
 *                     {"id":7,"op":"ping"}
 *                     {"id":8,"op":"logon","session":"BB3bf838"}        first, before any order
 *   server → client   {"id":1,"ok":true,"result":…} | {"id":1,"ok":false,"error":"…"}   (one per request)
 *                     {"ev":"orderUpdate"|"fill","data":…}      an order's events, to its own session only
 *                     {"ev":"trade"|"book","data":…}            market data, for the client's subscriptions
 * Events a request causes are written before its response.
 *
 * Sessions, as at B3: each order belongs to the session that sent it, and its updates, fills and
 * snapshot entries go to that session alone; replace/cancel of another session's order is refused.
 * A bridge logs on with its installation's id, so after a restart (a new connection) it gets its
 * own orders back and nobody else's. A connection that never logs on is a session of its own.
 *
 * Bounds: a request line longer than maxLineChars, or a client whose unsent output exceeds
 * maxPendingMessages messages (a reader that stopped reading), is disconnected. The exchange keeps
 * every order regardless: a client is only a window onto it.
 */
import net from 'node:net';
import type { BrokerOrderRequest } from '../../execution/broker-port.js';
import type { SimExchange } from './exchange.js';

export interface ExchangeServerOptions {
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  /** Longest request line accepted, in characters. Default 64 KiB. */
  maxLineChars?: number;
  /** Messages a client may leave unread beyond the socket's buffer before it is dropped. Default 20,000. */
  maxPendingMessages?: number;
}

interface Client {
  socket: net.Socket;
  buffer: string;
  subscriptions: Set<string>;
  /** Messages written since the socket's buffer last filled up (reset on 'drain'). */
  backlog: number;
  /** Being disconnected for breaking a bound: its further input is ignored. */
  dropped: boolean;
  /** Who owns the orders this connection sends. */
  session: string;
  /** Whether an order was sent: the session is fixed from then on. */
  sentOrders: boolean;
}

const SESSION_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Order owners live as long as the exchange's orders: a new server on the same exchange keeps them. */
const OWNERS = new WeakMap<SimExchange, Map<string, string>>();

export class ExchangeServer {
  private readonly server: net.Server;
  private readonly clients = new Set<Client>();
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly maxLineChars: number;
  private readonly maxPendingMessages: number;
  private removeListener: (() => void) | undefined;
  /** Session that sent each order (by clientOrderId): the only one that hears about it. */
  private readonly ownerOf: Map<string, string>;
  private connections = 0;

  constructor(
    private readonly exchange: SimExchange,
    options: ExchangeServerOptions = {},
  ) {
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.maxLineChars = options.maxLineChars ?? 64 * 1024;
    this.maxPendingMessages = options.maxPendingMessages ?? 20_000;
    this.server = net.createServer((socket) => this.accept(socket));
    let owners = OWNERS.get(exchange);
    if (!owners) OWNERS.set(exchange, (owners = new Map()));
    this.ownerOf = owners;
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    this.removeListener = this.exchange.addListener({
      orderUpdate: (data) => this.toOwner(data.clientOrderId, JSON.stringify({ ev: 'orderUpdate', data })),
      fill: (data) => this.toOwner(data.clientOrderId, JSON.stringify({ ev: 'fill', data })),
      trade: (data) => this.publish(data.symbol, JSON.stringify({ ev: 'trade', data })),
      book: (data) => this.publish(data.symbol, JSON.stringify({ ev: 'book', data })),
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.requestedPort, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('exchange server is not listening');
    return addr.port;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Stops listening and drops every client; the exchange and its orders are untouched. */
  async close(): Promise<void> {
    this.removeListener?.();
    this.removeListener = undefined;
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const client: Client = { socket, buffer: '', subscriptions: new Set(), backlog: 0, dropped: false, session: `conn-${++this.connections}`, sentOrders: false };
    this.clients.add(client);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.receive(client, chunk));
    socket.on('drain', () => {
      client.backlog = 0;
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.clients.delete(client));
  }

  private receive(client: Client, chunk: string): void {
    if (client.dropped) return;
    let text = client.buffer + chunk;
    let nl = text.indexOf('\n');
    while (nl >= 0 && !client.dropped) {
      if (nl > this.maxLineChars) return this.dropLongLine(client);
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (line.trim().length > 0) this.handleLine(client, line);
      nl = text.indexOf('\n');
    }
    if (text.length > this.maxLineChars) return this.dropLongLine(client);
    client.buffer = text;
  }

  private dropLongLine(client: Client): void {
    this.send(client, JSON.stringify({ id: null, ok: false, error: `linha maior que ${this.maxLineChars} caracteres; conexão encerrada` }));
    client.dropped = true;
    client.buffer = '';
    client.socket.destroySoon();
  }

  private handleLine(client: Client, line: string): void {
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Record<string, unknown>;
    } catch {
      this.send(client, JSON.stringify({ id: null, ok: false, error: 'JSON inválido: esperado um objeto por linha' }));
      return;
    }
    const id = typeof msg.id === 'number' || typeof msg.id === 'string' ? msg.id : null;
    const reply = (body: { ok: true; result?: unknown } | { ok: false; error: string }): void =>
      this.send(client, JSON.stringify({ id, ...body }));
    const ex = this.exchange;
    const own = (clientOrderId: unknown) => typeof clientOrderId === 'string' && this.ownerOf.get(clientOrderId) === client.session;
    switch (msg.op) {
      case 'logon': {
        if (typeof msg.session !== 'string' || !SESSION_NAME.test(msg.session)) return reply({ ok: false, error: 'logon: session deve ter 1 a 64 letras, dígitos, _ . ou -' });
        if (client.sentOrders) return reply({ ok: false, error: 'logon depois de enviar ordens: a sessão já está fixada nesta conexão' });
        client.session = msg.session;
        return reply({ ok: true });
      }
      case 'submit': {
        if (typeof msg.order !== 'object' || msg.order === null) return reply({ ok: false, error: 'submit sem "order"' });
        const order = msg.order as BrokerOrderRequest;
        client.sentOrders = true;
        // The first sender owns an id; a repeat from anyone is the exchange's duplicate to refuse.
        if (typeof order.clientOrderId === 'string' && !this.ownerOf.has(order.clientOrderId)) this.ownerOf.set(order.clientOrderId, client.session);
        if (!own(order.clientOrderId)) return reply({ ok: false, error: `ordem ${String(order.clientOrderId)} pertence a outra sessão` });
        return reply({ ok: true, result: ex.submit(order) });
      }
      case 'replace': {
        if (!own(msg.clientOrderId)) return reply({ ok: false, error: `ordem desconhecida nesta sessão: ${String(msg.clientOrderId)}` });
        const change = (typeof msg.change === 'object' && msg.change !== null ? msg.change : {}) as { qty?: number; priceTicks?: number };
        return reply({ ok: true, result: ex.replace(msg.clientOrderId as string, change) });
      }
      case 'cancel':
        if (!own(msg.clientOrderId)) return reply({ ok: false, error: `ordem desconhecida nesta sessão: ${String(msg.clientOrderId)}` });
        return reply({ ok: true, result: ex.cancel(msg.clientOrderId as string) });
      case 'cancelAll': {
        const account = typeof msg.account === 'string' ? msg.account : undefined;
        let n = 0;
        for (const o of ex.ordersFor(account)) {
          if (!own(o.clientOrderId) || (o.status !== 'new' && o.status !== 'partially_filled')) continue;
          ex.cancel(o.clientOrderId);
          n += 1;
        }
        return reply({ ok: true, result: n });
      }
      case 'snapshot': {
        const account = typeof msg.account === 'string' ? msg.account : undefined;
        return reply({ ok: true, result: { orders: ex.ordersFor(account).filter((o) => own(o.clientOrderId)), fills: ex.fillsFor(account).filter((f) => own(f.clientOrderId)) } });
      }
      case 'subscribe': {
        const symbol = typeof msg.symbol === 'string' ? msg.symbol.toUpperCase() : '';
        if (!ex.subscribe(symbol)) return reply({ ok: false, error: `símbolo desconhecido: ${String(msg.symbol)}` });
        client.subscriptions.add(symbol);
        return reply({ ok: true, result: ex.quote(symbol) });
      }
      case 'ping':
        return reply({ ok: true });
      default:
        return reply({ ok: false, error: `operação desconhecida: ${String(msg.op)}` });
    }
  }

  private toOwner(clientOrderId: string, line: string): void {
    const session = this.ownerOf.get(clientOrderId);
    if (session === undefined) return;
    for (const c of this.clients) if (c.session === session) this.send(c, line);
  }

  private publish(symbol: string, line: string): void {
    for (const c of this.clients) if (c.subscriptions.has(symbol)) this.send(c, line);
  }

  private send(client: Client, line: string): void {
    const socket = client.socket;
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableNeedDrain && ++client.backlog > this.maxPendingMessages) {
      // A client that stopped reading must not grow this process's memory without bound.
      socket.destroy();
      return;
    }
    socket.write(line + '\n');
  }
}
