/**
 * Journal schema and its version check. The version lives in the `meta` table so a later build can
 * migrate an older file in place; an older build must refuse a newer file rather than misread it.
 *
 * Append-only at the SQL level: triggers refuse UPDATE and DELETE on both tables, and an INSERT whose seq is
 * not MAX(seq) + 1, which closes INSERT OR REPLACE over an existing row (REPLACE deletes the old row without
 * firing the DELETE trigger when recursive_triggers is off, as in the sqlite3 shell) and an insert that leaves
 * a hole. Any connection that writes to the file meets them.
 *
 * The insert guard on `events` is a per-row trigger, and a per-row trigger is what separated the journal from
 * a bare insert loop: SQLite runs a trigger sub-program for every row, and with one present it also copies a
 * multi-row INSERT into a temporary table first. Measured in CPU time, 1,000-row transactions of 64-row INSERTs:
 * 0.83 µs a row without it, 1.24 µs with it. Cheaper checks do not help, since running a trigger at all is the
 * cost: an empty one (WHEN 0) takes 1.09 µs, `ORDER BY seq DESC LIMIT 1` 1.24, an existence test of seq - 1
 * 1.25, a one-row head table kept by an AFTER trigger 1.30.
 *
 * So the journal's own large batches lift that one guard inside their write transaction: drop it, insert,
 * check the batch is gap-free, re-create it, commit (journal.ts, `insertItems`). DDL is transactional in
 * SQLite: no other connection can see the file without the guard, a batch that fails or is killed mid-way
 * rolls back with the guard in place, and the file on disk has it after every commit. The re-created trigger
 * is the text version 1 created, so the schema is unchanged: a file written by this build opens in an earlier
 * one and the other way round, and there is nothing to migrate.
 */
import type Database from 'better-sqlite3';
import { JournalError } from './errors.js';

export const SCHEMA_VERSION = 1;

const TABLES_V1 = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE events (
  seq     INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  type    TEXT NOT NULL,
  data    TEXT NOT NULL
) STRICT;

CREATE TABLE audit (
  seq     INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  role    TEXT NOT NULL,
  action  TEXT NOT NULL,
  target  TEXT,
  details TEXT,
  ip      TEXT
) STRICT;
`;

/** Name of the per-row insert guard on events, which the journal's large batches lift inside their transaction. */
export const EVENTS_INSERT_GUARD = 'events_seq_gap_free';

/**
 * The append-only guards, keyed by name, each exactly as SQLite stores it in sqlite_schema (the statement's
 * own text). Checked at open, so a file whose guards were dropped or altered is refused rather than trusted.
 */
export const GUARDS: Readonly<Record<string, string>> = {
  events_no_update: `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only: UPDATE refused'); END`,
  events_no_delete: `CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only: DELETE refused'); END`,
  audit_no_update: `CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: UPDATE refused'); END`,
  audit_no_delete: `CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: DELETE refused'); END`,
  [EVENTS_INSERT_GUARD]: `CREATE TRIGGER events_seq_gap_free BEFORE INSERT ON events
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM events)
BEGIN SELECT RAISE(ABORT, 'journal events.seq must be MAX(seq) + 1 (gap-free, append-only)'); END`,
  audit_seq_gap_free: `CREATE TRIGGER audit_seq_gap_free BEFORE INSERT ON audit
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit)
BEGIN SELECT RAISE(ABORT, 'audit.seq must be MAX(seq) + 1 (gap-free, append-only)'); END`,
};

const SCHEMA_V1 = TABLES_V1 + Object.values(GUARDS).map((sql) => `${sql};\n`).join('');

/** Creates the schema in an empty database, or checks that an existing one is a journal this build reads. */
export function ensureSchema(db: Database.Database, path: string): void {
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .pluck()
    .all() as string[];

  if (tables.length === 0) {
    db.transaction(() => {
      db.exec(SCHEMA_V1);
      db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    }).immediate();
    return;
  }

  if (!tables.includes('meta')) {
    throw new JournalError('SCHEMA', `${path} is not a BlackBox journal (it has tables but no meta table)`);
  }
  const raw = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
  const version = raw === undefined ? NaN : Number(raw);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new JournalError('SCHEMA', `${path}: meta.schema_version is ${JSON.stringify(raw)}, not a valid version`);
  }
  if (version > SCHEMA_VERSION) {
    throw new JournalError(
      'SCHEMA',
      `${path} has journal schema version ${version}, newer than this build supports (${SCHEMA_VERSION}); ` +
        `upgrade BlackBox instead of opening it with an older one`,
    );
  }
  // version === SCHEMA_VERSION: there is no older version to migrate from yet.
  checkGuards(db, path);
}

/** Refuses a journal whose append-only guards are missing or not the ones this build writes and re-creates. */
function checkGuards(db: Database.Database, path: string): void {
  const stored = new Map(
    (db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger'`).all() as Array<{ name: string; sql: string }>).map(
      (t) => [t.name, t.sql],
    ),
  );
  for (const [name, sql] of Object.entries(GUARDS)) {
    const found = stored.get(name);
    if (found !== sql) {
      throw new JournalError(
        'SCHEMA',
        `${path}: append-only trigger ${name} is ${found === undefined ? 'missing' : 'altered'}; ` +
          `its events cannot be trusted as written only by the journal`,
      );
    }
  }
}
