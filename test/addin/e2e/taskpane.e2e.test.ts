/**
 * End to end: the built task pane in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against a real bridge on the simulated market. Office.js comes from the local
 * @microsoft/office-js copy (the CDN URL is intercepted); `Excel` is the recorded in-memory
 * stand-in from support/fake-excel.ts, injected before the page loads.
 *
 * Covers: connect with a token, a quote moving in =BLACKBOX.COTACAO, boletas sent from a sheet
 * range with ids written back (double click included), an order cancelled from its detail, the
 * kill switch engaged and released, and "Enviar para planilha". Saves screenshots of each tab to
 * test-results/screenshots (BLACKBOX_SCREENSHOTS=docs/screenshots refreshes the README's).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KillSwitchView, OrderView } from '../../../common/types.js';
import { ensureAddinBuilt } from '../../../scripts/ensure-addin-built.js';
import { CHROMIUM, HAVE_CHROMIUM, SHOTS, collectErrors, fakeExcelScript, launchPane, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

if (!HAVE_CHROMIUM) {
  console.warn(`[e2e] SKIPPED: ${CHROMIUM} not found. Install it with: apt-get install -y chromium`);
}

const VIEWPORT = { width: 1040, height: 700 };

/** Records the functions that functions.js associates, and supplies CustomFunctions.Error outside Excel. */
const CUSTOM_FUNCTIONS_TRAP = `(() => {
  let cf;
  window.__cf = {};
  const wrap = (v) => {
    if (!v || typeof v !== 'object' || v.__bbWrapped) return v;
    // office.js assigns CustomFunctions.associate after creating the object: wrap whatever it assigns.
    let inner = v.associate;
    Object.defineProperty(v, 'associate', {
      configurable: true,
      get() {
        return function (id, fn) {
          if (typeof id === 'string') window.__cf[id] = fn; else if (id) Object.assign(window.__cf, id);
          try { return inner && inner.apply(this, arguments); } catch (e) { return undefined; }
        };
      },
      set(fn) { inner = fn; },
    });
    if (!v.Error) v.Error = class { constructor(code, message) { this.code = code; this.message = message; } };
    if (!v.ErrorCode) v.ErrorCode = { notAvailable: '#N/A', invalidValue: '#VALUE!' };
    v.__bbWrapped = true;
    return v;
  };
  Object.defineProperty(window, 'CustomFunctions', { configurable: true, get() { return cf; }, set(v) { cf = wrap(v); } });
})();`;

describe.skipIf(!HAVE_CHROMIUM)('task pane in headless Chromium against a real bridge', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let context: BrowserContext;
  let browserPage: Page;
  let excelPage: Page;
  const consoleErrors: string[] = [];

  const api = <T>(method: string, p: string, body?: unknown) => bridge.api<T>(method, p, body);

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('taskpane', { seed: 1 });
    for (const [id, name, cash] of [
      ['CLI1', 'Fundo Alfa FIA', 2_000_000],
      ['CLI2', 'Carteira Beta', 750_000],
      ['CLI3', 'Clube de Investimento Gama', 300_000],
    ] as const) {
      await api('POST', '/api/clients', { id, name, openingCash: cash });
    }
    // Office.js from the local copy: functions.js needs CustomFunctions, recorded by the trap. Two
    // pages are open (browser mode and Excel): the one in the background must not be throttled.
    pane = await launchPane(VIEWPORT, { officeJs: 'disk', initScripts: [CUSTOM_FUNCTIONS_TRAP], keepBackgroundPagesRunning: true });
    context = pane.context;
    mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  const closeDrawer = async (p: Page) => {
    await p.getByTestId('order-detail').getByRole('button', { name: 'Fechar' }).click();
    await p.getByTestId('order-detail').waitFor({ state: 'detached', timeout: 5_000 });
  };

  it('browser mode: pastes the token once, connects, shows the tabs and no sheet features', async () => {
    browserPage = collectErrors(await context.newPage(), consoleErrors);
    await signIn(browserPage, `${bridge.url}/taskpane.html`, bridge.token);
    expect(await browserPage.locator('html').getAttribute('data-host')).toBe('browser');
    const tabs = await browserPage.locator('[data-testid$="-button"][role="tab"]').allInnerTexts();
    // The eight tabs of PRODUCT.md §1.
    expect(tabs).toEqual(['Posições', 'Ordens', 'Boletas', 'Saldo', 'Base de dados', 'Import Profit', 'Estratégias', 'Backtests']);
    expect(await browserPage.getByTestId('send-to-sheet-positions').count()).toBe(0);
  });

  it('=BLACKBOX.COTACAO("PETR4";"ULT") streams a moving price; the blotter functions spill with a header', async () => {
    await browserPage.bringToFront();
    const values = await browserPage.evaluate(async () => {
      const w = window as unknown as { __cf: Record<string, (...a: unknown[]) => void> };
      const seen: unknown[] = [];
      const inv = { setResult: (v: unknown) => seen.push(v), onCanceled: undefined as undefined | (() => void) };
      w.__cf.COTACAO!('PETR4', 'ULT', inv);
      const ocp: unknown[] = [];
      w.__cf.COTACAO!('PETR4', 'OCP', { setResult: (v: unknown) => ocp.push(v) });
      const start = Date.now();
      while (Date.now() - start < 20_000) {
        const nums = [...new Set([...seen, ...ocp].filter((v) => typeof v === 'number'))];
        if (new Set(seen.filter((v) => typeof v === 'number')).size >= 2 || nums.length >= 3) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      inv.onCanceled?.();
      const spill: unknown[][][] = [];
      w.__cf.SALDO!(null, { setResult: (v: unknown[][]) => spill.push(v) });
      await new Promise((r) => setTimeout(r, 1500));
      return { seen, ocp, saldo: spill[spill.length - 1] };
    });
    const nums = [...values.seen, ...values.ocp].filter((v): v is number => typeof v === 'number');
    expect(nums.length).toBeGreaterThanOrEqual(2);
    expect(new Set(nums).size).toBeGreaterThanOrEqual(2); // it moved
    for (const n of nums) expect(n).toBeGreaterThan(30);
    expect(values.saldo![0]).toEqual(['Cliente', 'Nome', 'D+0', 'D+1', 'D+2', 'Data D+0', 'Data D+1', 'Data D+2']);
    expect(values.saldo!.length).toBe(4);
  });

  it('Boleta única: one order per ticket, even on a double click', async () => {
    const p = browserPage;
    await p.bringToFront();
    await p.getByTestId('tab-boletas-button').click();
    await p.getByTestId('boletas-single').click();
    await p.getByTestId('ticket-client').fill('CLI3');
    await p.getByTestId('ticket-symbol').fill('PETR4');
    await p.keyboard.press('Escape');
    await p.getByTestId('ticket-buy').click();
    await p.getByTestId('ticket-qty').fill('1.000');
    await p.getByTestId('ticket-quote').waitFor(); // live quote of the symbol
    expect(await p.getByTestId('ticket-summary').innerText()).toContain('Compra 1.000 PETR4');
    const before = (await api<OrderView[]>('GET', '/api/orders')).length;
    await p.getByTestId('ticket-submit').dblclick();
    await p.getByTestId('ticket-result').waitFor({ timeout: 10_000 });
    const after = await api<OrderView[]>('GET', '/api/orders');
    expect(after.length - before).toBe(1);
    expect(await p.getByTestId('ticket-result').innerText()).toContain(after.find((o) => o.client === 'CLI3')!.id);
    // a lot-size mistake is explained beside the field, nothing is sent
    await p.getByTestId('ticket-qty').fill('150');
    await p.getByTestId('ticket-submit').click();
    await p.getByText('deve ser múltipla do lote de 100').first().waitFor();
    expect((await api<OrderView[]>('GET', '/api/orders')).length).toBe(after.length);
  });

  it('Excel: a template, fifty-ish rows with bad ones, preview, a double click on Enviar, ids written back once', async () => {
    await context.addInitScript(fakeExcelScript());
    excelPage = collectErrors(await context.newPage(), consoleErrors);
    await excelPage.goto(`${bridge.url}/taskpane.html`);
    await excelPage.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 }); // token remembered
    expect(await excelPage.locator('html').getAttribute('data-host')).toBe('excel');
    await excelPage.getByTestId('tab-boletas-button').click();
    await excelPage.getByTestId('bulk-template').click();
    await excelPage.waitForFunction(() => (window as unknown as { __fakeExcel: { sheetNames(): string[] } }).__fakeExcel.sheetNames().includes('Boletas'));

    const rows: unknown[][] = [
      ['CLI1', 'PETR4', 'C', '1.000', 'Ordem cheia', 'MERCADO'], // market (explicit): fills
      ['CLI2', 'PETR4', 'Compra', 500, 'Ordem cheia', '34,80'], // rests: cancelled later
      ['CLI3', 'VALE3', 'buy', '300', '', 'MERCADO'],
      ['CLI1', 'ITUB4', 'C', '2,000', 'Ordem cheia', 'MERCADO'],
      ['CLI2', 'BBDC4', 'C', 1500, 'Ordem cheia', 'MERCADO'],
      ['CLI1', 'BBAS3', 'V', 400, 'Ordem cheia', 'MERCADO'], // a sell of PETR4 at market would cross row 1's buy: the bridge refuses that (self-trade)
      [],
      ['NINGUEM', 'PETR4', 'C', 100, 'Ordem cheia', 'MERCADO'],
      ['CLI1', 'PETR4', 'C', 'mil', 'Ordem cheia', 'MERCADO'],
      ['CLI1', 'PETR4', 'C', 150, 'Ordem cheia', 'MERCADO'],
      ['CLI2', 'XPTO3', 'C', 100, 'Ordem cheia', 'MERCADO'],
      ['CLI3', 'PETR4', 'C', 100, 'Ordem cheia', '36,555'],
      ['CLI3', 'VALE3', 'C', 100, 'Ordem cheia', 'MERCADO'], // merged below
    ];
    // 50 rows in all: the template's table (50 empty rows) holds them. Quantities differ: no repeated rows.
    for (let i = 0; i < 37; i++) rows.push([`CLI${(i % 3) + 1}`, ['PETR4', 'VALE3', 'ABEV3', 'WEGE3'][i % 4], i % 2 ? 'compra' : 'C', 100 * (1 + (i % 7)), 'Ordem cheia', 'MERCADO']);
    await excelPage.evaluate((data) => {
      const fx = (window as unknown as { __fakeExcel: { addSheet(n: string, v: unknown[][], at: string): void; merge(s: string, a: string): void; select(s: string, a: string): void } }).__fakeExcel;
      fx.addSheet('Boletas', data, 'A2');
      fx.merge('Boletas', 'A14:B14');
      fx.select('Boletas', 'B3');
    }, rows);
    await excelPage.getByTestId('bulk-read').click();
    await excelPage.getByTestId('bulk-summary').waitFor();
    const summary = await excelPage.getByTestId('bulk-summary').innerText();
    const validCount = 6 + 37;
    expect(summary).toContain('válidas');
    expect(summary).toMatch(/com erro/);
    await excelPage.locator('.fui-Toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await excelPage.screenshot({ path: path.join(SHOTS, 'boletas.png') });

    const before = (await api<OrderView[]>('GET', '/api/orders')).length;
    await excelPage.getByTestId('bulk-send').dblclick();
    await excelPage.getByTestId('bulk-result').waitFor({ timeout: 30_000 });
    const after = await api<OrderView[]>('GET', '/api/orders');
    const created = after.length - before;

    // The template's columns come from GET /api/algos: find the result columns by their header.
    const written = await excelPage.evaluate(() => {
      const fx = (window as unknown as { __fakeExcel: { values(s: string, a: string): unknown[][] } }).__fakeExcel;
      const header = fx.values('Boletas', 'A1:Z1')[0]!;
      const col = header.indexOf('ID da ordem');
      const letter = (i: number) => String.fromCharCode(65 + i);
      return fx.values('Boletas', `${letter(col)}2:${letter(col + 2)}51`);
    });
    const ids = written.map((r) => String(r[0] ?? '')).filter((x) => x);
    expect(ids.length).toBe(created); // one id per order created, none twice
    expect(new Set(ids).size).toBe(ids.length);
    expect(created, JSON.stringify(written.map((r, i) => [i + 2, r[1], r[2]]).filter((r) => r[2]))).toBe(validCount);
    for (const id of ids) expect(after.some((o) => o.id === id)).toBe(true);
    // row by row: the good ones have ids, the bad ones say why (naming the column)
    expect(written[0]![0]).toMatch(/^BB/);
    expect(written[6]).toEqual(['', '', '']); // the empty row stays empty
    expect(written[7]![2]).toContain('Cliente');
    expect(written[8]![2]).toContain('Quantidade');
    expect(written[9]![2]).toContain('lote');
    expect(written[10]![2]).toContain('Ativo');
    expect(written[11]![2]).toContain('tick');
    expect(written[12]![2]).toContain('mescladas');

    // Reading again: every sent row is recognised; nothing left to send.
    await excelPage.getByTestId('bulk-reread').click();
    await expect.poll(async () => excelPage.getByTestId('bulk-send').isDisabled()).toBe(true);
    expect(await excelPage.getByTestId('bulk-summary').innerText()).toContain('já enviadas');
  });

  it('Enviar para planilha writes the positions table and keeps it updated', async () => {
    await excelPage.bringToFront();
    await excelPage.getByTestId('tab-positions-button').click();
    await excelPage.getByTestId('send-to-sheet-positions').click();
    await excelPage.waitForFunction(
      () => {
        const fx = (window as unknown as { __fakeExcel: { table(n: string): { rect: { rowCount: number } } | undefined; values(s: string, a: string): unknown[][] } }).__fakeExcel;
        const t = fx.table('BBPosicoes');
        return !!t && t.rect.rowCount > 2 && fx.values('BB Posições', 'A2')[0]![0] !== '';
      },
      undefined,
      { timeout: 15_000 },
    );
    const header = await excelPage.evaluate(() => (window as unknown as { __fakeExcel: { values(s: string, a: string): unknown[][] } }).__fakeExcel.values('BB Posições', 'A1:H1')[0]);
    expect(header).toEqual(['Cliente', 'Ativo', 'Quantidade', 'Preço médio', 'Último', 'Resultado realizado', 'Resultado não realizado', 'Resultado total']);
    await excelPage.getByTestId('stop-sync-positions').click();
  });

  it('Posições and Saldo show the live book (screenshots)', async () => {
    const p = browserPage;
    await p.bringToFront();
    await p.getByTestId('tab-positions-button').click();
    await p.locator('[data-testid="positions-table"] [role="row"][data-rowkey]').first().waitFor({ timeout: 15_000 });
    await p.waitForTimeout(1200);
    await p.screenshot({ path: path.join(SHOTS, 'posicoes.png') });
    await p.getByTestId('positions-search').fill('cli1');
    await p.waitForTimeout(400);
    const clients = await p.locator('[data-testid="positions-table"] [role="row"][data-rowkey]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rowkey')));
    expect(clients.length).toBeGreaterThan(0);
    for (const c of clients) expect(c!.startsWith('CLI1:')).toBe(true);
    await p.getByTestId('positions-search').fill('');

    await p.getByTestId('tab-balances-button').click();
    await p.locator('[data-testid="balances-table"] [role="row"][data-rowkey]').first().waitFor();
    const text = await p.getByTestId('balances-table').innerText();
    expect(text).toMatch(/\b\d{1,3}(\.\d{3})+,\d{2}\b/); // pt-BR: 1.000.000,00
    expect(await p.getByTestId('tab-balances').innerText()).toMatch(/R\$\s?\d{1,3}(\.\d{3})*,\d{2}/);
    await p.waitForTimeout(500);
    await p.screenshot({ path: path.join(SHOTS, 'saldo.png') });
  });

  it('Ordens: detail with children and fills; cancel a working order', async () => {
    const p = browserPage;
    await p.bringToFront();
    await p.getByTestId('tab-orders-button').click();
    const orders = await api<OrderView[]>('GET', '/api/orders');
    const filled = orders.find((o) => o.status === 'filled' && o.qty >= 1000) ?? orders.find((o) => o.filledQty > 0)!;
    const resting = orders.find((o) => o.client === 'CLI2' && o.limitPrice === 34.8 && o.status === 'working');
    expect(resting, `the 34,80 limit order rests: ${JSON.stringify(orders.filter((o) => o.limitPrice === 34.8).map((o) => [o.id, o.status, o.statusReason]))}`).toBeDefined();
    await p.locator('[data-testid="orders-table"] [role="row"][data-rowkey]').first().waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(SHOTS, 'ordens.png') });

    // the table is virtualised: search first so the row is on screen
    await p.getByTestId('orders-search').fill(filled.id);
    await p.locator(`[data-testid="orders-table"] [data-rowkey="${filled.id}"]`).click();
    await p.getByTestId('detail-fills').waitFor({ timeout: 10_000 });
    await p.waitForTimeout(800); // let the drawer finish sliding in
    expect(await p.getByTestId('detail-children').locator('tbody tr').count()).toBeGreaterThan(0);
    await p.screenshot({ path: path.join(SHOTS, 'ordem-detalhe.png') });
    await closeDrawer(p);

    await p.getByTestId('orders-search').fill(resting!.id);
    await p.locator(`[data-testid="orders-table"] [data-rowkey="${resting!.id}"]`).click();
    await p.getByTestId('action-cancel').click();
    await p.getByTestId('confirm-cancel').click();
    await expect.poll(async () => (await api<OrderView>('GET', `/api/orders/${resting!.id}`)).status, { timeout: 15_000 }).toBe('canceled');
    await p.locator('[data-testid="order-detail"] [data-status="canceled"]').first().waitFor({ timeout: 10_000 });
    await closeDrawer(p);
    await p.getByTestId('orders-search').fill('');
  });

  it('PÂNICO: a confirmation that a double click cannot hit, a banner while engaged, and a deliberate release', async () => {
    const p = browserPage;
    await p.bringToFront();
    await p.getByTestId('tab-positions-button').click();
    await p.getByTestId('panic-button').dblclick(); // the second click must not confirm
    await p.getByTestId('panic-dialog').waitFor();
    expect(await p.getByTestId('panic-confirm').isDisabled()).toBe(true);
    expect((await api<KillSwitchView>('GET', '/api/kill-switch')).engaged).toBe(false);
    await p.keyboard.press('Enter'); // Enter does not confirm either
    await p.waitForTimeout(1000);
    expect((await api<KillSwitchView>('GET', '/api/kill-switch')).engaged).toBe(false);
    await p.getByTestId('panic-cancel').click();
    await p.getByTestId('panic-dialog').waitFor({ state: 'detached' });

    await p.getByTestId('panic-button').click();
    await p.getByTestId('panic-reason').fill('teste de pânico');
    await expect.poll(async () => p.getByTestId('panic-confirm').isEnabled()).toBe(true);
    await p.getByTestId('panic-confirm').click();
    await p.getByTestId('killswitch-banner').waitFor({ timeout: 10_000 });
    const ks = await api<KillSwitchView>('GET', '/api/kill-switch');
    expect(ks.engaged).toBe(true);
    expect(ks.reason).toBe('teste de pânico');
    expect(await p.getByTestId('killswitch-banner').innerText()).toContain('teste de pânico');
    // new orders are refused while engaged
    const refused = await fetch(`${bridge.url}/api/orders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bridge.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ client: 'CLI1', symbol: 'PETR4', side: 'buy', qty: 100, algo: { type: 'full' } }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await p.locator('.fui-Toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await p.screenshot({ path: path.join(SHOTS, 'panico.png') });

    await p.getByTestId('release-button').click();
    expect(await p.getByTestId('release-confirm').isDisabled()).toBe(true);
    await p.getByTestId('release-reason').fill('teste concluído');
    await p.getByTestId('release-check').click();
    await p.getByTestId('release-confirm').click();
    await p.getByTestId('killswitch-banner').waitFor({ state: 'detached', timeout: 10_000 });
    expect((await api<KillSwitchView>('GET', '/api/kill-switch')).engaged).toBe(false);
  });

  it('left no page errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
