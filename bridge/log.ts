/**
 * One-line JSON logs on stderr. Secrets never reach here: callers pass token ids, never tokens,
 * and `redact` masks anything that looks like a credential in extra data.
 */
export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string, extra?: unknown) => void;

const SECRET_KEYS = /token|password|senha|secret|key|authorization/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { error: value.message };
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '***' : redact(v, depth + 1);
  return out;
}

export function createLogger(opts: { quiet?: boolean } = {}): Logger {
  return (level, msg, extra) => {
    if (opts.quiet && level === 'info') return;
    const line: Record<string, unknown> = { t: new Date().toISOString(), level, msg };
    if (extra !== undefined) line.extra = redact(extra);
    process.stderr.write(JSON.stringify(line) + '\n');
  };
}
