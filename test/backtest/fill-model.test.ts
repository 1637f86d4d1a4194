/**
 * The fill models as a user meets them: no look-ahead on bars (a decision on a bar's close fills on
 * a later bar, a limit only when a later bar trades through it, the volume cap), and queue position
 * on prints (the quantity ahead at a price, trade-throughs, a print never used twice).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineStrategy, type StrategyBoleta } from '../../bridge/strategy/api.js';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { backtest, local, putCandles, putFlatDays, putPrints, sendOn, withDb, type CandleRow } from './helpers.js';

let db: MarketDb;
let cleanup: () => void;
beforeEach(() => ({ db, cleanup } = withDb()));
afterEach(() => cleanup());

// Tuesday 1 December 2026: each minute opens one centavo above the last close, so every price is told apart.
const minutes: CandleRow[] = [
  ['2026-12-01 10:00', 30.0, 30.05, 29.95, 30.02, 1_000],
  ['2026-12-01 10:01', 30.03, 30.06, 30.0, 30.04, 1_000],
  ['2026-12-01 10:02', 30.05, 30.1, 30.01, 30.08, 1_000],
  ['2026-12-01 10:03', 30.11, 30.15, 30.07, 30.12, 1_000],
  ['2026-12-01 10:04', 30.13, 30.14, 29.9, 29.95, 1_000],
  ['2026-12-01 10:05', 29.96, 30.0, 29.8, 29.85, 1_000],
  ['2026-12-01 10:06', 29.86, 29.9, 29.8, 29.88, 1_000],
  ['2026-12-01 10:07', 29.89, 29.95, 29.81, 29.9, 1_000],
  ['2026-12-01 10:08', 29.91, 29.99, 29.85, 29.97, 1_000],
  ['2026-12-01 10:09', 29.98, 30.0, 29.9, 29.99, 1_000],
];
const day = { symbols: ['PETR4'], from: '2026-12-01', to: '2026-12-01', interval: '1m' as const };

describe('bars: no look-ahead', () => {
  it('a market buy sent on a bar is filled at the open of the next bar, stamped at that bar end', async () => {
    putCandles(db, 'PETR4', '1m', minutes);
    const r = await backtest(sendOn([{ at: '2026-12-01 10:02', boleta: { symbol: 'PETR4', side: 'buy', qty: 100 } }]), day, db);
    expect(r.fills).toHaveLength(1);
    // The bar of 10:02 closed at 30.08; the next bar (10:03) opened at 30.11.
    expect(r.fills[0]).toMatchObject({ side: 'buy', qty: 100, price: 30.11 });
    expect(local(r.fills[0].t)).toBe('2026-12-01 10:04:00');
  });

  it('a buy limit below the market fills only when a later bar trades strictly below it, at the limit', async () => {
    putCandles(db, 'PETR4', '1m', minutes);
    // Sent on 10:03 (low 30.07): 10:04 touches 29.90 — strictly below 29.95, so it fills at 29.95 there.
    // A limit at 29.80 is only touched (10:05 and 10:06 low 29.80) and never traded through: no fill.
    const r = await backtest(
      sendOn([
        { at: '2026-12-01 10:03', boleta: { symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 29.95 } },
        { at: '2026-12-01 10:03', boleta: { symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 29.8 } },
      ]),
      day,
      db,
    );
    expect(r.fills.map((f) => [f.price, local(f.t)])).toEqual([[29.95, '2026-12-01 10:05:00']]);
    const touched = r.orders.find((o) => o.limitPrice === 29.8)!;
    expect(touched.filledQty).toBe(0);
  });

  it('with fillOnTouch a limit the bar only touches fills too', async () => {
    putCandles(db, 'PETR4', '1m', minutes);
    const r = await backtest(sendOn([{ at: '2026-12-01 10:03', boleta: { symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 29.8 } }]), { ...day, fill: { fillOnTouch: true } }, db);
    expect(r.fills.map((f) => [f.price, local(f.t)])).toEqual([[29.8, '2026-12-01 10:06:00']]);
  });

  it('a limit the bar it was decided on traded through is not filled on that bar', async () => {
    putCandles(db, 'PETR4', '1m', minutes);
    // The bar of 10:04 traded down to 29.90; a buy at 29.92 decided on its close waits for a later bar (10:05 low 29.80).
    const r = await backtest(sendOn([{ at: '2026-12-01 10:04', boleta: { symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 29.92 } }]), day, db);
    expect(r.fills.map((f) => [f.price, local(f.t)])).toEqual([[29.92, '2026-12-01 10:06:00']]);
  });

  it('the volume cap limits fills to barVolumePct of each bar, in lots, the rest on later bars', async () => {
    putCandles(db, 'PETR4', '1m', minutes);
    // 25% of 1,000 is 250 → 200 in lots of 100 per bar: 700 takes four bars (200, 200, 200, 100).
    const r = await backtest(sendOn([{ at: '2026-12-01 10:02', boleta: { symbol: 'PETR4', side: 'buy', qty: 700 } }]), day, db);
    expect(r.fills.map((f) => [f.qty, f.price, local(f.t)])).toEqual([
      [200, 30.11, '2026-12-01 10:04:00'],
      [200, 30.13, '2026-12-01 10:05:00'],
      [200, 29.96, '2026-12-01 10:06:00'],
      [100, 29.86, '2026-12-01 10:07:00'],
    ]);
  });

  it('the cap is shared by all of our orders in a bar, first sent first filled', async () => {
    putCandles(db, 'PETR4', '1m', minutes);
    const r = await backtest(
      sendOn([
        { at: '2026-12-01 10:02', boleta: { symbol: 'PETR4', side: 'buy', qty: 300 } },
        { at: '2026-12-01 10:02', boleta: { symbol: 'PETR4', side: 'buy', qty: 100 } },
      ]),
      { ...day, fill: { barVolumePct: 30 } },
      db,
    );
    // 30% of 1,000 = 300 a bar: the first order takes all of the first bar, the second waits.
    const byOrder = (id: string) => r.fills.filter((f) => f.orderId === id).map((f) => [f.qty, local(f.t)]);
    const [a, b] = r.orders.map((o) => o.id);
    expect(byOrder(a)).toEqual([[300, '2026-12-01 10:04:00']]);
    expect(byOrder(b)).toEqual([[100, '2026-12-01 10:05:00']]);
  });
});

describe('bars: day orders and midnight', () => {
  const night: CandleRow[] = [
    ['2026-12-01 23:57', 30.0, 30.0, 30.0, 30.0, 1_000],
    ['2026-12-01 23:58', 30.01, 30.01, 30.01, 30.01, 1_000],
    ['2026-12-01 23:59', 30.02, 30.02, 30.02, 30.02, 1_000],
    ['2026-12-02 00:00', 30.03, 30.03, 30.03, 30.03, 1_000],
    ['2026-12-02 00:01', 30.04, 30.04, 30.04, 30.04, 1_000],
  ];

  it('the bar of 23:59 is still its day: an order decided before it fills on it, and one decided on it fills after midnight', async () => {
    putCandles(db, 'PETR4', '1m', night);
    const r = await backtest(
      sendOn([
        { at: '2026-12-01 23:58', boleta: { symbol: 'PETR4', side: 'buy', qty: 100 } },
        { at: '2026-12-01 23:59', boleta: { symbol: 'PETR4', side: 'buy', qty: 100 } },
      ]),
      { symbols: ['PETR4'], from: '2026-12-01', to: '2026-12-02', interval: '1m' },
      db,
    );
    expect(r.fills.map((f) => [f.price, local(f.t)])).toEqual([
      [30.02, '2026-12-02 00:00:00'],
      [30.03, '2026-12-02 00:01:00'],
    ]);
  });

  it('a child sent after the last bar of the session expires with the day; the boleta sends the rest again, filled on a later bar of the next day', async () => {
    putCandles(db, 'PETR4', '1m', [...minutes, ['2026-12-02 10:00', 30.0, 30.0, 30.0, 30.0, 1_000], ['2026-12-02 10:01', 30.01, 30.01, 30.01, 30.01, 1_000]]);
    const r = await backtest(sendOn([{ at: '2026-12-01 10:09', boleta: { symbol: 'PETR4', side: 'buy', qty: 100 } }]), { symbols: ['PETR4'], from: '2026-12-01', to: '2026-12-02', interval: '1m' }, db);
    // The new child goes out when the day's first bar is known (at its end), so it takes the second.
    expect(r.fills.map((f) => [f.price, local(f.t)])).toEqual([[30.01, '2026-12-02 10:02:00']]);
    expect(r.orders.map((o) => [o.status, o.children])).toEqual([['filled', 2]]);
  });
});

describe('daily bars: an order works through one session', () => {
  it('a market sell the next open gaps past (its protection) expires after that session; the boleta sends again and fills', async () => {
    putFlatDays(db, 'PETR4', [
      ['2026-11-24', 10.2],
      ['2026-11-25', 9.95],
      ['2026-11-26', 9.96],
      ['2026-11-27', 9.97],
      ['2026-11-30', 9.98],
    ]);
    const r = await backtest(sendOn([{ at: '2026-11-24', boleta: { symbol: 'PETR4', side: 'sell', qty: 100 } }]), { symbols: ['PETR4'], from: '2026-11-24', to: '2026-11-30', interval: '1d' }, db);
    // Decided on the close of 24/11 (10.20): 25/11 opens at 9.95, past the market order's protection,
    // so that child rests through 25/11 and expires with it. The boleta's next child goes out once
    // 26/11 is known and fills at the open of 27/11 — never a child left resting for good.
    expect(r.fills.map((f) => [f.price, local(f.t).slice(0, 10)])).toEqual([[9.97, '2026-11-28']]);
    expect(r.orders.map((o) => [o.status, o.children])).toEqual([['filled', 2]]);
  });
});

describe('prints: queue position', () => {
  const spec = { symbols: ['PETR4'], from: '2026-12-01', to: '2026-12-01', interval: '1m' as const, source: 'trades' as const };

  /** Sends one boleta when the clock reaches a local time (a timer), and records what it saw. */
  function at(time: string, boletas: StrategyBoleta[]) {
    return defineStrategy({
      name: 'timed',
      setup(ctx) {
        return {
          onStart() {
            ctx.setTimer('go', Date.parse(`${time}-03:00`.replace(' ', 'T')));
          },
          onTimer() {
            for (const b of boletas) ctx.submit(b);
          },
        };
      },
    });
  }

  it('an order joining a level waits for the quantity printed there before it, then fills', async () => {
    putPrints(db, 'PETR4', [
      // Sellers hit the bid at 30.00 (500 printed there): the bid is 30.00; buyers lift the ask at 30.01.
      ['2026-12-01 10:00:00', 30.0, 300, 'sell'],
      ['2026-12-01 10:00:10', 30.0, 200, 'sell'],
      ['2026-12-01 10:00:20', 30.01, 100, 'buy'],
      // Our buy at 30.00 joins at 10:00:30 behind 500.
      ['2026-12-01 10:00:40', 30.0, 400, 'sell'], // 400 of the 500 ahead
      ['2026-12-01 10:00:50', 30.0, 300, 'sell'], // 100 ahead, then 200 to us
      ['2026-12-01 10:01:00', 30.0, 300, 'sell'], // the last 100 of ours
      ['2026-12-01 10:01:10', 30.0, 300, 'sell'],
    ]);
    const r = await backtest(at('2026-12-01 10:00:30', [{ symbol: 'PETR4', side: 'buy', qty: 300, limitPrice: 30.0 }]), spec, db);
    expect(r.fills.map((f) => [f.qty, f.price, local(f.t)])).toEqual([
      [200, 30.0, '2026-12-01 10:00:50'],
      [100, 30.0, '2026-12-01 10:01:00'],
    ]);
  });

  it('a print through its price fills it at its limit, whatever the queue', async () => {
    putPrints(db, 'PETR4', [
      ['2026-12-01 10:00:00', 30.0, 5_000, 'sell'],
      ['2026-12-01 10:00:20', 30.01, 100, 'buy'],
      ['2026-12-01 10:00:40', 29.99, 200, 'sell'], // through 30.00: ours fills at 30.00
    ]);
    const r = await backtest(at('2026-12-01 10:00:30', [{ symbol: 'PETR4', side: 'buy', qty: 200, limitPrice: 30.0 }]), spec, db);
    expect(r.fills.map((f) => [f.qty, f.price, local(f.t)])).toEqual([[200, 30.0, '2026-12-01 10:00:40']]);
  });

  it("a print's quantity is shared by our orders, never used twice", async () => {
    putPrints(db, 'PETR4', [
      ['2026-12-01 10:00:00', 30.01, 100, 'buy'],
      ['2026-12-01 10:00:05', 30.0, 100, 'sell'],
      // Two orders of ours improve to 29.99 (nothing ahead); one print of 300 through them both.
      ['2026-12-01 10:00:40', 29.98, 300, 'sell'],
      ['2026-12-01 10:00:50', 29.98, 100, 'sell'],
    ]);
    const r = await backtest(
      at('2026-12-01 10:00:30', [
        { symbol: 'PETR4', side: 'buy', qty: 200, limitPrice: 29.99 },
        { symbol: 'PETR4', side: 'buy', qty: 200, limitPrice: 29.99 },
      ]),
      spec,
      db,
    );
    const filled = r.fills.map((f) => [f.orderId, f.qty, local(f.t)]);
    const [a, b] = r.orders.map((o) => o.id);
    expect(filled).toEqual([
      [a, 200, '2026-12-01 10:00:40'],
      [b, 100, '2026-12-01 10:00:40'],
      [b, 100, '2026-12-01 10:00:50'],
    ]);
  });

  it('a marketable order takes the inferred opposite best up to the size printed there', async () => {
    putPrints(db, 'PETR4', [
      ['2026-12-01 10:00:00', 30.02, 300, 'buy'], // ask 30.02 with 300 printed
      ['2026-12-01 10:00:10', 30.0, 100, 'sell'],
      ['2026-12-01 10:01:00', 30.02, 100, 'buy'],
    ]);
    const r = await backtest(at('2026-12-01 10:00:30', [{ symbol: 'PETR4', side: 'buy', qty: 500, limitPrice: 30.05 }]), spec, db);
    // 300 at once from the ask's size; the rest waits at 30.05, beyond the ask: the next buyer's print at
    // 30.02 shows the ask there again, and the rest pays that ask (not its own limit) for the print's 100.
    expect(r.fills.map((f) => [f.qty, f.price, local(f.t)])).toEqual([
      [300, 30.02, '2026-12-01 10:00:30'],
      [100, 30.02, '2026-12-01 10:01:00'],
    ]);
  });

  it('an auction print fills the orders it trades through at the auction price, and no other', async () => {
    putPrints(db, 'PETR4', [
      ['2026-12-01 10:00:00', 30.0, 100, 'sell'],
      ['2026-12-01 10:00:10', 30.01, 100, 'buy'],
      // Closing call uncrosses at 30.00 with 1,000: our buy at 30.05 is through it, the one at 30.00 only at it.
      ['2026-12-01 17:55:00', 30.0, 1_000, 'auction'],
    ]);
    const r = await backtest(
      at('2026-12-01 10:00:30', [
        { symbol: 'PETR4', side: 'buy', qty: 200, limitPrice: 29.95 },
        { symbol: 'PETR4', side: 'sell', qty: 200, limitPrice: 30.05 },
      ]),
      spec,
      db,
    );
    expect(r.fills).toEqual([]);
    const r2 = await backtest(at('2026-12-01 10:00:30', [{ symbol: 'PETR4', side: 'sell', qty: 200, limitPrice: 29.9 }]), spec, db);
    // Marketable on arrival (bid 30.00 with 100 printed): 100 at once; the rest rests at 29.90, below the
    // bid, and the call at 30.00 takes it at 30.00, not at its limit.
    expect(r2.fills.map((f) => [f.qty, f.price, local(f.t)])).toEqual([
      [100, 30.0, '2026-12-01 10:00:30'],
      [100, 30.0, '2026-12-01 17:55:00'],
    ]);
  });
});
