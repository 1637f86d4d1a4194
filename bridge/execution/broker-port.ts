/**
 * The broker port: the one interface between the OMS and a market.
 *
 * Shaped after ProfitDLL (reference/profitdll.md): requests return at once and everything else
 * arrives later as events (acknowledgement, order updates, fills, connection changes). The OMS
 * names each child order with a `clientOrderId` that is unique and stable for life; a broker
 * must refuse a second order with an id it already knows, so a resend after a restart can never
 * duplicate an order at the market. Implementations: simulated B3 (adapters/sim), ProfitDLL
 * through koffi (adapters/profitdll), replay of history (backtest).
 */
import type { BrokerDiagnosticsView, Side } from '../../common/types.js';

export interface BrokerOrderRequest {
  clientOrderId: string;
  /** The client's broker account; '' = the broker's default account. */
  account: string;
  symbol: string;
  side: Side;
  qty: number;
  /** Undefined = market order. */
  priceTicks?: number;
}

export type BrokerOrderStatus =
  | 'new'
  | 'partially_filled'
  | 'filled'
  | 'canceled'
  | 'rejected'
  | 'expired';

/** Cumulative view of one order at the broker (an execution report). */
export interface BrokerOrderUpdate {
  clientOrderId: string;
  brokerOrderId?: string;
  status: BrokerOrderStatus;
  qty: number;
  filledQty: number;
  priceTicks?: number;
  /** Set on 'rejected' and on refused cancels/replaces. */
  reason?: string;
  /** Broker timestamp, epoch milliseconds. */
  timeMs: number;
}

export interface BrokerFill {
  /** Unique per fill at the broker: replays and reconciliation dedupe on it. */
  tradeId: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  qty: number;
  priceTicks: number;
  timeMs: number;
}

export interface BrokerTrade {
  symbol: string;
  qty: number;
  priceTicks: number;
  timeMs: number;
  aggressor?: Side;
}

export interface BrokerBook {
  symbol: string;
  bidTicks?: number;
  bidQty?: number;
  askTicks?: number;
  askQty?: number;
  timeMs: number;
}

/**
 * A closed candle, from a venue that replays candles (a backtest, or the bridge on recorded
 * history): strategies get the bar itself instead of one rebuilt from prints.
 */
export interface BrokerBar {
  /** The series' name (`WINFUT`), as a strategy asked for it. */
  symbol: string;
  /** The symbol it trades as now (the front contract of a continuous future). */
  tradeSymbol: string;
  startMs: number;
  endMs: number;
  openTicks: number;
  highTicks: number;
  lowTicks: number;
  closeTicks: number;
  qty: number;
  volumeCentavos: number;
}

export interface BrokerConnectionState {
  connected: boolean;
  /** Human-readable state, pt-BR and English, e.g. from ProfitDLL's state callback. */
  message: string;
}

export interface BrokerEvents {
  connection(state: BrokerConnectionState): void;
  orderUpdate(update: BrokerOrderUpdate): void;
  fill(fill: BrokerFill): void;
  trade(trade: BrokerTrade): void;
  book(book: BrokerBook): void;
  /** Only venues that replay candles send bars. */
  bar?(bar: BrokerBar): void;
}

export interface BrokerSnapshot {
  orders: BrokerOrderUpdate[];
  fills: BrokerFill[];
}

export interface BrokerPort {
  readonly name: string;
  /** Attach the single listener set (the execution engine). Called once before connect. */
  setListener(events: BrokerEvents): void;
  connect(): Promise<void>;
  /** Release resources; never throws. */
  close(): Promise<void>;
  isConnected(): boolean;
  /** Current connection state with its message, when the broker keeps one (e.g. why a login failed). */
  status?(): BrokerConnectionState;
  /** The adapter's own health (lost events, a DLL call that hangs), for /api/health. */
  diagnostics?(): BrokerDiagnosticsView;
  submit(order: BrokerOrderRequest): void;
  /** Change quantity and/or price (price changes lose queue priority at B3). */
  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void;
  cancel(clientOrderId: string): void;
  cancelAll(): void;
  /** Today's orders and fills known to the broker, for reconciliation after a restart or reconnect. */
  snapshot(): Promise<BrokerSnapshot>;
  subscribe(symbol: string): void;
}
