/**
 * The shell on a real bridge over the ProfitDLL stand-in that stops at routing state 2 ("conectado
 * ao roteamento, aguardando corretora"): at 420 px the pane shows the broker's warning in pt-BR,
 * without the English half, and does not scroll sideways.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAddinBuilt, ROOT } from '../../../scripts/ensure-addin-built.js';
import { HAVE_CHROMIUM, SHOTS, launchPane, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

const LIB = path.join(ROOT, 'bridge/native/profitdll-standin/build/libprofitdll.so');
const ENV = {
  BLACKBOX_PROFIT_KEY: 'chave-de-ativação',
  BLACKBOX_PROFIT_USER: 'gestora',
  BLACKBOX_PROFIT_PASSWORD: 'senha-secreta',
  PROFITDLL_STANDIN_ROUTING_STATE: '2',
  BLACKBOX_PROFIT_CONNECT_TIMEOUT_MS: '500',
};

describe.skipIf(!HAVE_CHROMIUM)('broker warnings in the shell', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    ensureAddinBuilt();
    execFileSync('bash', [path.join(ROOT, 'bridge/native/profitdll-standin/build.sh')]);
    execFileSync('bash', [path.join(ROOT, 'bridge/native/profitdll-relay/build.sh')]);
    bridge = await startPaneBridge('brokerwarn', { log: () => undefined, broker: 'profitdll' }, (dataDir) => {
      const env = { ...ENV, BLACKBOX_PROFITDLL_PATH: LIB, PROFITDLL_STANDIN_STATE_FILE: path.join(dataDir, 'standin.state') };
      for (const [k, v] of Object.entries(env)) {
        saved.set(k, process.env[k]);
        process.env[k] = v;
      }
    });
    // Office.js from the local copy, as in Excel (not the browser-mode 404).
    pane = await launchPane({ width: 420, height: 760 }, { officeJs: 'disk' });
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('routing state 2: a pt-BR warning under the header at 420 px, no English, no sideways scroll', async () => {
    const page = await pane.context.newPage();
    await signIn(page, `${bridge.url}/taskpane.html`, bridge.token, { bridgeUrl: bridge.url });
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
  }, 60_000);
});
