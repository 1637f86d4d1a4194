/**
 * Failed logins per source (IP), per minute: past a limit a source gets 429 instead of 401, and the
 * audit trail gets a bounded number of rows however many requests arrive — the first refusal of a
 * source in a minute at once (so the risk officer sees it now), the rest of that minute as one row
 * with its count when the minute ends. A valid token is never held back by this: every local
 * process shares 127.0.0.1, and one bad script must not lock the desk out.
 */

export interface AuthFailureRow {
  ip: string;
  count: number;
  /** Start of the minute the row counts, ISO time. */
  windowStart: string;
  /** What was tried first in that minute: 'http /orders', 'ws header'... */
  sample: string;
  reasons: Record<string, number>;
}

export interface AuthFailureOptions {
  /** Failures per source and window answered 401; beyond, 429. */
  maxFailuresPerWindow: number;
  windowMs: number;
  /** Sources tracked at once; beyond, new sources share one bucket so memory stays bounded. */
  maxSources: number;
  nowMs: () => number;
  /** Writes one audit row. */
  record: (row: AuthFailureRow, first: boolean) => void;
}

interface Bucket {
  windowStartMs: number;
  count: number;
  /** Failures not yet in an audit row. */
  unrecorded: number;
  sample: string;
  reasons: Record<string, number>;
}

const OVERFLOW_SOURCE = '(outras origens)';

export class AuthFailureLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: AuthFailureOptions) {
    this.timer = setInterval(() => this.sweep(false), Math.max(1_000, Math.floor(o.windowMs / 4)));
    this.timer.unref();
  }

  /** Count a refused login; `true` when the source is over its limit (answer 429). */
  refuse(ip: string | undefined, what: string, reason: string): boolean {
    const now = this.o.nowMs();
    let key = ip ?? '(desconhecida)';
    let b = this.buckets.get(key);
    if (b && now - b.windowStartMs >= this.o.windowMs) {
      this.close(key, b);
      b = undefined;
    }
    if (!b) {
      if (this.buckets.size >= this.o.maxSources) {
        this.sweep(false);
        if (this.buckets.size >= this.o.maxSources) key = OVERFLOW_SOURCE;
      }
      b = this.buckets.get(key);
      if (!b) {
        b = { windowStartMs: now, count: 0, unrecorded: 0, sample: what, reasons: {} };
        this.buckets.set(key, b);
        b.count = 1;
        b.reasons[reason] = 1;
        this.o.record(this.row(key, b, 1, { [reason]: 1 }), true);
        return false;
      }
    }
    b.count += 1;
    b.unrecorded += 1;
    b.reasons[reason] = (b.reasons[reason] ?? 0) + 1;
    return b.count > this.o.maxFailuresPerWindow;
  }

  /** Seconds until the source's window ends (for Retry-After). */
  retryAfterSec(ip: string | undefined): number {
    const b = this.buckets.get(ip ?? '(desconhecida)');
    if (!b) return 1;
    return Math.max(1, Math.ceil((b.windowStartMs + this.o.windowMs - this.o.nowMs()) / 1000));
  }

  /** Write what is still uncounted (on shutdown). */
  flush(): void {
    this.sweep(true);
    clearInterval(this.timer);
  }

  private sweep(all: boolean): void {
    const now = this.o.nowMs();
    for (const [k, b] of this.buckets) if (all || now - b.windowStartMs >= this.o.windowMs) this.close(k, b);
  }

  private close(key: string, b: Bucket): void {
    this.buckets.delete(key);
    if (b.unrecorded === 0) return;
    const first = Object.keys(b.reasons)[0];
    const reasons = { ...b.reasons };
    // The first failure already has its own row.
    if (first !== undefined) reasons[first] -= 1;
    for (const r of Object.keys(reasons)) if (reasons[r] === 0) delete reasons[r];
    this.o.record(this.row(key, b, b.unrecorded, reasons), false);
  }

  private row(ip: string, b: Bucket, count: number, reasons: Record<string, number>): AuthFailureRow {
    return { ip, count, windowStart: new Date(b.windowStartMs).toISOString(), sample: b.sample, reasons };
  }
}
