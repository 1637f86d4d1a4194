/**
 * Volume profiles for VWAP from stored candles: the median share per 5-minute bucket over the last N
 * sessions, the closing call kept out of the continuous shares, a dated future falling back to its
 * continuous series, and no profile (the algo's U-shape) when nothing is stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importProfitFile } from '../../bridge/marketdata/import/profit-import.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { MarketVolumeProfiles, vwapProfileSource } from '../../bridge/marketdata/volume-profile.js';
import { defaultUProfile } from '../../bridge/execution/algos/schedule.js';

let dir: string;
let db: MarketDb;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'blackbox-vp-'));
  db = MarketDb.open(path.join(dir, 'market.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 5-minute candles with the given quantity per HH:mm, on each date (DD/MM/AAAA). */
async function load(symbol: string, days: Array<[string, Record<string, number>]>) {
  const lines: string[] = [];
  for (const [date, byTime] of days) for (const [hhmm, qty] of Object.entries(byTime)) lines.push(`${symbol};${date};${hhmm}:00;10,00;10,00;10,00;10,00;${qty * 10},00;${qty}`);
  const f = path.join(dir, `${symbol}.csv`);
  writeFileSync(f, lines.join('\n') + '\n');
  const r = await importProfitFile(db, f, 'x', { interval: '5m' });
  expect(r.error).toBeUndefined();
}

describe('volume profile', () => {
  it('takes the median share per bucket over the sessions and leaves the closing call apart', async () => {
    // 2024-12-16..18 (US standard time: continuous 10:00–17:55, closing call 17:55–18:00).
    await load('PETR4', [
      ['16/12/2024', { '10:00': 50, '10:05': 30, '17:50': 20, '17:55': 500 }],
      ['17/12/2024', { '10:00': 40, '10:05': 40, '17:50': 20, '17:55': 900 }],
      ['18/12/2024', { '10:00': 60, '10:05': 20, '17:50': 20 }],
    ]);
    const p = new MarketVolumeProfiles(db).volumeProfile('PETR4')!;
    expect(p).toMatchObject({ bucketMinutes: 5, sessions: 3, source: 'PETR4 5m' });
    // Shares per session: 10:00 → .5/.4/.6 (median .5), 10:05 → .3/.4/.2 (.3), 17:50 → .2 (.2); sum 1.
    expect(p.shares.map((x) => x.start)).toEqual(['10:00', '10:05', '17:50']);
    expect(p.shares.map((x) => x.share)).toEqual([0.5, 0.3, 0.2].map((x) => expect.closeTo(x, 12)));
    // Only the last session.
    expect(new MarketVolumeProfiles(db).volumeProfile('PETR4', 1)!.shares.map((x) => x.share)).toEqual([0.6, 0.2, 0.2].map((x) => expect.closeTo(x, 12)));
  });

  it('serves a dated future from its continuous series, and nothing without data', async () => {
    await load('WINFUT', [['16/12/2024', { '09:00': 10, '09:05': 30 }]]);
    const profiles = new MarketVolumeProfiles(db);
    expect(profiles.volumeProfile('WINZ24')).toMatchObject({ source: 'WINFUT 5m', shares: [{ start: '09:00', share: 0.25 }, { start: '09:05', share: 0.75 }] });
    expect(profiles.volumeProfile('VALE3')).toBeUndefined();
  });

  it('feeds VWAP the measured profile, and the U-shape for a symbol without data', async () => {
    await load('PETR4', [['16/12/2024', { '10:00': 10, '10:05': 90 }]]);
    const source = vwapProfileSource(new MarketVolumeProfiles(db));
    const petr = source.profile('PETR4', '2024-12-17')!;
    // 10:05 carries nine times the volume of 10:00, as stored.
    expect(petr.weightAt(605) / petr.weightAt(600)).toBeCloseTo(9, 9);
    expect(source.profile('VALE3', '2024-12-17')).toBe(defaultUProfile());
  });
});
