/**
 * Makes sure dist/addin holds a production build of the current sources: `npm start` serves it,
 * and the manifest and end-to-end tests need the real bundle. Rebuilds only when a source is newer than the bundle;
 * a lock directory keeps parallel test files from building at the same time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADDIN_DIST = path.join(ROOT, 'dist', 'addin');

function newest(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

function stale(): boolean {
  const bundle = path.join(ADDIN_DIST, 'taskpane.js');
  if (!existsSync(bundle) || !existsSync(path.join(ADDIN_DIST, 'functions.json'))) return true;
  const built = statSync(bundle).mtimeMs;
  const sources = [path.join(ROOT, 'addin'), path.join(ROOT, 'common'), path.join(ROOT, 'manifest.xml'), path.join(ROOT, 'webpack.config.js')];
  return sources.some((s) => existsSync(s) && newest(s) > built);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ensureAddinBuilt(): void {
  const lock = path.join(ROOT, 'dist', '.addin-build.lock');
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building; a lock older than 3 minutes is abandoned.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* raced */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the add-in build lock');
      sleep(500);
    }
  }
  try {
    if (stale()) {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'webpack-cli', 'bin', 'cli.js'), '--mode', 'production'], {
        cwd: ROOT,
        stdio: 'pipe',
        env: { ...process.env, BLACKBOX_ADDIN_URL: '' },
      });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  ensureAddinBuilt();
}
