/**
 * POST /api/orders/resume-all, against the real bridge on the simulated B3: PÂNICO pauses every
 * algo, releasing it leaves them paused, and "Retomar todas" brings them back only when asked on
 * purpose (confirm), only for a trader, never while PÂNICO is engaged, one journaled and audited
 * resume per order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderView, QuoteView } from '../../common/types.js';
import { eventually, startTestBridge, type TestBridge } from '../support/bridge.js';

let b: TestBridge;
let trader: string;
let viewer: string;
const ids: string[] = [];

async function quote(symbol: string): Promise<QuoteView> {
  return eventually(async () => {
    const q = (await b.api<QuoteView[]>('GET', `/api/quotes?symbols=${symbol}`)).body[0];
    return q.ask !== undefined && q.bid !== undefined ? q : undefined;
  });
}

async function statuses(): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await b.api<OrderView>('GET', `/api/orders/${id}`)).body.status));
}

beforeAll(async () => {
  b = await startTestBridge();
  expect((await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa FIA', openingCash: 1_000_000 })).status).toBe(201);
  trader = (await b.api('POST', '/api/tokens', { role: 'trader', name: 'Ana Trader', label: 'mesa' })).body.token;
  viewer = (await b.api('POST', '/api/tokens', { role: 'viewer', name: 'Rui Risco', label: 'risco' })).body.token;
  // Three resting buys, well below the bid, so they stay working until paused.
  for (const symbol of ['PETR4', 'VALE3', 'ITUB4']) {
    const q = await quote(symbol);
    const limitPrice = Math.round((q.bid! - 0.5) * 100) / 100;
    const r = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol, side: 'buy', qty: 300, limitPrice, algo: { type: 'full' } }, trader);
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  await eventually(async () => ((await statuses()).every((s) => s === 'working') ? true : undefined));
  expect((await b.api('POST', '/api/kill-switch', { engaged: true, reason: 'teste' }, trader)).status).toBe(200);
  await eventually(async () => ((await statuses()).every((s) => s === 'paused') ? true : undefined));
});

afterAll(async () => {
  await b?.dispose();
});

describe('POST /api/orders/resume-all', () => {
  it('is refused with 409 while PÂNICO is engaged, and nothing resumes', async () => {
    const r = await b.api('POST', '/api/orders/resume-all', { confirm: true }, trader);
    expect(r.status).toBe(409);
    expect(r.body.errors[0]).toMatchObject({ code: 'kill_switch' });
    expect(r.body.errors[0].message).toContain('PÂNICO');
    expect(await statuses()).toEqual(['paused', 'paused', 'paused']);
  });

  it('after the release, the orders are still paused: nothing came back by itself', async () => {
    expect((await b.api('POST', '/api/kill-switch', { engaged: false, reason: 'conferido' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statuses()).toEqual(['paused', 'paused', 'paused']);
  });

  it.each([
    ['no body', undefined, 'confirm'],
    ['an empty object', {}, 'confirm'],
    ['confirm: false', { confirm: false }, 'confirm'],
    ['confirm: "sim"', { confirm: 'sim' }, 'confirm'],
    ['an unknown field', { confirm: true, all: true }, 'all'],
  ])('refuses %s with a 422 naming %s, and resumes nothing', async (_name, body, field) => {
    const seq = b.journalSeq();
    const r = await b.api('POST', '/api/orders/resume-all', body, trader);
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(b.journalTypesAfter(seq)).toEqual([]);
    expect(await statuses()).toEqual(['paused', 'paused', 'paused']);
  });

  it('refuses a viewer token (403) and an anonymous call (401)', async () => {
    expect((await b.api('POST', '/api/orders/resume-all', { confirm: true }, viewer)).status).toBe(403);
    expect((await b.api('POST', '/api/orders/resume-all', { confirm: true }, null)).status).toBe(401);
    expect(await statuses()).toEqual(['paused', 'paused', 'paused']);
  });

  it('with confirm, a trader resumes every paused order: journaled and audited one by one', async () => {
    const seq = b.journalSeq();
    const r = await b.api<{ resumed: string[]; skipped: unknown[] }>('POST', '/api/orders/resume-all', { confirm: true }, trader);
    expect(r.status).toBe(200);
    expect([...r.body.resumed].sort()).toEqual([...ids].sort());
    expect(r.body.skipped).toEqual([]);
    expect(b.journalTypesAfter(seq).filter((t) => t === 'order.paused').length).toBe(3);
    await eventually(async () => ((await statuses()).every((s) => s === 'working') ? true : undefined));
    const audit = await eventually(async () => {
      const rows = (await b.api<Array<{ action: string; target?: string }>>('GET', '/api/audit?limit=200')).body;
      const resumes = rows.filter((a) => a.action === 'order.resume').map((a) => a.target);
      return resumes.length >= 3 ? { resumes, all: rows.some((a) => a.action === 'order.resume_all') } : undefined;
    });
    expect([...audit.resumes].sort()).toEqual([...ids].sort());
    expect(audit.all).toBe(true);
  });

  it('a second call finds nothing paused and changes nothing', async () => {
    const seq = b.journalSeq();
    const r = await b.api('POST', '/api/orders/resume-all', { confirm: true }, trader);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ resumed: [], skipped: [] });
    expect(b.journalTypesAfter(seq)).toEqual([]);
  });
});
