/**
 * The bridge's business time is one injected clock (`BridgeOptions.clock`): the futures universe and
 * contract expiry, order times, the simulated exchange's fills and the dates of balances all follow it,
 * whatever the machine's date. Here the bridge runs on Thursday 17/12/2026, the day after WINZ26 expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceView, InstrumentView, OrderView, QuoteView } from '../../common/types.js';
import { eventually, startTestBridge, type TestBridge } from '../support/bridge.js';
import { offsetClock } from '../support/clock.js';

let b: TestBridge;
beforeAll(async () => {
  b = await startTestBridge({ clock: offsetClock('2026-12-17T11:00') });
  expect((await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 10_000_000 })).status).toBe(201);
});
afterAll(async () => {
  await b?.dispose();
});

describe('a bridge on an injected clock', () => {
  it('offers the contracts of its date and refuses the one that expired the day before', async () => {
    const instruments = (await b.api<InstrumentView[]>('GET', '/api/instruments')).body;
    expect(instruments.filter((i) => i.kind === 'future').map((i) => i.symbol)).toEqual(['WING27', 'WINJ27', 'WDOF27', 'WDOG27']);
    const r = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'WINZ26', side: 'buy', qty: 1, limitPrice: 155_000, algo: { type: 'full' } });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'symbol', code: 'expired_contract', message: 'contrato WINZ26 vencido em 16/12/2026: negocie WING27 ou WINJ27' }]);
  });

  it('stamps the order and the exchange’s fills with its time, and dates balances by it', async () => {
    // The simulated exchange quotes the new contract: it lists by the same clock.
    await eventually(async () => {
      const q = (await b.api<QuoteView[]>('GET', '/api/quotes?symbols=WING27')).body[0];
      return q?.ask !== undefined ? q : undefined;
    });
    const r = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'WING27', side: 'buy', qty: 2, algo: { type: 'full' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.createdAt.slice(0, 10)).toBe('2026-12-17');
    const filled = await eventually(async () => {
      const o = (await b.api<OrderView>('GET', `/api/orders/${r.body.id}`)).body;
      return o.status === 'filled' ? o : undefined;
    }, 15_000);
    expect(filled.fills!.length).toBeGreaterThan(0);
    for (const f of filled.fills!) expect(f.time.slice(0, 10), f.id).toBe('2026-12-17');
    // D+1 of Thu 17/12 is Fri 18/12, D+2 is Mon 21/12.
    const balance = (await b.api<BalanceView[]>('GET', '/api/balances?client=ALFA')).body[0];
    expect(balance.dates).toEqual(['2026-12-17', '2026-12-18', '2026-12-21']);
  });
});
