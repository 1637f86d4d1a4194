/**
 * A backtest is a function of its data, spec and seed: the same run twice gives the same orders,
 * fills, equity, logs and metrics; another seed gives another run (so the seed is really used).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { defineStrategy } from '../../bridge/strategy/api.js';
import { writeCandles, writeTrades } from '../support/market-fixture.js';
import { backtest, comparable, withDb } from './helpers.js';

/** Random decisions from ctx.random: market and limit orders, TWAPs with randomised slices, cancels. */
const noisy = defineStrategy({
  name: 'noisy',
  params: { every: { type: 'integer', default: 7, min: 1 } },
  setup(ctx) {
    let n = 0;
    const open: string[] = [];
    return {
      onBar(bar) {
        if (++n % ctx.params.every !== 0) return;
        const u = ctx.random();
        const held = ctx.position(bar.symbol).qty;
        if (open.length > 0 && u < 0.3) ctx.cancel(open.shift()!);
        // Never both sides at once in a symbol (the risk gate refuses trading with oneself).
        const busy = ctx.openOrders(bar.symbol);
        if (busy.some((o) => o.side === 'sell')) return;
        if (u < 0.25 && held > 0) {
          if (busy.length > 0) return;
          open.push(ctx.submit({ symbol: bar.symbol, side: 'sell', qty: held }));
        } else if (u < 0.5) {
          const px = ctx.roundPrice(bar.symbol, bar.close * (1 - ctx.random() * 0.002), 'buy');
          open.push(ctx.submit({ symbol: bar.symbol, side: 'buy', qty: 100 * (1 + Math.floor(ctx.random() * 5)), limitPrice: px }));
        } else if (u < 0.55) {
          open.push(ctx.submit({ symbol: bar.symbol, side: 'buy', qty: 1_000, algo: { type: 'twap', sliceSec: 120, randomizeSizePct: 30, randomizeTimePct: 40, style: 'passive' } }));
        } else if (u < 0.6) {
          ctx.submit({ symbol: bar.symbol, side: 'buy', qty: 100 });
        }
        ctx.log(`${bar.t} ${u.toFixed(6)} ${held}`);
      },
      onFill(f) {
        ctx.log(`fill ${f.ref} ${f.side} ${f.qty}@${f.price}`);
      },
    };
  },
});

let db: MarketDb;
let cleanup: () => void;
beforeAll(() => {
  ({ db, cleanup } = withDb());
  writeCandles(db, { symbol: 'PETR4', interval: '1m', from: '2026-11-23', to: '2026-11-27', startH: 3_000, tickH: 1, seed: 5 });
  writeCandles(db, { symbol: 'VALE3', interval: '1m', from: '2026-11-23', to: '2026-11-27', startH: 6_000, tickH: 1, seed: 6 });
  writeTrades(db, { symbol: 'PETR4', from: '2026-11-23', to: '2026-11-25', startH: 3_000, tickH: 1, perDay: 3_000 });
});
afterAll(() => cleanup());

describe('determinism', () => {
  const bars = { symbols: ['PETR4', 'VALE3'], from: '2026-11-23', to: '2026-11-27', interval: '1m' as const, seed: 42 };
  const prints = { symbols: ['PETR4'], from: '2026-11-23', to: '2026-11-25', interval: '1m' as const, source: 'trades' as const, seed: 42 };

  for (const [name, spec] of [['bars', bars], ['prints', prints]] as const) {
    it(`the same spec twice gives identical orders, fills, equity and metrics (${name})`, async () => {
      const a = await backtest(noisy, spec, db);
      const b = await backtest(noisy, spec, db);
      expect(a.fills.length).toBeGreaterThan(10);
      expect(a.orders.some((o) => o.algo === 'twap' && o.filledQty > 0)).toBe(true);
      expect(a.orders.some((o) => o.status === 'canceled')).toBe(true);
      expect(comparable(b)).toEqual(comparable(a));
    });

    it(`another seed gives another run (${name})`, async () => {
      const a = await backtest(noisy, spec, db);
      const c = await backtest(noisy, { ...spec, seed: 43 }, db);
      expect(c.logs).not.toEqual(a.logs);
    });
  }
});
