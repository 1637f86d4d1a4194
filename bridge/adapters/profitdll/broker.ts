/**
 * ProfitDLL behind the broker port (reference/profitdll.md; PRODUCT.md §2, §5): the class that composes
 * the adapter's parts and runs the event-loop side of the session.
 *
 * Threading (§11): the DLL calls back from its own ConnectorThread; koffi relays each call to the event
 * loop and blocks that thread until the JavaScript callback returns. So every callback here only copies
 * what it was given — calling the accessors the DLL requires inside the callback (GetOrderDetails,
 * TranslateTrade, GetPriceGroup) — into a bounded queue or a small state slot, and returns. The queue is
 * drained on the event loop, where the OMS listener runs and where request functions (SendOrder,
 * Subscribe*, GetHistoryTrades, ...) may be called; they are never called from inside a callback.
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
} from './abi.js';
import { AccountDirectory, type ProfitAccount } from './accounts.js';
import { type AdapterContext, PortEvents } from './adapter-context.js';
import { notConnected, stateFileError, unknownInstrument } from './adapter-errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { type ProfitDllBrokerOptions, type ProfitDllLog, consoleLog } from './broker-options.js';
import { ConnectionState } from './connection.js';
import { ProfitDllError, bilingual, bilingualText } from './errors.js';
import { HistoryDownloads } from './history-download.js';
import { MarketData, type TradeEvent } from './market-data.js';
import { OrderLedger } from './order-ledger.js';
import { type OrderReportEvent, OrderReports } from './order-reports.js';
import { OrderRouter } from './order-routing.js';
import { type PositionKind, type ProfitPosition, readPosition } from './positions.js';
import { Reconciler } from './reconciliation.js';
import { InstrumentReference } from './reference-data.js';
import { ProfitDllSession, loadProfitDll } from './session.js';
import { b3Day } from './time.js';

type QueuedEvent = TradeEvent | OrderReportEvent;

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_QUEUE_CAPACITY = 65_536;
/** Events handled per drain turn, so a burst never stalls the event loop for long. */
const DRAIN_BUDGET = 20_000;
/** How often a history download the DLL stopped answering is looked for. */
const HISTORY_IDLE_CHECK_MS = 250;

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

  /** GetPositionV2 for one symbol; a flat position when the DLL has none (NL_NO_POSITION). */
  getPosition(symbol: string, opts: { account?: string; positionType?: PositionKind } = {}): ProfitPosition {
    const fns = this.sendable();
    if (!fns) throw notConnected();
    const inst = this.instrument(symbol);
    if (!inst) throw unknownInstrument(symbol);
    const account = this.directory.resolve(opts.account ?? '');
    if (!account) throw this.directory.unknown(opts.account ?? '');
    return readPosition(fns, account, inst, opts.positionType);
  }

  // --- session ----------------------------------------------------------------------------------------------

  /** The DLL when a request may be sent: the session runs and the broker is connected. */
  private sendable(): ProfitDllFunctions | undefined {
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

  /** Loads the DLL and starts the session; returns the failure instead of throwing. */
  private openSession(): ProfitDllError | undefined {
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
    this.keepAlive = setInterval(() => this.history.expireIdle(), HISTORY_IDLE_CHECK_MS);
    this.connection.set(false, bilingual('Conectando à ProfitDLL', 'Connecting to ProfitDLL'));

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
    for (const m of this.session.takeCallbackFailures()) this.log('error', `callback: ${m}`);
    this.connection.update();
    if (this.directory.stale && this.connection.connected) this.directory.refresh();
    this.reference.merge();
    for (let budget = DRAIN_BUDGET; budget > 0; budget--) {
      const ev = this.queue.shift();
      if (!ev) break;
      if (ev.k === 'trade') this.marketData.emitTrade(ev);
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
}

export function createProfitDllBroker(opts: ProfitDllBrokerOptions): ProfitDllBroker {
  return new ProfitDllBroker(opts);
}
