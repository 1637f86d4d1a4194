/**
 * Crash-test hook: `BLACKBOX_CRASH_AT=<point>:<n>` makes the bridge SIGKILL itself the n-th time
 * it passes `<point>` (e.g. `child.journaled:3`: after the third child's journal write, before
 * it is sent). Read once at start; without the variable every call is a no-op comparison. It
 * exists so the crash test can stop the process exactly between two steps that must survive it.
 */
const spec = /^([a-z.]+):(\d+)$/.exec(process.env.BLACKBOX_CRASH_AT ?? '');
const point = spec?.[1];
let remaining = spec ? Number(spec[2]) : 0;

export function faultPoint(name: string): void {
  if (name !== point) return;
  if (--remaining === 0) process.kill(process.pid, 'SIGKILL');
}
