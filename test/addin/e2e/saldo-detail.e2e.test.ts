/**
 * End to end: Saldo's per-day detail in headless Chromium at Excel's task-pane width (420 px),
 * against a real bridge on the simulated market. A click on a client's D+n figure opens what
 * settles that day, trade by trade, with amount and fees, without horizontal scrolling.
 * Saves test-results/screenshots/saldo-detalhe.png (BLACKBOX_SCREENSHOTS=docs/screenshots for the README).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceView, InstrumentView, SettlementDayView } from '../../../common/types.js';
import { ensureAddinBuilt } from '../../../scripts/ensure-addin-built.js';
import { HAVE_CHROMIUM, SHOTS, collectErrors, fillAtOnce, launchPane, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

const PANE = { width: 420, height: 760 };

describe.skipIf(!HAVE_CHROMIUM)('Saldo: the settlements of a D+n day at 420 px', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const api = <T>(method: string, p: string, body?: unknown) => bridge.api<T>(method, p, body);
  const fillNow = (client: string, symbol: string, side: 'buy' | 'sell', qty: number, tick: number) => fillAtOnce(bridge, { client, symbol, side, qty, tick });

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('saldo', { seed: 3 });
    await api('POST', '/api/clients', { id: 'CLI1', name: 'Fundo Alfa FIA', openingCash: 2_000_000 });
    await api('POST', '/api/clients', { id: 'CLI2', name: 'Carteira Beta', openingCash: 750_000 });
    await fillNow('CLI1', 'PETR4', 'buy', 1_000, 0.01);
    await fillNow('CLI1', 'VALE3', 'buy', 500, 0.01);
    await fillNow('CLI1', 'VALE3', 'sell', 200, 0.01); // a day trade of 200
    const win = (await api<InstrumentView[]>('GET', '/api/instruments')).find((i) => i.symbol.startsWith('WIN'))!;
    await fillNow('CLI1', win.symbol, 'buy', 2, 5);
    await fillNow('CLI2', 'ITUB4', 'buy', 300, 0.01);

    pane = await launchPane(PANE, { officeJs: 'disk' });
    context = pane.context;
    mkdirSync(SHOTS, { recursive: true });
    page = collectErrors(await context.newPage(), pageErrors, { console: false });
    await signIn(page, `${bridge.url}/taskpane.html`, bridge.token);
  }, 300_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  it('a click on D+2 lists each trade with client, symbol, amount and fees, adding up to the step', async () => {
    await page.getByTestId('tab-balances-button').click();
    await page.getByTestId('balance-CLI1-d2').click();
    const detail = page.getByTestId('settlement-detail');
    await detail.getByTestId('settlement-row').first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(800); // the drawer slides in

    const [bal] = await api<BalanceView[]>('GET', '/api/balances?client=CLI1');
    const day = await api<SettlementDayView>('GET', `/api/settlements?client=CLI1&date=${bal.dates[2]}`);
    const rows = detail.getByTestId('settlement-row');
    expect(await rows.count()).toBe(day.rows.length);
    const header = await detail.innerText();
    const [y, m, d] = bal.dates[2].split('-');
    expect(header).toContain(`CLI1 · D+2 · ${d}/${m}/${y}`);
    expect(header).toContain('Fundo Alfa FIA');
    const text = await detail.getByTestId('settlement-rows').innerText();
    expect(text).toContain('PETR4');
    expect(text).toContain('VALE3');
    expect(text).toContain('day trade 200');
    expect(text).not.toContain('ITUB4'); // another client's trade
    expect(text).toMatch(/taxas -\d+,\d{2}/);
    // The detail's net is the D+2 figure minus D+1, in pt-BR money.
    const net = Math.abs(bal.d2 - bal.d1).toLocaleString('pt-BR', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(await detail.getByTestId('settlement-totals').innerText()).toContain(net);
    expect(Math.round(day.totals.net * 100)).toBe(Math.round((bal.d2 - bal.d1) * 100));

    // At 420 px nothing scrolls sideways.
    const overflow = await page.evaluate(() => {
      const body = document.querySelector('[data-testid="settlement-detail"] .fui-DrawerBody') as HTMLElement | null;
      const el = body ?? (document.querySelector('[data-testid="settlement-detail"]') as HTMLElement);
      return { scroll: el.scrollWidth, client: el.clientWidth, page: document.documentElement.scrollWidth };
    });
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
    expect(overflow.page).toBeLessThanOrEqual(PANE.width);
    await page.screenshot({ path: path.join(SHOTS, 'saldo-detalhe.png') });
    await page.setViewportSize({ width: 1280, height: PANE.height });
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, 'saldo-detalhe-1280.png') });
    await page.setViewportSize(PANE);
  });

  it('D+1 holds the futures trade (adjustment and fees); D+0 says nothing settles', async () => {
    await page.getByTestId('settlement-detail').getByRole('button', { name: 'Fechar' }).click();
    await page.getByTestId('settlement-detail').waitFor({ state: 'detached' });
    await page.getByTestId('balance-CLI1-d1').click();
    await page.getByTestId('settlement-detail').getByTestId('settlement-row').first().waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('settlement-rows').innerText()).toMatch(/WIN[GJKMNQUVXZ]\d\d/);
    await page.getByTestId('settlement-detail').getByRole('button', { name: 'Fechar' }).click();
    await page.getByTestId('settlement-detail').waitFor({ state: 'detached' });
    await page.getByTestId('balance-CLI1-d0').click();
    await page.getByTestId('settlement-empty').waitFor({ timeout: 10_000 });
  });

  it('the ticket shows a futures contract’s expiry from GET /api/instruments', async () => {
    await page.getByTestId('settlement-detail').getByRole('button', { name: 'Fechar' }).click().catch(() => undefined);
    const win = (await api<InstrumentView[]>('GET', '/api/instruments')).find((i) => i.symbol.startsWith('WIN'))!;
    await page.getByTestId('tab-boletas-button').click();
    await page.getByTestId('boletas-single').click();
    await page.getByTestId('ticket-symbol').fill(win.symbol);
    await page.keyboard.press('Escape');
    const [y, m, d] = win.expiry!.split('-');
    await expect.poll(async () => page.getByTestId('ticket-expiry').innerText().catch(() => ''), { timeout: 10_000 }).toBe(`Vence ${d}/${m}/${y}`);
  });

  it('left no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
