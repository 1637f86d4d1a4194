/**
 * Wire types shared by the add-in and the bridge (PRODUCT.md §4).
 * Money and prices travel as decimal numbers in BRL (or index points); quantities as integers.
 * Inside the bridge, prices are integer ticks and money integer centavos; these shapes are the edge.
 */

export type Side = 'buy' | 'sell';

export const ORDER_STATUSES = [
  'pending_new',
  'working',
  'partially_filled',
  'filled',
  'pending_cancel',
  'canceled',
  'rejected',
  'expired',
  'paused',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ALGO_TYPES = ['full', 'iceberg', 'twap', 'vwap', 'cover'] as const;
export type AlgoType = (typeof ALGO_TYPES)[number];

export interface AlgoSpec {
  type: AlgoType;
  [param: string]: unknown;
}

export type AlgoParamKind = 'number' | 'integer' | 'time' | 'percent' | 'boolean' | 'enum';

/** One parameter of a ticket type, as GET /api/algos serves it; forms and sheet templates are built from it. */
export interface AlgoParamDescriptor {
  name: string;
  label: string;
  kind: AlgoParamKind;
  required: boolean;
  min?: number;
  max?: number;
  default?: number | string | boolean;
  /** Allowed values of an `enum` parameter. */
  options?: Array<{ value: string; label: string }>;
  help?: string;
}

/** A ticket type as GET /api/algos serves it. */
export interface AlgoDescriptorView {
  type: AlgoType;
  label: string;
  description?: string;
  /** A limit price is mandatory (cover-to-X needs its X). */
  requiresLimit?: boolean;
  params: AlgoParamDescriptor[];
}

export interface AllocationRequest {
  client: string;
  qty?: number;
  weight?: number;
}

export interface BoletaRequest {
  client?: string;
  allocations?: AllocationRequest[];
  symbol: string;
  side: Side;
  qty: number;
  limitPrice?: number;
  algo: AlgoSpec;
  idempotencyKey?: string;
}

export interface ChildOrderView {
  id: string;
  symbol: string;
  side: Side;
  qty: number;
  filledQty: number;
  limitPrice?: number;
  status: OrderStatus;
  brokerOrderId?: string;
  createdAt: string;
}

export interface FillView {
  id: string;
  childId: string;
  qty: number;
  price: number;
  time: string;
  /** This fill's share of its client's day bill as it stands (an order's detail). */
  feesBrl: number;
}

export interface AllocationView {
  client: string;
  targetQty: number;
  filledQty: number;
  avgPrice: number;
}

export interface OrderMetrics {
  /** Mid price when the boleta was accepted. */
  arrivalPrice?: number;
  avgPrice?: number;
  /** Positive = worse than the benchmark for the order's side. */
  slippageVsArrivalBps?: number;
  /** Against the market's VWAP over the order's own working interval. */
  intervalVwap?: number;
  slippageVsVwapBps?: number;
  /** Filled quantity / market quantity traded in the symbol while the order worked (0..1). */
  participationRate?: number;
  children?: number;
  reprices?: number;
  /**
   * B3 fees of the order's fills. An order's detail gives them as the day's bill apportions them now
   * (a leg a later trade made a day trade is repriced); the streamed list gives what each fill showed when booked.
   */
  feesBrl: number;
}

/** One point of an algo's plan: by time `t` (ISO) the order should have filled `targetQty`. */
export interface SchedulePoint {
  t: string;
  targetQty: number;
}

export interface OrderView {
  id: string;
  client?: string;
  allocations?: AllocationView[];
  symbol: string;
  side: Side;
  qty: number;
  filledQty: number;
  avgPrice: number;
  limitPrice?: number;
  algo: AlgoSpec;
  status: OrderStatus;
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
  /** The person whose token sent the boleta. */
  createdBy?: string;
  /** The strategy run that sent the boleta, when one did. */
  origin?: { strategyRunId: string; strategy: string };
  idempotencyKey?: string;
  children?: ChildOrderView[];
  fills?: FillView[];
  metrics?: OrderMetrics;
  /** Other orders the same block boleta became, one per client broker account (per-account routing). */
  routedWith?: string[];
  /** TWAP/VWAP plan against which progress is drawn; absent for algos without a schedule. */
  schedule?: SchedulePoint[];
}

export interface ClientLimits {
  maxOrderNotionalBrl?: number;
  maxOrderQty?: number;
}

export interface ClientView {
  id: string;
  name: string;
  account?: string;
  openingCash: number;
  limits?: ClientLimits;
}

export interface PositionView {
  client?: string;
  symbol: string;
  qty: number;
  avgPrice: number;
  last: number;
  realizedPnl: number;
  unrealizedPnl: number;
  /**
   * Gross exposure in BRL at the last price, with the instrument's multiplier (WIN R$ 0,20 a point,
   * WDO R$ 10): |qty| x last x pointValue per client; consolidated, the sum of the clients' figures.
   * Absent without a last price (never shown as zero).
   */
  exposure?: number;
  /** Signed like qty: long minus short, in BRL at the last price. Absent without a last price. */
  netExposure?: number;
}

/** Sums the bridge computed over a set of positions (all clients, or one client). */
export interface PositionTotalsView {
  /** Absent for the all-clients total. */
  client?: string;
  realizedPnl: number;
  unrealizedPnl: number;
  /** Absent when some open position has no last price (see `unpriced`). */
  exposure?: number;
  netExposure?: number;
  /** Symbols of open positions without a last price: their exposure is unknown. */
  unpriced: string[];
}

/** The `positions` channel: consolidated rows, every client's rows, and their totals. */
export interface PositionsChannelView {
  consolidated: PositionView[];
  byClient: PositionView[];
  totals: PositionTotalsView;
  clientTotals: PositionTotalsView[];
}

export interface BalanceView {
  client: string;
  d0: number;
  d1: number;
  d2: number;
  /** ISO dates (yyyy-mm-dd) of the three settlement days the columns refer to. */
  dates: [string, string, string];
}

/** One trade that settles on a given date (GET /api/settlements). Money in BRL. */
export interface SettlementRowView {
  /** The trade (fill) id. */
  tradeId: string;
  tradeDate: string;
  client: string;
  symbol: string;
  side: Side;
  qty: number;
  price: number;
  /** Cash this trade moves on the date: sells positive, buys negative; futures: the projected daily adjustment of today's trades (0 when not known). */
  amount: number;
  /** Estimated B3 fees (this trade's share of its day's bill), positive. */
  fees: number;
  /** amount - fees. */
  net: number;
  /** Quantity of the asset the client both bought and sold that day (day-trade rates), when any. */
  dayTradeQty?: number;
}

export interface SettlementDayView {
  client: string;
  /** Settlement date, ISO yyyy-mm-dd. */
  date: string;
  rows: SettlementRowView[];
  totals: { amount: number; fees: number; net: number };
}

export interface InstrumentView {
  symbol: string;
  name: string;
  kind: 'stock' | 'fractional' | 'future' | 'option';
  tickSize: number;
  lotSize: number;
  /** BRL per 1.00 of price per unit (1 for stocks, 0.2 for WIN, 10 for WDO). */
  pointValue: number;
  settlementDays: number;
  /** Round-lot symbol that a fractional symbol mirrors (PETR4F -> PETR4). */
  underlying?: string;
  /** Futures: last trading day, ISO yyyy-mm-dd (the contract is refused from the next day). */
  expiry?: string;
}

export interface QuoteView {
  symbol: string;
  bid?: number;
  bidQty?: number;
  ask?: number;
  askQty?: number;
  last?: number;
  open?: number;
  high?: number;
  low?: number;
  prevClose?: number;
  changePct?: number;
  volumeQty: number;
  volumeBrl: number;
  trades: number;
  time: string;
}

export interface KillSwitchView {
  engaged: boolean;
  reason?: string;
  at?: string;
  /** The person who engaged (or released) it. */
  by?: string;
  /** The token that did it, for the audit trail. */
  byToken?: string;
}

export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** What the exchange did to the firm's orders while the broker connection was down, found on reconnect. */
export interface ReconnectReport {
  at: string;
  outageMs: number;
  /** Child order ids the exchange canceled or expired meanwhile. */
  canceledByExchange: string[];
  /** Child order ids that were filled (fully or partly) meanwhile. */
  filledWhileAway: string[];
  /** Parent ids held (paused) for review instead of re-sent, because the outage was longer than the setting. */
  held: string[];
}

/** A broker adapter's own health beyond connected/message (ProfitDLL: its callback path). */
export interface BrokerDiagnosticsView {
  /** 'relay': the native callback relay; 'direct': koffi callbacks that wait for the event loop. */
  path: 'relay' | 'direct';
  /** Events dropped because the bridge drained the callback queue too slowly: lost data, never silent. */
  lostEvents: number;
  lostTrades: number;
  lostOrderEvents: number;
  ringCapacity?: number;
  ringHighWater?: number;
  slowestCallbackMs?: number;
  /** Strings cut because the DLL reported a length beyond what the relay keeps. */
  truncatedTexts?: number;
  /** A DLL call that has not returned, by name. */
  hungCall?: { name: string; sinceMs: number };
  /** What is wrong, pt-BR / English, one line each. */
  warnings: string[];
}

export interface HealthView {
  ok: boolean;
  broker: { name: string; connected: boolean; message?: string; diagnostics?: BrokerDiagnosticsView };
  /** The last reconnection's report, until the next one. */
  lastReconnect?: ReconnectReport;
  tradingState: TradingState;
  killSwitch: boolean;
  version: string;
}

/** POST /api/orders/resume-all: which paused parents went back to work, and which did not and why. */
export interface ResumeAllResult {
  resumed: string[];
  skipped: Array<{ id: string; reason: string }>;
}

export interface ApiErrorItem {
  field: string;
  code: string;
  message: string;
}

export interface ApiError {
  errors: ApiErrorItem[];
}

/** One result per row of POST /api/orders/batch, in row order. */
export type BatchRowResult =
  | { row: number; ok: true; order: OrderView; duplicate?: boolean }
  | { row: number; ok: false; errors: ApiErrorItem[] };

// --- WebSocket protocol -------------------------------------------------------------------

export type WsChannel = 'orders' | 'positions' | 'balances' | 'killswitch' | 'health' | 'backtests' | 'sweeps' | `quotes:${string}`;

export type WsClientMessage =
  | { op: 'auth'; token: string }
  | { op: 'subscribe'; channels: string[] }
  | { op: 'unsubscribe'; channels: string[] }
  | { op: 'snapshot'; channel: string }
  | { op: 'ping' };

export type WsServerMessage =
  | { op: 'ready'; role: string }
  | { op: 'snapshot'; channel: string; seq: number; data: unknown }
  | { op: 'delta'; channel: string; seq: number; data: unknown }
  | { op: 'error'; errors: ApiErrorItem[] }
  | { op: 'pong' };
