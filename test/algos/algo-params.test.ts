/**
 * Bad algo parameters: a 422-style refusal naming `algo.<param>` (or `rows[i].algo.<param>` in a
 * batch), nothing journaled and nothing sent; and GET /api/algos describes all five ticket types.
 */
import { describe, expect, it } from 'vitest';
import { algoCatalog } from '../../bridge/execution/algos/registry.js';
import { algoHarness, flushTurns } from '../support/algo-harness.js';

const T0 = Date.parse('2026-11-25T14:00:00Z'); // 11:00 São Paulo
const base = { client: 'ALFA', symbol: 'PETR4', side: 'buy' as const, qty: 1_000, limitPrice: 36.5 };

const cases: Array<[string, Record<string, unknown>, string, number?]> = [
  ['start after end', { type: 'twap', start: '15:00', end: '14:00' }, 'algo.end'],
  ['a window already closed', { type: 'twap', end: '10:30' }, 'algo.end'],
  ['a slice longer than the window', { type: 'twap', end: '11:10', sliceSec: 900 }, 'algo.sliceSec'],
  ['a time that is not a time', { type: 'vwap', end: 'amanhã' }, 'algo.end'],
  ['participation of zero', { type: 'vwap', maxParticipationPct: 0 }, 'algo.maxParticipationPct'],
  ['participation above 100%', { type: 'vwap', maxParticipationPct: 120 }, 'algo.maxParticipationPct'],
  ['display above the total', { type: 'iceberg', displayQty: 2_000 }, 'algo.displayQty'],
  ['display below a lot', { type: 'iceberg', displayQty: 50 }, 'algo.displayQty'],
  ['display off the lot', { type: 'iceberg', displayQty: 250 }, 'algo.displayQty'],
  ['an unknown parameter', { type: 'cover', minRepriceSec: 3 }, 'algo.minRepriceSec'],
  ['a re-price interval that is negative', { type: 'cover', minRepriceMs: -1 }, 'algo.minRepriceMs'],
  ['a style that does not exist', { type: 'twap', style: 'sneaky' }, 'algo.style'],
];

describe('algo parameter validation', () => {
  for (const [what, algo, field] of cases) {
    it(`refuses ${what} naming ${field}, journaling and sending nothing`, async () => {
      const h = await algoHarness({ startMs: T0 });
      const before = h.journal.events.length;
      const r = await h.oms.submit({ ...base, algo: algo as { type: 'twap' } }, 't');
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors.map((e) => e.field)).toContain(field);
      for (const e of r.errors) expect(e.message.length).toBeGreaterThan(5);
      await flushTurns();
      expect(h.journal.events.length).toBe(before);
      expect(h.sent).toHaveLength(0);
    });
  }

  it('cover to X: X off the tick and X beyond the price collar are refused on limitPrice', async () => {
    const h = await algoHarness({ startMs: T0 });
    const off = await h.oms.submit({ ...base, limitPrice: 36.505, algo: { type: 'cover' } }, 't');
    expect(!off.ok && off.errors.some((e) => e.field === 'limitPrice' && e.code === 'off_tick')).toBe(true);
    const far = await h.oms.submit({ ...base, limitPrice: 60, algo: { type: 'cover' } }, 't');
    expect(!far.ok && far.errors.some((e) => e.field === 'limitPrice' && e.code === 'price_collar')).toBe(true);
    const none = await h.oms.submit({ ...base, limitPrice: undefined, algo: { type: 'cover' } }, 't');
    expect(!none.ok && none.errors.some((e) => e.field === 'limitPrice' && e.code === 'required')).toBe(true);
    expect(h.journal.events).toHaveLength(0);
  });

  it('names the row in a batch: rows[1].algo.displayQty, and the valid row still goes', async () => {
    const h = await algoHarness({ startMs: T0 });
    const rows = [
      { ...base, algo: { type: 'twap' as const, end: '12:00' } },
      { ...base, algo: { type: 'iceberg' as const, displayQty: 5_000 } },
    ];
    const res = await h.oms.submitMany(rows, 't', false, (i) => `rows[${i}]`);
    expect(res[0].ok).toBe(true);
    expect(res[1].ok).toBe(false);
    if (!res[1].ok) expect(res[1].errors[0].field).toBe('rows[1].algo.displayQty');
    expect(h.journal.events.filter((e) => e.type === 'order.accepted')).toHaveLength(1);
  });

  it('journals the schedule anchors with the order, defaulting the end to the close', async () => {
    const { b3Session } = await import('../../bridge/execution/market-session.js');
    const h = await algoHarness({ startMs: T0, session: b3Session() });
    const r = await h.oms.submit({ ...base, algo: { type: 'vwap' } }, 't');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const accepted = h.journal.events.find((e) => e.type === 'order.accepted')!.data as { anchors: { startMs: number; endMs: number } };
    expect(accepted.anchors.startMs).toBe(T0);
    // 25 Nov 2026 is in US standard time: continuous trading ends 17:55 in São Paulo (20:55 UTC).
    expect(accepted.anchors.endMs).toBe(Date.parse('2026-11-25T20:55:00Z'));
  });

  it('GET /api/algos describes the five ticket types, each parameter with a kind', () => {
    const cat = algoCatalog();
    expect(cat.map((a) => a.type)).toEqual(['full', 'iceberg', 'twap', 'vwap', 'cover']);
    for (const a of cat) for (const p of a.params) expect(['number', 'integer', 'time', 'percent', 'boolean', 'enum']).toContain(p.kind);
    expect(cat.find((a) => a.type === 'cover')!.requiresLimit).toBe(true);
    expect(cat.find((a) => a.type === 'twap')!.params.find((p) => p.name === 'style')!.options!.map((o) => o.value)).toEqual(['passive', 'aggressive']);
  });
});
