/**
 * The simulated B3 in its own process: the bridge goes down while its order rests at the exchange,
 * the order fills meanwhile, and the restarted bridge books that fill from the exchange's records
 * without sending anything twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { OrderView, PositionView, QuoteView } from '../../common/types.js';
import { createRemoteSimBroker, spawnExchangeProcess, type SpawnedExchange } from '../../bridge/adapters/sim/sim-broker.js';
import { eventually, startTestBridge, tempDataDir, type TestBridge } from '../support/bridge.js';

let ex: SpawnedExchange | undefined;
let b: TestBridge | undefined;
afterAll(async () => {
  await b?.dispose();
  await ex?.kill();
});

describe('bridge restart against a separate exchange process', () => {
  it('books fills made while the bridge was down and never re-sends a child', async () => {
    ex = await spawnExchangeProcess({ seed: 3, tickIntervalMs: 20 });
    const exchange = { host: '127.0.0.1', port: ex.port };
    const dataDir = tempDataDir();
    b = await startTestBridge({ exchange }, dataDir);
    const t0 = b;
    expect((await t0.api('GET', '/api/health')).body.broker).toMatchObject({ name: 'sim-remote', connected: true });
    await t0.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 5_000_000 });
    const q = await eventually(async () => {
      const v = (await t0.api<QuoteView[]>('GET', '/api/quotes?symbols=VALE3')).body[0];
      return v.bid !== undefined ? v : undefined;
    });
    const limit = Math.round((q.bid! - 0.05) * 100) / 100;
    const sent = await t0.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'VALE3', side: 'buy', qty: 500, limitPrice: limit, algo: { type: 'full' } });
    expect(sent.status).toBe(201);
    const working = await eventually(async () => {
      const o = (await t0.api<OrderView>('GET', `/api/orders/${sent.body.id}`)).body;
      return o.status === 'working' ? o : undefined;
    });
    const childId = working.children![0].id;
    await t0.close();

    // While the bridge is down, another desk sells through every bid down to our price.
    const other = createRemoteSimBroker({ port: ex.port });
    other.setListener({ connection() {}, orderUpdate() {}, fill() {}, trade() {}, book() {} });
    await other.connect();
    other.submit({ clientOrderId: 'OUTRA-MESA-1', account: 'OUTRA', symbol: 'VALE3', side: 'sell', qty: 200_000, priceTicks: Math.round(limit * 100) });
    await eventually(async () => {
      const snap = await other.snapshot();
      return snap.orders.find((o) => o.clientOrderId === childId)?.status === 'filled' ? true : undefined;
    });

    b = await startTestBridge({ exchange }, dataDir);
    const t1 = b;
    const after = await eventually(async () => {
      const o = (await t1.api<OrderView>('GET', `/api/orders/${sent.body.id}`)).body;
      return o.status === 'filled' ? o : undefined;
    });
    expect(after.children!.map((c) => c.id)).toEqual([childId]);
    expect(after.filledQty).toBe(500);
    expect(after.avgPrice).toBeGreaterThanOrEqual(limit);
    const pos = (await t1.api<PositionView[]>('GET', '/api/positions?client=ALFA')).body;
    expect(pos.find((p) => p.symbol === 'VALE3')!.qty).toBe(500);
    const snap = await other.snapshot();
    expect(snap.orders.filter((o) => o.clientOrderId === childId)).toHaveLength(1);
    await other.close();
  });
});
