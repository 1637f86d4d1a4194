/**
 * What a user gets back from a run that cannot start: a range without data says what is stored, and
 * a bad parameter is named `params.<name>`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestSpecSchema } from '../../common/backtest.js';
import { runBacktest } from '../../bridge/backtest/engine.js';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { defineStrategy, type StrategyDefinition } from '../../bridge/strategy/api.js';
import maCrossover from '../../bridge/strategy/examples/ma-crossover.js';
import { writeCandles, writeTrades } from '../support/market-fixture.js';
import { withDb } from './helpers.js';

let db: MarketDb;
let cleanup: () => void;
beforeAll(() => {
  ({ db, cleanup } = withDb());
  writeCandles(db, { symbol: 'PETR4', interval: '5m', from: '2026-11-23', to: '2026-11-27', startH: 3_000, tickH: 1 });
  writeTrades(db, { symbol: 'VALE3', from: '2026-11-24', to: '2026-11-24', startH: 6_000, tickH: 1, perDay: 100 });
});
afterAll(() => cleanup());

const run = (spec: Record<string, unknown>) => runBacktest(maCrossover as StrategyDefinition, backtestSpecSchema.parse({ symbols: ['PETR4'], from: '2026-11-23', to: '2026-11-27', interval: '5m', ...spec }), { marketDb: db });

describe('a run that cannot start', () => {
  it('a range with no data is refused with what is stored', async () => {
    const out = await run({ from: '2026-12-01', to: '2026-12-04' });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0].field).toBe('symbols');
    const msg = out.errors[0].message;
    expect(msg).toContain('PETR4');
    expect(msg).toContain('2026-12-01');
    expect(msg).toContain('PETR4 5m de 2026-11-23 a 2026-11-27 (420 linhas)');
    expect(msg).toContain('VALE3 negócios de 2026-11-24 a 2026-11-24 (100 linhas)');
  });

  it('bars finer than any stored candles are refused, naming what is stored', async () => {
    const out = await run({ interval: '1m', source: 'bars' });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.errors[0].message).toMatch(/sem candles de 1m \(ou menores\) de PETR4 .*PETR4 5m de 2026-11-23/);
  });

  it('bad parameters are refused, each naming params.<name>', async () => {
    const out = await run({ params: { fast: 'nove', slow: 1, qty: 10.5, fats: 3 } });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.errors.map((e) => e.field).sort()).toEqual(['params.fast', 'params.fats', 'params.qty', 'params.slow']);
    expect(out.errors.find((e) => e.field === 'params.fats')!.message).toContain('fast, slow, qty');
    expect(out.errors.find((e) => e.field === 'params.slow')!.message).toContain('mínimo 2');
  });

  it('a boleta the bridge refuses ends the run with the reason and the line of the strategy that sent it', async () => {
    const far = defineStrategy({
      name: 'far',
      setup(ctx) {
        return {
          onBar(bar) {
            ctx.submit({ symbol: bar.symbol, side: 'buy', qty: 100, limitPrice: ctx.roundPrice(bar.symbol, bar.close * 1.5) }); // LINE-MARK
          },
        };
      },
    });
    const out = await runBacktest(far, backtestSpecSchema.parse({ symbols: ['PETR4'], from: '2026-11-23', to: '2026-11-27', interval: '5m' }), { marketDb: db });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.result.fault?.hook).toBe('submit');
    expect(out.result.fault?.message).toMatch(/boleta o1 recusada: limitPrice: .*túnel/);
    const line = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8').split('\n').findIndex((l) => l.includes('// LINE-MARK')) + 1;
    expect(out.result.fault?.location).toMatch(new RegExp(`errors\\.test\\.ts:${line}:\\d+$`));
    expect(out.result.orders).toEqual([]);
  });

  it('a range that ends before it starts is refused naming `from`', async () => {
    const out = await run({ from: '2026-11-27', to: '2026-11-23' });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.errors.map((e) => e.field)).toEqual(['from']);
  });
});
