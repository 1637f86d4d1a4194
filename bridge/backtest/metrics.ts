/**
 * Performance metrics of a run, from its equity by B3 session and its trades. Conventions (the ones a
 * Brazilian quant expects): 252 sessions a year; returns are simple daily returns of total equity
 * (cash plus positions marked to the last price, fees included); Sharpe over a risk-free rate given
 * per year (the CDI, 0 when not given); drawdown as a fraction of the running peak, measured on every
 * equity sample, not only at day ends; hit rate over round trips (flat to flat); turnover as traded notional
 * over the average equity.
 */
import type { RunMetricsView } from '../../common/backtest.js';

export const SESSIONS_PER_YEAR = 252;

export interface MetricInputs {
  /** Equity at the end of each session with data, oldest first, centavos; the first entry is the start. */
  dailyEquityCentavos: number[];
  maxDrawdown: number;
  wins: number;
  losses: number;
  tradedNotionalCentavos: number;
  averageEquityCentavos: number;
  feesCentavos: number;
  fills: number;
  riskFreeAnnual: number;
}

export function computeMetrics(m: MetricInputs): RunMetricsView {
  const eq = m.dailyEquityCentavos;
  const start = eq[0] ?? 0;
  const end = eq[eq.length - 1] ?? start;
  const sessions = Math.max(0, eq.length - 1);
  const totalReturn = start > 0 ? end / start - 1 : 0;
  const returns: number[] = [];
  for (let i = 1; i < eq.length; i++) if (eq[i - 1] > 0) returns.push(eq[i] / eq[i - 1] - 1);
  const annualReturn = sessions >= 1 && start > 0 && end > 0 ? (end / start) ** (SESSIONS_PER_YEAR / sessions) - 1 : null;
  let volatility: number | null = null;
  let sharpe: number | null = null;
  if (returns.length >= 2) {
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1);
    const sd = Math.sqrt(variance);
    volatility = sd * Math.sqrt(SESSIONS_PER_YEAR);
    const rfDaily = (1 + m.riskFreeAnnual) ** (1 / SESSIONS_PER_YEAR) - 1;
    sharpe = sd > 0 ? ((mean - rfDaily) / sd) * Math.sqrt(SESSIONS_PER_YEAR) : null;
  }
  const closed = m.wins + m.losses;
  return {
    totalReturn,
    annualReturn,
    volatility,
    sharpe,
    maxDrawdown: m.maxDrawdown,
    hitRate: closed > 0 ? m.wins / closed : null,
    turnover: m.averageEquityCentavos > 0 ? m.tradedNotionalCentavos / m.averageEquityCentavos : 0,
    feesBrl: m.feesCentavos / 100,
    trades: m.fills,
    sessions,
    startEquityBrl: start / 100,
    endEquityBrl: end / 100,
  };
}
