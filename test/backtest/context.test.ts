/**
 * What a strategy reads from its context during a backtest: the bars it was shown (history before the
 * run included, at most the latest 5,000), oldest first, equal to what onBar received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { type Bar, defineStrategy } from '../../bridge/strategy/api.js';
import { MAX_BARS_KEPT } from '../../bridge/strategy/runner.js';
import { writeCandles } from '../support/market-fixture.js';
import { backtest, withDb } from './helpers.js';

let db: MarketDb;
let cleanup: () => void;
beforeAll(() => {
  ({ db, cleanup } = withDb());
  writeCandles(db, { symbol: 'PETR4', interval: '1m', from: '2026-10-01', to: '2026-10-30', startH: 3_000, tickH: 1, seed: 4 });
});
afterAll(() => cleanup());

describe('ctx.bars', () => {
  it('holds the history before the run and every bar shown since, oldest first, the latest 5,000 at most', async () => {
    const seen: Bar[] = [];
    const checks: string[] = [];
    const s = defineStrategy({
      name: 'bars',
      setup(ctx) {
        return {
          onStart() {
            const h = ctx.bars('PETR4');
            checks.push(`start ${h.length} ${h[0]?.t < h[h.length - 1]?.t}`);
          },
          onBar(bar) {
            seen.push({ ...bar });
            const last = ctx.bars('PETR4', 3);
            if (JSON.stringify(last[last.length - 1]) !== JSON.stringify(bar)) checks.push(`bar ${bar.t} is not the latest`);
            if (seen.length === 6_000) {
              const all = ctx.bars('PETR4');
              checks.push(`all ${all.length}`);
              checks.push(`same ${JSON.stringify(all) === JSON.stringify(seen.slice(-MAX_BARS_KEPT))}`);
            }
          },
        };
      },
    });
    await backtest(s, { symbols: ['PETR4'], from: '2026-10-08', to: '2026-10-30', interval: '1m', warmupBars: 100 }, db);
    expect(seen.length).toBeGreaterThan(6_000);
    expect(checks).toEqual(['start 100 true', `all ${MAX_BARS_KEPT}`, 'same true']);
  });
});
