/**
 * Backtests and sweeps through the real bridge, as the pane uses them: a request queued and run in a
 * worker thread with its progress on the `backtests` channel, the result with metrics and orders
 * (paged), the same spec and seed giving the same result, bad requests refused naming the field
 * before anything is stored, cancel and delete, a sweep ranked on the `sweeps` channel, and runs a
 * stopped bridge left unfinished marked failed at the next start.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestRunView, SweepView } from '../../common/backtest.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { eventually, startTestBridge, tempDataDir, WsProbe, type TestBridge } from '../support/bridge.js';
import { writeCandles } from '../support/market-fixture.js';

let b: TestBridge;
let dataDir: string;

/** A strategy that takes ~2 ms a bar: long enough to be cancelled or caught running. */
const SLOW = `export default {
  name: 'Lenta',
  params: {},
  setup() {
    return { onBar() { const t = Date.now() + 2; while (Date.now() < t) {} } };
  },
};
`;

beforeAll(async () => {
  dataDir = tempDataDir();
  const db = MarketDb.open(path.join(dataDir, 'market.db'));
  writeCandles(db, { symbol: 'PETR4', interval: '1d', from: '2024-01-01', to: '2024-12-31', startH: 3000, tickH: 1 });
  // 1-minute bars over two months: ~17,000 rows, so progress is reported before the end.
  writeCandles(db, { symbol: 'VALE3', interval: '1m', from: '2024-01-01', to: '2024-02-29', startH: 6000, tickH: 1, seed: 3 });
  db.close();
  mkdirSync(path.join(dataDir, 'strategies'), { recursive: true });
  writeFileSync(path.join(dataDir, 'strategies', 'lenta.ts'), SLOW);
  writeFileSync(path.join(dataDir, 'strategies', 'quebrada.ts'), 'export default 42;\n');
  b = await startTestBridge({}, dataDir);
});

afterAll(async () => {
  await b?.dispose();
});

const PETR4_YEAR = { symbols: ['PETR4'], from: '2024-01-01', to: '2024-12-31', interval: '1d', params: { fast: 5, slow: 20 } };
const isRun = (id: string, states: string[]) => (m: { op: string; channel?: string; data?: unknown }) =>
  m.op === 'delta' && m.channel === 'backtests' && (m.data as BacktestRunView).id === id && states.includes((m.data as BacktestRunView).state);

async function finished(id: string, timeoutMs = 60_000): Promise<BacktestRunView & { result?: any }> {
  return eventually(async () => {
    const r = await b.api('GET', `/api/backtests/${id}`);
    return ['done', 'failed', 'cancelled'].includes(r.body.state) ? r.body : undefined;
  }, timeoutMs, 100);
}

describe('backtests API', () => {
  it('lists the bundled strategies and the data folder files, a broken file with its error', async () => {
    const r = await b.api('GET', '/api/strategies');
    expect(r.status).toBe(200);
    const ids = r.body.strategies.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['ma-crossover', 'mean-reversion-5m', 'rebalancer', 'lenta.ts']));
    const ma = r.body.strategies.find((s: { id: string }) => s.id === 'ma-crossover');
    expect(ma.params.map((p: { name: string }) => p.name)).toEqual(['fast', 'slow', 'qty']);
    expect(r.body.broken).toEqual([{ id: 'quebrada.ts', error: expect.stringContaining('export default defineStrategy') }]);
    expect(r.body.market).toBe('sim');
  });

  it('runs a backtest: progress on the backtests channel, then the result with metrics and paged orders', async () => {
    const probe = await WsProbe.open(b, ['backtests']);
    try {
      const r = await b.api('POST', '/api/backtests', { strategy: 'ma-crossover', label: 'VALE3 1m', spec: { symbols: ['vale3'], from: '2024-01-01', to: '2024-02-29', interval: '1m', params: { fast: 5, slow: 20 } } });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ strategy: 'ma-crossover', label: 'VALE3 1m', spec: { symbols: ['VALE3'], seed: 1, params: { fast: 5, slow: 20 } } });
      // Queued, or already started when a worker was free.
      expect(['queued', 'running']).toContain(r.body.state);
      const id = r.body.id as string;
      await probe.waitFor(isRun(id, ['done']), 90_000);
      const deltas = probe.messages.filter(isRun(id, ['queued', 'running', 'done'])).map((m) => (m as { data: BacktestRunView }).data);
      const running = deltas.filter((d) => d.state === 'running');
      expect(running.length).toBeGreaterThan(1);
      // Progress part-way, with the replay's speed and an estimate of the time left.
      const mid = running.find((d) => d.progress > 0 && d.progress < 1);
      expect(mid).toBeDefined();
      expect(mid!.eventsPerSec).toBeGreaterThan(0);
      expect(mid!.etaMs).toBeGreaterThanOrEqual(0);
      const progress = running.map((d) => d.progress);
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
      const done = deltas[deltas.length - 1];
      expect(done).toMatchObject({ state: 'done', progress: 1 });
      expect(done.metrics).toBeDefined();

      const g = await b.api('GET', `/api/backtests/${id}`);
      expect(g.status).toBe(200);
      for (const k of ['totalReturn', 'annualReturn', 'volatility', 'sharpe', 'maxDrawdown', 'hitRate', 'turnover', 'feesBrl']) expect(g.body.result.metrics).toHaveProperty(k);
      expect(g.body.result.orders.length).toBeGreaterThan(2);
      expect(g.body.result.totalOrders).toBe(g.body.result.orders.length);
      expect(g.body.result.orders[0]).toMatchObject({ symbol: 'VALE3', status: 'filled', client: 'BACKTEST' });
      expect(g.body.result.equity.length).toBeGreaterThan(10);
      expect(g.body.result.stats.rows).toBeGreaterThan(16_000);

      const page = await b.api('GET', `/api/backtests/${id}/orders?offset=1&limit=2`);
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ total: g.body.result.totalOrders, offset: 1, limit: 2 });
      expect(page.body.orders).toEqual(g.body.result.orders.slice(1, 3));
      const fills = await b.api('GET', `/api/backtests/${id}/fills?limit=1`);
      expect(fills.body.fills).toEqual(g.body.result.fills.slice(0, 1));
      expect((await b.api('GET', `/api/backtests/${id}/fills?limit=0`)).status).toBe(422);
      expect((await b.api('GET', '/api/backtests/bt-000000000000')).status).toBe(404);

      const list = await b.api('GET', '/api/backtests');
      expect(list.body.find((x: BacktestRunView) => x.id === id)).toMatchObject({ state: 'done', label: 'VALE3 1m' });
    } finally {
      probe.close();
    }
  });

  it('gives the same result for the same spec and seed', async () => {
    const one = await b.api('POST', '/api/backtests', { strategy: 'ma-crossover', spec: { ...PETR4_YEAR, seed: 42 } });
    const two = await b.api('POST', '/api/backtests', { strategy: 'ma-crossover', spec: { ...PETR4_YEAR, seed: 42 } });
    expect([one.status, two.status]).toEqual([201, 201]);
    const [a, c] = [await finished(one.body.id), await finished(two.body.id)];
    expect(a.state).toBe('done');
    const strip = (r: any) => ({ metrics: r.metrics, orders: r.orders, fills: r.fills, equity: r.equity, drawdown: r.drawdown, executionQuality: r.executionQuality });
    expect(strip(c.result)).toEqual(strip(a.result));
    expect(a.result.orders.length).toBeGreaterThan(0);
  });

  it('refuses bad requests with 422 naming the field, storing nothing', async () => {
    const before = (await b.api('GET', '/api/backtests')).body.length;
    const post = (body: unknown) => b.api('POST', '/api/backtests', body);
    const fields = async (body: unknown, path = '/api/backtests') => {
      const r = await b.api('POST', path, body);
      expect(r.status).toBe(422);
      return r.body.errors as Array<{ field: string; code: string; message: string }>;
    };
    expect((await fields({ strategy: 'nao-existe', spec: PETR4_YEAR }))[0]).toMatchObject({ field: 'strategy', code: 'unknown_strategy' });
    expect((await fields({ strategy: '../../etc/passwd', spec: PETR4_YEAR }))[0].field).toBe('strategy');
    expect(await fields({ strategy: 'ma-crossover', spec: { ...PETR4_YEAR, from: '2024-12-31', to: '2024-01-01' } })).toEqual([expect.objectContaining({ field: 'spec.from', code: 'range' })]);
    expect((await fields({ strategy: 'ma-crossover', spec: { ...PETR4_YEAR, to: '2024-02-31' } }))[0].field).toBe('spec.to');
    const noData = await fields({ strategy: 'ma-crossover', spec: { ...PETR4_YEAR, from: '2025-01-01', to: '2025-06-30' } });
    expect(noData).toEqual([expect.objectContaining({ field: 'spec.symbols', code: 'no_data' })]);
    expect(noData[0].message).toContain('Guardado na base: PETR4 1d de 2024-01-02 a 2024-12-30 (251 linhas)');
    expect(noData[0].message).toContain('VALE3 1m');
    expect(await fields({ strategy: 'ma-crossover', spec: { ...PETR4_YEAR, params: { fast: 'rápida' } } })).toEqual([expect.objectContaining({ field: 'spec.params.fast', code: 'invalid_param' })]);
    expect((await fields({ strategy: 'ma-crossover', spec: { ...PETR4_YEAR, params: { fast: 0 } } }))[0].field).toBe('spec.params.fast');
    expect((await fields({ strategy: 'ma-crossover', spec: { ...PETR4_YEAR, params: { rapida: 3 } } }))[0]).toMatchObject({ field: 'spec.params.rapida', code: 'unknown_param' });
    expect((await fields({ strategy: 'ma-crossover', spec: { ...PETR4_YEAR, interval: '2m' } }))[0].field).toBe('spec.interval');
    expect((await fields({ strategy: 'ma-crossover', spec: PETR4_YEAR, extra: 1 }))[0]).toMatchObject({ field: 'extra', code: 'unknown_field' });
    expect((await post('{"strategy":"ma-crossover","strategy":"rebalancer","spec":{}}')).body.errors[0]).toMatchObject({ field: 'strategy', code: 'duplicate_key' });

    const grid = (g: unknown) => fields({ strategy: 'ma-crossover', spec: PETR4_YEAR, grid: g }, '/api/sweeps');
    const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
    expect(await grid({ fast: range(40), slow: range(30, 50) })).toEqual([expect.objectContaining({ field: 'grid', code: 'too_many', message: expect.stringContaining('1.200 combinações') })]);
    expect((await grid({ fast: [5, 'x'] }))[0]).toMatchObject({ field: 'grid.fast', code: 'invalid_param' });
    expect((await grid({ fast: [5], lenta: [1] }))[0]).toMatchObject({ field: 'grid.lenta', code: 'unknown_param' });
    expect((await grid({}))[0]).toMatchObject({ field: 'grid', code: 'required' });

    const viewer = await b.api('POST', '/api/tokens', { role: 'viewer', name: 'Vera Leitura' });
    expect((await b.api('POST', '/api/backtests', { strategy: 'ma-crossover', spec: PETR4_YEAR }, viewer.body.token)).status).toBe(403);
    expect((await b.api('GET', '/api/backtests', undefined, viewer.body.token)).status).toBe(200);
    expect((await b.api('GET', '/api/backtests')).body.length).toBe(before);
    expect((await b.api('GET', '/api/sweeps')).body.filter((s: SweepView) => s.strategy === 'ma-crossover' && s.total > 4)).toEqual([]);
  });

  it('cancels a running and a queued backtest, deletes a run, and audits each', async () => {
    const probe = await WsProbe.open(b, ['backtests']);
    try {
      const spec = { symbols: ['VALE3'], from: '2024-01-01', to: '2024-02-29', interval: '1m' };
      const slow = await b.api('POST', '/api/backtests', { strategy: 'lenta.ts', spec });
      const behind = await b.api('POST', '/api/backtests', { strategy: 'lenta.ts', spec });
      expect([slow.status, behind.status]).toEqual([201, 201]);
      await probe.waitFor(isRun(slow.body.id, ['running']), 30_000);
      // The one behind it is queued when the pool has one worker (2 cores), or running on a larger machine.
      const c2 = await b.api('POST', `/api/backtests/${behind.body.id}/cancel`);
      expect(c2.status).toBe(200);
      const c1 = await b.api('POST', `/api/backtests/${slow.body.id}/cancel`);
      expect(c1.status).toBe(200);
      const t0 = Date.now();
      expect((await finished(slow.body.id, 15_000)).state).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect((await finished(behind.body.id, 15_000)).state).toBe('cancelled');
      expect((await b.api('POST', `/api/backtests/${slow.body.id}/cancel`)).status).toBe(409);
      expect((await b.api('POST', `/api/backtests/${slow.body.id}/cancel`, { now: true })).status).toBe(422);

      expect((await b.api('DELETE', `/api/backtests/${slow.body.id}`)).body).toEqual({ id: slow.body.id, deleted: true });
      expect((await b.api('GET', `/api/backtests/${slow.body.id}`)).status).toBe(404);
      // Every open pane hears of it and drops the row.
      const gone = await probe.waitFor((m) => m.op === 'delta' && m.channel === 'backtests' && (m.data as { id: string }).id === slow.body.id && 'deleted' in (m.data as object), 5_000);
      expect((gone as { data: unknown }).data).toEqual({ id: slow.body.id, deleted: true });
      expect((await b.api('DELETE', `/api/backtests/${slow.body.id}`)).status).toBe(404);

      const audit = await eventually(async () => {
        const r = await b.api('GET', '/api/audit?limit=500');
        const rows = (r.body as Array<{ action: string; target?: string }>).filter((e) => e.target === slow.body.id);
        return rows.length >= 3 ? rows : undefined;
      });
      expect(audit.map((e) => e.action)).toEqual(['backtest.start', 'backtest.cancel', 'backtest.delete']);
    } finally {
      probe.close();
    }
  });

  it('runs a 2×2 sweep ranked by Sharpe, published on the sweeps channel', async () => {
    const probe = await WsProbe.open(b, ['sweeps']);
    try {
      const r = await b.api('POST', '/api/sweeps', { strategy: 'ma-crossover', spec: { ...PETR4_YEAR, params: {} }, grid: { fast: [5, 9], slow: [21, 50] }, rankBy: 'sharpe', label: 'médias' });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ strategy: 'ma-crossover', rankBy: 'sharpe', total: 4, state: 'running', label: 'médias', workers: expect.stringMatching(/^local ×\d+$/) });
      const id = r.body.id as string;
      const m = await probe.waitFor((x) => x.op === 'delta' && x.channel === 'sweeps' && (x.data as SweepView).id === id && (x.data as SweepView).state !== 'running', 90_000);
      const v = (m as { data: SweepView }).data;
      expect(v).toMatchObject({ state: 'done', total: 4, done: 4 });
      expect(v.rows.map((x) => x.state)).toEqual(['done', 'done', 'done', 'done']);
      expect(v.rows.map((x) => `${x.params.fast}/${x.params.slow}`).sort()).toEqual(['5/21', '5/50', '9/21', '9/50']);
      const sharpe = v.rows.map((x) => x.metrics!.sharpe ?? Number.NEGATIVE_INFINITY);
      expect(sharpe).toEqual([...sharpe].sort((x, y) => y - x));
      expect((await b.api('GET', `/api/sweeps/${id}`)).body).toEqual(v);
      expect((await b.api('GET', '/api/sweeps')).body.map((s: SweepView) => s.id)).toContain(id);
      // Each row is a run of its own, with the grid's values as its parameters.
      const run = await b.api('GET', `/api/backtests/${v.rows[0].runId}`);
      expect(run.body).toMatchObject({ sweepId: id, state: 'done', spec: { params: v.rows[0].params } });
      // The sweep's runs stay with the sweep, not in the list of single backtests.
      expect((await b.api('GET', '/api/backtests')).body.some((x: BacktestRunView) => x.sweepId === id)).toBe(false);
      expect((await b.api('DELETE', `/api/backtests/${v.rows[0].runId}`)).status).toBe(409);
      expect((await b.api('POST', `/api/sweeps/${id}/cancel`)).status).toBe(409);
    } finally {
      probe.close();
    }
  });

  it('cancels a sweep', async () => {
    const r = await b.api('POST', '/api/sweeps', { strategy: 'lenta.ts', spec: { symbols: ['VALE3'], from: '2024-01-01', to: '2024-02-29', interval: '1m' }, grid: {}, rankBy: 'totalReturn' });
    // lenta.ts declares no parameters: a grid needs one.
    expect(r.status).toBe(422);
    const s = await b.api('POST', '/api/sweeps', { strategy: 'ma-crossover', spec: { symbols: ['VALE3'], from: '2024-01-01', to: '2024-02-29', interval: '1m' }, grid: { fast: [3, 4, 5], slow: [30] } });
    expect(s.status).toBe(201);
    const c = await b.api('POST', `/api/sweeps/${s.body.id}/cancel`);
    expect(c.status).toBe(200);
    const v = await eventually(async () => {
      const g = await b.api('GET', `/api/sweeps/${s.body.id}`);
      return g.body.state !== 'running' ? (g.body as SweepView) : undefined;
    }, 20_000, 100);
    expect(v.state).toBe('cancelled');
    expect(v.rows.every((x) => x.state === 'cancelled' || x.state === 'done')).toBe(true);
  });

  it('marks runs a stopped bridge left unfinished as failed at the next start', async () => {
    const r = await b.api('POST', '/api/backtests', { strategy: 'lenta.ts', spec: { symbols: ['VALE3'], from: '2024-01-01', to: '2024-02-29', interval: '1m' } });
    expect(r.status).toBe(201);
    await eventually(async () => ((await b.api('GET', `/api/backtests/${r.body.id}`)).body.state === 'running' ? true : undefined), 30_000);
    b = await b.restart();
    const g = await b.api('GET', `/api/backtests/${r.body.id}`);
    expect(g.body).toMatchObject({ state: 'failed', error: expect.stringContaining('interrompido') });
  });
});
