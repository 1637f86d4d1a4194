/**
 * `npx blackbox backtest … --json` and `blackbox sweep` from a terminal (PRODUCT.md §3): the JSON
 * shape, the same output byte for byte for the same inputs and seed, the readable summary, the run
 * stored for the pane, and the exit codes — 0 done, 1 the strategy failed (its error and file:line),
 * 2 usage or validation errors naming the flag.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '../../bridge/backtest/results-store.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { writeCandles } from '../support/market-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'blackbox-bt-cli-'));
  const db = MarketDb.open(path.join(dir, 'market.db'));
  writeCandles(db, { symbol: 'PETR4', interval: '1d', from: '2024-01-01', to: '2024-12-31', startH: 3000, tickH: 1 });
  writeCandles(db, { symbol: 'VALE3', interval: '5m', from: '2024-01-01', to: '2024-02-29', startH: 6000, tickH: 1, seed: 3 });
  db.close();
  writeFileSync(
    path.join(dir, 'boom.ts'),
    `export default {
  name: 'Explode',
  setup() {
    return { onBar() { throw new Error('explodiu no candle'); } };
  },
};
`,
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function blackbox(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(root, 'bin/blackbox.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const RUN = ['backtest', '--strategy', 'ma-crossover', '--symbols', 'VALE3', '--interval', '5m', '--from', '2024-01-01', '--to', '2024-02-29', '--param', 'fast=5', '--param', 'slow=20', '--seed', '7'];

describe('blackbox backtest', { timeout: 180_000 }, () => {
  it('--json prints metrics, orders, fills and equity, the same bytes for the same inputs and seed, and stores the run', async () => {
    const [a, b] = await Promise.all([blackbox([...RUN, '--data', dir, '--json']), blackbox([...RUN, '--data', dir, '--json'])]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const out = JSON.parse(a.stdout);
    expect(Object.keys(out)).toEqual(['metrics', 'orders', 'fills', 'equity']);
    expect(Object.keys(out.metrics).slice(0, 8)).toEqual(['totalReturn', 'annualReturn', 'volatility', 'sharpe', 'maxDrawdown', 'hitRate', 'turnover', 'feesBrl']);
    expect(out.orders.length).toBeGreaterThan(5);
    expect(out.orders[0]).toMatchObject({ symbol: 'VALE3', side: 'buy', status: 'filled' });
    expect(out.fills[0]).toMatchObject({ symbol: 'VALE3', orderId: out.orders[0].id });
    expect(Object.keys(out.equity[0])).toEqual(['t', 'value']);
    expect(out.metrics.feesBrl).toBeGreaterThan(0);

    const store = ResultsStore.open(dir);
    try {
      const runs = store.list().filter((r) => r.spec.seed === 7);
      expect(runs).toHaveLength(2);
      expect(runs.every((r) => r.state === 'done' && r.strategy === 'ma-crossover')).toBe(true);
      expect(store.result(runs[0].id)!.metrics).toEqual(out.metrics);
    } finally {
      store.close();
    }
  });

  it('prints a summary in Portuguese without --json', async () => {
    const r = await blackbox(['backtest', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--cash', '500.000,00', '--data', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ma-crossover · PETR4 · 1d · 2024-01-01 a 2024-12-31 · semente 1');
    for (const label of ['Retorno total', 'Sharpe', 'Drawdown máximo', 'Custos (B3)', 'R$ 500.000,00 →']) expect(r.stdout).toContain(label);
    expect(r.stdout).toMatch(/Guardado como bt-[0-9a-f]{12} em .*backtests\.db/);
  });

  it('exits 2 on usage and validation errors, naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['backtest', '--strategy', 'ma-crossover', '--from', '2024-01-01', '--to', '2024-12-31'], /--symbols: obrigatório/],
      [['backtest', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--param', 'fast=rápida'], /--param fast: fast: esperava um número/],
      [['backtest', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2025-01-01', '--to', '2025-03-31'], /--symbols: sem candles .* Guardado na base: PETR4 1d de 2024-01-02 a 2024-12-30/],
      [['backtest', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-12-01', '--to', '2024-01-01'], /--from: início 2024-12-01 depois do fim 2024-01-01/],
      [['backtest', '--strategy', 'nao-existe', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31'], /--strategy: /],
      [['backtest', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--interval', '7m'], /--interval: /],
      [['backtest', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--seed', 'abc'], /--seed: esperava um inteiro/],
      [['backtest', '--estrategia', 'x'], /--estrategia/],
      [['sweep', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--grid', 'fast=5,x'], /--grid fast: /],
    ];
    const results = await Promise.all(cases.map(([args]) => blackbox([...args, '--data', dir])));
    results.forEach((r, i) => {
      expect({ args: cases[i][0].join(' '), code: r.code }).toEqual({ args: cases[i][0].join(' '), code: 2 });
      expect(r.stderr).toMatch(cases[i][1]);
      expect(r.stdout).toBe('');
    });
  });

  it('exits 1 when the strategy fails, with its error and file:line', async () => {
    const [boom, setup] = await Promise.all([
      blackbox(['backtest', '--strategy', path.join(dir, 'boom.ts'), '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-03-31', '--data', dir, '--json']),
      blackbox(['backtest', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-03-31', '--param', 'fast=30', '--param', 'slow=20', '--data', dir]),
    ]);
    expect(boom.code).toBe(1);
    expect(boom.stderr).toContain('a estratégia falhou em onBar: explodiu no candle');
    expect(boom.stderr).toMatch(/boom\.ts:4:\d+/);
    expect(boom.stdout).toBe('');
    expect(setup.code).toBe(1);
    expect(setup.stderr).toMatch(/falhou em setup: a média curta \(30\) deve ser menor que a longa \(20\) \(.*ma-crossover\.ts:\d+:\d+\)/);
  });
});

describe('blackbox sweep', { timeout: 180_000 }, () => {
  it('prints the ranked table, or the sweep as JSON', async () => {
    const args = ['sweep', '--strategy', 'ma-crossover', '--symbols', 'PETR4', '--from', '2024-01-01', '--to', '2024-12-31', '--grid', 'fast=5,9', '--grid', 'slow=21', '--rank', 'totalReturn', '--workers', '2', '--data', dir];
    const [json, text] = await Promise.all([blackbox([...args, '--json']), blackbox(args)]);
    expect(json.code).toBe(0);
    const v = JSON.parse(json.stdout);
    expect(v).toMatchObject({ rankBy: 'totalReturn', total: 2, done: 2, state: 'done', workers: 'local ×2' });
    const returns = v.rows.map((r: { metrics: { totalReturn: number } }) => r.metrics.totalReturn);
    expect(returns).toEqual([...returns].sort((x: number, y: number) => y - x));
    expect(v.rows.map((r: { params: { fast: number } }) => r.params.fast).sort()).toEqual([5, 9]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ordenada por totalReturn/);
    expect(text.stdout).toMatch(/#\s+fast\s+slow\s+retorno/);
    expect(text.stdout.trim().split('\n')).toHaveLength(4);
  });
});
