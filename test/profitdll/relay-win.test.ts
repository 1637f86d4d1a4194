/**
 * The relay as Windows users get it: bridge/native/profitdll-relay/win64/blackbox-relay.dll, committed.
 *   - `npm run build:native:win` is reproducible: a rebuild from the source in the repo is byte-identical
 *     to the committed DLL (so the DLL is exactly this source, and CI fails if either changes alone);
 *   - the committed DLL, with the stand-in built for Windows, runs a C harness under Wine through the Win64
 *     calling convention (records by value as hidden pointers, UTF-16, the DLL's callback thread).
 * Skipped, saying why, only where mingw-w64 or Wine is not installed (.ci/run installs both).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RELAY_RECORD_SIZE, RELAY_STATUS_SIZE } from '../../bridge/adapters/profitdll/relay.js';
import { RELAY_DIR } from './support.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const mingw = has('x86_64-w64-mingw32-gcc');
const wine = has('wine64') || has('wine') || existsSync('/usr/lib/wine/wine64');
const COMMITTED = join(RELAY_DIR, 'win64', 'blackbox-relay.dll');

if (!mingw) console.warn('relay-win: x86_64-w64-mingw32-gcc not installed (apt-get install gcc-mingw-w64-x86-64): Windows build checks skipped');
if (!wine) console.warn('relay-win: Wine not installed (apt-get install wine64): Win64 ABI harness skipped');

describe('the Windows relay DLL', () => {
  it.skipIf(!mingw)('rebuilds byte-identical to the committed blackbox-relay.dll', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'relay-win-')), 'blackbox-relay.dll');
    const build = spawnSync('bash', [join(RELAY_DIR, 'build-win.sh'), out], { encoding: 'utf8' });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const rebuilt = readFileSync(out);
    const committed = readFileSync(COMMITTED);
    expect(rebuilt.length).toBe(committed.length);
    expect(rebuilt.equals(committed)).toBe(true);
  }, 60_000);

  it.skipIf(!mingw || !wine)('passes the Win64 harness under Wine (calling convention, UTF-16, callback thread)', () => {
    const run = spawnSync('bash', [join(RELAY_DIR, 'wine', 'run-wine.sh')], {
      encoding: 'utf8',
      env: { ...process.env, RELAY_DLL: COMMITTED },
      timeout: 170_000,
    });
    const out = `${run.stdout}${run.stderr}`;
    expect(out).not.toMatch(/FAIL:/);
    expect(out).toMatch(/wine-harness ok: .*trades=10000 in order.*order \d+ filled, MessageID [1-9]/);
    // The Win64 compiler's record layout is the one koffi reads.
    expect(out).toContain(`record=${RELAY_RECORD_SIZE}, status=${RELAY_STATUS_SIZE}`);
    expect(run.status).toBe(0);
  }, 180_000);
});
