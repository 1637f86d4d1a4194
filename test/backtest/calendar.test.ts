/**
 * The B3 calendar as a backtest meets it: cash settles D+2 on B3 days (24 and 31 December, Carnival
 * and weekends skipped) and the strategy sees it settle as the days pass; fees are the live ones;
 * Ash Wednesday's late opening comes from the hours table; a continuous future is rolled into the
 * next contract on the expiry day without the strategy's position moving.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feesCentavos } from '../../bridge/fees/fee-schedule.js';
import type { MarketDb } from '../../bridge/marketdata/market-db.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { defineStrategy, type StrategyBoleta } from '../../bridge/strategy/api.js';
import { sessions } from '../support/market-fixture.js';
import { backtest, local, putCandles, putPrints, sp, withDb, type CandleRow, type PrintRow } from './helpers.js';

let db: MarketDb;
let cleanup: () => void;
beforeEach(() => ({ db, cleanup } = withDb()));
afterEach(() => cleanup());

/** 1-minute candles 10:00–10:29 of each B3 session in [from, to], flat at `price` (points or BRL). */
function flatMinutes(from: string, to: string, price: number, step = 0.01, qty = 10_000, fromMinute = 600): CandleRow[] {
  const rows: CandleRow[] = [];
  for (const d of sessions(from, to)) {
    for (let m = fromMinute; m < fromMinute + 30; m++) {
      const t = `${d} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      rows.push([t, price, price + step, price - step, price, qty]);
    }
  }
  return rows;
}

/** Buys once on the first bar of `on`, and logs the cash (and position) on the first bar of every day. */
function buyAndWatch(on: string, boleta: StrategyBoleta) {
  return defineStrategy({
    name: 'buy and watch',
    setup(ctx) {
      let lastDay = '';
      let sent = false;
      return {
        onBar(bar) {
          const day = local(bar.t).slice(0, 10);
          if (day !== lastDay) {
            lastDay = day;
            ctx.log(JSON.stringify({ day, cash: ctx.cash(), position: ctx.position(boleta.symbol).qty }));
          }
          if (day === on && !sent) {
            sent = true;
            ctx.submit(boleta);
          }
        },
      };
    },
  });
}

const seen = (logs: Array<{ message: string }>) => logs.map((l) => JSON.parse(l.message) as { day: string; cash: { d0: number; d1: number; d2: number }; position: number });

describe('settlement on B3 days', () => {
  it('a buy on 22/12/2026 settles on 28/12/2026 (24 and 25 December and the weekend skipped), fees as live', async () => {
    putCandles(db, 'PETR4', '1m', flatMinutes('2026-12-21', '2026-12-29', 30));
    const r = await backtest(buyAndWatch('2026-12-22', { symbol: 'PETR4', side: 'buy', qty: 1_000 }), { symbols: ['PETR4'], from: '2026-12-21', to: '2026-12-29', interval: '1m' }, db);
    expect(r.fills).toHaveLength(1);
    const f = r.fills[0];
    expect(local(f.t).slice(0, 10)).toBe('2026-12-22');
    const inst = new InstrumentRegistry(defaultInstruments(sp('2026-12-22 10:00'))).require('PETR4');
    const fee = feesCentavos({ instrument: inst, qty: 1_000, priceTicks: Math.round(f.price * 100), timeMs: Date.parse(f.t) }).totalCentavos;
    expect(f.feesBrl * 100).toBe(fee);
    expect(r.metrics.feesBrl * 100).toBe(fee);
    const cost = Math.round(f.price * 1_000 * 100) + fee;
    const open = 1_000_000;
    const after = (open * 100 - cost) / 100;
    expect(seen(r.logs).map((s) => [s.day, s.cash.d0, s.cash.d1, s.cash.d2])).toEqual([
      ['2026-12-21', open, open, open],
      ['2026-12-22', open, open, open], // logged before the buy
      ['2026-12-23', open, after, after], // D+1 of 23/12 is 28/12
      ['2026-12-28', after, after, after],
      ['2026-12-29', after, after, after],
    ]);
  });

  it('the last session of 2026 is 30/12: a buy then settles on 05/01/2027', async () => {
    putCandles(db, 'PETR4', '1m', flatMinutes('2026-12-29', '2027-01-06', 30));
    const r = await backtest(buyAndWatch('2026-12-30', { symbol: 'PETR4', side: 'buy', qty: 1_000 }), { symbols: ['PETR4'], from: '2026-12-29', to: '2027-01-06', interval: '1m' }, db);
    const cost = Math.round(r.fills[0].price * 1_000 * 100) + Math.round(r.fills[0].feesBrl * 100);
    const open = 1_000_000;
    const after = (open * 100 - cost) / 100;
    expect(seen(r.logs).map((s) => [s.day, s.cash.d0, s.cash.d1, s.cash.d2])).toEqual([
      ['2026-12-29', open, open, open],
      ['2026-12-30', open, open, open],
      ['2027-01-04', open, after, after],
      ['2027-01-05', after, after, after],
      ['2027-01-06', after, after, after],
    ]);
    expect(r.metrics.sessions).toBe(5);
  });

  it('across Carnival: a buy on Friday 05/02/2027 settles on Thursday 11/02 (Monday and Tuesday closed, Ash Wednesday counts)', async () => {
    putCandles(db, 'PETR4', '1m', [...flatMinutes('2027-02-04', '2027-02-05', 30), ...flatMinutes('2027-02-10', '2027-02-12', 30, 0.01, 10_000, 13 * 60)]);
    expect(sessions('2027-02-05', '2027-02-10')).toEqual(['2027-02-05', '2027-02-10']);
    const r = await backtest(buyAndWatch('2027-02-05', { symbol: 'PETR4', side: 'buy', qty: 1_000 }), { symbols: ['PETR4'], from: '2027-02-04', to: '2027-02-12', interval: '1m' }, db);
    const cost = Math.round(r.fills[0].price * 1_000 * 100) + Math.round(r.fills[0].feesBrl * 100);
    const open = 1_000_000;
    const after = (open * 100 - cost) / 100;
    expect(seen(r.logs).map((s) => [s.day, s.cash.d0, s.cash.d1, s.cash.d2])).toEqual([
      ['2027-02-04', open, open, open],
      ['2027-02-05', open, open, open],
      ['2027-02-10', open, after, after],
      ['2027-02-11', after, after, after],
      ['2027-02-12', after, after, after],
    ]);
  });
});

describe('history older than the tables', () => {
  it('a run over 2018 books its fills with the first fee table and hours grid, and says so', async () => {
    putCandles(db, 'PETR4', '1m', flatMinutes('2018-03-05', '2018-03-06', 20));
    const r = await backtest(buyAndWatch('2018-03-05', { symbol: 'PETR4', side: 'buy', qty: 1_000 }), { symbols: ['PETR4'], from: '2018-03-05', to: '2018-03-06', interval: '1m' }, db);
    expect(r.fills).toHaveLength(1);
    // 2024's table: 0.50 + 2.50 bp of R$ 20,000.00 = R$ 6.00.
    expect(r.fills[0].feesBrl).toBe(6);
    expect(r.metrics.feesBrl).toBe(6);
    expect(r.warnings).toContain('sem tabela de tarifas da B3 para 2018: usada a de 2024-01-01');
    expect(r.warnings.some((w) => w.startsWith('sem horário de pregão de equities para 2018'))).toBe(true);
    expect(seen(r.logs).at(-1)!.position).toBe(1_000);
  });
});

describe('session hours from the table', () => {
  /** Prints every 10 s from `from` to `to` (local HH:mm) at 30.00/30.01, 500 a print. */
  function printsOf(day: string, from: string, to: string): PrintRow[] {
    const rows: PrintRow[] = [];
    for (let t = sp(`${day} ${from}`), k = 0; t < sp(`${day} ${to}`); t += 10_000, k++) {
      const buy = k % 2 === 0;
      rows.push([local(t), buy ? 30.01 : 30.0, 500, buy ? 'buy' : 'sell']);
    }
    return rows;
  }

  it('a TWAP sent on Ash Wednesday morning trades only from the 13:00 opening, spread over 13:00–15:00', async () => {
    putPrints(db, 'PETR4', [...printsOf('2027-02-05', '10:00', '17:00'), ...printsOf('2027-02-10', '13:00', '17:00')]);
    const twap = defineStrategy({
      name: 'twap on ash wednesday',
      setup(ctx) {
        return {
          onStart() {
            ctx.setTimer('go', sp('2027-02-10 11:00'));
          },
          onTimer() {
            ctx.submit({ symbol: 'PETR4', side: 'buy', qty: 1_200, algo: { type: 'twap', end: '15:00', sliceSec: 600, style: 'aggressive' } });
          },
        };
      },
    });
    const r = await backtest(twap, { symbols: ['PETR4'], from: '2027-02-05', to: '2027-02-10', interval: '1m', source: 'trades' }, db);
    expect(r.orders).toHaveLength(1);
    expect(r.orders[0].filledQty).toBe(1_200);
    const times = r.fills.map((f) => local(f.t));
    expect(times[0] >= '2027-02-10 13:00:00').toBe(true);
    expect(times[times.length - 1] < '2027-02-10 15:00:00').toBe(true);
    // Planned over the two hours of trading, not the four since 11:00: half done by 14:00, not three quarters.
    const byTwo = r.fills.filter((f) => local(f.t) < '2027-02-10 14:00:00').reduce((a, f) => a + f.qty, 0);
    expect(byTwo).toBe(600);
  });

  it('a market order sent while the market is closed waits for the opening instead of trading on stale prices', async () => {
    putPrints(db, 'PETR4', [...printsOf('2027-02-05', '10:00', '17:00'), ...printsOf('2027-02-10', '13:00', '14:00')]);
    const early = defineStrategy({
      name: 'market order at 11:00',
      setup(ctx) {
        return {
          onStart() {
            ctx.setTimer('go', sp('2027-02-10 11:00'));
          },
          onTimer() {
            ctx.submit({ symbol: 'PETR4', side: 'buy', qty: 100 });
          },
        };
      },
    });
    const r = await backtest(early, { symbols: ['PETR4'], from: '2027-02-05', to: '2027-02-10', interval: '1m', source: 'trades' }, db);
    // At the first print of the day (a buyer at 30.01), at that price: not Friday's, not its 2% protection.
    expect(r.fills.map((f) => [local(f.t), f.price])).toEqual([['2027-02-10 13:00:00', 30.01]]);
  });
});

describe('futures expiry', () => {
  it('WINFUT held across WINZ26 expiry (16/12/2026) is rolled into WING27 by two OMS orders; ctx.position stays the same', async () => {
    putCandles(db, 'WINFUT', '1m', flatMinutes('2026-12-14', '2026-12-18', 160_000, 5, 2_000));
    const hold = defineStrategy({
      name: 'hold WINFUT',
      setup(ctx) {
        let lastDay = '';
        return {
          onBar(bar) {
            const day = local(bar.t).slice(0, 10);
            if (day !== lastDay) {
              lastDay = day;
              ctx.log(`${day} ${ctx.position('WINFUT').qty}`);
              if (day === '2026-12-14') ctx.submit({ symbol: 'WINFUT', side: 'buy', qty: 3 });
              // After the roll the strategy still trades "WINFUT": it now means WING27.
              if (day === '2026-12-18') ctx.submit({ symbol: 'WINFUT', side: 'sell', qty: 3 });
            }
          },
          onFill(f) {
            ctx.log(`fill ${f.side} ${f.qty} → ${ctx.position('WINFUT').qty}`);
          },
        };
      },
    });
    const r = await backtest(hold, { symbols: ['WINFUT'], from: '2026-12-14', to: '2026-12-18', interval: '1m' }, db);
    expect(r.logs.map((l) => l.message)).toEqual(['2026-12-14 0', 'fill buy 3 → 3', '2026-12-15 3', '2026-12-16 3', '2026-12-17 3', '2026-12-18 3', 'fill sell 3 → 0']);
    const roll = r.orders.filter((o) => local(o.createdAt).startsWith('2026-12-16'));
    expect(roll.map((o) => [o.symbol, o.side, o.qty, o.filledQty, o.status])).toEqual([
      ['WINZ26', 'sell', 3, 3, 'filled'],
      ['WING27', 'buy', 3, 3, 'filled'],
    ]);
    const last = r.orders[r.orders.length - 1];
    expect([last.symbol, last.side, last.filledQty]).toEqual(['WING27', 'sell', 3]);
    // Both legs at the same price (the continuous series), so the roll costs only its fees.
    const legs = r.fills.filter((f) => local(f.t).startsWith('2026-12-16'));
    expect(new Set(legs.map((f) => f.price)).size).toBe(1);
  });
});
