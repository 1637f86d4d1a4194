/**
 * Wire types and request schemas of strategies, backtests and sweeps, shared by the add-in and the
 * bridge. Money in BRL, prices in BRL (or points), instants as ISO strings on the wire.
 */
import { z } from 'zod';
import type { OrderStatus } from './types.js';

export const BAR_INTERVALS = ['1m', '5m', '15m', '30m', '60m', '1d'] as const;
export type BarIntervalName = (typeof BAR_INTERVALS)[number];

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use AAAA-MM-DD');
const symbol = z
  .string()
  .trim()
  .min(1)
  .max(16)
  .transform((s) => s.toUpperCase());
const paramValue = z.union([z.number(), z.boolean(), z.string().max(200)]);

export const fillModelSchema = z.strictObject({
  barVolumePct: z.number().gt(0).max(100).optional(),
  fillOnTouch: z.boolean().optional(),
  touchWindowMs: z.number().int().min(1_000).max(3_600_000).optional(),
});

/** Warm-up bars a run may ask for: what a strategy's ctx.bars keeps (bridge/strategy/runner.ts MAX_BARS_KEPT). */
export const MAX_WARMUP_BARS = 5_000;

/** What a backtest runs: the strategy is named apart (a bundled name or a file). */
export const backtestSpecSchema = z.strictObject({
  symbols: z.array(symbol).min(1).max(50),
  from: isoDay,
  to: isoDay,
  interval: z.enum(BAR_INTERVALS).default('1d'),
  source: z.enum(['auto', 'bars', 'trades']).default('auto'),
  clients: z.array(z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letras, números, ponto, hífen ou sublinhado')).min(1).max(50).default(['BACKTEST']),
  cashBrl: z.number().positive().max(1e12).default(1_000_000),
  seed: z.number().int().min(0).max(2_147_483_647).default(1),
  params: z.record(z.string(), paramValue).default({}),
  fill: fillModelSchema.default({}),
  /** The CDI (or any risk-free rate) per year for the Sharpe ratio, 0.15 = 15%. */
  riskFreeAnnual: z.number().min(0).max(1).default(0),
  /** Closed bars before `from` the strategy can read with ctx.bars at start. */
  warmupBars: z.number().int().min(0).max(MAX_WARMUP_BARS).default(0),
});

export type BacktestSpecInput = z.input<typeof backtestSpecSchema>;
export type BacktestSpec = z.output<typeof backtestSpecSchema>;

export const backtestRequestSchema = z.strictObject({
  strategy: z.string().trim().min(1).max(200),
  spec: backtestSpecSchema,
  /** A label for the run list. */
  label: z.string().trim().max(200).optional(),
});

export type BacktestRequest = z.input<typeof backtestRequestSchema>;

export const sweepRequestSchema = z.strictObject({
  strategy: z.string().trim().min(1).max(200),
  spec: backtestSpecSchema,
  /** Values to try per parameter; the sweep runs every combination. */
  grid: z.record(z.string(), z.array(paramValue).min(1).max(100)),
  rankBy: z.enum(['sharpe', 'totalReturn', 'annualReturn', 'maxDrawdown', 'hitRate']).default('sharpe'),
  label: z.string().trim().max(200).optional(),
});

export type SweepRequest = z.input<typeof sweepRequestSchema>;

/** A run's performance (computed in bridge/backtest/metrics.ts, which says the conventions). */
export interface RunMetricsView {
  totalReturn: number;
  /** Compounded to a year of 252 sessions; null under one session. */
  annualReturn: number | null;
  /** Annualised standard deviation of daily returns; null under two daily returns. */
  volatility: number | null;
  sharpe: number | null;
  /** Largest fall from a peak, a positive fraction (0.12 = 12%). */
  maxDrawdown: number;
  /** Round trips (flat to flat) that realised a gain, over those that realised a gain or a loss; null without any. */
  hitRate: number | null;
  /** Traded notional over the average equity. */
  turnover: number;
  feesBrl: number;
  trades: number;
  sessions: number;
  startEquityBrl: number;
  endEquityBrl: number;
}

export interface BacktestOrderView {
  id: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  filledQty: number;
  avgPrice: number;
  limitPrice?: number;
  algo: string;
  status: OrderStatus;
  statusReason?: string;
  createdAt: string;
  client?: string;
  slippageVsArrivalBps?: number;
  slippageVsVwapBps?: number;
  participationRate?: number;
  children?: number;
  reprices?: number;
}

export interface BacktestFillView {
  orderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  price: number;
  t: string;
  feesBrl: number;
}

export interface ExecutionQualityView {
  orders: number;
  /** Quantity-weighted, positive = worse for the order's side. */
  slippageVsArrivalBps: number | null;
  slippageVsVwapBps: number | null;
  participationRate: number | null;
  children: number;
  reprices: number;
}

export interface StrategyFaultView {
  hook: string;
  message: string;
  location?: string;
}

export interface BacktestResultView {
  metrics: RunMetricsView;
  orders: BacktestOrderView[];
  fills: BacktestFillView[];
  equity: Array<{ t: string; value: number }>;
  drawdown: Array<{ t: string; value: number }>;
  executionQuality: ExecutionQualityView;
  logs: Array<{ t: string; message: string }>;
  /**
   * `read`: where the stored rows came from — the columnar cache of earlier runs (`cachedRows`) or
   * market.db (`databaseRows`, in a reader thread when `readerThread`).
   */
  stats: { events: number; elapsedMs: number; eventsPerSec: number; source: string; rows: number; read?: { cachedRows: number; databaseRows: number; readerThread: boolean } };
  fault?: StrategyFaultView;
  warnings: string[];
}

export type BacktestState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A run in the list (`GET /api/backtests`), without its orders and curves. */
export interface BacktestRunView {
  id: string;
  label?: string;
  strategy: string;
  spec: BacktestSpec;
  state: BacktestState;
  createdAt: string;
  finishedAt?: string;
  /** 0..1 while running. */
  progress: number;
  eventsPerSec?: number;
  etaMs?: number;
  metrics?: RunMetricsView;
  error?: string;
  fault?: StrategyFaultView;
  sweepId?: string;
}

export interface SweepRowView {
  runId: string;
  params: Record<string, number | boolean | string>;
  state: BacktestState;
  metrics?: RunMetricsView;
  error?: string;
}

export interface SweepView {
  id: string;
  label?: string;
  strategy: string;
  rankBy: string;
  state: BacktestState;
  createdAt: string;
  total: number;
  done: number;
  /** Ranked by `rankBy`, best first (drawdown: smallest first). */
  rows: SweepRowView[];
  workers: string;
}

export interface StrategyParamView {
  name: string;
  type: 'number' | 'integer' | 'boolean' | 'string' | 'enum';
  default: number | boolean | string;
  min?: number;
  max?: number;
  options?: string[];
  label?: string;
}

/** A strategy the bridge can run (`GET /api/strategies`). */
export interface StrategyView {
  id: string;
  name: string;
  description?: string;
  /** 'bundled' (an example shipped with BlackBox) or the file under the data folder's strategies/. */
  source: 'bundled' | 'file';
  params: StrategyParamView[];
  wants: { trades: boolean; quotes: boolean };
}

export type StrategyRunState = 'running' | 'stopped' | 'failed' | 'halted';

export const strategyLimitsSchema = z.strictObject({
  maxOrderNotionalBrl: z.number().positive().max(1e11),
  maxTotalNotionalBrl: z.number().positive().max(1e12),
  maxOrdersPerMinute: z.number().int().positive().max(6_000),
  symbols: z.array(symbol).min(1).max(50),
});

export type StrategyLimitsInput = z.input<typeof strategyLimitsSchema>;

export const strategyStartSchema = z.strictObject({
  strategy: z.string().trim().min(1).max(200),
  symbols: z.array(symbol).min(1).max(50),
  clients: z.array(z.string().trim().min(1).max(64)).min(1).max(50),
  interval: z.enum(BAR_INTERVALS).default('1m'),
  params: z.record(z.string(), paramValue).default({}),
  seed: z.number().int().min(0).max(2_147_483_647).default(1),
  /** Closed bars from the market database the strategy can read with ctx.bars at start. */
  warmupBars: z.number().int().min(0).max(MAX_WARMUP_BARS).default(0),
  /** Required to trade through a real broker: the run's own limits, confirmed by a person. */
  limits: strategyLimitsSchema.optional(),
  /** `ARMAR` typed by the person who arms a run on a real broker. */
  confirm: z.string().max(20).optional(),
});

export type StrategyStartRequest = z.input<typeof strategyStartSchema>;

export interface StrategyRunView {
  id: string;
  strategy: string;
  name: string;
  symbols: string[];
  clients: string[];
  interval: BarIntervalName;
  params: Record<string, number | boolean | string>;
  state: StrategyRunState;
  /** 'sim' on the simulated B3 (or a replay); 'live' on a real broker, armed with limits. */
  market: 'sim' | 'live';
  limits?: z.output<typeof strategyLimitsSchema>;
  startedAt: string;
  stoppedAt?: string;
  startedBy?: string;
  reason?: string;
  fault?: StrategyFaultView;
  orders: number;
  fills: number;
  logs: Array<{ t: string; message: string }>;
}
