import { describe, expect, it } from 'vitest';
import { b3Calendar } from '../../bridge/calendar/business-calendar.js';
import { feeSchedule, type FeeCalculator } from '../../bridge/fees/fee-schedule.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { Portfolio, type PortfolioFill } from '../../bridge/portfolio/portfolio.js';
import { spMs } from '../calendar/sp-time.js';
import { LIVE_Z26_MS } from '../support/clock.js';

const instruments = new InstrumentRegistry(defaultInstruments(LIVE_Z26_MS), { nowMs: () => LIVE_Z26_MS });
const noFees: FeeCalculator = { exactFee: () => 0n };

function portfolio(fees: FeeCalculator = noFees): Portfolio {
  return new Portfolio({ instruments, calendar: b3Calendar(), fees });
}

let seq = 0;
function fill(p: Partial<PortfolioFill> & Pick<PortfolioFill, 'symbol' | 'side' | 'qty' | 'priceTicks'>): PortfolioFill {
  return { client: 'A', timeMs: spMs('2026-03-02T11:00'), fillId: `f${++seq}`, ...p };
}

describe('positions', () => {
  it('keeps the exact cost basis and realises once per reducing fill, through a flip', () => {
    const pf = portfolio();
    pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650 }));
    pf.applyFill(fill({ symbol: 'PETR4F', side: 'buy', qty: 50, priceTicks: 3660 }));
    let [pos] = pf.positions('A');
    expect(pos).toMatchObject({ symbol: 'PETR4', qty: 150, costCentavos: 548_000, realisedCentavos: 0 });
    expect(pos.avgPriceTicks).toBeCloseTo(3653.3333, 3);

    // Sell 100 of 150: removed cost 548000 x 100/150 = 365333.33 -> 365333; realised 370000 - 365333.
    expect(pf.applyFill(fill({ symbol: 'PETR4', side: 'sell', qty: 100, priceTicks: 3700 })).realisedCentavos).toBe(4_667);
    [pos] = pf.positions('A');
    expect(pos).toMatchObject({ qty: 50, costCentavos: 182_667, realisedCentavos: 4_667 });

    // Sell 80: closes 50 (the whole remaining basis, no rounding) and opens 30 short at 36.00.
    expect(pf.applyFill(fill({ symbol: 'PETR4', side: 'sell', qty: 80, priceTicks: 3600 })).realisedCentavos).toBe(-2_667);
    [pos] = pf.positions('A');
    expect(pos).toMatchObject({ qty: -30, costCentavos: -108_000, realisedCentavos: 2_000 });
    expect(pos.avgPriceTicks).toBe(3600);

    // Buy back 10 of the short at 35.00: +R$1.00 per share.
    expect(pf.applyFill(fill({ symbol: 'PETR4F', side: 'buy', qty: 10, priceTicks: 3500 })).realisedCentavos).toBe(1_000);
    [pos] = pf.positions('A', () => 3550);
    expect(pos).toMatchObject({ qty: -20, costCentavos: -72_000, realisedCentavos: 3_000, lastTicks: 3550 });
    expect(pos.unrealisedCentavos).toBe(-20 * 3550 + 72_000);
  });

  it('closing to flat leaves zero cost and keeps the realised P&L', () => {
    const pf = portfolio();
    pf.applyFill(fill({ symbol: 'VALE3', side: 'buy', qty: 300, priceTicks: 6181 }));
    pf.applyFill(fill({ symbol: 'VALE3', side: 'sell', qty: 100, priceTicks: 6190 }));
    pf.applyFill(fill({ symbol: 'VALE3', side: 'sell', qty: 200, priceTicks: 6170 }));
    const [pos] = pf.positions('A', () => 6000);
    expect(pos).toMatchObject({ qty: 0, costCentavos: 0, avgPriceTicks: undefined, unrealisedCentavos: 0 });
    expect(pos.realisedCentavos).toBe(100 * 6190 + 200 * 6170 - 300 * 6181);
  });

  it('values futures with their tick value', () => {
    const pf = portfolio();
    pf.applyFill(fill({ symbol: 'WINZ26', side: 'buy', qty: 2, priceTicks: 31_000 }));
    const [pos] = pf.positions('A', () => 31_010);
    // 10 ticks x R$1.00 per tick per contract x 2 contracts.
    expect(pos).toMatchObject({ symbol: 'WINZ26', qty: 2, costCentavos: 6_200_000, unrealisedCentavos: 2_000 });
  });

  it('ignores a replayed fillId and returns the first result', () => {
    const pf = portfolio(feeSchedule());
    const f = fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650 });
    const first = pf.applyFill(f);
    const again = pf.applyFill(f);
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(pf.positions('A')[0].qty).toBe(100);
    expect(pf.movements('A')).toHaveLength(2);
  });

  it('leaves state untouched when a fill is refused', () => {
    const pf = portfolio();
    expect(() => pf.applyFill(fill({ symbol: 'NOPE3', side: 'buy', qty: 100, priceTicks: 100 }))).toThrow(/NOPE3/);
    expect(() => pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 36.5 }))).toThrow(RangeError);
    expect(() => pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: Number.NaN }))).toThrow(/instante inválido/);
    expect(pf.positions()).toEqual([]);
    expect(pf.movements('A')).toEqual([]);
  });

  it('consolidates clients per symbol', () => {
    const pf = portfolio();
    pf.applyFill(fill({ client: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3600 }));
    pf.applyFill(fill({ client: 'B', symbol: 'PETR4F', side: 'buy', qty: 30, priceTicks: 3700 }));
    pf.applyFill(fill({ client: 'B', symbol: 'PETR4', side: 'sell', qty: 10, priceTicks: 3800 }));
    pf.applyFill(fill({ client: 'B', symbol: 'VALE3', side: 'buy', qty: 100, priceTicks: 6000 }));
    const last = (s: string) => ({ PETR4: 3650 })[s as 'PETR4'];
    const cons = pf.consolidated(last);
    expect(cons.map((c) => c.symbol)).toEqual(['PETR4', 'VALE3']);
    const petr = cons[0];
    const perClient = pf.positions(undefined, last).filter((p) => p.symbol === 'PETR4');
    expect(petr).toMatchObject({
      qty: 120,
      clients: 2,
      costCentavos: 360_000 + 74_000,
      realisedCentavos: 10 * (3800 - 3700),
      lastTicks: 3650,
    });
    expect(petr.avgPriceTicks).toBeCloseTo(434_000 / 120, 9);
    expect(petr.unrealisedCentavos).toBe(perClient.reduce((s, p) => s + p.unrealisedCentavos!, 0));
    expect(cons[1].unrealisedCentavos).toBeUndefined();
  });
});

describe('cash D+0 / D+1 / D+2', () => {
  it('a stock bought Thu 19 Nov 2026 settles Tue 24 Nov (20 Nov holiday), fees included', () => {
    const pf = portfolio(feeSchedule());
    pf.setOpeningCash('A', 1_000_000_00);
    const r = pf.applyFill(
      fill({ symbol: 'PETR4', side: 'buy', qty: 1000, priceTicks: 3650, timeMs: spMs('2026-11-19T11:00') }),
    );
    expect(r).toMatchObject({ tradeDate: '2026-11-19', settlementDate: '2026-11-24', feesCentavos: 840 });
    expect(pf.balance('A', '2026-11-19')).toEqual({
      client: 'A',
      d0Centavos: 1_000_000_00,
      d1Centavos: 1_000_000_00,
      d2Centavos: 1_000_000_00 - 3_650_000 - 840,
      dates: ['2026-11-19', '2026-11-23', '2026-11-24'],
    });
    // On the 24th it is today's cash.
    expect(pf.balance('A', '2026-11-24').d0Centavos).toBe(1_000_000_00 - 3_650_000 - 840);
  });

  it('a sale of Tue 22 Dec 2026 credits on Mon 28 Dec: Câmara B3 does not settle on 24 Dec', () => {
    const pf = portfolio(feeSchedule());
    pf.setOpeningCash('A', 0);
    const r = pf.applyFill(
      fill({ symbol: 'VALE3', side: 'sell', qty: 100, priceTicks: 6000, timeMs: spMs('2026-12-22T15:00') }),
    );
    expect(r.settlementDate).toBe('2026-12-28');
    const b = pf.balance('A', '2026-12-22');
    expect(b.dates).toEqual(['2026-12-22', '2026-12-23', '2026-12-28']);
    expect([b.d0Centavos, b.d1Centavos, b.d2Centavos]).toEqual([0, 0, 600_000 - r.feesCentavos]);
    expect(pf.movements('A').map((m) => [m.kind, m.amountCentavos])).toEqual([
      ['notional', 600_000],
      ['fees', -r.feesCentavos],
    ]);
  });

  it('uses the São Paulo trade date of the fill, not UTC', () => {
    const pf = portfolio();
    // 22:30 on Wed 18 Nov 2026 in São Paulo is already the 19th in UTC.
    const r = pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: spMs('2026-11-18T22:30') }));
    expect(r).toMatchObject({ tradeDate: '2026-11-18', settlementDate: '2026-11-23' });
  });

  it('futures: no notional; fees D+1; projected adjustment of today vs last, paid D+1', () => {
    const pf = portfolio(feeSchedule());
    pf.setOpeningCash('A', 50_000_00);
    const t = spMs('2026-03-02T11:00');
    const r = pf.applyFill(fill({ symbol: 'WINZ26', side: 'buy', qty: 2, priceTicks: 31_000, timeMs: t }));
    // 2 x R$0.394 = 78.8 centavos.
    expect(r).toMatchObject({ settlementDate: '2026-03-03', feesCentavos: 79 });
    expect(pf.movements('A').map((m) => m.kind)).toEqual(['fees']);

    const last = () => 31_010;
    expect(pf.balance('A', '2026-03-02', last)).toMatchObject({
      d0Centavos: 50_000_00,
      d1Centavos: 50_000_00 - 79 + 2_000,
      d2Centavos: 50_000_00 - 79 + 2_000,
    });
    // Without a last price the adjustment is not guessed.
    expect(pf.balance('A', '2026-03-02').d1Centavos).toBe(50_000_00 - 79);
  });

  it('a futures day trade projects exactly its result whatever the last price', () => {
    const pf = portfolio();
    pf.applyFill(fill({ symbol: 'WDOZ26', side: 'buy', qty: 3, priceTicks: 10_840 }));
    pf.applyFill(fill({ symbol: 'WDOZ26', side: 'sell', qty: 3, priceTicks: 10_846 }));
    for (const last of [10_000, 10_843, 11_500]) {
      // 6 ticks x R$5.00 x 3 contracts.
      expect(pf.balance('A', '2026-03-02', () => last).d1Centavos).toBe(9_000);
    }
    expect(pf.positions('A')[0]).toMatchObject({ qty: 0, realisedCentavos: 9_000 });
  });

  it('a client without cash or fills has zero balances', () => {
    expect(portfolio().balance('Z', '2026-11-19')).toEqual({
      client: 'Z',
      d0Centavos: 0,
      d1Centavos: 0,
      d2Centavos: 0,
      dates: ['2026-11-19', '2026-11-23', '2026-11-24'],
    });
  });

  it('books trades in years no published calendar covers: end of 2030 and 2035', () => {
    const pf = portfolio(feeSchedule());
    const r2030 = pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: spMs('2030-12-30T11:00') }));
    // 31 Dec has no session and 1 Jan is a holiday: D+2 of Mon 30/12/2030 is Fri 03/01/2031.
    expect(r2030).toMatchObject({ tradeDate: '2030-12-30', settlementDate: '2031-01-03' });
    const r2035 = pf.applyFill(fill({ symbol: 'WINM35', side: 'sell', qty: 1, priceTicks: 40_000, timeMs: spMs('2035-03-22T11:00') }));
    // Thu 22/03/2035: Good Friday is 23 March, so D+1 is Mon 26/03.
    expect(r2035).toMatchObject({ tradeDate: '2035-03-22', settlementDate: '2035-03-26' });
  });

  it('a futures trade of Wed 23 Dec 2026 pays its adjustment on Mon 28 Dec', () => {
    const pf = portfolio();
    const r = pf.applyFill(fill({ symbol: 'WINZ26', side: 'buy', qty: 1, priceTicks: 31_000, timeMs: spMs('2026-12-23T11:00') }));
    expect(r.settlementDate).toBe('2026-12-28');
    const b = pf.balance('A', '2026-12-23', () => 31_002);
    expect(b.dates).toEqual(['2026-12-23', '2026-12-28', '2026-12-29']);
    expect(b.d1Centavos).toBe(200);
  });
});
