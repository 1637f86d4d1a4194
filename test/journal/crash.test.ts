import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../../bridge/journal/index.js';
import { tempJournalPath } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

let path: string;
let cleanup: () => void;
beforeEach(() => ({ path, cleanup } = tempJournalPath()));
afterEach(() => cleanup());

/** Runs the writer until it has acknowledged `killAfterAcks` events, SIGKILLs it, returns every acked seq. */
async function runAndKill(killAfterAcks: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: number[] = [];
  let stderr = '';
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    // A line cut by the kill has no newline and was not fully printed, so it does not count.
    partial = lines.pop() ?? '';
    for (const line of lines) acked.push(Number(line));
    if (acked.length >= killAfterAcks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  expect({ code, signal, stderr }).toEqual({ code: null, signal: 'SIGKILL', stderr: '' });
  return acked;
}

describe('crash safety', () => {
  it.each([500, 4_000, 20_000])('every acknowledged seq survives SIGKILL after %i acks', async (killAfterAcks) => {
    const acked = await runAndKill(killAfterAcks);
    expect(acked.length).toBeGreaterThanOrEqual(killAfterAcks);

    const journal = Journal.open(path);
    try {
      const maxAcked = Math.max(...acked);
      // Committed-but-unprinted events may exist past the last ack; nothing acknowledged may be missing.
      expect(journal.lastSeq()).toBeGreaterThanOrEqual(maxAcked);
      const groups = new Map<number, { size: number; found: number }>(); // keyed by the group's first seq
      let expectedSeq = 1;
      for (const e of journal.readAll()) {
        expect(e.seq).toBe(expectedSeq++);
        const data = e.data as { n: number; groupSize?: number; i?: number };
        expect(data.n).toBe(e.seq - 1);
        if (e.type === 'group') {
          const first = e.seq - (data.i as number);
          const g = groups.get(first) ?? { size: data.groupSize as number, found: 0 };
          g.found++;
          groups.set(first, g);
        }
      }
      expect(expectedSeq - 1).toBe(journal.lastSeq());
      // appendMany is atomic: a group is on disk whole or not at all, even when the kill hit its commit.
      for (const [first, g] of groups) expect({ first, found: g.found }).toEqual({ first, found: g.size });
      // Acked seqs are unique, so all are present when the gap-free prefix reaches the largest one.
      expect(new Set(acked).size).toBe(acked.length);
      // The journal is writable again after recovery.
      expect((await journal.append('after-crash', {})).seq).toBe(journal.lastSeq());
      // Bursts of more than 64 events lift the insert guard inside their transaction; a kill inside one must
      // leave it in place (open() checks it too). Another connection still cannot leave a hole.
      const other = new Database(path);
      try {
        expect(() => other.exec(`INSERT INTO events VALUES (${journal.lastSeq() + 2}, 0, 't', '{}')`)).toThrow(/MAX\(seq\) \+ 1/);
      } finally {
        other.close();
      }
    } finally {
      journal.close();
    }
  });
});
