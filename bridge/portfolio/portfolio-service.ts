/**
 * The portfolio as the bridge uses it: the OMS books fills into it, the API reads wire views.
 *
 * It binds Portfolio to the committed data (B3 calendar, fee table) and converts the
 * integer centavos/ticks to the decimal BRL of the wire types at this one edge. Opening cash comes
 * from the client configuration at read time, so a client added or edited while the bridge runs
 * shows the right balance without a replay.
 */
import type { BalanceView, PositionsChannelView, PositionTotalsView, PositionView, SettlementDayView } from '../../common/types.js';
import { b3Calendar } from '../calendar/business-calendar.js';
import { saoPauloDate } from '../calendar/iso-date.js';
import { type FeeSchedule, feeSchedule } from '../fees/fee-schedule.js';
import { avgTicksToPrice, centavosToBrl, ticksToPrice, type InstrumentRegistry } from '../model/instrument.js';
import { Portfolio, type FillResult, type PortfolioFill, type LastTicks, type PositionSnapshot } from './portfolio.js';

export class PortfolioService {
  private readonly portfolio: Portfolio;

  constructor(
    private readonly instruments: InstrumentRegistry,
    private readonly openingCashCentavos: (client: string) => number,
    /** BRL per USD for tariffs in dollars (WDO), from the settings. */
    private readonly usdBrl: () => number | undefined = () => undefined,
    /** The fee table (default: the committed one). */
    private readonly fees: FeeSchedule = feeSchedule(),
  ) {
    this.portfolio = new Portfolio({ instruments, calendar: b3Calendar(), fees, usdBrl });
  }

  /** The OMS's FillBooker: deterministic from the fill, a repeated fillId is ignored. */
  bookFill(f: PortfolioFill): FillResult {
    return this.portfolio.applyFill(f);
  }

  /** Fees of one fill rounded on its own: the order-level estimate of a block (its clients are billed per day by the portfolio). */
  feesFor(symbol: string, qty: number, priceTicks: number, timeMs: number): number {
    return this.fees.feesCentavos({ instrument: this.instruments.require(symbol), qty, priceTicks, timeMs, usdBrl: this.usdBrl() }).totalCentavos;
  }

  positionQty(client: string, symbol: string): number {
    return this.portfolio.positionQty(client, symbol);
  }

  /** One client's position in integer units (undefined when never traded), marked to `lastTicks` when given. */
  position(client: string, symbol: string, lastTicks?: number): PositionSnapshot | undefined {
    return this.portfolio.position(client, symbol, lastTicks);
  }

  /** One client's positions in integer units (flat ones included, for their realised P&L). */
  positionSnapshots(client: string): PositionSnapshot[] {
    return this.portfolio.positions(client);
  }

  /** One booking's fee (centavos): its share of its day's bill as the bill stands now; undefined if never booked. */
  feeShareOf(fillId: string): number | undefined {
    return this.portfolio.feeShareOf(fillId);
  }

  /** Fees billed to the client so far, centavos. */
  feesCentavos(client: string): number {
    return this.portfolio.feesCentavos(client);
  }

  private view(p: Omit<PositionSnapshot, 'client'> & { client?: string }): PositionView {
    const inst = this.instruments.require(p.symbol);
    return {
      ...(p.client !== undefined ? { client: p.client } : {}),
      symbol: p.symbol,
      qty: p.qty,
      avgPrice: p.avgPriceTicks === undefined ? 0 : avgTicksToPrice(inst, p.avgPriceTicks),
      last: p.lastTicks === undefined ? 0 : ticksToPrice(inst, p.lastTicks),
      realizedPnl: centavosToBrl(p.realisedCentavos),
      unrealizedPnl: centavosToBrl(p.unrealisedCentavos ?? 0),
      ...(p.grossExposureCentavos !== undefined ? { exposure: centavosToBrl(p.grossExposureCentavos) } : {}),
      ...(p.netExposureCentavos !== undefined ? { netExposure: centavosToBrl(p.netExposureCentavos) } : {}),
    };
  }

  /** Totals summed in centavos, converted once (a sum of rounded BRL figures could drift). */
  private totals(rows: Array<Omit<PositionSnapshot, 'client'>>, client?: string): PositionTotalsView {
    let realised = 0;
    let unrealised = 0;
    let gross = 0;
    let net = 0;
    const unpriced: string[] = [];
    for (const r of rows) {
      realised += r.realisedCentavos;
      unrealised += r.unrealisedCentavos ?? 0;
      if (r.qty !== 0 && r.grossExposureCentavos === undefined) unpriced.push(r.symbol);
      gross += r.grossExposureCentavos ?? 0;
      net += r.netExposureCentavos ?? 0;
    }
    const known = unpriced.length === 0;
    return {
      ...(client !== undefined ? { client } : {}),
      realizedPnl: centavosToBrl(realised),
      unrealizedPnl: centavosToBrl(unrealised),
      ...(known ? { exposure: centavosToBrl(gross), netExposure: centavosToBrl(net) } : {}),
      unpriced: [...new Set(unpriced)].sort(),
    };
  }

  /** What the `positions` channel publishes: rows and totals, consolidated and per client. */
  positionsChannel(lastTicks: LastTicks): PositionsChannelView {
    const consolidated = this.portfolio.consolidated(lastTicks);
    const byClient = this.portfolio.positions(undefined, lastTicks);
    const perClient = new Map<string, PositionSnapshot[]>();
    for (const p of byClient) perClient.set(p.client, [...(perClient.get(p.client) ?? []), p]);
    return {
      consolidated: consolidated.map((p) => this.view(p)),
      byClient: byClient.map((p) => this.view(p)),
      // Over the client rows: a symbol long in one client and short in another is unpriced for both.
      totals: this.totals(byClient),
      clientTotals: [...perClient.entries()].map(([c, rows]) => this.totals(rows, c)),
    };
  }

  /** One client's positions, or the consolidated view of all clients when no client is given. */
  positionViews(client: string | undefined, lastTicks: LastTicks): PositionView[] {
    const rows = client === undefined ? this.portfolio.consolidated(lastTicks) : this.portfolio.positions(client, lastTicks);
    return rows.map((p) => this.view(p));
  }

  /**
   * Cash D+0/D+1/D+2 as of the São Paulo date of `nowMs`. Pass `lastTicks` to include the projected
   * daily adjustment of today's futures trades.
   */
  balanceView(client: string, nowMs: number, lastTicks?: LastTicks): BalanceView {
    this.portfolio.setOpeningCash(client, this.openingCashCentavos(client));
    const b = this.portfolio.balance(client, saoPauloDate(nowMs), lastTicks);
    return {
      client,
      d0: centavosToBrl(b.d0Centavos),
      d1: centavosToBrl(b.d1Centavos),
      d2: centavosToBrl(b.d2Centavos),
      dates: b.dates,
    };
  }

  /**
   * What settles for a client on `isoDate`, trade by trade: its cash and estimated fees, in BRL.
   * Futures traded today carry their projected adjustment when `lastTicks` knows the price.
   */
  settlementView(client: string, isoDate: string, nowMs: number, lastTicks?: LastTicks): SettlementDayView {
    const entries = this.portfolio.settlementsOn(client, isoDate, saoPauloDate(nowMs), lastTicks);
    let amount = 0;
    let fees = 0;
    const rows = entries.map((e) => {
      const inst = this.instruments.require(e.trade.symbol);
      amount += e.amountCentavos;
      fees += e.feesCentavos;
      return {
        tradeId: e.trade.fillId,
        tradeDate: e.trade.tradeDate,
        client,
        symbol: e.trade.symbol,
        side: e.trade.side,
        qty: e.trade.qty,
        price: avgTicksToPrice(inst, e.trade.notionalCentavos / (e.trade.qty * inst.tickValueCentavos)),
        amount: centavosToBrl(e.amountCentavos),
        fees: centavosToBrl(e.feesCentavos),
        net: centavosToBrl(e.amountCentavos - e.feesCentavos),
        ...(e.dayTradeQty > 0 ? { dayTradeQty: e.dayTradeQty } : {}),
      };
    });
    return { client, date: isoDate, rows, totals: { amount: centavosToBrl(amount), fees: centavosToBrl(fees), net: centavosToBrl(amount - fees) } };
  }
}
