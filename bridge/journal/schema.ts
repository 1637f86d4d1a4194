/**
 * Journal schema and its version check. The version lives in the `meta` table so a later build can
 * migrate an older file in place; an older build must refuse a newer file rather than misread it.
 */
import type Database from 'better-sqlite3';
import { JournalError } from './errors.js';

export const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
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

-- Append-only at the SQL level, so a bug or a hand-run statement cannot rewrite history.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only: DELETE refused'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: DELETE refused'); END;

-- INSERT OR REPLACE deletes the old row without firing the DELETE trigger (recursive_triggers is off),
-- and a free seq would leave a hole; requiring seq = MAX(seq) + 1 closes both doors.
CREATE TRIGGER events_seq_gap_free BEFORE INSERT ON events
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM events)
BEGIN SELECT RAISE(ABORT, 'journal events.seq must be MAX(seq) + 1 (gap-free, append-only)'); END;
CREATE TRIGGER audit_seq_gap_free BEFORE INSERT ON audit
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit)
BEGIN SELECT RAISE(ABORT, 'audit.seq must be MAX(seq) + 1 (gap-free, append-only)'); END;
`;

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
}
