import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b3Calendar } from '../../bridge/calendar/business-calendar.js';
import { addCalendarDays } from '../../bridge/calendar/iso-date.js';
import { feeSchedule, type FeeCalculator } from '../../bridge/fees/fee-schedule.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { Portfolio, type PortfolioFill } from '../../bridge/portfolio/portfolio.js';
import { spMs } from '../calendar/sp-time.js';
import { LIVE_Z26_MS } from '../support/clock.js';

const instruments = new InstrumentRegistry(defaultInstruments(LIVE_Z26_MS), { nowMs: () => LIVE_Z26_MS });
const noFees: FeeCalculator = { exactFee: () => 0n };

const TRADING_DAYS_2026: string[] = [];
for (let d = '2026-01-02'; d <= '2026-12-23'; d = addCalendarDays(d, 1)) {
  if (b3Calendar().isBusinessDay(d)) TRADING_DAYS_2026.push(d);
}

const QTY: Record<string, fc.Arbitrary<number>> = {
  PETR4: fc.integer({ min: 1, max: 50 }).map((lots) => lots * 100),
  VALE3: fc.integer({ min: 1, max: 50 }).map((lots) => lots * 100),
  PETR4F: fc.integer({ min: 1, max: 99 }),
  WINZ26: fc.integer({ min: 1, max: 20 }),
  WDOZ26: fc.integer({ min: 1, max: 20 }),
};

function fillArb(symbols: string[]): fc.Arbitrary<Omit<PortfolioFill, 'fillId'>> {
  return fc
    .record({
      client: fc.constantFrom('A', 'B'),
      symbol: fc.constantFrom(...symbols),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      priceTicks: fc.integer({ min: 1, max: 60_000 }),
      day: fc.integer({ min: 0, max: TRADING_DAYS_2026.length - 1 }),
      minute: fc.integer({ min: 0, max: 7 * 60 }),
    })
    .chain((r) =>
      QTY[r.symbol].map((qty) => {
        const hh = String(10 + Math.floor(r.minute / 60)).padStart(2, '0');
        const mm = String(r.minute % 60).padStart(2, '0');
        return {
          client: r.client,
          symbol: r.symbol,
          side: r.side,
          qty,
          priceTicks: r.priceTicks,
          timeMs: spMs(`${TRADING_DAYS_2026[r.day]}T${hh}:${mm}`),
        };
      }),
    );
}

const withIds = (fills: Array<Omit<PortfolioFill, 'fillId'>>): PortfolioFill[] =>
  fills.map((f, i) => ({ ...f, fillId: `t${i}` }));

describe('portfolio properties', () => {
  it('realised + unrealised = cash-flow P&L (sells - buys + qty x last), exactly, per client and consolidated', () => {
    fc.assert(
      fc.property(
        fc.array(fillArb(['PETR4', 'PETR4F', 'VALE3', 'WINZ26', 'WDOZ26']), { minLength: 1, maxLength: 60 }),
        fc.record({
          PETR4: fc.integer({ min: 1, max: 60_000 }),
          VALE3: fc.integer({ min: 1, max: 60_000 }),
          WINZ26: fc.integer({ min: 1, max: 60_000 }),
          WDOZ26: fc.integer({ min: 1, max: 60_000 }),
        }),
        (raw, lasts) => {
          const pf = new Portfolio({ instruments, calendar: b3Calendar(), fees: noFees });
          const expected = new Map<string, { cash: number; qty: number; tick: number }>();
          for (const f of withIds(raw)) {
            pf.applyFill(f);
            const inst = instruments.require(f.symbol);
            const key = `${f.client}|${inst.underlying ?? inst.symbol}`;
            const e = expected.get(key) ?? { cash: 0, qty: 0, tick: inst.tickValueCentavos };
            const value = f.qty * f.priceTicks * inst.tickValueCentavos;
            e.cash += f.side === 'sell' ? value : -value;
            e.qty += f.side === 'buy' ? f.qty : -f.qty;
            expected.set(key, e);
          }
          const last = (s: string) => lasts[s as keyof typeof lasts];
          const positions = pf.positions(undefined, last);
          expect(positions).toHaveLength(expected.size);
          let totalCashFlow = 0;
          for (const p of positions) {
            const e = expected.get(`${p.client}|${p.symbol}`)!;
            const cashFlowPnl = e.cash + e.qty * last(p.symbol) * e.tick;
            totalCashFlow += cashFlowPnl;
            expect(p.qty).toBe(e.qty);
            expect(p.realisedCentavos + p.unrealisedCentavos!).toBe(cashFlowPnl);
            expect(Number.isSafeInteger(p.realisedCentavos) && Number.isSafeInteger(p.costCentavos)).toBe(true);
            if (p.qty === 0) expect(p.costCentavos).toBe(0);
          }
          const cons = pf.consolidated(last);
          expect(cons.reduce((s, c) => s + c.realisedCentavos + c.unrealisedCentavos!, 0)).toBe(totalCashFlow);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('once every stock fill has settled, cash = opening - net buys - billed fees, and fill estimates add up to the bills', () => {
    fc.assert(
      fc.property(
        fc.array(fillArb(['PETR4', 'PETR4F', 'VALE3']), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 10_000_000_00 }),
        (raw, opening) => {
          const pf = new Portfolio({ instruments, calendar: b3Calendar(), fees: feeSchedule() });
          const expected = new Map<string, number>([
            ['A', opening],
            ['B', opening],
          ]);
          pf.setOpeningCash('A', opening);
          pf.setOpeningCash('B', opening);
          for (const f of withIds(raw)) {
            pf.applyFill(f);
            const notional = f.qty * f.priceTicks;
            expected.set(f.client, expected.get(f.client)! + (f.side === 'sell' ? notional : -notional));
          }
          for (const client of ['A', 'B']) {
            // Fees as B3 bills them, one total per day; the per-fill estimates add up to the bills.
            const billed = pf.feeBills(client).reduce((s, b) => s + b.totalCentavos, 0);
            const estimated = pf.movements(client).filter((m) => m.kind === 'fees').reduce((s, m) => s - m.amountCentavos, 0);
            expect(estimated).toBe(billed);
            expected.set(client, expected.get(client)! - billed);
            // The last fill day is 23 Dec 2026; D+2 is 28 Dec at the latest.
            const b = pf.balance(client, '2027-01-04');
            expect(b.d0Centavos).toBe(expected.get(client));
            expect(b.d2Centavos).toBe(expected.get(client));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('balances asked as fills arrive, on dates that move forward and back, equal a recount of the whole book', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fillArb(['PETR4', 'PETR4F', 'VALE3', 'WINZ26']), fc.integer({ min: -3, max: 6 })), { minLength: 1, maxLength: 50 }),
        (steps) => {
          const pf = new Portfolio({ instruments, calendar: b3Calendar(), fees: feeSchedule() });
          pf.setOpeningCash('A', 1_000_000_00);
          const fills: PortfolioFill[] = [];
          const sorted = [...steps].sort((a, b) => a[0].timeMs - b[0].timeMs);
          sorted.forEach(([f, ask], i) => {
            const fill = { ...f, fillId: `t${i}` };
            fills.push(fill);
            pf.applyFill(fill);
            // Asked on the fill's date, a few days either side (a query for an earlier date included).
            const day = TRADING_DAYS_2026[Math.max(0, Math.min(TRADING_DAYS_2026.length - 1, TRADING_DAYS_2026.findIndex((d) => spMs(`${d}T23:59`) >= fill.timeMs) + ask))];
            // The same figures summed from the whole book: every notional movement and every day's bill.
            const cal = b3Calendar();
            const dates = [day, cal.nextBusinessDay(day), cal.nextBusinessDay(cal.nextBusinessDay(day))];
            for (const c of ['A', 'B']) {
              const opening = c === 'A' ? 1_000_000_00 : 0;
              const notional = pf.movements(c).filter((m) => m.kind === 'notional');
              const bills = pf.feeBills(c);
              const upTo = (d: string) => opening + notional.filter((m) => m.settlementDate <= d).reduce((a, m) => a + m.amountCentavos, 0) - bills.filter((b) => b.settlementDate <= d).reduce((a, b) => a + b.totalCentavos, 0);
              const b = pf.balance(c, day);
              expect([b.d0Centavos, b.d1Centavos, b.d2Centavos]).toEqual(dates.map(upTo));
              expect(b.dates).toEqual(dates);
              expect(pf.feesCentavos(c)).toBe(bills.reduce((a, x) => a + x.totalCentavos, 0));
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('replaying the same journal, duplicates included, changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fillArb(['PETR4', 'PETR4F', 'WINZ26']), { minLength: 1, maxLength: 30 }), (raw) => {
        const fills = withIds(raw);
        const once = new Portfolio({ instruments, calendar: b3Calendar(), fees: feeSchedule() });
        const twice = new Portfolio({ instruments, calendar: b3Calendar(), fees: feeSchedule() });
        for (const f of fills) once.applyFill(f);
        for (const f of fills) twice.applyFill(f);
        for (const f of fills) expect(twice.applyFill(f).duplicate).toBe(true);
        expect(twice.positions()).toEqual(once.positions());
        for (const c of ['A', 'B']) {
          expect(twice.movements(c)).toEqual(once.movements(c));
          expect(twice.balance(c, '2026-06-01')).toEqual(once.balance(c, '2026-06-01'));
        }
      }),
      { numRuns: 100 },
    );
  });
});
