/** Fees billed as B3 bills them: per client, trade date and segment, rounded once; day trades at the day-trade table. */
import { describe, expect, it } from 'vitest';
import { b3Calendar } from '../../bridge/calendar/business-calendar.js';
import { apportionByWeight } from '../../bridge/fees/billing.js';
import { feesCentavos, feeSchedule } from '../../bridge/fees/fee-schedule.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { Portfolio, type PortfolioFill } from '../../bridge/portfolio/portfolio.js';
import { spMs } from '../calendar/sp-time.js';

const instruments = new InstrumentRegistry(defaultInstruments(spMs('2026-03-02T10:00')), { nowMs: () => spMs('2026-03-02T10:00') });
const portfolio = (usdBrl = 5.4) => new Portfolio({ instruments, calendar: b3Calendar(), fees: feeSchedule(), usdBrl: () => usdBrl });

let seq = 0;
function fill(p: Partial<PortfolioFill> & Pick<PortfolioFill, 'symbol' | 'side' | 'qty' | 'priceTicks'>): PortfolioFill {
  return { client: 'A', timeMs: spMs('2026-03-02T11:00'), fillId: `b${++seq}`, ...p };
}
const feeMovements = (pf: Portfolio, client = 'A') => pf.movements(client).filter((m) => m.kind === 'fees').map((m) => -m.amountCentavos);
const billed = (pf: Portfolio, client = 'A') => pf.feeBills(client).reduce((s, b) => s + b.totalCentavos, 0);

describe('one bill per client, day and segment', () => {
  it('10 fills of 100 shares cost the same as 1 fill of 1,000', () => {
    // 100 x 36.74 = R$3,674.00 x 2.30 bp = 84.502 centavos: rounded per fill, ten fills would pay 850.
    expect(feesCentavos({ instrument: instruments.require('PETR4'), qty: 100, priceTicks: 3674, isoDate: '2026-03-02' }).totalCentavos).toBe(85);
    const children = portfolio();
    for (let i = 0; i < 10; i++) children.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3674 }));
    const single = portfolio();
    single.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 1000, priceTicks: 3674 }));
    // R$36,740.00 x 2.30 bp = 845.02 -> 845, once.
    expect(billed(single)).toBe(845);
    expect(billed(children)).toBe(845);
    expect(children.balance('A', '2026-03-04').d0Centavos).toBe(single.balance('A', '2026-03-04').d0Centavos);
    // The per-fill figures are estimates that add up to the bill, centavo for centavo.
    const estimates = feeMovements(children);
    expect(estimates).toHaveLength(10);
    expect(estimates.reduce((a, b) => a + b, 0)).toBe(845);
    expect(Math.max(...estimates) - Math.min(...estimates)).toBeLessThanOrEqual(1);
  });

  it('bills each client apart, each day apart, and equities apart from derivatives', () => {
    const pf = portfolio();
    pf.applyFill(fill({ client: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3674 }));
    pf.applyFill(fill({ client: 'B', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3674 }));
    pf.applyFill(fill({ client: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3674, timeMs: spMs('2026-03-03T11:00') }));
    pf.applyFill(fill({ client: 'A', symbol: 'WINJ26', side: 'buy', qty: 1, priceTicks: 31_000 }));
    expect(pf.feeBills('A')).toEqual([
      { tradeDate: '2026-03-02', segment: 'derivatives', settlementDate: '2026-03-03', totalCentavos: 39 },
      { tradeDate: '2026-03-02', segment: 'equities', settlementDate: '2026-03-04', totalCentavos: 85 },
      { tradeDate: '2026-03-03', segment: 'equities', settlementDate: '2026-03-05', totalCentavos: 85 },
    ]);
    expect(pf.feeBills('B')).toEqual([{ tradeDate: '2026-03-02', segment: 'equities', settlementDate: '2026-03-04', totalCentavos: 85 }]);
  });
});

describe('day trades', () => {
  // The previous equities table (until 31 Jul 2025) has distinct rates: 3.00 bp regular, 2.30 bp day trade.
  const day = spMs('2025-06-02T11:00');

  it('a buy and a sell of the same asset, client and day pay the day-trade rate on both legs', () => {
    const pf = portfolio();
    pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: day }));
    // Alone, the buy is billed at the regular rate: 365,000 x 3.00 bp = 109.5 -> 110.
    expect(billed(pf)).toBe(110);
    pf.applyFill(fill({ symbol: 'PETR4', side: 'sell', qty: 100, priceTicks: 3660, timeMs: day }));
    // Both legs at 2.30 bp: (365,000 + 366,000) x 2.30 bp = 168.13 -> 168 (regular would be 219).
    expect(billed(pf)).toBe(168);
    expect(feeMovements(pf).reduce((a, b) => a + b, 0)).toBe(168);
    expect(pf.settlementsOn('A', '2025-06-04', '2025-06-02').map((e) => e.dayTradeQty)).toEqual([100, 100]);
  });

  it('only the quantity both bought and sold is a day trade; fractional shares are the same asset', () => {
    const pf = portfolio();
    pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 300, priceTicks: 3650, timeMs: day }));
    pf.applyFill(fill({ symbol: 'PETR4F', side: 'sell', qty: 50, priceTicks: 3650, timeMs: day }));
    // Buy side: 50/300 of 1,095,000 at 2.30 bp + 250/300 at 3.00 bp = 41.975 + 273.75; sell: 182,500 x 2.30 bp = 41.975.
    expect(billed(pf)).toBe(Math.round(41.975 + 273.75 + 41.975));
  });

  it('different clients or different days are not day trades', () => {
    const pf = portfolio();
    pf.applyFill(fill({ client: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: day }));
    pf.applyFill(fill({ client: 'B', symbol: 'PETR4', side: 'sell', qty: 100, priceTicks: 3650, timeMs: day }));
    pf.applyFill(fill({ client: 'A', symbol: 'PETR4', side: 'sell', qty: 100, priceTicks: 3650, timeMs: spMs('2025-06-03T11:00') }));
    expect(billed(pf, 'A')).toBe(110 + 110);
    expect(billed(pf, 'B')).toBe(110);
  });

  it('WIN per contract: R$0.394 regular, -35% in a day trade', () => {
    const pf = portfolio();
    pf.applyFill(fill({ symbol: 'WINJ26', side: 'buy', qty: 2, priceTicks: 31_000 }));
    expect(billed(pf)).toBe(79); // 78.8
    pf.applyFill(fill({ symbol: 'WINJ26', side: 'sell', qty: 2, priceTicks: 31_010 }));
    expect(billed(pf)).toBe(102); // 4 x 25.61 = 102.44
  });

  it('WDO per contract in USD at the configured rate: US$0.2425 regular, -16% in a day trade', () => {
    const pf = portfolio(5.4);
    pf.applyFill(fill({ symbol: 'WDOJ26', side: 'buy', qty: 1, priceTicks: 10_840 }));
    expect(billed(pf)).toBe(131); // 24.25 x 5.40 = 130.95
    pf.applyFill(fill({ symbol: 'WDOJ26', side: 'sell', qty: 1, priceTicks: 10_842 }));
    expect(billed(pf)).toBe(220); // 2 x 20.37 x 5.40 = 219.996
    // Another rate, another bill: the rate is a setting, not a constant.
    const at5 = portfolio(5);
    at5.applyFill(fill({ symbol: 'WDOJ26', side: 'buy', qty: 1, priceTicks: 10_840 }));
    expect(billed(at5)).toBe(121); // 121.25
  });

  it('a WDO trade without a rate is refused and books nothing', () => {
    const pf = new Portfolio({ instruments, calendar: b3Calendar(), fees: feeSchedule() });
    expect(() => pf.applyFill(fill({ symbol: 'WDOJ26', side: 'buy', qty: 1, priceTicks: 10_840 }))).toThrow(/feeUsdBrl/);
    expect(pf.positions()).toEqual([]);
    expect(pf.feeBills('A')).toEqual([]);
  });
});

describe('settlement detail', () => {
  it('lists each trade settling on a date with its cash and fee estimate, adding up to the balance step', () => {
    const pf = portfolio();
    pf.setOpeningCash('A', 100_000_00);
    const t = spMs('2026-12-22T11:00');
    pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 300, priceTicks: 3650, timeMs: t, fillId: 'T1' }));
    pf.applyFill(fill({ symbol: 'VALE3', side: 'sell', qty: 100, priceTicks: 6000, timeMs: t, fillId: 'T2' }));
    pf.applyFill(fill({ symbol: 'WING27', side: 'buy', qty: 1, priceTicks: 31_000, timeMs: t, fillId: 'T3' }));
    const b = pf.balance('A', '2026-12-22', () => 31_005);
    // A stock bought on 22/12/2026 settles on 28/12 (no settlement on 24 Dec); futures D+1 on 23/12.
    expect(b.dates).toEqual(['2026-12-22', '2026-12-23', '2026-12-28']);
    const d2 = pf.settlementsOn('A', '2026-12-28', '2026-12-22');
    expect(d2.map((e) => [e.trade.fillId, e.amountCentavos])).toEqual([['T1', -1_095_000], ['T2', 600_000]]);
    // (1,095,000 + 600,000) x 2.30 bp = 389.85 -> 390, split by their exact fees.
    expect(d2.map((e) => e.feesCentavos)).toEqual([252, 138]);
    const net = (es: typeof d2) => es.reduce((s, e) => s + e.amountCentavos - e.feesCentavos, 0);
    expect(net(d2)).toBe(b.d2Centavos - b.d1Centavos);
    const d1 = pf.settlementsOn('A', '2026-12-23', '2026-12-22', () => 31_005);
    expect(d1.map((e) => [e.trade.fillId, e.amountCentavos, e.feesCentavos])).toEqual([['T3', 500, 39]]);
    expect(net(d1)).toBe(b.d1Centavos - b.d0Centavos);
    expect(pf.settlementsOn('A', '2026-12-24', '2026-12-22')).toEqual([]);
  });
});

describe('apportionByWeight', () => {
  it('adds up exactly and gives leftovers to the largest remainders', () => {
    expect(apportionByWeight(10, [1n, 1n, 1n])).toEqual([4, 3, 3]);
    expect(apportionByWeight(845, Array(10).fill(10n ** 20n)).reduce((a, b) => a + b, 0)).toBe(845);
    expect(apportionByWeight(0, [0n, 0n])).toEqual([0, 0]);
  });
});

describe('blocks', () => {
  it('a client share of a block is billed with the client’s other trades of the day, not at the OMS split', () => {
    const pf = portfolio();
    // The block's share: R$36,740.00 for 1,000 shares, with the OMS's per-fill split of 850 centavos.
    pf.applyFill(fill({ symbol: 'PETR4', side: 'buy', qty: 1000, priceTicks: 3674, notionalCentavos: 3_674_000, feesCentavos: 850 }));
    expect(billed(pf)).toBe(845);
    // A day trade against the client's own later sale is seen too.
    pf.applyFill(fill({ symbol: 'PETR4', side: 'sell', qty: 1000, priceTicks: 3675 }));
    expect(pf.settlementsOn('A', '2026-03-04', '2026-03-02').map((e) => e.dayTradeQty)).toEqual([1000, 1000]);
  });
});
