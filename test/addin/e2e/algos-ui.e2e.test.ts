/**
 * End to end, the built task pane in headless Chromium against a real bridge on the simulated
 * market (the recipe of taskpane.e2e.test.ts, browser mode): after PÂNICO is released the paused
 * orders are shown plainly and resumed one by one or all at once behind a confirmation; the
 * reconnection banner says what the exchange did and filters Ordens to those orders; the order
 * detail of a full order shows its execution quality and a progress chart with no schedule.
 * Screenshots at 420 px (Excel's task pane) and 1280 px go to test-results/screenshots.
 *
 * The reconnection report is put on the `health` channel by this harness (a WebSocket route in
 * the browser that adds `lastReconnect` to what the real bridge sends): the pane is under test
 * here, not the bridge's reconciliation.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView, QuoteView, ReconnectReport } from '../../../common/types.js';
import { ensureAddinBuilt } from '../../../scripts/ensure-addin-built.js';
import { eventually } from '../../support/wait.js';
import { CHROMIUM, HAVE_CHROMIUM, SHOTS, collectErrors, launchPane, signIn, startPaneBridge, type PaneBridge } from './support/pane-harness.js';

if (!HAVE_CHROMIUM) console.warn(`[e2e] SKIPPED: ${CHROMIUM} not found. Install it with: apt-get install -y chromium`);

const NARROW = { width: 420, height: 860 };
const WIDE = { width: 1280, height: 800 };

describe.skipIf(!HAVE_CHROMIUM)('algos in the task pane: paused orders, reconnection banner, execution quality', () => {
  let bridge: PaneBridge;
  let pane: Awaited<ReturnType<typeof launchPane>>;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  /** What the harness adds to every `health` message the bridge sends to the pane. */
  let report: ReconnectReport | undefined;
  let filled: OrderView;
  const resting: OrderView[] = [];

  const api = <T>(method: string, p: string, body?: unknown) => bridge.api<T>(method, p, body);
  const order = (id: string) => api<OrderView>('GET', `/api/orders/${id}`);
  const rowKeys = (p: Page) => p.locator('[data-testid="orders-table"] [role="row"][data-rowkey]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rowkey')!));
  const shot = async (name: string) => {
    await page.locator('.fui-Toast').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, name) });
  };

  beforeAll(async () => {
    ensureAddinBuilt();
    bridge = await startPaneBridge('algos', { seed: 3 });
    await api('POST', '/api/clients', { id: 'CLI1', name: 'Fundo Alfa FIA', openingCash: 2_000_000 });
    await api('POST', '/api/clients', { id: 'CLI2', name: 'Carteira Beta', openingCash: 750_000 });

    // A full order that fills at once, and three that rest below the market (PÂNICO pauses them).
    const f = await api<OrderView>('POST', '/api/orders', { client: 'CLI1', symbol: 'PETR4', side: 'buy', qty: 1000, algo: { type: 'full' } });
    filled = await eventually(async () => {
      const v = await order(f.id);
      return v.status === 'filled' ? v : undefined;
    }, 20_000);
    for (const symbol of ['VALE3', 'ITUB4', 'BBDC4']) {
      const q = await eventually(async () => {
        const x = (await api<QuoteView[]>('GET', `/api/quotes?symbols=${symbol}`))[0]!;
        return x.bid !== undefined ? x : undefined;
      });
      const o = await api<OrderView>('POST', '/api/orders', { client: 'CLI2', symbol, side: 'buy', qty: 300, limitPrice: Math.round((q.bid! - 0.6) * 100) / 100, algo: { type: 'full' } });
      resting.push(await eventually(async () => {
        const v = await order(o.id);
        return v.status === 'working' && v.children?.length ? v : undefined;
      }));
    }

    pane = await launchPane(NARROW);
    context = pane.context;
    // The test seam: pass every frame through, adding the report to the health channel's data.
    await context.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        if (typeof m !== 'string' || !report) return ws.send(m);
        const msg = JSON.parse(m) as { op: string; channel?: string; data?: Record<string, unknown> };
        if ((msg.op === 'snapshot' || msg.op === 'delta') && msg.channel === 'health' && msg.data) msg.data.lastReconnect = report;
        ws.send(JSON.stringify(msg));
      });
    });
    mkdirSync(SHOTS, { recursive: true });
    page = collectErrors(await context.newPage(), consoleErrors);
    await signIn(page, `${bridge.url}/taskpane.html`, bridge.token);
  }, 300_000);

  afterAll(async () => {
    await pane?.close();
    await bridge?.close();
  });

  it('no report, no banner', async () => {
    await page.waitForTimeout(1500);
    expect(await page.getByTestId('reconnect-banner').count()).toBe(0);
  });

  it('reconnection banner: says what the exchange did, links to those orders, stays dismissed for that report only', async () => {
    const [r1, r2, r3] = resting;
    report = {
      at: new Date().toISOString(),
      outageMs: 12_000,
      canceledByExchange: [r1!.children![0]!.id, filled.children![0]!.id],
      filledWhileAway: [filled.children![0]!.id],
      held: [r2!.id, r3!.id],
    };
    await page.reload();
    await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 });
    const banner = page.getByTestId('reconnect-banner');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.innerText()).toContain(
      'Conexão com a corretora restabelecida após 12 s: 2 ordens canceladas pela bolsa, 1 executada enquanto desconectado, 2 ordens retidas para revisão.',
    );
    await shot('reconexao-420.png');

    await page.getByTestId('reconnect-show').click();
    await page.getByTestId('orders-focus').waitFor();
    await expect.poll(async () => (await rowKeys(page)).sort(), { timeout: 10_000 }).toEqual([filled.id, r1!.id, r2!.id, r3!.id].sort());
    expect(await page.getByTestId('orders-focus').innerText()).toContain('Mostrando 4 ordens afetadas pela reconexão');
    await page.getByTestId('orders-focus-clear').click();
    await expect.poll(async () => (await rowKeys(page)).length).toBe(4); // the whole day: the same four here
    await page.getByTestId('orders-focus').waitFor({ state: 'detached' });

    await page.getByTestId('reconnect-dismiss').click();
    await banner.waitFor({ state: 'detached' });
    await page.reload();
    await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(1500);
    expect(await banner.count()).toBe(0); // dismissed: this report does not come back
    report = { ...report, at: new Date(Date.now() + 1000).toISOString(), canceledByExchange: [], filledWhileAway: [], held: [r1!.id] };
    await page.reload();
    await banner.waitFor({ timeout: 10_000 }); // a new reconnection does
    expect(await banner.innerText()).toContain('1 ordem retida para revisão');
    await page.getByTestId('reconnect-dismiss').click();
    report = undefined;
  });

  it('after PÂNICO is released the orders stay paused, shown plainly, and resume one by one or all behind a confirmation', async () => {
    await page.getByTestId('tab-orders-button').click();
    await api('POST', '/api/kill-switch', { engaged: true, reason: 'teste de algos' });
    await page.getByTestId('killswitch-banner').waitFor({ timeout: 10_000 });
    await page.getByTestId('paused-notice').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('paused-resume-open').isDisabled()).toBe(true); // not while engaged
    await api('POST', '/api/kill-switch', { engaged: false, reason: 'conferido' });
    await page.getByTestId('killswitch-banner').waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForTimeout(500);
    for (const r of resting) expect((await order(r.id)).status).toBe('paused'); // nothing came back by itself

    const notice = page.getByTestId('paused-notice');
    expect(await notice.innerText()).toContain('3 ordens pausadas');
    expect(await notice.innerText()).toContain('PÂNICO liberado');
    await page.getByTestId('paused-filter').click();
    await expect.poll(async () => (await rowKeys(page)).sort()).toEqual(resting.map((r) => r.id).sort());
    await shot('pausadas-420.png');

    await page.getByTestId('paused-resume-open').click();
    const dialog = page.getByTestId('resume-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('resume-row').count()).toBe(3);
    await shot('retomar-todas-420.png');
    await page.getByTestId('resume-cancel').click(); // backing out resumes nothing
    await dialog.waitFor({ state: 'detached' });
    await page.waitForTimeout(500);
    for (const r of resting) expect((await order(r.id)).status).toBe('paused');

    // One by one: only that order goes back to work.
    await page.getByTestId('paused-resume-open').click();
    await dialog.locator(`[data-order="${resting[0]!.id}"]`).getByTestId('resume-one').click();
    await expect.poll(async () => (await order(resting[0]!.id)).status, { timeout: 10_000 }).toBe('working');
    await expect.poll(async () => dialog.getByTestId('resume-row').count(), { timeout: 10_000 }).toBe(2);
    expect((await order(resting[1]!.id)).status).toBe('paused');
    // Then all the rest, confirmed.
    expect(await page.getByTestId('resume-all-confirm').innerText()).toContain('Retomar todas (2)');
    await page.getByTestId('resume-all-confirm').click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(async () => Promise.all(resting.map(async (r) => (await order(r.id)).status)), { timeout: 10_000 }).toEqual(['working', 'working', 'working']);
    await notice.waitFor({ state: 'detached', timeout: 10_000 });
    const audit = await api<Array<{ action: string; target?: string }>>('GET', '/api/audit?limit=500');
    expect(audit.filter((a) => a.action === 'order.resume').map((a) => a.target).sort()).toEqual(resting.map((r) => r.id).sort());
  });

  it('order detail of a full order: execution quality in pt-BR, and the progress chart without a schedule', async () => {
    await page.getByTestId('orders-status-filter').click();
    await page.getByRole('option', { name: 'Todas' }).click();
    await page.getByTestId('orders-search').fill(filled.id);
    await page.locator(`[data-testid="orders-table"] [data-rowkey="${filled.id}"]`).click();
    const metrics = page.getByTestId('detail-metrics');
    await metrics.waitFor({ timeout: 10_000 });
    const detail = await order(filled.id);
    const text = async (k: string) => (await page.getByTestId(`metric-${k}`).innerText()).replace(/\s+/g, ' ');
    await expect.poll(async () => text('avg')).toContain(detail.avgPrice.toFixed(2).replace('.', ','));
    expect(await text('arrival')).toMatch(/Preço de chegada \d+,\d{2}/);
    expect(await text('slipArrival')).toMatch(/Desvio vs chegada (\S+ bps( \((pior|melhor)\))?|—)/);
    expect(await text('fees')).toMatch(/Custos R\$\s?\d+,\d{2}/);
    for (const k of ['vwap', 'slipVwap', 'participation', 'children', 'reprices']) await page.getByTestId(`metric-${k}`).waitFor();

    const chart = page.getByTestId('detail-progress-chart');
    expect(await chart.getAttribute('data-has-schedule')).toBe('no');
    await chart.locator('.recharts-line').first().waitFor({ timeout: 10_000 });
    expect(await chart.locator('.recharts-line').count()).toBe(1); // filled progress only
    expect(await chart.locator('.recharts-line path').first().getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+/);
    expect(await chart.innerText()).toContain('Executado');
    expect(await chart.innerText()).toContain('não tem plano');
    await page.waitForTimeout(800); // the drawer slides in
    // Nothing in the detail is wider than the pane.
    const overflow = await page.getByTestId('order-detail').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot('ordem-qualidade-420.png');
    await page.getByTestId('detail-metrics').scrollIntoViewIfNeeded();
    await shot('ordem-qualidade-420-b.png');

    await page.setViewportSize(WIDE);
    await page.waitForTimeout(600);
    await shot('ordem-qualidade-1280.png');
    await page.getByTestId('order-detail').getByRole('button', { name: 'Fechar' }).click();
    await page.getByTestId('order-detail').waitFor({ state: 'detached', timeout: 5_000 });
    await page.getByTestId('orders-search').fill('');
    await shot('ordens-1280.png');
    await page.setViewportSize(NARROW);
  });

  it('a TWAP-style order with a schedule: the chart draws the plan beside what was filled', async () => {
    // The bridge's algos arrive separately: the harness gives one resting order a schedule in its REST detail.
    const o = resting[1]!;
    const from = Date.parse(o.createdAt);
    const schedule = Array.from({ length: 11 }, (_, i) => ({ t: new Date(from + i * 60_000).toISOString(), targetQty: Math.round((o.qty * i) / 10) }));
    await page.route(`**/api/orders/${o.id}`, async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as OrderView;
      await route.fulfill({ response: res, json: { ...body, schedule } });
    });
    await page.getByTestId('orders-search').fill(o.id);
    await page.locator(`[data-testid="orders-table"] [data-rowkey="${o.id}"]`).click();
    const chart = page.getByTestId('detail-progress-chart');
    await expect.poll(async () => chart.getAttribute('data-has-schedule'), { timeout: 10_000 }).toBe('yes');
    await expect.poll(async () => chart.locator('.recharts-line').count()).toBe(2);
    expect(await chart.innerText()).toContain('Plano');
    expect(await chart.innerText()).not.toContain('não tem plano');
    await page.waitForTimeout(800);
    await shot('ordem-plano-420.png');
    await page.getByTestId('order-detail').getByRole('button', { name: 'Fechar' }).click();
    await page.getByTestId('order-detail').waitFor({ state: 'detached', timeout: 5_000 });
    await page.getByTestId('orders-search').fill('');
    await page.unroute(`**/api/orders/${o.id}`);
  });

  it('Boleta única builds its fields from GET /api/algos and shows the bridge’s algo.<param> error on that field', async () => {
    // Descriptors of algos this build has never seen hard-coded, served in place of the bridge's list.
    const algos = [
      { type: 'full', label: 'Ordem cheia', params: [] },
      {
        type: 'twap',
        label: 'TWAP',
        params: [
          { name: 'start', label: 'Início', kind: 'time', required: false, help: 'Horário de São Paulo' },
          { name: 'end', label: 'Fim', kind: 'time', required: true },
          { name: 'sliceSeconds', label: 'Intervalo (s)', kind: 'integer', required: false, min: 5, max: 3600, default: 60 },
          { name: 'aggressiveness', label: 'Agressividade', kind: 'enum', required: false, default: 'passive', options: [{ value: 'passive', label: 'Passiva' }, { value: 'aggressive', label: 'Agressiva' }] },
          { name: 'randomize', label: 'Aleatorizar', kind: 'boolean', required: false, default: false },
          { name: 'maxShare', label: 'Participação máx.', kind: 'percent', required: false, min: 0.01, max: 1 },
        ],
      },
    ];
    let posted: { algo?: Record<string, unknown> } | undefined;
    await page.route('**/api/algos', (route) => route.fulfill({ json: algos }));
    await page.route('**/api/orders', async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      posted = route.request().postDataJSON();
      await route.fulfill({ status: 422, json: { errors: [{ field: 'algo.end', code: 'window_closed', message: 'a janela já fechou: fim antes de agora' }] } });
    });
    await page.reload();
    await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('tab-boletas-button').click();
    await page.getByTestId('boletas-single').click();
    await page.getByTestId('ticket-client').fill('CLI1');
    await page.getByTestId('ticket-symbol').fill('PETR4');
    await page.keyboard.press('Escape');
    await page.getByTestId('ticket-buy').click();
    await page.getByTestId('ticket-qty').fill('1000');
    await page.getByTestId('ticket-algo').click();
    await page.getByRole('option', { name: 'TWAP' }).click();
    await page.getByTestId('algo-params').waitFor();
    expect(await page.getByTestId('param-aggressiveness').innerText()).toContain('Passiva'); // the default
    await page.getByTestId('param-aggressiveness').click();
    await page.getByRole('option', { name: 'Agressiva' }).click();
    await page.getByTestId('param-randomize').click(); // a Switch
    await page.getByTestId('param-end').fill('17:30');
    await page.getByTestId('param-maxShare').fill('15');
    await shot('boleta-parametros-420.png');
    await page.getByTestId('ticket-submit').click();
    const endField = page.getByTestId('param-field-end');
    await endField.getByText('a janela já fechou').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('param-field-sliceSeconds').innerText()).not.toContain('janela');
    expect(posted?.algo).toEqual({ type: 'twap', end: '17:30', sliceSeconds: 60, aggressiveness: 'aggressive', randomize: true, maxShare: 0.15 });
    await shot('boleta-erro-420.png');
    await page.unroute('**/api/orders');
    await page.unroute('**/api/algos');
  });

  it('left no page errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
