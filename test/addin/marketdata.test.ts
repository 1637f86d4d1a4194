/** Add-in helpers of the market database: job merging order, Excel date serials in São Paulo time. */
import { describe, expect, it } from 'vitest';
import type { ImportJobView } from '../../common/marketdata.js';
import { chartTime, excelSerial, mergeJobs } from '../../addin/src/core/marketdata.js';

const job = (id: string, state: ImportJobView['state'], rowsRead = 0): ImportJobView => ({ id, kind: 'file', label: `${id}.csv`, state, done: 0, total: 1, rowsRead, rowsPerSec: 0 });

describe('mergeJobs', () => {
  it('never lets a late HTTP answer (queued) hide a job the channel already reported done', () => {
    let m = mergeJobs(new Map(), [job('a', 'running')]);
    m = mergeJobs(m, job('a', 'done', 9));
    m = mergeJobs(m, job('a', 'queued'));
    expect(m.get('a')).toMatchObject({ state: 'done', rowsRead: 9 });
    m = mergeJobs(m, job('b', 'queued'));
    m = mergeJobs(m, job('b', 'running', 5));
    expect([...m.values()].map((j) => [j.id, j.state])).toEqual([['a', 'done'], ['b', 'running']]);
  });
});

describe('Excel dates', () => {
  it('writes the São Paulo wall clock as an Excel serial (what the sheet shows)', () => {
    // 2024-12-30 18:20 in São Paulo = 21:20Z; serial 45656 is 2024-12-30.
    expect(excelSerial('2024-12-30T21:20:00.000Z')).toBeCloseTo(45656 + (18 * 60 + 20) / 1440, 9);
    // Summer time of 2018 (UTC−2): 10:00 local is 12:00Z.
    expect(excelSerial('2018-01-15T12:00:00.000Z')).toBeCloseTo(43115 + 10 / 24, 9);
    expect(chartTime('2024-12-30T21:20:00.000Z')).toBe(Date.UTC(2024, 11, 30, 18, 20) / 1000);
  });
});
