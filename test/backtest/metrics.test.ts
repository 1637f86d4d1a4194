/**
 * Metrics checked by hand: a run on daily bars with four known fills (2.30 bp of B3 fees each, one
 * trade a day), its equity after each session worked out below, and every metric recomputed from it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeMetrics } from '../../bridge/backtest/metrics.js';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { backtest, type CandleRow, putCandles, putFlatDays, sendOn, withDb } from './helpers.js';

let db: MarketDb;
let cleanup: () => void;
beforeEach(() => ({ db, cleanup } = withDb()));
afterEach(() => cleanup());

const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

describe('metrics', () => {
  it('total and annual return, volatility, Sharpe over the CDI, drawdown, hit rate, turnover and fees of a run worked out by hand', async () => {
    // Six sessions of daily bars (open, high, low, close).
    putCandles(db, 'PETR4', '1d', [
      ['2026-11-23 00:00', 10, 10, 10, 10, 1_000_000],
      ['2026-11-24 00:00', 10, 11, 10, 11, 1_000_000],
      ['2026-11-25 00:00', 11, 12, 11, 12, 1_000_000],
      ['2026-11-26 00:00', 12, 12, 12, 12, 1_000_000],
      ['2026-11-27 00:00', 12, 12, 9, 9, 1_000_000],
      ['2026-11-30 00:00', 9, 9, 9, 9, 1_000_000],
    ]);
    // Buy 1,000 on the bars of 23/11 and 26/11, sell on 25/11 and 27/11: each fills at the next open.
    const s = sendOn(
      (
        [
          ['2026-11-23', 'buy'],
          ['2026-11-25', 'sell'],
          ['2026-11-26', 'buy'],
          ['2026-11-27', 'sell'],
        ] as const
      ).map(([at, side]) => ({ at, boleta: { symbol: 'PETR4', side, qty: 1_000 } })),
    );
    const r = await backtest(s, { symbols: ['PETR4'], from: '2026-11-23', to: '2026-11-30', interval: '1d', cashBrl: 100_000, riskFreeAnnual: 0.15 }, db);
    expect(r.fills.map((f) => [f.side, f.price, f.feesBrl])).toEqual([
      ['buy', 10, 2.3],
      ['sell', 12, 2.76],
      ['buy', 12, 2.76],
      ['sell', 9, 2.07],
    ]);
    // Equity (centavos) after each session's bar, marked to its close, fees paid:
    const e = [
      10_000_000, // start
      10_000_000, // 23/11: flat
      10_000_000 + 100_000 - 230, // 24/11: bought at 10.00, close 11.00
      10_000_000 + 200_000 - 230, // 25/11: close 12.00
      10_000_000 + 200_000 - 230 - 276, // 26/11: sold at 12.00 (+2,000.00 realised)
      10_000_000 + 200_000 - 230 - 276 - 276 - 300_000, // 27/11: bought at 12.00, close 9.00
      10_000_000 + 200_000 - 300_000 - 230 - 276 - 276 - 207, // 30/11: sold at 9.00 (−3,000.00 realised)
    ];
    const rets = e.slice(1).map((x, i) => x / e[i] - 1);
    const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
    const rfDaily = 1.15 ** (1 / 252) - 1;
    const m = r.metrics;
    expect(m.startEquityBrl).toBe(100_000);
    expect(m.endEquityBrl).toBe(e[6] / 100);
    expect(m.sessions).toBe(6);
    expect(m.totalReturn).toBeCloseTo(e[6] / e[0] - 1, 12);
    expect(m.annualReturn).toBeCloseTo((e[6] / e[0]) ** (252 / 6) - 1, 12);
    expect(m.volatility).toBeCloseTo(sd(rets) * Math.sqrt(252), 12);
    expect(m.sharpe).toBeCloseTo(((mean - rfDaily) / sd(rets)) * Math.sqrt(252), 10);
    expect(m.maxDrawdown).toBeCloseTo((e[3] - e[6]) / e[3], 12);
    expect(m.hitRate).toBe(0.5); // one closing trade won 2,000.00, one lost 3,000.00
    expect(m.turnover).toBeCloseTo((10_000 + 12_000 + 12_000 + 9_000) * 100 / (e.reduce((a, b) => a + b, 0) / e.length), 12);
    expect(m.feesBrl).toBe(9.89);
    expect(m.trades).toBe(4);
    expect(r.equity[r.equity.length - 1].value).toBe(e[6] / 100);
  });

  it('hit rate counts round trips (flat to flat, a reversal closes one), not fills: an exit in parts is one trade', async () => {
    putFlatDays(db, 'PETR4', [
      ['2026-11-23', 10],
      ['2026-11-24', 10],
      ['2026-11-25', 10.1],
      ['2026-11-26', 10],
      ['2026-11-27', 9.9],
      ['2026-11-30', 9.8],
      ['2026-12-01', 9.8],
    ]);
    // Long 1,000 at 10, out in three parts (+30, 0, then −40 on 400 that also opens a short of
    // 200 at 9.90): a loss of 10. The short is bought back in two parts at 9.80: a gain of 20.
    // (Moves stay small: a market order goes out as a limit with protection, which a gap would skip.)
    const s = sendOn(
      (
        [
          ['2026-11-23', 'buy', 1_000],
          ['2026-11-24', 'sell', 300],
          ['2026-11-25', 'sell', 300],
          ['2026-11-26', 'sell', 600],
          ['2026-11-27', 'buy', 100],
          ['2026-11-30', 'buy', 100],
        ] as const
      ).map(([at, side, qty]) => ({ at, boleta: { symbol: 'PETR4', side, qty } })),
    );
    const r = await backtest(s, { symbols: ['PETR4'], from: '2026-11-23', to: '2026-12-01', interval: '1d', cashBrl: 100_000 }, db);
    expect(r.fills.map((f) => [f.side, f.qty, f.price])).toEqual([
      ['buy', 1_000, 10],
      ['sell', 300, 10.1],
      ['sell', 300, 10],
      ['sell', 600, 9.9],
      ['buy', 100, 9.8],
      ['buy', 100, 9.8],
    ]);
    // Counting fills that realised a gain or a loss would say 3 of 4 (0.75); by round trips it is 1 of 2.
    expect(r.metrics.hitRate).toBe(0.5);
  });

  it("the fills carry their share of the day's bill: a day trade repriced by its second leg, a block split per client, all adding up to the run's fees", async () => {
    // A 2025 session, when B3 priced a day trade below a regular trade (2.30 bp against 3.00 bp).
    const minutes = Array.from({ length: 70 }, (_, i) => `2025-06-10 ${String(10 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`);
    putCandles(db, 'PETR4', '1m', minutes.map((t): CandleRow => [t, 10, 10, 10, 10, 1_000_000]));
    const s = sendOn([
      { at: '2025-06-10 10:00', boleta: { symbol: 'PETR4', side: 'buy', qty: 1_000, client: 'ALFA' } },
      { at: '2025-06-10 10:30', boleta: { symbol: 'PETR4', side: 'sell', qty: 1_000, client: 'ALFA' } },
      { at: '2025-06-10 10:40', boleta: { symbol: 'PETR4', side: 'buy', qty: 1_000, allocations: [ { client: 'ALFA', qty: 600 }, { client: 'BETA', qty: 400 } ] } },
      { at: '2025-06-10 11:00', boleta: { symbol: 'PETR4', side: 'sell', qty: 1_000, allocations: [ { client: 'ALFA', qty: 600 }, { client: 'BETA', qty: 400 } ] } },
    ]);
    const r = await backtest(s, { symbols: ['PETR4'], from: '2025-06-10', to: '2025-06-10', interval: '1m', clients: ['ALFA', 'BETA'], cashBrl: 100_000 }, db);
    expect(r.fills.map((f) => [f.side, f.qty, f.price])).toEqual([
      ['buy', 1_000, 10],
      ['sell', 1_000, 10],
      ['buy', 1_000, 10],
      ['sell', 1_000, 10],
    ]);
    // Every leg is a day trade of R$ 10,000.00 at 2.30 bp: R$ 2.30. The first buy was booked at the
    // regular 3.00 bp before its sell came; its fill shows the day's final share, not R$ 3.00.
    expect(r.fills.map((f) => f.feesBrl)).toEqual([2.3, 2.3, 2.3, 2.3]);
    const cents = r.fills.reduce((a, f) => a + Math.round(f.feesBrl * 100), 0);
    expect(cents).toBe(Math.round(r.metrics.feesBrl * 100));
    expect(r.metrics.feesBrl).toBe(9.2);
  });

  it('computeMetrics on a series by hand: no return without sessions, no Sharpe without dispersion', () => {
    const flat = computeMetrics({ dailyEquityCentavos: [100, 100, 100], maxDrawdown: 0, wins: 0, losses: 0, tradedNotionalCentavos: 0, averageEquityCentavos: 100, feesCentavos: 0, fills: 0, riskFreeAnnual: 0 });
    expect(flat).toMatchObject({ totalReturn: 0, annualReturn: 0, volatility: 0, sharpe: null, hitRate: null, turnover: 0, sessions: 2 });
    const none = computeMetrics({ dailyEquityCentavos: [100], maxDrawdown: 0, wins: 0, losses: 0, tradedNotionalCentavos: 0, averageEquityCentavos: 100, feesCentavos: 0, fills: 0, riskFreeAnnual: 0 });
    expect(none).toMatchObject({ annualReturn: null, volatility: null, sharpe: null, sessions: 0 });
  });
});
