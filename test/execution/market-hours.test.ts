/** The simulated market in "b3" mode follows B3's trading calendar and hours, per instrument segment. */
import { describe, expect, it } from 'vitest';
import { b3SessionPhase } from '../../bridge/adapters/broker-factory.js';
import { b3Session } from '../../bridge/execution/market-session.js';
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

describe('algo session phases (b3Session) asked many times, as on every market event', () => {
  it('give the same phase as a fresh look-up, across phase changes, holidays, weekends and clocks that go back', () => {
    const insts = defaultInstruments(Date.parse('2026-11-25T15:00:00Z'));
    const picked = ['PETR4', 'WINZ26', 'WDOZ26'].map((s) => insts.find((i) => i.symbol === s)!);
    const reused = b3Session();
    // Every 7 minutes from Thursday 19 Nov (the day before the 20 Nov holiday) to Tuesday 24 Nov,
    // then backwards over the same span: each answer must match a session with nothing remembered.
    const from = Date.parse('2026-11-19T03:00:00Z');
    const to = Date.parse('2026-11-24T23:00:00Z');
    const times: number[] = [];
    for (let t = from; t < to; t += 7 * 60_000) times.push(t);
    const seen = new Set<string>();
    for (const t of [...times, ...times.reverse()]) {
      for (const inst of picked) {
        const expected = b3Session().phase(inst, t);
        seen.add(expected);
        expect(reused.phase(inst, t), `${inst.symbol} at ${new Date(t).toISOString()}`).toBe(expected);
      }
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining(['closed', 'continuous', 'pre_open']));
  });
});

describe('the next phase change (b3Session.nextChangeMs), where algos look again', () => {
  it('is the next boundary of the day, or the next midnight; the phase never changes before it', () => {
    const petr4 = defaultInstruments(Date.parse('2026-11-25T15:00:00Z')).find((i) => i.symbol === 'PETR4')!;
    const s = b3Session();
    const sp = (hhmm: string, day = '2026-11-25') => Date.parse(`${day}T${hhmm}:00-03:00`);
    expect(s.nextChangeMs!(petr4, sp('09:50'))).toBe(sp('10:00'));
    expect(s.nextChangeMs!(petr4, sp('10:00'))).toBe(sp('17:55'));
    expect(s.nextChangeMs!(petr4, sp('17:56'))).toBe(sp('18:00'));
    expect(s.nextChangeMs!(petr4, sp('18:30'))).toBe(sp('00:00', '2026-11-26'));
    // Holiday: nothing all day.
    expect(s.nextChangeMs!(petr4, sp('12:00', '2026-11-20'))).toBe(sp('00:00', '2026-11-21'));
    for (let t = sp('00:00', '2026-11-24'); t < sp('00:00', '2026-11-27'); t += 60_000) {
      const next = s.nextChangeMs!(petr4, t);
      expect(next).toBeGreaterThan(t);
      expect(s.phase(petr4, next - 1)).toBe(s.phase(petr4, t));
    }
  });
});
