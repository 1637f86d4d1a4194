/**
 * The three bundled strategies run over stored history and trade: the MA crossover, the 5-minute mean
 * reversion (built from 1-minute candles), and the rebalancer, which brings a block of clients to
 * its target weights with block boletas (one order for several clients, split by the rateio).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { defineStrategy, type StrategyDefinition } from '../../bridge/strategy/api.js';
import maCrossover from '../../bridge/strategy/examples/ma-crossover.js';
import meanReversion from '../../bridge/strategy/examples/mean-reversion-5m.js';
import rebalancer from '../../bridge/strategy/examples/rebalancer.js';
import { writeCandles } from '../support/market-fixture.js';
import { backtest, withDb } from './helpers.js';

let db: MarketDb;
let cleanup: () => void;
beforeAll(() => {
  ({ db, cleanup } = withDb());
  writeCandles(db, { symbol: 'PETR4', interval: '1m', from: '2026-11-23', to: '2026-11-27', startH: 3_000, tickH: 1, seed: 1 });
  writeCandles(db, { symbol: 'VALE3', interval: '1m', from: '2026-11-23', to: '2026-11-27', startH: 6_000, tickH: 1, seed: 2 });
  writeCandles(db, { symbol: 'ITUB4', interval: '1m', from: '2026-11-23', to: '2026-11-27', startH: 3_500, tickH: 1, seed: 3 });
});
afterAll(() => cleanup());

describe('bundled examples', () => {
  it('MA crossover trades round trips at market', async () => {
    const r = await backtest(maCrossover as StrategyDefinition, { symbols: ['PETR4'], from: '2026-11-23', to: '2026-11-27', interval: '1m', params: { fast: 5, slow: 20 } }, db);
    expect(r.fills.length).toBeGreaterThan(20);
    expect(r.orders.every((o) => o.status === 'filled' || o.status === 'expired' || o.status === 'canceled')).toBe(true);
    const sides = r.fills.map((f) => f.side);
    // Long or flat: entries and exits alternate.
    for (let i = 1; i < sides.length; i++) expect(sides[i]).not.toBe(sides[i - 1]);
  });

  it('mean reversion on 5-minute bars built from 1-minute candles enters with limits and exits', async () => {
    const r = await backtest(meanReversion as StrategyDefinition, { symbols: ['PETR4'], from: '2026-11-23', to: '2026-11-27', interval: '5m', params: { entryZ: 1.5 } }, db);
    expect(r.stats.source).toBe('PETR4 5m de 1m');
    expect(r.fills.filter((f) => f.side === 'buy').length).toBeGreaterThan(3);
    expect(r.fills.filter((f) => f.side === 'sell').length).toBeGreaterThan(3);
    expect(r.orders.some((o) => o.limitPrice !== undefined && o.filledQty > 0)).toBe(true);
  });

  it('the rebalancer brings every client of a block to its target weights with block orders', async () => {
    // The bundled strategy, plus a look at each client's weights when it stops.
    const watched = defineStrategy({
      ...(rebalancer as StrategyDefinition),
      setup(ctx) {
        const hooks = (rebalancer as StrategyDefinition).setup(ctx);
        return {
          ...hooks,
          onStop() {
            hooks.onStop?.();
            const out: Record<string, Record<string, number>> = {};
            for (const client of ctx.clients) {
              const value = (s: string) => ctx.position(s, client).qty * ctx.last(s)!;
              const equity = ctx.cash(client).d2 + ctx.symbols.reduce((a, s) => a + value(s), 0);
              out[client] = Object.fromEntries(ctx.symbols.map((s) => [s, value(s) / equity]));
            }
            ctx.log(JSON.stringify(out));
          },
        };
      },
    });
    const r = await backtest(
      watched,
      { symbols: ['PETR4', 'VALE3', 'ITUB4'], clients: ['ALFA', 'BETA', 'GAMA'], cashBrl: 1_000_000, from: '2026-11-23', to: '2026-11-27', interval: '1m', params: { every: 'weekly', band: 0.01 } },
      db,
    );
    // One block per symbol for all three clients (no `client` on the order: a block), all filled.
    expect(r.orders).toHaveLength(3);
    expect(r.orders.every((o) => o.client === undefined && o.side === 'buy' && o.status === 'filled')).toBe(true);
    const weights = JSON.parse(r.logs[r.logs.length - 1].message) as Record<string, Record<string, number>>;
    const target: Record<string, number> = { PETR4: 0.4, VALE3: 0.3, ITUB4: 0.3 };
    expect(Object.keys(weights)).toEqual(['ALFA', 'BETA', 'GAMA']);
    for (const w of Object.values(weights)) for (const [s, x] of Object.entries(w)) expect(Math.abs(x - target[s])).toBeLessThan(0.01);
  });
});
