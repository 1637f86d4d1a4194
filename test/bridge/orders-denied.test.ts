/**
 * A boleta the risk gate will not let out ends in a visible state with its reason, never stuck in
 * pending_new — also across restarts; PÂNICO is released by admin only and is the first answer a
 * sender gets, before an idempotent resend's `duplicate`.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderView, QuoteView } from '../../common/types.js';
import { Journal } from '../../bridge/journal/index.js';
import { eventually, startTestBridge, type TestBridge } from '../support/bridge.js';

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

async function withClients(t: TestBridge): Promise<void> {
  await t.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 10_000_000 });
  await t.api('POST', '/api/clients', { id: 'BETA', name: 'Carteira Beta', openingCash: 10_000_000 });
}

describe('a boleta whose child the risk gate refuses', () => {
  it('refuses, at acceptance, a batch row that would cross another row of the same batch', async () => {
    b = await startTestBridge();
    await withClients(b);
    const q = await quote(b, 'PETR4');
    const price = Math.round((q.bid! - 1) * 100) / 100;
    const rows = [
      { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: price, algo: { type: 'full' } },
      { client: 'BETA', symbol: 'PETR4', side: 'sell', qty: 100, limitPrice: price, algo: { type: 'full' } },
      { client: 'BETA', symbol: 'VALE3', side: 'sell', qty: 100, limitPrice: 200, algo: { type: 'full' } },
    ];
    const r = await b.api('POST', '/api/orders/batch', { rows });
    expect(r.status).toBe(200);
    expect(r.body.results[0].ok).toBe(true);
    expect(r.body.results[1]).toMatchObject({ ok: false, errors: [{ field: 'rows[1].limitPrice', code: 'self_trade' }] });
    expect(r.body.results[1].errors[0].message).toContain('rows[0]');
    expect(r.body.results[2].ok).toBe(true);
    expect((await b.api<OrderView[]>('GET', '/api/orders')).body).toHaveLength(2);
  });

  it('ends rejected with its reason when the journal holds crossing boletas without children, and stays so after restarts', async () => {
    b = await startTestBridge();
    await withClients(b);
    const q = await quote(b, 'PETR4');
    const price = Math.round((q.bid! - 1) * 100) / 100;
    const buy = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: price, algo: { type: 'full' } });
    expect(buy.status).toBe(201);
    const t0 = b;
    await eventually(async () => ((await t0.api<OrderView>('GET', `/api/orders/${buy.body.id}`)).body.status === 'working' ? true : undefined));
    await b.close();

    // What a bridge killed right after accepting a crossing batch left behind: a parent on the
    // other side, accepted, with no child yet (as journaled by the version that let them in).
    const j = Journal.open(path.join(b.dataDir, 'journal.db'));
    const accepted = [...j.readAll()].find((e) => e.type === 'order.accepted')!.data as Record<string, unknown>;
    const sellId = String(accepted.id).replace(/\d+$/, (n) => String(Number(n) + 1).padStart(n.length, '0'));
    await j.append('order.accepted', { ...accepted, id: sellId, client: 'BETA', side: 'sell', idempotencyKey: undefined, childIds: [], fillIds: [] });
    j.close();

    b = await b.restart();
    const t1 = b;
    const sell = await eventually(async () => {
      const o = (await t1.api<OrderView>('GET', `/api/orders/${sellId}`)).body;
      return o.status === 'rejected' ? o : undefined;
    });
    expect(sell.statusReason).toMatch(/própria gestora/);
    expect(sell.children ?? []).toHaveLength(0);
    // The buy it would have crossed works on.
    await eventually(async () => ((await t1.api<OrderView>('GET', `/api/orders/${buy.body.id}`)).body.status === 'working' ? true : undefined));

    b = await b.restart();
    const again = (await b.api<OrderView>('GET', `/api/orders/${sellId}`)).body;
    expect(again.status).toBe('rejected');
    expect(again.statusReason).toMatch(/própria gestora/);
    expect((await b.api<OrderView[]>('GET', '/api/orders?status=pending_new')).body).toHaveLength(0);
  });
});

describe('PÂNICO', () => {
  it('is engaged by a trader but released only by admin, with a message naming the role', async () => {
    b = await startTestBridge();
    const trader = (await b.api('POST', '/api/tokens', { role: 'trader', name: 'Ana Trader', label: 'mesa' })).body.token as string;
    const viewer = (await b.api('POST', '/api/tokens', { role: 'viewer', name: 'Rui Risco' })).body.token as string;
    expect((await b.api('POST', '/api/kill-switch', { engaged: true }, viewer)).status).toBe(403);
    const engaged = await b.api('POST', '/api/kill-switch', { engaged: true, reason: 'mesa' }, trader);
    expect(engaged.status).toBe(200);
    expect(engaged.body.engaged).toBe(true);
    const refused = await b.api('POST', '/api/kill-switch', { engaged: false }, trader);
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0]).toMatchObject({ field: 'engaged', code: 'forbidden' });
    expect(refused.body.errors[0].message).toMatch(/admin/);
    expect(refused.body.errors[0].message).toMatch(/trader/);
    expect((await b.api('GET', '/api/kill-switch')).body.engaged).toBe(true);
    const released = await b.api('POST', '/api/kill-switch', { engaged: false });
    expect(released.status).toBe(200);
    expect(released.body.engaged).toBe(false);
  });

  it('answers trading_halted, not duplicate, to an identical resend while engaged', async () => {
    b = await startTestBridge();
    await withClients(b);
    const boleta = { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 30, algo: { type: 'full' }, idempotencyKey: 'resend-1' };
    expect((await b.api('POST', '/api/orders', boleta)).status).toBe(201);
    expect((await b.api('POST', '/api/orders', boleta)).status).toBe(200);
    await b.api('POST', '/api/kill-switch', { engaged: true, reason: 'teste' });
    const resend = await b.api('POST', '/api/orders', boleta);
    expect(resend.status).toBe(422);
    expect(resend.body.errors[0].code).toBe('trading_halted');
    expect(resend.body.errors[0].message).toMatch(/PÂNICO/);
    const batch = await b.api('POST', '/api/orders/batch', { rows: [boleta] });
    expect(batch.body.results[0]).toMatchObject({ ok: false, errors: [{ code: 'trading_halted' }] });
  });
});
