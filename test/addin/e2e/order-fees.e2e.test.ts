/**
 * End to end, the order detail's fees in the built task pane against a real bridge: with the drawer
 * of a filled buy open, a sell of the same client and day fills, and the drawer's Custos fall to the
 * buy's share of the day's bill at the day-trade table (B3 bills the day at once), matching what its
 * fills show. The bridge runs on Tuesday 10/06/2025, under the fee table before August 2025, when an
 * equity day trade cost less than a regular trade.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../../common/types.js';
import { ensureAddinBuilt } from '../../../scripts/ensure-addin-built.js';
import { offsetClock } from '../../support/clock.js';
import { CHROMIUM, HAVE_CHROMIUM, SHOTS, collectErrors, fillAtOnce, launchPane, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

if (!HAVE_CHROMIUM) console.warn(`[e2e] SKIPPED: ${CHROMIUM} not found. Install it with: apt-get install -y chromium`);

const NARROW = { width: 420, height: 860 };

/** "R$ 1.234,56" (any spacing) in centavos. */
const centavosIn = (text: string) => {
  const m = /R\$\s?([\d.]+,\d{2})/.exec(text);
  if (!m) throw new Error(`no amount in ${JSON.stringify(text)}`);
  return Number(m[1]!.replace(/\./g, '').replace(',', ''));
};

describe.skipIf(!HAVE_CHROMIUM)('order detail fees in the task pane', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let page: Page;
  const errors: string[] = [];
  const fillNow = (side: 'buy' | 'sell') => fillAtOnce(bridge, { client: 'DT', symbol: 'VALE3', side, qty: 300 });

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('fees', { seed: 5, clock: offsetClock('2025-06-10T13:00') });
    await bridge.api('POST', '/api/clients', { id: 'DT', name: 'Fundo Day Trade', openingCash: 500_000 });
    pane = await launchPane(NARROW);
    mkdirSync(SHOTS, { recursive: true });
    page = collectErrors(await pane.context.newPage(), errors);
    await signIn(page, `${bridge.url}/taskpane.html`, bridge.token);
  }, 300_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  it('an open drawer shows the buy repriced when a sell of the same day makes it a day trade', async () => {
    const buy = await fillNow('buy');
    await page.getByTestId('tab-orders-button').click();
    await page.getByTestId('orders-status-filter').click();
    await page.getByRole('option', { name: 'Todas' }).click();
    await page.getByTestId('orders-search').fill(buy.id);
    await page.locator(`[data-testid="orders-table"] [data-rowkey="${buy.id}"]`).click();
    const fees = page.getByTestId('metric-fees');
    const fillFees = async () => {
      const cells = await page.locator('[data-testid="detail-fills"] tbody tr td:last-child').allInnerTexts();
      return cells.reduce((s, c) => s + centavosIn(c), 0);
    };
    await fees.waitFor({ timeout: 10_000 });
    const before = centavosIn(await fees.innerText());
    expect(before).toBe(Math.round(buy.metrics!.feesBrl * 100));
    await expect.poll(fillFees, { timeout: 10_000 }).toBe(before);

    await fillNow('sell');
    const after = Math.round((await bridge.api<OrderView>('GET', `/api/orders/${buy.id}`)).metrics!.feesBrl * 100);
    expect(after).toBeLessThan(before);
    // The drawer was not reopened: it follows the day's fills by itself.
    await expect.poll(async () => centavosIn(await fees.innerText()), { timeout: 10_000 }).toBe(after);
    await expect.poll(fillFees, { timeout: 10_000 }).toBe(after);
    await page.getByTestId('detail-metrics').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'ordem-custos-day-trade-420.png') });
    expect(errors).toEqual([]);
  }, 120_000);
});
