import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { b3Calendar } from '../../bridge/calendar/business-calendar.js';
import { addCalendarDays } from '../../bridge/calendar/iso-date.js';
import {
  segmentOf,
  sessionPhase,
  TradingHours,
  tradingHours,
  type Segment,
} from '../../bridge/calendar/trading-hours.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { spMs } from './sp-time.js';
import { LIVE_Z26_MS } from '../support/clock.js';

const cal = b3Calendar();
const phase = (segment: Segment, local: string) => sessionPhase(segment, spMs(local), cal);

function rawHours(): Record<string, any> {
  return JSON.parse(readFileSync(new URL('../../bridge/calendar/data/trading-hours.json', import.meta.url), 'utf8'));
}

describe('sessionPhase on a normal day (Mon 23 Nov 2026, US standard time)', () => {
  it('equities: cancellation is closed, calls are auctions, 10:00-17:55 continuous', () => {
    expect(phase('equities', '2026-11-23T09:29')).toBe('closed');
    expect(phase('equities', '2026-11-23T09:35')).toBe('closed');
    expect(phase('equities', '2026-11-23T09:45')).toBe('auction');
    expect(phase('equities', '2026-11-23T09:59:59.999')).toBe('auction');
    expect(phase('equities', '2026-11-23T10:00')).toBe('open');
    expect(phase('equities', '2026-11-23T17:54')).toBe('open');
    expect(phase('equities', '2026-11-23T17:55')).toBe('auction');
    expect(phase('equities', '2026-11-23T18:00')).toBe('closed');
  });

  it('index futures 09:00-18:25 and dollar futures 09:00-18:30, each after an opening call', () => {
    expect(phase('futures', '2026-11-23T08:44')).toBe('closed');
    expect(phase('futures', '2026-11-23T08:50')).toBe('auction');
    expect(phase('futures', '2026-11-23T09:00')).toBe('open');
    expect(phase('futures', '2026-11-23T18:24')).toBe('open');
    expect(phase('futures', '2026-11-23T18:25')).toBe('closed');
    expect(phase('futures_fx', '2026-11-23T08:50')).toBe('auction');
    expect(phase('futures_fx', '2026-11-23T18:29')).toBe('open');
    expect(phase('futures_fx', '2026-11-23T18:30')).toBe('closed');
  });
});

describe('sessionPhase in US daylight time (Wed 10 Jun 2026)', () => {
  it('equities close an hour earlier; futures keep their hours', () => {
    expect(phase('equities', '2026-06-10T16:54')).toBe('open');
    expect(phase('equities', '2026-06-10T16:55')).toBe('auction');
    expect(phase('equities', '2026-06-10T17:00')).toBe('closed');
    expect(phase('futures', '2026-06-10T18:00')).toBe('open');
  });
});

describe('sessionPhase on special days', () => {
  it('Ash Wednesday 2026 (18 Feb): equities pre-open 12:45, open 13:00; derivatives from 12:55', () => {
    expect(phase('equities', '2026-02-18T10:30')).toBe('closed');
    expect(phase('equities', '2026-02-18T12:44')).toBe('closed');
    expect(phase('equities', '2026-02-18T12:45')).toBe('auction');
    expect(phase('equities', '2026-02-18T13:00')).toBe('open');
    expect(phase('equities', '2026-02-18T17:56')).toBe('auction');
    expect(phase('futures', '2026-02-18T09:30')).toBe('closed');
    expect(phase('futures', '2026-02-18T12:56')).toBe('auction');
    expect(phase('futures', '2026-02-18T13:00')).toBe('open');
    expect(phase('futures_fx', '2026-02-18T18:29')).toBe('open');
  });

  it('weekend: closed', () => {
    for (const segment of ['equities', 'futures', 'futures_fx'] as const) {
      expect(phase(segment, '2026-02-21T11:00')).toBe('closed');
    }
  });

  it('holidays and 24 December: closed all day', () => {
    for (const segment of ['equities', 'futures', 'futures_fx'] as const) {
      expect(phase(segment, '2026-11-20T11:00')).toBe('closed');
      expect(phase(segment, '2026-02-16T11:00')).toBe('closed');
      expect(phase(segment, '2026-12-24T11:00')).toBe('closed');
    }
  });
});

describe('trading-hours data', () => {
  it('equities close at 17:00 exactly on the weekdays New York is on daylight time', () => {
    const hours = tradingHours();
    for (let d = '2024-01-01'; d <= '2030-12-31'; d = addCalendarDays(d, 1)) {
      if (!cal.isBusinessDay(d) || cal.specialSession(d)) continue;
      const phases = hours.phasesOn('equities', d, cal);
      const closeMinute = phases[phases.length - 1].endMinute;
      const newYorkDst = DateTime.fromISO(`${d}T12:00`, { zone: 'America/New_York' }).isInDST;
      expect({ d, closeMinute }).toEqual({ d, closeMinute: newYorkDst ? 17 * 60 : 18 * 60 });
    }
  });

  it('rejects gaps between schedules and overlapping phases', () => {
    const gap = rawHours();
    gap.segments.equities.schedules[1].validFrom = '2024-03-12';
    expect(() => TradingHours.fromData(gap)).toThrow(/não segue/);

    const overlap = rawHours();
    overlap.grids.futures_fx[1].start = '08:50';
    expect(() => TradingHours.fromData(overlap)).toThrow(/sobreposição/);

    const unknownGrid = rawHours();
    unknownGrid.segments.futures.specialSessions.late_open = 'nope';
    expect(() => TradingHours.fromData(unknownGrid)).toThrow(/desconhecida/);
  });

  it('throws past the data instead of guessing', () => {
    const short = rawHours();
    short.segments.futures.schedules[0].validTo = '2026-12-31';
    expect(() => TradingHours.fromData(short).sessionPhase('futures', spMs('2027-01-04T10:00'), cal)).toThrow(
      /trading-hours.json/,
    );
  });
});

describe('segmentOf', () => {
  const reg = new InstrumentRegistry(defaultInstruments(LIVE_Z26_MS), { nowMs: () => LIVE_Z26_MS });
  it('maps stocks and odd lots to equities, WIN to futures and WDO to futures_fx', () => {
    expect(segmentOf(reg.require('PETR4'))).toBe('equities');
    expect(segmentOf(reg.require('PETR4F'))).toBe('equities');
    expect(segmentOf(reg.require('WINZ26'))).toBe('futures');
    expect(segmentOf(reg.require('WDOZ26'))).toBe('futures_fx');
  });

  it('refuses instruments without hours in the data', () => {
    expect(() => segmentOf({ ...reg.require('PETR4'), symbol: 'PETRA400', kind: 'option' })).toThrow(/PETRA400/);
    expect(() => segmentOf({ ...reg.require('WINZ26'), symbol: 'CCMF27' })).toThrow(/CCMF27/);
  });
});
