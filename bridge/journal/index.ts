export { Journal, MAX_AUDIT_PAGE } from './journal.js';
export type { AuditEntry, AuditRecord, JournalEvent, JournalOptions, JournalStats, NewJournalEvent } from './journal.js';
export { JournalError } from './errors.js';
export type { JournalErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './schema.js';
