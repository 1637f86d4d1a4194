/**
 * A sweep fanned out through Redis with BullMQ: a bridge with `settings.sweepRedisUrl` sends each
 * combination to the queue, two `blackbox worker` processes (each with its own data folder) run them,
 * and the results land ranked in the bridge — the same figures as the sweep run locally. The strategy
 * is a file that only the producer has (with a helper module of its own): it travels in the job.
 * A worker whose market data differs from the producer's fails the job and says why, and
 * `blackbox sweep --redis` exits 1 with that reason in the table.
 *
 * Needs `redis-server` (apt-get install redis-server; `.ci/run` installs it): skipped with a message
 * when it is absent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepView } from '../../common/backtest.js';
import { BacktestService } from '../../bridge/backtest/backtest-service.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { eventually, startTestBridge, type TestBridge } from '../support/bridge.js';
import { writeCandles } from '../support/market-fixture.js';

const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((f) => existsSync(f));
if (!REDIS_SERVER) console.warn('sweep-redis.test.ts: redis-server não encontrado (apt-get install redis-server): testes de BullMQ pulados');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children: ChildProcess[] = [];
let base: string;
let redisUrl: string;
let bridge: TestBridge | undefined;

const STRATEGY = `import { cross } from './lib/cross.js';

export default {
  name: 'Cruzamento remoto',
  params: { fast: { type: 'integer', default: 5, min: 1 }, slow: { type: 'integer', default: 21, min: 2 } },
  setup(ctx: any) {
    const fast = new ctx.indicators.SMA(ctx.params.fast);
    const slow = new ctx.indicators.SMA(ctx.params.slow);
    let prev: number | undefined;
    return {
      onBar(bar: any) {
        const f = fast.update(bar.close, false);
        const s = slow.update(bar.close, false);
        if (f === null || s === null) return;
        const signal = cross(prev, f - s);
        prev = f - s;
        const held = ctx.position(bar.symbol).qty;
        if (ctx.openOrders(bar.symbol).length > 0) return;
        if (signal === 'up' && held <= 0) ctx.submit({ symbol: bar.symbol, side: 'buy', qty: 100 });
        if (signal === 'down' && held > 0) ctx.submit({ symbol: bar.symbol, side: 'sell', qty: held });
      },
    };
  },
};
`;
const HELPER = `export function cross(prev: number | undefined, diff: number): 'up' | 'down' | undefined {
  if (prev === undefined) return undefined;
  if (prev <= 0 && diff > 0) return 'up';
  if (prev >= 0 && diff < 0) return 'down';
  return undefined;
}
`;

function marketData(dir: string, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const db = MarketDb.open(path.join(dir, 'market.db'));
  writeCandles(db, { symbol: 'PETR4', interval: '1d', from: '2024-01-01', to: '2024-12-31', startH: 3000, tickH: 1, seed });
  db.close();
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** `blackbox worker` in its own process; resolves once it says it is ready. */
async function startWorker(dataDir: string): Promise<{ proc: ChildProcess; log: () => string }> {
  const proc = spawn(process.execPath, [path.join(root, 'bin/blackbox.js'), 'worker', '--redis', redisUrl, '--data', dataDir, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  await eventually(() => (out.includes('worker pronto') ? true : proc.exitCode !== null ? Promise.reject(new Error(`worker saiu: ${out}`)) : undefined), 60_000, 50);
  return { proc, log: () => out };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(root, 'bin/blackbox.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!REDIS_SERVER)('sweeps through Redis (BullMQ)', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'blackbox-redis-'));
    const port = await freePort();
    const redis = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', base], { stdio: 'ignore' });
    children.push(redis);
    await eventually(() => canConnect(port).then((ok) => ok || undefined), 10_000, 50);
    redisUrl = `redis://127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    await bridge?.dispose();
    await Promise.all(children.map(stop));
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('runs a sweep on two blackbox worker processes and ranks the results in the bridge', async () => {
    const producer = path.join(base, 'producer');
    marketData(producer, 7);
    // The strategy and its helper exist only on the producer (an ES-module folder, as a checkout's data/ is).
    mkdirSync(path.join(producer, 'strategies', 'lib'), { recursive: true });
    writeFileSync(path.join(producer, 'strategies', 'package.json'), '{ "type": "module" }\n');
    writeFileSync(path.join(producer, 'strategies', 'cruzamento.ts'), STRATEGY);
    writeFileSync(path.join(producer, 'strategies', 'lib', 'cross.ts'), HELPER);
    writeFileSync(path.join(producer, 'config.json'), JSON.stringify({ installId: 'abc123', settings: { sweepRedisUrl: redisUrl } }), { mode: 0o600 });
    const dirs = [path.join(base, 'w1'), path.join(base, 'w2')];
    for (const d of dirs) marketData(d, 7);
    const workers = await Promise.all(dirs.map(startWorker));

    bridge = await startTestBridge({}, producer);
    const spec = { symbols: ['PETR4'], from: '2024-01-01', to: '2024-12-31', interval: '1d', params: { slow: 20 } };
    const r = await bridge.api('POST', '/api/sweeps', { strategy: 'cruzamento.ts', spec, grid: { fast: [3, 8] }, rankBy: 'totalReturn' });
    expect(r.status).toBe(201);
    expect(r.body.workers).toBe(`BullMQ em ${redisUrl}`);
    const id = r.body.id as string;
    const v = await eventually(async () => {
      const g = await bridge!.api('GET', `/api/sweeps/${id}`);
      return g.body.state !== 'running' ? (g.body as SweepView) : undefined;
    }, 120_000, 200);
    expect(v.rows.map((x) => [x.state, x.error])).toEqual([['done', undefined], ['done', undefined]]);
    const returns = v.rows.map((x) => x.metrics!.totalReturn);
    expect(returns).toEqual([...returns].sort((a, b) => b - a));

    // Each run was taken by a worker (each logs the runs it finished), the strategy's code installed from the job.
    const logs = workers.map((w) => w.log()).join('\n');
    for (const row of v.rows) expect(logs).toContain(`${row.runId} cruzamento.ts: done`);
    const shipped = dirs.flatMap((d) => (existsSync(path.join(d, 'strategies', '.remote')) ? readdirSync(path.join(d, 'strategies', '.remote')) : []));
    expect(shipped.length).toBeGreaterThan(0);
    expect(shipped.every((f) => /^[0-9a-f]{64}\.mjs$/.test(f))).toBe(true);

    // The same sweep in this process's threads gives the same figures.
    const local = new BacktestService({ dataDir: producer, maxParallel: 2 });
    try {
      const l = await local.submitSweep({ strategy: 'cruzamento.ts', spec, grid: { fast: [3, 8] }, rankBy: 'totalReturn' });
      expect(l.ok).toBe(true);
      const lv = await local.whenSweepFinished((l as { value: SweepView }).value.id)!;
      expect(lv.workers).toBe('local ×2');
      expect(lv.rows.map((x) => [x.params, x.metrics])).toEqual(v.rows.map((x) => [x.params, x.metrics]));
    } finally {
      await local.close();
    }
    await Promise.all(workers.map((w) => stop(w.proc)));
  });

  it('a strategy that throws on a worker is reported at the line of the producer’s own file, not of the bundle', async () => {
    const producer = path.join(base, 'fault-producer');
    marketData(producer, 7);
    const dir = path.join(producer, 'strategies');
    mkdirSync(path.join(dir, 'lib'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(path.join(dir, 'lib', 'guard.ts'), ['export function guard(n: number, limit: number): void {', '  // a comment, so the line differs from the bundle', "  if (n > limit) throw new Error(`barra ${n}: preço sem sentido`);", '}', ''].join('\n'));
    writeFileSync(
      path.join(dir, 'quebra.ts'),
      ["import { guard } from './lib/guard.js';", '', 'export default {', "  name: 'Quebra',", "  params: { limite: { type: 'integer', default: 30 } },", '  setup(ctx: any) {', '    let n = 0;', '    return { onBar() { guard(++n, ctx.params.limite); } };', '  },', '};', ''].join('\n'),
    );
    const w = await startWorker(path.join(base, 'w-fault'));
    marketData(path.join(base, 'w-fault'), 7);
    const r = await cli(['sweep', '--strategy', path.join(dir, 'quebra.ts'), '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--interval', '1d', '--grid', 'limite=30,40', '--redis', redisUrl, '--data', producer, '--json']);
    expect(r.stderr).toBe('');
    const v = JSON.parse(r.stdout) as SweepView;
    expect(v.rows.length).toBe(2);
    for (const row of v.rows) {
      expect(row.state).toBe('failed');
      expect(row.error).toContain(`barra ${Number(row.params.limite) + 1}: preço sem sentido`);
      // The throw is on line 3 of the helper as the user wrote it (the bundle has it elsewhere).
      expect(row.error).toContain(`${path.join(dir, 'lib', 'guard.ts')}:3:`);
    }
    await stop(w.proc);
  });

  it('a worker whose data differs from the producer’s fails the jobs, saying what differs', async () => {
    const producer = path.join(base, 'cli-producer');
    marketData(producer, 7);
    const other = path.join(base, 'w-outro');
    marketData(other, 99);
    const w = await startWorker(other);
    const r = await cli(['sweep', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--grid', 'fast=5,9', '--redis', redisUrl, '--data', producer, '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout) as SweepView;
    expect(v.state).toBe('failed');
    expect(v.workers).toBe(`BullMQ em ${redisUrl}`);
    for (const row of v.rows) {
      expect(row.state).toBe('failed');
      expect(row.error).toMatch(/^dados diferentes em .*w-outro: PETR4 1d: mesmas 251 linhas, preços ou quantidades diferentes \(de 2024-01-01 a 2024-12-31\)/);
      expect(row.metrics).toBeUndefined();
    }
    expect(w.log()).toContain('dados diferentes');
    await stop(w.proc);
  });
});
