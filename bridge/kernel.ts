/**
 * The trading kernel: instruments, quotes, portfolio, risk gate and OMS (with its algos) wired to
 * one broker port. The bridge runs one on the live broker; a backtest runs one on the replay venue
 * with a simulated clock and an in-memory journal. Nothing else differs: the same code accepts the
 * boletas, splits them into children, checks risk, books fills, fees and settlement.
 */
import type { BrokerBar, BrokerBook, BrokerPort, BrokerTrade } from './execution/broker-port.js';
import type { AlgoRegistry } from './execution/algos/registry.js';
import type { FeeSchedule } from './fees/fee-schedule.js';
import type { MarketSession } from './execution/market-session.js';
import { type ClientDirectory, type EventSink, type OmsDeps, type OmsListener, OrderManager } from './execution/oms.js';
import type { TimerHost } from './execution/scheduler.js';
import { QuoteBoard } from './marketdata/quote-board.js';
import { brlToCentavos, type InstrumentRegistry } from './model/instrument.js';
import { PortfolioService } from './portfolio/portfolio-service.js';
import { DEFAULT_RISK_LIMITS, RiskGate, type RiskLimits } from './risk/risk-gate.js';

export interface KernelSettings {
  collarBps: number;
  maxOrderQty: number;
  maxOrderNotionalBrl: number;
  /** BRL per USD for WDO's dollar tariffs. */
  feeUsdBrl?: number;
  reconnectPolicy?: 'hold' | 'resend';
  reconnectHoldAfterMs?: number;
}

export interface KernelOptions {
  broker: BrokerPort;
  journal: EventSink;
  instruments: InstrumentRegistry;
  clients: ClientDirectory & { openingCashCentavos(id: string): number };
  settings: KernelSettings;
  algos: AlgoRegistry;
  session: MarketSession;
  idPrefix: string;
  nowMs: () => number;
  /** Host timers of the algo scheduler, or 'manual' when a replay drives time. */
  timers: TimerHost | 'manual';
  /** 'manual' when a replay tells the listeners itself after each step (OmsDeps.notifications). */
  notifications?: 'auto' | 'manual';
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: unknown) => void;
  audit: (e: { actor: string; action: string; target?: string; details?: unknown }) => void;
  actorName?: (actor: string) => string | undefined;
  originOf?: OmsDeps['originOf'];
  /** Overrides of the risk limits (a backtest may loosen the throttle it has no use for). */
  risk?: Partial<RiskLimits>;
  /** The fee table (default: the committed one; a replay of old history reaches back with it). */
  fees?: FeeSchedule;
}

/** Market events beside the OMS: quotes for the pane, bars and prints for strategies. */
export interface MarketTap {
  trade?(t: BrokerTrade, quoteChanged: boolean): void;
  book?(b: BrokerBook, quoteChanged: boolean): void;
  bar?(b: BrokerBar): void;
  connection?(state: { connected: boolean; message: string }): void;
}

export interface TradingKernel {
  instruments: InstrumentRegistry;
  quotes: QuoteBoard;
  portfolio: PortfolioService;
  risk: RiskGate;
  oms: OrderManager;
  broker: BrokerPort;
  /** The ticket types (GET /api/algos). */
  algos: AlgoRegistry;
  /** Adds a listener of market events after the OMS has seen them; returns its removal. */
  tap(t: MarketTap): () => void;
  /** Adds a listener of the OMS (orders changed, portfolio changed, risk state); returns its removal. */
  listen(l: Partial<OmsListener>): () => void;
}

export function createKernel(o: KernelOptions): TradingKernel {
  const { instruments, broker } = o;
  const s = o.settings;
  const quotes = new QuoteBoard(instruments, o.nowMs);
  const portfolio = new PortfolioService(instruments, (client) => o.clients.openingCashCentavos(client), () => s.feeUsdBrl, o.fees);
  const risk = new RiskGate({
    ...DEFAULT_RISK_LIMITS,
    collarBps: s.collarBps,
    maxOrderQty: s.maxOrderQty,
    maxOrderNotionalCentavos: brlToCentavos(s.maxOrderNotionalBrl),
    ...o.risk,
  });
  const oms = new OrderManager({
    algos: o.algos,
    instruments,
    journal: o.journal,
    broker,
    risk,
    booker: portfolio,
    clients: o.clients,
    quotes,
    idPrefix: o.idPrefix,
    nowMs: o.nowMs,
    log: o.log,
    audit: o.audit,
    actorName: o.actorName,
    originOf: o.originOf,
    session: o.session,
    timers: o.timers,
    notifications: o.notifications,
    reconnect: s.reconnectPolicy ? { policy: s.reconnectPolicy, holdAfterMs: s.reconnectHoldAfterMs ?? 5_000 } : undefined,
  });
  // An array (rebuilt on the rare add or removal): every market event walks it.
  let taps: MarketTap[] = [];
  const listeners = new Set<Partial<OmsListener>>();
  oms.setListener({
    ordersChanged: (ids) => {
      for (const l of listeners) guard(() => l.ordersChanged?.(ids));
    },
    portfolioChanged: () => {
      for (const l of listeners) guard(() => l.portfolioChanged?.());
    },
    riskStateChanged: () => {
      for (const l of listeners) guard(() => l.riskStateChanged?.());
    },
  });
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      // An event that breaks an invariant, or a listener that throws, is logged; the kernel keeps running.
      o.log('error', 'event handler failed', e);
    }
  };
  // Broker events are the hot path of a replay: one try per event, no closure per call.
  const fail = (e: unknown) => o.log('error', 'event handler failed', e);
  broker.setListener({
    connection: (st) => {
      oms.onConnection(st);
      for (const t of taps) guard(() => t.connection?.(st));
    },
    orderUpdate: (u) => guard(() => oms.onOrderUpdate(u)),
    fill: (f) => guard(() => oms.onFill(f)),
    trade: (t) => {
      try {
        oms.runtime.onTrade(t);
      } catch (e) {
        fail(e);
      }
      const changed = quotes.onTrade(t);
      for (const tap of taps) {
        try {
          tap.trade?.(t, changed);
        } catch (e) {
          fail(e);
        }
      }
    },
    book: (b) => {
      try {
        oms.runtime.onBook(b);
      } catch (e) {
        fail(e);
      }
      const changed = quotes.onBook(b);
      for (const tap of taps) {
        try {
          tap.book?.(b, changed);
        } catch (e) {
          fail(e);
        }
      }
    },
    bar: (b) => {
      for (const tap of taps) {
        try {
          tap.bar?.(b);
        } catch (e) {
          fail(e);
        }
      }
    },
  });
  return {
    instruments,
    quotes,
    portfolio,
    risk,
    oms,
    broker,
    algos: o.algos,
    tap(t) {
      taps = [...taps, t];
      return () => {
        taps = taps.filter((x) => x !== t);
      };
    },
    listen(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
