/** GET /api/settlements through the real bridge: what settles for a client on a D+n date, trade by trade. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceView, OrderView, QuoteView, SettlementDayView } from '../../common/types.js';
import { eventually, startTestBridge, type TestBridge } from '../support/bridge.js';

let b: TestBridge;

async function quote(symbol: string): Promise<QuoteView> {
  return eventually(async () => {
    const q = (await b.api<QuoteView[]>('GET', `/api/quotes?symbols=${symbol}`)).body[0];
    return q.ask !== undefined && q.bid !== undefined ? q : undefined;
  });
}

beforeAll(async () => {
  b = await startTestBridge();
  await b.api('POST', '/api/clients', { id: 'LIQ', name: 'Fundo Liquidação', openingCash: 500_000 });
});
afterAll(async () => {
  await b?.dispose();
});

describe('GET /api/settlements', () => {
  it('lists the trades settling on D+2 with amount and fees in BRL, adding up to the D+2 step', async () => {
    const q = await quote('VALE3');
    const o = await b.api<OrderView>('POST', '/api/orders', { client: 'LIQ', symbol: 'VALE3', side: 'buy', qty: 200, limitPrice: Math.round((q.ask! + 0.3) * 100) / 100, algo: { type: 'full' } });
    expect(o.status).toBe(201);
    const done = await eventually(async () => {
      const v = (await b.api<OrderView>('GET', `/api/orders/${o.body.id}`)).body;
      return v.status === 'filled' ? v : undefined;
    });
    const [bal] = (await b.api<BalanceView[]>('GET', '/api/balances?client=LIQ')).body;
    const r = await b.api<SettlementDayView>('GET', `/api/settlements?client=LIQ&date=${bal.dates[2]}`);
    expect(r.status).toBe(200);
    expect(r.body.client).toBe('LIQ');
    expect(r.body.date).toBe(bal.dates[2]);
    expect(r.body.rows.length).toBeGreaterThan(0);
    const qty = r.body.rows.reduce((s, row) => s + row.qty, 0);
    expect(qty).toBe(200);
    for (const row of r.body.rows) {
      expect(row).toMatchObject({ client: 'LIQ', symbol: 'VALE3', side: 'buy' });
      expect(row.amount).toBeLessThan(0);
      expect(row.fees).toBeGreaterThan(0);
      expect(Math.round((row.amount - row.fees) * 100)).toBe(Math.round(row.net * 100));
    }
    // Bought at the order's average price; the order's detail gives its fills' shares of the day's bill,
    // the same figures the settlement rows carry, to the centavo.
    expect(Math.round(-r.body.totals.amount * 100)).toBe(Math.round(done.avgPrice * 200 * 100));
    expect(Math.round(r.body.totals.fees * 100)).toBe(Math.round((done.metrics?.feesBrl ?? 0) * 100));
    expect(Math.round(r.body.totals.net * 100)).toBe(Math.round((bal.d2 - bal.d1) * 100));
    // Nothing settles on D+0 or D+1 for a stock bought today.
    expect((await b.api<SettlementDayView>('GET', `/api/settlements?client=LIQ&date=${bal.dates[1]}`)).body.rows).toEqual([]);
  });

  it('refuses a bad date or an unknown client with an error naming the field', async () => {
    const bad = await b.api('GET', '/api/settlements?client=LIQ&date=2026-02-30');
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ field: 'date' });
    expect((await b.api('GET', '/api/settlements?client=LIQ&date=30/12/2026')).body.errors[0]).toMatchObject({ field: 'date', message: expect.stringContaining('yyyy-mm-dd') });
    expect((await b.api('GET', '/api/settlements?date=2026-12-28')).body.errors[0]).toMatchObject({ field: 'client' });
    const unknown = await b.api('GET', '/api/settlements?client=NOPE&date=2026-12-28');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors).toEqual([{ field: 'client', code: 'unknown_client', message: 'cliente desconhecido: NOPE' }]);
  });
});
