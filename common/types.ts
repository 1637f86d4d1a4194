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
}

export interface BalanceView {
  client: string;
  d0: number;
  d1: number;
  d2: number;
  /** ISO dates (yyyy-mm-dd) of the three settlement days the columns refer to. */
  dates: [string, string, string];
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
  by?: string;
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

export interface HealthView {
  ok: boolean;
  broker: { name: string; connected: boolean; message?: string };
  /** The last reconnection's report, until the next one. */
  lastReconnect?: ReconnectReport;
  tradingState: TradingState;
  killSwitch: boolean;
  version: string;
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

export type WsChannel = 'orders' | 'positions' | 'balances' | 'killswitch' | 'health' | `quotes:${string}`;

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
