/**
 * PÂNICO and restarts, through the real bridge: engaging the kill switch cancels every working
 * child and refuses new boletas until released; a restart loses no order, position or cash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BalanceView, InstrumentView, OrderView, PositionView, QuoteView } from '../../common/types.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, startTestBridge, tempDataDir, type TestBridge, WsProbe } from '../support/bridge.js';

let b: TestBridge | undefined;
afterEach(async () => {
  await b?.dispose();
  b = undefined;
});

async function quote(t: TestBridge, symbol: string): Promise<QuoteView> {
  return eventually(async () => {
    const q = (await t.api<QuoteView[]>('GET', `/api/quotes?symbols=${symbol}`)).body[0];
    return q.ask !== undefined && q.bid !== undefined ? q : undefined;
  });
}

describe('kill switch', () => {
  it('cancels every working child, refuses new boletas, and lets them through again once released', async () => {
    b = await startTestBridge();
    const t = b;
    await t.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 10_000_000 });
    const probe = await WsProbe.open(t, ['killswitch', 'orders']);
    const q = await quote(t, 'PETR4');
    const rows = Array.from({ length: 20 }, (_, i) => ({
      client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: Math.round((q.bid! - 0.2 - i * 0.01) * 100) / 100, algo: { type: 'full' },
      idempotencyKey: `ks-${i}`,
    }));
    const sent = await t.api('POST', '/api/orders/batch', { rows });
    const ids: string[] = sent.body.results.map((r: any) => r.order.id);
    await eventually(async () => {
      const list = (await t.api<OrderView[]>('GET', '/api/orders?status=working')).body;
      return list.length === 20 ? true : undefined;
    });

    const engaged = await t.api('POST', '/api/kill-switch', { engaged: true, reason: 'teste de pânico' });
    expect(engaged.status).toBe(200);
    expect(engaged.body).toMatchObject({ engaged: true, reason: 'teste de pânico' });
    await probe.waitFor((m) => m.op === 'delta' && m.channel === 'killswitch' && (m.data as any).engaged === true);
    expect((await t.api('GET', '/api/health')).body.tradingState).toBe('HALTED');

    const refused = await t.api('POST', '/api/orders', { ...rows[0], idempotencyKey: 'after-panic' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].code).toBe('trading_halted');

    for (const id of ids) {
      const o = await eventually(async () => {
        const v = (await t.api<OrderView>('GET', `/api/orders/${id}`)).body;
        return v.children!.every((c) => c.status === 'canceled') ? v : undefined;
      });
      expect(o.status).toBe('paused');
    }
    expect(t.oms.liveChildCount()).toBe(0);
    const resumeBlocked = await t.api('POST', `/api/orders/${ids[0]}/resume`);
    expect(resumeBlocked.status).toBe(409);

    const released = await t.api('POST', '/api/kill-switch', { engaged: false, reason: 'normalizado' });
    expect(released.body.engaged).toBe(false);
    const ok = await t.api('POST', '/api/orders', { ...rows[0], idempotencyKey: 'after-release' });
    expect(ok.status).toBe(201);
    expect((await t.api('POST', `/api/orders/${ids[0]}/resume`)).status).toBe(200);
    probe.close();
  });
});

describe('restart', () => {
  it('comes back with the same orders, positions and cash, and keeps the kill switch state', async () => {
    b = await startTestBridge();
    await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 2_000_000 });
    await b.api('POST', '/api/clients', { id: 'BETA', name: 'Carteira Beta', openingCash: 1_000_000 });
    const q = await quote(b, 'WEGE3');
    const filled = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'WEGE3', side: 'buy', qty: 300, limitPrice: Math.round((q.ask! + 0.2) * 100) / 100, algo: { type: 'full' } });
    const t0 = b;
    await eventually(async () => ((await t0.api<OrderView>('GET', `/api/orders/${filled.body.id}`)).body.status === 'filled' ? true : undefined));
    // The current mini-index contract, whatever today's date (the universe rolls at each expiry).
    const win = (await b.api<InstrumentView[]>('GET', '/api/instruments')).body.find((i) => i.symbol.startsWith('WIN'))!.symbol;
    const wq = await quote(b, win);
    const fut = await b.api<OrderView>('POST', '/api/orders', { client: 'BETA', symbol: win, side: 'sell', qty: 3, limitPrice: wq.bid! - 50, algo: { type: 'full' } });
    expect(fut.status).toBe(201);
    await eventually(async () => ((await t0.api<OrderView>('GET', `/api/orders/${fut.body.id}`)).body.status === 'filled' ? true : undefined));
    const resting = await b.api<OrderView>('POST', '/api/orders', { client: 'BETA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 33, algo: { type: 'full' } });
    expect(resting.status).toBe(201);

    const before = {
      orders: (await b.api<OrderView[]>('GET', '/api/orders')).body.map((o) => ({ id: o.id, status: o.status, filledQty: o.filledQty, avgPrice: o.avgPrice })),
      positions: (await b.api<PositionView[]>('GET', '/api/positions?client=ALFA')).body.map((p) => ({ symbol: p.symbol, qty: p.qty, avgPrice: p.avgPrice })),
      // ALFA holds stocks only: its cash is exact; BETA's includes a projected futures adjustment that moves with the market.
      balances: (await b.api<BalanceView[]>('GET', '/api/balances?client=ALFA')).body,
      futures: (await b.api<PositionView[]>('GET', '/api/positions?client=BETA')).body.map((p) => ({ symbol: p.symbol, qty: p.qty, avgPrice: p.avgPrice, realizedPnl: p.realizedPnl })),
      fills: (await b.api<OrderView>('GET', `/api/orders/${filled.body.id}`)).body.fills,
    };

    b = await b.restart();
    const t = b;
    const after = {
      orders: (await t.api<OrderView[]>('GET', '/api/orders')).body.map((o) => ({ id: o.id, status: o.status, filledQty: o.filledQty, avgPrice: o.avgPrice })),
      positions: (await t.api<PositionView[]>('GET', '/api/positions?client=ALFA')).body.map((p) => ({ symbol: p.symbol, qty: p.qty, avgPrice: p.avgPrice })),
      balances: (await t.api<BalanceView[]>('GET', '/api/balances?client=ALFA')).body,
      futures: (await t.api<PositionView[]>('GET', '/api/positions?client=BETA')).body.map((p) => ({ symbol: p.symbol, qty: p.qty, avgPrice: p.avgPrice, realizedPnl: p.realizedPnl })),
      fills: (await t.api<OrderView>('GET', `/api/orders/${filled.body.id}`)).body.fills,
    };
    // The resting order is re-sent after the restart (the in-process market restarted with the bridge).
    expect(after.orders.map((o) => o.id)).toEqual(before.orders.map((o) => o.id));
    expect(after.orders.filter((o) => o.id !== resting.body.id)).toEqual(before.orders.filter((o) => o.id !== resting.body.id));
    expect(after.positions).toEqual(before.positions);
    expect(after.balances).toEqual(before.balances);
    expect(after.futures).toEqual(before.futures);
    expect(after.fills).toEqual(before.fills);
    const re = await eventually(async () => {
      const o = (await t.api<OrderView>('GET', `/api/orders/${resting.body.id}`)).body;
      return o.status === 'working' && o.children!.some((c) => c.status === 'working') ? o : undefined;
    });
    expect(re.children!.filter((c) => c.status === 'working')).toHaveLength(1);

    // A new order after the restart gets a fresh id, never one already used.
    const next = await t.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 33.01, algo: { type: 'full' } });
    expect(before.orders.map((o) => o.id)).not.toContain(next.body.id);
  });
});

describe('operator disconnected', () => {
  it('pauses algos when no Excel has been connected for the configured time', async () => {
    const dataDir = tempDataDir();
    writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ installId: 'abc123', settings: { excelDisconnectPauseMs: 1_000 } }));
    b = await startTestBridge({}, dataDir);
    const t = b;
    const probe = await WsProbe.open(t, ['orders']);
    await t.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 });
    const sent = await t.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 34, algo: { type: 'full' } });
    await eventually(async () => ((await t.api<OrderView>('GET', `/api/orders/${sent.body.id}`)).body.status === 'working' ? true : undefined));
    // Connected: nothing pauses.
    await new Promise((r) => setTimeout(r, 2_200));
    expect((await t.api<OrderView>('GET', `/api/orders/${sent.body.id}`)).body.status).toBe('working');
    probe.close();
    const paused = await eventually(async () => {
      const o = (await t.api<OrderView>('GET', `/api/orders/${sent.body.id}`)).body;
      return o.status === 'paused' ? o : undefined;
    }, 6_000);
    expect(paused.statusReason).toMatch(/Excel desconectado/);
  });
});
