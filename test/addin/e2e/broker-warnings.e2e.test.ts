/**
 * The shell on a real bridge over the ProfitDLL stand-in that stops at routing state 2 ("conectado
 * ao roteamento, aguardando corretora"): at 420 px the pane shows the broker's warning in pt-BR,
 * without the English half, and does not scroll sideways.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDIN_DIST, ensureAddinBuilt, ROOT } from '../../../scripts/ensure-addin-built.js';
import { CHROMIUM, OFFICE_DIST, SHOTS } from './support/pane-harness.js';

const LIB = path.join(ROOT, 'bridge/native/profitdll-standin/build/libprofitdll.so');
const ENV = {
  BLACKBOX_PROFIT_KEY: 'chave-de-ativação',
  BLACKBOX_PROFIT_USER: 'gestora',
  BLACKBOX_PROFIT_PASSWORD: 'senha-secreta',
  PROFITDLL_STANDIN_ROUTING_STATE: '2',
  BLACKBOX_PROFIT_CONNECT_TIMEOUT_MS: '500',
};

type Started = Awaited<ReturnType<(typeof import('../../../bridge/app.js'))['startBridge']>>;

describe.skipIf(!existsSync(CHROMIUM))('broker warnings in the shell', () => {
  let bridge: Started;
  let dataDir: string;
  let browser: Browser;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    ensureAddinBuilt();
    execFileSync('bash', [path.join(ROOT, 'bridge/native/profitdll-standin/build.sh')]);
    execFileSync('bash', [path.join(ROOT, 'bridge/native/profitdll-relay/build.sh')]);
    dataDir = mkdtempSync(path.join(tmpdir(), 'bb-e2e-brokerwarn-'));
    const env = { ...ENV, BLACKBOX_PROFITDLL_PATH: LIB, PROFITDLL_STANDIN_STATE_FILE: path.join(dataDir, 'standin.state') };
    for (const [k, v] of Object.entries(env)) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
    const { startBridge } = await import('../../../bridge/app.js');
    bridge = await startBridge({ port: 0, dataDir, quiet: true, log: () => undefined, addinDir: ADDIN_DIST, broker: 'profitdll' } as Parameters<typeof startBridge>[0]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('routing state 2: a pt-BR warning under the header at 420 px, no English, no sideways scroll', async () => {
    const context = await browser.newContext({ viewport: { width: 420, height: 760 }, locale: 'pt-BR', timezoneId: 'America/Sao_Paulo' });
    await context.route('https://appsforoffice.microsoft.com/**', async (route) => {
      const rel = new URL(route.request().url()).pathname.replace(/^\/lib\/1\/hosted\//, '');
      const file = path.join(OFFICE_DIST, rel);
      if (rel && existsSync(file) && file.startsWith(OFFICE_DIST)) await route.fulfill({ path: file, contentType: 'application/javascript' });
      else await route.fulfill({ status: 404, body: '' });
    });
    const page = await context.newPage();
    await page.goto(`${bridge.url}/taskpane.html`);
    await page.getByTestId('settings-url').fill(bridge.url);
    await page.getByTestId('settings-token').fill(bridge.token);
    await page.getByTestId('settings-save').click();
    await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 });
    const banner = page.getByTestId('broker-warnings');
    await banner.waitFor({ timeout: 15_000 });
    const text = await banner.innerText();
    expect(text).toContain('Atenção na corretora (ProfitDLL)');
    expect(text).toContain('Conectado ao roteamento, aguardando corretora');
    expect(text).not.toMatch(/waiting for the broker|connected to routing/i);
    expect(await page.getByTestId('connection').innerText()).toBe('Conectado · corretora off');
    const m = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth, right: document.querySelector('[data-testid="broker-warnings"]')!.getBoundingClientRect().right }));
    expect(m.scroll).toBeLessThanOrEqual(m.inner);
    expect(m.right).toBeLessThanOrEqual(m.inner);
    await page.screenshot({ path: path.join(SHOTS, 'corretora-aviso-420.png') });
    await context.close();
  }, 60_000);
});
