/**
 * Broker disconnect: what the exchange canceled or filled while the link was down is reported
 * (HealthView.lastReconnect and the audit trail), and after an outage longer than the setting
 * the working algos are held (paused, with the reason) for a person instead of re-sent in silence.
 */
import { describe, expect, it } from 'vitest';
import { algoHarness, flushTurns } from '../support/algo-harness.js';

const T0 = Date.parse('2026-11-25T14:00:00Z');

async function twoRestingIcebergs(h: Awaited<ReturnType<typeof algoHarness>>) {
  const bid = h.quotes.ticks('VALE3').bidTicks!;
  const ids: string[] = [];
  for (const client of ['ALFA', 'BETA']) {
    const r = await h.oms.submit({ client, symbol: 'VALE3', side: 'buy', qty: 2_000, limitPrice: (bid - 20) / 100, algo: { type: 'iceberg', displayQty: 500 } }, 't');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    ids.push(r.value.order.id);
  }
  await h.advance(1_000, 500);
  return { ids, priceTicks: bid - 20 };
}

describe('broker reconnect', () => {
  it('reports what the exchange canceled and filled meanwhile, and holds the algos after a long outage', async () => {
    const h = await algoHarness({ startMs: T0, eventsPerSecond: 1 });
    const { ids, priceTicks } = await twoRestingIcebergs(h);
    const childA = h.oms.get(ids[0])!.childIds[0];
    const childB = h.oms.get(ids[1])!.childIds[0];
    await h.broker.close();
    h.oms.onConnection({ connected: false, message: 'queda de conexão' });
    // While the link is down: the exchange cancels one clip, another desk sells through every bid down to the other's price.
    h.exchange.cancel(childA);
    h.exchange.submit({ clientOrderId: 'OUTRA-1', account: 'OUTRA', symbol: 'VALE3', side: 'sell', qty: 200_000, priceTicks });
    await h.advance(12_000, 2_000);
    const sentBefore = h.sent.length;
    await h.broker.connect();
    await flushTurns(10);
    const rep = h.oms.lastReconnect()!;
    expect(rep.outageMs).toBeGreaterThanOrEqual(12_000);
    expect(rep.canceledByExchange).toEqual([childA]);
    expect(rep.filledWhileAway).toEqual([childB]);
    expect(rep.held.sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const p = h.oms.get(id)!;
      expect(p.status).toBe('paused');
      expect(p.statusReason).toMatch(/revisão/);
    }
    expect(h.oms.get(ids[1])!.filledQty).toBe(500);
    // Held, not re-sent: nothing new went to the market.
    await h.advance(3_000, 1_000);
    expect(h.sent.length).toBe(sentBefore);
  });

  it('re-sends by itself after an outage shorter than the setting', async () => {
    const h = await algoHarness({ startMs: T0, eventsPerSecond: 1 });
    const { ids } = await twoRestingIcebergs(h);
    const childA = h.oms.get(ids[0])!.childIds[0];
    await h.broker.close();
    h.oms.onConnection({ connected: false, message: 'queda de conexão' });
    h.exchange.cancel(childA);
    await h.advance(2_000, 1_000);
    await h.broker.connect();
    await flushTurns(10);
    await h.advance(1_000, 500);
    const rep = h.oms.lastReconnect()!;
    expect(rep.canceledByExchange).toEqual([childA]);
    expect(rep.held).toEqual([]);
    // The canceled clip is replaced by a new one.
    expect(h.oms.get(ids[0])!.status).toBe('working');
    expect(h.oms.get(ids[0])!.childIds.length).toBe(2);
  });
});
