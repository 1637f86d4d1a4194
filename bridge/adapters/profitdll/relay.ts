/**
 * The native callback relay (bridge/native/profitdll-relay, issue #11) seen from Node: where its library
 * is, its records and status as koffi records, and the request functions it runs on its own thread.
 *
 * With the relay, no DLL callback ever waits for the event loop: the relay's C callbacks call the accessors
 * on the DLL's thread, copy into a bounded ring and return; the relay's notifier thread (never the DLL's)
 * asks for a drain, and the drain decodes the records here. Request functions go to the relay's request
 * thread and wait at most `requestTimeoutMs`; a call that does not return in time is named in the status.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import {
  type AccountIdentifier,
  type ConnectorOrder,
  type KoffiType,
  type ProfitDllFunctions,
  type RegisteredCallback,
  TConnectorAccountIdentifier,
  TConnectorAccountIdentifierOut,
  TConnectorAssetIdentifier,
  TConnectorCancelAllOrders,
  TConnectorCancelOrder,
  TConnectorChangeOrder,
  TConnectorSendOrder,
  TConnectorTradingAccountOut,
  TConnectorTradingAccountPosition,
  TConnectorZeroPosition,
  TSystemTime,
} from './abi.js';

// --- where the relay is -----------------------------------------------------------------------------

const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'profitdll-relay');

/** The relay shipped for this platform: the committed Win64 DLL, or the Linux build the tests make. */
export function defaultRelayPath(platform = process.platform): string | undefined {
  if (platform === 'win32') return join(NATIVE_DIR, 'win64', 'blackbox-relay.dll');
  if (platform === 'linux') return join(NATIVE_DIR, 'build', 'librelay.so');
  return undefined;
}

/** `auto`: the shipped relay when it exists; `off`: the direct koffi path; anything else: a relay file. */
export function resolveRelayPath(setting: string | undefined): string | undefined {
  if (setting === 'off') return undefined;
  if (setting && setting !== 'auto') return setting;
  const p = defaultRelayPath();
  return p && existsSync(p) ? p : undefined;
}

// --- records ------------------------------------------------------------------------------------------

export const RelayKind = {
  STATE: 1,
  ACCOUNT: 2,
  PROGRESS: 3,
  ORDER: 4,
  HISTORY_LOADED: 5,
  TRADE: 6,
  HISTORY_TRADE: 7,
  BOOK: 8,
  ASSET_INFO: 9,
  MESSAGE_RESULT: 10,
  LATE_RESULT: 11,
} as const;

/** The relay's own failure codes (relay.h), outside the DLL's 0x800000xx. */
export const RELAY_CODES = {
  RELAY_TIMEOUT: 0x80001001 | 0,
  RELAY_BUSY: 0x80001002 | 0,
  RELAY_NOT_OPEN: 0x80001003 | 0,
  RELAY_NO_MEMORY: 0x80001004 | 0,
  RELAY_LOAD_FAILED: 0x80001005 | 0,
  RELAY_ALREADY_OPEN: 0x80001006 | 0,
} as const;

const TICKER_UNITS = 32;
const ID_UNITS = 64;
const TEXT_UNITS = 160;

const RelayRecordType = koffi.struct({
  kind: 'uint32',
  code: 'int32',
  i: koffi.array('int32', 4),
  q: koffi.array('int64', 4),
  d: koffi.array('double', 4),
  time: TSystemTime,
  ticker: koffi.array('uint16', TICKER_UNITS),
  id: koffi.array('uint16', ID_UNITS),
  text: koffi.array('uint16', TEXT_UNITS),
});

const RelayStatusType = koffi.struct({
  pushed: 'int64',
  drained: 'int64',
  lost: 'int64',
  lostOrders: 'int64',
  lostTrades: 'int64',
  lostOther: 'int64',
  slowestCallbackUs: 'int64',
  capacity: 'int32',
  pending: 'int32',
  highWater: 'int32',
  latestState: koffi.array('int32', 4),
  requestBusyMs: 'int32',
  callbackBusyMs: 'int32',
  requestHung: 'int32',
  truncatedTexts: 'int32',
  requestName: koffi.array('char16_t', 32),
  callbackName: koffi.array('char16_t', 32),
});

const RelayOrderType = koffi.struct({
  localOrderId: 'int64',
  quantity: 'int64',
  tradedQuantity: 'int64',
  leavesQuantity: 'int64',
  price: 'double',
  stopPrice: 'double',
  averagePrice: 'double',
  side: 'int32',
  type: 'int32',
  status: 'int32',
  validity: 'int32',
  lastUpdate: TSystemTime,
  clOrdId: koffi.array('char16_t', ID_UNITS),
  accountId: koffi.array('char16_t', ID_UNITS),
  subAccountId: koffi.array('char16_t', ID_UNITS),
  ticker: koffi.array('char16_t', TICKER_UNITS),
  text: koffi.array('char16_t', TEXT_UNITS),
});

export interface RelayStatus {
  pushed: number;
  drained: number;
  lost: number;
  lostOrders: number;
  lostTrades: number;
  lostOther: number;
  slowestCallbackUs: number;
  capacity: number;
  pending: number;
  highWater: number;
  latestState: number[];
  requestBusyMs: number;
  callbackBusyMs: number;
  requestHung: number;
  truncatedTexts: number;
  requestName: string;
  callbackName: string;
}

interface RelayOrderRecord {
  localOrderId: number | bigint;
  quantity: number;
  tradedQuantity: number;
  leavesQuantity: number;
  price: number;
  stopPrice: number;
  averagePrice: number;
  side: number;
  type: number;
  status: number;
  validity: number;
  lastUpdate: ConnectorOrder['LastUpdate'];
  clOrdId: string;
  accountId: string;
  subAccountId: string;
  ticker: string;
  text: string;
}

const RECORD_SIZE = koffi.sizeof(RelayRecordType);
/** Sizes koffi computes for the relay's records; the Win64 harness prints the compiler's, and a test compares. */
export const RELAY_RECORD_SIZE = RECORD_SIZE;
export const RELAY_STATUS_SIZE = koffi.sizeof(RelayStatusType);
const AT = {
  kind: koffi.offsetof(RelayRecordType, 'kind'),
  code: koffi.offsetof(RelayRecordType, 'code'),
  i: koffi.offsetof(RelayRecordType, 'i'),
  q: koffi.offsetof(RelayRecordType, 'q'),
  d: koffi.offsetof(RelayRecordType, 'd'),
  time: koffi.offsetof(RelayRecordType, 'time'),
  ticker: koffi.offsetof(RelayRecordType, 'ticker'),
  id: koffi.offsetof(RelayRecordType, 'id'),
  text: koffi.offsetof(RelayRecordType, 'text'),
};

/** Reads one record of a drained batch in place (the drain reuses one buffer). */
export class RelayRecordView {
  private base = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly view: DataView,
  ) {}

  at(index: number): this {
    this.base = index * RECORD_SIZE;
    return this;
  }

  get kind(): number {
    return this.view.getUint32(this.base + AT.kind, true);
  }
  get code(): number {
    return this.view.getInt32(this.base + AT.code, true);
  }
  i(k: number): number {
    return this.view.getInt32(this.base + AT.i + 4 * k, true);
  }
  q(k: number): number {
    const at = this.base + AT.q + 8 * k;
    return this.view.getUint32(at, true) + this.view.getInt32(at + 4, true) * 2 ** 32;
  }
  d(k: number): number {
    return this.view.getFloat64(this.base + AT.d + 8 * k, true);
  }
  /** TSystemTime field k (wYear 0 … wMilliseconds 7). */
  time(k: number): number {
    return this.view.getUint16(this.base + AT.time + 2 * k, true);
  }
  get ticker(): string {
    return this.str(AT.ticker, TICKER_UNITS);
  }
  get id(): string {
    return this.str(AT.id, ID_UNITS);
  }
  get text(): string {
    return this.str(AT.text, TEXT_UNITS);
  }

  private str(offset: number, units: number): string {
    const start = this.base + offset;
    let end = start;
    const limit = start + units * 2;
    while (end < limit && (this.buf[end] !== 0 || this.buf[end + 1] !== 0)) end += 2;
    return this.buf.toString('utf16le', start, end);
  }
}

// --- the library ----------------------------------------------------------------------------------------

export type RelayNotify = () => void;

/** The request functions the broker calls on the event loop; with the relay they run on its thread. */
export type ProfitDllRequests = Pick<
  ProfitDllFunctions,
  | 'SubscribeTicker'
  | 'UnsubscribeTicker'
  | 'SubscribePriceDepth'
  | 'UnsubscribePriceDepth'
  | 'RequestTickerInfo'
  | 'GetHistoryTrades'
  | 'SendOrder'
  | 'SendChangeOrderV2'
  | 'SendCancelOrderV2'
  | 'SendCancelAllOrdersV2'
  | 'SendZeroPositionV2'
  | 'GetAccountCount'
  | 'GetAccounts'
  | 'GetAccountDetails'
  | 'GetPositionV2'
>;

type Fn = ReturnType<ReturnType<typeof koffi.load>['func']>;

const ptr = (t: KoffiType): KoffiType => koffi.pointer(t);
const inout = (t: KoffiType): KoffiType => koffi.inout(koffi.pointer(t));
const NotifyProto = koffi.proto('__stdcall', null, 'void', []);

const BATCH_RECORDS = 1024;

/** One loaded relay library. Its functions are process-wide: one relay session at a time. */
export class RelayLibrary {
  readonly requests: ProfitDllRequests;
  private readonly fn: Record<string, Fn>;
  private readonly batch = Buffer.alloc(BATCH_RECORDS * RECORD_SIZE);
  private readonly view = new RelayRecordView(this.batch, new DataView(this.batch.buffer, this.batch.byteOffset, this.batch.length));
  private notifyCb: RegisteredCallback | undefined;

  constructor(readonly path: string) {
    const lib = koffi.load(path);
    const f = (name: string, result: KoffiType, args: KoffiType[]): Fn => lib.func('__stdcall', name, result, args);
    this.fn = {
      open: f('RelayOpen', 'int32', ['str16', ptr(NotifyProto), 'int32', 'int32']),
      lastError: f('RelayLastError', 'int32', ['void *', 'int32']),
      login: f('RelayLogin', 'int32', ['str16', 'str16', 'str16', koffi.out(ptr('int32'))]),
      drain: f('RelayDrain', 'int32', ['void *', 'int32']),
      status: f('RelayGetStatus', 'int32', [koffi.out(ptr(RelayStatusType))]),
      finalize: f('RelayFinalize', 'int32', ['int32']),
      abandon: f('RelayAbandon', 'int32', []),
      enumerate: f('RelayEnumerateAllOrders', 'int32', [ptr(TConnectorAccountIdentifier), 'uint8', 'void *', 'int32']),
    };
    const r = (name: string, result: KoffiType, args: KoffiType[]): Fn => f(`Relay${name}`, result, args);
    this.requests = {
      SubscribeTicker: r('SubscribeTicker', 'int32', ['str16', 'str16']),
      UnsubscribeTicker: r('UnsubscribeTicker', 'int32', ['str16', 'str16']),
      SubscribePriceDepth: r('SubscribePriceDepth', 'int32', [ptr(TConnectorAssetIdentifier)]),
      UnsubscribePriceDepth: r('UnsubscribePriceDepth', 'int32', [ptr(TConnectorAssetIdentifier)]),
      RequestTickerInfo: r('RequestTickerInfo', 'int32', ['str16', 'str16']),
      GetHistoryTrades: r('GetHistoryTrades', 'int32', ['str16', 'str16', 'str16', 'str16']),
      SendOrder: r('SendOrder', 'int64', [inout(TConnectorSendOrder)]),
      SendChangeOrderV2: r('SendChangeOrderV2', 'int32', [inout(TConnectorChangeOrder)]),
      SendCancelOrderV2: r('SendCancelOrderV2', 'int32', [inout(TConnectorCancelOrder)]),
      SendCancelAllOrdersV2: r('SendCancelAllOrdersV2', 'int32', [ptr(TConnectorCancelAllOrders)]),
      SendZeroPositionV2: r('SendZeroPositionV2', 'int64', [inout(TConnectorZeroPosition)]),
      GetAccountCount: r('GetAccountCount', 'int32', []),
      GetAccounts: r('GetAccounts', 'int32', ['int32', 'int32', 'int32', 'void *']),
      GetAccountDetails: r('GetAccountDetails', 'int32', [inout(TConnectorTradingAccountOut)]),
      GetPositionV2: r('GetPositionV2', 'int32', [inout(TConnectorTradingAccountPosition)]),
    } as unknown as ProfitDllRequests;
    void TConnectorAccountIdentifierOut; // GetAccounts fills an array of these (accounts.ts decodes it)
  }

  /** Loads the DLL inside the relay and starts its threads; `notify` runs on the event loop. */
  open(dllPath: string, notify: RelayNotify, ringCapacity: number, requestTimeoutMs: number): number {
    this.notifyCb = koffi.register(notify, koffi.pointer(NotifyProto));
    const rc = this.fn.open(dllPath, this.notifyCb, ringCapacity, requestTimeoutMs) as number;
    if (rc !== 0) this.releaseNotify();
    return rc;
  }

  lastError(): string {
    const buf = Buffer.alloc(1024);
    this.fn.lastError(buf, 512);
    const text = buf.toString('utf16le');
    return text.slice(0, Math.max(0, text.indexOf('\0')));
  }

  login(key: string, user: string, password: string): { rc: number; setCallbacks: number } {
    const out = [0];
    const rc = this.fn.login(key, user, password, out) as number;
    return { rc, setCallbacks: out[0] };
  }

  /** Drains up to `max` records, handing each to `each` (the view is valid only during the call). */
  drain(max: number, each: (r: RelayRecordView) => void): number {
    let total = 0;
    while (total < max) {
      const n = this.fn.drain(this.batch, Math.min(BATCH_RECORDS, max - total)) as number;
      for (let k = 0; k < n; k++) each(this.view.at(k));
      total += n;
      if (n < BATCH_RECORDS) break;
    }
    return total;
  }

  status(): RelayStatus {
    const s = {} as RelayStatus;
    this.fn.status(s);
    for (const k of ['pushed', 'drained', 'lost', 'lostOrders', 'lostTrades', 'lostOther', 'slowestCallbackUs'] as const) s[k] = Number(s[k]);
    s.requestName = s.requestName.replace(/\0.*$/s, '');
    s.callbackName = s.callbackName.replace(/\0.*$/s, '');
    return s;
  }

  /** EnumerateAllOrders on the relay's thread, as the records the reconciler reads. */
  enumerateOrders(account: AccountIdentifier, version: number): { rc: number; orders: ConnectorOrder[] } {
    let cap = 256;
    for (;;) {
      const buf = Buffer.alloc(cap * koffi.sizeof(RelayOrderType));
      const rc = this.fn.enumerate(account, version, buf, cap) as number;
      if (rc < 0) return { rc, orders: [] };
      if (rc > cap) {
        cap = rc;
        continue;
      }
      const orders: ConnectorOrder[] = [];
      for (let k = 0; k < rc; k++) orders.push(toConnectorOrder(koffi.decode(buf, k * koffi.sizeof(RelayOrderType), RelayOrderType) as RelayOrderRecord));
      return { rc: 0, orders };
    }
  }

  /** DLLFinalize on the relay's request thread, off the event loop (the notifier may be waiting for it). */
  finalize(timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      this.fn.finalize.async(timeoutMs, (err: unknown, rc: number) => resolve(err ? RELAY_CODES.RELAY_TIMEOUT : rc));
    });
  }

  /** After a failed login: the relay's threads stop; there is nothing to finalize. */
  abandon(): void {
    this.fn.abandon();
  }

  /** Only once the notifier thread is stopped (after finalize). */
  releaseNotify(): void {
    if (this.notifyCb) koffi.unregister(this.notifyCb);
    this.notifyCb = undefined;
  }
}

function cut(s: string): string {
  const nul = s.indexOf('\0');
  return nul >= 0 ? s.slice(0, nul) : s;
}

function toConnectorOrder(o: RelayOrderRecord): ConnectorOrder {
  const empty = { wYear: 0, wMonth: 0, wDayOfWeek: 0, wDay: 0, wHour: 0, wMinute: 0, wSecond: 0, wMilliseconds: 0 };
  return {
    Version: 1,
    OrderID: { Version: 0, LocalOrderID: o.localOrderId, ClOrderID: cut(o.clOrdId) },
    AccountID: { Version: 0, BrokerID: 0, AccountID: cut(o.accountId), SubAccountID: cut(o.subAccountId), Reserved: 0 },
    AssetID: { Version: 0, Ticker: cut(o.ticker), Exchange: '', FeedType: 0 },
    Quantity: Number(o.quantity),
    TradedQuantity: Number(o.tradedQuantity),
    LeavesQuantity: Number(o.leavesQuantity),
    Price: o.price,
    StopPrice: o.stopPrice,
    AveragePrice: o.averagePrice,
    OrderSide: o.side,
    OrderType: o.type,
    OrderStatus: o.status,
    ValidityType: o.validity,
    Date: empty,
    LastUpdate: o.lastUpdate,
    CloseDate: empty,
    ValidityDate: empty,
    TextMessage: cut(o.text),
    EventID: 0,
  };
}

let loaded: RelayLibrary | undefined;

/** The relay library, loaded once per process (koffi keeps a library's functions for the process's life). */
export function loadRelay(path: string): RelayLibrary {
  if (!loaded || loaded.path !== path) loaded = new RelayLibrary(path);
  return loaded;
}
