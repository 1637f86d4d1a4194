/**
 * Trade history through ProfitDLL (the C stand-in loaded by koffi) into the market database: a job
 * with progress on the `imports` channel, the trades in coverage, a second download that stores
 * nothing new, and the volume profile built from them.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageRow, ImportJobView, VolumeProfile } from '../../common/marketdata.js';
import { startTestBridge, tempDataDir, WsProbe, type TestBridge } from '../support/bridge.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lib = path.join(root, 'bridge/native/profitdll-standin/build/libprofitdll.so');

let b: TestBridge | undefined;
let probe: WsProbe | undefined;
afterEach(async () => {
  probe?.close();
  await b?.dispose();
  b = probe = undefined;
});

beforeAll(() => {
  execFileSync('bash', [path.join(root, 'bridge/native/profitdll-standin/build.sh')]);
});

const dataOf = (m: unknown) => (m as { data: ImportJobView }).data;

describe('history through ProfitDLL', () => {
  it('downloads a range of trades into the database with progress, idempotently', async () => {
    const dataDir = tempDataDir();
    Object.assign(process.env, {
      BLACKBOX_PROFITDLL_PATH: lib,
      BLACKBOX_PROFIT_KEY: 'chave-de-ativação',
      BLACKBOX_PROFIT_USER: 'gestora',
      BLACKBOX_PROFIT_PASSWORD: 'senha-secreta',
      PROFITDLL_STANDIN_STATE_FILE: path.join(dataDir, 'standin.state'),
    });
    b = await startTestBridge({ broker: 'profitdll' }, dataDir);
    probe = await WsProbe.open(b, ['imports']);
    expect((await b.api('GET', '/api/import')).body.historyAvailable).toBe(true);
    const minute = 60_000;
    const to = Math.floor((Date.now() - 60 * minute) / 10_000) * 10_000;
    const from = to - 60 * minute;
    const body = { symbol: 'petr4', from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const start = await b.api<ImportJobView>('POST', '/api/import/history', body);
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ kind: 'history', label: `PETR4 ${body.from}…${body.to}` });
    const done = dataOf(await probe.waitFor((m) => m.op === 'delta' && dataOf(m).id === start.body.id && dataOf(m).state === 'done', 30_000));
    // The stand-in prints a trade every 10 s: both ends included.
    expect(done.report).toMatchObject({ rowsRead: 361, stored: 361, duplicates: 0, refused: [] });
    const progress = probe.messages.filter((m) => m.op === 'delta' && dataOf(m).id === start.body.id).map((m) => dataOf(m).done);
    expect(progress.at(-1)).toBe(100);

    const cov = (await b.api<CoverageRow[]>('GET', '/api/marketdata/coverage')).body;
    expect(cov.find((c) => c.symbol === 'PETR4' && c.interval === 'trades')).toMatchObject({ rows: 361, from: new Date(from).toISOString(), to: new Date(to).toISOString() });

    const again = await b.api<ImportJobView>('POST', '/api/import/history', body);
    const second = dataOf(await probe.waitFor((m) => m.op === 'delta' && dataOf(m).id === again.body.id && dataOf(m).state === 'done', 30_000));
    expect(second.report, JSON.stringify(second.report)).toMatchObject({ rowsRead: 361, stored: 0, duplicates: 361 });

    const profile = await b.api<VolumeProfile>('GET', '/api/marketdata/volume-profile?symbol=PETR4');
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ bucketMinutes: 5, source: 'PETR4 trades' });
    expect(profile.body.shares.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 9);

    const bad = await b.api('POST', '/api/import/history', { symbol: 'PETR4', from: '2026-13-01', to: '2026-11-03' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('from');
  });
});
