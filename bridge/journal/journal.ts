/**
 * Order journal (PRODUCT.md §7 "journal", §8 audit trail): every order event, fill and cash movement, and
 * every audited action, is committed to SQLite with an fsync before the caller's promise resolves.
 *
 * Group commit: better-sqlite3 is synchronous, so one fsync per event would cap us at ~3,000 events/s
 * on this disk. Appends are queued and everything queued in one event-loop turn is written in one
 * transaction on `setImmediate`. A timer would add its whole period to a lone event's latency; an
 * immediate runs as soon as the current turn ends, so a lone event waits only for its own fsync.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { JournalError } from './errors.js';
import { EVENTS_INSERT_GUARD, GUARDS, ensureSchema } from './schema.js';

const PRIVATE_FILE_MODE = 0o600;

export interface JournalEvent {
  seq: number;
  timeMs: number;
  type: string;
  data: unknown;
}

export interface NewJournalEvent {
  type: string;
  data: unknown;
  timeMs?: number;
}

export interface AuditEntry {
  actor: string;
  role: string;
  action: string;
  target?: string;
  details?: unknown;
  ip?: string;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  timeMs: number;
}

export interface JournalOptions {
  /** Most events written in one transaction (default 10,000); bounds the event-loop stall of one commit. */
  maxBatchEvents?: number;
  /** Most events waiting to commit (default 1,000,000); beyond it appends reject with BACKPRESSURE. */
  maxQueuedEvents?: number;
}

export interface JournalStats {
  /** Transactions committed since open; with group commit this is far below committedEvents. */
  commits: number;
  committedEvents: number;
  failedCommits: number;
  queuedEvents: number;
}

const DEFAULT_MAX_BATCH_EVENTS = 10_000;
/** Rows per multi-row INSERT (4 parameters each, well under SQLite's 32,766). */
const INSERT_CHUNK_ROWS = 64;
/**
 * Event rows from which a batch lifts the per-row insert guard inside its transaction (schema.ts). Dropping and
 * re-creating the trigger costs about 20 µs per commit and the trigger about 0.4 µs per row, so below a chunk's
 * worth of rows the trigger is as cheap, and a lone append keeps it.
 */
const LIFT_GUARD_MIN_ROWS = INSERT_CHUNK_ROWS;
const DROP_EVENTS_INSERT_GUARD = `DROP TRIGGER ${EVENTS_INSERT_GUARD}`;
const CREATE_EVENTS_INSERT_GUARD = GUARDS[EVENTS_INSERT_GUARD];
const DEFAULT_MAX_QUEUED_EVENTS = 1_000_000;
/** A page of the audit trail is read with `.all()`, so its size is capped. */
export const MAX_AUDIT_PAGE = 10_000;
/**
 * Lock waits block the event loop (better-sqlite3 is synchronous). The journal is the only writer, so a
 * held lock means someone else is in the file; failing that batch fast beats stalling the bridge past
 * the 50 ms event-loop bar of §7.
 */
const BUSY_TIMEOUT_MS = 50;

/** An event validated and serialised at append time, so one caller's bad data cannot fail a shared batch. */
interface EncodedEvent {
  type: string;
  timeMs: number;
  json: string;
  data: unknown;
}

interface EncodedAudit {
  timeMs: number;
  entry: AuditEntry;
  detailsJson: string | null;
}

/** Seqs are filled in inside the transaction; they mean nothing unless it commits. */
type Pending =
  | { kind: 'event'; event: EncodedEvent; seq: number; resolve: (e: JournalEvent) => void; reject: (e: Error) => void }
  | { kind: 'group'; events: EncodedEvent[]; firstSeq: number; resolve: (e: JournalEvent[]) => void; reject: (e: Error) => void }
  | { kind: 'audit'; audit: EncodedAudit; seq: number; resolve: (r: AuditRecord) => void; reject: (e: Error) => void };

interface Batch {
  items: Pending[];
  /** Rows (events and audit entries) in this batch; never above maxBatchEvents. */
  rows: number;
  /** Event rows alone; they decide whether the batch lifts the per-row insert guard. */
  eventRows: number;
}

interface EventRow {
  seq: number;
  time_ms: number;
  type: string;
  data: string;
}

interface AuditRow {
  seq: number;
  time_ms: number;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  details: string | null;
  ip: string | null;
}

/** A streaming read on its own connection; tracked so close() can end it. */
interface OpenReader {
  db: Database.Database;
  rows: IterableIterator<EventRow>;
  endedByClose: boolean;
}

export class Journal {
  private readonly insertEvent: Database.Statement<[number, number, string, string]>;
  private readonly insertChunk: Database.Statement<unknown[]>;
  /** Reused argument array of insertChunk (seq, time_ms, type, data per row). */
  private readonly chunkArgs: Array<number | string>;
  private readonly insertAudit: Database.Statement<
    [number, number, string, string, string, string | null, string | null, string | null]
  >;
  private readonly maxEventSeq: Database.Statement<[], number>;
  private readonly maxAuditSeq: Database.Statement<[], number>;
  private readonly writeBatch: (batch: Batch) => number;

  /** Batches are cut at enqueue time so a flush is a shift, not a scan of up to maxQueuedEvents items. */
  private readonly batches: Batch[] = [];
  private queuedRows = 0;
  private flushHandle: NodeJS.Immediate | undefined;
  private readonly readers = new Set<OpenReader>();
  private committedSeq: number;
  private closed = false;
  private commits = 0;
  private committedEvents = 0;
  private failedCommits = 0;

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly maxBatchEvents: number,
    private readonly maxQueuedEvents: number,
  ) {
    this.insertEvent = db.prepare('INSERT INTO events (seq, time_ms, type, data) VALUES (?, ?, ?, ?)');
    this.insertChunk = db.prepare(`INSERT INTO events (seq, time_ms, type, data) VALUES ${Array(INSERT_CHUNK_ROWS).fill('(?, ?, ?, ?)').join(', ')}`);
    this.chunkArgs = new Array(INSERT_CHUNK_ROWS * 4);
    this.insertAudit = db.prepare(
      'INSERT INTO audit (seq, time_ms, actor, role, action, target, details, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.maxEventSeq = db.prepare<[], number>('SELECT COALESCE(MAX(seq), 0) FROM events').pluck();
    this.maxAuditSeq = db.prepare<[], number>('SELECT COALESCE(MAX(seq), 0) FROM audit').pluck();
    this.committedSeq = this.maxEventSeq.get() ?? 0;

    const tx = db.transaction((batch: Batch) => this.insertItems(batch));
    // IMMEDIATE takes the write lock before MAX(seq) is read, so the seqs we hand out cannot race.
    this.writeBatch = (batch) => tx.immediate(batch);
  }

  static open(path: string, opts: JournalOptions = {}): Journal {
    const maxBatchEvents = positiveInt(opts.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS, 'maxBatchEvents');
    const maxQueuedEvents = positiveInt(opts.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS, 'maxQueuedEvents');
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Orders and fills are client data: owner-only. SQLite gives -wal and -shm the database file's mode.
    // (':memory:' and '' are not files; opening them fails the WAL check below.)
    if (path !== ':memory:' && path !== '') {
      closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, PRIVATE_FILE_MODE);
    }
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new JournalError('SCHEMA', `${path}: journal needs a file on disk in WAL mode (got journal_mode=${String(mode)})`);
      }
      // FULL makes every WAL commit an fsync: an acknowledged event survives power loss, not just a crash.
      db.pragma('synchronous = FULL');
      ensureSchema(db, path);
      return new Journal(db, path, maxBatchEvents, maxQueuedEvents);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Resolves once the transaction holding the event has committed (fsync'd). `data` is serialised to JSON
   * now, so later mutation cannot change what is written; the resolved event carries the caller's object.
   */
  append(type: string, data: unknown, timeMs?: number): Promise<JournalEvent> {
    let event: EncodedEvent;
    try {
      event = encodeEvent({ type, data, timeMs }, 'append');
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'event', event, seq: 0, resolve, reject }, 1, 1);
    });
  }

  /** All events land in one transaction with consecutive seqs, or none do. */
  appendMany(events: NewJournalEvent[]): Promise<JournalEvent[]> {
    let encoded: EncodedEvent[];
    try {
      if (!Array.isArray(events)) throw new JournalError('INVALID', 'appendMany: events must be an array');
      if (events.length > this.maxBatchEvents) {
        throw new JournalError(
          'INVALID',
          `appendMany: ${events.length} events exceed maxBatchEvents (${this.maxBatchEvents}), the most one transaction holds`,
        );
      }
      encoded = events.map((e, i) => encodeEvent(e, `appendMany[${i}]`));
    } catch (err) {
      return Promise.reject(err);
    }
    if (encoded.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'group', events: encoded, firstSeq: 0, resolve, reject }, encoded.length, encoded.length);
    });
  }

  /** Appends to the audit trail in the same group commit as events; resolves once it is durable. */
  audit(entry: AuditEntry): Promise<AuditRecord> {
    let audit: EncodedAudit;
    try {
      audit = encodeAudit(entry);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'audit', audit, seq: 0, resolve, reject }, 1, 0);
    });
  }

  /** Every committed event in seq order, streamed so memory stays flat however long the journal is. */
  readAll(): IterableIterator<JournalEvent> {
    return this.readFrom(1);
  }

  /**
   * Committed events with seq >= fromSeq, in order. Each iteration reads a snapshot on its own
   * read-only connection: the writer connection must never be left busy by a paused iterator, or the
   * next group commit would fail.
   */
  readFrom(fromSeq: number): IterableIterator<JournalEvent> {
    if (!Number.isSafeInteger(fromSeq)) {
      throw new JournalError('INVALID', `readFrom: seq must be an integer, got ${String(fromSeq)}`);
    }
    return this.streamEvents(fromSeq);
  }

  /**
   * Audit entries in ascending seq. With sinceSeq: the first `limit` entries after it (for tailing);
   * without: the latest `limit` entries.
   */
  readAudit(query: { limit: number; sinceSeq?: number }): AuditRecord[] {
    this.assertOpen('readAudit');
    const { limit, sinceSeq } = query;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) {
      throw new JournalError('INVALID', `readAudit: limit must be an integer 1..${MAX_AUDIT_PAGE}, got ${String(limit)}`);
    }
    if (sinceSeq !== undefined && !Number.isSafeInteger(sinceSeq)) {
      throw new JournalError('INVALID', `readAudit: sinceSeq must be an integer, got ${String(sinceSeq)}`);
    }
    const cols = 'seq, time_ms, actor, role, action, target, details, ip';
    const rows = (
      sinceSeq === undefined
        ? this.db.prepare(`SELECT * FROM (SELECT ${cols} FROM audit ORDER BY seq DESC LIMIT ?) ORDER BY seq`).all(limit)
        : this.db.prepare(`SELECT ${cols} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`).all(sinceSeq, limit)
    ) as AuditRow[];
    return rows.map(decodeAudit);
  }

  /** Highest seq this journal has seen committed (0 when empty). */
  lastSeq(): number {
    return this.committedSeq;
  }

  stats(): JournalStats {
    return {
      commits: this.commits,
      committedEvents: this.committedEvents,
      failedCommits: this.failedCommits,
      queuedEvents: this.queuedRows,
    };
  }

  /** Commits everything queued, ends open readers and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle);
    this.flushHandle = undefined;
    // Synchronous so close() also works from exit handlers, where no later turn will run.
    for (let batch = this.batches.shift(); batch !== undefined; batch = this.batches.shift()) this.commit(batch);
    for (const reader of this.readers) {
      reader.endedByClose = true;
      reader.rows.return?.();
      reader.db.close();
    }
    this.readers.clear();
    this.db.close();
  }

  private enqueue(item: Pending, rows: number, eventRows: number): void {
    if (this.closed) {
      item.reject(new JournalError('CLOSED', 'journal is closed'));
      return;
    }
    if (this.queuedRows + rows > this.maxQueuedEvents) {
      item.reject(
        new JournalError(
          'BACKPRESSURE',
          `journal queue full: ${this.queuedRows} events waiting to commit (maxQueuedEvents ${this.maxQueuedEvents}); ` +
            `the disk is not keeping up, retry later`,
        ),
      );
      return;
    }
    let batch = this.batches[this.batches.length - 1];
    if (batch === undefined || batch.rows + rows > this.maxBatchEvents) {
      batch = { items: [], rows: 0, eventRows: 0 };
      this.batches.push(batch);
    }
    batch.items.push(item);
    batch.rows += rows;
    batch.eventRows += eventRows;
    this.queuedRows += rows;
    this.flushHandle ??= setImmediate(this.flushOne);
  }

  /** One batch per loop iteration, so a backlog never blocks the event loop for more than one commit. */
  private readonly flushOne = (): void => {
    this.flushHandle = undefined;
    const batch = this.batches.shift();
    if (batch !== undefined) this.commit(batch);
    if (this.batches.length > 0) this.flushHandle = setImmediate(this.flushOne);
  };

  private commit(batch: Batch): void {
    this.queuedRows -= batch.rows;
    let lastSeq: number;
    try {
      lastSeq = this.writeBatch(batch);
    } catch (err) {
      this.failedCommits++;
      const error = new JournalError(
        'COMMIT_FAILED',
        `journal commit of ${batch.rows} events failed and was rolled back: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
      for (const item of batch.items) item.reject(error);
      return;
    }
    this.committedSeq = lastSeq;
    this.commits++;
    this.committedEvents += batch.rows;
    for (const item of batch.items) {
      switch (item.kind) {
        case 'event':
          item.resolve(toJournalEvent(item.seq, item.event));
          break;
        case 'group':
          item.resolve(item.events.map((e, i) => toJournalEvent(item.firstSeq + i, e)));
          break;
        case 'audit':
          item.resolve({ seq: item.seq, timeMs: item.audit.timeMs, ...item.audit.entry });
          break;
      }
    }
  }

  /**
   * Runs inside the transaction. Seqs start from MAX(seq) on disk, not from a counter in memory: a
   * rolled-back batch then leaves no hole, and a commit that failed after reaching the disk (an fsync
   * error) cannot make us reuse its seqs.
   *
   * A batch of LIFT_GUARD_MIN_ROWS events or more writes them with the per-row insert guard lifted (schema.ts):
   * it drops the trigger, inserts, checks that its rows end at MAX(seq) — seq being the primary key and every
   * seq up to the first one already taken, that makes them exactly first..last, no hole, nothing replaced —
   * and re-creates the trigger, all in this transaction. Whatever throws on the way rolls the whole batch back,
   * the dropped trigger included; other connections never see the file without it.
   */
  private insertItems(batch: Batch): number {
    const first = (this.maxEventSeq.get() ?? 0) + 1;
    let seq = first - 1;
    const liftGuard = batch.eventRows >= LIFT_GUARD_MIN_ROWS;
    if (liftGuard) this.db.exec(DROP_EVENTS_INSERT_GUARD);
    let auditSeq: number | undefined;
    // Event rows go out INSERT_CHUNK_ROWS at a time: one statement step per chunk instead of per row
    // is most of what separated the journal from a bare insert loop (each run() crosses into native code).
    // The chunk is bound as spread arguments: better-sqlite3 reads those directly, and an array element by
    // element through property lookups (about 0.07 µs a row of the chunk).
    const args = this.chunkArgs;
    let filled = 0;
    const add = (e: EncodedEvent): void => {
      args[filled++] = ++seq;
      args[filled++] = e.timeMs;
      args[filled++] = e.type;
      args[filled++] = e.json;
      if (filled === args.length) {
        this.insertChunk.run(...args);
        filled = 0;
      }
    };
    for (const item of batch.items) {
      switch (item.kind) {
        case 'event': {
          add(item.event);
          item.seq = seq;
          break;
        }
        case 'group':
          item.firstSeq = seq + 1;
          for (const e of item.events) add(e);
          break;
        case 'audit': {
          auditSeq ??= this.maxAuditSeq.get() ?? 0;
          const { timeMs, entry, detailsJson } = item.audit;
          item.seq = ++auditSeq;
          this.insertAudit.run(
            auditSeq, timeMs, entry.actor, entry.role, entry.action, entry.target ?? null, detailsJson, entry.ip ?? null,
          );
          break;
        }
      }
    }
    for (let i = 0; i < filled; i += 4) this.insertEvent.run(args[i] as number, args[i + 1] as number, args[i + 2] as string, args[i + 3] as string);
    if (liftGuard) {
      const last = this.maxEventSeq.get();
      if (last !== seq || seq - first + 1 !== batch.eventRows) {
        throw new JournalError(
          'COMMIT_FAILED',
          `gap-free check: a batch of ${batch.eventRows} events wrote seqs ${first}..${seq} but MAX(seq) is ${String(last)}`,
        );
      }
      this.db.exec(CREATE_EVENTS_INSERT_GUARD);
    }
    return seq;
  }

  private *streamEvents(fromSeq: number): Generator<JournalEvent, void, undefined> {
    this.assertOpen('readFrom');
    const db = new Database(this.path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    const reader: OpenReader = {
      db,
      rows: db.prepare<[number], EventRow>('SELECT seq, time_ms, type, data FROM events WHERE seq >= ? ORDER BY seq').iterate(fromSeq),
      endedByClose: false,
    };
    this.readers.add(reader);
    try {
      for (const row of reader.rows) yield decodeEvent(row);
      // A closed statement just reports "done"; the reader must not mistake that for the end of the journal.
      if (reader.endedByClose) throw new JournalError('CLOSED', 'journal was closed while it was being read');
    } finally {
      this.readers.delete(reader);
      db.close();
    }
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new JournalError('CLOSED', `${what}: journal is closed`);
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new JournalError('INVALID', `Journal.open: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function encodeEvent(e: NewJournalEvent, where: string): EncodedEvent {
  if (typeof e !== 'object' || e === null) throw new JournalError('INVALID', `${where}: event must be an object`);
  const { type, data, timeMs = Date.now() } = e;
  if (typeof type !== 'string' || type.length === 0) {
    throw new JournalError('INVALID', `${where}: type must be a non-empty string`);
  }
  if (!Number.isSafeInteger(timeMs)) {
    throw new JournalError('INVALID', `${where} (${type}): timeMs must be an integer of epoch milliseconds, got ${String(timeMs)}`);
  }
  return { type, timeMs, json: toJson(data, `${where} (${type}): data`), data };
}

function encodeAudit(entry: AuditEntry): EncodedAudit {
  if (typeof entry !== 'object' || entry === null) throw new JournalError('INVALID', 'audit: entry must be an object');
  for (const field of ['actor', 'role', 'action'] as const) {
    const v = entry[field];
    if (typeof v !== 'string' || v.length === 0) throw new JournalError('INVALID', `audit: ${field} must be a non-empty string`);
  }
  for (const field of ['target', 'ip'] as const) {
    const v = entry[field];
    if (v !== undefined && typeof v !== 'string') throw new JournalError('INVALID', `audit: ${field} must be a string when given`);
  }
  const detailsJson = entry.details === undefined ? null : toJson(entry.details, 'audit: details');
  // Copied so a caller mutating its object after the call cannot change what the promise reports.
  const copy: AuditEntry = { actor: entry.actor, role: entry.role, action: entry.action };
  if (entry.target !== undefined) copy.target = entry.target;
  if (entry.details !== undefined) copy.details = entry.details;
  if (entry.ip !== undefined) copy.ip = entry.ip;
  return { timeMs: Date.now(), entry: copy, detailsJson };
}

function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new JournalError('INVALID', `${what} is not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (json === undefined) throw new JournalError('INVALID', `${what} must be a JSON value, got ${typeof value}`);
  return json;
}

function toJournalEvent(seq: number, e: EncodedEvent): JournalEvent {
  return { seq, timeMs: e.timeMs, type: e.type, data: e.data };
}

function decodeEvent(row: EventRow): JournalEvent {
  return { seq: row.seq, timeMs: row.time_ms, type: row.type, data: parseStored(row.data, `journal event seq ${row.seq} (${row.type})`) };
}

function decodeAudit(row: AuditRow): AuditRecord {
  const rec: AuditRecord = { seq: row.seq, timeMs: row.time_ms, actor: row.actor, role: row.role, action: row.action };
  if (row.target !== null) rec.target = row.target;
  if (row.details !== null) rec.details = parseStored(row.details, `audit seq ${row.seq}`);
  if (row.ip !== null) rec.ip = row.ip;
  return rec;
}

function parseStored(json: string, what: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new JournalError('CORRUPT', `${what}: stored data is not valid JSON (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
}
