/** The simulated market in "b3" mode follows B3's trading calendar and hours, per instrument segment. */
import { describe, expect, it } from 'vitest';
import { b3SessionPhase } from '../../bridge/adapters/broker-factory.js';
import { defaultInstruments } from '../../bridge/model/instrument.js';

const phase = b3SessionPhase(defaultInstruments(Date.parse('2026-11-25T15:00:00Z')), () => undefined);

describe('b3 market hours for the simulated exchange', () => {
  it('is open at midday on a business day, for stocks and futures', () => {
    const noonSp = Date.parse('2026-11-25T15:00:00Z'); // Wednesday 12:00 in São Paulo
    expect(phase('PETR4', noonSp)).toBe('open');
    expect(phase('PETR4F', noonSp)).toBe('open');
    expect(phase('WINZ26', noonSp)).toBe('open');
  });

  it('is closed at night, on weekends and on holidays such as 20 November', () => {
    expect(phase('PETR4', Date.parse('2026-11-25T06:00:00Z'))).toBe('closed');
    expect(phase('PETR4', Date.parse('2026-11-28T15:00:00Z'))).toBe('closed');
    expect(phase('PETR4', Date.parse('2026-11-20T15:00:00Z'))).toBe('closed');
    expect(phase('WDOZ26', Date.parse('2026-12-24T15:00:00Z'))).toBe('closed');
  });

  it('runs the opening auction before continuous trading, and fails closed for unknown symbols', () => {
    expect(phase('PETR4', Date.parse('2026-11-25T12:50:00Z'))).toBe('auction'); // 09:50 in São Paulo
    expect(phase('XPTO3', Date.parse('2026-11-25T15:00:00Z'))).toBe('closed');
  });
});
