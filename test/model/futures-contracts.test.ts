import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { b3Calendar, BusinessCalendar } from '../../bridge/calendar/business-calendar.js';
import { FuturesCatalog } from '../../bridge/model/futures-contracts.js';
import { defaultInstruments, futuresCatalog, instrumentView, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { spMs } from '../calendar/sp-time.js';

const catalog = futuresCatalog();
const expiry = (symbol: string) => catalog.parse(symbol)?.expiry;
const rawData = () => JSON.parse(readFileSync(new URL('../../bridge/model/data/futures-contracts.json', import.meta.url), 'utf8'));

describe('contract codes and expiry dates from the rules', () => {
  it('WIN: even months, the Wednesday closest to the 15th', () => {
    expect(expiry('WINZ26')).toBe('2026-12-16'); // Tue 15th -> Wed 16th
    expect(expiry('WING27')).toBe('2027-02-17'); // Mon 15th -> Wed 17th
    expect(expiry('WINJ27')).toBe('2027-04-14'); // Thu 15th -> Wed 14th
    expect(expiry('WINM26')).toBe('2026-06-17'); // Mon 15th -> Wed 17th
    expect(catalog.parse('WINF27')).toBeUndefined(); // January is not a WIN month
  });

  it('WIN on Ash Wednesday 2024 expires that day (a session from 13:00)', () => {
    expect(expiry('WING24')).toBe('2024-02-14');
    expect(b3Calendar().specialSession('2024-02-14')?.kind).toBe('late_open');
  });

  it('WDO: every month, the first session of the month', () => {
    expect(expiry('WDOZ26')).toBe('2026-12-01');
    expect(expiry('WDOF27')).toBe('2027-01-04'); // 1 Jan holiday, then a weekend
    expect(expiry('WDOG27')).toBe('2027-02-01');
    expect(expiry('WDOH33')).toBe('2033-03-02'); // 1 Mar 2033 is Carnival Tuesday
  });

  it('an expiry on a day without a session moves to the next session (published closure as data)', () => {
    const closed = BusinessCalendar.fromData({
      description: 'x',
      years: [{ year: 2031, sources: ['https://www.b3.com.br/x'], closed: [{ date: '2031-12-17', name: 'fechamento extraordinário' }], open: [] }],
    });
    const cat = FuturesCatalog.fromData(rawData(), closed);
    expect(futuresCatalog().parse('WINZ31')?.expiry).toBe('2031-12-17');
    expect(cat.parse('WINZ31')?.expiry).toBe('2031-12-18');
  });

  it('refuses bad rule data', () => {
    const bad = rawData();
    bad.roots[1].months = [1, 1];
    expect(() => FuturesCatalog.fromData(bad, b3Calendar())).toThrow(/roots\[1\].months/);
    expect(() => FuturesCatalog.fromData({ ...rawData(), monthLetters: 'FGHJ' }, b3Calendar())).toThrow();
  });
});

describe('the universe offers the current and next contract and rolls with the clock', () => {
  let now = spMs('2026-12-02T10:00');
  const registry = new InstrumentRegistry(defaultInstruments(now), { nowMs: () => now });
  const futures = () => registry.all().filter((i) => i.kind === 'future').map((i) => i.symbol);

  it('on 02/12/2026: WDOZ26 expired on 01/12, so WDOF27 and WDOG27; WINZ26 and WING27', () => {
    now = spMs('2026-12-02T10:00');
    expect(futures()).toEqual(['WINZ26', 'WING27', 'WDOF27', 'WDOG27']);
    expect(instrumentView(registry.require('WINZ26'))).toMatchObject({ symbol: 'WINZ26', name: 'MINI IBOVESPA DEZ/26', expiry: '2026-12-16', tickSize: 5, pointValue: 0.2 });
  });

  it('on the expiry day the contract still trades; the day after it is refused and the universe rolls', () => {
    now = spMs('2026-12-16T17:00');
    expect(futures().slice(0, 2)).toEqual(['WINZ26', 'WING27']);
    expect(registry.tradableError(registry.require('WINZ26'))).toBeUndefined();
    now = spMs('2026-12-17T09:00');
    expect(futures().slice(0, 2)).toEqual(['WING27', 'WINJ27']);
    expect(registry.tradableError(registry.require('WINZ26'))).toBe('contrato WINZ26 vencido em 16/12/2026: negocie WING27 ou WINJ27');
  });

  it('an expired contract still resolves, so a replayed journal books its fills', () => {
    now = spMs('2026-12-02T10:00');
    expect(registry.require('WDOZ26')).toMatchObject({ kind: 'future', tickValueCentavos: 500, expiry: '2026-12-01' });
    expect(registry.tradableError(registry.require('WDOZ26'))).toMatch(/^contrato WDOZ26 vencido em 01\/12\/2026: negocie WDOF27 ou WDOG27$/);
    expect(registry.get('WDOX99')).toMatchObject({ expiry: '2099-11-03' });
    expect(registry.get('XYZZ26')).toBeUndefined();
  });

  it('rolls across 24 and 31 December and the last session of the year', () => {
    now = spMs('2026-12-24T12:00');
    expect(futures()).toEqual(['WING27', 'WINJ27', 'WDOF27', 'WDOG27']);
    now = spMs('2026-12-31T12:00');
    expect(futures()).toEqual(['WING27', 'WINJ27', 'WDOF27', 'WDOG27']);
    // WDOF27 expires on Mon 04/01/2027, the first session after the last one of 2026 (Wed 30/12).
    now = spMs('2027-01-04T18:00');
    expect(futures().slice(2)).toEqual(['WDOF27', 'WDOG27']);
    now = spMs('2027-01-05T09:00');
    expect(futures().slice(2)).toEqual(['WDOG27', 'WDOH27']);
  });

  it('rolls across Carnival: WDOH33 (1 Mar 2033 is Carnival) stays current until Ash Wednesday', () => {
    now = spMs('2033-03-01T12:00');
    expect(futures().slice(2)).toEqual(['WDOH33', 'WDOJ33']);
    now = spMs('2033-03-03T09:00');
    expect(futures().slice(2)).toEqual(['WDOJ33', 'WDOK33']);
  });

  it('answers for dates no published calendar covers (end of 2030, 2035)', () => {
    now = spMs('2030-12-30T12:00');
    expect(futures()).toEqual(['WING31', 'WINJ31', 'WDOF31', 'WDOG31']); // WINZ30 expired on Wed 18/12/2030
    now = spMs('2035-06-01T12:00');
    expect(futures()).toEqual(['WINM35', 'WINQ35', 'WDOM35', 'WDON35']);
  });
});
