/**
 * Bridge restart mid-TWAP, in process: a new OMS replays the journal against the same exchange,
 * plans the same schedule from the journaled anchors, sends no child twice and finishes the plan.
 */
import { describe, expect, it } from 'vitest';
import { algoHarness, flushTurns } from '../support/algo-harness.js';

const T0 = Date.parse('2026-11-25T14:00:00Z');
const MIN = 60_000;

describe('restart mid-TWAP', () => {
  it('resumes the same plan from the journal and completes it without a duplicate child', async () => {
    const h1 = await algoHarness({ startMs: T0, seed: 12 });
    const q = h1.quotes.ticks('PETR4');
    const r = await h1.oms.submit({ client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 5_000, limitPrice: (q.askTicks! + 40) / 100, algo: { type: 'twap', end: new Date(T0 + 5 * MIN).toISOString(), sliceSec: 60, style: 'aggressive', randomizeTimePct: 30, randomizeSizePct: 20 } }, 't');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const id = r.value.order.id;
    await h1.advance(2 * MIN + 10_000, 1_000);
    const schedule1 = h1.oms.view(h1.oms.get(id)!, true).schedule;
    const filled1 = h1.oms.get(id)!.filledQty;
    expect(filled1).toBeGreaterThan(0);
    await h1.broker.close();
    h1.oms.runtime.close();

    // Down for 20 s; the new bridge replays the journal and reconciles before its algo runs.
    h1.clock.now += 20_000;
    const h2 = await algoHarness({ startMs: 0, journal: h1.journal, after: { exchange: h1.exchange, clock: h1.clock } });
    await flushTurns();
    const p = h2.oms.get(id)!;
    expect(p.filledQty).toBe(filled1);
    expect(h2.oms.view(p, true).schedule).toEqual(schedule1);
    await h2.advance(3 * MIN, 1_000);
    expect(h2.oms.get(id)!.filledQty).toBe(5_000);
    const sentIds = [...h1.sent, ...h2.sent].map((s) => s.clientOrderId);
    expect(new Set(sentIds).size).toBe(sentIds.length);
    expect(h2.oms.view(h2.oms.get(id)!, true).children!.every((c) => c.status !== 'rejected')).toBe(true);
  });
});
