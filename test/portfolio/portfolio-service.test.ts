import { describe, expect, it } from 'vitest';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { PortfolioService } from '../../bridge/portfolio/portfolio-service.js';
import { spMs } from '../calendar/sp-time.js';

describe('PortfolioService (the bridge edge)', () => {
  const instruments = new InstrumentRegistry(defaultInstruments());
  const cash = new Map([['A', 100_000_00]]);
  const svc = new PortfolioService(instruments, (c) => cash.get(c) ?? 0);
  const t = spMs('2026-11-19T11:00');
  svc.bookFill({ fillId: 'x1:A', client: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: t });
  svc.bookFill({ fillId: 'x2:A', client: 'A', symbol: 'PETR4F', side: 'buy', qty: 7, priceTicks: 3660, timeMs: t });
  svc.bookFill({ fillId: 'x3:B', client: 'B', symbol: 'PETR4', side: 'sell', qty: 200, priceTicks: 3640, timeMs: t });
  const last = (s: string) => (s === 'PETR4' ? 3700 : undefined);

  it('answers the OMS with fees and the signed position, fractional included', () => {
    const again = svc.bookFill({ fillId: 'x1:A', client: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: t });
    expect(again.duplicate).toBe(true);
    expect(svc.positionQty('A', 'PETR4')).toBe(107);
    expect(svc.positionQty('A', 'PETR4F')).toBe(107);
    expect(svc.positionQty('B', 'PETR4')).toBe(-200);
    expect(svc.positionQty('C', 'VALE3')).toBe(0);
  });

  it('converts to decimal BRL wire views, per client and consolidated', () => {
    // A: cost 100 x 3650 + 7 x 3660 = 390620 centavos over 107 shares; marked at 37.00 -> +52.80.
    expect(svc.positionViews('A', last)).toEqual([
      { client: 'A', symbol: 'PETR4', qty: 107, avgPrice: 36.506542, last: 37, realizedPnl: 0, unrealizedPnl: 52.8, exposure: 3959, netExposure: 3959 },
    ]);
    // All clients: cost 390620 - 728000 = -337380 over -93 shares; marked at 37.00 -> -67.20.
    expect(svc.positionViews(undefined, last)).toEqual([
      // Gross exposure adds A's long (107 x 37) and B's short (200 x 37); net is -93 x 37.
      { symbol: 'PETR4', qty: -93, avgPrice: 36.277419, last: 37, realizedPnl: 0, unrealizedPnl: -67.2, exposure: 11_359, netExposure: -3441 },
    ]);
    expect(svc.positionsChannel(last).byClient.map((p) => p.client)).toEqual(['A', 'B']);
  });

  it('reads opening cash from the configuration at read time', () => {
    const before = svc.balanceView('A', t);
    expect(before.dates).toEqual(['2026-11-19', '2026-11-23', '2026-11-24']);
    expect(before.d0).toBe(100_000);
    cash.set('A', 200_000_00);
    expect(svc.balanceView('A', t).d0).toBe(200_000);
    // D+2: notional 3650.00 + 256.20; fees billed once for the day: 3906.20 x 2.30 bp = 0.8984 -> 0.90.
    expect(svc.balanceView('A', t).d2).toBe(196_092.9);
  });
});
