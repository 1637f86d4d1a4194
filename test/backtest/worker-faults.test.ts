/**
 * A backtest in its worker thread against a strategy that misbehaves: it throws, loops, allocates
 * without bound, or sends an invalid boleta. Each ends the run with the strategy's error and its
 * place in the file, and nothing outside the worker is hurt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backtestSpecSchema } from '../../common/backtest.js';
import { startBacktestWorker, type BacktestOutcome } from '../../bridge/backtest/worker-protocol.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { tempDataDir } from '../support/bridge.js';
import { writeCandles } from '../support/market-fixture.js';

const dataDir = tempDataDir();
const SOURCES: Record<string, string> = {
  'lanca.ts': `export default { name: 'lança', setup(ctx) { let n = 0; return { onBar() { if (++n === 30) throw new Error('sinal sem dados'); } }; } };`,
  'laco.ts': `export default { name: 'laço', setup(ctx) { let n = 0; return { onBar() { if (++n === 30) { for (;;) {} } } }; } };`,
  // Large single allocations: the kind that aborts a whole process when the cap is a worker thread's.
  'memoria.ts': `export default { name: 'memória', setup(ctx) { const keep = []; return { onBar() { keep.push(new Array(8000000).fill(1.5)); } }; } };`,
  'preco.ts': `export default { name: 'preço', setup(ctx) { let n = 0; return { onBar(b) { if (++n === 30) ctx.submit({ symbol: b.symbol, side: 'buy', qty: 100, limitPrice: b.close + 0.005 }); } }; } };`,
};
const spec = backtestSpecSchema.parse({ symbols: ['PETR4'], from: '2026-03-02', to: '2026-03-06', interval: '15m' });

function run(strategy: string): Promise<BacktestOutcome> {
  return startBacktestWorker({ strategy, allowPath: false, dataDir, spec }, { hookBudgetMs: 1_000, heapMb: 128 }).done;
}

beforeAll(() => {
  mkdirSync(path.join(dataDir, 'strategies'));
  for (const [f, src] of Object.entries(SOURCES)) writeFileSync(path.join(dataDir, 'strategies', f), src);
  const db = MarketDb.open(path.join(dataDir, 'market.db'));
  writeCandles(db, { symbol: 'PETR4', interval: '15m', from: '2026-03-02', to: '2026-03-06', startH: 3650, tickH: 1 });
  db.close();
});

describe('a misbehaving strategy in a backtest', () => {
  it('that throws: the run ends with its message, hook and line', async () => {
    const out = await run('lanca.ts');
    expect(out.kind).toBe('done');
    const fault = (out as { result: { fault?: { hook: string; message: string; location?: string } } }).result.fault;
    expect(fault).toMatchObject({ hook: 'onBar', message: 'sinal sem dados' });
    expect(fault!.location).toMatch(/strategies\/lanca\.ts:1:\d+$/);
  });

  it('that loops: stopped at the hook budget, with the line it was stuck on', async () => {
    const t0 = Date.now();
    const out = await run('laco.ts');
    expect(out.kind).toBe('failed');
    const f = out as Extract<BacktestOutcome, { kind: 'failed' }>;
    expect(f.fault).toMatchObject({ hook: 'onBar' });
    expect(f.fault!.location).toMatch(/strategies\/laco\.ts:1:\d+$/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('that allocates without bound: fails at its heap cap, alone', async () => {
    const out = await run('memoria.ts');
    expect(out.kind).toBe('failed');
    expect((out as Extract<BacktestOutcome, { kind: 'failed' }>).message).toMatch(/limite de 128 MB de memória/);
    // This process was never near the cap.
    expect(process.memoryUsage().heapUsed).toBeLessThan(512 * 1024 * 1024);
  });

  it('that sends a price off the tick: the run ends at the line of the submit', async () => {
    const out = await run('preco.ts');
    const fault = (out as { result: { fault?: { message: string; location?: string } } }).result.fault;
    expect(fault?.message).toMatch(/boleta\.limitPrice: .* fora do tick 0\.01 de PETR4/);
    expect(fault?.location).toMatch(/strategies\/preco\.ts:1:\d+$/);
  });
});
