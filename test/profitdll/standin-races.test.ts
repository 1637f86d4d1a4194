/**
 * The stand-in is the other half of every test here, so its own safety is checked: a C client
 * (race-check.c) drives it from two threads under ThreadSanitizer (unordered accesses) and under
 * AddressSanitizer with UndefinedBehaviorSanitizer (memory used after it moved or was freed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RELAY_DIR, STANDIN_DIR } from './support.js';

/**
 * A sanitizer's runtime must come first in the process's library list: an LD_PRELOAD (libfaketime, when the
 * suite is run at another date) makes it abort before the check runs. The sanitized programs run without it.
 */
function sanitizerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, ...env } = process.env;
  return { ...env, ...extra };
}

describe('stand-in under sanitizers', () => {
  it.each([
    ['thread', 'ThreadSanitizer', false],
    ['address,undefined', 'Sanitizer', false],
    ['thread', 'ThreadSanitizer', true],
    ['address,undefined', 'Sanitizer', true],
  ])('-fsanitize=%s reports nothing (%s; adversarial mode: %s)', (sanitizers, marker, adversarial) => {
    const binary = join(mkdtempSync(join(tmpdir(), 'profitdll-sanitize-')), 'race-check');
    execFileSync(
      process.env.CC ?? 'cc',
      [
        '-std=c11',
        '-g',
        '-O1',
        `-fsanitize=${sanitizers}`,
        '-fno-sanitize-recover=undefined',
        '-pthread',
        '-o',
        binary,
        join(STANDIN_DIR, 'standin.c'),
        join(STANDIN_DIR, 'race-check.c'),
        '-lm',
      ],
      { stdio: 'pipe' },
    );
    const env = sanitizerEnv(adversarial ? { RACE_ADVERSARIAL: '1' } : {});
    const run = spawnSync(binary, { encoding: 'utf8', timeout: 60_000, env });
    expect(run.stderr).not.toContain(marker);
    expect(run.status).toBe(0);
    // Per session: six login states, then routing down and back up (three more); in adversarial mode the
    // sanitizer's slowness adds market-data health states (5/6/4).
    expect(run.stdout).toMatch(adversarial ? /^sessions=2 states=\d+ orderEvents=\d+ trades=\d+/ : /^sessions=2 states=18 orderEvents=\d+ trades=\d+/);
  }, 70_000);

  // The relay's own threads (ring, notifier, request hand-off) with the stand-in, driven by the Win64
  // harness's source built for Linux.
  it.each([
    ['thread', 'ThreadSanitizer'],
    ['address,undefined', 'Sanitizer'],
  ])('the relay with -fsanitize=%s reports nothing', (sanitizers, marker) => {
    const run = spawnSync('bash', [join(RELAY_DIR, 'race-check.sh'), sanitizers], { encoding: 'utf8', timeout: 120_000, env: sanitizerEnv() });
    expect(run.stderr).not.toContain(marker);
    expect(run.stdout).toMatch(/wine-harness ok: .*trades=10000 in order/);
    expect(run.status).toBe(0);
  }, 130_000);
});
