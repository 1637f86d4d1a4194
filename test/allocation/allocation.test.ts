import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOCATION_METHOD,
  MAX_ALLOCATION_ROWS,
  allocateFill,
  initialAllocationState,
  planTargets,
  type AllocationState,
  type AllocationTarget,
} from '../../bridge/execution/allocation.js';

function fields(result: ReturnType<typeof planTargets>): string[] {
  return result.ok ? [] : result.errors.map((e) => `${e.field}:${e.code}`);
}

describe('planTargets by quantity', () => {
  it('accepts lot multiples that add up to the block', () => {
    const result = planTargets(1000, 100, [
      { client: 'A', qty: 600 },
      { client: 'B', qty: 400 },
    ]);
    expect(result).toEqual({
      ok: true,
      method: 'qty',
      targets: [
        { client: 'A', targetQty: 600 },
        { client: 'B', targetQty: 400 },
      ],
    });
  });

  it('names the row of each mistake', () => {
    expect(fields(planTargets(1000, 100, [{ client: 'A', qty: 600 }, { client: 'B', qty: 450 }]))).toEqual([
      'allocations[1].qty:not_lot_multiple',
    ]);
    expect(fields(planTargets(1000, 100, [{ client: 'A', qty: 600 }, { client: 'B', qty: 300 }]))).toEqual([
      'allocations:sum_mismatch',
    ]);
    expect(fields(planTargets(1000, 100, [{ client: 'A', qty: 1000 }, { client: 'A', qty: 0 }]))).toEqual([
      'allocations[1].client:duplicate',
      'allocations[1].qty:invalid',
    ]);
    expect(fields(planTargets(1000, 100, [{ client: 'A', qty: 500 }, { client: 'B', weight: 1 }, { client: 'C', qty: -100 }]))).toEqual([
      'allocations[1].weight:mixed_methods',
      'allocations[2].qty:invalid',
    ]);
    expect(fields(planTargets(1000, 100, [{ client: 'A', qty: 500, weight: 1 }, { client: '', qty: 500, fee: 1 }]))).toEqual([
      'allocations[0].weight:conflict',
      'allocations[1].fee:unknown_field',
      'allocations[1].client:required',
    ]);
    expect(fields(planTargets(1000, 100, [{ client: 'A' }, 'B', null]))).toEqual([
      'allocations[0].qty:required',
      'allocations[1]:invalid',
      'allocations[2]:invalid',
    ]);
    expect(fields(planTargets(1000, 100, [{ client: 'A', qty: 10.5 }]))).toEqual(['allocations[0].qty:invalid']);
  });

  it('rejects a bad block size or an empty or oversized list', () => {
    expect(fields(planTargets(150, 100, [{ client: 'A', qty: 100 }]))).toContain('qty:not_lot_multiple');
    expect(fields(planTargets(0, 100, [{ client: 'A', qty: 100 }]))).toContain('qty:invalid');
    expect(fields(planTargets(100, 100, []))).toEqual(['allocations:required']);
    expect(fields(planTargets(100, 100, { client: 'A' }))).toEqual(['allocations:required']);
    const many = Array.from({ length: MAX_ALLOCATION_ROWS + 1 }, (_, i) => ({ client: `C${i}`, weight: 1 }));
    expect(fields(planTargets(10_000_000, 1, many))).toEqual(['allocations:too_many']);
    expect(fields(planTargets(100_000_000, 1, [{ client: 'A', qty: 100_000_000 }]))).toEqual(['qty:too_large']);
  });
});

describe('planTargets by weight', () => {
  it('normalises weights exactly as typed (0.1 + 0.2 + 0.7 is one whole)', () => {
    const result = planTargets(1000, 100, [
      { client: 'A', weight: 0.1 },
      { client: 'B', weight: 0.2 },
      { client: 'C', weight: 0.7 },
    ]);
    expect(result.ok && result.targets.map((t) => t.targetQty)).toEqual([100, 200, 700]);
  });

  it('gives leftover lots by largest remainder, ties to the earlier row', () => {
    const result = planTargets(400, 100, [
      { client: 'A', weight: 1 },
      { client: 'B', weight: 1 },
      { client: 'C', weight: 1 },
    ]);
    expect(result.ok && result.targets.map((t) => t.targetQty)).toEqual([200, 100, 100]);
    const skewed = planTargets(1000, 100, [
      { client: 'A', weight: 34 },
      { client: 'B', weight: 33 },
      { client: 'C', weight: 33 },
    ]);
    // 3.4 / 3.3 / 3.3 lots: floors 3+3+3, the one leftover lot to the largest remainder (A).
    expect(skewed.ok && skewed.targets.map((t) => t.targetQty)).toEqual([400, 300, 300]);
    const tiny = planTargets(1000, 1, [{ client: 'A', weight: 1e-7 }, { client: 'B', weight: 2e-7 }]);
    expect(tiny.ok && tiny.targets.map((t) => t.targetQty)).toEqual([333, 667]);
  });

  it('refuses a weight that buys less than one lot and non-positive weights', () => {
    expect(fields(planTargets(200, 100, [{ client: 'A', weight: 1 }, { client: 'B', weight: 1 }, { client: 'C', weight: 1 }]))).toEqual([
      'allocations[2].weight:below_lot',
    ]);
    expect(fields(planTargets(200, 100, [{ client: 'A', weight: 0 }, { client: 'B', weight: Number.NaN }]))).toEqual([
      'allocations[0].weight:invalid',
      'allocations[1].weight:invalid',
    ]);
  });

  it('always sums to the block in whole lots, roughly in proportion', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 100),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.double({ min: 0.001, max: 1000, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (lotSize, lots, weights) => {
          const result = planTargets(lots * lotSize, lotSize, weights.map((weight, i) => ({ client: `C${i}`, weight })));
          if (!result.ok) {
            expect(result.errors.every((e) => e.code === 'below_lot')).toBe(true);
            return;
          }
          const sum = result.targets.reduce((a, t) => a + t.targetQty, 0);
          expect(sum).toBe(lots * lotSize);
          const weightSum = weights.reduce((a, b) => a + b, 0);
          result.targets.forEach((t, i) => {
            expect(t.targetQty % lotSize).toBe(0);
            // Largest remainder never moves a target by a whole lot or more from the exact share.
            expect(Math.abs(t.targetQty / lotSize - (lots * weights[i]) / weightSum)).toBeLessThan(1 + 1e-9);
          });
        },
      ),
    );
  });
});

/** Targets in lots (≥ 1 each), a lot size, and fill sizes in shares that may cut lots. */
const blockArb = fc.record({
  lotSize: fc.constantFrom(1, 10, 100),
  targetLots: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 25 }),
  chunks: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 60 }),
  rotation: fc.integer({ min: 0, max: 1_000_000 }),
});

function targetsOf(targetLots: number[], lotSize: number): AllocationTarget[] {
  return targetLots.map((lots, i) => ({ client: `C${i}`, targetQty: lots * lotSize }));
}

/** Runs a block's fills; the last fill completes the block. */
function runBlock(targets: AllocationTarget[], lotSize: number, chunks: number[], rotation: number) {
  const total = targets.reduce((a, t) => a + t.targetQty, 0);
  let state: AllocationState = initialAllocationState(targets);
  let filled = 0;
  const steps = [];
  const fills = [...chunks, Number.MAX_SAFE_INTEGER];
  for (const chunk of fills) {
    const fillQty = Math.min(chunk, total - filled);
    if (fillQty === 0) break;
    const before = state;
    const frozen = JSON.stringify(before);
    const step = allocateFill(state, fillQty, lotSize, rotation);
    expect(JSON.stringify(before)).toBe(frozen);
    filled += fillQty;
    steps.push({ before, fillQty, step });
    state = step.state;
  }
  return { state, steps, total };
}

describe('allocateFill', () => {
  it('keeps every invariant over random blocks and fill sequences', () => {
    fc.assert(
      fc.property(blockArb, ({ lotSize, targetLots, chunks, rotation }) => {
        const targets = targetsOf(targetLots, lotSize);
        const { state, steps } = runBlock(targets, lotSize, chunks, rotation);
        for (const { before, fillQty, step } of steps) {
          const given = step.allocations.reduce((a, x) => a + x.qty, 0);
          // Everything filled is either allocated now or carried (and the carry is under a lot).
          expect(given).toBe(step.audit.distributedQty);
          expect(given + step.state.carriedQty).toBe(before.carriedQty + fillQty);
          expect(step.state.carriedQty).toBeLessThan(lotSize);
          if (before.carriedQty === 0 && fillQty % lotSize === 0) expect(given).toBe(fillQty);
          for (const a of step.allocations) {
            expect(a.qty % lotSize).toBe(0);
            expect(a.qty).toBeGreaterThan(0);
          }
          step.state.allocatedQty.forEach((q, i) => expect(q).toBeLessThanOrEqual(targets[i].targetQty));
          expect(step.audit.method).toBe(ALLOCATION_METHOD);
          expect(step.audit.rows.map((r) => r.allocatedAfterQty)).toEqual(step.state.allocatedQty);
        }
        expect(state.allocatedQty).toEqual(targets.map((t) => t.targetQty));
        expect(state.carriedQty).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic for the same input', () => {
    fc.assert(
      fc.property(blockArb, ({ lotSize, targetLots, chunks, rotation }) => {
        const targets = targetsOf(targetLots, lotSize);
        const a = runBlock(targets, lotSize, chunks, rotation);
        const b = runBlock(targets, lotSize, chunks, rotation);
        expect(b.steps.map((s) => s.step)).toEqual(a.steps.map((s) => s.step));
      }),
      { numRuns: 100 },
    );
  });

  it('survives a JSON round trip of the state (journal then restart)', () => {
    fc.assert(
      fc.property(blockArb, ({ lotSize, targetLots, chunks, rotation }) => {
        const targets = targetsOf(targetLots, lotSize);
        const direct = runBlock(targets, lotSize, chunks, rotation);
        let state = initialAllocationState(targets);
        for (const { fillQty } of direct.steps) state = JSON.parse(JSON.stringify(allocateFill(state, fillQty, lotSize, rotation).state));
        expect(state).toEqual(JSON.parse(JSON.stringify(direct.state)));
      }),
      { numRuns: 50 },
    );
  });

  it('carries a sub-lot remainder to the next fill instead of breaking a lot', () => {
    const state = initialAllocationState([{ client: 'A', targetQty: 200 }, { client: 'B', targetQty: 200 }]);
    const first = allocateFill(state, 150, 100, 0);
    expect(first.allocations).toEqual([{ client: 'A', qty: 100 }]);
    expect(first.state.carriedQty).toBe(50);
    const second = allocateFill(first.state, 50, 100, 0);
    expect(second.allocations).toEqual([{ client: 'B', qty: 100 }]);
    expect(second.state.carriedQty).toBe(0);
    expect(second.audit.carriedBeforeQty).toBe(50);
  });

  it('splits pro rata to the remaining targets', () => {
    const state = initialAllocationState([{ client: 'A', targetQty: 600 }, { client: 'B', targetQty: 300 }, { client: 'C', targetQty: 100 }]);
    const step = allocateFill(state, 500, 100, 0);
    // 3 / 1.5 / 0.5 lots: floors 3 + 1 + 0, the last lot to B or C (equal remainders), here from start 0 → B.
    expect(step.allocations).toEqual([{ client: 'A', qty: 300 }, { client: 'B', qty: 200 }]);
    expect(step.audit.rows.map((r) => r.remainderNumerator)).toEqual([0, 5, 5]);
    expect(step.audit.shareDenominator).toBe(10);
  });

  it('refuses an overfill and malformed input', () => {
    const state = initialAllocationState([{ client: 'A', targetQty: 100 }]);
    expect(() => allocateFill(state, 101, 100, 0)).toThrow(RangeError);
    expect(() => allocateFill(state, -1, 100, 0)).toThrow(RangeError);
    expect(() => allocateFill(state, 1.5, 100, 0)).toThrow(RangeError);
    expect(() => allocateFill(state, 100, 30, 0)).toThrow(RangeError);
    const done = allocateFill(state, 100, 100, 0).state;
    expect(allocateFill(done, 0, 100, 0).allocations).toEqual([]);
    expect(() => allocateFill(done, 1, 100, 0)).toThrow(RangeError);
  });

  it('rotates ties within a block: equal clients take one-lot fills in turn', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 1000 }), (n, rotation) => {
        let state = initialAllocationState(Array.from({ length: n }, (_, i) => ({ client: `C${i}`, targetQty: 100 })));
        const winners: string[] = [];
        for (let k = 0; k < n; k++) {
          const step = allocateFill(state, 100, 100, rotation);
          winners.push(step.allocations[0].client);
          state = step.state;
        }
        expect(new Set(winners).size).toBe(n);
      }),
    );
  });

  it('does not hand ties to the same client across many blocks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 10_000 }),
        (n, lotsEach, firstBlock) => {
          const targets = Array.from({ length: n }, (_, i) => ({ client: `C${i}`, targetQty: lotsEach * 100 }));
          const firstLot = new Map<string, number>();
          // One tie per block (the block's first lot), the rotation is the caller's block counter.
          for (let block = firstBlock; block < firstBlock + 20 * n; block++) {
            const winner = allocateFill(initialAllocationState(targets), 100, 100, block).allocations[0].client;
            firstLot.set(winner, (firstLot.get(winner) ?? 0) + 1);
          }
          expect(firstLot.size).toBe(n);
          for (const count of firstLot.values()) expect(count).toBe(20);
        },
      ),
    );
  });
});
