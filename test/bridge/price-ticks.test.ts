/** The one "on the tick" rule (common/ticks.ts) as the bridge applies it to API prices. */
import { describe, expect, it } from 'vitest';
import { ticksOnGrid, TICK_NOISE_RELATIVE } from '../../common/ticks.js';
import { defaultInstruments, OffTickError, priceToTicks } from '../../bridge/model/instrument.js';
import { LIVE_Z26_MS } from '../support/clock.js';

// The listing of a day when WINZ26 and WDOZ26 are live, whatever the date the tests run on.
const inst = (s: string) => defaultInstruments(LIVE_Z26_MS).find((i) => i.symbol === s)!;

describe('prices on the tick', () => {
  it('reads floating-point noise of a tick as that tick', () => {
    expect(priceToTicks(inst('PETR4'), 36.6)).toBe(3660);
    expect(priceToTicks(inst('PETR4'), 36.5 + 0.1)).toBe(3660);
    expect(priceToTicks(inst('PETR4'), 0.1 + 0.2)).toBe(30);
    expect(priceToTicks(inst('PETR4'), 40.150000000000006)).toBe(4015);
    expect(priceToTicks(inst('WINZ26'), 155_000)).toBe(31_000);
    expect(priceToTicks(inst('WDOZ26'), 5420.5)).toBe(10_841);
    // Noise at the limit of the bound is still the tick; twice the bound is not.
    expect(ticksOnGrid(36.6 * (1 + TICK_NOISE_RELATIVE / 2), 1)).toBe(3660);
    expect(ticksOnGrid(36.6 * (1 + TICK_NOISE_RELATIVE * 2), 1)).toBeUndefined();
  });

  it('refuses anything else, never rounding it', () => {
    for (const [symbol, price] of [
      ['PETR4', 36.60000000001],
      ['PETR4', 36.605],
      ['PETR4', 36.555],
      ['WINZ26', 155_001],
      ['WINZ26', 155_000.0001],
      ['WDOZ26', 5420.25],
    ] as const) {
      expect(() => priceToTicks(inst(symbol), price), `${symbol} ${price}`).toThrow(OffTickError);
    }
    expect(() => priceToTicks(inst('PETR4'), 36.605)).toThrow('preço 36.605 fora do tick 0.01');
    expect(() => priceToTicks(inst('PETR4'), Number.NaN)).toThrow(OffTickError);
  });
});
