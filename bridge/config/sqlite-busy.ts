/**
 * Opening a SQLite file that another process opens at the same moment (two `blackbox backtest` runs
 * on one data folder, a backtest beside the bridge) can meet SQLITE_BUSY where SQLite calls no busy
 * handler: a WAL index being rebuilt, a snapshot that moved under a read about to write. Those are
 * over in milliseconds, so the setup is tried again a bounded number of times before it fails.
 */
const BUSY_RETRY_ATTEMPTS = 40;
const BUSY_RETRY_WAIT_MS = 25;

export function isSqliteBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Runs `fn`, again after a short wait while it fails with SQLITE_BUSY (at most about a second). */
export function retryWhileBusy<T>(fn: () => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (!isSqliteBusy(e) || attempt >= BUSY_RETRY_ATTEMPTS) throw e;
      // Setup is synchronous (constructors): a blocking wait of a few milliseconds, bounded above.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BUSY_RETRY_WAIT_MS);
    }
  }
}
