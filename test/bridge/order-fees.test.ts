/**
 * An order's fees in its detail (GET /api/orders/:id, the Ordens drawer) through the real bridge: B3
 * bills a client's day at once, so a buy that a later sell of the same day makes a day trade is repriced
 * at the day-trade table, and the detail shows each fill's share of the bill as it stands — adding up,
 * over the day's orders, to what settles. The bridge runs on Tuesday 10/06/2025, under the fee table
 * before August 2025, when an equity day trade paid less than a regular trade (since then B3's first
 * tiers of the two cost the same for a fund of this size).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceView, OrderView, QuoteView, SettlementDayView } from '../../common/types.js';
import { eventually, startTestBridge, type TestBridge } from '../support/bridge.js';
import { offsetClock } from '../support/clock.js';

let b: TestBridge;

async function quote(symbol: string): Promise<QuoteView> {
  return eventually(async () => {
    const q = (await b.api<QuoteView[]>('GET', `/api/quotes?symbols=${symbol}`)).body[0];
    return q.ask !== undefined && q.bid !== undefined ? q : undefined;
  });
}

/** Sends a marketable full order (for DT, or a block over `allocations`) and waits for its fill; returns its detail. */
async function fillNow(side: 'buy' | 'sell', qty: number, symbol = 'VALE3', allocations?: Array<{ client: string; weight: number }>): Promise<OrderView> {
  const q = await quote(symbol);
  const limitPrice = side === 'buy' ? Math.round((q.ask! + 0.3) * 100) / 100 : Math.round((q.bid! - 0.3) * 100) / 100;
  const who = allocations ? { allocations } : { client: 'DT' };
  const o = await b.api<OrderView>('POST', '/api/orders', { ...who, symbol, side, qty, limitPrice, algo: { type: 'full' } });
  expect(o.status).toBe(201);
  return eventually(async () => {
    const v = (await b.api<OrderView>('GET', `/api/orders/${o.body.id}`)).body;
    return v.status === 'filled' ? v : undefined;
  });
}

const centavos = (brl: number) => Math.round(brl * 100);
const feesOf = (v: OrderView) => (v.fills ?? []).reduce((s, f) => s + centavos(f.feesBrl), 0);

beforeAll(async () => {
  b = await startTestBridge({ clock: offsetClock('2025-06-10T13:00') });
  await b.api('POST', '/api/clients', { id: 'DT', name: 'Fundo Day Trade', openingCash: 500_000 });
  await b.api('POST', '/api/clients', { id: 'BA', name: 'Fundo Bloco A', openingCash: 500_000 });
  await b.api('POST', '/api/clients', { id: 'BB', name: 'Fundo Bloco B', openingCash: 500_000 });
});
afterAll(async () => {
  await b?.dispose();
});

describe('order fees in the detail', () => {
  it('reprices a buy when a sell of the same day makes it a day trade, and the day adds up to what settles', async () => {
    const buy = await fillNow('buy', 300);
    const before = centavos(buy.metrics!.feesBrl);
    expect(before).toBeGreaterThan(0);
    expect(feesOf(buy)).toBe(before);

    const sell = await fillNow('sell', 300);
    const buyAfter = (await b.api<OrderView>('GET', `/api/orders/${buy.id}`)).body;
    // The day-trade table is cheaper: the buy's fees fell, though nothing of the buy itself changed.
    expect(centavos(buyAfter.metrics!.feesBrl)).toBeLessThan(before);
    expect(feesOf(buyAfter)).toBe(centavos(buyAfter.metrics!.feesBrl));
    expect(feesOf(sell)).toBe(centavos(sell.metrics!.feesBrl));

    // Both legs settle on D+2: their rows' fees are the day's bill, and the two details add up to it.
    const [bal] = (await b.api<BalanceView[]>('GET', '/api/balances?client=DT')).body;
    const st = (await b.api<SettlementDayView>('GET', `/api/settlements?client=DT&date=${bal.dates[2]}`)).body;
    expect(st.rows.reduce((q, r) => q + r.qty, 0)).toBe(600);
    const sellNow = (await b.api<OrderView>('GET', `/api/orders/${sell.id}`)).body;
    expect(centavos(buyAfter.metrics!.feesBrl) + centavos(sellNow.metrics!.feesBrl)).toBe(centavos(st.totals.fees));

    // The streamed list keeps what each fill showed when booked (cheap to send on every change).
    const listed = (await b.api<OrderView[]>('GET', '/api/orders?client=DT')).body.find((o) => o.id === buy.id)!;
    expect(centavos(listed.metrics!.feesBrl)).toBe(before);
  });

  it("gives a block its clients' billed shares: bought and sold the same day, it is repriced and adds up to both clients' bills", async () => {
    const blocks = [{ client: 'BA', weight: 0.6 }, { client: 'BB', weight: 0.4 }];
    const buy = await fillNow('buy', 1000, 'ITUB4', blocks);
    const before = centavos(buy.metrics!.feesBrl);
    expect(feesOf(buy)).toBe(before);
    const sell = await fillNow('sell', 1000, 'ITUB4', blocks);
    const buyAfter = (await b.api<OrderView>('GET', `/api/orders/${buy.id}`)).body;
    expect(centavos(buyAfter.metrics!.feesBrl)).toBeLessThan(before);
    expect(feesOf(buyAfter)).toBe(centavos(buyAfter.metrics!.feesBrl));
    let billed = 0;
    for (const client of ['BA', 'BB']) {
      const [bal] = (await b.api<BalanceView[]>('GET', `/api/balances?client=${client}`)).body;
      billed += centavos((await b.api<SettlementDayView>('GET', `/api/settlements?client=${client}&date=${bal.dates[2]}`)).body.totals.fees);
    }
    expect(centavos(buyAfter.metrics!.feesBrl) + centavos(sell.metrics!.feesBrl)).toBe(billed);
  });
});
