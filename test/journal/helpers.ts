import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory per test; returns the journal path inside it and a cleanup. */
export function tempJournalPath(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'blackbox-journal-test-'));
  return { path: join(dir, 'journal.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Lets the pending group commit (a setImmediate) run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
