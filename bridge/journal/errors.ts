/**
 * One error class with a machine-readable code, so callers can map journal failures to
 * responses (BACKPRESSURE → "retry later", INVALID → 400 naming the field) without string matching.
 */
export type JournalErrorCode =
  | 'INVALID' // the caller passed something that cannot be journaled; only that call fails
  | 'BACKPRESSURE' // the queue is full; the disk is not keeping up
  | 'COMMIT_FAILED' // the transaction holding this event rolled back; nothing of it is on disk
  | 'CLOSED' // the journal was closed
  | 'CORRUPT' // a stored row cannot be decoded
  | 'SCHEMA'; // the database is not a journal this build can open

export class JournalError extends Error {
  override readonly name = 'JournalError';

  constructor(
    readonly code: JournalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
