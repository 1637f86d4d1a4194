/**
 * Each algo's contract on the seeded simulated B3 with a simulated clock (PRODUCT.md §5):
 * TWAP keeps to its schedule, an iceberg never shows more than its clip, cover-to-X never pays
 * above X nor re-prices faster than its interval, VWAP stays under its participation cap.
 */
import { describe, expect, it } from 'vitest';
import { sliceAt } from '../../bridge/execution/algos/schedule.js';
import { algoHarness, flushTurns } from '../support/algo-harness.js';

// A Wednesday, 11:00 in São Paulo; the demo session is always open.
const T0 = Date.parse('2026-11-25T14:00:00Z');
const MIN = 60_000;

describe('TWAP', () => {
  it('10,000 shares over 10 minutes in 1-minute slices stays within one lot of its schedule at every slice', async () => {
    const h = await algoHarness({ startMs: T0 });
    const r = await h.oms.submit(
      { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 10_000, limitPrice: 38, algo: { type: 'twap', end: new Date(T0 + 10 * MIN).toISOString(), sliceSec: 60, style: 'aggressive' } },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const id = r.value.order.id;
    await flushTurns();
    const view = h.oms.view(h.oms.get(id)!, true);
    expect(view.schedule).toHaveLength(10);
    expect(view.schedule!.at(-1)!.targetQty).toBe(10_000);
    const plan = view.schedule!.map((p, k) => ({ startMs: T0 + k * MIN, tMs: Date.parse(p.t), targetQty: p.targetQty }));
    const deviations: number[] = [];
    await h.advance(10 * MIN, 5_000, (now) => {
      const k = sliceAt(plan, now);
      const p = h.oms.get(id)!;
      const working = h.oms.view(p, true).children!.filter((c) => !['filled', 'canceled', 'expired', 'rejected'].includes(c.status)).reduce((a, c) => a + c.qty - c.filledQty, 0);
      // Never ahead of the plan: what is filled and working stays within the current slice's target.
      expect(p.filledQty + working).toBeLessThanOrEqual(plan[k].targetQty);
      // Just before each slice boundary, the slice's target must be done to within one lot.
      if ((now - T0) % MIN === MIN - 5_000) deviations.push(Math.abs(plan[k].targetQty - p.filledQty));
    });
    expect(deviations).toHaveLength(10);
    for (const d of deviations) expect(d).toBeLessThanOrEqual(100);
    const p = h.oms.get(id)!;
    expect(p.filledQty).toBe(10_000);
    expect(p.status).toBe('filled');
    expect(p.reprices).toBe(0);
  });

  it('skips the closing call: no slice starts outside continuous trading, and stops at the end of the window', async () => {
    const { b3Session } = await import('../../bridge/execution/market-session.js');
    // 16:50 São Paulo on a Wednesday in US standard time: continuous until 17:55, closing call to 18:00.
    const start = Date.parse('2026-11-25T19:50:00Z');
    const h = await algoHarness({ startMs: start, session: b3Session(), eventsPerSecond: 2 });
    const r = await h.oms.submit(
      { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 2_000, limitPrice: 38, algo: { type: 'twap', end: '18:00', sliceSec: 300, style: 'aggressive', atEnd: 'stop' } },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const closeCallMs = Date.parse('2026-11-25T20:55:00Z');
    const schedule = h.oms.view(h.oms.get(r.value.order.id)!, true).schedule!;
    expect(Date.parse(schedule.at(-1)!.t)).toBe(closeCallMs);
    await h.advance(75 * MIN, 10_000);
    expect(h.sent.length).toBeGreaterThan(0);
    for (const s of h.sent) expect(s.atMs).toBeLessThan(closeCallMs);
  });
  it('with its time varied, each slice is worked once: an early slice wakes once, not every millisecond until its planned start', async () => {
    const h = await algoHarness({ startMs: T0 });
    const wakes = new Map<string, number>();
    const scheduler = h.oms.runtime.scheduler;
    const wakeAt = scheduler.wakeAt.bind(scheduler);
    scheduler.wakeAt = (key, dueMs) => {
      wakes.set(key, (wakes.get(key) ?? 0) + 1);
      wakeAt(key, dueMs);
    };
    const r = await h.oms.submit(
      { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 10_000, limitPrice: 38, algo: { type: 'twap', end: new Date(T0 + 10 * MIN).toISOString(), sliceSec: 60, style: 'aggressive', randomizeTimePct: 50 } },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    await h.advance(10 * MIN + 5_000, 100);
    expect(h.oms.get(r.value.order.id)!.filledQty).toBe(10_000);
    // Ten slices: a wake-up for each, and a few more for children done in between.
    expect(wakes.get(r.value.order.id)!).toBeLessThan(40);
  });
});

describe('iceberg', () => {
  it('never shows more than its clip, one clip at a time, and refills until done', async () => {
    const h = await algoHarness({ startMs: T0, seed: 11 });
    const r = await h.oms.submit(
      { client: 'ALFA', symbol: 'VALE3', side: 'buy', qty: 5_000, limitPrice: 62.5, algo: { type: 'iceberg', displayQty: 500, variancePct: 20 } },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const id = r.value.order.id;
    await h.advance(20 * MIN, 1_000, () => {
      const live = h.oms.view(h.oms.get(id)!, true).children!.filter((c) => !['filled', 'canceled', 'expired', 'rejected'].includes(c.status));
      expect(live.length).toBeLessThanOrEqual(1);
    });
    const clips = h.sent.filter((s) => s.symbol === 'VALE3').map((s) => s.qty);
    expect(clips.length).toBeGreaterThanOrEqual(9);
    for (const q of clips) {
      expect(q % 100).toBe(0);
      expect(q).toBeGreaterThanOrEqual(100);
      expect(q).toBeLessThanOrEqual(600); // 500 + 20%, lot-rounded
    }
    expect(new Set(clips).size).toBeGreaterThan(1); // the variation is real
    expect(h.oms.get(id)!.filledQty).toBe(5_000);
  });
});

describe('cover to X', () => {
  it('a buy never pays above X, never bids above X and never re-prices faster than its interval', async () => {
    const h = await algoHarness({ startMs: T0, seed: 5, eventsPerSecond: 40 });
    const ref = h.quotes.ticks('PETR4');
    const xTicks = (ref.bidTicks ?? 3650) + 3;
    const r = await h.oms.submit(
      { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 3_000, limitPrice: xTicks / 100, algo: { type: 'cover', minRepriceMs: 2_000 } },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const id = r.value.order.id;
    await h.advance(10 * MIN, 250);
    for (const s of h.sent) expect(s.priceTicks).toBeLessThanOrEqual(xTicks);
    for (const x of h.replaces) if (x.change.priceTicks !== undefined) expect(x.change.priceTicks).toBeLessThanOrEqual(xTicks);
    for (const f of h.fills.filter((f) => f.clientOrderId.startsWith(id))) expect(f.priceTicks).toBeLessThanOrEqual(xTicks);
    const repriceTimes = h.replaces.filter((x) => x.id.startsWith(id) && x.change.priceTicks !== undefined).map((x) => x.atMs);
    expect(repriceTimes.length).toBeGreaterThan(0);
    for (let i = 1; i < repriceTimes.length; i++) expect(repriceTimes[i] - repriceTimes[i - 1]).toBeGreaterThanOrEqual(2_000);
    const p = h.oms.get(id)!;
    expect(h.oms.view(p, true).metrics!.reprices).toBe(repriceTimes.length);
    expect(p.filledQty).toBeGreaterThan(0);
  });

  it('does not outbid itself when it is alone at the best, and never crosses the spread', async () => {
    const h = await algoHarness({ startMs: T0, seed: 9, eventsPerSecond: 1 });
    const q = h.quotes.ticks('ITUB4');
    const r = await h.oms.submit(
      { client: 'ALFA', symbol: 'ITUB4', side: 'buy', qty: 1_000, limitPrice: (q.askTicks! + 20) / 100, algo: { type: 'cover', minRepriceMs: 0 } },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    await flushTurns();
    const first = h.sent.find((s) => s.symbol === 'ITUB4')!;
    expect(first.priceTicks).toBe(Math.min(q.bidTicks! + 1, q.askTicks! - 1));
    await h.advance(5_000, 500);
    // Alone at the top, with no competitor moving: no re-price at all.
    const own = h.replaces.filter((x) => x.id.startsWith(r.value.order.id));
    const book = h.quotes.ticks('ITUB4');
    for (const x of own) expect(x.change.priceTicks!).toBeLessThan(book.askTicks ?? Number.POSITIVE_INFINITY);
  });
});

describe('VWAP', () => {
  it('never exceeds its participation cap over any trailing window of one slice', async () => {
    const h = await algoHarness({ startMs: T0, seed: 3, eventsPerSecond: 30 });
    const r = await h.oms.submit(
      { client: 'ALFA', symbol: 'BBDC4', side: 'sell', qty: 900_000, limitPrice: 15, algo: { type: 'vwap', end: new Date(T0 + 5 * MIN).toISOString(), sliceSec: 60, style: 'aggressive', maxParticipationPct: 10 } },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const id = r.value.order.id;
    await h.advance(5 * MIN + 1_000, 500);
    const own = h.fills.filter((f) => f.clientOrderId.startsWith(id));
    expect(own.length).toBeGreaterThan(0);
    const prints = h.trades.filter((t) => t.symbol === 'BBDC4');
    for (const f of own) {
      const from = f.timeMs - MIN;
      const ownQty = own.filter((x) => x.timeMs > from && x.timeMs <= f.timeMs).reduce((a, x) => a + x.qty, 0);
      const marketQty = prints.filter((x) => x.timeMs > from && x.timeMs <= f.timeMs).reduce((a, x) => a + x.qty, 0);
      expect(ownQty).toBeLessThanOrEqual(0.1 * marketQty);
    }
    // Capped: the market cannot fill 900,000 at 10% in five minutes, and the window ends the order.
    const p = h.oms.get(id)!;
    expect(p.filledQty).toBeLessThan(900_000);
    expect(p.status).toBe('canceled');
    const m = h.oms.view(p, true).metrics!;
    expect(m.participationRate).toBeGreaterThan(0);
    expect(m.participationRate).toBeLessThanOrEqual(0.1);
  });
});
