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
    // Only the bridge's own session sees its orders (as its restart will): watch through that session.
    const session = childId.slice(0, childId.indexOf('-'));
    const watcher = createRemoteSimBroker({ port: ex.port, session });
    watcher.setListener({ connection() {}, orderUpdate() {}, fill() {}, trade() {}, book() {} });
    await watcher.connect();
    await eventually(async () => {
      const snap = await watcher.snapshot();
      return snap.orders.find((o) => o.clientOrderId === childId)?.status === 'filled' ? true : undefined;
    });
    await watcher.close();
    expect((await other.snapshot()).orders.map((o) => o.clientOrderId)).toEqual(['OUTRA-MESA-1']);

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
    expect((await t1.broker.snapshot()).orders.filter((o) => o.clientOrderId === childId)).toHaveLength(1);
    await other.close();
  });

  it("routes each bridge's order reports to that bridge alone, as B3 routes a session's", async () => {
    const exchange = { host: '127.0.0.1', port: ex!.port };
    const heardByB: string[] = [];
    const a = await startTestBridge({ exchange });
    const bb = await startTestBridge({ exchange, log: (_level, msg) => heardByB.push(msg) });
    try {
      for (const t of [a, bb]) await t.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 50_000_000 });
      const q = await eventually(async () => {
        const v = (await a.api<QuoteView[]>('GET', '/api/quotes?symbols=PETR4')).body[0];
        return v.bid !== undefined && v.ask !== undefined ? v : undefined;
      });
      // A: one order that fills at once and one that rests.
      const filled = await a.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: Math.round((q.ask! + 0.3) * 100) / 100, algo: { type: 'full' } });
      const resting = await a.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: Math.round((q.bid! - 1) * 100) / 100, algo: { type: 'full' } });
      await eventually(async () => ((await a.api<OrderView>('GET', `/api/orders/${filled.body.id}`)).body.status === 'filled' ? true : undefined));
      const restingChild = await eventually(async () => {
        const o = (await a.api<OrderView>('GET', `/api/orders/${resting.body.id}`)).body;
        return o.status === 'working' ? o.children![0].id : undefined;
      });
      // B: its own order works as usual.
      const mine = await bb.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: Math.round((q.bid! - 2) * 100) / 100, algo: { type: 'full' } });
      await eventually(async () => ((await bb.api<OrderView>('GET', `/api/orders/${mine.body.id}`)).body.status === 'working' ? true : undefined));

      // B heard nothing of A's orders: no update or fill for an order it does not know, none in its snapshot.
      expect(heardByB.filter((m) => /does not know|unknown order/.test(m))).toEqual([]);
      const bSnap = await bb.broker.snapshot();
      expect(bSnap.orders.every((o) => o.clientOrderId.startsWith(mine.body.id.slice(0, mine.body.id.indexOf('-'))))).toBe(true);
      expect(bSnap.fills.filter((f) => f.clientOrderId.startsWith(filled.body.id))).toEqual([]);
      const bAudit = (await bb.api<any[]>('GET', '/api/audit?limit=10000')).body.map((e) => e.action);
      expect(bAudit).not.toContain('fill.unknown_order');

      // Nor can B (or anyone outside A's session) cancel A's order.
      bb.broker.cancel(restingChild);
      await new Promise((r) => setTimeout(r, 300));
      expect((await a.api<OrderView>('GET', `/api/orders/${resting.body.id}`)).body.status).toBe('working');
      expect((await a.broker.snapshot()).orders.find((o) => o.clientOrderId === restingChild)?.status).toBe('new');
    } finally {
      await a.dispose();
      await bb.dispose();
    }
  });
});
