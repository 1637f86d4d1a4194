/**
 * ProfitDLL behind the broker port (reference/profitdll.md; PRODUCT.md §2, §5).
 *
 * Threading (§11): the DLL calls back from its own ConnectorThread; koffi relays each call to the event
 * loop and blocks that thread until the JavaScript callback returns. So every callback here only copies
 * what it was given — calling the accessors the DLL requires inside the callback (GetOrderDetails,
 * TranslateTrade, GetPriceGroup) — into a bounded queue or a small state slot, and returns. The queue is
 * drained on the event loop, where the OMS listener runs and where request functions (SendOrder,
 * Subscribe*, GetHistoryTrades, ...) may be called; they are never called from inside a callback.
 * DLLFinalize, which waits for the ConnectorThread, runs through koffi's asynchronous form so the loop
 * stays free to finish relaying the callbacks in flight. Registered callbacks outlive the session and are
 * unregistered only after DLLFinalize has returned.
 *
 * Failures never escape connect(): a missing DLL, a wrong architecture, refused credentials or an
 * unknown state code leave the port disconnected with a pt-BR / English message, and nothing is sent.
 */
import koffi from 'koffi';
import type { Side } from '../../../common/types.js';
import type {
  BrokerBook,
  BrokerConnectionState,
  BrokerEvents,
  BrokerFill,
  BrokerOrderRequest,
  BrokerOrderStatus,
  BrokerOrderUpdate,
  BrokerPort,
  BrokerSnapshot,
  BrokerTrade,
} from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import {
  ACCOUNT_IDENTIFIER_OUT_SIZE,
  type AccountIdentifier,
  type AssetIDRec,
  type AssetIdentifier,
  BookSide,
  type ConnectorOrder,
  type KoffiType,
  type OrderIdentifier,
  type OrderOut,
  OrderSide,
  OrderStatus,
  OrderType,
  PositionType,
  type PriceGroup,
  type ProfitDllFunctions,
  type RegisteredCallback,
  type SystemTime,
  TAccountCallback,
  TAssetListInfoCallbackV2,
  TConnectorAccountCallback,
  TConnectorOrderCallback,
  TConnectorPriceDepthCallback,
  TConnectorTradeCallback,
  TProgressCallback,
  TStateCallback,
  TradeFlags,
  TradeReader,
  TradeType,
  type TradingAccountOut,
  type TradingAccountPosition,
  UpdateType,
  bindProfitDll,
  decodeAccountIdentifierOut,
  decodeConnectorOrder,
  decodeOutString,
} from './abi.js';
import { BoundedQueue } from './bounded-queue.js';
import type { ProfitCredentials } from './credentials.js';
import {
  type AdapterErrorName,
  type Bilingual,
  NL,
  NL_OK,
  ProfitDllError,
  bilingual,
  bilingualText,
  nlError,
} from './errors.js';
import { checkLoadable, resolveLibraryPath } from './library-file.js';
import { OrderLedger, type LedgerEntry, fillBetween } from './order-ledger.js';
import { ConnectionTracker } from './states.js';
import { b3Day, b3WallClockToEpochMs, formatHistoryDate, splitByB3Day, systemTimeToEpochMs } from './time.js';

export type ProfitDllLogLevel = 'info' | 'warn' | 'error';

export interface ProfitDllBrokerOptions {
  /** The DLL file, or a folder holding ProfitDLL64.dll / ProfitDLL.dll (libprofitdll.so for the stand-in). */
  dllPath: string;
  credentials: ProfitCredentials;
  /** The bridge's instrument table; the DLL's asset information overrides lot, tick and multiplier. */
  instruments: Instrument[];
  /** Account for orders whose `account` is empty; when unset, the only account of the login. */
  account?: string;
  log?: (level: ProfitDllLogLevel, msg: string) => void;
  /**
   * JSON-lines file where the adapter writes which broker order belongs to which clientOrderId, and the
   * fills it reported. Without it, orders sent before a process restart cannot be reconciled.
   */
  stateFile?: string;
  /** How long connect() waits for the connected state (default 30 s); the session keeps trying after. */
  connectTimeoutMs?: number;
  /** Capacity of the callback queue (default 65,536 events). */
  queueCapacity?: number;
  /** A history download with no callback for this long fails (default 60 s). */
  historyIdleTimeoutMs?: number;
  /**
   * A configuration problem found before the broker existed (missing credentials, no DLL path): connect()
   * reports it and stays disconnected, so the bridge runs and shows why.
   */
  configError?: ProfitDllError;
}

export interface ProfitAccount {
  brokerId: number;
  brokerName: string;
  accountId: string;
  subAccountId: string;
  holder: string;
  subHolder: string;
  /** AccountFlags bits (CA_IS_SUB_ACCOUNT, CA_IS_ENABLED). */
  flags: number;
  /** TConnectorAccountType: 0 owner, 1 assessor, 2 master, 3 sub-account, … (§7). */
  accountType: number;
  /** How BrokerOrderRequest.account names it: the account id, or "account/subaccount". */
  key: string;
}

export interface ProfitPosition {
  account: string;
  symbol: string;
  /** Signed: positive long, negative short. */
  qty: number;
  avgPrice: number;
  dailyBuyQty: number;
  dailyBuyAvgPrice: number;
  dailySellQty: number;
  dailySellAvgPrice: number;
}

type PositionKind = 'daytrade' | 'consolidated';

/** What an order report says, copied inside the order callback. */
interface OrderFacts {
  status: number;
  qty: number;
  traded: number;
  avgPrice: number;
  price: number;
  side: number;
  text: string;
  time: SystemTime;
}

type QueuedEvent =
  | { k: 'trade'; symbol: string; price: number; qty: number; tradeType: number; timeMs: number }
  | { k: 'order'; localId: number; clOrdId: string; facts: OrderFacts }
  | { k: 'orderError'; localId: number; error: ProfitDllError };

interface RawTrade {
  price: number;
  qty: number;
  tradeType: number;
  timeMs: number;
}

interface ActiveDownload {
  ticker: string;
  raw: RawTrade[];
  progress: number;
  reported: number;
  lastActivityMs: number;
  report: (progress: number) => void;
  resolve: (raw: RawTrade[]) => void;
  reject: (e: Error) => void;
}

interface AssetInfo {
  minQty: number;
  maxQty: number;
  lot: number;
  tick: number;
  multiplier: number;
}

interface SideTop {
  price?: number;
  qty?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_QUEUE_CAPACITY = 65_536;
const DEFAULT_HISTORY_IDLE_MS = 60_000;
/** Events handled per drain turn, so a burst never stalls the event loop for long. */
const DRAIN_BUDGET = 20_000;
const RECONCILE_WAIT_MS = 5_000;
const INSTRUMENT_INFO_WAIT_MS = 3_000;
const FINALIZE_TIMEOUT_MS = 15_000;
const TICK_MS = 250;

type Phase = 'idle' | 'running' | 'failed' | 'closed';

const PENDING_STATUSES: ReadonlySet<number> = new Set([
  OrderStatus.cosPendingNew,
  OrderStatus.cosReceived,
  OrderStatus.cosHadesCreated,
  OrderStatus.cosBrokerSent,
  OrderStatus.cosClientCreated,
  OrderStatus.cosDelayFixGateway,
  OrderStatus.cosScheduledOrder,
]);
const WORKING_STATUSES: ReadonlySet<number> = new Set([
  OrderStatus.cosNew,
  OrderStatus.cosReplaced,
  OrderStatus.cosPendingCancel,
  OrderStatus.cosPendingReplace,
  OrderStatus.cosStopped,
  OrderStatus.cosSuspended,
  OrderStatus.cosCalculated,
  OrderStatus.cosAcceptedForBidding,
]);
const TERMINAL_STATUSES: ReadonlyMap<number, BrokerOrderStatus> = new Map<number, BrokerOrderStatus>([
  [OrderStatus.cosFilled, 'filled'],
  [OrderStatus.cosDoneForDay, 'expired'],
  [OrderStatus.cosExpired, 'expired'],
  [OrderStatus.cosPartiallyFilledExpired, 'expired'],
  [OrderStatus.cosCanceled, 'canceled'],
  [OrderStatus.cosPartiallyFilledCanceled, 'canceled'],
  [OrderStatus.cosCanceledByAdmin, 'canceled'],
  [OrderStatus.cosRejected, 'rejected'],
  [OrderStatus.cosPartiallyFilledRejected, 'rejected'],
  [OrderStatus.cosOrderNotCreated, 'rejected'],
]);

/**
 * The port status of a ProfitDLL order status (§7). 'pending' = routing acknowledgements before the
 * market accepted the order (more of them since 4.0.0.41): not reported, the OMS waits for the real ack.
 * 'unknown' = cosUnknown or a code this binding does not know.
 */
export function mapOrderStatus(status: number, traded: number): BrokerOrderStatus | 'pending' | 'unknown' {
  if (status === OrderStatus.cosPartiallyFilled) return 'partially_filled';
  const terminal = TERMINAL_STATUSES.get(status);
  if (terminal) return terminal;
  if (WORKING_STATUSES.has(status)) return traded > 0 ? 'partially_filled' : 'new';
  if (PENDING_STATUSES.has(status)) return traded > 0 ? 'partially_filled' : 'pending';
  return 'unknown';
}

function adapterError(code: AdapterErrorName, pt: string, en: string): ProfitDllError {
  return new ProfitDllError(code, bilingual(pt, en));
}

const NOT_CONNECTED = (): ProfitDllError =>
  adapterError(
    'NOT_CONNECTED',
    'Não conectado à corretora pela ProfitDLL: nada foi enviado',
    'Not connected to the broker through ProfitDLL: nothing was sent',
  );

function exchangeOf(inst: Instrument): string {
  return inst.kind === 'future' ? 'F' : 'B';
}

function toTicks(inst: Instrument, price: number): number {
  return Math.round((price * 100) / inst.tickHundredths);
}

function toPrice(inst: Instrument, ticks: number): number {
  return (ticks * inst.tickHundredths) / 100;
}

function sideOf(code: number): Side {
  return code === OrderSide.cosSell ? 'sell' : 'buy';
}

function aggressorOf(tradeType: number): Side | undefined {
  return tradeType === TradeType.ttBuyAgressor ? 'buy' : tradeType === TradeType.ttSellAgressor ? 'sell' : undefined;
}

function tradeTimeMs(t: TradeReader): number | undefined {
  return b3WallClockToEpochMs(
    t.dateField('wYear'),
    t.dateField('wMonth'),
    t.dateField('wDay'),
    t.dateField('wHour'),
    t.dateField('wMinute'),
    t.dateField('wSecond'),
    t.dateField('wMilliseconds'),
  );
}

function sameUpdate(a: BrokerOrderUpdate | undefined, b: BrokerOrderUpdate): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.qty === b.qty &&
    a.filledQty === b.filledQty &&
    a.priceTicks === b.priceTicks &&
    a.brokerOrderId === b.brokerOrderId &&
    a.reason === b.reason
  );
}

/** koffi.alloc'd UTF-16 buffers for the two-call accessors, grown on demand and kept for the session. */
class OutBuffers {
  private readonly slots = new Map<string, { ptr: unknown; units: number }>();

  get(slot: string, units: number): unknown {
    const have = this.slots.get(slot);
    if (have && have.units >= units) return have.ptr;
    if (have) koffi.free(have.ptr);
    const size = Math.max(32, units);
    const ptr = koffi.alloc('char16_t', size);
    this.slots.set(slot, { ptr, units: size });
    return ptr;
  }

  freeAll(): void {
    for (const { ptr } of this.slots.values()) koffi.free(ptr);
    this.slots.clear();
  }
}

export class ProfitDllBroker implements BrokerPort {
  readonly name = 'profitdll';

  private readonly opts: ProfitDllBrokerOptions;
  private readonly log: (level: ProfitDllLogLevel, msg: string) => void;
  private readonly baseInstruments = new Map<string, Instrument>();
  private readonly merged = new Map<string, Instrument>();
  private readonly ledger: OrderLedger;
  private readonly tracker = new ConnectionTracker();
  private readonly queue: BoundedQueue<QueuedEvent>;
  private readonly buffers = new OutBuffers();

  private phase: Phase = 'idle';
  private fns: ProfitDllFunctions | undefined;
  private registered: RegisteredCallback[] = [];
  private listener: BrokerEvents | undefined;
  private connectPromise: Promise<void> | undefined;
  private connected = false;
  private message = bilingualText(bilingual('Não conectado', 'Not connected'));
  private seenDrops = 0;
  private seenRoutingDrops = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private drainScheduled = false;
  private deferred: Array<() => void> = [];

  // Filled by callbacks, read by the drain.
  private stateDirty = false;
  private accountsDirty = false;
  private droppedTrades = 0;
  private resyncNeeded = false;
  private callbackFailures: string[] = [];
  private readonly assetInfo = new Map<string, AssetInfo>();
  private readonly historyLoaded = new Set<string>();
  private readonly tops = new Map<string, { bid: SideTop; ask: SideTop }>();
  private readonly dirtyBooks = new Set<string>();
  private readonly depthBursts = new Set<string>();
  private download: ActiveDownload | undefined;

  private accountList: ProfitAccount[] = [];
  private readonly subscribed = new Set<string>();
  private readonly foreignOrders = new Set<string>();
  private readonly invalidInfoLogged = new Set<string>();
  private pendingInfo = new Set<string>();
  private infoRequested = false;
  private infoTimer: NodeJS.Timeout | undefined;
  private settleWaiters: Array<() => void> = [];
  private historyWaiters: Array<() => void> = [];
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private historyChain: Promise<unknown> = Promise.resolve();

  // Records reused by the callbacks, so the hot paths allocate as little as possible.
  private tradeReader: TradeReader | undefined;
  private readonly priceGroup = { Version: 0 } as PriceGroup;

  constructor(opts: ProfitDllBrokerOptions) {
    this.opts = opts;
    this.log = opts.log ?? defaultLog;
    for (const inst of opts.instruments) {
      this.baseInstruments.set(inst.symbol.toUpperCase(), inst);
      this.merged.set(inst.symbol.toUpperCase(), inst);
    }
    this.ledger = new OrderLedger(opts.stateFile, b3Day(Date.now()));
    this.queue = new BoundedQueue(opts.queueCapacity ?? DEFAULT_QUEUE_CAPACITY);
  }

  // --- port: lifecycle -------------------------------------------------------------------------------

  setListener(events: BrokerEvents): void {
    this.listener = events;
  }

  connect(): Promise<void> {
    this.connectPromise ??= this.start();
    return this.connectPromise;
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** The state the port last reported, for /api/health. */
  status(): BrokerConnectionState {
    return { connected: this.connected, message: this.message };
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    const running = this.phase === 'running';
    this.phase = 'closed';
    clearInterval(this.keepAlive);
    clearTimeout(this.infoTimer);
    this.releaseWaiters();
    const dl = this.download;
    this.download = undefined;
    dl?.reject(adapterError('SESSION_CLOSED', 'Sessão ProfitDLL encerrada', 'ProfitDLL session closed'));
    let finalized = !running;
    if (running && this.fns) {
      this.unsubscribeAll(this.fns);
      finalized = await this.finalize(this.fns);
    }
    if (finalized) {
      // Only now can no callback run any more: the DLL's thread is gone.
      for (const cb of this.registered) koffi.unregister(cb);
      this.registered = [];
      this.buffers.freeAll();
    }
    this.setConnection(false, bilingual('Sessão ProfitDLL encerrada', 'ProfitDLL session closed'));
  }

  // --- port: orders -----------------------------------------------------------------------------------

  submit(order: BrokerOrderRequest): void {
    const cid = order.clientOrderId;
    if (this.ledger.has(cid)) {
      this.refuseDuplicate(cid);
      return;
    }
    const reject = (e: ProfitDllError): void => this.rejectLocally(cid, e, order.qty, order.priceTicks);
    const fns = this.sendable();
    if (!fns) return reject(NOT_CONNECTED());
    const inst = this.instrument(order.symbol);
    if (!inst) return reject(this.unknownInstrument(order.symbol));
    const account = this.resolveAccount(order.account);
    if (!account) return reject(this.unknownAccount(order.account));
    if (!Number.isSafeInteger(order.qty) || order.qty <= 0 || (order.priceTicks !== undefined && !(Number.isSafeInteger(order.priceTicks) && order.priceTicks > 0))) {
      return reject(
        adapterError(
          'INVALID_ORDER',
          `Ordem inválida: quantidade ${order.qty}, preço ${order.priceTicks ?? 'a mercado'} ticks`,
          `Invalid order: quantity ${order.qty}, price ${order.priceTicks ?? 'market'} ticks`,
        ),
      );
    }
    try {
      this.ledger.recordSent({
        clientOrderId: cid,
        account: account.key,
        symbol: inst.symbol,
        side: order.side,
        qty: order.qty,
        ...(order.priceTicks !== undefined ? { priceTicks: order.priceTicks } : {}),
        sentAtMs: Date.now(),
      });
    } catch (e) {
      // Without the record a restart could not tell this order apart: better not to send it.
      this.markFinal(cid);
      return reject(this.stateFileError(e));
    }
    const market = order.priceTicks === undefined;
    const result = fns.SendOrder({
      Version: 2,
      AccountID: this.accountIdentifier(account),
      AssetID: this.assetIdentifier(inst),
      Password: this.routingPassword(),
      OrderType: market ? OrderType.cotMarket : OrderType.cotLimit,
      OrderSide: order.side === 'buy' ? OrderSide.cosBuy : OrderSide.cosSell,
      Price: market ? -1 : toPrice(inst, order.priceTicks!),
      StopPrice: -1,
      Quantity: order.qty,
      MessageID: -1,
    });
    const err = nlError(result, 'SendOrder');
    if (err) {
      this.markFinal(cid);
      return reject(err);
    }
    this.ledger.bindLocal(cid, Number(result));
  }

  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void {
    const e = this.knownOrder(clientOrderId, 'replace');
    if (!e) return;
    const fns = this.sendable();
    if (!fns) return this.refuse(e, NOT_CONNECTED());
    const inst = this.instrument(e.symbol);
    const account = this.resolveAccount(e.account);
    const qty = change.qty ?? e.last?.qty ?? e.qty;
    const priceTicks = change.priceTicks ?? e.priceTicks;
    if (!inst || !account || priceTicks === undefined || !Number.isSafeInteger(qty) || qty <= 0) {
      return this.refuse(
        e,
        adapterError(
          'INVALID_ORDER',
          'Alteração inválida: ordens a mercado não têm preço para alterar, e a quantidade deve ser positiva',
          'Invalid change: market orders have no price to change, and the quantity must be positive',
        ),
      );
    }
    const err = nlError(
      fns.SendChangeOrderV2({
        Version: 1,
        AccountID: this.accountIdentifier(account),
        OrderID: this.orderIdentifier(e),
        Password: this.routingPassword(),
        Price: toPrice(inst, priceTicks),
        StopPrice: -1,
        Quantity: qty,
        MessageID: -1,
      }),
      'SendChangeOrderV2',
    );
    if (err) this.refuse(e, err);
    else e.changePending = true;
  }

  cancel(clientOrderId: string): void {
    const e = this.knownOrder(clientOrderId, 'cancel');
    if (!e) return;
    const fns = this.sendable();
    if (!fns) return this.refuse(e, NOT_CONNECTED());
    const account = this.resolveAccount(e.account);
    if (!account) return this.refuse(e, this.unknownAccount(e.account));
    const err = nlError(
      fns.SendCancelOrderV2({
        Version: 1,
        AccountID: this.accountIdentifier(account),
        OrderID: this.orderIdentifier(e),
        Password: this.routingPassword(),
        MessageID: -1,
      }),
      'SendCancelOrderV2',
    );
    if (err) this.refuse(e, err);
  }

  /**
   * SendCancelAllOrdersV2 for every account this bridge has orders in (and the default account): the DLL
   * cancels all open orders of those accounts, including ones typed into Profit by hand — a kill switch.
   */
  cancelAll(): void {
    const fns = this.sendable();
    if (!fns) {
      this.log('error', `cancelAll: ${NOT_CONNECTED().message}`);
      return;
    }
    const keys = new Set<string>();
    for (const e of this.ledger.entries()) if (!e.final) keys.add(e.account);
    const fallback = this.resolveAccount('');
    if (fallback) keys.add(fallback.key);
    for (const key of keys) {
      const account = this.resolveAccount(key);
      if (!account) {
        this.log('error', `cancelAll: ${this.unknownAccount(key).message}`);
        continue;
      }
      const err = nlError(
        fns.SendCancelAllOrdersV2({
          Version: 0,
          AccountID: this.accountIdentifier(account),
          Password: this.routingPassword(),
        }),
        'SendCancelAllOrdersV2',
      );
      if (err) this.log('error', `cancelAll ${key}: ${err.message}`);
    }
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
    if (this.ledger.has(clientOrderId)) return this.refuseDuplicate(clientOrderId);
    const fail = (e: ProfitDllError): void => this.rejectLocally(clientOrderId, e, 0);
    const fns = this.sendable();
    if (!fns) return fail(NOT_CONNECTED());
    const inst = this.instrument(symbol);
    if (!inst) return fail(this.unknownInstrument(symbol));
    const account = this.resolveAccount(opts.account ?? '');
    if (!account) return fail(this.unknownAccount(opts.account ?? ''));
    try {
      this.ledger.recordSent({
        clientOrderId,
        account: account.key,
        symbol: inst.symbol,
        qty: 0,
        ...(opts.priceTicks !== undefined ? { priceTicks: opts.priceTicks } : {}),
        sentAtMs: Date.now(),
      });
    } catch (e) {
      this.markFinal(clientOrderId);
      return fail(this.stateFileError(e));
    }
    const result = fns.SendZeroPositionV2({
      Version: 2,
      AccountID: this.accountIdentifier(account),
      AssetID: this.assetIdentifier(inst),
      Password: this.routingPassword(),
      Price: opts.priceTicks === undefined ? -1 : toPrice(inst, opts.priceTicks),
      PositionType: opts.positionType === 'daytrade' ? PositionType.cptDayTrade : PositionType.cptConsolidated,
      MessageID: -1,
    });
    const err = nlError(result, 'SendZeroPositionV2');
    if (err) {
      this.markFinal(clientOrderId);
      return fail(err);
    }
    this.ledger.bindLocal(clientOrderId, Number(result));
  }

  /** Today's orders and fills as the broker reports them, after reconciling with the DLL when connected. */
  async snapshot(): Promise<BrokerSnapshot> {
    if (this.phase === 'running' && this.connected) await this.reconcile();
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
    const inst = this.instrument(symbol);
    if (!inst) {
      this.log('warn', this.unknownInstrument(symbol).message);
      return;
    }
    if (this.subscribed.has(inst.symbol)) return;
    this.subscribed.add(inst.symbol);
    if (this.phase === 'running' && this.fns) this.activateSubscription(this.fns, inst);
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
    const run = this.historyChain.then(() => this.runDownload(symbol, fromMs, toMs, onProgress));
    this.historyChain = run.catch(() => undefined);
    return run;
  }

  // --- ProfitDLL extras, not on the port ------------------------------------------------------------------

  accounts(): ProfitAccount[] {
    return [...this.accountList];
  }

  /** The instrument with the DLL's reference data where it gave valid values. */
  instrument(symbol: string): Instrument | undefined {
    return this.merged.get(symbol.toUpperCase());
  }

  instruments(): Instrument[] {
    return [...this.merged.values()];
  }

  /** GetPositionV2 for one symbol; a flat position when the DLL has none (NL_NO_POSITION). */
  getPosition(symbol: string, opts: { account?: string; positionType?: PositionKind } = {}): ProfitPosition {
    const fns = this.sendable();
    if (!fns) throw NOT_CONNECTED();
    const inst = this.instrument(symbol);
    if (!inst) throw this.unknownInstrument(symbol);
    const account = this.resolveAccount(opts.account ?? '');
    if (!account) throw this.unknownAccount(opts.account ?? '');
    const rec = {
      Version: 2,
      AccountID: this.accountIdentifier(account),
      AssetID: this.assetIdentifier(inst),
      PositionType: opts.positionType === 'daytrade' ? PositionType.cptDayTrade : PositionType.cptConsolidated,
    } as TradingAccountPosition;
    const rc = fns.GetPositionV2(rec);
    const flat: ProfitPosition = {
      account: account.key,
      symbol: inst.symbol,
      qty: 0,
      avgPrice: 0,
      dailyBuyQty: 0,
      dailyBuyAvgPrice: 0,
      dailySellQty: 0,
      dailySellAvgPrice: 0,
    };
    if (rc === NL.NL_NO_POSITION) return flat;
    const err = nlError(rc, 'GetPositionV2');
    if (err) throw err;
    const open = Number(rec.OpenQuantity);
    return {
      ...flat,
      // OpenQuantity may come unsigned with the side apart (OpenSide 2 = sold), or already signed.
      qty: open < 0 || rec.OpenSide !== OrderSide.cosSell ? open : -open,
      avgPrice: rec.OpenAveragePrice,
      dailyBuyQty: Number(rec.DailyBuyQuantity),
      dailyBuyAvgPrice: rec.DailyAverageBuyPrice,
      dailySellQty: Number(rec.DailySellQuantity),
      dailySellAvgPrice: rec.DailyAverageSellPrice,
    };
  }

  // --- session ----------------------------------------------------------------------------------------------

  private async start(): Promise<void> {
    if (this.phase !== 'idle') return;
    const failure = this.opts.configError ?? this.openSession();
    if (failure) {
      this.phase = 'failed';
      this.log('error', failure.message);
      this.setConnection(false, { pt: failure.pt, en: failure.en });
      return;
    }
    await new Promise<void>((resolve) => {
      const timeoutMs = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.log(
          'warn',
          bilingualText(
            bilingual(
              `Sem conexão completa após ${timeoutMs} ms; a sessão continua tentando (${this.message})`,
              `No full connection after ${timeoutMs} ms; the session keeps trying (${this.message})`,
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
      const path = resolveLibraryPath(this.opts.dllPath);
      checkLoadable(path);
      let lib: ReturnType<typeof koffi.load>;
      try {
        lib = koffi.load(path);
      } catch (e) {
        return adapterError(
          'DLL_LOAD_FAILED',
          `Falha ao carregar ${path}: ${(e as Error).message}`,
          `Failed to load ${path}: ${(e as Error).message}`,
        );
      }
      try {
        fns = bindProfitDll(lib);
      } catch (e) {
        const name = (e as { missing?: string }).missing;
        return adapterError(
          'DLL_MISSING_EXPORT',
          `${path} não exporta ${name}: versão da ProfitDLL antiga ou arquivo errado (requer 4.0.0.38 ou mais nova)`,
          `${path} does not export ${name}: old ProfitDLL version or wrong file (needs 4.0.0.38 or newer)`,
        );
      }
      this.ledger.load();
    } catch (e) {
      return e instanceof ProfitDllError ? e : this.stateFileError(e);
    }

    const state = this.register((type: number, result: number) => {
      this.tracker.apply(type, result);
      this.stateDirty = true;
      this.schedule();
    }, TStateCallback);
    const account = this.register(() => {
      this.accountsDirty = true;
      this.schedule();
    }, TAccountCallback);
    const progress = this.register((asset: AssetIDRec, value: number) => {
      const dl = this.download;
      if (!dl || asset.pwcTicker !== dl.ticker) return;
      dl.progress = Math.max(dl.progress, value);
      dl.lastActivityMs = Date.now();
      this.schedule();
    }, TProgressCallback);

    const c = this.opts.credentials;
    const rc = fns.DLLInitializeLogin(c.activationKey, c.user, c.password, state, null, null, account, null, null, null, null, null, progress, null);
    if (rc !== NL_OK) {
      for (const cb of this.registered) koffi.unregister(cb);
      this.registered = [];
      return nlError(rc, 'DLLInitializeLogin');
    }
    this.fns = fns;
    this.tradeReader = new TradeReader(fns.TranslateTrade);
    this.phase = 'running';
    this.keepAlive = setInterval(() => this.tick(), TICK_MS);
    this.setConnection(false, bilingual('Conectando à ProfitDLL', 'Connecting to ProfitDLL'));

    // Registered right after init, before waiting for the connection (§3.2).
    this.setCallback(fns.SetOrderCallback, 'SetOrderCallback', this.register((id: OrderIdentifier) => this.onOrder(fns, id), TConnectorOrderCallback));
    this.setCallback(
      fns.SetOrderHistoryCallback,
      'SetOrderHistoryCallback',
      this.register((acc: AccountIdentifier) => {
        this.historyLoaded.add(acc.AccountID ?? '');
        this.schedule();
      }, TConnectorAccountCallback),
    );
    this.setCallback(
      fns.SetTradeCallbackV2,
      'SetTradeCallbackV2',
      this.register((asset: AssetIdentifier, trade: unknown, flags: number) => this.onTrade(asset, trade, flags), TConnectorTradeCallback),
    );
    this.setCallback(
      fns.SetHistoryTradeCallbackV2,
      'SetHistoryTradeCallbackV2',
      this.register((_asset: AssetIdentifier, trade: unknown) => this.onHistoryTrade(trade), TConnectorTradeCallback),
    );
    this.setCallback(
      fns.SetPriceDepthCallback,
      'SetPriceDepthCallback',
      this.register(
        (asset: AssetIdentifier, side: number, _position: number, updateType: number) => this.onDepth(fns, asset, side, updateType),
        TConnectorPriceDepthCallback,
      ),
    );
    this.setCallback(
      fns.SetAssetListInfoCallbackV2,
      'SetAssetListInfoCallbackV2',
      this.register(
        (asset: AssetIDRec, _n: unknown, _d: unknown, minQty: number | bigint, maxQty: number | bigint, lot: number | bigint, _t: number, _s: number, tick: number, multiplier: number) => {
          if (!asset.pwcTicker) return;
          this.assetInfo.set(asset.pwcTicker, { minQty: Number(minQty), maxQty: Number(maxQty), lot: Number(lot), tick, multiplier });
          this.schedule();
        },
        TAssetListInfoCallbackV2,
      ),
    );
    for (const symbol of this.subscribed) {
      const inst = this.instrument(symbol);
      if (inst) this.activateSubscription(fns, inst);
    }
    return undefined;
  }

  /** A registered callback that never lets an exception reach koffi (which would hand the DLL a zero). */
  private register<A extends unknown[]>(fn: (...args: A) => void, proto: KoffiType): RegisteredCallback {
    const guarded = (...args: A): void => {
      try {
        fn(...args);
      } catch (e) {
        if (this.callbackFailures.length < 100) this.callbackFailures.push((e as Error).message);
        this.schedule();
      }
    };
    const cb = koffi.register(guarded, koffi.pointer(proto));
    this.registered.push(cb);
    return cb;
  }

  private setCallback(setter: (cb: RegisteredCallback) => number, name: string, cb: RegisteredCallback): void {
    const err = nlError(setter(cb), name);
    if (err) this.log('error', err.message);
  }

  private finalize(fns: ProfitDllFunctions): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log(
          'error',
          bilingualText(
            bilingual(
              `DLLFinalize não retornou em ${FINALIZE_TIMEOUT_MS} ms; callbacks mantidos registrados`,
              `DLLFinalize did not return within ${FINALIZE_TIMEOUT_MS} ms; callbacks left registered`,
            ),
          ),
        );
        resolve(false);
      }, FINALIZE_TIMEOUT_MS);
      fns.DLLFinalize.async((error: unknown, rc: number) => {
        clearTimeout(timer);
        const err = error ? (error as Error).message : nlError(rc, 'DLLFinalize')?.message;
        if (err) this.log('warn', err);
        resolve(true);
      });
    });
  }

  private unsubscribeAll(fns: ProfitDllFunctions): void {
    for (const symbol of this.subscribed) {
      const inst = this.instrument(symbol);
      if (!inst) continue;
      const errors = [
        nlError(fns.UnsubscribePriceDepth(this.assetIdentifier(inst)), 'UnsubscribePriceDepth'),
        nlError(fns.UnsubscribeTicker(inst.symbol, exchangeOf(inst)), 'UnsubscribeTicker'),
      ];
      for (const err of errors) if (err) this.log('warn', `${symbol}: ${err.message}`);
    }
  }

  private activateSubscription(fns: ProfitDllFunctions, inst: Instrument): void {
    const errors = [
      nlError(fns.SubscribeTicker(inst.symbol, exchangeOf(inst)), 'SubscribeTicker'),
      nlError(fns.SubscribePriceDepth(this.assetIdentifier(inst)), 'SubscribePriceDepth'),
    ];
    for (const err of errors) if (err) this.log('error', `${inst.symbol}: ${err.message}`);
  }

  private tick(): void {
    const dl = this.download;
    const idleMs = this.opts.historyIdleTimeoutMs ?? DEFAULT_HISTORY_IDLE_MS;
    if (dl && Date.now() - dl.lastActivityMs > idleMs) {
      this.download = undefined;
      dl.reject(
        adapterError(
          'HISTORY_TIMEOUT',
          `Histórico sem resposta da ProfitDLL há ${idleMs} ms`,
          `No history data from ProfitDLL for ${idleMs} ms`,
        ),
      );
    }
  }

  // --- callbacks: copy and return -------------------------------------------------------------------------

  private onOrder(fns: ProfitDllFunctions, id: OrderIdentifier): void {
    const localId = Number(id.LocalOrderID);
    const clOrdId = id.ClOrderID ?? '';
    const facts = this.readOrderDetails(fns, id);
    const event: QueuedEvent = facts instanceof ProfitDllError ? { k: 'orderError', localId, error: facts } : { k: 'order', localId, clOrdId, facts };
    if (!this.queue.push(event)) this.resyncNeeded = true; // order state can be read back from the DLL
    this.schedule();
  }

  /**
   * GetOrderDetails (an accessor, so inside the callback). Two-call (§6.4) for the one string used, the
   * broker's text: the first call reports its length, the second fills our buffer. Ticker and exchange are
   * left NULL, which the DLL answers with empty strings: the ledger already knows them.
   */
  private readOrderDetails(fns: ProfitDllFunctions, id: OrderIdentifier): OrderFacts | ProfitDllError {
    const rec = {
      Version: 1,
      OrderID: { Version: 0, LocalOrderID: id.LocalOrderID, ClOrderID: id.ClOrderID },
      TextMessage: null,
      TextMessageLength: 0,
    } as unknown as OrderOut;
    let err = nlError(fns.GetOrderDetails(rec), 'GetOrderDetails');
    if (err) return err;
    const textLen = rec.TextMessageLength;
    if (textLen > 0) {
      rec.TextMessage = this.buffers.get('text', textLen + 1);
      err = nlError(fns.GetOrderDetails(rec), 'GetOrderDetails');
      if (err) return err;
    }
    return {
      status: rec.OrderStatus,
      qty: Number(rec.Quantity),
      traded: Number(rec.TradedQuantity),
      avgPrice: rec.AveragePrice,
      price: rec.Price,
      side: rec.OrderSide,
      text: decodeOutString(rec.TextMessage, textLen),
      time: rec.LastUpdate,
    };
  }

  private onTrade(asset: AssetIdentifier, pTrade: unknown, flags: number): void {
    const t = this.tradeReader!;
    const err = nlError(t.read(pTrade), 'TranslateTrade');
    if (err) throw err;
    // An exchange edit corrects an earlier trade; passing it on would count its volume twice.
    if (flags & TradeFlags.TC_IS_EDIT) return;
    const queued = this.queue.push({
      k: 'trade',
      symbol: asset.Ticker ?? '',
      price: t.price,
      qty: t.quantity,
      tradeType: t.tradeType,
      timeMs: tradeTimeMs(t) ?? Date.now(),
    });
    if (!queued) this.droppedTrades++;
    this.schedule();
  }

  private onHistoryTrade(pTrade: unknown): void {
    const dl = this.download;
    if (!dl) return;
    const t = this.tradeReader!;
    const err = nlError(t.read(pTrade), 'TranslateTrade');
    if (err) throw err;
    dl.raw.push({ price: t.price, qty: t.quantity, tradeType: t.tradeType, timeMs: tradeTimeMs(t) ?? 0 });
    dl.lastActivityMs = Date.now();
  }

  private onDepth(fns: ProfitDllFunctions, asset: AssetIdentifier, side: number, updateType: number): void {
    const symbol = asset.Ticker ?? '';
    // utPrepare … utFlush brackets a burst: read the book once, at the end (§10.6).
    if (updateType === UpdateType.utPrepare) {
      this.depthBursts.add(symbol);
      return;
    }
    if (updateType !== UpdateType.utFlush && this.depthBursts.has(symbol)) return;
    this.depthBursts.delete(symbol);
    const both = updateType === UpdateType.utFlush || side === BookSide.bsBoth;
    if (both || side === BookSide.bsBuy) this.readTop(fns, asset, BookSide.bsBuy);
    if (both || side === BookSide.bsSell) this.readTop(fns, asset, BookSide.bsSell);
    this.dirtyBooks.add(symbol);
    this.schedule();
  }

  /** GetPriceGroup at position 0 is the top of one side (an accessor: called inside the callback). */
  private readTop(fns: ProfitDllFunctions, asset: AssetIdentifier, side: number): void {
    const symbol = asset.Ticker ?? '';
    let top = this.tops.get(symbol);
    if (!top) {
      top = { bid: {}, ask: {} };
      this.tops.set(symbol, top);
    }
    const g = this.priceGroup;
    g.Version = 0;
    const rc = fns.GetPriceGroup(asset, side, 0, g);
    // A theoretical (auction) level has Price = -INF (§10.6): not a tradable top.
    const valid = rc === NL_OK && Number.isFinite(g.Price) && g.Price > 0;
    const value: SideTop = valid ? { price: g.Price, qty: Number(g.Quantity) } : {};
    if (side === BookSide.bsBuy) top.bid = value;
    else top.ask = value;
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
    if (this.phase === 'closed') return;
    if (this.callbackFailures.length) {
      const failures = this.callbackFailures;
      this.callbackFailures = [];
      for (const m of failures) this.log('error', `callback: ${m}`);
    }
    if (this.stateDirty) {
      this.stateDirty = false;
      this.updateConnection();
    }
    if (this.accountsDirty && this.connected) this.refreshAccounts();
    this.mergeAssetInfo();
    for (let budget = DRAIN_BUDGET; budget > 0; budget--) {
      const ev = this.queue.shift();
      if (!ev) break;
      this.handle(ev);
    }
    if (this.queue.length > 0) this.schedule();
    const deferred = this.deferred;
    this.deferred = [];
    for (const fn of deferred) fn();
    this.flushBooks();
    if (this.droppedTrades > 0) {
      this.log(
        'warn',
        bilingualText(
          bilingual(
            `${this.droppedTrades} negócios descartados: a fila de callbacks encheu (o event loop está atrasado)`,
            `${this.droppedTrades} trades dropped: the callback queue was full (the event loop is behind)`,
          ),
        ),
      );
      this.droppedTrades = 0;
    }
    this.advanceDownload();
    if (this.historyWaiters.length && this.allHistoryLoaded()) this.releaseHistoryWaiters();
    if (this.resyncNeeded && this.connected) {
      this.resyncNeeded = false;
      this.log(
        'warn',
        bilingualText(
          bilingual(
            'Eventos de ordem perdidos por fila cheia; relendo as ordens da ProfitDLL',
            'Order events lost to a full queue; reading the orders back from ProfitDLL',
          ),
        ),
      );
      void this.reconcile();
    }
    this.checkSettled();
  }

  private handle(ev: QueuedEvent): void {
    switch (ev.k) {
      case 'trade': {
        const inst = this.instrument(ev.symbol);
        if (!inst) return;
        const aggressor = aggressorOf(ev.tradeType);
        this.emit('trade', {
          symbol: inst.symbol,
          qty: ev.qty,
          priceTicks: toTicks(inst, ev.price),
          timeMs: ev.timeMs,
          ...(aggressor ? { aggressor } : {}),
        });
        return;
      }
      case 'order': {
        const entry = this.ledger.byLocalOrderId(ev.localId) ?? (ev.clOrdId ? this.ledger.byBrokerId(ev.clOrdId) : undefined);
        if (!entry) return this.noteForeign(ev.clOrdId || `local ${ev.localId}`);
        this.applyFacts(entry, ev.clOrdId, ev.facts);
        return;
      }
      case 'orderError':
        this.log('error', `order ${ev.localId}: ${ev.error.message}`);
        return;
    }
  }

  private updateConnection(): void {
    for (const note of this.tracker.takeNotes()) this.log(note.level, `ProfitDLL: ${bilingualText(note.message)}`);
    const derived = this.tracker.derive();
    const drops = this.tracker.dropCount();
    const dropped = drops !== this.seenDrops;
    this.seenDrops = drops;
    const routingDrops = this.tracker.routingDropCount();
    if (routingDrops !== this.seenRoutingDrops) {
      this.seenRoutingDrops = routingDrops;
      this.historyLoaded.clear();
    }
    // Down and up again between two drains: still report the gap, so the OMS pauses and reconciles.
    if (dropped && this.connected && derived.connected) {
      this.setConnection(false, bilingual('Conexão com a corretora oscilou', 'Broker connection flapped'));
    }
    const was = this.connected;
    this.setConnection(derived.connected, derived.message);
    if (!was && derived.connected) this.onConnected();
  }

  private setConnection(connected: boolean, message: Bilingual): void {
    const text = bilingualText(message);
    if (connected === this.connected && text === this.message) return;
    this.connected = connected;
    this.message = text;
    this.emit('connection', { connected, message: text });
  }

  private onConnected(): void {
    this.refreshAccounts();
    const fns = this.fns;
    if (fns && !this.infoRequested) {
      this.infoRequested = true;
      for (const inst of this.baseInstruments.values()) {
        const err = nlError(fns.RequestTickerInfo(inst.symbol, exchangeOf(inst)), 'RequestTickerInfo');
        if (err) this.log('warn', `${inst.symbol}: ${err.message}`);
        else this.pendingInfo.add(inst.symbol);
      }
      this.infoTimer = setTimeout(() => {
        if (this.pendingInfo.size) {
          this.log(
            'warn',
            bilingualText(
              bilingual(
                `Sem dados cadastrais da ProfitDLL para ${[...this.pendingInfo].join(', ')}; usando a tabela da ponte`,
                `No reference data from ProfitDLL for ${[...this.pendingInfo].join(', ')}; using the bridge's table`,
              ),
            ),
          );
        }
        this.pendingInfo.clear();
        this.checkSettled();
      }, INSTRUMENT_INFO_WAIT_MS);
    }
    void this.reconcile();
  }

  private checkSettled(): void {
    if (!this.settleWaiters.length) return;
    const settled = this.phase !== 'running' || this.tracker.derive().terminal || (this.connected && this.pendingInfo.size === 0);
    if (settled) this.releaseSettleWaiters();
  }

  private releaseSettleWaiters(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }

  private releaseHistoryWaiters(): void {
    const waiters = this.historyWaiters;
    this.historyWaiters = [];
    for (const w of waiters) w();
  }

  private releaseWaiters(): void {
    this.releaseSettleWaiters();
    this.releaseHistoryWaiters();
  }

  private refreshAccounts(): void {
    const fns = this.fns;
    if (!fns) return;
    this.accountsDirty = false;
    const count = fns.GetAccountCount();
    const countErr = nlError(count, 'GetAccountCount');
    if (countErr) {
      this.log('error', countErr.message);
      return;
    }
    const buf = Buffer.alloc(Math.max(1, count) * ACCOUNT_IDENTIFIER_OUT_SIZE);
    const got = fns.GetAccounts(0, 0, count, buf);
    const gotErr = nlError(got, 'GetAccounts');
    if (gotErr) {
      this.log('error', gotErr.message);
      return;
    }
    const list: ProfitAccount[] = [];
    for (let i = 0; i < got; i++) {
      const id = decodeAccountIdentifierOut(buf, i);
      const identifier: AccountIdentifier = { Version: 0, BrokerID: id.BrokerID, AccountID: id.AccountID, SubAccountID: id.SubAccountID, Reserved: 0 };
      const details = this.readAccountDetails(fns, identifier);
      if (details instanceof ProfitDllError) {
        this.log('error', `${id.AccountID}: ${details.message}`);
        continue;
      }
      list.push({
        brokerId: id.BrokerID,
        accountId: id.AccountID,
        subAccountId: id.SubAccountID,
        key: id.SubAccountID ? `${id.AccountID}/${id.SubAccountID}` : id.AccountID,
        ...details,
      });
    }
    this.accountList = list;
    this.log('info', `ProfitDLL: ${list.length} conta(s) / account(s): ${list.map((a) => `${a.key} (${a.holder})`).join(', ')}`);
  }

  private readAccountDetails(
    fns: ProfitDllFunctions,
    identifier: AccountIdentifier,
  ): Pick<ProfitAccount, 'brokerName' | 'holder' | 'subHolder' | 'flags' | 'accountType'> | ProfitDllError {
    const rec = {
      Version: 1,
      AccountID: identifier,
      BrokerName: null,
      BrokerNameLength: 0,
      OwnerName: null,
      OwnerNameLength: 0,
      SubOwnerName: null,
      SubOwnerNameLength: 0,
      AccountFlags: 0,
      AccountType: 0,
    } as TradingAccountOut;
    let err = nlError(fns.GetAccountDetails(rec), 'GetAccountDetails');
    if (err) return err;
    const lengths = [rec.BrokerNameLength, rec.OwnerNameLength, rec.SubOwnerNameLength];
    rec.BrokerName = this.buffers.get('broker', lengths[0] + 1);
    rec.OwnerName = this.buffers.get('owner', lengths[1] + 1);
    rec.SubOwnerName = this.buffers.get('subOwner', lengths[2] + 1);
    err = nlError(fns.GetAccountDetails(rec), 'GetAccountDetails');
    if (err) return err;
    return {
      brokerName: decodeOutString(rec.BrokerName, lengths[0]),
      holder: decodeOutString(rec.OwnerName, lengths[1]),
      subHolder: decodeOutString(rec.SubOwnerName, lengths[2]),
      flags: rec.AccountFlags,
      accountType: rec.AccountType,
    };
  }

  private mergeAssetInfo(): void {
    for (const [ticker, info] of this.assetInfo) {
      const base = this.baseInstruments.get(ticker);
      this.pendingInfo.delete(ticker);
      if (!base) continue;
      const tickHundredths = info.tick * 100;
      const tickValueCentavos = info.tick * info.multiplier * 100;
      const whole = (v: number): boolean => Number.isFinite(v) && v >= 1 && Math.abs(v - Math.round(v)) < 1e-6;
      const valid =
        whole(tickHundredths) &&
        whole(tickValueCentavos) &&
        Number.isSafeInteger(info.lot) && info.lot >= 1 && info.lot <= 1e9 &&
        Number.isSafeInteger(info.minQty) && info.minQty >= 1 &&
        Number.isSafeInteger(info.maxQty) && info.maxQty >= info.minQty;
      if (!valid) {
        if (!this.invalidInfoLogged.has(ticker)) {
          this.invalidInfoLogged.add(ticker);
          this.log(
            'warn',
            bilingualText(
              bilingual(
                `Dados cadastrais de ${ticker} inválidos na ProfitDLL (lote ${info.lot}, tick ${info.tick}, multiplicador ${info.multiplier}); usando a tabela da ponte`,
                `Invalid ProfitDLL reference data for ${ticker} (lot ${info.lot}, tick ${info.tick}, multiplier ${info.multiplier}); using the bridge's table`,
              ),
            ),
          );
        }
        continue;
      }
      const next: Instrument = {
        ...base,
        tickHundredths: Math.round(tickHundredths),
        tickValueCentavos: Math.round(tickValueCentavos),
        lotSize: info.lot,
        minQty: info.minQty,
        maxQty: info.maxQty,
      };
      const changed = (['tickHundredths', 'tickValueCentavos', 'lotSize', 'minQty', 'maxQty'] as const).filter((k) => next[k] !== base[k]);
      if (changed.length && this.merged.get(ticker) === base) {
        this.log(
          'info',
          bilingualText(
            bilingual(
              `${ticker}: ProfitDLL corrige ${changed.map((k) => `${k} ${base[k]}→${next[k]}`).join(', ')}`,
              `${ticker}: ProfitDLL overrides ${changed.map((k) => `${k} ${base[k]}→${next[k]}`).join(', ')}`,
            ),
          ),
        );
      }
      this.merged.set(ticker, changed.length ? next : base);
    }
    this.assetInfo.clear();
  }

  private flushBooks(): void {
    for (const symbol of this.dirtyBooks) {
      const inst = this.instrument(symbol);
      const top = this.tops.get(symbol);
      if (!inst || !top) continue;
      const book: BrokerBook = { symbol: inst.symbol, timeMs: Date.now() };
      if (top.bid.price !== undefined) {
        book.bidTicks = toTicks(inst, top.bid.price);
        book.bidQty = top.bid.qty!;
      }
      if (top.ask.price !== undefined) {
        book.askTicks = toTicks(inst, top.ask.price);
        book.askQty = top.ask.qty!;
      }
      this.emit('book', book);
    }
    this.dirtyBooks.clear();
  }

  // --- orders: facts → port events ----------------------------------------------------------------------------

  private applyFacts(entry: LedgerEntry, clOrdId: string, f: OrderFacts): void {
    const cid = entry.clientOrderId;
    if (clOrdId && !entry.clOrdId) this.persist(() => this.ledger.recordBrokerId(cid, clOrdId));
    const status = mapOrderStatus(f.status, f.traded);
    if (status === 'unknown') {
      this.log(
        'error',
        bilingualText(
          bilingual(
            `Ordem ${cid}: status ${f.status} desconhecido da ProfitDLL; estado mantido até o próximo relatório`,
            `Order ${cid}: unknown ProfitDLL status ${f.status}; state kept until the next report`,
          ),
        ),
      );
      return;
    }
    const inst = this.instrument(entry.symbol);
    if (!inst) return;
    if (entry.side === undefined) {
      entry.side = sideOf(f.side);
      entry.qty = f.qty;
    }
    if (f.price > 0) entry.priceTicks = toTicks(inst, f.price);
    const timeMs = systemTimeToEpochMs(f.time) ?? Date.now();
    if (f.traded > entry.filledQty) {
      const { qty, price } = fillBetween(entry.filledQty, entry.avgPrice, f.traded, f.avgPrice);
      const exactTicks = (price * 100) / inst.tickHundredths;
      const priceTicks = Math.round(exactTicks);
      if (Math.abs(exactTicks - priceTicks) > 1e-6) {
        this.log(
          'warn',
          bilingualText(
            bilingual(
              `Ordem ${cid}: execuções agregadas num só relatório, preço médio ${price} arredondado ao tick`,
              `Order ${cid}: executions merged into one report, average price ${price} rounded to the tick`,
            ),
          ),
        );
      }
      const fill: BrokerFill = {
        tradeId: `${entry.clOrdId ?? clOrdId}:${f.traded}`,
        clientOrderId: cid,
        symbol: inst.symbol,
        side: entry.side,
        qty,
        priceTicks,
        timeMs,
      };
      this.persist(() => this.ledger.recordFill(cid, fill, f.avgPrice));
      this.emit('fill', fill);
    }
    if (status === 'pending') return;
    const update: BrokerOrderUpdate = {
      clientOrderId: cid,
      ...(entry.clOrdId ? { brokerOrderId: entry.clOrdId } : {}),
      status,
      qty: f.qty,
      filledQty: f.traded,
      ...(entry.priceTicks !== undefined ? { priceTicks: entry.priceTicks } : {}),
      timeMs,
    };
    if ((status === 'rejected' || status === 'canceled' || status === 'expired') && f.text) {
      update.reason = bilingualText(bilingual(`Corretora: ${f.text}`, `Broker: ${f.text}`));
    }
    if (entry.changePending && f.status !== OrderStatus.cosPendingReplace) {
      entry.changePending = false;
      // Back to its old state with a text instead of cosReplaced: the broker refused the change.
      const refused = f.status !== OrderStatus.cosReplaced && (status === 'new' || status === 'partially_filled') && f.text;
      if (refused) {
        update.reason = bilingualText(
          bilingual(`Alteração recusada pela corretora: ${f.text}`, `Change refused by the broker: ${f.text}`),
        );
      }
    }
    if (sameUpdate(entry.last, update)) return;
    entry.last = update;
    this.emit('orderUpdate', update);
  }

  /**
   * Reads every order of every account back from the DLL (EnumerateAllOrders) and reports what changed
   * since the last report: after a connect, a reconnect, a restart, or lost order events.
   */
  private reconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        await this.waitForHistory();
        const fns = this.fns;
        if (!fns || this.phase !== 'running') return;
        for (const account of this.accountList) {
          const orders: ConnectorOrder[] = [];
          const err = nlError(
            fns.EnumerateAllOrders(this.accountIdentifier(account), 1, 0, (p: unknown) => {
              orders.push(decodeConnectorOrder(p));
              return 1;
            }),
            'EnumerateAllOrders',
          );
          if (err) this.log('error', `${account.key}: ${err.message}`);
          for (const o of orders) this.applyEnumerated(o);
        }
      } while (this.reconcileAgain);
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  private waitForHistory(): Promise<void> {
    if (this.allHistoryLoaded()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.historyWaiters = this.historyWaiters.filter((w) => w !== done);
        resolve();
      }, RECONCILE_WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.historyWaiters.push(done);
    });
  }

  private allHistoryLoaded(): boolean {
    return this.accountList.every((a) => this.historyLoaded.has(a.accountId));
  }

  private applyEnumerated(o: ConnectorOrder): void {
    const clOrdId = o.OrderID.ClOrderID ?? '';
    const symbol = o.AssetID.Ticker ?? '';
    const inst = this.instrument(symbol);
    const account = o.AccountID.SubAccountID ? `${o.AccountID.AccountID}/${o.AccountID.SubAccountID}` : o.AccountID.AccountID ?? '';
    const entry =
      (clOrdId ? this.ledger.byBrokerId(clOrdId) : undefined) ??
      this.ledger.byLocalOrderId(Number(o.OrderID.LocalOrderID)) ??
      (inst
        ? this.ledger.matchUnidentified({
            account,
            symbol: inst.symbol,
            side: sideOf(o.OrderSide),
            qty: Number(o.Quantity),
            ...(o.OrderType !== OrderType.cotMarket && o.Price > 0 ? { priceTicks: toTicks(inst, o.Price) } : {}),
          })
        : undefined);
    if (!entry) return this.noteForeign(clOrdId);
    this.applyFacts(entry, clOrdId, {
      status: o.OrderStatus,
      qty: Number(o.Quantity),
      traded: Number(o.TradedQuantity),
      avgPrice: o.AveragePrice,
      price: o.Price,
      side: o.OrderSide,
      text: o.TextMessage ?? '',
      time: o.LastUpdate,
    });
  }

  private noteForeign(id: string): void {
    if (this.foreignOrders.has(id)) return;
    this.foreignOrders.add(id);
    this.log(
      'info',
      bilingualText(
        bilingual(
          `Ordem ${id} não foi enviada por esta ponte; ignorada`,
          `Order ${id} was not sent by this bridge; ignored`,
        ),
      ),
    );
  }

  /** An order that never reached the DLL: reported as rejected on the event loop, after submit() returned. */
  private rejectLocally(clientOrderId: string, e: ProfitDllError, qty: number, priceTicks?: number): void {
    this.log('warn', `${clientOrderId}: ${e.message}`);
    this.defer(() =>
      this.emit('orderUpdate', {
        clientOrderId,
        status: 'rejected',
        qty,
        filledQty: 0,
        ...(priceTicks !== undefined ? { priceTicks } : {}),
        reason: e.message,
        timeMs: Date.now(),
      }),
    );
  }

  private refuse(e: LedgerEntry, err: ProfitDllError): void {
    this.log('warn', `${e.clientOrderId}: ${err.message}`);
    const last = e.last;
    if (last) this.defer(() => this.emit('orderUpdate', { ...last, reason: err.message, timeMs: Date.now() }));
  }

  private refuseDuplicate(cid: string): void {
    const err = adapterError(
      'DUPLICATE_ORDER',
      `Ordem ${cid} já foi enviada hoje; reenvio recusado para não duplicar na bolsa`,
      `Order ${cid} was already sent today; resend refused so it cannot be duplicated at the exchange`,
    );
    this.log('warn', err.message);
    const last = this.ledger.get(cid)?.last;
    if (last) this.defer(() => this.emit('orderUpdate', last));
  }

  private knownOrder(cid: string, action: string): LedgerEntry | undefined {
    const e = this.ledger.get(cid);
    if (!e) {
      this.log(
        'warn',
        bilingualText(
          bilingual(`${action}: ordem ${cid} desconhecida nesta ponte`, `${action}: order ${cid} unknown to this bridge`),
        ),
      );
    }
    return e;
  }

  private markFinal(cid: string): void {
    this.persist(() => this.ledger.recordFinal(cid));
  }

  private persist(write: () => void): void {
    try {
      write();
    } catch (e) {
      this.log('error', this.stateFileError(e).message);
    }
  }

  private stateFileError(e: unknown): ProfitDllError {
    const file = this.opts.stateFile ?? '';
    return adapterError(
      'STATE_FILE_FAILED',
      `Falha no arquivo de estado ${file}: ${(e as Error).message}`,
      `State file ${file} failed: ${(e as Error).message}`,
    );
  }

  // --- history ---------------------------------------------------------------------------------------------

  private async runDownload(
    symbol: string,
    fromMs: number,
    toMs: number,
    onProgress: ((percent: number) => void) | undefined,
  ): Promise<BrokerTrade[]> {
    const inst = this.instrument(symbol);
    if (!inst) throw this.unknownInstrument(symbol);
    const fns = this.fns;
    if (!fns || this.phase !== 'running' || !this.connected) throw NOT_CONNECTED();
    if (!(Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs <= toMs)) {
      throw adapterError('INVALID_RANGE', `Intervalo de histórico inválido: ${fromMs}–${toMs}`, `Invalid history range: ${fromMs}–${toMs}`);
    }
    // Without a subscription the DLL may never deliver history trades (§10.3, community report).
    const err = nlError(fns.SubscribeTicker(inst.symbol, exchangeOf(inst)), 'SubscribeTicker');
    if (err) throw err;
    const days = splitByB3Day(fromMs, toMs);
    const out: BrokerTrade[] = [];
    for (let i = 0; i < days.length; i++) {
      const raw = await this.downloadDay(fns, inst, days[i], (p) => onProgress?.(Math.floor((i * 100 + p) / days.length)));
      for (const r of raw) {
        if (r.timeMs < fromMs || r.timeMs > toMs) continue;
        const aggressor = aggressorOf(r.tradeType);
        out.push({ symbol: inst.symbol, qty: r.qty, priceTicks: toTicks(inst, r.price), timeMs: r.timeMs, ...(aggressor ? { aggressor } : {}) });
      }
    }
    return out;
  }

  private downloadDay(
    fns: ProfitDllFunctions,
    inst: Instrument,
    day: { fromMs: number; toMs: number },
    report: (progress: number) => void,
  ): Promise<RawTrade[]> {
    return new Promise((resolve, reject) => {
      this.download = { ticker: inst.symbol, raw: [], progress: 0, reported: 0, lastActivityMs: Date.now(), report, resolve, reject };
      const rc = fns.GetHistoryTrades(inst.symbol, exchangeOf(inst), formatHistoryDate(day.fromMs), formatHistoryDate(day.toMs));
      const err = rc === NL.NL_WAITING_SERVER ? undefined : nlError(rc, 'GetHistoryTrades');
      if (err) {
        this.download = undefined;
        reject(err);
      }
    });
  }

  /** The DLL signals the end of a load with progress 100 (§10.3). */
  private advanceDownload(): void {
    const dl = this.download;
    if (!dl) return;
    if (dl.progress > dl.reported) {
      dl.reported = dl.progress;
      dl.report(dl.progress);
    }
    if (dl.progress >= 100) {
      this.download = undefined;
      dl.resolve(dl.raw);
    }
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  private emit<K extends keyof BrokerEvents>(kind: K, payload: Parameters<BrokerEvents[K]>[0]): void {
    const listener = this.listener;
    if (!listener) return;
    try {
      (listener[kind] as (p: typeof payload) => void)(payload);
    } catch (e) {
      this.log('error', `listener ${kind}: ${(e as Error).message}`);
    }
  }

  private sendable(): ProfitDllFunctions | undefined {
    return this.phase === 'running' && this.connected ? this.fns : undefined;
  }

  private resolveAccount(name: string): ProfitAccount | undefined {
    const wanted = name || this.opts.account || '';
    if (!wanted) return this.accountList.length === 1 ? this.accountList[0] : undefined;
    return this.accountList.find((a) => a.key === wanted);
  }

  private accountIdentifier(a: ProfitAccount): AccountIdentifier {
    return { Version: 0, BrokerID: a.brokerId, AccountID: a.accountId, SubAccountID: a.subAccountId, Reserved: 0 };
  }

  private assetIdentifier(inst: Instrument): AssetIdentifier {
    return { Version: 0, Ticker: inst.symbol, Exchange: exchangeOf(inst), FeedType: 0 };
  }

  /** Either id identifies the order (§8.2): the session's local id when known, else the broker's ClOrdID. */
  private orderIdentifier(e: LedgerEntry): OrderIdentifier {
    return e.localOrderId !== undefined
      ? { Version: 0, LocalOrderID: e.localOrderId, ClOrderID: '' }
      : { Version: 0, LocalOrderID: -1, ClOrderID: e.clOrdId ?? '' };
  }

  private routingPassword(): string {
    return this.opts.credentials.routingPassword ?? this.opts.credentials.password;
  }

  private unknownInstrument(symbol: string): ProfitDllError {
    return adapterError('UNKNOWN_INSTRUMENT', `Ativo ${symbol} desconhecido na ponte`, `Instrument ${symbol} unknown to the bridge`);
  }

  private unknownAccount(name: string): ProfitDllError {
    const known = this.accountList.map((a) => a.key).join(', ') || '—';
    return adapterError(
      'UNKNOWN_ACCOUNT',
      `Conta "${name || this.opts.account || ''}" não encontrada na ProfitDLL (contas: ${known})`,
      `Account "${name || this.opts.account || ''}" not found in ProfitDLL (accounts: ${known})`,
    );
  }
}

function defaultLog(level: ProfitDllLogLevel, msg: string): void {
  const line = `[profitdll] ${msg}`;
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export function createProfitDllBroker(opts: ProfitDllBrokerOptions): ProfitDllBroker {
  return new ProfitDllBroker(opts);
}
