/**
 * The run's equity as it goes: opening cash plus realised and unrealised P&L minus fees, over the
 * run's clients, marked to the last price. Fills change the fixed part (`refresh`, on every portfolio
 * change); prices change only the open positions' marks (`sample`, on every market step), so a flat
 * book costs nothing per step. Keeps the day-end equity for the metrics, the exact running drawdown,
 * and a curve of at most MAX_CURVE_POINTS for the charts.
 */
import type { TradingKernel } from '../kernel.js';
import { type PositionState, unrealisedCentavos } from '../portfolio/position.js';

export const MAX_CURVE_POINTS = 2_000;

interface OpenPosition extends PositionState {
  symbol: string;
}

export interface EquityPoint {
  t: number;
  equityCentavos: number;
  drawdown: number;
}

export class EquityTracker {
  private fixedCentavos: number;
  private open: OpenPosition[] = [];
  /** Per client and symbol: the position last seen and the realised P&L when it opened from flat. */
  private readonly rounds = new Map<string, { qty: number; realisedAtOpenCentavos: number }>();
  private equity: number;
  private peak: number;
  private maxDd = 0;
  private wins = 0;
  private losses = 0;
  private readonly daily: number[];
  private readonly curve: EquityPoint[] = [];
  private readonly bucketMs: number;
  private bucketEnd = Number.NEGATIVE_INFINITY;
  private feesCentavos = 0;

  constructor(
    private readonly kernel: TradingKernel,
    private readonly clients: readonly string[],
    private readonly openingCentavos: number,
    fromMs: number,
    toMs: number,
  ) {
    this.fixedCentavos = openingCentavos * clients.length;
    this.equity = this.fixedCentavos;
    this.peak = this.equity;
    this.daily = [this.equity];
    this.bucketMs = Math.max(60_000, Math.ceil((toMs - fromMs) / MAX_CURVE_POINTS));
  }

  /** After fills: realised P&L, fees and the open positions from the portfolio. */
  refresh(): void {
    const portfolio = this.kernel.portfolio;
    let fixed = this.openingCentavos * this.clients.length;
    let fees = 0;
    const open: OpenPosition[] = [];
    for (const client of this.clients) {
      fees += portfolio.feesCentavos(client);
      for (const p of portfolio.positionSnapshots(client)) {
        fixed += p.realisedCentavos;
        this.countRoundTrip(`${client}|${p.symbol}`, p.qty, p.realisedCentavos);
        if (p.qty !== 0) open.push({ symbol: p.symbol, qty: p.qty, costCentavos: p.costCentavos, realisedCentavos: p.realisedCentavos, tickValueCentavos: this.kernel.instruments.require(p.symbol).tickValueCentavos });
      }
    }
    this.feesCentavos = fees;
    this.fixedCentavos = fixed - fees;
    this.open = open;
  }

  /**
   * A trade, for the hit rate, is a round trip: from flat back to flat (a reversal closes one and
   * opens the next), won or lost by the P&L it realised on the way, however many fills it took — an
   * exit in ten partial fills is one trade, as backtrader and zipline count it.
   */
  private countRoundTrip(key: string, qty: number, realisedCentavos: number): void {
    let r = this.rounds.get(key);
    if (!r) this.rounds.set(key, (r = { qty: 0, realisedAtOpenCentavos: realisedCentavos }));
    if (qty === r.qty) return;
    const closed = r.qty !== 0 && (qty === 0 || Math.sign(qty) !== Math.sign(r.qty));
    if (closed) {
      const pnl = realisedCentavos - r.realisedAtOpenCentavos;
      if (pnl > 0) this.wins++;
      else if (pnl < 0) this.losses++;
    }
    if (r.qty === 0 || closed) r.realisedAtOpenCentavos = realisedCentavos;
    r.qty = qty;
  }

  /** Marks the book at `t` and records the sample. */
  sample(t: number): void {
    let e = this.fixedCentavos;
    for (const p of this.open) {
      const last = this.kernel.quotes.ticks(p.symbol).lastTicks;
      if (last !== undefined) e += unrealisedCentavos(p, last);
    }
    this.equity = e;
    if (e > this.peak) this.peak = e;
    else if (this.peak > 0) {
      const dd = (this.peak - e) / this.peak;
      if (dd > this.maxDd) this.maxDd = dd;
    }
    const drawdown = this.peak > 0 ? (this.peak - e) / this.peak : 0;
    if (t >= this.bucketEnd) {
      this.curve.push({ t, equityCentavos: e, drawdown });
      this.bucketEnd = t - (t % this.bucketMs) + this.bucketMs;
    } else {
      // The bucket's point moves to the latest sample (no object per sample: a run samples every event).
      const last = this.curve[this.curve.length - 1];
      last.t = t;
      last.equityCentavos = e;
      last.drawdown = drawdown;
    }
  }

  /** A session ended: its closing equity counts for the daily returns. */
  closeDay(): void {
    this.daily.push(this.equity);
  }

  equityCentavos(): number {
    return this.equity;
  }

  result(): { daily: number[]; curve: EquityPoint[]; maxDrawdown: number; wins: number; losses: number; feesCentavos: number } {
    return { daily: [...this.daily], curve: [...this.curve], maxDrawdown: this.maxDd, wins: this.wins, losses: this.losses, feesCentavos: this.feesCentavos };
  }
}
