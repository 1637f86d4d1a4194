/**
 * Positions and cash per client, built only from fills.
 *
 * The OMS replays its journal through `applyFill` at start, so the result must depend on the fill
 * alone: the trade date, fees and settlement date are all computed from `timeMs` and static data
 * (instruments, B3 calendar, fee table), never from the wall clock, and a fillId seen
 * before is ignored. A fill is validated and priced completely before any state changes, so a fill
 * that throws leaves the portfolio as it was.
 *
 * Fractional symbols (PETR4F) are the same shares as their round lot (PETR4), so they book into
 * the underlying's position; cash movements keep the symbol actually traded.
 */
import type { Side } from '../../common/types.js';
import type { BusinessCalendar } from '../calendar/business-calendar.js';
import { saoPauloDate } from '../calendar/iso-date.js';
import type { FeeCalculator } from '../fees/fee-schedule.js';
import { notionalCentavos, type Instrument } from '../model/instrument.js';
import { applyCashFillToPosition, averagePriceTicks, unrealisedCentavos, type PositionState } from './position.js';

export interface PortfolioDeps {
  instruments: { require(symbol: string): Instrument };
  /** The B3 calendar: D+1/D+2 count days with a session (Câmara B3 does not settle on 24 and 31 December). */
  calendar: BusinessCalendar;
  fees: FeeCalculator;
}

export interface PortfolioFill {
  client: string;
  symbol: string;
  side: Side;
  qty: number;
  priceTicks: number;
  timeMs: number;
  fillId: string;
  /**
   * A block allocated at its average price: the client's share of the block's cash and fees,
   * used instead of qty x price and the fee table. Both or neither.
   */
  notionalCentavos?: number;
  feesCentavos?: number;
}

export interface FillResult {
  feesCentavos: number;
  realisedCentavos: number;
  tradeDate: string;
  settlementDate: string;
  /** True when the fillId was already applied: nothing changed and the first result is returned. */
  duplicate: boolean;
}

/** A settled-or-pending cash movement: credits positive, debits negative. */
export interface CashMovement {
  fillId: string;
  symbol: string;
  kind: 'notional' | 'fees';
  amountCentavos: number;
  tradeDate: string;
  settlementDate: string;
}

export interface PositionSnapshot {
  client: string;
  /** Round-lot symbol: fractional fills are booked here. */
  symbol: string;
  qty: number;
  costCentavos: number;
  avgPriceTicks: number | undefined;
  realisedCentavos: number;
  /** Present only when a last price was given for the symbol. */
  lastTicks?: number;
  unrealisedCentavos?: number;
}

export type ConsolidatedPosition = Omit<PositionSnapshot, 'client'> & { clients: number };

export interface CashBalance {
  client: string;
  d0Centavos: number;
  d1Centavos: number;
  d2Centavos: number;
  /** Today, the next settlement business day and the one after. */
  dates: [string, string, string];
}

export type LastTicks = (symbol: string) => number | undefined;

/** A futures fill kept for the projected daily adjustment of its trade date. */
interface FuturesTrade {
  symbol: string;
  signedQty: number;
  /** Signed like qty: what the trade cost (buy) or raised (sell), in centavos. */
  signedCostCentavos: number;
  tickValueCentavos: number;
  tradeDate: string;
  settlementDate: string;
}

interface ClientBook {
  openingCashCentavos: number;
  positions: Map<string, PositionState>;
  movements: CashMovement[];
  futuresTrades: FuturesTrade[];
}

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${name} inválido: ${v}`);
}

export class Portfolio {
  private readonly books = new Map<string, ClientBook>();
  private readonly applied = new Map<string, FillResult>();

  constructor(private readonly deps: PortfolioDeps) {}

  private book(client: string): ClientBook {
    let b = this.books.get(client);
    if (!b) {
      b = { openingCashCentavos: 0, positions: new Map(), movements: [], futuresTrades: [] };
      this.books.set(client, b);
    }
    return b;
  }

  /** Cash before any fill applied here, in centavos. */
  setOpeningCash(client: string, centavos: number): void {
    if (!Number.isSafeInteger(centavos)) throw new RangeError(`saldo inicial inválido: ${centavos}`);
    this.book(client).openingCashCentavos = centavos;
  }

  applyFill(f: PortfolioFill): FillResult {
    const seen = this.applied.get(f.fillId);
    if (seen) return { ...seen, duplicate: true };

    if (!f.fillId) throw new Error('fill sem fillId');
    if (!f.client) throw new Error(`fill ${f.fillId} sem cliente`);
    if (f.side !== 'buy' && f.side !== 'sell') throw new Error(`lado inválido: ${String(f.side)}`);
    positiveInt('quantidade', f.qty);
    positiveInt('preço', f.priceTicks);
    if ((f.notionalCentavos === undefined) !== (f.feesCentavos === undefined)) {
      throw new Error(`fill ${f.fillId}: notionalCentavos e feesCentavos vão juntos`);
    }
    if (f.notionalCentavos !== undefined) positiveInt('financeiro', f.notionalCentavos);
    if (f.feesCentavos !== undefined && (!Number.isSafeInteger(f.feesCentavos) || f.feesCentavos < 0)) {
      throw new RangeError(`taxas inválidas: ${f.feesCentavos}`);
    }
    const inst = this.deps.instruments.require(f.symbol);
    const positionSymbol = inst.underlying ?? inst.symbol;
    const valuation = this.deps.instruments.require(positionSymbol);
    if (valuation.tickValueCentavos !== inst.tickValueCentavos) {
      throw new Error(`${inst.symbol} e ${positionSymbol} têm valores de tick diferentes`);
    }
    const tradeDate = saoPauloDate(f.timeMs);
    const settlementDate = this.deps.calendar.addBusinessDays(tradeDate, inst.settlementDays);
    const feesTotal =
      f.feesCentavos ?? this.deps.fees.feesCentavos({ instrument: inst, qty: f.qty, priceTicks: f.priceTicks, timeMs: f.timeMs }).totalCentavos;
    const notional = f.notionalCentavos ?? notionalCentavos(inst, f.qty, f.priceTicks);
    const signedQty = f.side === 'buy' ? f.qty : -f.qty;

    const book = this.book(f.client);
    let pos = book.positions.get(positionSymbol);
    if (!pos) {
      pos = { qty: 0, costCentavos: 0, realisedCentavos: 0, tickValueCentavos: valuation.tickValueCentavos };
      book.positions.set(positionSymbol, pos);
    }
    const realisedCentavos = applyCashFillToPosition(pos, signedQty, notional);

    const movement = { fillId: f.fillId, symbol: inst.symbol, tradeDate, settlementDate };
    if (inst.kind === 'future') {
      // Futures move no notional: the position is paid through the daily adjustment instead.
      book.futuresTrades.push({
        symbol: inst.symbol,
        signedQty,
        signedCostCentavos: Math.sign(signedQty) * notional,
        tickValueCentavos: inst.tickValueCentavos,
        tradeDate,
        settlementDate,
      });
    } else {
      book.movements.push({ ...movement, kind: 'notional', amountCentavos: f.side === 'buy' ? -notional : notional });
    }
    if (feesTotal !== 0) book.movements.push({ ...movement, kind: 'fees', amountCentavos: -feesTotal });

    const result: FillResult = {
      feesCentavos: feesTotal,
      realisedCentavos,
      tradeDate,
      settlementDate,
      duplicate: false,
    };
    this.applied.set(f.fillId, result);
    return result;
  }

  /** Signed quantity a client holds, fractional and round lot together (the risk gate's reducing check). */
  positionQty(client: string, symbol: string): number {
    const inst = this.deps.instruments.require(symbol);
    return this.books.get(client)?.positions.get(inst.underlying ?? inst.symbol)?.qty ?? 0;
  }

  /** Positions of one client or of all, by client then symbol; flat positions stay for their realised P&L. */
  positions(client?: string, lastTicks?: LastTicks): PositionSnapshot[] {
    const clients = client === undefined ? [...this.books.keys()].sort() : this.books.has(client) ? [client] : [];
    return clients.flatMap((c) =>
      [...this.books.get(c)!.positions.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([symbol, pos]) => {
          const snapshot: PositionSnapshot = {
            client: c,
            symbol,
            qty: pos.qty,
            costCentavos: pos.costCentavos,
            avgPriceTicks: averagePriceTicks(pos.qty, pos.costCentavos, pos.tickValueCentavos),
            realisedCentavos: pos.realisedCentavos,
          };
          const last = lastTicks?.(symbol);
          if (last !== undefined) {
            snapshot.lastTicks = last;
            snapshot.unrealisedCentavos = unrealisedCentavos(pos, last);
          }
          return snapshot;
        }),
    );
  }

  /** All clients summed per symbol: qty, cost and P&L add up; the average is total cost over total qty. */
  consolidated(lastTicks: LastTicks): ConsolidatedPosition[] {
    const bySymbol = new Map<string, ConsolidatedPosition & { tickValueCentavos: number }>();
    for (const book of this.books.values()) {
      for (const [symbol, pos] of book.positions) {
        const acc = bySymbol.get(symbol) ?? {
          symbol,
          qty: 0,
          costCentavos: 0,
          avgPriceTicks: undefined,
          realisedCentavos: 0,
          clients: 0,
          tickValueCentavos: pos.tickValueCentavos,
        };
        acc.qty += pos.qty;
        acc.costCentavos += pos.costCentavos;
        acc.realisedCentavos += pos.realisedCentavos;
        acc.clients += 1;
        bySymbol.set(symbol, acc);
      }
    }
    return [...bySymbol.values()]
      .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0))
      .map(({ tickValueCentavos, ...acc }) => {
        const view: ConsolidatedPosition = {
          ...acc,
          avgPriceTicks: averagePriceTicks(acc.qty, acc.costCentavos, tickValueCentavos),
        };
        const last = lastTicks(acc.symbol);
        if (last !== undefined) {
          view.lastTicks = last;
          view.unrealisedCentavos = unrealisedCentavos({ ...acc, tickValueCentavos }, last);
        }
        return view;
      });
  }

  /** The client's cash ledger in the order the fills were applied. */
  movements(client: string): CashMovement[] {
    return [...(this.books.get(client)?.movements ?? [])];
  }

  /**
   * Cash today (d0) and on the next two settlement business days: opening cash plus every movement
   * settling on or before each date. With `lastTicks`, futures traded today add their projected
   * daily adjustment (qty x (last - fill price)), paid on their settlement date (D+1).
   */
  balance(client: string, todayIso: string, lastTicks?: LastTicks): CashBalance {
    const cal = this.deps.calendar;
    const d1 = cal.nextBusinessDay(todayIso);
    const dates: [string, string, string] = [todayIso, d1, cal.nextBusinessDay(d1)];
    const book = this.books.get(client);
    const totals = dates.map(() => book?.openingCashCentavos ?? 0);
    const add = (settlementDate: string, amount: number): void => {
      dates.forEach((d, i) => {
        if (settlementDate <= d) totals[i] += amount;
      });
    };
    for (const m of book?.movements ?? []) add(m.settlementDate, m.amountCentavos);
    if (lastTicks) {
      for (const t of book?.futuresTrades ?? []) {
        const last = t.tradeDate === todayIso ? lastTicks(t.symbol) : undefined;
        if (last !== undefined) add(t.settlementDate, t.signedQty * last * t.tickValueCentavos - t.signedCostCentavos);
      }
    }
    return { client, d0Centavos: totals[0], d1Centavos: totals[1], d2Centavos: totals[2], dates };
  }
}
