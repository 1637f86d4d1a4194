/**
 * What every task-pane test in headless Chromium shares: where the browser and the screenshots are,
 * the flags Chromium runs with here, and an authenticated call to the bridge under test.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../../../../scripts/ensure-addin-built.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SHOTS = path.resolve(ROOT, process.env.BLACKBOX_SCREENSHOTS ?? path.join('test-results', 'screenshots'));
export const OFFICE_DIST = path.join(ROOT, 'node_modules', '@microsoft', 'office-js', 'dist');
/** Headless without a sandbox (root in a container) and without any call home. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** One REST call with the bridge's admin token; a non-2xx answer throws with its body. */
export async function bridgeApi<T>(bridge: { url: string; token: string }, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${bridge.url}${p}`, {
    method,
    headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * An init script that makes the page an Excel host: the recorded in-memory stand-in of
 * test/addin/support/fake-excel.ts as `window.Excel` (the pane's sheet code runs against it), the
 * stand-in itself as `window.__fakeExcel` for the test to read back.
 */
export function fakeExcelScript(): string {
  const src = readFileSync(path.join(ROOT, 'test', 'addin', 'support', 'fake-excel.ts'), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
  return `(() => { const exports = {}; const module = { exports };\n${js}\n
    const fx = exports.createFakeExcel(); fx.addSheet('Planilha1');
    window.__fakeExcel = fx; window.Excel = fx.Excel; window.__BLACKBOX_TEST_EXCEL__ = true; })();`;
}
