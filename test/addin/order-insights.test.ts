/**
 * What the order detail and the reconnection banner compute before drawing: the progress series
 * (filled vs schedule), the banner's sentence and the orders it links to, and the detail's
 * slippage and parameter wording.
 */
import { describe, expect, it } from 'vitest';
import { paramDisplay } from '../../addin/src/core/algos.js';
import { MAX_PROGRESS_POINTS, MIN_SPAN_MS, progressSeries } from '../../addin/src/core/order-progress.js';
import { affectedParents, hasEntries, outageText, reconnectText } from '../../addin/src/core/reconnect.js';
import { slippageText } from '../../addin/src/taskpane/components/ExecutionQuality.js';
import type { FillView, OrderView, ReconnectReport } from '../../common/types.js';

const T0 = Date.parse('2026-12-01T13:00:00Z'); // 10:00 in São Paulo
const iso = (ms: number) => new Date(ms).toISOString();
const fill = (id: string, atMs: number, qty: number): FillView => ({ id, childId: 'c', qty, price: 36.5, time: iso(atMs), feesBrl: 0.1 });

function order(over: Partial<OrderView>): OrderView {
  return {
    id: 'BBX-1', symbol: 'PETR4', side: 'buy', qty: 1000, filledQty: 0, avgPrice: 0, algo: { type: 'full' }, status: 'working',
    createdAt: iso(T0), updatedAt: iso(T0), ...over,
  };
}

describe('progress series', () => {
  it('a full order without a schedule: filled steps only, from zero at acceptance to its last fill', () => {
    const s = progressSeries(order({ status: 'filled', filledQty: 1000, updatedAt: iso(T0 + 2_000), fills: [fill('b', T0 + 2_000, 600), fill('a', T0 + 1_000, 400)] }), T0 + 60_000);
    expect(s.target).toBeUndefined();
    // a finished order does not run on to now; filled in 2 s, it is drawn over the minimum span, flat after
    expect(s.filled).toEqual([{ t: T0, qty: 0 }, { t: T0 + 1_000, qty: 400 }, { t: T0 + 2_000, qty: 1000 }, { t: T0 + MIN_SPAN_MS, qty: 1000 }]);
    expect(s.toMs).toBe(T0 + MIN_SPAN_MS);
    expect(s.totalQty).toBe(1000);
  });

  it('a working TWAP: filled runs on to now, the plan to its end', () => {
    const schedule = [0, 1, 2, 3, 4].map((i) => ({ t: iso(T0 + i * 60_000), targetQty: i * 250 }));
    const s = progressSeries(order({ algo: { type: 'twap' }, filledQty: 300, fills: [fill('a', T0 + 50_000, 300)], schedule }), T0 + 90_000);
    expect(s.target).toHaveLength(5);
    expect(s.target!.at(-1)).toEqual({ t: T0 + 240_000, qty: 1000 });
    expect(s.filled.at(-1)).toEqual({ t: T0 + 90_000, qty: 300 });
    expect(s.toMs).toBe(T0 + 240_000);
  });

  it('thousands of fills are drawn from a bounded sample that keeps the end', () => {
    const fills = Array.from({ length: 5_000 }, (_, i) => fill(`f${i}`, T0 + i * 100, 1));
    const s = progressSeries(order({ qty: 5_000, status: 'filled', filledQty: 5_000, fills, updatedAt: iso(T0 + 499_900) }), T0);
    expect(s.filled.length).toBeLessThanOrEqual(MAX_PROGRESS_POINTS);
    expect(s.filled.at(-1)!.qty).toBe(5_000);
  });
});

describe('reconnection banner', () => {
  const report: ReconnectReport = {
    at: '2026-12-01T14:05:00Z',
    outageMs: 12_300,
    canceledByExchange: ['BBX-7-2', 'BBX-70-1'],
    filledWhileAway: ['BBX-7-3'],
    held: ['BBX-9', 'BBX-10', 'BBX-11'],
  };

  it('says what happened in pt-BR, with plurals', () => {
    expect(reconnectText(report)).toBe(
      'Conexão com a corretora restabelecida após 12 s: 2 ordens canceladas pela bolsa, 1 executada enquanto desconectado, 3 ordens retidas para revisão.',
    );
    expect(reconnectText({ ...report, outageMs: 125_000, canceledByExchange: ['BBX-7-2'], filledWhileAway: [], held: [] })).toBe(
      'Conexão com a corretora restabelecida após 2 min 5 s: 1 ordem cancelada pela bolsa.',
    );
    expect(outageText(3_780_000)).toBe('1 h 3 min');
  });

  it('a report with nothing in it shows no banner', () => {
    expect(hasEntries({ ...report, canceledByExchange: [], filledWhileAway: [], held: [] })).toBe(false);
    expect(hasEntries(undefined)).toBe(false);
    expect(hasEntries(report)).toBe(true);
  });

  it('links to the parents of the children it names (BBX-70-1 is BBX-70’s, not BBX-7’s) and the held ones', () => {
    const ids = affectedParents(report, [{ id: 'BBX-7' }, { id: 'BBX-70' }, { id: 'BBX-9' }, { id: 'BBX-12' }]);
    expect([...ids].sort()).toEqual(['BBX-10', 'BBX-11', 'BBX-7', 'BBX-70', 'BBX-9']);
  });
});

describe('order detail wording', () => {
  it('slippage says worse or better, not only a sign', () => {
    expect(slippageText(12.34)).toBe('+12,3 bps (pior)');
    expect(slippageText(-4)).toBe('−4,0 bps (melhor)');
    expect(slippageText(0)).toBe('0,0 bps');
    expect(slippageText(undefined)).toBe('—');
  });

  it('parameters as a person reads them: enum label, sim/não, % of a fraction', () => {
    expect(paramDisplay({ name: 'a', label: 'A', kind: 'enum', required: false, options: [{ value: 'passive', label: 'Passivo' }] }, 'passive')).toBe('Passivo');
    expect(paramDisplay({ name: 'b', label: 'B', kind: 'boolean', required: false }, true)).toBe('sim');
    expect(paramDisplay({ name: 'c', label: 'C', kind: 'percent', required: false, max: 1 }, 0.125)).toBe('12,5 %');
    expect(paramDisplay({ name: 'd', label: 'D', kind: 'percent', required: false, max: 100 }, 20)).toBe('20 %');
    // A TWAP's end sent as an instant reads in São Paulo time, dd/mm/aaaa; a typed HH:mm stays as typed.
    expect(paramDisplay({ name: 'end', label: 'Fim', kind: 'time', required: false }, '2026-12-02T02:18:17.993Z')).toBe('01/12/2026 23:18:17');
    expect(paramDisplay({ name: 'end', label: 'Fim', kind: 'time', required: false }, '17:30')).toBe('17:30');
  });
});
