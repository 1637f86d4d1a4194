/**
 * A PM's tour of what the bridge really does, at 420 px and 1280 px in headless Chromium: a TWAP
 * sent through the bridge works its schedule (the detail charts the bridge's own plan beside the
 * fills, with execution quality), and the single ticket builds the TWAP and cover forms from the
 * bridge's GET /api/algos. No figure here is injected by the test.
 *
 * Screenshots go to test-results/screenshots (BLACKBOX_SCREENSHOTS=docs/screenshots refreshes the README's).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../../common/types.js';
import { ensureAddinBuilt } from '../../../scripts/ensure-addin-built.js';
import { eventually } from '../../support/wait.js';
import { HAVE_CHROMIUM, SHOTS, collectErrors, launchPane, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

describe.skipIf(!HAVE_CHROMIUM)('a PM tour: a real TWAP and the algo tickets at 420 and 1280 px', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let page: Page;
  let twap: OrderView;
  const pageErrors: string[] = [];

  const api = <T>(method: string, p: string, body?: unknown) => bridge.api<T>(method, p, body);
  const noHorizontalScroll = async (what: string) => {
    const m = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }));
    expect(m.scroll, `${what} scrolls sideways`).toBeLessThanOrEqual(m.inner);
  };

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('tour', { seed: 3 });
    await api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa Ações FIA', openingCash: 5_000_000 });
    // A TWAP over 20 minutes in 30-second slices: a few slices fill while the test looks at it.
    const sent = await api<OrderView>('POST', '/api/orders', {
      client: 'ALFA',
      symbol: 'PETR4',
      side: 'buy',
      qty: 4000,
      algo: { type: 'twap', end: new Date(Date.now() + 20 * 60_000).toISOString(), sliceSec: 30, style: 'aggressive' },
    });
    twap = await eventually(async () => {
      const o = await api<OrderView>('GET', `/api/orders/${sent.id}`);
      return o.filledQty > 0 && o.schedule?.length ? o : undefined;
    }, 60_000);

    pane = await launchPane({ width: 420, height: 900 });
    page = collectErrors(await pane.context.newPage(), pageErrors, { console: false });
    page.setDefaultTimeout(15_000);
    await signIn(page, `${bridge.url}/taskpane.html`, bridge.token);
    mkdirSync(SHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  for (const width of [420, 1280]) {
    it(`at ${width} px a working TWAP's detail charts the bridge's plan beside the fills, with execution quality`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.getByTestId('tab-orders-button').click();
      await page.locator(`[data-testid="orders-table"] [data-rowkey="${twap.id}"]`).click();
      const detail = page.getByTestId('order-detail');
      await detail.waitFor({ timeout: 10_000 });
      expect(await detail.innerText()).toContain('TWAP');
      // The end the bridge stored (an instant) reads as São Paulo date and time, not ISO.
      expect(await detail.innerText()).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
      const chart = page.getByTestId('detail-progress-chart');
      await expect.poll(async () => chart.getAttribute('data-has-schedule'), { timeout: 10_000 }).toBe('yes');
      await expect.poll(async () => chart.locator('.recharts-line').count()).toBe(2);
      // The arrival price is the bridge's figure, as a pt-BR number.
      const arrival = await page.getByTestId('metric-arrival').innerText();
      expect(arrival).toMatch(/\d+,\d+/);
      expect(arrival).not.toMatch(/\d\.\d{1,3}$/m);
      await noHorizontalScroll(`TWAP detail at ${width}px`);
      await page.waitForTimeout(800);
      await page.screenshot({ path: path.join(SHOTS, `ordem-twap-${width}.png`) });
      if (width === 420) {
        await page.getByTestId('detail-metrics').scrollIntoViewIfNeeded();
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(SHOTS, 'ordem-twap-420-qualidade.png') });
      }
      await detail.getByRole('button', { name: 'Fechar' }).click();
      await detail.waitFor({ state: 'detached', timeout: 5_000 });
    });

    it(`at ${width} px the single ticket builds the TWAP and cover forms from the bridge's algos`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.getByTestId('tab-boletas-button').click();
      await page.getByTestId('boletas-single').click();
      await page.getByTestId('ticket-client').fill('ALFA');
      await page.getByTestId('ticket-symbol').fill('PETR4');
      await page.keyboard.press('Escape');
      await page.getByTestId('ticket-buy').click();
      await page.getByTestId('ticket-qty').fill('2000');
      await page.getByTestId('ticket-algo').click();
      await page.getByRole('option', { name: 'TWAP' }).click();
      await page.getByTestId('algo-params').waitFor();
      for (const f of ['start', 'end', 'sliceSec', 'style']) await page.getByTestId(`param-field-${f}`).waitFor();
      expect(await page.getByTestId('param-field-style').innerText()).toContain('Agressão');
      await page.getByTestId('param-end').fill('17:30');
      await noHorizontalScroll(`TWAP ticket at ${width}px`);
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(SHOTS, `boleta-twap-${width}.png`) });

      await page.getByTestId('ticket-algo').click();
      await page.getByRole('option', { name: 'Cobrir até X' }).click();
      await page.getByTestId('param-field-minMoveTicks').waitFor();
      await page.getByTestId('ticket-limit').fill('37,00');
      await noHorizontalScroll(`cover ticket at ${width}px`);
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(SHOTS, `boleta-cobrir-${width}.png`) });
    });
  }

  it('left no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
