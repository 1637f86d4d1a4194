import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, JournalError, MAX_AUDIT_PAGE, SCHEMA_VERSION, type JournalEvent } from '../../bridge/journal/index.js';
import { SCHEMA_AS_WRITTEN_BY_AE78FE9 } from './fixtures/schema-ae78fe9.js';
import { nextTurn, tempJournalPath } from './helpers.js';

let path: string;
let cleanup: () => void;
const toClose: Array<{ close(): unknown }> = [];

beforeEach(() => {
  ({ path, cleanup } = tempJournalPath());
});

afterEach(() => {
  for (const c of toClose.splice(0)) c.close();
  cleanup();
});

function open(opts?: Parameters<typeof Journal.open>[1]): Journal {
  const j = Journal.open(path, opts);
  toClose.push(j);
  return j;
}

/** A second, plain connection to the same file: what an operator or another process would see. */
function raw(): Database.Database {
  const db = new Database(path);
  toClose.push(db);
  return db;
}

/**
 * A plain connection set up like the sqlite3 shell: recursive_triggers off (better-sqlite3 builds it on), so
 * INSERT OR REPLACE deletes the old row without firing the DELETE trigger and only the insert guard stands.
 */
function shell(): Database.Database {
  const db = raw();
  db.pragma('recursive_triggers = OFF');
  return db;
}

/** The stored text of every trigger on the file, by name. */
function triggers(): Record<string, string> {
  const rows = raw().prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all() as Array<{ name: string; sql: string }>;
  return Object.fromEntries(rows.map((r) => [r.name, r.sql]));
}

/** Every refusal of the append-only guards, run from a shell-like connection against a journal whose last seq is `last`. */
function expectAppendOnly(last: number): void {
  const db = shell();
  expect(() => db.exec(`UPDATE events SET data = '2' WHERE seq = 1`)).toThrow(/append-only: UPDATE refused/);
  expect(() => db.exec(`DELETE FROM events WHERE seq = ${last}`)).toThrow(/append-only: DELETE refused/);
  expect(() => db.exec(`INSERT OR REPLACE INTO events VALUES (1, 0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
  expect(() => db.exec(`INSERT OR REPLACE INTO events VALUES (${last}, 0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
  expect(() => db.exec(`REPLACE INTO events VALUES (${last}, 0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
  expect(() => db.exec(`INSERT INTO events VALUES (${last + 2}, 0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
  expect(() => db.exec(`INSERT INTO events (time_ms, type, data) VALUES (0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
  expect(db.prepare('SELECT COUNT(*) AS n, MAX(seq) AS m FROM events').get()).toEqual({ n: last, m: last });
}

async function rejectionOf(p: Promise<unknown>): Promise<JournalError> {
  const r = await Promise.allSettled([p]);
  if (r[0].status !== 'rejected') throw new Error('expected the promise to reject');
  expect(r[0].reason).toBeInstanceOf(JournalError);
  return r[0].reason as JournalError;
}

function expectCode(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a JournalError');
}

describe('durability', () => {
  it('an acknowledged event is committed before the promise resolves, and survives reopen', async () => {
    const j = open();
    const ev = await j.append('order.new', { orderId: 'A1', qty: 100 }, 1_700_000_000_000);
    // Read through an independent connection in the same tick as the acknowledgement.
    const row = raw().prepare('SELECT seq, time_ms, type, data FROM events WHERE seq = ?').get(ev.seq);
    expect(row).toEqual({ seq: 1, time_ms: 1_700_000_000_000, type: 'order.new', data: '{"orderId":"A1","qty":100}' });

    j.close();
    const again = open();
    expect([...again.readAll()]).toEqual([{ seq: 1, timeMs: 1_700_000_000_000, type: 'order.new', data: { orderId: 'A1', qty: 100 } }]);
    expect(again.lastSeq()).toBe(1);
  });

  it('opens in WAL mode', () => {
    open();
    expect(raw().pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('close() commits what is still queued', async () => {
    const j = open();
    const pending = [j.append('a', 1), j.append('b', 2), j.appendMany([{ type: 'c', data: 3 }])];
    j.close();
    await Promise.all(pending);
    const again = open();
    expect([...again.readAll()].map((e) => e.type)).toEqual(['a', 'b', 'c']);
  });

  it('rejects use after close with CLOSED', async () => {
    const j = open();
    j.close();
    j.close(); // idempotent
    expect((await rejectionOf(j.append('x', 1))).code).toBe('CLOSED');
    expect((await rejectionOf(j.audit({ actor: 'a', role: 'admin', action: 'x' }))).code).toBe('CLOSED');
    expectCode(() => j.readAll().next(), 'CLOSED', /closed/);
    expectCode(() => j.readAudit({ limit: 1 }), 'CLOSED', /closed/);
  });
});

describe('ordering and seq', () => {
  it('assigns consecutive seqs in call order across turns, gap-free on disk', async () => {
    const j = open();
    const first = await Promise.all(Array.from({ length: 50 }, (_, i) => j.append('t', { i })));
    const lone = await j.append('t', { i: 50 });
    const second = await j.appendMany(Array.from({ length: 10 }, (_, i) => ({ type: 't', data: { i: 51 + i } })));
    const all = [...first, lone, ...second];
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    const onDisk = [...j.readAll()];
    expect(onDisk.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(onDisk.map((e) => (e.data as { i: number }).i)).toEqual(all.map((_, i) => i));
    expect(j.lastSeq()).toBe(61);
  });

  it('continues numbering after reopen', async () => {
    const j = open();
    await Promise.all([j.append('a', 1), j.append('b', 2)]);
    j.close();
    const again = open();
    expect(again.lastSeq()).toBe(2);
    expect((await again.append('c', 3)).seq).toBe(3);
  });

  it('readFrom(seq) is inclusive and streams the rest', async () => {
    const j = open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => j.append('t', i)));
    expect([...j.readFrom(18)].map((e) => e.seq)).toEqual([18, 19, 20]);
    expect([...j.readFrom(21)]).toEqual([]);
    expectCode(() => j.readFrom(1.5), 'INVALID', /readFrom: seq must be an integer/);
  });
});

describe('group commit', () => {
  it('writes every append of one event-loop turn in one transaction', async () => {
    const j = open();
    const before = j.stats().commits;
    const acks = Array.from({ length: 5_000 }, (_, i) => j.append('t', { i }));
    await Promise.all([...acks, j.audit({ actor: 'ana', role: 'trader', action: 'order.new', target: 'A1' })]);
    expect(j.stats().commits - before).toBe(1);
    expect(j.stats().committedEvents).toBe(5_001);
  });

  it('gives each lone append its own transaction', async () => {
    const j = open();
    for (let i = 0; i < 10; i++) await j.append('t', i);
    expect(j.stats().commits).toBe(10);
  });

  it('splits a large turn at maxBatchEvents, one batch per loop iteration, keeping order', async () => {
    const j = open({ maxBatchEvents: 100 });
    const events = await Promise.all(Array.from({ length: 1_050 }, (_, i) => j.append('t', i)));
    expect(j.stats().commits).toBe(11);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 1_050 }, (_, i) => i + 1));
  });

  it('yields the event loop between batches of a backlog', async () => {
    const j = open({ maxBatchEvents: 100 });
    const acks = Array.from({ length: 1_000 }, (_, i) => j.append('t', i));
    await nextTurn();
    // Only the first batch can have been written by the time another macrotask runs.
    expect(j.stats().commits).toBe(1);
    expect(j.stats().queuedEvents).toBe(900);
    await Promise.all(acks);
    expect(j.stats().queuedEvents).toBe(0);
  });

  it('never splits an appendMany group across transactions', async () => {
    const j = open({ maxBatchEvents: 10 });
    const singles = Array.from({ length: 7 }, (_, i) => j.append('single', i));
    const group = j.appendMany(Array.from({ length: 5 }, (_, i) => ({ type: 'group', data: i })));
    await Promise.all([...singles, group]);
    expect(j.stats().commits).toBe(2);
    expect((await group).map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
  });
});

describe('failed commits', () => {
  it('rejects every append of the failed batch, writes none of it, and stays usable and gap-free', async () => {
    const j = open();
    await j.append('ok', 0);
    // A trigger added by another connection stands in for a commit-time failure (disk full, I/O error).
    raw().exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'poison'
                BEGIN SELECT RAISE(ABORT, 'poisoned by test'); END`);
    const batch = [j.append('ok', 1), j.append('poison', 2), j.audit({ actor: 'a', role: 'admin', action: 'x' }), j.append('ok', 3)];
    const results = await Promise.allSettled(batch);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as JournalError;
      expect(err.code).toBe('COMMIT_FAILED');
      expect(err.message).toMatch(/poisoned by test/);
    }
    expect(j.stats().failedCommits).toBe(1);
    expect(j.lastSeq()).toBe(1);
    expect(j.readAudit({ limit: 10 })).toEqual([]);

    const next = await j.append('ok', 4);
    expect(next.seq).toBe(2);
    expect([...j.readAll()].map((e) => [e.seq, e.data])).toEqual([
      [1, 0],
      [2, 4],
    ]);
  });

  it('fails fast (not a long event-loop stall) while another connection holds the write lock, then recovers', async () => {
    const j = open();
    const other = raw();
    other.exec('BEGIN IMMEDIATE');
    const t0 = performance.now();
    const err = await rejectionOf(j.append('t', 1));
    expect(err.code).toBe('COMMIT_FAILED');
    expect(err.message).toMatch(/locked|busy/i);
    expect(performance.now() - t0).toBeLessThan(1_000);
    other.exec('ROLLBACK');
    expect((await j.append('t', 2)).seq).toBe(1);
  });
});

describe('appendMany', () => {
  it('is all-or-nothing', async () => {
    const j = open();
    raw().exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'poison'
                BEGIN SELECT RAISE(ABORT, 'poisoned by test'); END`);
    const err = await rejectionOf(
      j.appendMany([
        { type: 'boleta.row', data: { row: 1 } },
        { type: 'poison', data: { row: 2 } },
        { type: 'boleta.row', data: { row: 3 } },
      ]),
    );
    expect(err.code).toBe('COMMIT_FAILED');
    expect([...j.readAll()]).toEqual([]);
    const ok = await j.appendMany([
      { type: 'boleta.row', data: { row: 1 }, timeMs: 5 },
      { type: 'boleta.row', data: { row: 2 }, timeMs: 5 },
    ]);
    expect(ok).toEqual([
      { seq: 1, timeMs: 5, type: 'boleta.row', data: { row: 1 } },
      { seq: 2, timeMs: 5, type: 'boleta.row', data: { row: 2 } },
    ]);
  });

  it('rejects a bad row naming its index, without touching other appends of the turn', async () => {
    const j = open();
    const good = j.append('t', 'before');
    const bad = j.appendMany([{ type: 't', data: 1 }, { type: '', data: 2 }]);
    const alsoGood = j.append('t', 'after');
    const err = await rejectionOf(bad);
    expect(err.code).toBe('INVALID');
    expect(err.message).toMatch(/appendMany\[1\]: type must be a non-empty string/);
    expect((await good).seq).toBe(1);
    expect((await alsoGood).seq).toBe(2);
  });

  it('refuses a group larger than one transaction may hold, and accepts an empty one', async () => {
    const j = open({ maxBatchEvents: 3 });
    const err = await rejectionOf(j.appendMany(Array.from({ length: 4 }, () => ({ type: 't', data: 0 }))));
    expect(err.message).toMatch(/4 events exceed maxBatchEvents \(3\)/);
    expect(await j.appendMany([])).toEqual([]);
  });
});

describe('input validation', () => {
  it('rejects unjournalable input per call with a clear message', async () => {
    const j = open();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: Array<[Promise<unknown>, RegExp]> = [
      [j.append('', 1), /append: type must be a non-empty string/],
      [j.append('t', undefined), /append \(t\): data must be a JSON value, got undefined/],
      [j.append('t', 10n), /append \(t\): data is not JSON-serialisable/],
      [j.append('t', circular), /append \(t\): data is not JSON-serialisable/],
      [j.append('t', 1, 1.5), /timeMs must be an integer/],
      [j.audit({ actor: '', role: 'admin', action: 'x' }), /audit: actor must be a non-empty string/],
      [j.audit({ actor: 'a', role: 'admin', action: 'x', ip: 7 as unknown as string }), /audit: ip must be a string/],
      [j.appendMany('nope' as never), /appendMany: events must be an array/],
    ];
    const ok = j.append('t', 'fine');
    for (const [p, message] of cases) {
      const err = await rejectionOf(p);
      expect(err.code).toBe('INVALID');
      expect(err.message).toMatch(message);
    }
    expect((await ok).seq).toBe(1);
  });

  it('validates open options', () => {
    expectCode(() => Journal.open(path, { maxBatchEvents: 0 }), 'INVALID', /maxBatchEvents must be a positive integer/);
    expectCode(() => Journal.open(path, { maxQueuedEvents: 2.5 }), 'INVALID', /maxQueuedEvents must be a positive integer/);
  });
});

describe('backpressure', () => {
  it('rejects appends beyond maxQueuedEvents with BACKPRESSURE and accepts again once drained', async () => {
    const j = open({ maxQueuedEvents: 10 });
    const accepted = Array.from({ length: 10 }, (_, i) => j.append('t', i));
    const err = await rejectionOf(j.append('t', 10));
    expect(err.code).toBe('BACKPRESSURE');
    expect(err.message).toMatch(/journal queue full: 10 events waiting to commit \(maxQueuedEvents 10\)/);
    expect((await rejectionOf(j.appendMany([{ type: 't', data: 0 }]))).code).toBe('BACKPRESSURE');
    expect((await rejectionOf(j.audit({ actor: 'a', role: 'admin', action: 'x' }))).code).toBe('BACKPRESSURE');
    await Promise.all(accepted);
    expect((await j.append('t', 11)).seq).toBe(11);
    expect(j.lastSeq()).toBe(11);
  });
});

describe('append-only at the SQL level', () => {
  it('refuses UPDATE, DELETE, REPLACE and seq gaps on events and audit', async () => {
    const j = open();
    await Promise.all([j.append('t', 1), j.audit({ actor: 'a', role: 'admin', action: 'x' })]);
    const db = raw();
    expect(() => db.exec(`UPDATE events SET data = '2' WHERE seq = 1`)).toThrow(/append-only: UPDATE refused/);
    expect(() => db.exec('DELETE FROM events')).toThrow(/append-only: DELETE refused/);
    expect(() => db.exec(`UPDATE audit SET actor = 'b'`)).toThrow(/append-only: UPDATE refused/);
    expect(() => db.exec('DELETE FROM audit')).toThrow(/append-only: DELETE refused/);
    expect(() => db.exec(`INSERT OR REPLACE INTO events VALUES (1, 0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
    expect(() => db.exec(`INSERT INTO events VALUES (5, 0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
    expect(() => db.exec(`INSERT INTO events (time_ms, type, data) VALUES (0, 't', '9')`)).toThrow(/MAX\(seq\) \+ 1/);
    expect(() => db.exec(`INSERT OR REPLACE INTO audit VALUES (1, 0, 'b', 'admin', 'x', NULL, NULL, NULL)`)).toThrow(/MAX\(seq\) \+ 1/);
    expect([...j.readAll()]).toEqual([expect.objectContaining({ seq: 1, data: 1 })]);
    expect(j.readAudit({ limit: 5 })).toEqual([expect.objectContaining({ seq: 1, actor: 'a' })]);
  });

  it('refuses the same from a shell-like connection, which does not fire the DELETE trigger on REPLACE', async () => {
    const j = open();
    await Promise.all([j.append('t', 1), j.append('t', 2)]);
    expectAppendOnly(2);
  });

  it('a large batch lifts the insert guard only inside its own transaction: after it, every refusal stands', async () => {
    const j = open();
    const schemaVersion = (): number => raw().pragma('schema_version', { simple: true }) as number;
    const before = triggers();
    await j.append('lone', 0);
    const v0 = schemaVersion();
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => j.append('t', { i })));
    // The schema cookie moved: the batch dropped and re-created the trigger (a lone append does not).
    const v1 = schemaVersion();
    expect(v1).toBeGreaterThan(v0);
    await j.append('lone', 1);
    expect(schemaVersion()).toBe(v1);
    // Re-created with the very text the file had, so the file is as before to every other connection.
    expect(triggers()).toEqual(before);
    expectAppendOnly(1_002);
    const all = [...j.readAll()];
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 1_002 }, (_, i) => i + 1));
    expect(all[500]).toMatchObject({ seq: 501, type: 't', data: { i: 499 } });
  });

  it('a large batch that fails rolls back whole, its lifted guard included', async () => {
    const j = open();
    await j.append('ok', 0);
    raw().exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'poison'
                BEGIN SELECT RAISE(ABORT, 'poisoned by test'); END`);
    const batch = Array.from({ length: 500 }, (_, i) => j.append(i === 300 ? 'poison' : 'ok', i + 1));
    for (const r of await Promise.allSettled(batch)) {
      expect(r.status).toBe('rejected');
      expect(((r as PromiseRejectedResult).reason as JournalError).message).toMatch(/poisoned by test/);
    }
    raw().exec('DROP TRIGGER poison');
    expect(Object.keys(triggers())).toContain('events_seq_gap_free');
    expectAppendOnly(1);
    const next = await Promise.all(Array.from({ length: 100 }, (_, i) => j.append('ok', i)));
    expect(next.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expectAppendOnly(101);
  });

  it('with the guard lifted, the batch still refuses to commit a hole (checked against MAX(seq))', async () => {
    const j = open();
    await j.append('ok', 0);
    // A trigger that slips a row far ahead of the batch: what the lifted guard would otherwise have refused.
    raw().exec(`CREATE TRIGGER smuggle AFTER INSERT ON events WHEN NEW.type = 'smuggle'
                BEGIN INSERT INTO events VALUES (NEW.seq + 1000, 0, 'smuggled', '{}'); END`);
    // A lone append keeps the per-row guard, which refuses the smuggled row itself.
    expect((await rejectionOf(j.append('smuggle', 1))).message).toMatch(/MAX\(seq\) \+ 1/);
    // A large batch lifts it; the check at the end of the batch refuses the commit instead.
    const batch = Array.from({ length: 200 }, (_, i) => j.append(i === 10 ? 'smuggle' : 'ok', i));
    for (const r of await Promise.allSettled(batch)) {
      expect(r.status).toBe('rejected');
      expect(((r as PromiseRejectedResult).reason as JournalError).message).toMatch(/gap-free check: a batch of 200 events wrote seqs 2\.\.201 but MAX\(seq\) is 1012/);
    }
    raw().exec('DROP TRIGGER smuggle');
    expect(j.lastSeq()).toBe(1);
    expectAppendOnly(1);
  });
});

describe('audit trail', () => {
  it('stores entries in the same group commit and reads the latest page or tails after a seq', async () => {
    const j = open();
    const entries = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        j.audit({ actor: `u${i}`, role: i % 2 ? 'trader' : 'admin', action: 'order.cancel', target: `ORD-${i}`, details: { i }, ip: '127.0.0.1' }),
      ),
    );
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    await j.audit({ actor: 'sys', role: 'admin', action: 'killswitch.engage' });
    expect(j.stats().commits).toBe(2);

    const latest = j.readAudit({ limit: 3 });
    expect(latest.map((e) => e.seq)).toEqual([24, 25, 26]);
    expect(latest[2]).toEqual({ seq: 26, timeMs: expect.any(Number), actor: 'sys', role: 'admin', action: 'killswitch.engage' });
    expect(latest[0]).toEqual({
      seq: 24, timeMs: entries[23].timeMs, actor: 'u23', role: 'trader', action: 'order.cancel', target: 'ORD-23', details: { i: 23 }, ip: '127.0.0.1',
    });
    expect(j.readAudit({ limit: 2, sinceSeq: 10 }).map((e) => e.seq)).toEqual([11, 12]);
    expect(j.readAudit({ limit: 100, sinceSeq: 26 })).toEqual([]);
    expectCode(() => j.readAudit({ limit: 0 }), 'INVALID', /limit must be an integer 1\.\.10000/);
    expectCode(() => j.readAudit({ limit: MAX_AUDIT_PAGE + 1 }), 'INVALID', /limit/);
    // Audit seqs are their own sequence and do not consume event seqs.
    expect((await j.append('t', 1)).seq).toBe(1);
  });
});

describe('reading', () => {
  it('throws a CORRUPT error naming the seq instead of crashing on bad stored JSON', async () => {
    const j = open();
    await Promise.all([j.append('t', 1), j.append('t', 2)]);
    raw().exec(`INSERT INTO events VALUES (3, 0, 'order.fill', 'not json{')`);
    const seen: JournalEvent[] = [];
    try {
      for (const e of j.readAll()) seen.push(e);
      throw new Error('expected readAll to throw');
    } catch (err) {
      expect(err).toBeInstanceOf(JournalError);
      expect((err as JournalError).code).toBe('CORRUPT');
      expect((err as Error).message).toMatch(/journal event seq 3 \(order\.fill\): stored data is not valid JSON/);
    }
    expect(seen.map((e) => e.seq)).toEqual([1, 2]);
    // The writer is untouched by a failed read.
    expect((await j.append('t', 4)).seq).toBe(4);
  });

  it('throws a CORRUPT error naming the audit seq on bad stored details', () => {
    const j = open();
    raw().exec(`INSERT INTO audit VALUES (1, 0, 'a', 'admin', 'x', NULL, '{oops', NULL)`);
    expectCode(() => j.readAudit({ limit: 5 }), 'CORRUPT', /audit seq 1: stored data is not valid JSON/);
  });

  it('keeps committing while a read is paused mid-stream', async () => {
    const j = open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => j.append('t', i)));
    const seqs: number[] = [];
    for (const e of j.readAll()) {
      seqs.push(e.seq);
      if (e.seq % 25 === 0) await j.append('during-read', e.seq);
    }
    // The iteration sees the snapshot taken when it started.
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(j.lastSeq()).toBe(104);
  });

  it('releases a reader that stops early, and ends one still open at close()', async () => {
    const j = open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => j.append('t', i)));
    for (const e of j.readAll()) if (e.seq === 3) break;
    const open1 = j.readFrom(1);
    expect(open1.next().value).toMatchObject({ seq: 1 });
    j.close();
    expectCode(() => open1.next(), 'CLOSED', /closed while it was being read/);
  });
});

describe('schema', () => {
  it('records its schema version in meta', () => {
    open();
    expect(raw().prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).toBe(String(SCHEMA_VERSION));
  });

  it('refuses a database with a newer schema version', () => {
    open().close();
    const db = raw();
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(SCHEMA_VERSION + 1));
    db.close();
    expectCode(() => Journal.open(path), 'SCHEMA', new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this build supports \\(${SCHEMA_VERSION}\\)`));
  });

  it('refuses a journal whose append-only triggers were dropped or altered', () => {
    open().close();
    let db = raw();
    db.exec('DROP TRIGGER events_no_delete');
    db.close();
    expectCode(() => Journal.open(path), 'SCHEMA', /append-only trigger events_no_delete is missing/);

    db = raw();
    db.exec(`CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'x'); END`);
    db.exec('DROP TRIGGER events_seq_gap_free');
    db.exec(`CREATE TRIGGER events_seq_gap_free BEFORE INSERT ON events WHEN 0 BEGIN SELECT 1; END`);
    db.close();
    expectCode(() => Journal.open(path), 'SCHEMA', /append-only trigger events_no_delete is altered/);
  });

  it('opens a journal written by an earlier build (ae78fe9), reads every event back and appends more', async () => {
    // The file as ae78fe9 made it: its schema text, WAL, and rows that went through its triggers.
    const old = raw();
    old.pragma('journal_mode = WAL');
    old.exec(SCHEMA_AS_WRITTEN_BY_AE78FE9);
    old.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '1')`).run();
    const insert = old.prepare('INSERT INTO events (seq, time_ms, type, data) VALUES (?, ?, ?, ?)');
    old.transaction(() => {
      for (let seq = 1; seq <= 3_000; seq++) insert.run(seq, 1_700_000_000_000 + seq, 'order.fill', JSON.stringify({ n: seq }));
    })();
    old.prepare(`INSERT INTO audit (seq, time_ms, actor, role, action) VALUES (1, 5, 'ana', 'admin', 'x')`).run();
    const triggersBefore = triggers();
    old.close();

    const j = open();
    expect(j.lastSeq()).toBe(3_000);
    let n = 0;
    for (const e of j.readAll()) {
      n++;
      expect(e).toEqual({ seq: n, timeMs: 1_700_000_000_000 + n, type: 'order.fill', data: { n } });
    }
    expect(n).toBe(3_000);
    // A large batch (guard lifted and re-created), a lone append (guard in place) and an audit entry.
    const batch = await Promise.all(Array.from({ length: 1_000 }, (_, i) => j.append('order.fill', { n: 3_001 + i })));
    expect(batch.map((e) => e.seq)).toEqual(Array.from({ length: 1_000 }, (_, i) => 3_001 + i));
    expect((await j.append('lone', { n: 4_001 })).seq).toBe(4_001);
    expect((await j.audit({ actor: 'ana', role: 'admin', action: 'y' })).seq).toBe(2);
    j.close();

    // The file keeps the earlier build's schema, byte for byte, so that build can still open it.
    expect(triggers()).toEqual(triggersBefore);
    expect(raw().prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).toBe('1');
    const again = open();
    expect([...again.readAll()].map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 4_001 }, (_, i) => i + 1));
    expectAppendOnly(4_001);
  });

  it('refuses a SQLite file that is not a journal, and an in-memory database', () => {
    const db = raw();
    db.exec('CREATE TABLE orders (id TEXT)');
    db.close();
    expectCode(() => Journal.open(path), 'SCHEMA', /not a BlackBox journal/);
    expectCode(() => Journal.open(':memory:'), 'SCHEMA', /needs a file on disk in WAL mode/);
  });
});
