/**
 * End to end: the Backtests and Estratégias tabs in headless Chromium (browser mode) against a real
 * bridge whose market.db holds recorded candles. A backtest of the bundled ma-crossover is started
 * from the form (a 422 first lands on the field it names), its progress is watched in the list, the
 * result opens with its cards, equity and drawdown charts drawn, trades and orders; two runs are
 * compared; a 2×2 sweep is ranked and a row opens its run. In Estratégias ma-crossover starts on the
 * simulated bridge and is stopped; a strategy's boletas say so in Ordens; PÂNICO halts a run and
 * blocks starting; the arming dialog of a real broker (the bridge here is simulated: the test tells
 * the pane the market is live) asks for limits and ARMAR.
 *
 * Screenshots: backtests-420/1280, backtest-resultado-420/1280, backtests-comparar-1280,
 * estrategias-420/1280, estrategia-armar-420 (BLACKBOX_SCREENSHOTS=docs/screenshots refreshes the README's).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestRunView, StrategyRunView, SweepView } from '../../../common/backtest.js';
import type { OrderView } from '../../../common/types.js';
import { MarketDb } from '../../../bridge/marketdata/market-db.js';
import { ensureAddinBuilt } from '../../../scripts/ensure-addin-built.js';
import { writeCandles } from '../../support/market-fixture.js';
import { eventually } from '../../support/wait.js';
import { collectErrors, fakeExcelScript, HAVE_CHROMIUM, launchPane, SHOTS, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

/** Rests one buy far below the market on its first timer: a boleta with a strategy as its origin. */
const RESTING = `export default {
  name: 'Repouso',
  params: {},
  wants: { quotes: true },
  setup(ctx) {
    let sent = false;
    return {
      onStart() { ctx.every('t', 1000); },
      onTimer() {
        const last = ctx.last('PETR4') ?? ctx.quote('PETR4')?.bid;
        if (sent || last === undefined) return;
        sent = true;
        ctx.log('boleta enviada');
        ctx.submit({ symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: ctx.roundPrice('PETR4', last * 0.9, 'buy') });
      },
    };
  },
};
`;

/** Breaks on its first bar: a fault with its place. */
const FAULTY = `export default {
  name: 'Falha',
  params: {},
  setup() {
    return {
      onBar(bar) {
        if (bar.close > 0) throw new Error('sinal sem dados suficientes');
      },
    };
  },
};
`;

/** Pixels of about this colour in any canvas under the element: the chart drew its series. */
async function drawnPixels(p: Page, testId: string, rgb: [number, number, number]): Promise<number> {
  return p.getByTestId(testId).evaluate((el, [r, g, b]) => {
    let n = 0;
    for (const c of el.querySelectorAll('canvas')) {
      const ctx = (c as HTMLCanvasElement).getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) continue;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200 && Math.abs(d[i]! - r) < 40 && Math.abs(d[i + 1]! - g) < 40 && Math.abs(d[i + 2]! - b) < 40) n++;
    }
    return n;
  }, rgb);
}

async function noSidewaysScroll(p: Page, what: string): Promise<void> {
  const m = await p.evaluate(() => ({ sw: document.scrollingElement!.scrollWidth, w: window.innerWidth }));
  expect(m.sw, `${what}: the page scrolls sideways`).toBeLessThanOrEqual(m.w);
}

describe.skipIf(!HAVE_CHROMIUM)('Backtests and Estratégias tabs against a real bridge', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const api = <T>(method: string, p: string, body?: unknown) => bridge.api<T>(method, p, body);
  let firstRun = '';

  /** A screenshot without a toast over the content or a crosshair where the mouse last was. */
  const shot = async (name: string) => {
    await page.mouse.move(1, 1);
    await expect.poll(() => page.locator('.fui-Toast').count(), { timeout: 10_000 }).toBe(0);
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, name) });
  };
  const atWidth = async (width: number) => {
    await page.setViewportSize({ width, height: 860 });
    await page.waitForTimeout(400);
  };

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('bt', { seed: 1 }, (dataDir) => {
      const db = MarketDb.open(path.join(dataDir, 'market.db'));
      // Three months of 1-minute VALE3 (about 25,000 bars: a few seconds of replay, progress visible) and a year of daily PETR4.
      writeCandles(db, { symbol: 'VALE3', interval: '1m', from: '2024-01-01', to: '2024-03-31', startH: 6000, tickH: 1, seed: 3 });
      writeCandles(db, { symbol: 'PETR4', interval: '1d', from: '2024-01-01', to: '2024-12-31', startH: 3000, tickH: 5 });
      db.close();
      mkdirSync(path.join(dataDir, 'strategies'), { recursive: true });
      writeFileSync(path.join(dataDir, 'strategies', 'repouso.ts'), RESTING);
      writeFileSync(path.join(dataDir, 'strategies', 'falha.ts'), FAULTY);
    });
    await api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa Ações FIA', openingCash: 2_000_000 });
    pane = await launchPane({ width: 420, height: 860 });
    context = pane.context;
    mkdirSync(SHOTS, { recursive: true });
    page = collectErrors(await context.newPage(), errors);
    await signIn(page, `${bridge.url}/`, bridge.token);
  }, 300_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  it('runs ma-crossover from the form: a 422 on the field, then progress in the list and the result with its charts', async () => {
    await page.getByTestId('tab-backtests-button').click();
    await page.getByTestId('bt-strategy').selectOption('ma-crossover');
    expect(await page.getByTestId('bt-strategy-description').innerText()).toContain('média curta');
    // The parameters come from the strategy: their ranges and defaults are the hints.
    expect(await page.getByTestId('bt-params').innerText()).toContain('Entre 1 e 500. Padrão: 9.');
    await page.getByTestId('bt-param-fast').fill('5');
    await page.getByTestId('bt-param-slow').fill('20');
    await page.getByTestId('bt-symbols').fill('XPTO4');
    await page.getByTestId('bt-from').fill('02/01/2024');
    await page.getByTestId('bt-to').fill('28/03/2024');
    await page.getByTestId('bt-interval').selectOption('1m');
    await page.getByTestId('bt-cdi').fill('10,65');
    await page.getByTestId('bt-warmup').fill('30');
    await page.getByTestId('bt-label').fill('MA 5/20 VALE3 1 min');
    await page.getByTestId('bt-submit').click();
    // Nothing stored for XPTO4: the bridge's 422 lands under Ativos, in Portuguese.
    const symbolsField = page.locator('.fui-Field').filter({ has: page.getByTestId('bt-symbols') });
    await expect.poll(() => symbolsField.innerText(), { timeout: 10_000 }).toMatch(/XPTO4/);
    expect(await symbolsField.locator('[role="alert"], .fui-Field__validationMessage').first().innerText()).not.toMatch(/no data|not found/i);
    await page.getByTestId('bt-symbols').fill('VALE3');
    // What the database holds for the typed symbol is said under the field.
    await expect.poll(() => symbolsField.innerText()).toContain('VALE3: 1m de 02/01/2024 a 28/03/2024');
    await page.getByTestId('bt-submit').click();

    // The list, live: the run's progress with events per second — or, on a quick moment of the
    // machine, the run already done between two progress messages (progressText and the channel's
    // progress deltas have tests of their own).
    const list = page.getByTestId('backtest-runs');
    const progress = list.locator('[data-testid="run-progress"]').filter({ hasText: /[1-9]\d?% · [\d.]+ eventos\/s/ });
    await progress.or(list.locator('[data-state="done"]')).first().waitFor({ timeout: 60_000 });
    await noSidewaysScroll(page, 'runs at 420 px');
    await page.mouse.move(1, 1);
    await page.screenshot({ path: path.join(SHOTS, 'backtests-420.png') });
    const row = list.locator('[role="row"][data-rowkey]').first();
    firstRun = (await row.getAttribute('data-rowkey'))!;
    await list.locator(`[data-rowkey="${firstRun}"] [data-state="done"]`).waitFor({ timeout: 90_000 });
    expect(await list.locator(`[data-rowkey="${firstRun}"]`).innerText()).toMatch(/Sharpe -?[\d,]+/);

    await list.locator(`[data-rowkey="${firstRun}"]`).click();
    const result = page.getByTestId('backtest-result');
    await result.locator('[data-testid="equity-chart"] canvas').first().waitFor({ timeout: 15_000 });
    const run = await api<BacktestRunView & { result: { metrics: { totalReturn: number }; totalFills: number; equity: unknown[] } }>('GET', `/api/backtests/${firstRun}`);
    expect(run.spec).toMatchObject({ symbols: ['VALE3'], interval: '1m', riskFreeAnnual: 0.1065, warmupBars: 30, params: { fast: 5, slow: 20 } });
    // The cards are the bridge's figures, in pt-BR.
    const pct = (x: number) => `${x > 0 ? '+' : x < 0 ? '-' : ''}${Math.abs(x * 100).toFixed(2).replace('.', ',')}%`;
    expect(await page.getByTestId('metric-totalReturn').innerText()).toBe(pct(run.result.metrics.totalReturn));
    expect(await page.getByTestId('metric-trades').innerText()).not.toBe('—');
    // Equity (blue) and drawdown (red) are drawn.
    expect(Number(await page.getByTestId('equity-chart').getAttribute('data-points'))).toBe(run.result.equity.length);
    await expect.poll(() => drawnPixels(page, 'equity-chart', [15, 108, 189]), { timeout: 5_000 }).toBeGreaterThan(100);
    expect(await drawnPixels(page, 'equity-chart', [197, 15, 31])).toBeGreaterThan(20);
    // Trades and orders, and the execution quality.
    expect(await page.getByTestId('result-tab-fills').innerText()).toContain(run.result.totalFills.toLocaleString('pt-BR'));
    await page.locator('[data-testid="result-fills"] [role="row"][data-rowkey]').first().waitFor();
    // The detail carries the first thousand trades; scrolling to the end pages in the rest.
    expect(run.result.totalFills).toBeGreaterThan(1_000);
    expect(await page.getByTestId('result-fills').getAttribute('aria-rowcount')).toBe(String(1_000 + 1));
    await expect
      .poll(
        async () => {
          await page.getByTestId('result-fills').evaluate((e) => e.scrollTo(0, e.scrollHeight));
          return page.getByTestId('result-fills').getAttribute('aria-rowcount');
        },
        { timeout: 15_000 },
      )
      .toBe(String(run.result.totalFills + 1));
    await page.getByTestId('result-fills').evaluate((e) => e.scrollTo(0, 0));
    expect(await page.getByTestId('result-quality').innerText()).toContain('Desvio vs chegada');
    // Browser mode: no sheet, and the button says why instead of failing.
    expect(await page.getByTestId('result-to-sheet').isDisabled()).toBe(true);
    await noSidewaysScroll(page, 'result at 420 px');
    // The charts in view, the cards above them.
    await page.getByTestId('equity-chart').evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await shot('backtest-resultado-420.png');
    await page.getByTestId('result-tab-orders').click();
    await page.locator('[data-testid="result-orders"] [role="row"][data-rowkey]').first().waitFor();
    expect(await page.getByTestId('result-orders').getAttribute('data-layout')).toBe('compact');
    await atWidth(1280);
    await page.getByTestId('result-tab-fills').click();
    await result.evaluate((e) => e.scrollTo(0, 0));
    await shot('backtest-resultado-1280.png');
    await noSidewaysScroll(page, 'result at 1280 px');
    await atWidth(420);
    await page.getByTestId('result-back').click();
  }, 180_000);

  it('compares two finished runs: metrics in columns, curves rebased to 100', async () => {
    // A second run, started elsewhere (the API): it appears in the pane's list by itself.
    const second = await api<BacktestRunView>('POST', '/api/backtests', { strategy: 'ma-crossover', label: 'MA 3/8 PETR4 diário', spec: { symbols: ['PETR4'], from: '2024-01-02', to: '2024-12-30', interval: '1d', params: { fast: 3, slow: 8 } } });
    const list = page.getByTestId('backtest-runs');
    await list.locator(`[data-rowkey="${second.id}"] [data-state="done"]`).waitFor({ timeout: 90_000 });
    for (const id of [firstRun, second.id]) await list.locator(`[data-rowkey="${id}"] [data-testid="run-compare"]`).check();
    await page.getByTestId('backtests-compare').click();
    const table = page.getByTestId('compare-table');
    await table.waitFor();
    expect(await table.locator('thead th').allInnerTexts()).toEqual(['Métrica', '#1', '#2']);
    await expect.poll(async () => (await table.locator('tr[data-metric="totalReturn"] td').allInnerTexts()).slice(1).every((t) => /%$/.test(t)), { timeout: 10_000 }).toBe(true);
    expect(await table.innerText()).toContain('fast 3 · slow 8');
    await page.getByTestId('compare-chart').locator('canvas').first().waitFor();
    // Blue (#1) and orange (#2) lines.
    await expect.poll(() => drawnPixels(page, 'compare-chart', [15, 108, 189]), { timeout: 5_000 }).toBeGreaterThan(50);
    expect(await drawnPixels(page, 'compare-chart', [216, 59, 1])).toBeGreaterThan(50);
    await noSidewaysScroll(page, 'compare at 420 px');
    await atWidth(1280);
    await shot('backtests-comparar-1280.png');
    await noSidewaysScroll(page, 'compare at 1280 px');
    await atWidth(420);
  }, 150_000);

  it('in Excel, "Enviar para planilha" writes metrics, the curve and every trade as tables with Excel dates', async () => {
    const excel = await context.newPage();
    excel.on('pageerror', (e) => errors.push(`pageerror (Excel): ${e.message}`));
    await excel.addInitScript(fakeExcelScript());
    try {
      await excel.goto(`${bridge.url}/`);
      await excel.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 }); // token remembered
      expect(await excel.locator('html').getAttribute('data-host')).toBe('excel');
      await excel.getByTestId('tab-backtests-button').click();
      await excel.getByTestId('backtests-runs').click();
      await excel.locator(`[data-testid="backtest-runs"] [data-rowkey="${firstRun}"]`).click();
      await excel.getByTestId('result-to-sheet').click();
      const detail = await api<{ result: { totalFills: number; equity: unknown[]; metrics: { totalReturn: number } } }>('GET', `/api/backtests/${firstRun}`);
      type Fx = { table(n: string): { rect: { rowCount: number } } | undefined; values(s: string, a: string): unknown[][]; sheetNames(): string[] };
      const sheet = `BB Backtest ${firstRun}`;
      const tableRows = (name: string) => excel.evaluate((n) => ((window as unknown as { __fakeExcel: Fx }).__fakeExcel.table(n)?.rect.rowCount ?? 0) - 1, name);
      const id = firstRun.replace(/[^A-Za-z0-9_]/g, '_');
      // Every trade, past the thousand the detail carries: the pane pages the rest from the bridge.
      await expect.poll(() => tableRows(`BBBT_${id}_Negocios`), { timeout: 20_000 }).toBe(detail.result.totalFills);
      expect(detail.result.totalFills).toBeGreaterThan(1_000);
      expect(await tableRows(`BBBT_${id}_Curva`)).toBe(detail.result.equity.length);
      const metrics = await excel.evaluate((s) => (window as unknown as { __fakeExcel: Fx }).__fakeExcel.values(s, 'A2:B25'), sheet);
      const byName = Object.fromEntries(metrics.map(([k, v]) => [k, v]));
      expect(byName['Retorno total']).toBeCloseTo(detail.result.metrics.totalReturn, 12);
      expect(byName['De']).toBe(45293); // 02/01/2024 as an Excel date
      const firstTrade = await excel.evaluate((s) => (window as unknown as { __fakeExcel: Fx }).__fakeExcel.values(s, 'H2:N2')[0], sheet);
      expect(typeof firstTrade![0]).toBe('number'); // a date Excel can sort and chart
      expect(firstTrade![1]).toBe('VALE3');
      await excel.getByText(/negócios na planilha/).first().waitFor({ timeout: 10_000 });
    } finally {
      await excel.close();
    }
  }, 90_000);

  it('runs a 2×2 sweep and shows it ranked; a row opens its run', async () => {
    await page.getByTestId('backtests-sweeps').click();
    await page.getByTestId('sweep-form').waitFor();
    await page.getByTestId('sweep-symbols').fill('PETR4');
    await page.getByTestId('sweep-interval').selectOption('1d');
    await page.getByTestId('sweep-from').fill('02/01/2024');
    await page.getByTestId('sweep-to').fill('30/12/2024');
    await page.getByTestId('sweep-param-fast').fill('3, 5');
    await page.getByTestId('sweep-param-slow').fill('8; 13');
    await page.getByTestId('sweep-rank-by').selectOption('totalReturn');
    expect(await page.getByTestId('sweep-submit').innerText()).toContain('4 combinações');
    await page.getByTestId('sweep-submit').click();
    const card = page.getByTestId('sweep-card').first();
    await card.waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="sweep-card"][data-state="done"]').first().waitFor({ timeout: 120_000 });
    const sweeps = await api<SweepView[]>('GET', '/api/sweeps');
    const sweep = await api<SweepView>('GET', `/api/sweeps/${sweeps[0]!.id}`);
    expect(sweep.rows).toHaveLength(4);
    const rows = page.locator('[data-testid="sweep-table"] [role="row"][data-rowkey]');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(4);
    // Ranked as the bridge ranked them, best first.
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-rowkey')))).toEqual(sweep.rows.map((r) => r.runId));
    expect(await rows.first().innerText()).toMatch(/^1º/m);
    expect(await page.getByTestId('sweep-progress').first().innerText()).toContain('4 de 4 combinações');
    await noSidewaysScroll(page, 'sweeps at 420 px');
    await rows.first().click();
    await page.getByTestId('backtest-result').waitFor();
    await page.locator('[data-testid="equity-chart"] canvas').first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('result-spec').innerText()).toContain(`fast ${sweep.rows[0]!.params.fast}`);
    await page.getByTestId('result-back').click();
    await page.getByTestId('sweep-table').waitFor();
    // The runs on a desktop: columns, one of them running.
    await page.getByTestId('backtests-runs').click();
    await atWidth(1280);
    const third = await api<BacktestRunView>('POST', '/api/backtests', { strategy: 'ma-crossover', label: 'MA 10/30 VALE3 1 min', spec: { symbols: ['VALE3'], from: '2024-01-02', to: '2024-03-28', interval: '1m', params: { fast: 10, slow: 30 } } });
    const list = page.getByTestId('backtest-runs');
    expect(await list.getAttribute('data-layout')).toBe('columns');
    // A short run can go from queued to done between two progress messages: either is a row to show.
    const thirdRow = list.locator(`[data-rowkey="${third.id}"]`);
    await thirdRow.locator('[data-testid="run-progress"]').filter({ hasText: /[1-9]\d?% · / }).or(thirdRow.locator('[data-state="done"]')).first().waitFor({ timeout: 60_000 });
    await page.mouse.move(1, 1);
    await page.screenshot({ path: path.join(SHOTS, 'backtests-1280.png') });
    await list.locator(`[data-rowkey="${third.id}"] [data-state="done"]`).waitFor({ timeout: 90_000 });
    await atWidth(420);
  }, 180_000);

  it('a failed strategy shows its place; a running backtest is cancelled, then deleted after a confirmation', async () => {
    await page.getByTestId('backtests-runs').click();
    const list = page.getByTestId('backtest-runs');
    const bad = await api<BacktestRunView>('POST', '/api/backtests', { strategy: 'falha.ts', spec: { symbols: ['PETR4'], from: '2024-01-02', to: '2024-03-28', interval: '1d' } });
    await list.locator(`[data-rowkey="${bad.id}"] [data-state="failed"]`).waitFor({ timeout: 60_000 });
    expect(await list.locator(`[data-rowkey="${bad.id}"]`).innerText()).toContain('falha em onBar: sinal sem dados suficientes');
    await list.locator(`[data-rowkey="${bad.id}"]`).click();
    const fault = page.getByTestId('result-fault');
    await fault.waitFor();
    expect(await fault.innerText()).toContain('A estratégia falhou em onBar');
    expect(await fault.innerText()).toContain('sinal sem dados suficientes');
    expect(await page.getByTestId('result-fault-place').innerText()).toMatch(/Onde: .*falha\.ts:\d+/);
    await page.getByTestId('result-back').click();

    const long = await api<BacktestRunView>('POST', '/api/backtests', { strategy: 'ma-crossover', label: 'para cancelar', spec: { symbols: ['VALE3'], from: '2024-01-02', to: '2024-03-28', interval: '1m' } });
    await list.locator(`[data-rowkey="${long.id}"] [data-testid="run-cancel"]`).click({ timeout: 10_000 });
    await list.locator(`[data-rowkey="${long.id}"] [data-state="cancelled"]`).waitFor({ timeout: 30_000 });
    await list.locator(`[data-rowkey="${long.id}"] [data-testid="run-delete"]`).click();
    await page.getByTestId('run-delete-confirm').waitFor();
    expect(await page.getByTestId('run-delete-confirm').innerText()).toContain('para cancelar');
    await page.getByTestId('run-delete-yes').click();
    await list.locator(`[data-rowkey="${long.id}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    expect((await fetch(`${bridge.url}/api/backtests/${long.id}`, { headers: { authorization: `Bearer ${bridge.token}` } })).status).toBe(404);
  }, 120_000);

  it('Estratégias: starts ma-crossover on the simulated bridge and stops it after a confirmation', async () => {
    expect((await api<{ market: string }>('GET', '/api/strategies')).market).toBe('sim');
    await page.getByTestId('tab-strategies-button').click();
    expect(await page.getByTestId('strategies-market').innerText()).toBe('Mercado simulado');
    await page.locator('[data-testid="strategy-card"][data-strategy="ma-crossover"]').click();
    await page.getByTestId('strategy-symbols').fill('PETR4');
    await page.getByTestId('strategy-clients').fill('ALFA');
    await page.getByTestId('strategy-param-fast').fill('5');
    await page.getByTestId('strategy-param-slow').fill('20');
    expect(await page.getByTestId('strategy-start').innerText()).toBe('Iniciar no simulado');
    await page.getByTestId('strategy-start').click();
    const card = page.locator('[data-testid="strategy-run"][data-state="running"]').first();
    await card.waitFor({ timeout: 20_000 });
    expect(await card.innerText()).toMatch(/Cruzamento de médias[\s\S]*PETR4 · 1 min · cliente ALFA · fast 5 · slow 20/);
    expect(await card.locator('[data-market]').innerText()).toBe('Simulado');
    await noSidewaysScroll(page, 'Estratégias at 420 px');
    await page.getByTestId('tab-strategies').evaluate((e) => e.scrollTo(0, 0));
    await shot('estrategias-420.png');
    await atWidth(1280);
    await shot('estrategias-1280.png');
    await noSidewaysScroll(page, 'Estratégias at 1280 px');
    await atWidth(420);

    const id = (await card.getAttribute('data-run'))!;
    await card.getByTestId('strategy-stop').click();
    await page.getByTestId('strategy-stop-confirm').waitFor();
    expect(await page.getByTestId('strategy-stop-confirm').innerText()).toContain('canceladas');
    await page.getByTestId('strategy-stop-yes').click();
    await page.locator(`[data-testid="strategy-run"][data-run="${id}"][data-state="stopped"]`).waitFor({ timeout: 15_000 });
    expect((await api<StrategyRunView>('GET', `/api/strategies/runs/${id}`)).state).toBe('stopped');
  }, 120_000);

  it('a strategy\'s boleta says so in Ordens; PÂNICO halts the run, and starting waits for the release', async () => {
    const run = await api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    const order = await eventually(async () => (await api<OrderView[]>('GET', '/api/orders')).find((o) => o.origin?.strategyRunId === run.id), 20_000);
    await page.getByTestId('tab-orders-button').click();
    const row = page.locator(`[data-testid="orders-table"] [data-rowkey="${order.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('order-origin').getAttribute('title')).toBe('Estratégia Repouso');
    await row.click();
    expect(await page.getByTestId('detail-origin').innerText()).toBe('Estratégia Repouso');
    await page.getByTestId('order-detail').getByRole('button', { name: 'Fechar' }).click();

    await page.getByTestId('tab-strategies-button').click();
    const card = page.locator(`[data-testid="strategy-run"][data-run="${run.id}"]`);
    // "Ver ordens": Ordens filtered to the run's boletas.
    await card.getByTestId('strategy-run-orders').click();
    await page.locator(`[data-testid="orders-table"] [data-rowkey="${order.id}"]`).waitFor();
    expect(await page.locator('[data-testid="orders-table"] [role="row"][data-rowkey]').count()).toBe(1);
    expect(await page.getByTestId('orders-focus').innerText()).toContain('Mostrando 1 ordem da estratégia Repouso');
    await page.getByTestId('orders-focus-clear').click();
    await page.getByTestId('tab-strategies-button').click();
    await page.locator(`[data-testid="strategy-run"][data-run="${run.id}"][data-state="running"]`).waitFor();
    const runningBg = await card.locator('[data-run-state]').evaluate((e) => getComputedStyle(e).backgroundColor);
    await api('POST', '/api/kill-switch', { engaged: true, reason: 'teste de estratégias' });
    await page.locator(`[data-testid="strategy-run"][data-run="${run.id}"][data-state="halted"]`).waitFor({ timeout: 15_000 });
    expect(await card.locator('[data-run-state]').innerText()).toBe('Interrompida pelo PÂNICO');
    // Halted does not look like running: a filled amber badge, not the blue tint.
    expect(await card.locator('[data-run-state]').evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(runningBg);
    expect(await page.getByTestId('strategies-panic').innerText()).toContain('nenhuma estratégia pode ser iniciada');
    await page.locator('[data-testid="strategy-card"][data-strategy="ma-crossover"]').click();
    expect(await page.getByTestId('strategy-start').isDisabled()).toBe(true);
    await api('POST', '/api/kill-switch', { engaged: false, reason: 'fim do teste' });
    await page.getByTestId('strategies-panic').waitFor({ state: 'detached', timeout: 10_000 });
  }, 90_000);

  it('on a real broker the start is an arming step: limits, ARMAR typed, and a plain warning', async () => {
    // The bridge here trades the simulated B3; the pane is told the market is live, as a ProfitDLL bridge says.
    const sent: unknown[] = [];
    await page.route('**/api/strategies', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), market: 'live' } });
    });
    await page.route('**/api/strategies/runs', async (route) => {
      if (route.request().method() === 'POST') sent.push(route.request().postDataJSON());
      await route.continue();
    });
    await page.getByTestId('strategies-refresh').click();
    await expect.poll(() => page.getByTestId('strategies-market').innerText()).toContain('CORRETORA REAL');
    await expect.poll(() => page.locator('.fui-Toast').count(), { timeout: 10_000 }).toBe(0); // for the screenshot
    await page.locator('[data-testid="strategy-card"][data-strategy="ma-crossover"]').click();
    await page.getByTestId('strategy-symbols').fill('PETR4');
    await page.getByTestId('strategy-clients').fill('ALFA');
    expect(await page.getByTestId('strategy-start').innerText()).toBe('Armar e iniciar…');
    await page.getByTestId('strategy-start').click();
    const dialog = page.getByTestId('arm-dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Isto opera dinheiro de verdade.');
    expect(await dialog.innerText()).toContain('na conta de ALFA');
    expect(await dialog.innerText()).toContain('PETR4 · 1 min · semente 1 · Média curta (barras) 5 · Média longa (barras) 20');
    expect(sent).toEqual([]); // nothing leaves before the arming
    await page.getByTestId('arm-max-order').fill('50.000');
    await page.getByTestId('arm-max-total').fill('200.000,00');
    await page.getByTestId('arm-max-per-minute').fill('10');
    await page.getByTestId('arm-confirm').fill('armar');
    expect(await page.getByTestId('arm-start').isDisabled()).toBe(true);
    await page.getByTestId('arm-confirm').fill('ARMAR');
    expect(await page.getByTestId('arm-start').isEnabled()).toBe(true);
    await noSidewaysScroll(page, 'arming at 420 px');
    await page.waitForTimeout(400); // the dialog's fade-in, for a readable screenshot
    await page.screenshot({ path: path.join(SHOTS, 'estrategia-armar-420.png') });
    await page.getByTestId('arm-start').click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    expect(sent).toEqual([
      { strategy: 'ma-crossover', symbols: ['PETR4'], clients: ['ALFA'], interval: '1m', params: { fast: 5, slow: 20 }, seed: 1, limits: { maxOrderNotionalBrl: 50_000, maxTotalNotionalBrl: 200_000, maxOrdersPerMinute: 10, symbols: ['PETR4'] }, confirm: 'ARMAR' },
    ]);
    await page.unroute('**/api/strategies');
    await page.unroute('**/api/strategies/runs');
    for (const r of await api<StrategyRunView[]>('GET', '/api/strategies/runs')) if (r.state === 'running') await api('POST', `/api/strategies/runs/${r.id}/stop`);
    expect(errors).toEqual([]);
  }, 60_000);
});
