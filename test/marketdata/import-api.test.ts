/**
 * Imports through the real bridge: multipart upload of Profit files, progress and the final report
 * on the `imports` WebSocket channel, coverage and candles read back over REST, deletion of a range,
 * bad uploads refused with a reason, and orders accepted while a large file is being imported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CandleRow, CoverageRow, ImportJobView } from '../../common/marketdata.js';
import type { OrderView } from '../../common/types.js';
import { eventually, startTestBridge, WsProbe, type TestBridge } from '../support/bridge.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

let b: TestBridge | undefined;
let probe: WsProbe | undefined;
afterEach(async () => {
  probe?.close();
  probe = undefined;
  await b?.dispose();
  b = undefined;
});

async function upload(bridge: TestBridge, files: Array<{ name: string; body: Buffer | string }>, query = '') {
  const form = new FormData();
  for (const f of files) form.append('file', new Blob([typeof f.body === 'string' ? f.body : new Uint8Array(f.body)]), f.name);
  const res = await fetch(`${bridge.url}/api/import${query}`, { method: 'POST', headers: { authorization: `Bearer ${bridge.token}` }, body: form });
  return { status: res.status, body: (await res.json()) as { jobs: ImportJobView[]; errors: Array<{ field: string; message: string }> } };
}

const dataOf = (m: unknown) => (m as { data: ImportJobView }).data;
const finished = (m: { op: string; channel?: string; data?: unknown }, id: string) =>
  m.op === 'delta' && m.channel === 'imports' && (m.data as ImportJobView).id === id && ['done', 'failed', 'cancelled'].includes((m.data as ImportJobView).state);

function candleFile(rows: number): string {
  const out: string[] = [];
  const start = Date.UTC(2024, 0, 2, 13, 0);
  for (let i = 0; i < rows; i++) {
    const d = new Date(start + i * 60_000 - 3 * 3_600_000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    out.push(`PETR4;${p2(d.getUTCDate())}/${p2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()};${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00;32,50;32,70;32,45;32,60;1000,00;100`);
  }
  return out.join('\r\n') + '\r\n';
}

describe('import API', () => {
  it('uploads files, reports on the imports channel, serves coverage and candles, deletes a range', async () => {
    b = await startTestBridge();
    probe = await WsProbe.open(b, ['imports']);
    const up = await upload(b, [
      { name: 'winfut.csv', body: readFileSync(path.join(FIX, 'winfut-5min-formatado-cp1252.csv')) },
      { name: 'quebrado.csv', body: readFileSync(path.join(FIX, 'broken-lines.csv')) },
      { name: 'vazio.csv', body: '' },
    ]);
    expect(up.status).toBe(202);
    expect(up.body.jobs.map((j) => j.label)).toEqual(['winfut.csv', 'quebrado.csv', 'vazio.csv']);
    const done = await Promise.all(up.body.jobs.map((j) => probe!.waitFor((m) => finished(m as never, j.id))));
    const [w, q, v] = done.map(dataOf);
    expect(w).toMatchObject({ state: 'done', report: { variant: 'candles-formatted', encoding: 'windows-1252', rowsRead: 3, stored: 3, duplicates: 0, refused: [] } });
    expect(q.state).toBe('done');
    expect(q.report!.refused.map((r) => r.line)).toEqual([2, 3, 4, 5, 9]);
    expect(v).toMatchObject({ state: 'failed', error: 'arquivo vazio' });

    const cov = (await b.api<CoverageRow[]>('GET', '/api/marketdata/coverage')).body;
    expect(cov).toEqual([
      { symbol: 'PETR4', interval: '15m', from: '2024-12-30T13:00:00.000Z', to: '2024-12-30T14:30:00.000Z', rows: 4, gaps: [] },
      { symbol: 'WINFUT', interval: '5m', from: '2024-12-30T21:10:00.000Z', to: '2024-12-30T21:20:00.000Z', rows: 3, gaps: [] },
    ]);
    const candles = (await b.api<CandleRow[]>('GET', '/api/marketdata/candles?symbol=WINFUT&interval=5m&from=2024-12-30&to=2024-12-30')).body;
    expect(candles.at(-1)).toEqual({ t: '2024-12-30T21:20:00.000Z', open: 124080, high: 124090, low: 123938, close: 123983, volume: 600822115.84, qty: 24228, trades: 0 });

    const bad = await b.api('GET', '/api/marketdata/candles?symbol=WINFUT&interval=7m&from=2024-12-30&to=2024-12-30');
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('interval');

    const del = await b.api('POST', '/api/marketdata/delete', { symbol: 'PETR4', interval: '15m', from: '2024-12-30T13:00:00Z', to: '2024-12-30T14:00:00Z' });
    expect(del).toEqual({ status: 200, body: { deleted: 2 } });
    const after = (await b.api<CoverageRow[]>('GET', '/api/marketdata/coverage')).body.find((c) => c.symbol === 'PETR4')!;
    expect(after).toMatchObject({ rows: 2, from: '2024-12-30T14:15:00.000Z' });
  });

  it('refuses what is not an upload, an empty upload, and history without ProfitDLL, with reasons', async () => {
    b = await startTestBridge();
    const json = await b.api('POST', '/api/import', { file: 'x' });
    expect(json.status).toBe(415);
    const none = await upload(b, []);
    expect(none.status).toBe(422);
    const hist = await b.api('POST', '/api/import/history', { symbol: 'PETR4', from: '2026-11-02', to: '2026-11-03' });
    expect(hist.status).toBe(409);
    expect(hist.body.errors[0].message).toMatch(/profitdll/);
  });

  it('refuses a file over the size limit while it streams in, and imports the others of the same upload', async () => {
    b = await startTestBridge({ importMaxFileBytes: 4_096 });
    probe = await WsProbe.open(b, ['imports']);
    const up = await upload(b, [
      { name: 'grande.csv', body: candleFile(200) },
      { name: 'vale3.csv', body: readFileSync(path.join(FIX, 'vale3-diario-bom.csv')) },
    ]);
    expect(up.status).toBe(202);
    expect(up.body.errors).toEqual([{ field: 'files[0]', code: 'refused', message: 'grande.csv: acima do limite de 4 KB por arquivo: exporte do Profit em períodos menores' }]);
    expect(up.body.jobs.map((j) => j.label)).toEqual(['vale3.csv']);
    expect(dataOf(await probe.waitFor((m) => finished(m as never, up.body.jobs[0].id))).report).toMatchObject({ stored: 3 });
    expect(readdirSync(path.join(b.dataDir, 'imports'))).toEqual([]); // no temp file left behind
  });

  it('keeps accepting orders while a large file is imported, and a cancel keeps nothing', async () => {
    b = await startTestBridge();
    probe = await WsProbe.open(b, ['imports']);
    await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 10_000_000 });
    const big = candleFile(150_000);
    const up = await upload(b, [{ name: 'grande.csv', body: big }, { name: 'cancelado.csv', body: big }]);
    const [first, second] = up.body.jobs;
    await probe.waitFor((m) => m.op === 'delta' && m.channel === 'imports' && dataOf(m).id === first.id && dataOf(m).state === 'running');
    const t0 = performance.now();
    const order = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 30, algo: { type: 'full' } });
    const orderMs = performance.now() - t0;
    expect(order.status).toBe(201);
    expect(orderMs).toBeLessThan(1_000); // the writer runs on its own thread
    const c = await b.api('POST', `/api/import/${second.id}/cancel`);
    expect(c.status).toBe(200);
    const a = dataOf(await probe.waitFor((m) => finished(m as never, first.id), 60_000));
    expect(a).toMatchObject({ state: 'done', report: { rowsRead: 150_000, stored: 150_000 } });
    expect(a.rowsPerSec).toBeGreaterThan(0);
    const z = dataOf(await probe.waitFor((m) => finished(m as never, second.id), 60_000));
    expect(z.state).toBe('cancelled');
    expect(z.report!.stored).toBe(0);
    const jobs = await eventually(async () => {
      const l = (await b!.api<{ jobs: ImportJobView[] }>('GET', '/api/import')).body.jobs;
      return l.length === 2 ? l : undefined;
    });
    expect(jobs.map((j) => j.state)).toEqual(['done', 'cancelled']);
  });
});
