/**
 * End to end: the Import Profit and Base de dados tabs at 420 px in headless Chromium (browser mode)
 * against a real bridge. Files go in through the file picker and by drag-and-drop, the report lists
 * the refused lines, the coverage table shows the series with their B3 gaps, the chart draws the
 * candles, and a range is deleted after the confirmation. Screenshots in test-results/screenshots.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageRow } from '../../../common/marketdata.js';
import { ensureAddinBuilt, ROOT } from '../../../scripts/ensure-addin-built.js';
import { collectErrors, HAVE_CHROMIUM, launchPane, SHOTS, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

const FIX = path.join(ROOT, 'test', 'marketdata', 'fixtures');

/** Two sessions of 5-minute WINFUT candles, 2024-12-26 and 2024-12-30: the 27th (a session) is a gap. */
function twoSessions(): string {
  const lines = ['Ativo;Data;Hora;Abertura;Máximo;Mínimo;Fechamento;Volume;Quantidade'];
  for (const day of ['30/12/2024', '26/12/2024']) {
    for (let i = 0; i < 100; i++) {
      const m = 9 * 60 + i * 5;
      const px = 124_000 + ((i * 37) % 400) - 200;
      const f = (n: number) => `${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}`;
      lines.push(`WINFUT;${day};${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00;${f(px)};${f(px + 60)};${f(px - 55)};${f(px + 25)};${(1000 + i * 13).toLocaleString('pt-BR')}.000,00;${(10 + i).toLocaleString('pt-BR')}`);
    }
  }
  return lines.join('\r\n') + '\r\n';
}

describe.skipIf(!HAVE_CHROMIUM)('Base de dados and Import Profit tabs at 420 px', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('mdb', { seed: 1 });
    pane = await launchPane({ width: 420, height: 820 });
    context = pane.context;
    mkdirSync(SHOTS, { recursive: true });
    page = collectErrors(await context.newPage(), errors);
    await signIn(page, `${bridge.url}/`, bridge.token);
  }, 300_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  it('imports by file picker and by drag-and-drop, with progress and the report of refused lines', async () => {
    await page.getByTestId('tab-import-button').click();
    await page.getByTestId('tab-import').waitFor();
    await page.getByTestId('import-input').setInputFiles([{ name: 'broken-lines.csv', mimeType: 'text/csv', buffer: readFileSync(path.join(FIX, 'broken-lines.csv')) }, { name: 'WINFUT_F_0_5min.csv', mimeType: 'text/csv', buffer: Buffer.from(twoSessions(), 'latin1') }]);
    // Drag-and-drop of a cp1252 times & trades file, as Explorer would drop it.
    const bytes = [...readFileSync(path.join(FIX, 'petr4-negocios-cabecalho-cp1252.csv'))];
    const dt = await page.evaluateHandle((b) => {
      const d = new DataTransfer();
      d.items.add(new File([new Uint8Array(b)], 'negocios.csv', { type: 'text/csv' }));
      return d;
    }, bytes);
    await page.getByTestId('import-drop').dispatchEvent('drop', { dataTransfer: dt });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-job"][data-state="done"] [data-testid="import-report"]').length === 3, undefined, { timeout: 30_000 });
    const reports = await page.getByTestId('import-report').allInnerTexts();
    expect(reports.join('\n')).toContain('PETR4 15m · velas intradiárias · UTF-8 — 9 lidas, 4 gravadas, 0 já existiam, 5 recusadas');
    expect(reports.join('\n')).toContain('WINFUT 5m · velas (planilha formatada) · WINDOWS-1252 — 200 lidas, 200 gravadas');
    expect(reports.join('\n')).toContain('PETR4 negócios · negócios (times & trades) · WINDOWS-1252 — 5 lidas, 5 gravadas');
    const refused = await page.getByTestId('import-refused').innerText();
    expect(refused).toContain('linha 3: Data inexistente: "31/02/2024"');
    expect(refused).toContain('linha 9: última linha truncada');
    await page.screenshot({ path: path.join(SHOTS, 'import-profit.png') });
    await page.setViewportSize({ width: 1280, height: 820 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, 'import-profit-1280.png') });
    await page.setViewportSize({ width: 420, height: 820 });
  });

  it('shows coverage with the missing session, draws the candles, deletes a range after confirming', async () => {
    await page.getByTestId('tab-marketdata-button').click();
    const table = page.getByTestId('coverage-table');
    await table.locator('[data-rowkey="WINFUT 5m"]').waitFor({ timeout: 10_000 });
    const row = await table.locator('[data-rowkey="WINFUT 5m"]').innerText();
    expect(row).toMatch(/WINFUT\s+5m\s+26\/12\/24\s+30\/12\/24\s+200\s+1 pregão/);
    await table.locator('[data-rowkey="WINFUT 5m"]').click();
    await page.locator('[data-testid="candle-chart"][data-candles="100"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="candle-chart"] canvas').first().waitFor();
    expect(await page.getByTestId('marketdata-to-sheet').count()).toBe(0); // no Excel in browser mode
    // The range reads dd/mm/aaaa whatever the computer's language.
    expect(await page.getByTestId('range-from').inputValue()).toBe('30/12/2024');
    expect(await page.getByTestId('range-to').inputValue()).toBe('30/12/2024');
    // The pane fits 420 px: nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    await page.screenshot({ path: path.join(SHOTS, 'base-de-dados.png') });
    await page.setViewportSize({ width: 1280, height: 820 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, 'base-de-dados-1280.png') });
    await page.setViewportSize({ width: 420, height: 820 });
    await page.waitForTimeout(300);

    await page.getByTestId('marketdata-delete').click();
    await page.getByTestId('delete-confirm').waitFor();
    await page.waitForTimeout(600); // the dialog's fade-in, for a readable screenshot
    await page.screenshot({ path: path.join(SHOTS, 'base-de-dados-apagar.png') });
    await page.getByTestId('delete-confirm-yes').click();
    await page.waitForFunction(() => document.querySelector('[data-rowkey="WINFUT 5m"]')?.textContent?.includes('100'), undefined, { timeout: 10_000 });
    const cov = (await (await fetch(`${bridge.url}/api/marketdata/coverage`, { headers: { authorization: `Bearer ${bridge.token}` } })).json()) as CoverageRow[];
    expect(cov.find((c) => c.symbol === 'WINFUT')).toMatchObject({ rows: 100, to: '2024-12-26T20:15:00.000Z' });
    expect(errors).toEqual([]);
  });
});
