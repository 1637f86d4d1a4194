/**
 * The bridge end to end over HTTP and WebSocket on the simulated B3: what a user (or the add-in)
 * does — register clients, send boletas, watch fills, cancel, read positions and cash — and the
 * bad input that must be refused without writing anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceView, OrderView, PositionView, QuoteView } from '../../common/types.js';
import { eventually, startTestBridge, type TestBridge, WsProbe } from '../support/bridge.js';
import { saoPauloDate } from '../../bridge/calendar/iso-date.js';

let b: TestBridge;

async function quote(symbol: string): Promise<QuoteView> {
  return eventually(async () => {
    const r = await b.api<QuoteView[]>('GET', `/api/quotes?symbols=${symbol}`);
    const q = r.body[0];
    return q.ask !== undefined && q.bid !== undefined ? q : undefined;
  });
}

async function waitStatus(id: string, statuses: string[]): Promise<OrderView> {
  return eventually(async () => {
    const r = await b.api<OrderView>('GET', `/api/orders/${id}`);
    return statuses.includes(r.body.status) ? r.body : undefined;
  });
}

beforeAll(async () => {
  b = await startTestBridge();
  for (const c of [
    { id: 'ALFA', name: 'Fundo Alfa FIA', openingCash: 1_000_000 },
    { id: 'BETA', name: 'Carteira Beta', openingCash: 500_000.5 },
    { id: 'GAMA', name: 'Previdência Gama', openingCash: 250_000 },
  ]) {
    const r = await b.api('POST', '/api/clients', c);
    expect(r.status).toBe(201);
  }
});

afterAll(async () => {
  await b?.dispose();
});

describe('access', () => {
  it('answers /api/health without a token and everything else only with one', async () => {
    const h = await b.api('GET', '/api/health', undefined, null);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ ok: true, broker: { name: expect.any(String), connected: true }, tradingState: 'ACTIVE' });
    const missing = await b.api('GET', '/api/orders', undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.body.errors[0]).toMatchObject({ field: 'token', code: 'missing_token' });
    const wrong = await b.api('GET', '/api/orders', undefined, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors[0].code).toBe('invalid_token');
  });

  it('refuses a browser origin that is not on the allowlist', async () => {
    const res = await fetch(`${b.url}/api/health`, { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
  });

  it('gives a viewer token read access only', async () => {
    const t = await b.api('POST', '/api/tokens', { role: 'viewer', name: 'Rita Risco', label: 'risco' });
    expect(t.status).toBe(201);
    expect((await b.api('GET', '/api/orders', undefined, t.body.token)).status).toBe(200);
    const send = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, algo: { type: 'full' } }, t.body.token);
    expect(send.status).toBe(403);
  });
});

describe('market data', () => {
  it('lists the default universe with ticks, lots and multipliers', async () => {
    const r = await b.api('GET', '/api/instruments');
    const bySymbol = new Map(r.body.map((i: any) => [i.symbol, i]));
    expect(bySymbol.get('PETR4')).toMatchObject({ tickSize: 0.01, lotSize: 100, settlementDays: 2 });
    expect(bySymbol.get('PETR4F')).toMatchObject({ lotSize: 1, underlying: 'PETR4' });
    // Futures: the current and next contract of each root, with their expiry, never an expired one.
    const today = saoPauloDate(Date.now());
    const futures = r.body.filter((i: any) => i.kind === 'future');
    expect(futures.map((i: any) => i.symbol.slice(0, 3))).toEqual(['WIN', 'WIN', 'WDO', 'WDO']);
    for (const f of futures) expect(f.expiry >= today).toBe(true);
    expect(futures[0].expiry < futures[1].expiry).toBe(true);
    expect(futures[0]).toMatchObject({ tickSize: 5, lotSize: 1, pointValue: 0.2 });
    expect(futures[2]).toMatchObject({ tickSize: 0.5, pointValue: 10 });
  });

  it('refuses an order in an expired contract, naming the symbol and the contracts to trade', async () => {
    await b.api('POST', '/api/clients', { id: 'VENC', name: 'Vencido', openingCash: 1_000 });
    const r = await b.api('POST', '/api/orders', { client: 'VENC', symbol: 'WDOZ25', side: 'buy', qty: 1, limitPrice: 5400, algo: { type: 'full' } });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'symbol', code: 'expired_contract', message: expect.stringMatching(/^contrato WDOZ25 vencido em 01\/12\/2025: negocie WDO[A-Z]\d\d ou WDO[A-Z]\d\d$/) }]);
    expect((await b.api('GET', '/api/orders?client=VENC')).body).toEqual([]);
  });

  it('streams live quotes that move', async () => {
    const probe = await WsProbe.open(b, ['quotes:PETR4']);
    const first = await probe.waitFor((m) => m.op === 'snapshot' && m.channel === 'quotes:PETR4');
    const moved = await probe.waitFor((m) => m.op === 'delta' && m.channel === 'quotes:PETR4' && (m.data as QuoteView).trades > ((first as any).data as QuoteView).trades);
    expect((moved as any).seq).toBeGreaterThan((first as any).seq);
    probe.close();
    const q = await quote('PETR4');
    expect(q.ask!).toBeGreaterThan(q.bid!);
  });
});

describe('boletas', () => {
  it('fills a marketable boleta, then shows the position and the D+2 cash debit', async () => {
    const probe = await WsProbe.open(b, ['orders', 'positions', 'balances']);
    const q = await quote('VALE3');
    const limit = Math.round((q.ask! + 0.1) * 100) / 100;
    const r = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'VALE3', side: 'buy', qty: 200, limitPrice: limit, algo: { type: 'full' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ client: 'ALFA', symbol: 'VALE3', qty: 200, algo: { type: 'full' } });
    const done = await waitStatus(r.body.id, ['filled']);
    expect(done.filledQty).toBe(200);
    expect(done.avgPrice).toBeLessThanOrEqual(limit);
    expect(done.children!.length).toBe(1);
    expect(done.fills!.reduce((s, f) => s + f.qty, 0)).toBe(200);
    await probe.waitFor((m) => m.op === 'delta' && m.channel === 'orders' && (m.data as OrderView).id === r.body.id && (m.data as OrderView).status === 'filled');

    const pos = await b.api<PositionView[]>('GET', '/api/positions?client=ALFA');
    const vale = pos.body.find((p) => p.symbol === 'VALE3')!;
    expect(vale).toMatchObject({ client: 'ALFA', qty: 200 });
    expect(vale.avgPrice).toBeCloseTo(done.avgPrice, 6);

    const bal = await b.api<BalanceView[]>('GET', '/api/balances?client=ALFA');
    const notional = Math.round(done.avgPrice * 200 * 100) / 100;
    const fees = done.metrics!.feesBrl;
    expect(fees).toBeGreaterThan(0);
    expect(bal.body[0].d0).toBe(1_000_000);
    expect(bal.body[0].d1).toBe(1_000_000);
    expect(bal.body[0].d2).toBeCloseTo(1_000_000 - notional - fees, 2);
    probe.close();
  });

  it('rests a passive boleta, then cancels it', async () => {
    const q = await quote('ITUB4');
    const limit = Math.round((q.bid! - 0.3) * 100) / 100;
    const r = await b.api<OrderView>('POST', '/api/orders', { client: 'BETA', symbol: 'ITUB4', side: 'buy', qty: 300, limitPrice: limit, algo: { type: 'full' } });
    expect(r.status).toBe(201);
    await waitStatus(r.body.id, ['working']);
    const c = await b.api<OrderView>('POST', `/api/orders/${r.body.id}/cancel`);
    expect(c.status).toBe(200);
    const done = await waitStatus(r.body.id, ['canceled']);
    expect(done.children![0].status).toBe('canceled');
    const again = await b.api('POST', `/api/orders/${r.body.id}/cancel`);
    expect(again.status).toBe(409);
  });

  it('allocates a block among clients in whole lots at one average price', async () => {
    const q = await quote('BBDC4');
    const limit = Math.round((q.ask! + 0.1) * 100) / 100;
    const r = await b.api<OrderView>('POST', '/api/orders', {
      allocations: [{ client: 'ALFA', weight: 0.5 }, { client: 'BETA', weight: 0.3 }, { client: 'GAMA', weight: 0.2 }],
      symbol: 'BBDC4', side: 'buy', qty: 1000, limitPrice: limit, algo: { type: 'full' },
    });
    expect(r.status).toBe(201);
    const done = await waitStatus(r.body.id, ['filled']);
    expect(done.allocations).toEqual([
      { client: 'ALFA', targetQty: 500, filledQty: 500, avgPrice: done.avgPrice },
      { client: 'BETA', targetQty: 300, filledQty: 300, avgPrice: done.avgPrice },
      { client: 'GAMA', targetQty: 200, filledQty: 200, avgPrice: done.avgPrice },
    ]);
    const all = await b.api<PositionView[]>('GET', '/api/positions');
    expect(all.body.find((p) => p.symbol === 'BBDC4')!.qty).toBe(1000);
  });

  it('never sends a boleta twice for the same idempotency key', async () => {
    const q = await quote('ABEV3');
    const body = { client: 'GAMA', symbol: 'ABEV3', side: 'buy', qty: 100, limitPrice: Math.round((q.bid! - 0.2) * 100) / 100, algo: { type: 'full' }, idempotencyKey: 'sheet-1-row-7' };
    const first = await b.api<OrderView>('POST', '/api/orders', body);
    const second = await b.api<OrderView>('POST', '/api/orders', body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const list = await b.api<OrderView[]>('GET', '/api/orders?client=GAMA');
    expect(list.body.filter((o) => o.idempotencyKey === 'sheet-1-row-7')).toHaveLength(1);
    await b.api('POST', `/api/orders/${first.body.id}/cancel`);
  });

  it('sends a batch: valid rows go, invalid rows get their own errors, in row order', async () => {
    const q = await quote('B3SA3');
    const px = Math.round((q.bid! - 0.1) * 100) / 100;
    const rows = [
      { client: 'ALFA', symbol: 'B3SA3', side: 'buy', qty: 100, limitPrice: px, algo: { type: 'full' }, idempotencyKey: 'b-0' },
      { client: 'NINGUEM', symbol: 'B3SA3', side: 'buy', qty: 100, limitPrice: px, algo: { type: 'full' }, idempotencyKey: 'b-1' },
      { client: 'ALFA', symbol: 'B3SA3', side: 'buy', qty: 'cem', algo: { type: 'full' }, idempotencyKey: 'b-2' },
      { client: 'BETA', symbol: 'B3SA3', side: 'sell', qty: 150, limitPrice: px, algo: { type: 'full' }, idempotencyKey: 'b-3' },
      { client: 'BETA', symbol: 'B3SA3', side: 'buy', qty: 200, limitPrice: px, algo: { type: 'full' }, idempotencyKey: 'b-4' },
    ];
    const r = await b.api('POST', '/api/orders/batch', { rows });
    expect(r.status).toBe(200);
    const res = r.body.results;
    expect(res.map((x: any) => x.ok)).toEqual([true, false, false, false, true]);
    expect(res[1].errors[0]).toMatchObject({ field: 'rows[1].client', code: 'unknown_client' });
    expect(res[2].errors[0].field).toBe('rows[2].qty');
    expect(res[3].errors[0]).toMatchObject({ field: 'rows[3].qty', code: 'lot' });
    const again = await b.api('POST', '/api/orders/batch', { rows });
    expect(again.body.results[0]).toMatchObject({ ok: true, duplicate: true });
    expect(again.body.results[0].order.id).toBe(res[0].order.id);
    for (const x of [res[0], res[4]]) await b.api('POST', `/api/orders/${x.order.id}/cancel`);
  });

  it('all-or-nothing batch sends nothing when one row is bad', async () => {
    const before = (await b.api<OrderView[]>('GET', '/api/orders')).body.length;
    const rows = [
      { client: 'ALFA', symbol: 'WEGE3', side: 'buy', qty: 100, limitPrice: 44, algo: { type: 'full' } },
      { client: 'ALFA', symbol: 'WEGE3', side: 'buy', qty: 100, limitPrice: 44.005, algo: { type: 'full' } },
    ];
    const r = await b.api('POST', '/api/orders/batch', { rows, allOrNothing: true });
    expect(r.body.results.every((x: any) => !x.ok)).toBe(true);
    expect(r.body.results[1].errors[0]).toMatchObject({ field: 'rows[1].limitPrice', code: 'off_tick' });
    expect((await b.api<OrderView[]>('GET', '/api/orders')).body.length).toBe(before);
  });

  it('takes a price within floating-point noise of the tick and refuses 36.60000000001 and 36.605 (the sheet applies the same rule)', async () => {
    const row = (limitPrice: number) => ({ client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice, algo: { type: 'full' } });
    const r = await b.api('POST', '/api/orders/batch/validate', { rows: [row(36.5 + 0.1), row(36.60000000001), row(36.605)] });
    expect(r.status).toBe(200);
    expect(r.body.results[0].ok).toBe(true);
    expect(r.body.results[0].order.limitPrice).toBe(36.6);
    for (const i of [1, 2]) expect(r.body.results[i].errors[0]).toMatchObject({ field: `rows[${i}].limitPrice`, code: 'off_tick' });
  });

  it('pauses, amends and resumes a working boleta', async () => {
    const q = await quote('BBAS3');
    const px = Math.round((q.bid! - 0.4) * 100) / 100;
    const r = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'BBAS3', side: 'buy', qty: 500, limitPrice: px, algo: { type: 'full' } });
    await waitStatus(r.body.id, ['working']);
    expect((await b.api('POST', `/api/orders/${r.body.id}/pause`)).status).toBe(200);
    await waitStatus(r.body.id, ['paused']);
    const am = await b.api<OrderView>('PATCH', `/api/orders/${r.body.id}`, { qty: 300, limitPrice: Math.round((px - 0.01) * 100) / 100 });
    expect(am.status).toBe(200);
    expect(am.body.qty).toBe(300);
    expect((await b.api('POST', `/api/orders/${r.body.id}/resume`)).status).toBe(200);
    const working = await eventually(async () => {
      const o = (await b.api<OrderView>('GET', `/api/orders/${r.body.id}`)).body;
      const live = o.children!.filter((c) => c.status === 'working');
      return o.status === 'working' && live.length === 1 && live[0].qty === 300 ? o : undefined;
    });
    expect(working.children!.at(-1)!.limitPrice).toBe(Math.round((px - 0.01) * 100) / 100);
    const bad = await b.api('PATCH', `/api/orders/${r.body.id}`, { qty: 250 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ field: 'qty', code: 'lot' });
    await b.api('POST', `/api/orders/${r.body.id}/cancel`);
  });
});

describe('bad input', () => {
  const good = { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 36.5, algo: { type: 'full' } };
  const cases: Array<[string, unknown, string, string]> = [
    ['unknown symbol', { ...good, symbol: 'XPTO3' }, 'symbol', 'unknown_symbol'],
    ['qty off the lot', { ...good, qty: 150 }, 'qty', 'lot'],
    ['price off the tick', { ...good, limitPrice: 36.505 }, 'limitPrice', 'off_tick'],
    ['negative qty', { ...good, qty: -100 }, 'qty', 'too_small'],
    ['zero qty', { ...good, qty: 0 }, 'qty', 'too_small'],
    ['qty as text', { ...good, qty: '100' }, 'qty', 'invalid_type'],
    ['unknown field', { ...good, limitPrce: 36.5 }, 'limitPrce', 'unknown_field'],
    ['unknown side', { ...good, side: 'comprar' }, 'side', 'invalid_value'],
    ['unknown client', { ...good, client: 'ZETA' }, 'client', 'unknown_client'],
    ['fractional above 99', { ...good, symbol: 'PETR4F', qty: 150 }, 'qty', 'fractional_max'],
    ['price far through the market', { ...good, limitPrice: 80 }, 'limitPrice', 'price_collar'],
    ['unsupported algo param', { ...good, algo: { type: 'full', clip: 3 } }, 'algo.clip', 'unknown_field'],
  ];
  for (const [name, body, field, code] of cases) {
    it(`refuses ${name} with a 422 naming ${field}, and writes nothing`, async () => {
      const seq = b.journalSeq();
      const r = await b.api('POST', '/api/orders', body);
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
      expect(r.body.errors[0].message).toEqual(expect.any(String));
      // Earlier orders keep trading in the background, but no order was accepted for this request.
      expect(b.journalTypesAfter(seq)).not.toContain('order.accepted');
    });
  }

  it('answers malformed JSON with a 400 and keeps running', async () => {
    const r = await b.api('POST', '/api/orders', '{"client": "ALFA", ');
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ field: '(body)', code: 'invalid_json' });
    expect((await b.api('GET', '/api/health')).status).toBe(200);
  });

  it('refuses an oversized body', async () => {
    const r = await b.api('POST', '/api/orders/batch', JSON.stringify({ rows: [{ pad: 'x'.repeat(5 * 1024 * 1024) }] }));
    expect(r.status).toBe(413);
  });

  it('refuses bad client records naming the field', async () => {
    const r = await b.api('POST', '/api/clients', { id: 'X Y', name: '', openingCash: -1, extra: true });
    expect(r.status).toBe(422);
    const fields = r.body.errors.map((e: any) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['id', 'name', 'openingCash', 'extra']));
  });

  it('answers unknown orders with 404', async () => {
    expect((await b.api('GET', '/api/orders/NOPE')).status).toBe(404);
    expect((await b.api('POST', '/api/orders/NOPE/cancel')).status).toBe(404);
  });
});

describe('audit trail', () => {
  it('records order actions and refused logins, readable by an admin only', async () => {
    const r = await b.api<any[]>('GET', '/api/audit?limit=10000');
    expect(r.status).toBe(200);
    const actions = new Set(r.body.map((e) => e.action));
    for (const a of ['order.submit', 'order.cancel', 'client.create', 'auth.refused', 'token.create']) expect(actions).toContain(a);
    expect(JSON.stringify(r.body)).not.toContain(b.token);
    const viewer = await b.api('POST', '/api/tokens', { role: 'viewer', name: 'Vera Leitura' });
    expect((await b.api('GET', '/api/audit', undefined, viewer.body.token)).status).toBe(403);
    expect((await b.api('GET', '/api/audit?limit=0')).status).toBe(422);
  });
});

describe('trading state', () => {
  it('in REDUCING accepts only boletas that reduce a position, until set back to ACTIVE', async () => {
    const set = await b.api('POST', '/api/trading-state', { state: 'REDUCING', reason: 'limite de risco' });
    expect(set.status).toBe(200);
    expect(set.body.tradingState).toBe('REDUCING');
    const q = await quote('VALE3');
    const buy = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'VALE3', side: 'buy', qty: 100, limitPrice: Math.round((q.bid! - 0.5) * 100) / 100, algo: { type: 'full' } });
    expect(buy.status).toBe(422);
    expect(buy.body.errors[0].code).toBe('trading_state_reducing');
    const sellTooMuch = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'VALE3', side: 'sell', qty: 300, limitPrice: Math.round((q.ask! + 0.5) * 100) / 100, algo: { type: 'full' } });
    expect(sellTooMuch.status).toBe(422);
    const sell = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'VALE3', side: 'sell', qty: 100, limitPrice: Math.round((q.ask! + 0.5) * 100) / 100, algo: { type: 'full' } });
    expect(sell.status).toBe(201);
    await b.api('POST', `/api/orders/${sell.body.id}/cancel`);
    const back = await b.api('POST', '/api/trading-state', { state: 'ACTIVE' });
    expect(back.body.tradingState).toBe('ACTIVE');
    const bad = await b.api('POST', '/api/trading-state', { state: 'SLEEPY' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('state');
  });
});

describe('duplicate boletas', () => {
  it('refuses the same boleta sent twice in a row without an idempotency key', async () => {
    const q = await quote('BBAS3');
    const body = { client: 'GAMA', symbol: 'BBAS3', side: 'buy', qty: 200, limitPrice: Math.round((q.bid! - 0.35) * 100) / 100, algo: { type: 'full' } };
    const first = await b.api<OrderView>('POST', '/api/orders', body);
    const second = await b.api('POST', '/api/orders', body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(422);
    expect(second.body.errors[0]).toMatchObject({ field: 'idempotencyKey', code: 'duplicate' });
    await b.api('POST', `/api/orders/${first.body.id}/cancel`);
  });
});

describe('self-trade prevention', () => {
  it('refuses a boleta that would trade against the firm’s own resting order on the other side', async () => {
    const q = await quote('WEGE3');
    const buyPx = Math.round((q.bid! - 0.3) * 100) / 100;
    const buy = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'WEGE3', side: 'buy', qty: 100, limitPrice: buyPx, algo: { type: 'full' } });
    expect(buy.body).toMatchObject({ status: 'pending_new' });
    await waitStatus(buy.body.id, ['working']);
    const sell = await b.api('POST', '/api/orders', { client: 'BETA', symbol: 'WEGE3', side: 'sell', qty: 100, limitPrice: buyPx, algo: { type: 'full' } });
    expect(sell.status).toBe(422);
    expect(sell.body.errors[0]).toMatchObject({ field: 'limitPrice', code: 'self_trade' });
    const above = await b.api<OrderView>('POST', '/api/orders', { client: 'BETA', symbol: 'WEGE3', side: 'sell', qty: 100, limitPrice: Math.round((buyPx + 0.01) * 100) / 100, algo: { type: 'full' } });
    expect(above.status).toBe(201);
    for (const id of [buy.body.id, above.body.id]) await b.api('POST', `/api/orders/${id}/cancel`);
  });
});
