/**
 * Positions and cash per client, built only from fills.
 *
 * The OMS replays its journal through `applyFill` at start, so the result must depend on the fill
 * alone: the trade date, fees and settlement date are all computed from `timeMs` and static data
 * (instruments, B3 calendar, fee table, the configured USD rate), never from the wall clock, and a
 * fillId seen before is ignored. A fill is validated and priced completely before any state
 * changes, so a fill that throws leaves the portfolio as it was.
 *
 * Fees are billed as B3 bills them (fees/billing.ts): per client, trade date and segment, rounded
 * once; a fill's fee is its share of that bill, an estimate that moves as the day's later fills
 * (a day trade's closing leg, say) change the bill.
 *
 * Fractional symbols (PETR4F) are the same shares as their round lot (PETR4), so they book into
 * the underlying's position; cash movements keep the symbol actually traded.
 */
import type { Side } from '../../common/types.js';
import type { BusinessCalendar } from '../calendar/business-calendar.js';
import { saoPauloDate } from '../calendar/iso-date.js';
import { FeeDay, feeSegment, type FeeSegment } from '../fees/billing.js';
import type { FeeCalculator } from '../fees/fee-schedule.js';
import { notionalCentavos, type Instrument } from '../model/instrument.js';
import { applyCashFillToPosition, averagePriceTicks, unrealisedCentavos, type PositionState } from './position.js';

export interface PortfolioDeps {
  instruments: { require(symbol: string): Instrument };
  /** The B3 calendar: D+1/D+2 count days with a session (Câmara B3 does not settle on 24 and 31 December). */
  calendar: BusinessCalendar;
  fees: FeeCalculator;
  /** BRL per USD for tariffs in dollars (WDO): a setting, read when a trade is priced. */
  usdBrl?: () => number | undefined;
}

export interface PortfolioFill {
  client: string;
  symbol: string;
  side: Side;
  qty: number;
  priceTicks: number;
  timeMs: number;
  fillId: string;
  /** A block allocated at its average price: the client's share of the block's cash, used instead of qty x price. */
  notionalCentavos?: number;
  /**
   * The OMS's split of a block's fees among its clients. Not booked: B3 bills each client of a
   * block for its own day and segment, so the allocation is billed like any other trade.
   */
  feesCentavos?: number;
}

export interface FillResult {
  /** This fill's share of its day's bill when it was booked: an estimate, later fills move it. */
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
  /**
   * Marked to the last price by `notionalCentavos`: net is signed like qty; gross is the sum of each
   * client's |net| (for one client the two agree in size; consolidated, a long and a short in two
   * clients do not cancel). Present only with a last price.
   */
  netExposureCentavos?: number;
  grossExposureCentavos?: number;
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

/** A booked trade as the settlement detail lists it. */
export interface BookedTrade {
  fillId: string;
  symbol: string;
  /** The round-lot asset (fractional trades are its shares): what a day trade matches on. */
  assetSymbol: string;
  side: Side;
  qty: number;
  /** Cash of the trade, unsigned (futures: what the contracts are worth; no cash moves for it). */
  notionalCentavos: number;
  tradeDate: string;
  settlementDate: string;
  kind: Instrument['kind'];
  /** Key of the day bill it belongs to. */
  feeDayKey: string;
  /** Cash value of one tick on one unit, for the projected futures adjustment. */
  tickValueCentavos: number;
}

/** What settles on one date for one client: a trade's cash and its estimated fees. */
export interface SettlementEntry {
  trade: BookedTrade;
  /** Cash effect: sells positive, buys negative; futures: today's projected adjustment, else 0. */
  amountCentavos: number;
  /** Estimated fees (share of its day's bill), as a positive number. */
  feesCentavos: number;
  /** Day-traded quantity of the trade's asset on its date (0 when none). */
  dayTradeQty: number;
}

export interface FeeBill {
  tradeDate: string;
  segment: FeeSegment;
  settlementDate: string;
  totalCentavos: number;
}

interface ClientBook {
  openingCashCentavos: number;
  positions: Map<string, PositionState>;
  /** Notional cash movements of equities (futures move no notional). */
  movements: CashMovement[];
  trades: BookedTrade[];
  /** Day bills by `${tradeDate}|${segment}|${settlementDate}`. */
  feeDays: Map<string, { day: FeeDay; settlementDate: string }>;
  /** The notional movements summed per settlement date, and the futures trades per trade date: a balance costs days, not fills. */
  notionalBySettlement: Map<string, number>;
  futuresByTradeDate: Map<string, FuturesTrade[]>;
  /**
   * The same cash as a running ledger, so a balance costs the dates still to settle, not every day
   * of the book (a backtest asks it after every fill, over years): notional less billed fees per
   * settlement date after `settledThrough`, and the sum of everything settling on or before it.
   */
  ledger: { settledThrough: string; settledCentavos: number; pending: Map<string, number>; feesCentavos: number; feeTotals: Map<string, number> };
}

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${name} inválido: ${v}`);
}

export class Portfolio {
  private readonly books = new Map<string, ClientBook>();
  /** Every booking by fillId: what applying it answered, and the day bill it is part of (its fee is its share of that bill as it stands). */
  private readonly applied = new Map<string, { result: FillResult; feeDay: FeeDay }>();

  constructor(private readonly deps: PortfolioDeps) {}

  private book(client: string): ClientBook {
    let b = this.books.get(client);
    if (!b) {
      b = {
        openingCashCentavos: 0,
        positions: new Map(),
        movements: [],
        trades: [],
        feeDays: new Map(),
        notionalBySettlement: new Map(),
        futuresByTradeDate: new Map(),
        ledger: { settledThrough: '', settledCentavos: 0, pending: new Map(), feesCentavos: 0, feeTotals: new Map() },
      };
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
    if (seen) return { ...seen.result, duplicate: true };

    if (!f.fillId) throw new Error('fill sem fillId');
    if (!f.client) throw new Error(`fill ${f.fillId} sem cliente`);
    if (f.side !== 'buy' && f.side !== 'sell') throw new Error(`lado inválido: ${String(f.side)}`);
    positiveInt('quantidade', f.qty);
    positiveInt('preço', f.priceTicks);
    if (f.notionalCentavos !== undefined) positiveInt('financeiro', f.notionalCentavos);
    const inst = this.deps.instruments.require(f.symbol);
    const positionSymbol = inst.underlying ?? inst.symbol;
    const valuation = this.deps.instruments.require(positionSymbol);
    if (valuation.tickValueCentavos !== inst.tickValueCentavos) {
      throw new Error(`${inst.symbol} e ${positionSymbol} têm valores de tick diferentes`);
    }
    const tradeDate = saoPauloDate(f.timeMs);
    const settlementDate = this.deps.calendar.addBusinessDays(tradeDate, inst.settlementDays);
    const notional = f.notionalCentavos ?? notionalCentavos(inst, f.qty, f.priceTicks);
    const signedQty = f.side === 'buy' ? f.qty : -f.qty;

    // Priced before any state changes: a fill the fee table cannot price leaves the book as it was.
    const book = this.book(f.client);
    const segment = feeSegment(inst);
    const feeDayKey = `${tradeDate}|${segment}|${settlementDate}`;
    const feeDay = book.feeDays.get(feeDayKey)?.day ?? new FeeDay(tradeDate, segment, this.deps.fees, this.deps.usdBrl ?? (() => undefined));
    const priced = feeDay.price({ fillId: f.fillId, instrument: inst, assetSymbol: positionSymbol, side: f.side, qty: f.qty, notionalCentavos: notional });

    let pos = book.positions.get(positionSymbol);
    if (!pos) {
      pos = { qty: 0, costCentavos: 0, realisedCentavos: 0, tickValueCentavos: valuation.tickValueCentavos };
      book.positions.set(positionSymbol, pos);
    }
    const realisedCentavos = applyCashFillToPosition(pos, signedQty, notional);

    if (inst.kind === 'future') {
      // Futures move no notional: the position is paid through the daily adjustment instead.
      const ft: FuturesTrade = {
        symbol: inst.symbol,
        signedQty,
        signedCostCentavos: Math.sign(signedQty) * notional,
        tickValueCentavos: inst.tickValueCentavos,
        tradeDate,
        settlementDate,
      };
      const ofDay = book.futuresByTradeDate.get(tradeDate);
      if (ofDay) ofDay.push(ft);
      else book.futuresByTradeDate.set(tradeDate, [ft]);
    } else {
      const amountCentavos = f.side === 'buy' ? -notional : notional;
      book.movements.push({ fillId: f.fillId, symbol: inst.symbol, tradeDate, settlementDate, kind: 'notional', amountCentavos });
      book.notionalBySettlement.set(settlementDate, (book.notionalBySettlement.get(settlementDate) ?? 0) + amountCentavos);
      this.post(book, settlementDate, amountCentavos);
    }
    const trade: BookedTrade = {
      fillId: f.fillId,
      symbol: inst.symbol,
      assetSymbol: positionSymbol,
      side: f.side,
      qty: f.qty,
      notionalCentavos: notional,
      tradeDate,
      settlementDate,
      kind: inst.kind,
      tickValueCentavos: inst.tickValueCentavos,
      feeDayKey,
    };
    feeDay.add(priced);
    book.feeDays.set(feeDayKey, { day: feeDay, settlementDate });
    // The day's bill moved: the ledger takes the difference.
    const billed = feeDay.totalCentavos();
    const before = book.ledger.feeTotals.get(feeDayKey) ?? 0;
    book.ledger.feeTotals.set(feeDayKey, billed);
    book.ledger.feesCentavos += billed - before;
    this.post(book, settlementDate, before - billed);
    const feesCentavos = feeDay.shareOf(priced);
    book.trades.push(trade);

    const result: FillResult = { feesCentavos, realisedCentavos, tradeDate, settlementDate, duplicate: false };
    this.applied.set(f.fillId, { result, feeDay });
    return result;
  }

  /** A cash amount settling on a date, into the running ledger. */
  private post(book: ClientBook, settlementDate: string, amountCentavos: number): void {
    const l = book.ledger;
    if (settlementDate <= l.settledThrough) l.settledCentavos += amountCentavos;
    else l.pending.set(settlementDate, (l.pending.get(settlementDate) ?? 0) + amountCentavos);
  }

  /** Signed quantity a client holds, fractional and round lot together (the risk gate's reducing check). */
  positionQty(client: string, symbol: string): number {
    const inst = this.deps.instruments.require(symbol);
    return this.books.get(client)?.positions.get(inst.underlying ?? inst.symbol)?.qty ?? 0;
  }

  /** One client's position in a symbol (its round-lot asset), or undefined when it never traded it. */
  position(client: string, symbol: string, lastTicks?: number): PositionSnapshot | undefined {
    const inst = this.deps.instruments.require(symbol);
    const key = inst.underlying ?? inst.symbol;
    const pos = this.books.get(client)?.positions.get(key);
    if (!pos) return undefined;
    const snapshot: PositionSnapshot = {
      client,
      symbol: key,
      qty: pos.qty,
      costCentavos: pos.costCentavos,
      avgPriceTicks: averagePriceTicks(pos.qty, pos.costCentavos, pos.tickValueCentavos),
      realisedCentavos: pos.realisedCentavos,
    };
    if (lastTicks !== undefined) snapshot.unrealisedCentavos = unrealisedCentavos(pos, lastTicks);
    return snapshot;
  }

  /** Everything B3 has billed the client so far (each day and segment rounded once). */
  feesCentavos(client: string): number {
    return this.books.get(client)?.ledger.feesCentavos ?? 0;
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
            snapshot.netExposureCentavos = notionalCentavos(pos, pos.qty, last);
            snapshot.grossExposureCentavos = Math.abs(snapshot.netExposureCentavos);
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
        const last = lastTicks(symbol);
        if (last !== undefined) {
          // Gross adds each client's |exposure|, so the consolidated figure is the sum of the per-client ones.
          acc.grossExposureCentavos = (acc.grossExposureCentavos ?? 0) + Math.abs(notionalCentavos(pos, pos.qty, last));
        }
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
          view.netExposureCentavos = notionalCentavos({ tickValueCentavos }, acc.qty, last);
        }
        return view;
      });
  }

  /** Each trade's fee estimate, its share of its day's bill (of the bills settling on one date, if given). */
  private feeEstimates(book: ClientBook, settlementDate?: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const d of book.feeDays.values()) {
      if (settlementDate === undefined || d.settlementDate === settlementDate) for (const [id, c] of d.day.estimates()) out.set(id, c);
    }
    return out;
  }

  /** One booking's fee: its share of its day's bill as the bill stands now; undefined if never booked. */
  feeShareOf(fillId: string): number | undefined {
    return this.applied.get(fillId)?.feeDay.estimates().get(fillId);
  }

  /** The client's cash ledger in the order the fills were applied; fees are the current estimates. */
  movements(client: string): CashMovement[] {
    const book = this.books.get(client);
    if (!book) return [];
    const fees = this.feeEstimates(book);
    const notional = new Map(book.movements.map((m) => [m.fillId, m]));
    return book.trades.flatMap((t) => {
      const out: CashMovement[] = [];
      const n = notional.get(t.fillId);
      if (n) out.push({ ...n });
      const fee = fees.get(t.fillId) ?? 0;
      if (fee !== 0) out.push({ fillId: t.fillId, symbol: t.symbol, kind: 'fees', amountCentavos: -fee, tradeDate: t.tradeDate, settlementDate: t.settlementDate });
      return out;
    });
  }

  /** What B3 bills the client per trade date and segment, by date. */
  feeBills(client: string): FeeBill[] {
    const book = this.books.get(client);
    if (!book) return [];
    return [...book.feeDays.values()]
      .map(({ day, settlementDate }) => ({ tradeDate: day.isoDate, segment: day.segment, settlementDate, totalCentavos: day.totalCentavos() }))
      .sort((a, b) => (a.tradeDate < b.tradeDate ? -1 : a.tradeDate > b.tradeDate ? 1 : a.segment < b.segment ? -1 : 1));
  }

  /**
   * What settles for the client on `isoDate`: every trade with that settlement date, its cash and
   * its estimated fees. Futures show today's projected adjustment when `lastTicks` knows the price.
   */
  settlementsOn(client: string, isoDate: string, todayIso: string, lastTicks?: LastTicks): SettlementEntry[] {
    const book = this.books.get(client);
    if (!book) return [];
    const fees = this.feeEstimates(book, isoDate);
    return book.trades
      .filter((t) => t.settlementDate === isoDate)
      .map((t) => {
        let amountCentavos: number;
        if (t.kind === 'future') {
          const last = t.tradeDate === todayIso ? lastTicks?.(t.symbol) : undefined;
          const sign = t.side === 'buy' ? 1 : -1;
          amountCentavos = last === undefined ? 0 : sign * (t.qty * last * t.tickValueCentavos - t.notionalCentavos);
        } else {
          amountCentavos = t.side === 'buy' ? -t.notionalCentavos : t.notionalCentavos;
        }
        const dayTradeQty = book.feeDays.get(t.feeDayKey)!.day.dayTradeQty(t.assetSymbol);
        return { trade: t, amountCentavos, feesCentavos: fees.get(t.fillId) ?? 0, dayTradeQty };
      });
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
    const l = book?.ledger;
    if (l && todayIso >= l.settledThrough) {
      // What settles by today joins the settled sum once; only later dates are looked at one by one.
      for (const [date, amount] of l.pending) {
        if (date > todayIso) continue;
        l.settledCentavos += amount;
        l.pending.delete(date);
      }
      l.settledThrough = todayIso;
      for (let i = 0; i < 3; i++) totals[i] += l.settledCentavos;
      for (const [date, amount] of l.pending) add(date, amount);
    } else if (book) {
      // A date before one already asked: summed from the book.
      for (const [settlementDate, amount] of book.notionalBySettlement) add(settlementDate, amount);
      // Fees as billed: one rounded total per trade date and segment.
      for (const { day, settlementDate } of book.feeDays.values()) add(settlementDate, -day.totalCentavos());
    }
    if (lastTicks) {
      // Only today's futures trades carry a projected adjustment.
      for (const t of book?.futuresByTradeDate.get(todayIso) ?? []) {
        const last = lastTicks(t.symbol);
        if (last !== undefined) add(t.settlementDate, notionalCentavos(t, t.signedQty, last) - t.signedCostCentavos);
      }
    }
    return { client, d0Centavos: totals[0], d1Centavos: totals[1], d2Centavos: totals[2], dates };
  }
}
