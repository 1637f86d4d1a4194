/**
 * ProfitDLL behind the broker port (reference/profitdll.md; PRODUCT.md §2, §5): the class that composes
 * the adapter's parts and runs the event-loop side of the session.
 *
 * Threading (§11): the DLL calls back from its own ConnectorThread. On the relay path (the default where
 * the native relay exists, relay.ts) the relay's C callbacks call the accessors there and fill a bounded
 * ring that the drain reads; login, requests and DLLFinalize run on the relay's own thread, bounded by a
 * timeout that names a call that hangs. On the direct path (fallback) koffi relays each call to the event
 * loop and blocks the DLL's thread until the JavaScript callback returns, so every callback here only
 * copies what it was given — calling the accessors inside it — into a bounded queue or a small state slot.
 * Either way the queue is drained on the event loop, where the OMS listener runs and where request
 * functions (SendOrder, Subscribe*, GetHistoryTrades, ...) are called; never from inside a callback.
 *
 * Failures never escape connect(): a missing DLL, a wrong architecture, refused credentials or an
 * unknown state code leave the port disconnected with a pt-BR / English message, and nothing is sent.
 */
import type {
  BrokerConnectionState,
  BrokerEvents,
  BrokerFill,
  BrokerOrderRequest,
  BrokerOrderUpdate,
  BrokerPort,
  BrokerSnapshot,
  BrokerTrade,
} from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import {
  type AccountIdentifier,
  type AssetIDRec,
  type AssetIdentifier,
  type OrderIdentifier,
  type ProfitDllFunctions,
  TAssetListInfoCallbackV2,
  TConnectorAccountCallback,
  TConnectorOrderCallback,
  TConnectorPriceDepthCallback,
  TConnectorTradeCallback,
  TConnectorTradingMessageResultCallback,
  BookSide,
  decodeTradingMessageResult,
} from './abi.js';
import type { BrokerDiagnosticsView } from '../../../common/types.js';
import { accountIdentifier } from './accounts.js';
import { checkLoadable, resolveLibraryPath } from './library-file.js';
import { type ProfitDllRequests, RelayKind, type RelayRecordView, type RelayStatus, resolveRelayPath } from './relay.js';
import { b3WallClockToEpochMs } from './time.js';
import { AccountDirectory, type ProfitAccount } from './accounts.js';
import { type AdapterContext, PortEvents } from './adapter-context.js';
import { notConnected, stateFileError, unknownInstrument } from './adapter-errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { type ProfitDllBrokerOptions, type ProfitDllLog, consoleLog } from './broker-options.js';
import { ConnectionState } from './connection.js';
import { type Bilingual, ProfitDllError, bilingual, bilingualText, nlError } from './errors.js';
import { HistoryDownloads } from './history-download.js';
import { MarketData, type TradeEvent } from './market-data.js';
import { OrderLedger } from './order-ledger.js';
import { type OrderReportEvent, OrderReports } from './order-reports.js';
import { OrderRouter } from './order-routing.js';
import { type PositionKind, type ProfitPosition, readPosition } from './positions.js';
import { Reconciler } from './reconciliation.js';
import { InstrumentReference } from './reference-data.js';
import { ProfitDllSession, loadProfitDll, openRelay } from './session.js';
import { b3Day } from './time.js';

/** A TConnectorTradingMessageResult, queued so it stays in order with the order reports around it. */
interface MessageResultEvent {
  k: 'message';
  localId: number;
  messageId: number;
  code: number;
  text: string;
}

type QueuedEvent = TradeEvent | OrderReportEvent | MessageResultEvent;

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_QUEUE_CAPACITY = 65_536;
/** Events handled per drain turn, and the time a turn may take, so a burst never stalls the event loop for long. */
const DRAIN_BUDGET = 20_000;
const DRAIN_BUDGET_MS = 20;
/** How often a history download the DLL stopped answering, and a DLL call that hangs, are looked for. */
const HISTORY_IDLE_CHECK_MS = 250;
const DEFAULT_RING_CAPACITY = 32_768;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** The DLL's thread inside one of the relay's callbacks (an accessor) for this long is named as hung. */
const CALLBACK_HANG_MS = 2_000;

export class ProfitDllBroker implements BrokerPort {
  readonly name = 'profitdll';

  private readonly opts: ProfitDllBrokerOptions;
  private readonly log: ProfitDllLog;
  private readonly events: PortEvents;
  private readonly session: ProfitDllSession;
  private readonly ledger: OrderLedger;
  private readonly queue: BoundedQueue<QueuedEvent>;
  private readonly connection: ConnectionState;
  private readonly reference: InstrumentReference;
  private readonly directory: AccountDirectory;
  private readonly reports: OrderReports;
  private readonly reconciler: Reconciler;
  private readonly router: OrderRouter;
  private readonly marketData: MarketData;
  private readonly history: HistoryDownloads;

  private connectPromise: Promise<void> | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private drainScheduled = false;
  /** The relay's loss counters already reported. */
  private seenLost = { trades: 0, orders: 0, other: 0 };
  private lostTotals = { trades: 0, orders: 0, other: 0 };
  private translateFailures = 0;
  private hungName: string | undefined;
  private lastTranslateFailure = '';
  private deferred: Array<() => void> = [];
  private settleWaiters: Array<() => void> = [];

  constructor(opts: ProfitDllBrokerOptions) {
    this.opts = opts;
    const log = opts.log ?? consoleLog;
    this.log = log;
    this.events = new PortEvents(log);
    this.session = new ProfitDllSession(log, () => this.schedule());
    this.ledger = new OrderLedger(opts.stateFile, b3Day(Date.now()));
    this.queue = new BoundedQueue(opts.queueCapacity ?? DEFAULT_QUEUE_CAPACITY);
    const ctx: AdapterContext = {
      opts,
      log,
      events: this.events,
      session: this.session,
      requestDrain: () => this.schedule(),
      defer: (fn) => this.defer(fn),
      sendable: () => this.sendable(),
      instrument: (symbol) => this.reference.instrument(symbol),
      persist: (write) => {
        try {
          write();
        } catch (e) {
          log('error', stateFileError(opts.stateFile, e).message);
        }
      },
    };
    this.connection = new ConnectionState(ctx, {
      routingDropped: () => this.reconciler.forgetLoadedHistory(),
      connected: () => this.onConnected(),
    });
    this.reference = new InstrumentReference(ctx, opts.instruments);
    this.directory = new AccountDirectory(ctx);
    this.reports = new OrderReports(ctx, this.ledger, this.queue);
    this.reconciler = new Reconciler(ctx, this.ledger, this.directory, this.reports);
    this.router = new OrderRouter(ctx, this.ledger, this.directory);
    this.marketData = new MarketData(ctx, this.queue);
    this.history = new HistoryDownloads(ctx);
  }

  // --- port: lifecycle -------------------------------------------------------------------------------

  setListener(events: BrokerEvents): void {
    this.events.setListener(events);
  }

  connect(): Promise<void> {
    this.connectPromise ??= this.start();
    return this.connectPromise;
  }

  isConnected(): boolean {
    return this.connection.connected;
  }

  /** The state the port last reported, for /api/health. */
  status(): BrokerConnectionState {
    return this.connection.state();
  }

  async close(): Promise<void> {
    if (this.session.phase === 'closed') return;
    const fns = this.session.close();
    clearInterval(this.keepAlive);
    this.reference.stopWaiting();
    this.releaseSettleWaiters();
    this.reconciler.releaseHistoryWaiters();
    this.history.abort();
    let finalized = true;
    if (fns) {
      this.marketData.unsubscribeAll(fns);
      finalized = await this.session.finalize(fns);
    }
    // Only now can no callback run any more: the DLL's thread is gone.
    if (finalized) this.session.release();
    this.connection.set(false, bilingual('Sessão ProfitDLL encerrada', 'ProfitDLL session closed'));
  }

  // --- port: orders -----------------------------------------------------------------------------------

  submit(order: BrokerOrderRequest): void {
    this.router.submit(order);
  }

  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void {
    this.router.replace(clientOrderId, change);
  }

  cancel(clientOrderId: string): void {
    this.router.cancel(clientOrderId);
  }

  /**
   * SendCancelAllOrdersV2 for every account this bridge has orders in (and the default account): the DLL
   * cancels all open orders of those accounts, including ones typed into Profit by hand — a kill switch.
   */
  cancelAll(): void {
    this.router.cancelAll();
  }

  /**
   * Closes the whole position in `symbol` through SendZeroPositionV2 (market when priceTicks is absent).
   * The broker picks side and quantity; reports arrive under `clientOrderId` like any other order.
   */
  zeroPosition(
    clientOrderId: string,
    symbol: string,
    opts: { account?: string; priceTicks?: number; positionType?: PositionKind } = {},
  ): void {
    this.router.zeroPosition(clientOrderId, symbol, opts);
  }

  /** Today's orders and fills as the broker reports them, after reconciling with the DLL when connected. */
  async snapshot(): Promise<BrokerSnapshot> {
    if (this.session.phase === 'running' && this.connection.connected) await this.reconciler.reconcile();
    const orders: BrokerOrderUpdate[] = [];
    const fills: BrokerFill[] = [];
    for (const e of this.ledger.entries()) {
      if (e.last) orders.push(e.last);
      fills.push(...e.fills);
    }
    return { orders, fills };
  }

  // --- port: market data -------------------------------------------------------------------------------

  subscribe(symbol: string): void {
    this.marketData.subscribe(symbol);
  }

  /**
   * Trades of [fromMs, toMs], requested one B3 day at a time (the DLL's 30-day and WIN/WDO 10-day rules,
   * §10.3). onProgress gets 0–100 over the whole range. One download runs at a time: the DLL's history
   * callbacks do not say which request they answer.
   */
  downloadHistory(
    symbol: string,
    fromMs: number,
    toMs: number,
    onProgress?: (percent: number) => void,
  ): Promise<BrokerTrade[]> {
    return this.history.download(symbol, fromMs, toMs, onProgress);
  }

  // --- ProfitDLL extras, not on the port ------------------------------------------------------------------

  accounts(): ProfitAccount[] {
    return [...this.directory.all];
  }

  /** The instrument with the DLL's reference data where it gave valid values. */
  instrument(symbol: string): Instrument | undefined {
    return this.reference.instrument(symbol);
  }

  instruments(): Instrument[] {
    return this.reference.instruments();
  }

  /** GetPositionV2 for one symbol; flat when the DLL has none (see readPosition for NL_INVALID_ARGS). */
  getPosition(symbol: string, opts: { account?: string; positionType?: PositionKind } = {}): ProfitPosition {
    const fns = this.sendable();
    if (!fns) throw notConnected();
    const inst = this.instrument(symbol);
    if (!inst) throw unknownInstrument(symbol);
    const account = this.directory.resolve(opts.account ?? '');
    if (!account) throw this.directory.unknown(opts.account ?? '');
    const tradedToday = (): boolean | undefined => {
      const { rc, orders } = this.session.enumerateOrders(accountIdentifier(account));
      if (nlError(rc, 'EnumerateAllOrders')) return undefined;
      return orders.some((o) => o.AssetID.Ticker === inst.symbol && Number(o.TradedQuantity) > 0);
    };
    return readPosition(fns, account, inst, opts.positionType, tradedToday);
  }

  /** The callback path, what it lost and what hangs, for /api/health. */
  diagnostics(): BrokerDiagnosticsView {
    const path = this.session.path ?? (resolveRelayPath(this.opts.relay) ? 'relay' : 'direct');
    const st = this.session.phase === 'running' ? this.session.relayStatus() : undefined;
    const lost = { ...this.lostTotals };
    if (st) this.foldRelayLosses(st, lost);
    const warnings: string[] = [];
    const lostCount = lost.trades + lost.orders + lost.other;
    if (lostCount > 0) {
      warnings.push(
        bilingualText(
          bilingual(
            `${lostCount} eventos da ProfitDLL perdidos por fila cheia (${lost.trades} negócios, ${lost.orders} de ordens, ${lost.other} outros); ordens relidas da DLL`,
            `${lostCount} ProfitDLL events lost to a full queue (${lost.trades} trades, ${lost.orders} order events, ${lost.other} others); orders read back from the DLL`,
          ),
        ),
      );
    }
    const hung = st ? this.hungCall(st) : undefined;
    if (hung) warnings.push(bilingualText(hung.message));
    const market = this.connection.latest(2);
    if (market === 5 || market === 6) warnings.push(this.connection.describe(2, market));
    if (this.connection.latest(1) === 2 && !this.opts.acceptRoutingConnected) warnings.push(this.connection.describe(1, 2));
    if (path === 'direct' && this.session.phase === 'running') {
      warnings.push(
        bilingualText(
          bilingual(
            'Caminho direto do koffi (sem o relay nativo): cada callback da DLL espera o event loop',
            'Direct koffi path (no native relay): every DLL callback waits for the event loop',
          ),
        ),
      );
    }
    return {
      path,
      lostEvents: lostCount,
      lostTrades: lost.trades,
      lostOrderEvents: lost.orders,
      ...(st
        ? {
            ringCapacity: st.capacity,
            ringHighWater: st.highWater,
            slowestCallbackMs: Math.round(st.slowestCallbackUs / 100) / 10,
            truncatedTexts: st.truncatedTexts,
          }
        : {}),
      ...(hung ? { hungCall: { name: hung.name, sinceMs: hung.sinceMs } } : {}),
      warnings,
    };
  }

  // --- session ----------------------------------------------------------------------------------------------

  /** The DLL when a request may be sent: the session runs and the broker is connected. */
  private sendable(): ProfitDllRequests | undefined {
    return this.connection.connected ? this.session.running() : undefined;
  }

  private async start(): Promise<void> {
    if (this.session.phase !== 'idle') return;
    const failure = this.opts.configError ?? this.openSession();
    if (failure) {
      this.session.fail();
      this.log('error', failure.message);
      this.connection.set(false, { pt: failure.pt, en: failure.en });
      return;
    }
    await new Promise<void>((resolve) => {
      const timeoutMs = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.log(
          'warn',
          bilingualText(
            bilingual(
              `Sem conexão completa após ${timeoutMs} ms; a sessão continua tentando (${this.connection.message})`,
              `No full connection after ${timeoutMs} ms; the session keeps trying (${this.connection.message})`,
            ),
          ),
        );
        done();
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.settleWaiters.push(done);
      this.checkSettled();
    });
  }

  /** Loads the DLL and starts the session — through the relay when there is one; returns the failure instead of throwing. */
  private openSession(): ProfitDllError | undefined {
    const relayPath = resolveRelayPath(this.opts.relay);
    if (!relayPath) {
      const off = this.opts.relay === 'off';
      this.log(
        'warn',
        bilingualText(
          bilingual(
            `${off ? 'Relay nativo de callbacks desligado (BLACKBOX_PROFITDLL_RELAY=off)' : 'Relay nativo de callbacks não encontrado (npm run build:native)'}: usando o caminho direto do koffi, em que cada callback da ProfitDLL espera o event loop`,
            `${off ? 'Native callback relay switched off (BLACKBOX_PROFITDLL_RELAY=off)' : 'Native callback relay not found (npm run build:native)'}: using the direct koffi path, where every ProfitDLL callback waits for the event loop`,
          ),
        ),
      );
      return this.openDirectSession();
    }
    let dllPath: string;
    try {
      dllPath = resolveLibraryPath(this.opts.dllPath);
      checkLoadable(dllPath);
    } catch (e) {
      return e as ProfitDllError;
    }
    let relay: ReturnType<typeof openRelay>;
    try {
      relay = openRelay(relayPath);
    } catch (e) {
      // The relay itself will not load (a damaged file, a missing runtime): the direct path still works.
      this.log(
        'warn',
        bilingualText(
          bilingual(
            `${(e as ProfitDllError).pt}; usando o caminho direto do koffi, em que cada callback da ProfitDLL espera o event loop`,
            `${(e as ProfitDllError).en}; using the direct koffi path, where every ProfitDLL callback waits for the event loop`,
          ),
        ),
      );
      return this.openDirectSession();
    }
    try {
      this.ledger.load();
    } catch (e) {
      return stateFileError(this.opts.stateFile, e);
    }
    const loginFailure = this.session.loginThroughRelay(
      relay,
      dllPath,
      this.opts.credentials,
      () => this.schedule(),
      this.opts.relayRingCapacity ?? DEFAULT_RING_CAPACITY,
      this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    if (loginFailure) return loginFailure;
    this.log('info', `ProfitDLL: relay nativo / native relay ${relayPath}`);
    this.startSession();
    const fns = this.session.running();
    if (fns) this.marketData.activateAll(fns);
    return undefined;
  }

  private startSession(): void {
    this.keepAlive = setInterval(() => {
      this.history.expireIdle();
      this.watchRelay();
    }, HISTORY_IDLE_CHECK_MS);
    this.connection.set(false, bilingual('Conectando à ProfitDLL', 'Connecting to ProfitDLL'));
  }

  private openDirectSession(): ProfitDllError | undefined {
    let fns: ProfitDllFunctions;
    try {
      fns = loadProfitDll(this.opts.dllPath);
      this.ledger.load();
    } catch (e) {
      return e instanceof ProfitDllError ? e : stateFileError(this.opts.stateFile, e);
    }
    const loginFailure = this.session.login(fns, this.opts.credentials, {
      state: (type: number, result: number) => this.connection.onStateCallback(type, result),
      account: () => this.directory.onAccountCallback(),
      progress: (asset: AssetIDRec, percent: number) => this.history.onProgress(asset, percent),
    });
    if (loginFailure) return loginFailure;
    this.startSession();

    // Registered right after init, before waiting for the connection (§3.2).
    const s = this.session;
    s.listen(fns.SetOrderCallback, 'SetOrderCallback', TConnectorOrderCallback, (id: OrderIdentifier) => this.reports.onOrder(fns, id));
    s.listen(fns.SetOrderHistoryCallback, 'SetOrderHistoryCallback', TConnectorAccountCallback, (acc: AccountIdentifier) =>
      this.reconciler.onOrderHistoryLoaded(acc),
    );
    s.listen(fns.SetTradeCallbackV2, 'SetTradeCallbackV2', TConnectorTradeCallback, (asset: AssetIdentifier, trade: unknown, flags: number) =>
      this.marketData.onTrade(asset, trade, flags),
    );
    s.listen(fns.SetHistoryTradeCallbackV2, 'SetHistoryTradeCallbackV2', TConnectorTradeCallback, (_asset: AssetIdentifier, trade: unknown) =>
      this.history.onHistoryTrade(trade),
    );
    s.listen(
      fns.SetPriceDepthCallback,
      'SetPriceDepthCallback',
      TConnectorPriceDepthCallback,
      (asset: AssetIdentifier, side: number, _position: number, updateType: number) => this.marketData.onDepth(fns, asset, side, updateType),
    );
    s.listen(
      fns.SetAssetListInfoCallbackV2,
      'SetAssetListInfoCallbackV2',
      TAssetListInfoCallbackV2,
      (asset: AssetIDRec, _n: unknown, _d: unknown, minQty: number | bigint, maxQty: number | bigint, lot: number | bigint, _t: number, _s: number, tick: number, multiplier: number) =>
        this.reference.onAssetInfo(asset, minQty, maxQty, lot, tick, multiplier),
    );
    if (fns.SetTradingMessageResultCallback) {
      s.listen(fns.SetTradingMessageResultCallback, 'SetTradingMessageResultCallback', TConnectorTradingMessageResultCallback, (p: unknown) => {
        const m = decodeTradingMessageResult(p);
        this.queueMessage(Number(m.OrderID.LocalOrderID), Number(m.MessageID), m.ResultCode, m.Message ?? '');
      });
    }
    this.marketData.activateAll(fns);
    return undefined;
  }

  private onConnected(): void {
    this.directory.refresh();
    const fns = this.session.running();
    if (fns) this.reference.request(fns, () => this.checkSettled());
    void this.reconciler.reconcile();
  }

  /** connect() returns once connected with the reference data in, or once the session cannot get there. */
  private checkSettled(): void {
    if (!this.settleWaiters.length) return;
    const settled =
      this.session.phase !== 'running' || this.connection.failedForGood() || (this.connection.connected && !this.reference.awaitingInfo());
    if (settled) this.releaseSettleWaiters();
  }

  private releaseSettleWaiters(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }

  // --- the event loop side ------------------------------------------------------------------------------------

  private schedule(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  private defer(fn: () => void): void {
    this.deferred.push(fn);
    this.schedule();
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.session.phase === 'closed') return;
    this.drainRelay();
    for (const m of this.session.takeCallbackFailures()) this.log('error', `callback: ${m}`);
    this.connection.update();
    if (this.directory.stale && this.connection.connected) this.directory.refresh();
    this.reference.merge();
    const deadline = performance.now() + DRAIN_BUDGET_MS;
    for (let budget = DRAIN_BUDGET; budget > 0; budget--) {
      if ((budget & 255) === 0 && performance.now() > deadline) break;
      const ev = this.queue.shift();
      if (!ev) break;
      if (ev.k === 'trade') this.marketData.emitTrade(ev);
      else if (ev.k === 'message') this.router.onMessageResult(ev.localId, ev.messageId, ev.code, ev.text);
      else this.reports.handle(ev);
    }
    if (this.queue.length > 0) this.schedule();
    const deferred = this.deferred;
    this.deferred = [];
    for (const fn of deferred) fn();
    this.marketData.flushBooks();
    this.marketData.reportDroppedTrades();
    this.history.advance();
    this.reconciler.releaseWaitersIfHistoryLoaded();
    if (this.connection.connected && this.reports.takeLostEvents()) this.reconciler.resyncAfterLostEvents();
    this.checkSettled();
  }

  private queueMessage(localId: number, messageId: number, code: number, text: string): void {
    if (!this.queue.push({ k: 'message', localId, messageId, code, text })) this.reports.noteLostEvents();
    this.schedule();
  }

  // --- the relay path -----------------------------------------------------------------------------------------

  /** Decodes what the relay's callbacks copied, into the same handlers the direct path's callbacks feed. */
  private drainRelay(): void {
    const relay = this.session.relay;
    if (!relay || this.session.phase !== 'running') return;
    // No more than the queue can take: what stays in the ring waits there (the relay counts real losses).
    const room = Math.min(DRAIN_BUDGET, this.queue.capacity - this.queue.length);
    const n = room > 0 ? relay.drain(room, (r) => this.dispatch(r)) : 0;
    if (n === room) this.schedule();
    const st = relay.status();
    const before = { ...this.lostTotals };
    this.foldRelayLosses(st, this.lostTotals, true);
    const trades = this.lostTotals.trades - before.trades;
    const orders = this.lostTotals.orders - before.orders;
    const other = this.lostTotals.other - before.other;
    if (trades) this.marketData.noteDroppedTrades(trades);
    if (orders) {
      this.log('error', bilingualText(bilingual(`${orders} eventos de ordem perdidos no anel do relay`, `${orders} order events lost in the relay's ring`)));
      this.reports.noteLostEvents();
    }
    if (other) {
      this.log('error', bilingualText(bilingual(`${other} eventos de estado/cadastro perdidos no anel do relay; estados relidos`, `${other} state/reference events lost in the relay's ring; states read again`)));
      st.latestState.forEach((result, type) => {
        if (result >= 0) this.connection.onStateCallback(type, result);
      });
    }
    if (this.translateFailures) {
      const times = this.translateFailures > 1 ? ` (${this.translateFailures}×)` : '';
      this.log('error', `callback: ${this.lastTranslateFailure}${times}`);
      this.translateFailures = 0;
    }
  }

  /** Adds what the relay lost since the last fold to `into` (and remembers it as seen when `consume`). */
  private foldRelayLosses(st: RelayStatus, into: { trades: number; orders: number; other: number }, consume = false): void {
    const now = { trades: st.lostTrades, orders: st.lostOrders, other: st.lostOther };
    into.trades += Math.max(0, now.trades - this.seenLost.trades);
    into.orders += Math.max(0, now.orders - this.seenLost.orders);
    into.other += Math.max(0, now.other - this.seenLost.other);
    if (consume) this.seenLost = now;
  }

  private dispatch(r: RelayRecordView): void {
    switch (r.kind) {
      case RelayKind.STATE:
        return this.connection.onStateCallback(r.i(0), r.i(1));
      case RelayKind.ACCOUNT:
        return this.directory.onAccountCallback();
      case RelayKind.PROGRESS:
        return this.history.onProgress({ pwcTicker: r.ticker, pwcBolsa: null, nFeed: 0 }, r.i(0));
      case RelayKind.ORDER: {
        const err = nlError(r.code, 'GetOrderDetails');
        const time = { wYear: r.time(0), wMonth: r.time(1), wDayOfWeek: r.time(2), wDay: r.time(3), wHour: r.time(4), wMinute: r.time(5), wSecond: r.time(6), wMilliseconds: r.time(7) };
        return this.reports.onOrderRead(
          r.q(0),
          r.id,
          err ?? { status: r.i(0), qty: r.q(1), traded: r.q(2), avgPrice: r.d(1), price: r.d(0), side: r.i(1), text: r.text, time },
        );
      }
      case RelayKind.HISTORY_LOADED:
        return this.reconciler.onOrderHistoryLoaded({ Version: 0, BrokerID: 0, AccountID: r.id, SubAccountID: null, Reserved: 0 });
      case RelayKind.TRADE:
      case RelayKind.HISTORY_TRADE: {
        const err = nlError(r.code, 'TranslateTrade');
        if (err) {
          this.translateFailures++;
          this.lastTranslateFailure = err.message;
          return;
        }
        const timeMs = b3WallClockToEpochMs(r.time(0), r.time(1), r.time(3), r.time(4), r.time(5), r.time(6), r.time(7));
        if (r.kind === RelayKind.TRADE) return this.marketData.onTradeRead(r.ticker, r.d(0), r.q(0), r.i(0), timeMs ?? Date.now(), r.i(1));
        return this.history.onHistoryTradeRead(r.d(0), r.q(0), r.i(0), timeMs ?? 0);
      }
      case RelayKind.BOOK:
        if (r.code) {
          this.translateFailures++;
          this.lastTranslateFailure = nlError(r.code, 'GetPriceGroup')?.message ?? '';
        }
        if (r.i(0) & 1) this.marketData.onTopRead(r.ticker, BookSide.bsBuy, r.i(1) ? r.d(0) : undefined, r.q(0));
        if (r.i(0) & 2) this.marketData.onTopRead(r.ticker, BookSide.bsSell, r.i(2) ? r.d(1) : undefined, r.q(1));
        return;
      case RelayKind.ASSET_INFO:
        return this.reference.onAssetInfo({ pwcTicker: r.ticker, pwcBolsa: null, nFeed: 0 }, r.q(0), r.q(1), r.q(2), r.d(0), r.d(1));
      case RelayKind.MESSAGE_RESULT:
        return this.queueMessage(r.q(0), r.q(1), r.i(1), r.text);
      case RelayKind.LATE_RESULT:
        return this.router.onLateResult(r.text, r.q(0), r.q(1));
    }
  }

  /** A request that does not return, or the DLL's thread stuck inside a callback, by name. */
  private hungCall(st: RelayStatus): { name: string; sinceMs: number; message: Bilingual } | undefined {
    const timeoutMs = this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (st.requestHung || st.requestBusyMs > timeoutMs) {
      return {
        name: st.requestName,
        sinceMs: st.requestBusyMs,
        message: bilingual(
          `ProfitDLL não responde: ${st.requestName} sem retorno há mais de ${timeoutMs} ms; nada mais é enviado até ela voltar`,
          `ProfitDLL is not answering: ${st.requestName} has not returned for over ${timeoutMs} ms; nothing more is sent until it does`,
        ),
      };
    }
    if (st.callbackBusyMs > CALLBACK_HANG_MS) {
      return {
        name: st.callbackName,
        sinceMs: st.callbackBusyMs,
        message: bilingual(
          `ProfitDLL travada: a thread da DLL está em ${st.callbackName} há mais de ${CALLBACK_HANG_MS} ms; market data e relatórios de ordem parados`,
          `ProfitDLL stuck: the DLL's thread has been in ${st.callbackName} for over ${CALLBACK_HANG_MS} ms; market data and order reports stopped`,
        ),
      };
    }
    return undefined;
  }

  /** Called periodically: a hung DLL call blocks the connection (the OMS pauses) until it returns. */
  private watchRelay(): void {
    if (this.session.phase !== 'running' || !this.session.relay) return;
    const hung = this.hungCall(this.session.relay.status());
    if (hung?.name !== this.hungName) {
      this.hungName = hung?.name;
      if (hung) this.log('error', bilingualText(hung.message));
      else this.log('info', bilingualText(bilingual('ProfitDLL voltou a responder', 'ProfitDLL answers again')));
    }
    this.connection.block(hung?.message);
  }
}

export function createProfitDllBroker(opts: ProfitDllBrokerOptions): ProfitDllBroker {
  return new ProfitDllBroker(opts);
}
