/**
 * Blocks: every ticket type takes `allocations` through the one allocation path, and clients with
 * broker accounts of their own are routed per account (one parent per account).
 */
import { describe, expect, it } from 'vitest';
import { algoHarness } from '../support/algo-harness.js';

const T0 = Date.parse('2026-11-25T14:00:00Z');
const MIN = 60_000;

describe('blocks', () => {
  it('all five ticket types fill a block and allocate it in whole lots at one average price', async () => {
    const h = await algoHarness({ startMs: T0, seed: 4, eventsPerSecond: 30 });
    const q = h.quotes.ticks('PETR4');
    const allocations = [{ client: 'ALFA', weight: 2 }, { client: 'BETA', weight: 1 }];
    const algos = [
      { type: 'full' },
      { type: 'iceberg', displayQty: 300 },
      { type: 'twap', end: new Date(T0 + 2 * MIN).toISOString(), sliceSec: 20, style: 'aggressive' },
      { type: 'vwap', end: new Date(T0 + 2 * MIN).toISOString(), sliceSec: 20, style: 'aggressive', maxParticipationPct: 50 },
      { type: 'cover', allowCross: true },
    ];
    const ids: string[] = [];
    for (const algo of algos) {
      const r = await h.oms.submit({ allocations, symbol: 'PETR4', side: 'buy', qty: 900, limitPrice: (q.askTicks! + 30) / 100, algo: algo as { type: 'full' }, idempotencyKey: algo.type }, 't');
      if (!r.ok) throw new Error(`${algo.type}: ${JSON.stringify(r.errors)}`);
      ids.push(r.value.order.id);
    }
    await h.advance(3 * MIN, 1_000);
    for (const id of ids) {
      const v = h.oms.view(h.oms.get(id)!, true);
      expect(v.filledQty, `${v.algo.type} ${v.status}`).toBeGreaterThan(0);
      const total = v.allocations!.reduce((a, x) => a + x.filledQty, 0);
      expect(total).toBe(v.filledQty);
      for (const a of v.allocations!) {
        expect(a.filledQty % 100).toBe(0);
        expect(a.avgPrice).toBe(v.avgPrice);
      }
      expect(v.metrics!.children).toBeGreaterThan(0);
    }
  });

  it('routes a block per client account: one parent per account, each child in its clients\u2019 account', async () => {
    const h = await algoHarness({ startMs: T0, seed: 4, accounts: { ALFA: 'CONTA-ALFA', BETA: 'CONTA-BETA', GAMA: 'CONTA-ALFA' } });
    const q = h.quotes.ticks('VALE3');
    const r = await h.oms.submit(
      { allocations: [{ client: 'ALFA', qty: 500 }, { client: 'BETA', qty: 300 }, { client: 'GAMA', qty: 200 }], symbol: 'VALE3', side: 'buy', qty: 1_000, limitPrice: (q.askTicks! + 20) / 100, algo: { type: 'iceberg', displayQty: 200 }, idempotencyKey: 'k1' },
      't',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const first = r.value.order;
    expect(first.routedWith).toHaveLength(1);
    const second = h.oms.get(first.routedWith![0])!;
    expect(first.qty + second.qty).toBe(1_000);
    expect(first.allocations!.map((a) => a.client).sort()).toEqual(['ALFA', 'GAMA']);
    expect(second.allocations!.map((a) => a.client)).toEqual(['BETA']);
    await h.advance(2 * MIN, 1_000);
    for (const s of h.sent) {
      const parent = s.clientOrderId.slice(0, s.clientOrderId.lastIndexOf('-'));
      expect(s.account).toBe(parent === second.id ? 'CONTA-BETA' : 'CONTA-ALFA');
    }
    expect(h.sent.some((s) => s.account === 'CONTA-BETA')).toBe(true);
    // The same key again is the same boleta, not a new one.
    const again = await h.oms.submit({ allocations: [{ client: 'ALFA', qty: 500 }, { client: 'BETA', qty: 300 }, { client: 'GAMA', qty: 200 }], symbol: 'VALE3', side: 'buy', qty: 1_000, limitPrice: (q.askTicks! + 20) / 100, algo: { type: 'iceberg', displayQty: 200 }, idempotencyKey: 'k1' }, 't');
    expect(again.ok && again.value.duplicate).toBe(true);
  });
});
