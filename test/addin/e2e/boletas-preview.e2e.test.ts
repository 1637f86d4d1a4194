/**
 * End to end: the sheet-boletas preview at Excel's task-pane width (420 px), in headless Chromium
 * against a real bridge. Rows are pasted (browser mode reads the same parser as the sheet). The
 * preview must show, without horizontal scrolling, each row's status, what will be sent (price or
 * MERCADO, notional in R$ by the instrument's point value) and every error message in full, the
 * totals per client and side, and hold "Enviar" until repeated rows are confirmed.
 * Saves test-results/screenshots/boletas-preview-420.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstrumentView, OrderView } from '../../../common/types.js';
import { ensureAddinBuilt } from '../../../scripts/ensure-addin-built.js';
import { HAVE_CHROMIUM, SHOTS, collectErrors, launchPane, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

const PANE = { width: 420, height: 900 };

describe.skipIf(!HAVE_CHROMIUM)('sheet boletas preview at 420 px', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const api = <T>(method: string, p: string, body?: unknown) => bridge.api<T>(method, p, body);

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('preview', { seed: 1 });
    for (const [id, name] of [['CLI1', 'Fundo Alfa FIA'], ['CLI2', 'Carteira Beta']] as const) await api('POST', '/api/clients', { id, name, openingCash: 1_000_000 });
    pane = await launchPane(PANE);
    context = pane.context;
    mkdirSync(SHOTS, { recursive: true });
    page = collectErrors(await context.newPage(), pageErrors, { console: false });
  }, 300_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  it('shows what will be sent, every error in full, totals, and asks before sending repeated rows', async () => {
    const future = (await api<InstrumentView[]>('GET', '/api/instruments')).find((i) => i.kind === 'future' && i.pointValue === 0.2)!;
    expect(future).toBeDefined();
    await signIn(page, `${bridge.url}/taskpane.html`, bridge.token);
    await page.getByTestId('tab-boletas-button').click();
    await page.getByTestId('boletas-bulk').click();
    const tsv = [
      ['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo', 'Preço limite (R$)', 'Obs'],
      ['CLI1', 'PETR4', 'C', '1.000', 'Ordem cheia', '36,50', 'rebalanceamento'],
      ['CLI1', 'PETR4', 'C', '1.000', 'Ordem cheia', '36,50', 'de novo?'],
      ['CLI2', future.symbol, 'V', '2', 'Ordem cheia', '155.000,00', ''],
      ['CLI2', 'VALE3', 'C', '300', 'Ordem cheia', 'MERCADO', ''],
      ['CLI1', 'PETR4', 'C', '100', 'Ordem cheia', '', 'esqueci o preço'],
      ['CLI2', 'PETR4', 'C', '100', 'Ordem cheia', '36,555', ''],
    ]
      .map((r) => r.join('\t'))
      .join('\n');
    await page.getByTestId('bulk-paste').fill(tsv);
    const before = (await api<OrderView[]>('GET', '/api/orders')).length;
    await page.getByTestId('bulk-read').click();
    await page.getByTestId('bulk-preview').waitFor();
    await page.getByTestId('bulk-totals').waitFor();

    // Nothing needs sideways scrolling: not the page, not the preview.
    const widths = await page.evaluate(() => {
      const preview = document.querySelector('[data-testid="bulk-preview"]') as HTMLElement;
      return { page: document.documentElement.scrollWidth, view: window.innerWidth, preview: preview.scrollWidth, previewBox: preview.clientWidth };
    });
    expect(widths.page).toBeLessThanOrEqual(widths.view);
    expect(widths.preview).toBeLessThanOrEqual(widths.previewBox);

    const row = (n: number) => page.locator(`[data-testid="bulk-row"][data-row="${n}"]`);
    // Intl writes "R$\u00a036.500,00": compare what a reader sees.
    const text = async (l: ReturnType<Page['locator']>) => (await l.innerText()).replace(/\s+/g, ' ');
    expect(await text(row(2).getByTestId('bulk-row-order'))).toBe('Compra 1.000 PETR4 a 36,50');
    expect(await text(row(2).getByTestId('bulk-row-notional'))).toBe('R$ 36.500,00');
    expect(await text(row(2).getByTestId('bulk-row-duplicate'))).toContain('linha 3');
    expect(await text(row(4).getByTestId('bulk-row-order'))).toBe(`Venda 2 ${future.symbol} a 155.000,00`);
    expect(await text(row(4).getByTestId('bulk-row-notional'))).toBe('R$ 62.000,00'); // 2 × 155.000 pts × R$ 0,20
    expect(await text(row(5).getByTestId('bulk-row-order'))).toBe('Compra 300 VALE3 a MERCADO');
    // Error messages are whole and inside the pane.
    const missing = row(6).getByTestId('bulk-row-message');
    expect(await text(missing)).toBe('Preço limite (R$): vazio: escreva o preço, ou MERCADO para uma ordem a mercado');
    const offTick = row(7).getByTestId('bulk-row-message');
    expect(await text(offTick)).toContain('36,555 fora do tick de 0,01');
    for (const m of [missing, offTick, row(4).getByTestId('bulk-row-notional')]) {
      const box = (await m.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PANE.width);
    }
    expect(await page.getByTestId('bulk-ignored').innerText()).toContain('Obs');
    const totals = await text(page.getByTestId('bulk-totals'));
    expect(totals).toContain('R$ 73.000,00 em 2 ordens');
    expect(totals).toContain('R$ 62.000,00 em 1 ordem');
    expect(totals).toContain('1 a mercado');

    await page.screenshot({ path: path.join(SHOTS, 'boletas-preview-420.png') });
    await offTick.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'boletas-preview-420-errors.png') });
    await page.setViewportSize({ width: 1280, height: PANE.height });
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, 'boletas-preview-1280.png') });
    await page.setViewportSize(PANE);

    // Repeated rows: "Enviar" waits for an explicit confirmation.
    const send = page.getByTestId('bulk-send');
    expect(await send.isDisabled()).toBe(true);
    await page.getByTestId('bulk-confirm-duplicates').click();
    await expect.poll(() => send.isDisabled()).toBe(false);
    await send.click();
    await page.getByTestId('bulk-result').waitFor({ timeout: 30_000 });
    const after = await api<OrderView[]>('GET', '/api/orders');
    expect(after.length - before).toBe(4);
    expect(after.filter((o) => o.symbol === 'VALE3').every((o) => o.limitPrice === undefined)).toBe(true);
    expect(after.filter((o) => o.symbol === future.symbol).map((o) => o.limitPrice)).toEqual([155_000]);
    expect(pageErrors).toEqual([]);
  });
});
