/**
 * One definition of notional: Posições' exposure, the risk gate's notional limits and P&L all use
 * the instrument's value per point (WIN R$ 0,20, WDO R$ 10, stocks R$ 1). A WIN book must not read
 * as if each point were worth a real, and the all-clients figure must be the sum of the clients'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView, PositionsChannelView, PositionView } from '../../common/types.js';
import { defaultInstruments, InstrumentRegistry, notionalCentavos, priceToTicks } from '../../bridge/model/instrument.js';
import { PortfolioService } from '../../bridge/portfolio/portfolio-service.js';
import { RiskGate, DEFAULT_RISK_LIMITS } from '../../bridge/risk/risk-gate.js';
import { eventually, startTestBridge, type TestBridge } from '../support/bridge.js';
import { spMs } from '../calendar/sp-time.js';

const instruments = new InstrumentRegistry(defaultInstruments());
const win = instruments.all().find((i) => i.symbol.startsWith('WIN'))!;
const wdo = instruments.all().find((i) => i.symbol.startsWith('WDO'))!;
const petr = instruments.require('PETR4');

describe('notionalCentavos', () => {
  it('is qty x points x the value of a point', () => {
    // 10 WIN at 155.000 points: 10 x 155.000 x R$ 0,20 = R$ 310.000,00
    expect(notionalCentavos(win, 10, priceToTicks(win, 155_000))).toBe(310_000_00);
    // 3 WDO at 5.420,5: 3 x 5.420,5 x R$ 10 = R$ 162.615,00
    expect(notionalCentavos(wdo, 3, priceToTicks(wdo, 5420.5))).toBe(162_615_00);
    // 100 PETR4 at 36,57 = R$ 3.657,00
    expect(notionalCentavos(petr, 100, priceToTicks(petr, 36.57))).toBe(3_657_00);
  });

  it('is signed like qty, never -0, and refuses a figure beyond exact integers', () => {
    expect(notionalCentavos(win, -2, priceToTicks(win, 150_000))).toBe(-60_000_00);
    expect(Object.is(notionalCentavos(win, 0, 100), 0)).toBe(true);
    expect(() => notionalCentavos(petr, Number.MAX_SAFE_INTEGER, 3)).toThrow(RangeError);
  });
});

describe('exposure in Posições', () => {
  const svc = new PortfolioService(instruments, () => 0);
  const t = spMs('2026-12-02T11:00');
  const ticks = (p: number) => priceToTicks(win, p);
  // A long 10 WIN, B short 4 WIN, B long 200 PETR4.
  svc.bookFill({ fillId: 'w1', client: 'A', symbol: win.symbol, side: 'buy', qty: 10, priceTicks: ticks(155_000), timeMs: t });
  svc.bookFill({ fillId: 'w2', client: 'B', symbol: win.symbol, side: 'sell', qty: 4, priceTicks: ticks(155_100), timeMs: t });
  svc.bookFill({ fillId: 'p1', client: 'B', symbol: 'PETR4', side: 'buy', qty: 200, priceTicks: 3650, timeMs: t });
  const last = (s: string) => (s === win.symbol ? ticks(156_000) : s === 'PETR4' ? 3700 : undefined);
  const ch: PositionsChannelView = svc.positionsChannel(last);
  const row = (rows: PositionView[], client: string | undefined, symbol: string) => rows.find((p) => p.client === client && p.symbol === symbol)!;

  it('marks a WIN position at R$ 0,20 a point', () => {
    expect(row(ch.byClient, 'A', win.symbol)).toMatchObject({ qty: 10, exposure: 312_000, netExposure: 312_000 }); // 10 x 156.000 x 0,20
    expect(row(ch.byClient, 'B', win.symbol)).toMatchObject({ qty: -4, exposure: 124_800, netExposure: -124_800 });
    // P&L with the same multiplier: A bought at 155.000, marked at 156.000: 10 x 1.000 x 0,20 = R$ 2.000
    expect(row(ch.byClient, 'A', win.symbol).unrealizedPnl).toBe(2_000);
  });

  it('consolidated is the sum of the per-client figures, row by row and in total', () => {
    const cons = row(ch.consolidated, undefined, win.symbol);
    expect(cons.qty).toBe(6);
    expect(cons.exposure).toBe(312_000 + 124_800); // gross: a short in B does not hide A's long
    expect(cons.netExposure).toBe(312_000 - 124_800);
    const sum = (f: (t: (typeof ch.clientTotals)[number]) => number) => ch.clientTotals.reduce((a, x) => a + f(x), 0);
    expect(ch.totals.exposure).toBe(312_000 + 124_800 + 7_400);
    expect(ch.totals.exposure).toBeCloseTo(sum((x) => x.exposure!), 6);
    expect(ch.totals.netExposure).toBeCloseTo(sum((x) => x.netExposure!), 6);
    expect(ch.totals.unrealizedPnl).toBeCloseTo(sum((x) => x.unrealizedPnl), 6);
    expect(ch.totals.exposure).toBeCloseTo(ch.consolidated.reduce((a, p) => a + (p.exposure ?? 0), 0), 6);
    expect(ch.clientTotals.find((x) => x.client === 'B')).toMatchObject({ exposure: 124_800 + 7_400, unpriced: [] });
  });

  it('shows no exposure for a position without a last price, and says which', () => {
    const noWin = svc.positionsChannel((s) => (s === 'PETR4' ? 3700 : undefined));
    expect(row(noWin.byClient, 'A', win.symbol).exposure).toBeUndefined();
    expect(noWin.totals.exposure).toBeUndefined();
    expect(noWin.totals.unpriced).toEqual([win.symbol]);
    expect(noWin.clientTotals.find((x) => x.client === 'B')!.exposure).toBeUndefined();
  });
});

describe('the risk gate uses the same notional', () => {
  const gate = new RiskGate({ ...DEFAULT_RISK_LIMITS, maxOrderNotionalCentavos: 1_000_000_00 });
  const base = { clients: ['A'], clientLimits: () => undefined, inst: win, side: 'buy' as const, positionQty: () => 0 };
  const price = priceToTicks(win, 155_000);

  it('accepts 32 WIN at 155.000 (R$ 992.000) and refuses 33 (R$ 1.023.000) against a R$ 1.000.000 limit', () => {
    expect(gate.checkBoleta({ ...base, qty: 32, limitTicks: price, referenceTicks: price })).toEqual([]);
    const refused = gate.checkBoleta({ ...base, qty: 33, limitTicks: price, referenceTicks: price });
    expect(refused.map((e) => e.code)).toEqual(['max_notional']);
    expect(refused[0]!.message).toContain('R$ 1.023.000,00');
  });

  it('holds a client in a block to its own share', () => {
    const limits = (c: string) => (c === 'A' ? { maxOrderNotionalCentavos: 500_000_00 } : undefined);
    const block = { ...base, clients: ['A', 'B'], clientLimits: limits, qty: 30, limitTicks: price, referenceTicks: price };
    // A gets 10 of 30: R$ 310.000, under A's R$ 500.000 although the block is R$ 930.000.
    expect(gate.checkBoleta({ ...block, clientQty: (c) => (c === 'A' ? 10 : 20) })).toEqual([]);
    const over = gate.checkBoleta({ ...block, clientQty: (c) => (c === 'A' ? 20 : 10) });
    expect(over.map((e) => e.code)).toEqual(['client_max_notional']);
    expect(over[0]!.message).toContain('R$ 620.000,00');
  });
});

describe('through the real bridge', () => {
  let b: TestBridge;
  beforeAll(async () => {
    b = await startTestBridge();
    expect((await b.api('POST', '/api/clients', { id: 'WINA', name: 'Fundo Índice', openingCash: 1_000_000, limits: { maxOrderNotionalBrl: 100_000 } })).status).toBe(201);
    expect((await b.api('POST', '/api/clients', { id: 'WINB', name: 'Fundo Hedge', openingCash: 1_000_000 })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.dispose();
  });

  it('refuses a WIN boleta over the client limit by qty x points x 0,20, and books the fills at the same multiplier', async () => {
    const instrumentsView = (await b.api<Array<{ symbol: string; pointValue: number }>>('GET', '/api/instruments')).body;
    const symbol = instrumentsView.find((i) => i.symbol.startsWith('WIN'))!.symbol;
    const quote = await eventually(async () => {
      const q = (await b.api('GET', `/api/quotes?symbols=${symbol}`)).body[0];
      return q?.ask !== undefined && q?.last !== undefined ? q : undefined;
    });
    const limit = quote.ask as number;
    // The limit is R$ 100.000: floor(100.000 / (limit x 0,20)) contracts pass, one more does not.
    const maxQty = Math.floor(100_000 / (limit * 0.2));
    const over = await b.api('POST', '/api/orders', { client: 'WINA', symbol, side: 'buy', qty: maxQty + 1, limitPrice: limit, algo: { type: 'full' } });
    expect(over.status).toBe(422);
    expect(over.body.errors.map((e: { code: string }) => e.code)).toEqual(['client_max_notional']);

    for (const [client, side, qty] of [['WINA', 'buy', maxQty], ['WINB', 'sell', 2]] as const) {
      const r = await b.api<OrderView>('POST', '/api/orders', { client, symbol, side, qty, algo: { type: 'full' } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      await eventually(async () => ((await b.api<OrderView>('GET', `/api/orders/${r.body.id}`)).body.status === 'filled' ? true : undefined), 15_000);
    }
    const rows = (await b.api<PositionView[]>('GET', '/api/positions?client=WINA')).body;
    const p = rows.find((x) => x.symbol === symbol)!;
    expect(p.qty).toBe(maxQty);
    expect(p.exposure).toBeCloseTo(maxQty * p.last * 0.2, 2);
    const { totals, clientTotals } = (await b.api<Pick<PositionsChannelView, 'totals' | 'clientTotals'>>('GET', '/api/positions/totals')).body;
    const sum = clientTotals.reduce((a, x) => a + x.exposure!, 0);
    expect(totals.exposure).toBeCloseTo(sum, 2);
    expect(totals.exposure).toBeCloseTo((maxQty + 2) * p.last * 0.2, 2);
  }, 40_000);
});
