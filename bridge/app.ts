/**
 * The composition root: one bridge process = config + journal + OMS + portfolio + risk + API,
 * on a broker port (simulated B3 by default). `startBridge` is what `blackbox start` and the
 * tests call.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BalanceView, HealthView, KillSwitchView, PositionView } from '../common/types.js';
import type { BoletaInput } from '../common/schemas.js';
import { TokenAuth } from './api/auth.js';
import { AuthFailureLimiter } from './api/auth-failures.js';
import { createHttpApp, type ApiServices, type CommandResult, type ReplayStatusView } from './api/http.js';
import { WsHub } from './api/ws-hub.js';
import { ConfigStore } from './config/config-store.js';
import { createAlgoRegistry } from './execution/algos/registry.js';
import type { BrokerPort } from './execution/broker-port.js';
import { OrderManager } from './execution/oms.js';
import { b3Session, DEMO_SESSION } from './execution/market-session.js';
import { Journal } from './journal/index.js';
import { createLogger, type Logger } from './log.js';
import { historySourceOf, ImportService } from './marketdata/import/import-service.js';
import { vwapProfileSource, type VolumeProfileReader } from './marketdata/volume-profile.js';
import { defaultInstruments, instrumentView, InstrumentRegistry } from './model/instrument.js';
import { createKernel } from './kernel.js';
import { CountingSink, ReplayDriver, SimClock, type ReplayControl } from './backtest/replay-driver.js';
import { openReplayMarket, type ReplayMarket, type ReplaySpec } from './backtest/replay-market.js';
import { replaySession } from './backtest/session.js';
import { MARKET_DB_FILE, MarketDb } from './marketdata/market-db.js';
import { saoPauloDayRangeMs } from './marketdata/sp-instant.js';
import { StrategyService } from './strategy/live/strategy-service.js';
import { NODE_TIMERS } from './execution/scheduler.js';
import { createBroker, type BrokerChoice } from './adapters/broker-factory.js';
import { BacktestService } from './backtest/backtest-service.js';

export const VERSION = '0.1.0';

export interface BridgeOptions {
  dataDir: string;
  port?: number;
  host?: string;
  broker?: BrokerChoice;
  /** Seed of the simulated market (deterministic runs). */
  seed?: number;
  /** Interval of the simulated participants' activity. */
  simTickMs?: number;
  /** Use a simulated exchange running in another process instead of an in-process one. */
  exchange?: { host: string; port: number };
  /** Built add-in to serve at `/`; defaults to `dist/addin` when it exists. */
  addinDir?: string;
  /** PEM certificate and key: serve HTTPS/WSS (what Excel requires of an add-in's pages). */
  tls?: { cert: string; key: string };
  log?: Logger;
  quiet?: boolean;
  /** Largest Profit file accepted by an import (default 1 GiB). */
  importMaxFileBytes?: number;
  /**
   * Trade on recorded history instead of a live market: the replay venue over `<data>/market.db`,
   * on a simulated clock that only moves when the replay runs (`RunningBridge.replay.run`).
   */
  replay?: ReplaySpec;
  /** Hook budget and heap cap of strategy runs (tests shorten them). */
  strategyHookBudgetMs?: number;
  strategyHeapMb?: number;
  /**
   * Epoch milliseconds of the bridge's business time (default `Date.now`): the date the futures universe
   * rolls by and contracts expire on, the times of orders and their journal events, the in-process
   * simulated market's clock, the dates of balances and settlements. Tests fix it so that contracts they
   * name are live whatever the real date. On the machine's clock stay: elapsed-time guards (login
   * throttling, the operator-disconnect pause), audit-trail times, log lines, and the market's own times
   * when it is ProfitDLL or a simulated exchange in another process.
   */
  clock?: () => number;
}

export interface RunningBridge {
  url: string;
  port: number;
  token: string;
  oms: OrderManager;
  broker: BrokerPort;
  /** Intraday volume profiles from the market database (for the VWAP algo). */
  volumeProfiles: VolumeProfileReader;
  /** Strategies running in the bridge. */
  strategies: StrategyService;
  /** On recorded history: plays the recorded market to its end (strategies and algos on the simulated clock). */
  replay?: { run(control?: ReplayControl): Promise<{ events: number; cancelled: boolean }> };
  /** Last journaled event's sequence number, and the event types after a given one (diagnostics). */
  journalSeq(): number;
  journalTypesAfter(seq: number): string[];
  close(): Promise<void>;
}

const QUOTE_PUBLISH_INTERVAL_MS = 250;
/** Refused logins per source and minute answered 401; beyond, 429 (a desk mistypes a token a few times, not hundreds). */
const AUTH_FAILURES_PER_MINUTE = 30;
/** Pending connections the kernel queues: a burst of a thousand clients is answered, not retried after SYN timeouts. */
const LISTEN_BACKLOG = 4_096;
const POSITIONS_PUBLISH_INTERVAL_MS = 1_000;
/** How often the futures universe is checked for a roll (an expiry takes effect at São Paulo midnight). */
const UNIVERSE_ROLL_CHECK_MS = 60_000;

function defaultAddinDir(): string | undefined {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(root, 'dist', 'addin');
  return existsSync(dir) ? dir : undefined;
}

export async function startBridge(opts: BridgeOptions): Promise<RunningBridge> {
  const log = opts.log ?? createLogger({ quiet: opts.quiet });
  const host = opts.host ?? '127.0.0.1';
  // The port first: a bridge that cannot listen must leave no data folder, journal or token behind.
  const server: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }) : createServer();
  let handler: RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ field: '(server)', code: 'starting', message: 'ponte iniciando: tente de novo em instantes' }] }));
  };
  server.on('request', (req, res) => handler(req, res));
  await listen(server, opts.port ?? 3000, host);
  try {
    return await startOnServer(opts, log, host, server, (h) => (handler = h));
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw e;
  }
}

/** Recorded history to trade on: the bridge's own market.db, read-only beside its import writer. */
function openReplay(dataDir: string, spec: ReplaySpec, instruments: InstrumentRegistry, clock: SimClock): { db: MarketDb; market: ReplayMarket } {
  const file = path.join(dataDir, MARKET_DB_FILE);
  if (!existsSync(file)) throw new Error(`replay: ${file} não existe; importe os dados do Profit antes`);
  const db = MarketDb.openReadOnly(file);
  const opened = openReplayMarket(db, spec, instruments, clock);
  if (!opened.ok) {
    db.close();
    throw new Error(`replay: ${opened.message}`);
  }
  return { db, market: opened.market };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'já está em uso (outra ponte aberta?)' : e.code === 'EACCES' ? 'exige permissão' : e.message;
      reject(new Error(`não consegui abrir a porta ${port} em ${host}: ${why}; nada foi criado na pasta de dados`));
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function startOnServer(opts: BridgeOptions, log: Logger, host: string, server: Server, serve: (h: RequestListener) => void): Promise<RunningBridge> {
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  // mkdir's mode applies only to a folder it creates; an existing one is narrowed too.
  chmodSync(opts.dataDir, 0o700);

  const config = await ConfigStore.open(opts.dataDir);
  const { auth, adminToken } = await TokenAuth.init(config, opts.dataDir);
  const journal = Journal.open(path.join(opts.dataDir, 'journal.db'));
  // On recorded history the clock is the replay's: it starts at the first day and moves only as it plays.
  const simClock = opts.replay ? new SimClock(saoPauloDayRangeMs(opts.replay.from).fromMs) : undefined;
  const clock = simClock?.now ?? opts.clock ?? Date.now;
  const instruments = new InstrumentRegistry(defaultInstruments(clock()), { nowMs: clock });
  const s = config.settings;
  const audit = (e: { actor: string; role?: string; action: string; target?: string; details?: unknown; ip?: string }) => {
    journal.audit({ role: 'system', ...e }).catch((err) => log('error', 'audit write failed', err));
  };
  // One name for this installation: prefix of every order id, and its session at a shared exchange.
  const idPrefix = `BB${config.installId}`;
  const authFailures = new AuthFailureLimiter({
    maxFailuresPerWindow: AUTH_FAILURES_PER_MINUTE,
    windowMs: 60_000,
    maxSources: 10_000,
    nowMs: () => Date.now(),
    record: (row) => audit({ actor: 'anonymous', role: 'none', action: 'auth.refused', target: row.sample, ip: row.ip, details: { count: row.count, windowStart: row.windowStart, reasons: row.reasons } }),
  });
  const replayWarnings: string[] = [];
  const replay = opts.replay ? openReplay(opts.dataDir, opts.replay, instruments, simClock!) : undefined;
  const broker: BrokerPort = replay ? replay.market.venue : await createBroker({
    choice: opts.broker ?? 'sim',
    instruments: instruments.all(),
    seed: opts.seed ?? Date.now() % 2_147_483_647,
    simTickMs: opts.simTickMs ?? 100,
    exchange: opts.exchange,
    clock,
    session: idPrefix,
    marketHours: s.marketHours,
    dataDir: opts.dataDir,
    log,
  });

  let hub: WsHub | undefined;
  const marketData = new ImportService({
    dataDir: opts.dataDir,
    publish: (job) => hub?.publish('imports', job),
    history: historySourceOf(broker),
    tickHundredths: (sym) => instruments.get(sym)?.tickHundredths,
    maxFileBytes: opts.importMaxFileBytes,
    log,
  });
  const backtests = new BacktestService({ dataDir: opts.dataDir, redisUrl: s.sweepRedisUrl, publishRun: (r) => hub?.publish('backtests', r), publishSweep: (w) => hub?.publish('sweeps', w), log });
  backtests.abandonUnfinished();

  // The replay driver waits for the journal's commits before it moves the clock.
  const sink = new CountingSink(journal);
  let strategies: StrategyService | undefined;
  const kernel = createKernel({
    broker,
    journal: replay ? sink : journal,
    instruments,
    clients: config,
    settings: s,
    // VWAP plans against the symbol's measured intraday profile when the market database has one.
    algos: createAlgoRegistry(vwapProfileSource(marketData.profiles)),
    session: replay ? replaySession((m) => replayWarnings.push(m)) : s.marketHours === 'b3' ? b3Session() : DEMO_SESSION,
    idPrefix,
    nowMs: clock,
    timers: replay ? 'manual' : NODE_TIMERS,
    log,
    audit,
    actorName: (a) => strategies?.originOf(a) ? `Estratégia ${strategies.originOf(a)!.strategy} (${a.slice('strategy:'.length)})` : auth.displayName(a),
    originOf: (a) => strategies?.originOf(a),
  });
  if (replay) replay.market.attach(kernel, () => config.clients().map((c) => c.id), (m) => replayWarnings.push(m));
  const { quotes, portfolio, risk, oms } = kernel;
  const replayed = oms.replay(journal.readAll());
  log('info', `journal replayed: ${replayed} events`);
  strategies = await StrategyService.open({
    kernel,
    dataDir: opts.dataDir,
    clock,
    market: replay ? 'replay' : broker.name === 'profitdll' ? 'live' : 'sim',
    pacing: replay ? 'driven' : 'realtime',
    barsFrom: replay ? replay.market.barsFrom : 'prints',
    clients: config,
    audit,
    log,
    publish: (v) => hub?.publish('strategies', v),
    hookBudgetMs: opts.strategyHookBudgetMs,
    heapMb: opts.strategyHeapMb,
  });
  const strategyService = strategies;

  let brokerState = { connected: false, message: 'conectando / connecting' };
  const dirtyQuotes = new Set<string>();
  let positionsDirty = true;
  kernel.tap({
    connection: (st) => {
      brokerState = st;
      hub?.publish('health', health());
    },
    trade: (t, changed) => {
      if (!changed) return;
      dirtyQuotes.add(t.symbol);
      positionsDirty = true;
    },
    book: (b, changed) => {
      if (changed) dirtyQuotes.add(b.symbol);
    },
  });
  function guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      log('error', 'universe roll failed', e);
    }
  }

  const health = (): HealthView => ({
    ok: true,
    broker: {
      name: broker.name,
      connected: brokerState.connected,
      message: brokerState.message,
      ...(broker.diagnostics ? { diagnostics: broker.diagnostics() } : {}),
    },
    lastReconnect: oms.lastReconnect(),
    tradingState: risk.state(),
    killSwitch: oms.killSwitchState().engaged,
    version: VERSION,
  });
  const killSwitchView = (): KillSwitchView => {
    const k = oms.killSwitchState();
    return { engaged: k.engaged, reason: k.reason, by: auth.displayName(k.by), byToken: k.by, at: k.atMs ? new Date(k.atMs).toISOString() : undefined };
  };
  const lastTicks = (symbol: string) => quotes.referenceTicks(symbol);
  const positions = (client?: string): PositionView[] => portfolio.positionViews(client, lastTicks);
  const balances = (client?: string): BalanceView[] => {
    const ids = client ? [client] : config.clients().map((c) => c.id);
    return ids.map((id) => portfolio.balanceView(id, clock(), lastTicks));
  };

  const orders: ApiServices['orders'] = {
    submitMany: (rows, actor, allOrNothing, prefixFor) => oms.submitMany(rows, actor, allOrNothing, prefixFor),
    validateOnly: (rows, prefixFor) =>
      rows.map((r, i) => {
        const v = oms.validate(r, prefixFor(i));
        return v.ok
          ? { row: i, ok: true as const, order: previewView(r) }
          : { row: i, ok: false as const, errors: v.errors };
      }),
    list: (f) => oms.list(f).map((p) => oms.view(p, false)),
    get: (id) => {
      const p = oms.get(id);
      return p ? oms.view(p, true) : undefined;
    },
    cancel: (id, a) => oms.cancel(id, a) as Promise<CommandResult>,
    pause: (id, a) => oms.pause(id, a) as Promise<CommandResult>,
    resume: (id, a) => oms.resume(id, a) as Promise<CommandResult>,
    resumeAll: (a) => oms.resumeAll(a),
    amend: (id, c, a) => oms.amend(id, c, a) as Promise<CommandResult>,
  };

  const allowed = new Set<string>(s.allowedOrigins);
  let selfOrigins: string[] = [];
  const isOriginAllowed = (origin: string | undefined) => origin === undefined || selfOrigins.includes(origin) || allowed.has(origin);

  const services: ApiServices = {
    auth,
    authFailures,
    health,
    instruments: () => instruments.all().map(instrumentView),
    quote: (sym) => quotes.view(sym),
    clients: () => config.clients(),
    addClient: async (input, actor) => {
      const r = await config.addClient(input);
      if (r.ok) {
        audit({ actor, action: 'client.create', target: r.client.id, details: { openingCash: r.client.openingCash } });
        positionsDirty = true;
        hub?.publish('balances', balances());
      }
      return r;
    },
    orders,
    positions,
    positionTotals: () => {
      const { totals, clientTotals } = portfolio.positionsChannel(lastTicks);
      return { totals, clientTotals };
    },
    balances,
    settlements: (client, isoDate) => portfolio.settlementView(client, isoDate, clock(), lastTicks),
    killSwitch: killSwitchView,
    setKillSwitch: async (engaged, reason, actor) => {
      if (engaged) {
        await oms.engageKillSwitch(reason, actor);
        await strategyService.haltAll(`PÂNICO: ${reason}`, actor);
      } else await oms.releaseKillSwitch(reason, actor);
      return killSwitchView();
    },
    setTradingState: async (state, reason, actor) => {
      await oms.setTradingState(state, reason, actor);
      return health();
    },
    algos: () => kernel.algos.catalog(),
    // Each row names the person as well as the token that acted.
    auditTrail: (q) => journal.readAudit(q).map((r) => ({ ...r, actorName: auth.displayName(r.actor) })),
    audit: (e) => audit(e),
    isOriginAllowed,
    addinDir: opts.addinDir ?? defaultAddinDir(),
    marketData,
    strategies: strategyService,
    backtests,
    log,
  };

  const app = createHttpApp(services);
  serve(app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  hub = new WsHub({
    authenticate: (t) => auth.authenticate(t),
    allowedOrigins: isOriginAllowed,
    maxClients: 200,
    maxMessageBytes: 64 * 1024,
    maxBufferedBytes: 8 * 1024 * 1024,
    authTimeoutMs: 10_000,
    onAudit: (e) =>
      e.event === 'ws_login_failed'
        ? authFailures.refuse(e.remoteAddress, `ws ${e.via ?? ''}`.trim(), e.reason ?? 'invalid_token')
        : audit({ actor: e.tokenId ?? 'anonymous', role: e.role ?? 'none', action: e.event, details: { reason: e.reason, origin: e.origin, via: e.via }, ip: e.remoteAddress }),
  });
  const wsHub = hub;
  wsHub.registerChannel('orders', () => oms.list().map((p) => oms.view(p, false)));
  wsHub.registerChannel('positions', () => portfolio.positionsChannel(lastTicks));
  wsHub.registerChannel('balances', () => balances());
  wsHub.registerChannel('killswitch', () => killSwitchView());
  wsHub.registerChannel('health', () => health());
  wsHub.registerChannel('imports', () => marketData.list());
  wsHub.registerChannel('strategies', () => strategyService.list());
  wsHub.registerChannel('backtests', () => backtests.list());
  wsHub.registerChannel('sweeps', () => backtests.sweeps());
  // Channel names are exact: `quotes:PETR4`, the symbol as published (a lowercase name would never get deltas).
  wsHub.registerPattern('quotes:', (sym) => quotes.view(sym));
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/ws') {
      socket.destroy();
      return;
    }
    wsHub.handleUpgrade(req, socket, head);
  });

  kernel.listen({
    ordersChanged: (ids) => {
      for (const id of ids) {
        const p = oms.get(id);
        if (p) wsHub.publish('orders', oms.view(p, false));
      }
    },
    portfolioChanged: () => {
      positionsDirty = true;
      wsHub.publish('balances', balances());
    },
    riskStateChanged: () => {
      wsHub.publish('killswitch', killSwitchView());
      wsHub.publish('health', health());
    },
  });

  const quoteTimer = setInterval(() => {
    for (const sym of dirtyQuotes) {
      const v = quotes.view(sym);
      if (v) wsHub.publish(`quotes:${sym}`, v);
    }
    dirtyQuotes.clear();
  }, QUOTE_PUBLISH_INTERVAL_MS);
  const positionsTimer = setInterval(() => {
    if (!positionsDirty) return;
    positionsDirty = false;
    wsHub.publish('positions', portfolio.positionsChannel(lastTicks));
  }, POSITIONS_PUBLISH_INTERVAL_MS);

  // The futures universe rolls with the clock (current and next contract): quote and subscribe what it adds.
  const subscribed = new Set<string>();
  function subscribeUniverse(): void {
    for (const inst of instruments.all()) {
      if (subscribed.has(inst.symbol)) continue;
      quotes.track(inst);
      broker.subscribe(inst.symbol);
      subscribed.add(inst.symbol);
    }
  }
  const universeTimer = setInterval(() => guard(subscribeUniverse), UNIVERSE_ROLL_CHECK_MS);

  // If no operator's Excel (or browser pane) has been connected for the configured time, algos pause.
  let lastOperatorSeenMs = Date.now();
  const operatorTimer = setInterval(() => {
    const limitMs = config.settings.excelDisconnectPauseMs;
    if (wsHub.stats().authenticated > 0) lastOperatorSeenMs = Date.now();
    else if (limitMs > 0 && Date.now() - lastOperatorSeenMs > limitMs) {
      lastOperatorSeenMs = Date.now();
      void oms.pauseAll('Excel desconectado: algoritmos pausados', 'system').then((n) => {
        if (n > 0) log('warn', `no operator connected for ${limitMs} ms: ${n} orders paused`);
      });
    }
  }, 1_000);

  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://${shownHost}:${port}`;
  selfOrigins = [url, `${scheme}://localhost:${port}`, `${scheme}://127.0.0.1:${port}`];

  await broker.connect();
  if (broker.status) brokerState = broker.status();
  subscribeUniverse();
  try {
    await oms.reconcile();
  } catch (e) {
    log('warn', 'reconciliation deferred until the broker connects', e);
  }
  audit({ actor: 'system', action: 'bridge.start', details: { version: VERSION, broker: broker.name, replayed } });
  log('info', `BlackBox bridge ${VERSION} at ${url} (broker ${broker.name}); token in ${path.join(opts.dataDir, 'token')}`);

  function previewView(r: BoletaInput) {
    const now = new Date(clock()).toISOString();
    return {
      id: '(prévia)',
      client: r.client,
      symbol: r.symbol.toUpperCase(),
      side: r.side,
      qty: r.qty,
      filledQty: 0,
      avgPrice: 0,
      limitPrice: r.limitPrice,
      algo: r.algo,
      status: 'pending_new' as const,
      createdAt: now,
      updatedAt: now,
    };
  }

  const driver = replay
    ? new ReplayDriver({
        clock: simClock!,
        venue: replay.market.venue,
        kernel,
        sink,
        hosts: () => strategyService.hosts(),
        dayChanged: (_prev, next, nextStartMs) => replay.market.dayChanged(next, nextStartMs),
      })
    : undefined;

  let closed = false;
  const replayStatus: ReplayStatusView = { state: 'ready', events: 0 };
  let replayRun: Promise<{ events: number; cancelled: boolean }> | undefined;
  const playReplay = (control?: ReplayControl) => {
    if (!driver || !replay) throw new Error('a ponte não está sobre um histórico gravado');
    if (replayRun) return replayRun;
    Object.assign(replayStatus, { state: 'running', startedAt: new Date().toISOString() });
    const market = replay.market;
    replayRun = market.openFeed().then(async ({ feed }) => {
      try {
        return await driver.run(feed, {
          cancelled: () => closed || (control?.cancelled() ?? false),
          // The replay runs on the bridge's own thread: requests and quotes must get through.
          yieldEveryMs: 20,
          progress: (n) => {
            replayStatus.events = n;
            replayStatus.simTime = new Date(clock()).toISOString();
            control?.progress?.(n);
          },
        });
      } finally {
        feed.close();
      }
    });
    replayRun.then(
      (r) => Object.assign(replayStatus, { state: r.cancelled ? 'cancelled' : 'done', events: r.events, finishedAt: new Date().toISOString(), simTime: new Date(clock()).toISOString(), warnings: replayWarnings.slice(0, 20) }),
      (e: Error) => Object.assign(replayStatus, { state: 'failed', error: e.message, finishedAt: new Date().toISOString() }),
    );
    return replayRun;
  };
  services.replay = driver
    ? {
        status: () => ({ ...replayStatus }),
        start: (actor) => {
          audit({ actor, action: 'replay.start', details: opts.replay });
          void playReplay().catch(() => undefined);
          return { ...replayStatus };
        },
      }
    : undefined;
  return {
    url,
    port,
    token: adminToken,
    oms,
    broker,
    strategies: strategyService,
    ...(driver ? { replay: { run: (control?: ReplayControl) => playReplay(control) } } : {}),
    volumeProfiles: marketData.profiles,
    journalSeq: () => journal.lastSeq(),
    journalTypesAfter: (seq) => [...journal.readFrom(seq + 1)].map((e) => e.type),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(quoteTimer);
      clearInterval(positionsTimer);
      clearInterval(operatorTimer);
      clearInterval(universeTimer);
      oms.runtime.close();
      await strategyService.close();
      await wsHub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await broker.close();
      await marketData.close();
      replay?.db.close();
      await backtests.close();
      authFailures.flush();
      journal.close();
    },
  };
}
