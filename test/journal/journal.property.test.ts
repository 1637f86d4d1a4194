/**
 * Model check: for any mix of appends, appendMany groups, audit entries and invalid calls, spread over
 * event-loop turns, the journal accepts/rejects exactly what a simple queue model predicts, commits the
 * predicted number of transactions, and leaves a gap-free log equal to the accepted calls in call order.
 * Run twice: with small batches, which keep the per-row insert guard, and with batches of 64+ events, which
 * lift it inside their transaction.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalError } from '../../bridge/journal/index.js';
import { tempJournalPath } from './helpers.js';

type Op = { kind: 'append' } | { kind: 'many'; size: number } | { kind: 'audit' } | { kind: 'invalid' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'append' as const }), weight: 5 },
  { arbitrary: fc.integer({ min: 0, max: 6 }).map((size) => ({ kind: 'many' as const, size })), weight: 2 },
  { arbitrary: fc.constant({ kind: 'audit' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'invalid' as const }), weight: 1 },
);

type Outcome = 'ok' | 'INVALID' | 'BACKPRESSURE';

/** Turns with bursts of appends and groups big enough that batches lift the per-row insert guard (64+ events). */
const bigOpArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'append' as const }), weight: 20 },
  { arbitrary: fc.integer({ min: 0, max: 150 }).map((size) => ({ kind: 'many' as const, size })), weight: 1 },
  { arbitrary: fc.constant({ kind: 'audit' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'invalid' as const }), weight: 1 },
);

describe('journal model', () => {
  it('matches the queue model for random turns', async () => {
    await checkModel(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 30 }), opArb, 25, 60);
  });

  it('matches the queue model for random turns with batches that lift the insert guard', async () => {
    await checkModel(fc.integer({ min: 40, max: 300 }), fc.integer({ min: 100, max: 600 }), bigOpArb, 250, 25);
  });
});

async function checkModel(
  maxBatchArb: fc.Arbitrary<number>,
  maxQueuedArb: fc.Arbitrary<number>,
  ops: fc.Arbitrary<Op>,
  maxOpsPerTurn: number,
  numRuns: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      maxBatchArb,
      maxQueuedArb,
      fc.array(fc.array(ops, { maxLength: maxOpsPerTurn }), { minLength: 1, maxLength: 5 }),
      async (maxBatchEvents, maxQueuedEvents, turns) => {
        const { path, cleanup } = tempJournalPath();
        const journal = Journal.open(path, { maxBatchEvents, maxQueuedEvents });
        try {
          const expectedEvents: unknown[] = [];
          const expectedAudit: string[] = [];
          let expectedCommits = 0;
          let tag = 0;
          for (const turn of turns) {
            let queued = 0;
            let batchRows: number | undefined;
            const calls: Array<{ p: Promise<unknown>; want: Outcome }> = [];
            for (const op of turn) {
              const id = tag++;
              const rows = op.kind === 'many' ? op.size : 1;
              let outcome: Outcome = 'ok';
              let p: Promise<unknown>;
              if (op.kind === 'invalid') {
                outcome = 'INVALID';
                p = journal.append('t', () => id);
              } else if (op.kind === 'many' && op.size > maxBatchEvents) {
                outcome = 'INVALID';
                p = journal.appendMany(Array.from({ length: op.size }, (_, i) => ({ type: 'g', data: [id, i] })));
              } else {
                const empty = op.kind === 'many' && op.size === 0;
                if (!empty && queued + rows > maxQueuedEvents) outcome = 'BACKPRESSURE';
                else if (!empty) {
                  queued += rows;
                  if (batchRows === undefined || batchRows + rows > maxBatchEvents) {
                    expectedCommits++;
                    batchRows = 0;
                  }
                  batchRows += rows;
                }
                if (op.kind === 'append') {
                  p = journal.append('t', [id]);
                  if (outcome === 'ok') expectedEvents.push([id]);
                } else if (op.kind === 'audit') {
                  p = journal.audit({ actor: `a${id}`, role: 'trader', action: 'x' });
                  if (outcome === 'ok') expectedAudit.push(`a${id}`);
                } else {
                  const data = Array.from({ length: op.size }, (_, i) => [id, i]);
                  p = journal.appendMany(data.map((d) => ({ type: 'g', data: d })));
                  if (outcome === 'ok') expectedEvents.push(...data);
                }
              }
              calls.push({ p, want: outcome });
            }
            const settled = await Promise.allSettled(calls.map((c) => c.p));
            settled.forEach((r, i) => {
              const want = calls[i].want;
              if (want === 'ok') expect(r.status).toBe('fulfilled');
              else expect(r.status === 'rejected' && (r.reason as JournalError).code).toBe(want);
            });
          }
          expect(journal.stats().commits).toBe(expectedCommits);
          expect(journal.stats().failedCommits).toBe(0);
          const onDisk = [...journal.readAll()];
          expect(onDisk.map((e) => e.seq)).toEqual(expectedEvents.map((_, i) => i + 1));
          expect(onDisk.map((e) => e.data)).toEqual(expectedEvents);
          expect(journal.readAudit({ limit: 10_000 }).map((a) => [a.seq, a.actor])).toEqual(
            expectedAudit.map((actor, i) => [i + 1, actor]),
          );
        } finally {
          journal.close();
          cleanup();
        }
      },
    ),
    { numRuns },
  );
}
