/**
 * Properties of the slice planner and the wake-up scheduler (fast-check): plans are lot-exact,
 * monotone and complete; TWAP stays within a lot of the straight line; the scheduler wakes every
 * live key once, in deadline order, never more than its bound per turn, never a cancelled one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultUProfile, planSlices, sliceAt, sliceCount } from '../../bridge/execution/algos/schedule.js';
import { WakeScheduler } from '../../bridge/execution/scheduler.js';

const T0 = Date.parse('2026-11-25T13:00:00Z'); // 10:00 São Paulo

const windowsArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1_000, max: 4 * 3_600_000 })), { minLength: 1, maxLength: 3 })
  .map((parts) => {
    let t = T0;
    return parts.map(([gap, len]) => {
      const s = t + gap * 1000;
      t = s + len;
      return [s, t] as [number, number];
    });
  });

describe('planSlices', () => {
  it('ends at the total, never decreases, stays on the lot and inside the windows (TWAP and VWAP)', () => {
    fc.assert(
      fc.property(
        windowsArb,
        fc.integer({ min: 1, max: 3_600 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.constantFrom(1, 100),
        fc.boolean(),
        (windows, sliceSec, lots, lot, vwap) => {
          const sliceMs = sliceSec * 1000;
          fc.pre(sliceCount(windows, sliceMs) <= 2_000);
          const total = lots * lot;
          const plan = planSlices({ windows, sliceMs, totalQty: total, lot, profile: vwap ? defaultUProfile() : undefined });
          expect(plan.length).toBe(sliceCount(windows, sliceMs));
          expect(plan.at(-1)!.targetQty).toBe(total);
          let prev = 0;
          for (const s of plan) {
            expect(s.targetQty % lot).toBe(0);
            expect(s.targetQty).toBeGreaterThanOrEqual(prev);
            expect(s.targetQty).toBeLessThanOrEqual(total);
            expect(windows.some(([a, b]) => s.startMs >= a && s.tMs <= b && s.startMs < s.tMs)).toBe(true);
            prev = s.targetQty;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('TWAP: each target is within one lot of the straight line through the continuous time', () => {
    fc.assert(
      fc.property(windowsArb, fc.integer({ min: 5, max: 900 }), fc.integer({ min: 1, max: 2_000 }), (windows, sliceSec, lots) => {
        const sliceMs = sliceSec * 1000;
        fc.pre(sliceCount(windows, sliceMs) <= 2_000);
        const total = lots * 100;
        const plan = planSlices({ windows, sliceMs, totalQty: total, lot: 100 });
        const span = windows.reduce((a, [s, e]) => a + e - s, 0);
        for (const s of plan) {
          let elapsed = 0;
          for (const [a, b] of windows) elapsed += Math.max(0, Math.min(b, s.tMs) - a);
          expect(Math.abs(s.targetQty - (total * elapsed) / span)).toBeLessThan(100);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('sliceAt finds the slice in force', () => {
    fc.assert(
      fc.property(windowsArb, fc.integer({ min: 1, max: 600 }), fc.integer({ min: -10_000, max: 5 * 3_600_000 }), (windows, sliceSec, dt) => {
        const plan = planSlices({ windows, sliceMs: sliceSec * 1000, totalQty: 100_000, lot: 100 });
        fc.pre(plan.length <= 5_000);
        const now = T0 + dt;
        const k = sliceAt(plan, now);
        if (k === -1) expect(plan[0].startMs).toBeGreaterThan(now);
        else {
          expect(plan[k].startMs).toBeLessThanOrEqual(now);
          if (k + 1 < plan.length) expect(plan[k + 1].startMs).toBeGreaterThan(now);
        }
      }),
    );
  });
});

describe('WakeScheduler', () => {
  type Op = { kind: 'wake'; key: number; due: number } | { kind: 'cancel'; key: number } | { kind: 'run'; advance: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('wake' as const), key: fc.integer({ min: 0, max: 30 }), due: fc.integer({ min: 0, max: 1_000 }) }),
    fc.record({ kind: fc.constant('cancel' as const), key: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant('run' as const), advance: fc.integer({ min: 0, max: 300 }) }),
  );

  it('matches a simple model: the latest wake of each key fires once, in order, within the per-turn bound', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (ops, bound) => {
        let now = 0;
        const fired: Array<{ key: string; at: number }> = [];
        const sched = new WakeScheduler({ nowMs: () => now, maxWakesPerTurn: bound, onWake: (key) => fired.push({ key, at: now }) });
        const model = new Map<string, number>();
        const check = () => {
          const before = fired.length;
          const ran = sched.runDue(now);
          expect(ran).toBeLessThanOrEqual(bound);
          const batch = fired.slice(before);
          const due = [...model.entries()].filter(([, d]) => d <= now).sort((a, b) => a[1] - b[1]);
          expect(batch.length).toBe(Math.min(bound, due.length));
          for (const f of batch) {
            expect(model.get(f.key)).toBeLessThanOrEqual(now);
            model.delete(f.key);
          }
          // Fired in deadline order; nothing left behind that was due earlier than what fired.
          const left = [...model.values()].filter((d) => d <= now);
          if (batch.length === bound && left.length > 0) return;
          expect(left).toHaveLength(0);
        };
        for (const op of ops) {
          if (op.kind === 'wake') {
            sched.wakeAt(String(op.key), now + op.due);
            model.set(String(op.key), now + op.due);
          } else if (op.kind === 'cancel') {
            sched.cancel(String(op.key));
            model.delete(String(op.key));
          } else {
            now += op.advance;
            check();
          }
        }
        now += 10_000;
        while (model.size > 0) check();
        expect(sched.pending()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('drives itself with one host timer and yields between bounded batches', async () => {
    let now = 1_000;
    const fired: string[] = [];
    let timersArmed = 0;
    let immediates = 0;
    const sched = new WakeScheduler({
      nowMs: () => now,
      maxWakesPerTurn: 10,
      onWake: (k) => fired.push(k),
      timers: {
        setTimeout: (fn, ms) => {
          timersArmed++;
          return setTimeout(fn, ms);
        },
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
        setImmediate: (fn) => {
          immediates++;
          setImmediate(fn);
        },
      },
    });
    for (let i = 0; i < 95; i++) sched.wakeAt(`k${i}`, now + 5);
    now += 5;
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toHaveLength(95);
    expect(timersArmed).toBe(1);
    expect(immediates).toBe(9);
  });
});
