/**
 * PÂNICO with algos working: every child is canceled, no algo sends anything while it is engaged
 * or after it is released (parents stay paused: a person decides), and a resumed TWAP picks up its
 * schedule where the plan says it should be.
 */
import { describe, expect, it } from 'vitest';
import { algoHarness } from '../support/algo-harness.js';

const T0 = Date.parse('2026-11-25T14:00:00Z');
const MIN = 60_000;

describe('kill switch with algos working', () => {
  it('cancels every child, sends nothing until a person resumes, then catches up with the plan', async () => {
    const h = await algoHarness({ startMs: T0, seed: 8, eventsPerSecond: 20 });
    const q = h.quotes.ticks('PETR4');
    const twap = await h.oms.submit({ client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 6_000, limitPrice: (q.askTicks! + 40) / 100, algo: { type: 'twap', end: new Date(T0 + 6 * MIN).toISOString(), sliceSec: 60, style: 'aggressive' } }, 't');
    const cover = await h.oms.submit({ client: 'BETA', symbol: 'ITUB4', side: 'buy', qty: 90_000, limitPrice: (h.quotes.ticks('ITUB4').bidTicks! + 3) / 100, algo: { type: 'cover', minRepriceMs: 500 } }, 't');
    if (!twap.ok || !cover.ok) throw new Error('refused');
    await h.advance(90_000, 1_000);
    const filledBefore = h.oms.get(twap.value.order.id)!.filledQty;
    expect(filledBefore).toBeGreaterThanOrEqual(2_000 - 100);
    await h.oms.engageKillSwitch('teste', 'risk');
    await h.advance(5_000, 1_000);
    expect(h.oms.liveChildCount()).toBe(0);
    const sentAtEngage = h.sent.length;
    await h.advance(2 * MIN, 1_000);
    expect(h.sent.length).toBe(sentAtEngage);
    await h.oms.releaseKillSwitch('ok', 'risk');
    await h.advance(30_000, 1_000);
    expect(h.sent.length).toBe(sentAtEngage);
    for (const id of [twap.value.order.id, cover.value.order.id]) expect(h.oms.get(id)!.status).toBe('paused');
    const r = await h.oms.resume(twap.value.order.id, 't');
    expect(r.ok).toBe(true);
    await h.advance(25_000, 1_000);
    // 4.5 minutes in, the plan asks for five slices of 1,000: the resumed TWAP catches up within the slice.
    expect(h.oms.get(twap.value.order.id)!.filledQty).toBeGreaterThanOrEqual(5_000 - 100);
    expect(h.oms.get(cover.value.order.id)!.status).toBe('paused');
  });
});
