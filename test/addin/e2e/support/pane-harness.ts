/**
 * What every task-pane test in headless Chromium shares: where the browser and the screenshots are,
 * the flags Chromium runs with here, a browser at the pane's size, signing the pane in, collecting its
 * errors, and an authenticated call to the bridge under test.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
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

/**
 * Chromium with a profile of its own at `viewport`, in pt-BR on São Paulo time; Office.js's CDN is
 * answered 404 (the browser-mode pane loads without it). `close` also removes the profile.
 */
export async function launchPane(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'bb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, locale: 'pt-BR', timezoneId: 'America/Sao_Paulo' });
  await context.route('https://appsforoffice.microsoft.com/**', (route) => route.fulfill({ status: 404, body: '' }));
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Page errors, and console errors other than Office.js's absence in a plain browser, into `errors`. */
export function collectErrors(page: Page, errors: string[]): Page {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/office\.js|appsforoffice|Failed to load resource/i.test(m.text())) errors.push(m.text());
  });
  return page;
}

/** Opens the pane at `url`, pastes the token in the first-run dialog, and waits for the connection. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('settings-dialog').waitFor();
  await page.getByTestId('settings-token').fill(token);
  await page.getByTestId('settings-save').click();
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 });
}
