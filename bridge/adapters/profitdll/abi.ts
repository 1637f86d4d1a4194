/**
 * ProfitDLL ABI for koffi: records, callback prototypes, exported functions and enums, exactly as
 * reference/profitdll.md §2–§10 declares them (64-bit layout of §6.2, pinned by test/profitdll/abi.test.ts
 * and by static asserts in the C stand-in).
 *
 * Types are anonymous on purpose: koffi keeps named types in one process-wide registry, and a module that
 * is evaluated twice (test isolation, hot reload) would otherwise fail with "duplicate type".
 * Every declaration says __stdcall, as the vendor requires; koffi honours it on 32-bit x86 and ignores it
 * everywhere else, which is what the x64 DLL and the System V stand-in both expect.
 */
import koffi from 'koffi';
import type { KoffiFunc } from 'koffi';

// --- enums (§4, §7) -------------------------------------------------------------------------------

export const ConnStateType = { LOGIN: 0, ROUTING: 1, MARKET_DATA: 2, ACTIVATION: 3 } as const;
export const LoginResult = {
  LOGIN_CONNECTED: 0,
  LOGIN_INVALID: 1,
  LOGIN_INVALID_PASS: 2,
  LOGIN_BLOCKED_PASS: 3,
  LOGIN_EXPIRED_PASS: 4,
  LOGIN_UNKNOWN_ERR: 200,
} as const;
export const RoutingResult = {
  ROTEAMENTO_DISCONNECTED: 0,
  ROTEAMENTO_CONNECTING: 1,
  ROTEAMENTO_CONNECTED: 2,
  ROTEAMENTO_BROKER_DISCONNECTED: 3,
  ROTEAMENTO_BROKER_CONNECTING: 4,
  ROTEAMENTO_BROKER_CONNECTED: 5,
} as const;
export const MarketResult = {
  MARKET_DISCONNECTED: 0,
  MARKET_CONNECTING: 1,
  MARKET_WAITING: 2,
  MARKET_NOT_LOGGED: 3,
  MARKET_CONNECTED: 4,
  MARKET_PERFORMANCE_WARNING: 5,
  MARKET_PARTIAL_CONNECTED: 6,
} as const;
export const ActivationResult = { CONNECTION_ACTIVATE_VALID: 0, CONNECTION_ACTIVATE_INVALID: 1 } as const;

export const OrderType = { cotMarket: 1, cotLimit: 2, cotStopLimit: 4 } as const;
export const OrderSide = { cosBuy: 1, cosSell: 2 } as const;
export const PositionType = { cptDayTrade: 1, cptConsolidated: 2 } as const;
export const OrderStatus = {
  cosNew: 0,
  cosPartiallyFilled: 1,
  cosFilled: 2,
  cosDoneForDay: 3,
  cosCanceled: 4,
  cosReplaced: 5,
  cosPendingCancel: 6,
  cosStopped: 7,
  cosRejected: 8,
  cosSuspended: 9,
  cosPendingNew: 10,
  cosCalculated: 11,
  cosExpired: 12,
  cosAcceptedForBidding: 13,
  cosPendingReplace: 14,
  cosPartiallyFilledCanceled: 15,
  cosReceived: 16,
  cosPartiallyFilledExpired: 17,
  cosPartiallyFilledRejected: 18,
  cosUnknown: 200,
  cosHadesCreated: 201,
  cosBrokerSent: 202,
  cosClientCreated: 203,
  cosOrderNotCreated: 204,
  cosCanceledByAdmin: 205,
  cosDelayFixGateway: 206,
  cosScheduledOrder: 207,
} as const;
export const AccountFlags = { CA_IS_SUB_ACCOUNT: 1, CA_IS_ENABLED: 2 } as const;
export const UpdateType = {
  utAdd: 0,
  utEdit: 1,
  utDelete: 2,
  utInsert: 3,
  utFullBook: 4,
  utPrepare: 5,
  utFlush: 6,
  utTheoricPrice: 7,
  utDeleteFrom: 8,
} as const;
export const BookSide = { bsBuy: 0, bsSell: 1, bsBoth: 254, bsNone: 255 } as const;
export const TradeFlags = { TC_IS_EDIT: 1, TC_LAST_PACKET: 2 } as const;
export const TradeType = { ttBuyAgressor: 2, ttSellAgressor: 3 } as const;

// --- records (§6) ---------------------------------------------------------------------------------

export const TSystemTime = koffi.struct({
  wYear: 'uint16',
  wMonth: 'uint16',
  wDayOfWeek: 'uint16',
  wDay: 'uint16',
  wHour: 'uint16',
  wMinute: 'uint16',
  wSecond: 'uint16',
  wMilliseconds: 'uint16',
});

export const TAssetIDRec = koffi.pack({ pwcTicker: 'str16', pwcBolsa: 'str16', nFeed: 'int32' });

export const TConnectorAccountIdentifier = koffi.struct({
  Version: 'uint8',
  BrokerID: 'int32',
  AccountID: 'str16',
  SubAccountID: 'str16',
  Reserved: 'int64',
});

export const TConnectorAccountIdentifierOut = koffi.struct({
  Version: 'uint8',
  BrokerID: 'int32',
  AccountID: koffi.array('char16_t', 100),
  AccountIDLength: 'int32',
  SubAccountID: koffi.array('char16_t', 100),
  SubAccountIDLength: 'int32',
  Reserved: 'int64',
});

export const TConnectorAssetIdentifier = koffi.struct({
  Version: 'uint8',
  Ticker: 'str16',
  Exchange: 'str16',
  FeedType: 'uint8',
});

/** Output strings are buffers the caller allocates after a first call reports the lengths (§6.4). */
export const TConnectorAssetIdentifierOut = koffi.struct({
  Version: 'uint8',
  Ticker: 'void *',
  TickerLength: 'int32',
  Exchange: 'void *',
  ExchangeLength: 'int32',
  FeedType: 'uint8',
});

export const TConnectorOrderIdentifier = koffi.struct({
  Version: 'uint8',
  LocalOrderID: 'int64',
  ClOrderID: 'str16',
});

export const TConnectorSendOrder = koffi.struct({
  Version: 'uint8',
  AccountID: TConnectorAccountIdentifier,
  AssetID: TConnectorAssetIdentifier,
  Password: 'str16',
  OrderType: 'uint8',
  OrderSide: 'uint8',
  Price: 'double',
  StopPrice: 'double',
  Quantity: 'int64',
  MessageID: 'int64',
});

export const TConnectorChangeOrder = koffi.struct({
  Version: 'uint8',
  AccountID: TConnectorAccountIdentifier,
  OrderID: TConnectorOrderIdentifier,
  Password: 'str16',
  Price: 'double',
  StopPrice: 'double',
  Quantity: 'int64',
  MessageID: 'int64',
});

export const TConnectorCancelOrder = koffi.struct({
  Version: 'uint8',
  AccountID: TConnectorAccountIdentifier,
  OrderID: TConnectorOrderIdentifier,
  Password: 'str16',
  MessageID: 'int64',
});

export const TConnectorCancelAllOrders = koffi.struct({
  Version: 'uint8',
  AccountID: TConnectorAccountIdentifier,
  Password: 'str16',
});

export const TConnectorZeroPosition = koffi.struct({
  Version: 'uint8',
  AccountID: TConnectorAccountIdentifier,
  AssetID: TConnectorAssetIdentifier,
  Password: 'str16',
  Price: 'double',
  PositionType: 'uint8',
  MessageID: 'int64',
});

export const TConnectorTradingAccountOut = koffi.struct({
  Version: 'uint8',
  AccountID: TConnectorAccountIdentifier,
  BrokerName: 'void *',
  BrokerNameLength: 'int32',
  OwnerName: 'void *',
  OwnerNameLength: 'int32',
  SubOwnerName: 'void *',
  SubOwnerNameLength: 'int32',
  AccountFlags: 'uint32',
  AccountType: 'uint8',
});

export const TConnectorTradingAccountPosition = koffi.struct({
  Version: 'uint8',
  AccountID: TConnectorAccountIdentifier,
  AssetID: TConnectorAssetIdentifier,
  OpenQuantity: 'int64',
  OpenAveragePrice: 'double',
  OpenSide: 'uint8',
  DailyAverageSellPrice: 'double',
  DailySellQuantity: 'int64',
  DailyAverageBuyPrice: 'double',
  DailyBuyQuantity: 'int64',
  DailyQuantityD1: 'int64',
  DailyQuantityD2: 'int64',
  DailyQuantityD3: 'int64',
  DailyQuantityBlocked: 'int64',
  DailyQuantityPending: 'int64',
  DailyQuantityAlloc: 'int64',
  DailyQuantityProvision: 'int64',
  DailyQuantity: 'int64',
  DailyQuantityAvailable: 'int64',
  PositionType: 'uint8',
  EventID: 'int64',
});

export const TConnectorOrder = koffi.struct({
  Version: 'uint8',
  OrderID: TConnectorOrderIdentifier,
  AccountID: TConnectorAccountIdentifier,
  AssetID: TConnectorAssetIdentifier,
  Quantity: 'int64',
  TradedQuantity: 'int64',
  LeavesQuantity: 'int64',
  Price: 'double',
  StopPrice: 'double',
  AveragePrice: 'double',
  OrderSide: 'uint8',
  OrderType: 'uint8',
  OrderStatus: 'uint8',
  ValidityType: 'uint8',
  Date: TSystemTime,
  LastUpdate: TSystemTime,
  CloseDate: TSystemTime,
  ValidityDate: TSystemTime,
  TextMessage: 'str16',
  EventID: 'int64',
});

export const TConnectorOrderOut = koffi.struct({
  Version: 'uint8',
  OrderID: TConnectorOrderIdentifier,
  AccountID: TConnectorAccountIdentifierOut,
  AssetID: TConnectorAssetIdentifierOut,
  Quantity: 'int64',
  TradedQuantity: 'int64',
  LeavesQuantity: 'int64',
  Price: 'double',
  StopPrice: 'double',
  AveragePrice: 'double',
  OrderSide: 'uint8',
  OrderType: 'uint8',
  OrderStatus: 'uint8',
  ValidityType: 'uint8',
  Date: TSystemTime,
  LastUpdate: TSystemTime,
  CloseDate: TSystemTime,
  ValidityDate: TSystemTime,
  TextMessage: 'void *',
  TextMessageLength: 'int32',
  EventID: 'int64',
});

export const TConnectorTrade = koffi.struct({
  Version: 'uint8',
  TradeDate: TSystemTime,
  TradeNumber: 'uint32',
  Price: 'double',
  Quantity: 'int64',
  Volume: 'double',
  BuyAgent: 'int32',
  SellAgent: 'int32',
  TradeType: 'uint8',
});

/** 4.0.0.34+: the trading server's answer to one message, keyed by the MessageID the request returned. */
export const TConnectorTradingMessageResult = koffi.struct({
  Version: 'uint8',
  BrokerID: 'int32',
  OrderID: TConnectorOrderIdentifier,
  MessageID: 'int64',
  ResultCode: 'uint8',
  Message: 'str16',
  MessageLength: 'int32',
});

export const TConnectorPriceGroup = koffi.struct({
  Version: 'uint8',
  Price: 'double',
  Count: 'uint32',
  Quantity: 'int64',
  PriceGroupFlags: 'uint32',
});

// --- JS shapes of the records the binding reads and writes ---------------------------------------

export interface SystemTime {
  wYear: number;
  wMonth: number;
  wDayOfWeek: number;
  wDay: number;
  wHour: number;
  wMinute: number;
  wSecond: number;
  wMilliseconds: number;
}
export interface AssetIDRec {
  pwcTicker: string | null;
  pwcBolsa: string | null;
  nFeed: number;
}
export interface AccountIdentifier {
  Version: number;
  BrokerID: number;
  AccountID: string | null;
  SubAccountID: string | null;
  Reserved: number;
}
export interface AccountIdentifierOut {
  Version: number;
  BrokerID: number;
  AccountID: string;
  AccountIDLength: number;
  SubAccountID: string;
  SubAccountIDLength: number;
  Reserved: number;
}
export interface AssetIdentifier {
  Version: number;
  Ticker: string | null;
  Exchange: string | null;
  FeedType: number;
}
export interface AssetIdentifierOut {
  Version: number;
  Ticker: unknown;
  TickerLength: number;
  Exchange: unknown;
  ExchangeLength: number;
  FeedType: number;
}
export interface OrderIdentifier {
  Version: number;
  LocalOrderID: number | bigint;
  ClOrderID: string | null;
}
export interface SendOrderRecord {
  Version: number;
  AccountID: AccountIdentifier;
  AssetID: AssetIdentifier;
  Password: string;
  OrderType: number;
  OrderSide: number;
  Price: number;
  StopPrice: number;
  Quantity: number;
  MessageID: number;
}
export interface ChangeOrderRecord {
  Version: number;
  AccountID: AccountIdentifier;
  OrderID: OrderIdentifier;
  Password: string;
  Price: number;
  StopPrice: number;
  Quantity: number;
  MessageID: number;
}
export interface CancelOrderRecord {
  Version: number;
  AccountID: AccountIdentifier;
  OrderID: OrderIdentifier;
  Password: string;
  MessageID: number;
}
export interface CancelAllOrdersRecord {
  Version: number;
  AccountID: AccountIdentifier;
  Password: string;
}
export interface ZeroPositionRecord {
  Version: number;
  AccountID: AccountIdentifier;
  AssetID: AssetIdentifier;
  Password: string;
  Price: number;
  PositionType: number;
  MessageID: number;
}
export interface TradingAccountOut {
  Version: number;
  AccountID: AccountIdentifier;
  BrokerName: unknown;
  BrokerNameLength: number;
  OwnerName: unknown;
  OwnerNameLength: number;
  SubOwnerName: unknown;
  SubOwnerNameLength: number;
  AccountFlags: number;
  AccountType: number;
}
export interface TradingAccountPosition {
  Version: number;
  AccountID: AccountIdentifier;
  AssetID: AssetIdentifier;
  OpenQuantity: number;
  OpenAveragePrice: number;
  OpenSide: number;
  DailyAverageSellPrice: number;
  DailySellQuantity: number;
  DailyAverageBuyPrice: number;
  DailyBuyQuantity: number;
  DailyQuantityD1: number;
  DailyQuantityD2: number;
  DailyQuantityD3: number;
  DailyQuantityBlocked: number;
  DailyQuantityPending: number;
  DailyQuantityAlloc: number;
  DailyQuantityProvision: number;
  DailyQuantity: number;
  DailyQuantityAvailable: number;
  PositionType: number;
  EventID: number;
}
export interface ConnectorOrder {
  Version: number;
  OrderID: OrderIdentifier;
  AccountID: AccountIdentifier;
  AssetID: AssetIdentifier;
  Quantity: number;
  TradedQuantity: number;
  LeavesQuantity: number;
  Price: number;
  StopPrice: number;
  AveragePrice: number;
  OrderSide: number;
  OrderType: number;
  OrderStatus: number;
  ValidityType: number;
  Date: SystemTime;
  LastUpdate: SystemTime;
  CloseDate: SystemTime;
  ValidityDate: SystemTime;
  TextMessage: string | null;
  EventID: number;
}
export interface OrderOut {
  Version: number;
  OrderID: OrderIdentifier;
  AccountID: AccountIdentifierOut;
  AssetID: AssetIdentifierOut;
  Quantity: number;
  TradedQuantity: number;
  LeavesQuantity: number;
  Price: number;
  StopPrice: number;
  AveragePrice: number;
  OrderSide: number;
  OrderType: number;
  OrderStatus: number;
  ValidityType: number;
  Date: SystemTime;
  LastUpdate: SystemTime;
  CloseDate: SystemTime;
  ValidityDate: SystemTime;
  TextMessage: unknown;
  TextMessageLength: number;
  EventID: number;
}
export interface ConnectorTrade {
  Version: number;
  TradeDate: SystemTime;
  TradeNumber: number;
  Price: number;
  Quantity: number;
  Volume: number;
  BuyAgent: number;
  SellAgent: number;
  TradeType: number;
}
export interface TradingMessageResult {
  Version: number;
  BrokerID: number;
  OrderID: OrderIdentifier;
  MessageID: number | bigint;
  ResultCode: number;
  Message: string | null;
  MessageLength: number;
}
export interface PriceGroup {
  Version: number;
  Price: number;
  Count: number;
  Quantity: number;
  PriceGroupFlags: number;
}

// --- callback prototypes (§3–§10) ------------------------------------------------------------------

export const TStateCallback = koffi.proto('__stdcall', null, 'void', ['int32', 'int32']);
export const TAccountCallback = koffi.proto('__stdcall', null, 'void', ['int32', 'str16', 'str16', 'str16']);
export const TProgressCallback = koffi.proto('__stdcall', null, 'void', [TAssetIDRec, 'int32']);
export const TConnectorOrderCallback = koffi.proto('__stdcall', null, 'void', [TConnectorOrderIdentifier]);
export const TConnectorAccountCallback = koffi.proto('__stdcall', null, 'void', [TConnectorAccountIdentifier]);
export const TConnectorTradeCallback = koffi.proto('__stdcall', null, 'void', [
  TConnectorAssetIdentifier,
  'void *',
  'uint32',
]);
export const TConnectorPriceDepthCallback = koffi.proto('__stdcall', null, 'void', [
  TConnectorAssetIdentifier,
  'uint8',
  'int32',
  'uint8',
]);
/**
 * The ≥ 4.0.0.38 form (three Int64 quantities, §10.7). An older DLL passes 32-bit integers there, which
 * arrive with garbage in the high half; the broker validates the values and falls back to its own table.
 */
export const TAssetListInfoCallbackV2 = koffi.proto('__stdcall', null, 'void', [
  TAssetIDRec,
  'str16',
  'str16',
  'int64',
  'int64',
  'int64',
  'int32',
  'int32',
  'double',
  'double',
  'str16',
  'str16',
  'str16',
  'str16',
  'str16',
]);
export const TConnectorTradingMessageResultCallback = koffi.proto('__stdcall', null, 'void', ['void *']);
export const TConnectorEnumerateOrdersProc = koffi.proto('__stdcall', null, 'int32', ['void *', 'intptr_t']);

export type EnumerateOrdersFn = (order: unknown, param: number) => number;

export type RegisteredCallback = ReturnType<typeof koffi.register>;
/** A koffi type: a type object or a type name. */
export type KoffiType = Parameters<typeof koffi.sizeof>[0];

// --- exported functions ----------------------------------------------------------------------------

type Int64Result = number | bigint;

/** The exports the broker uses, typed. `DLLFinalize.async` keeps the event loop free while it waits (§11.3). */
export interface ProfitDllFunctions {
  DLLInitializeLogin: KoffiFunc<
    (
      key: string,
      user: string,
      password: string,
      state: RegisteredCallback,
      history: null,
      orderChange: null,
      account: RegisteredCallback,
      newTrade: null,
      newDaily: null,
      priceBook: null,
      offerBook: null,
      historyTrade: null,
      progress: RegisteredCallback,
      tinyBook: null,
    ) => number
  >;
  DLLFinalize: KoffiFunc<() => number>;
  SetOrderCallback: KoffiFunc<(cb: RegisteredCallback | null) => number>;
  SetOrderHistoryCallback: KoffiFunc<(cb: RegisteredCallback | null) => number>;
  SetTradeCallbackV2: KoffiFunc<(cb: RegisteredCallback | null) => number>;
  SetHistoryTradeCallbackV2: KoffiFunc<(cb: RegisteredCallback | null) => number>;
  SetPriceDepthCallback: KoffiFunc<(cb: RegisteredCallback | null) => number>;
  SetAssetListInfoCallbackV2: KoffiFunc<(cb: RegisteredCallback | null) => number>;
  /** Absent before 4.0.0.34: then refused orders are known only from order reports. */
  SetTradingMessageResultCallback?: KoffiFunc<(cb: RegisteredCallback | null) => number>;
  SubscribeTicker: KoffiFunc<(ticker: string, exchange: string) => number>;
  UnsubscribeTicker: KoffiFunc<(ticker: string, exchange: string) => number>;
  SubscribePriceDepth: KoffiFunc<(asset: AssetIdentifier) => number>;
  UnsubscribePriceDepth: KoffiFunc<(asset: AssetIdentifier) => number>;
  GetPriceGroup: KoffiFunc<(asset: AssetIdentifier, side: number, position: number, out: PriceGroup) => number>;
  TranslateTrade: KoffiFunc<(trade: unknown, out: Buffer) => number>;
  RequestTickerInfo: KoffiFunc<(ticker: string, exchange: string) => number>;
  GetHistoryTrades: KoffiFunc<(ticker: string, exchange: string, start: string, end: string) => number>;
  SendOrder: KoffiFunc<(order: SendOrderRecord) => Int64Result>;
  SendChangeOrderV2: KoffiFunc<(change: ChangeOrderRecord) => number>;
  SendCancelOrderV2: KoffiFunc<(cancel: CancelOrderRecord) => number>;
  SendCancelAllOrdersV2: KoffiFunc<(cancel: CancelAllOrdersRecord) => number>;
  SendZeroPositionV2: KoffiFunc<(zero: ZeroPositionRecord) => Int64Result>;
  GetOrderDetails: KoffiFunc<(order: OrderOut) => number>;
  EnumerateAllOrders: KoffiFunc<
    (account: AccountIdentifier, orderVersion: number, param: number, proc: EnumerateOrdersFn) => number
  >;
  GetAccountCount: KoffiFunc<() => number>;
  GetAccounts: KoffiFunc<(startSource: number, startDest: number, count: number, out: Buffer) => number>;
  GetAccountDetails: KoffiFunc<(account: TradingAccountOut) => number>;
  GetPositionV2: KoffiFunc<(position: TradingAccountPosition) => number>;
}

type Declaration = [name: keyof ProfitDllFunctions, result: KoffiType, args: KoffiType[], optional?: true];

const ptr = (t: KoffiType): KoffiType => koffi.pointer(t);
const inout = (t: KoffiType): KoffiType => koffi.inout(koffi.pointer(t));

const DECLARATIONS: Declaration[] = [
  [
    'DLLInitializeLogin',
    'int32',
    [
      'str16',
      'str16',
      'str16',
      ptr(TStateCallback),
      'void *',
      'void *',
      ptr(TAccountCallback),
      'void *',
      'void *',
      'void *',
      'void *',
      'void *',
      ptr(TProgressCallback),
      'void *',
    ],
  ],
  ['DLLFinalize', 'int32', []],
  ['SetOrderCallback', 'int32', [ptr(TConnectorOrderCallback)]],
  ['SetOrderHistoryCallback', 'int32', [ptr(TConnectorAccountCallback)]],
  ['SetTradeCallbackV2', 'int32', [ptr(TConnectorTradeCallback)]],
  ['SetHistoryTradeCallbackV2', 'int32', [ptr(TConnectorTradeCallback)]],
  ['SetPriceDepthCallback', 'int32', [ptr(TConnectorPriceDepthCallback)]],
  ['SetAssetListInfoCallbackV2', 'int32', [ptr(TAssetListInfoCallbackV2)]],
  ['SubscribeTicker', 'int32', ['str16', 'str16']],
  ['UnsubscribeTicker', 'int32', ['str16', 'str16']],
  ['SubscribePriceDepth', 'int32', [ptr(TConnectorAssetIdentifier)]],
  ['UnsubscribePriceDepth', 'int32', [ptr(TConnectorAssetIdentifier)]],
  ['GetPriceGroup', 'int32', [ptr(TConnectorAssetIdentifier), 'uint8', 'int32', inout(TConnectorPriceGroup)]],
  // The record is read in place from a reused buffer (TradeReader): this is one call per trade, and
  // marshalling the record to and from a JS object costs more than the relay itself.
  ['TranslateTrade', 'int32', ['void *', 'void *']],
  ['RequestTickerInfo', 'int32', ['str16', 'str16']],
  ['GetHistoryTrades', 'int32', ['str16', 'str16', 'str16', 'str16']],
  // MessageID is an output (§6.3): the key of the TConnectorTradingMessageResult that answers the request.
  ['SendOrder', 'int64', [inout(TConnectorSendOrder)]],
  ['SendChangeOrderV2', 'int32', [inout(TConnectorChangeOrder)]],
  ['SendCancelOrderV2', 'int32', [inout(TConnectorCancelOrder)]],
  ['SendCancelAllOrdersV2', 'int32', [ptr(TConnectorCancelAllOrders)]],
  ['SendZeroPositionV2', 'int64', [inout(TConnectorZeroPosition)]],
  ['GetOrderDetails', 'int32', [inout(TConnectorOrderOut)]],
  ['EnumerateAllOrders', 'int32', [ptr(TConnectorAccountIdentifier), 'uint8', 'intptr_t', ptr(TConnectorEnumerateOrdersProc)]],
  ['GetAccountCount', 'int32', []],
  ['GetAccounts', 'int32', ['int32', 'int32', 'int32', 'void *']],
  ['GetAccountDetails', 'int32', [inout(TConnectorTradingAccountOut)]],
  ['GetPositionV2', 'int32', [inout(TConnectorTradingAccountPosition)]],
  ['SetTradingMessageResultCallback', 'int32', [ptr(TConnectorTradingMessageResultCallback)], true],
];

export type ProfitDllLibrary = ReturnType<typeof koffi.load>;

/**
 * Binds every export the broker needs. Throws `{ missing: name }` for an export the DLL lacks (a DLL
 * older than the ABI this binding targets), so the caller can say which one.
 */
export function bindProfitDll(lib: ProfitDllLibrary): ProfitDllFunctions {
  const fns: Record<string, unknown> = {};
  for (const [name, result, args, optional] of DECLARATIONS) {
    try {
      fns[name] = lib.func('__stdcall', name, result, args);
    } catch (cause) {
      if (optional) continue;
      throw Object.assign(new Error(`missing export ${name}`), { missing: name, cause });
    }
  }
  return fns as unknown as ProfitDllFunctions;
}

/** Decodes a UTF-16 buffer the DLL filled in the two-call pattern, up to `length` units or the first NUL. */
export function decodeOutString(buffer: unknown, length: number): string {
  if (!buffer || length <= 0) return '';
  const text = koffi.decode(buffer, 'char16_t', length) as string;
  const nul = text.indexOf('\0');
  return nul >= 0 ? text.slice(0, nul) : text;
}

export function decodeTradingMessageResult(pointer: unknown): TradingMessageResult {
  return koffi.decode(pointer, TConnectorTradingMessageResult) as TradingMessageResult;
}

/** Decodes the record behind a callback's pointer argument (koffi passes it as an opaque External). */
export function decodeConnectorOrder(pointer: unknown): ConnectorOrder {
  return koffi.decode(pointer, TConnectorOrder) as ConnectorOrder;
}

const TRADE_SIZE = koffi.sizeof(TConnectorTrade);
const TRADE_AT = {
  price: koffi.offsetof(TConnectorTrade, 'Price'),
  quantity: koffi.offsetof(TConnectorTrade, 'Quantity'),
  tradeType: koffi.offsetof(TConnectorTrade, 'TradeType'),
  date: koffi.offsetof(TConnectorTrade, 'TradeDate'),
};
const SYSTEMTIME_AT = Object.fromEntries(
  ['wYear', 'wMonth', 'wDay', 'wHour', 'wMinute', 'wSecond', 'wMilliseconds'].map((f) => [f, koffi.offsetof(TSystemTime, f)]),
) as Record<'wYear' | 'wMonth' | 'wDay' | 'wHour' | 'wMinute' | 'wSecond' | 'wMilliseconds', number>;

/** TranslateTrade into one reused TConnectorTrade buffer, read at the offsets koffi computed for the record. */
export class TradeReader {
  private readonly buffer = Buffer.alloc(TRADE_SIZE);
  private readonly view = new DataView(this.buffer.buffer, this.buffer.byteOffset, TRADE_SIZE);

  constructor(private readonly translate: ProfitDllFunctions['TranslateTrade']) {}

  /** Returns TranslateTrade's code; the getters read the trade it wrote. */
  read(pTrade: unknown): number {
    this.buffer[0] = 0; // Version 0 (§10.2)
    return this.translate(pTrade, this.buffer);
  }

  get price(): number {
    return this.view.getFloat64(TRADE_AT.price, true);
  }

  get quantity(): number {
    return this.view.getUint32(TRADE_AT.quantity, true) + this.view.getInt32(TRADE_AT.quantity + 4, true) * 2 ** 32;
  }

  get tradeType(): number {
    return this.buffer[TRADE_AT.tradeType];
  }

  /** TradeDate's wall-clock fields, in TSystemTime order. */
  dateField(field: keyof typeof SYSTEMTIME_AT): number {
    return this.view.getUint16(TRADE_AT.date + SYSTEMTIME_AT[field], true);
  }
}

export function decodeAccountIdentifierOut(buffer: Buffer, index: number): AccountIdentifierOut {
  return koffi.decode(buffer, index * koffi.sizeof(TConnectorAccountIdentifierOut), TConnectorAccountIdentifierOut) as AccountIdentifierOut;
}

export const ACCOUNT_IDENTIFIER_OUT_SIZE = koffi.sizeof(TConnectorAccountIdentifierOut);
