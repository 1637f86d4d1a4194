/**
 * What every task-pane test in headless Chromium shares: where the browser and the screenshots are,
 * the flags Chromium runs with here, a browser at the pane's size (or one browser for several panes),
 * with or without Office.js, signing the pane in, collecting its errors, and an authenticated call to
 * the bridge under test. What a test needs differently is an option here, not a copy in the test.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import ts from 'typescript';
import type { BridgeOptions } from '../../../../bridge/app.js';
import type { OrderView, QuoteView } from '../../../../common/types.js';
import { ADDIN_DIST, ROOT } from '../../../../scripts/ensure-addin-built.js';
import { eventually } from '../../../support/wait.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SHOTS = path.resolve(ROOT, process.env.BLACKBOX_SCREENSHOTS ?? path.join('test-results', 'screenshots'));
export const OFFICE_DIST = path.join(ROOT, 'node_modules', '@microsoft', 'office-js', 'dist');
/** Headless without a sandbox (root in a container) and without any call home (QUIC included). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Chromium slows the timers and rendering of a page that is not in front; these flags keep it at full speed. */
const BACKGROUND_PAGE_ARGS = ['--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows', '--disable-renderer-backgrounding'];

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

/** A real bridge under a pane test, with an admin REST call bound to it; `close` also removes its data folder. */
export interface PaneBridge {
  url: string;
  token: string;
  dataDir: string;
  api<T>(method: string, p: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/**
 * A bridge for a pane test: a data folder of its own (`prepare` writes into it before the start), the
 * built add-in served, quiet, on the simulated market unless `options` say otherwise.
 */
export async function startPaneBridge(name: string, options: Partial<BridgeOptions> = {}, prepare?: (dataDir: string) => void): Promise<PaneBridge> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `bb-e2e-${name}-`));
  try {
    prepare?.(dataDir);
    // Imported here, not at the top: a file skipped for want of Chromium never loads the bridge.
    const { startBridge } = await import('../../../../bridge/app.js');
    const b = await startBridge({ port: 0, quiet: true, addinDir: ADDIN_DIST, ...options, dataDir } as BridgeOptions);
    return {
      url: b.url,
      token: b.token,
      dataDir,
      api: (method, p, body) => bridgeApi(b, method, p, body),
      async close() {
        await b.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** An order priced `ticksThrough` ticks through the book, so it fills at once on the simulated market; returns it filled. */
export async function fillAtOnce(
  bridge: PaneBridge,
  o: { client: string; symbol: string; side: 'buy' | 'sell'; qty: number; tick?: number; ticksThrough?: number },
): Promise<OrderView> {
  const tick = o.tick ?? 0.01;
  const through = (o.ticksThrough ?? 10) * tick;
  const q = await eventually(async () => {
    const [v] = await bridge.api<QuoteView[]>('GET', `/api/quotes?symbols=${o.symbol}`);
    return v?.ask !== undefined && v.bid !== undefined ? v : undefined;
  });
  const limitPrice = Math.round(Math.round((o.side === 'buy' ? q.ask! + through : q.bid! - through) / tick) * tick * 100) / 100;
  const sent = await bridge.api<OrderView>('POST', '/api/orders', { client: o.client, symbol: o.symbol, side: o.side, qty: o.qty, limitPrice, algo: { type: 'full' } });
  return eventually(async () => {
    const v = await bridge.api<OrderView>('GET', `/api/orders/${sent.id}`);
    return v.status === 'filled' ? v : undefined;
  }, 20_000);
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

/** What a pane's browser context is given before its first page opens. */
export interface PaneOptions {
  /**
   * Where Office.js's CDN (appsforoffice.microsoft.com) is answered from; there is no internet here.
   * 'absent' (the default): a 404, so the pane runs in browser mode without Office.js.
   * 'disk': the files of the local @microsoft/office-js copy (OFFICE_DIST), for a test that needs
   * Office.js itself in the page (CustomFunctions, Office.onReady) or checks the pane loads it cleanly.
   */
  officeJs?: 'absent' | 'disk';
  /** Scripts run before each page's own, in this order (e.g. fakeExcelScript() for an Excel host). */
  initScripts?: string[];
}

/** A pane context's Office.js and init scripts, the same whichever way the context was made. */
async function preparePane(context: BrowserContext, { officeJs = 'absent', initScripts = [] }: PaneOptions): Promise<BrowserContext> {
  await context.route('https://appsforoffice.microsoft.com/**', async (route) => {
    if (officeJs === 'disk') {
      const rel = new URL(route.request().url()).pathname.replace(/^\/lib\/1\/hosted\//, '');
      const file = path.join(OFFICE_DIST, rel);
      if (rel && existsSync(file) && file.startsWith(OFFICE_DIST)) return route.fulfill({ path: file, contentType: 'application/javascript' });
    }
    return route.fulfill({ status: 404, body: '' });
  });
  for (const script of initScripts) await context.addInitScript(script);
  return context;
}

const PANE_CONTEXT = { locale: 'pt-BR', timezoneId: 'America/Sao_Paulo' } as const;

/**
 * Chromium with a profile of its own at `viewport`, in pt-BR on São Paulo time, prepared as
 * `options` say (by default Office.js's CDN answers 404: the browser-mode pane loads without it).
 * `keepBackgroundPagesRunning` is for a test with two pages open at once: the one behind keeps its timers.
 * `close` also removes the profile.
 */
export async function launchPane(
  viewport: { width: number; height: number },
  options: PaneOptions & { keepBackgroundPagesRunning?: boolean } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'bb-chromium-'));
  const args = options.keepBackgroundPagesRunning ? [...CHROMIUM_ARGS, ...BACKGROUND_PAGE_ARGS] : CHROMIUM_ARGS;
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args, viewport, ...PANE_CONTEXT });
  await preparePane(context, options);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * One Chromium for a test that opens several panes, each a fresh context with storage of its own
 * (so each starts at the first-run dialog): a second pane with a wrong token, or against another
 * bridge, beside the one under test. `newPane` prepares each as launchPane does; `close` ends them all.
 */
export async function launchBrowser(): Promise<{
  newPane(viewport: { width: number; height: number }, options?: PaneOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    newPane: async (viewport, options = {}) => preparePane(await browser.newContext({ viewport, ...PANE_CONTEXT }), options),
    close: () => browser.close(),
  };
}

/**
 * Page errors, and console errors other than Office.js's absence in a plain browser, into `errors`.
 * `{ console: false }` keeps uncaught page errors only, for the tests that have only ever counted
 * those; in pane-width.e2e.test.ts the browser's own console errors are expected, since its pages
 * meet a refused token and a bridge that went down on purpose.
 */
export function collectErrors(page: Page, errors: string[], { console: withConsole = true }: { console?: boolean } = {}): Page {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  if (withConsole) {
    page.on('console', (m) => {
      if (m.type() === 'error' && !/office\.js|appsforoffice|Failed to load resource/i.test(m.text())) errors.push(m.text());
    });
  }
  return page;
}

/**
 * Opens the pane at `url`, fills the first-run dialog (the bridge's address too when `bridgeUrl` is
 * given) and saves, then waits for the connection to reach `until`: 'open' by default,
 * 'unauthorized' for a token the bridge refuses.
 */
export async function signIn(page: Page, url: string, token: string, { bridgeUrl, until = 'open' }: { bridgeUrl?: string; until?: 'open' | 'unauthorized' } = {}): Promise<void> {
  await page.goto(url);
  await page.getByTestId('settings-dialog').waitFor();
  if (bridgeUrl !== undefined) await page.getByTestId('settings-url').fill(bridgeUrl);
  await page.getByTestId('settings-token').fill(token);
  await page.getByTestId('settings-save').click();
  await page.locator(`[data-testid="connection"][data-state="${until}"]`).waitFor({ timeout: 15_000 });
}
