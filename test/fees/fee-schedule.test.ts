import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeeSchedule, feesCentavos, feeSchedule } from '../../bridge/fees/fee-schedule.js';
import { divRoundHalfAwayFromZero } from '../../bridge/fees/rounding.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { spMs } from '../calendar/sp-time.js';
import { LIVE_Z26_MS } from '../support/clock.js';

const reg = new InstrumentRegistry(defaultInstruments(LIVE_Z26_MS), { nowMs: () => LIVE_Z26_MS });
const PETR4 = reg.require('PETR4');
const PETR4F = reg.require('PETR4F');
const WIN = reg.require('WINZ26');
const WDO = reg.require('WDOZ26');

function rawTable(): Record<string, any> {
  return JSON.parse(readFileSync(new URL('../../bridge/fees/data/b3-fees.json', import.meta.url), 'utf8'));
}

describe('equities fees', () => {
  it('previous table: 0.50 bp trading + 2.50 bp settlement, total rounded once', () => {
    // Notional R$3,650.00: total 3.0 bp = 109.5 -> 110 (half up); trading 18.25 -> 18; settlement the rest.
    expect(feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 3650, isoDate: '2025-06-02' })).toEqual({
      tradingCentavos: 18,
      settlementCentavos: 92,
      totalCentavos: 110,
    });
  });

  it('unified table from 1 Aug 2025: 2.30 bp', () => {
    // 365000 x 2.30 bp = 83.95 -> 84.
    expect(feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 3650, isoDate: '2026-03-02' })).toEqual({
      tradingCentavos: 18,
      settlementCentavos: 66,
      totalCentavos: 84,
    });
  });

  it('chooses the version by the São Paulo trade date of the instant', () => {
    const lateJuly31 = Date.UTC(2025, 7, 1, 2, 0); // 23:00 on 31 Jul in São Paulo
    expect(feeSchedule().versionOn('2025-07-31').validFrom).toBe('2024-01-01');
    expect(feeSchedule().versionOn('2025-08-01').validFrom).toBe('2025-08-01');
    expect(feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 3650, timeMs: lateJuly31 }).totalCentavos).toBe(110);
    expect(
      feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 3650, timeMs: spMs('2025-08-01T10:30') }).totalCentavos,
    ).toBe(84);
  });

  it('day-trade rates apply when flagged', () => {
    expect(
      feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 3650, isoDate: '2025-06-02', dayTrade: true }),
    ).toEqual({ tradingCentavos: 18, settlementCentavos: 66, totalCentavos: 84 });
  });

  it('rounds halves up: R$50.00 at 3.0 bp is 1.5 centavos -> 2', () => {
    expect(feesCentavos({ instrument: PETR4F, qty: 50, priceTicks: 100, isoDate: '2025-06-02' })).toEqual({
      tradingCentavos: 0,
      settlementCentavos: 2,
      totalCentavos: 2,
    });
  });

  it('handles block-sized notionals exactly', () => {
    // R$100 bn notional: 1e13 centavos x 3.0 bp = 3e9 centavos (R$30 M).
    expect(
      feesCentavos({ instrument: PETR4, qty: 100_000_000, priceTicks: 100_000, isoDate: '2025-06-02' }).totalCentavos,
    ).toBe(3_000_000_000);
  });

  it('is the exactly rounded total and parts always add up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.boolean(),
        fc.constantFrom('2025-06-02', '2026-03-02'),
        (qty, priceTicks, dayTrade, isoDate) => {
          const f = feesCentavos({ instrument: PETR4, qty, priceTicks, isoDate, dayTrade });
          expect(f.tradingCentavos + f.settlementCentavos).toBe(f.totalCentavos);
          const v = feeSchedule().versionOn(isoDate).equities[dayTrade ? 'dayTrade' : 'regular'];
          const exactTimes1e6 = BigInt(qty * priceTicks) * BigInt(v.tradingHundredthsOfBp + v.settlementHundredthsOfBp);
          const diff = BigInt(f.totalCentavos) * 1_000_000n - exactTimes1e6;
          // Half-up: the rounded total is within half a centavo, and a tie goes up.
          expect(diff > -500_000n && diff <= 500_000n).toBe(true);
        },
      ),
    );
  });
});

describe('futures fees (B3 derivatives tables, tier 1)', () => {
  it('WIN: R$1.97 x contract factor 0.2 = R$0.394 per contract; day trade -35%', () => {
    expect(feesCentavos({ instrument: WIN, qty: 3, priceTicks: 31_000, isoDate: '2026-03-02' })).toEqual({
      tradingCentavos: 118, // 3 x 39.4
      settlementCentavos: 0,
      totalCentavos: 118,
    });
    // 3 x 39.4 x 0.65 = 76.83
    expect(feesCentavos({ instrument: WIN, qty: 3, priceTicks: 31_000, isoDate: '2026-03-02', dayTrade: true }).totalCentavos).toBe(77);
    // The price does not matter: a fee per contract.
    expect(feesCentavos({ instrument: WIN, qty: 10, priceTicks: 25_000, isoDate: '2026-03-02' }).totalCentavos).toBe(394);
  });

  it('WDO: US$0.97 x contract factor 0.25 = US$0.2425 per contract at the configured rate; day trade -16%', () => {
    // 24.25 US cents x 5.40 = 130.95 centavos
    expect(feesCentavos({ instrument: WDO, qty: 1, priceTicks: 10_840, isoDate: '2026-03-02', usdBrl: 5.4 }).totalCentavos).toBe(131);
    // The rate is a setting: at 5.00 the same contract costs 121.25 centavos.
    expect(feesCentavos({ instrument: WDO, qty: 1, priceTicks: 10_840, isoDate: '2026-03-02', usdBrl: 5 }).totalCentavos).toBe(121);
    // 2 x 24.25 x 0.84 x 5.40 = 219.996
    expect(feesCentavos({ instrument: WDO, qty: 2, priceTicks: 10_840, isoDate: '2026-03-02', dayTrade: true, usdBrl: 5.4 }).totalCentavos).toBe(220);
  });

  it('a dollar tariff without a configured rate is a clear error', () => {
    expect(() => feesCentavos({ instrument: WDO, qty: 1, priceTicks: 10_840, isoDate: '2026-03-02' })).toThrow(/settings.feeUsdBrl/);
  });

  it('cites the B3 tariff page of each product in the data', () => {
    const v = feeSchedule().versionOn('2026-03-02');
    expect(v.futures.WIN.source[0]).toMatch(/b3\.com\.br/);
    expect(v.futures.WDO.source[0]).toMatch(/b3\.com\.br.*futuros-de-dolar/);
  });
});

describe('fee table', () => {
  it('refuses what it has no table for', () => {
    expect(() => feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 3650, isoDate: '2023-12-29' })).toThrow(
      /2024-01-01/,
    );
    expect(() =>
      feesCentavos({ instrument: { ...WIN, symbol: 'INDZ26' }, qty: 1, priceTicks: 31_000, isoDate: '2026-03-02' }),
    ).toThrow(/IND/);
    expect(() =>
      feesCentavos({ instrument: { ...PETR4, symbol: 'PETRA400', kind: 'option' }, qty: 100, priceTicks: 100, isoDate: '2026-03-02' }),
    ).toThrow(/opções/);
    expect(() => feesCentavos({ instrument: PETR4, qty: 0, priceTicks: 3650, isoDate: '2026-03-02' })).toThrow(RangeError);
    expect(() => feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 36.5, isoDate: '2026-03-02' })).toThrow(RangeError);
  });

  it('cites its sources and validates versions', () => {
    const raw = rawTable();
    expect(raw.versions.every((v: { source: string[] }) => v.source.every((s) => s.startsWith('http')))).toBe(true);
    raw.versions.reverse();
    expect(() => FeeSchedule.fromData(raw)).toThrow(/fora de ordem/);
    const fractional = rawTable();
    fractional.versions[0].equities.regular.tradingHundredthsOfBp = 0.5;
    expect(() => FeeSchedule.fromData(fractional)).toThrow();
  });

  it('a configured table replaces the committed one', () => {
    const raw = rawTable();
    raw.versions[1].equities.regular = { tradingHundredthsOfBp: 0, settlementHundredthsOfBp: 225 };
    const custom = FeeSchedule.fromData(raw);
    // 365000 x 2.25 bp = 82.125 -> 82.
    expect(custom.feesCentavos({ instrument: PETR4, qty: 100, priceTicks: 3650, isoDate: '2026-03-02' }).totalCentavos).toBe(82);
  });
});

describe('divRoundHalfAwayFromZero', () => {
  it('rounds halves away from zero on both signs', () => {
    expect(divRoundHalfAwayFromZero(3n, 2n)).toBe(2n);
    expect(divRoundHalfAwayFromZero(-3n, 2n)).toBe(-2n);
    expect(divRoundHalfAwayFromZero(5n, 4n)).toBe(1n);
    expect(divRoundHalfAwayFromZero(-5n, 4n)).toBe(-1n);
    expect(() => divRoundHalfAwayFromZero(1n, 0n)).toThrow(RangeError);
  });
});
