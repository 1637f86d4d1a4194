/**
 * The OMS against a scripted broker: the order-state table, fills after a cancel, overfills,
 * duplicate fills, and that replaying the journal rebuilds exactly the same state.
 */
import { describe, expect, it } from 'vitest';
import type { BrokerEvents, BrokerOrderRequest, BrokerPort, BrokerSnapshot } from '../../bridge/execution/broker-port.js';
import { OrderManager, type EventSink } from '../../bridge/execution/oms.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { canTransitionChild, canTransitionParent, CHILD_STATUSES, PARENT_STATUSES } from '../../bridge/model/order-state.js';
import { QuoteBoard } from '../../bridge/marketdata/quote-board.js';
import { PortfolioService } from '../../bridge/portfolio/portfolio-service.js';
import { DEFAULT_RISK_LIMITS, RiskGate } from '../../bridge/risk/risk-gate.js';

class ScriptedBroker implements BrokerPort {
  readonly name = 'scripted';
  sent: BrokerOrderRequest[] = [];
  cancels: string[] = [];
  listener!: BrokerEvents;
  snap: BrokerSnapshot = { orders: [], fills: [] };
  setListener(e: BrokerEvents) { this.listener = e; }
  async connect() { this.listener.connection({ connected: true, message: 'ok' }); }
  async close() {}
  isConnected() { return true; }
  submit(o: BrokerOrderRequest) { this.sent.push(o); }
  replace() {}
  cancel(id: string) { this.cancels.push(id); }
  cancelAll() {}
  async snapshot() { return this.snap; }
  subscribe() {}
}

class MemoryJournal implements EventSink {
  events: Array<{ type: string; data: unknown }> = [];
  append(type: string, data: unknown) {
    this.events.push({ type, data: JSON.parse(JSON.stringify(data)) });
    return Promise.resolve();
  }
}

const T0 = Date.parse('2026-11-26T15:00:00Z');
const flush = () => new Promise((r) => setImmediate(r));

function setup(journal = new MemoryJournal(), broker = new ScriptedBroker(), clock = { nowMs: Date.parse('2026-11-26T15:00:00Z') }, risk = new RiskGate()) {
  const nowMs = () => clock.nowMs;
  const instruments = new InstrumentRegistry(defaultInstruments(nowMs()), { nowMs });
  const logs: string[] = [];
  const audits: string[] = [];
  const oms = new OrderManager({
    instruments,
    journal,
    broker,
    risk,
    booker: new PortfolioService(instruments, () => 100_000_000),
    clients: { has: (c) => ['ALFA', 'BETA'].includes(c), account: () => 'CONTA', limits: () => undefined },
    quotes: new QuoteBoard(instruments),
    idPrefix: 'T',
    nowMs,
    log: (_l, m) => logs.push(m),
    audit: (e) => audits.push(e.action),
  });
  broker.setListener({
    connection: (s) => oms.onConnection(s),
    orderUpdate: (u) => oms.onOrderUpdate(u),
    fill: (f) => oms.onFill(f),
    trade() {},
    book() {},
  });
  return { oms, broker, journal, logs, audits };
}

const boleta = { client: 'ALFA', symbol: 'PETR4', side: 'buy' as const, qty: 500, limitPrice: 36.5, algo: { type: 'full' as const } };

describe('order-state tables', () => {
  it('keep terminal states terminal except for a late fill', () => {
    for (const to of CHILD_STATUSES) {
      expect(canTransitionChild('filled', to)).toBe(false);
      expect(canTransitionChild('rejected', to)).toBe(false);
      expect(canTransitionChild('canceled', to)).toBe(to === 'canceled' || to === 'filled');
    }
    for (const to of PARENT_STATUSES) expect(canTransitionParent('filled', to)).toBe(false);
    expect(canTransitionParent('canceled', 'filled')).toBe(true);
    expect(canTransitionParent('pending_new', 'partially_filled')).toBe(true);
    expect(canTransitionParent('filled', 'working')).toBe(false);
  });
});

describe('OrderManager', () => {
  it('journals the child before sending it, and books a fill that arrives after the cancel', async () => {
    const { oms, broker, journal } = setup();
    await broker.connect();
    await oms.reconcile();
    const r = await oms.submit(boleta, 'tester');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    await flush();
    expect(journal.events.map((e) => e.type)).toEqual(['order.accepted', 'child.new']);
    expect(broker.sent).toHaveLength(1);
    const childId = broker.sent[0].clientOrderId;
    broker.listener.orderUpdate({ clientOrderId: childId, status: 'new', qty: 500, filledQty: 0, priceTicks: 3650, timeMs: T0 + 1 });
    await oms.cancel(r.value.order.id, 'tester');
    expect(broker.cancels).toEqual([childId]);
    expect(oms.get(r.value.order.id)!.status).toBe('pending_cancel');
    broker.listener.orderUpdate({ clientOrderId: childId, status: 'canceled', qty: 500, filledQty: 0, timeMs: T0 + 2 });
    expect(oms.get(r.value.order.id)!.status).toBe('canceled');
    // The market had already traded 200 before the cancel took effect: the fill is still booked.
    broker.listener.fill({ tradeId: 'X1', clientOrderId: childId, symbol: 'PETR4', side: 'buy', qty: 200, priceTicks: 3650, timeMs: T0 + 3 });
    const p = oms.get(r.value.order.id)!;
    expect(p).toMatchObject({ status: 'canceled', filledQty: 200 });
    expect(oms.view(p, true).fills).toHaveLength(1);
  });

  it('accepts a futures contract on its expiry day and refuses it, naming symbol, from the next day', async () => {
    const win = { client: 'ALFA', symbol: 'WINZ26', side: 'buy' as const, qty: 1, limitPrice: 155_000, algo: { type: 'full' as const } };
    const onExpiry = setup(new MemoryJournal(), new ScriptedBroker(), { nowMs: Date.parse('2026-12-16T15:00:00Z') });
    await onExpiry.broker.connect();
    await onExpiry.oms.reconcile();
    expect((await onExpiry.oms.submit(win, 'tester')).ok).toBe(true);

    const after = setup(new MemoryJournal(), new ScriptedBroker(), { nowMs: Date.parse('2026-12-17T12:00:00Z') });
    await after.broker.connect();
    await after.oms.reconcile();
    const r = await after.oms.submit(win, 'tester');
    expect(r).toEqual({
      ok: false,
      errors: [{ field: 'symbol', code: 'expired_contract', message: 'contrato WINZ26 vencido em 16/12/2026: negocie WING27 ou WINJ27' }],
    });
    expect(after.journal.events).toEqual([]);
    expect(after.broker.sent).toEqual([]);
  });

  it('sends a market boleta as a limit 2% through the reference (market with protection)', async () => {
    const { oms, broker } = setup();
    await broker.connect();
    await oms.reconcile();
    const { limitPrice: _omit, ...market } = boleta;
    const r = await oms.submit(market, 'tester');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    await flush();
    // PETR4's reference is R$36,50 = 3650 ticks; 2% is 73 ticks.
    expect(broker.sent[0]).toMatchObject({ side: 'buy', qty: 500, priceTicks: 3650 + 73 });
    expect(oms.view(oms.get(r.value.order.id)!, false).limitPrice).toBeUndefined();
  });

  it('refuses an overfill and a repeated fill, and logs the overfill', async () => {
    const { oms, broker, logs, audits } = setup();
    await broker.connect();
    await oms.reconcile();
    const r = await oms.submit(boleta, 'tester');
    if (!r.ok) throw new Error('refused');
    await flush();
    const id = broker.sent[0].clientOrderId;
    const fill = { tradeId: 'F1', clientOrderId: id, symbol: 'PETR4', side: 'buy' as const, qty: 300, priceTicks: 3650, timeMs: T0 + 1 };
    broker.listener.fill(fill);
    broker.listener.fill(fill);
    broker.listener.fill({ ...fill, tradeId: 'F2', qty: 300 });
    expect(oms.get(r.value.order.id)!.filledQty).toBe(300);
    expect(logs.some((m) => m.includes('overfill refused'))).toBe(true);
    expect(audits).toContain('fill.overfill_refused');
    broker.listener.fill({ ...fill, tradeId: 'F3', qty: 200, priceTicks: 3652 });
    expect(oms.get(r.value.order.id)).toMatchObject({ status: 'filled', filledQty: 500, costTicksQty: 300 * 3650 + 200 * 3652 });
  });

  it('rebuilds the same orders and positions by replaying its journal, and re-sends only what never left', async () => {
    const first = setup();
    await first.broker.connect();
    await first.oms.reconcile();
    const a = await first.oms.submit(boleta, 'tester');
    const b = await first.oms.submit({ ...boleta, client: 'BETA', qty: 100, limitPrice: 36.4 }, 'tester');
    if (!a.ok || !b.ok) throw new Error('refused');
    await flush();
    const [ca, cb] = first.broker.sent.map((o) => o.clientOrderId);
    first.broker.listener.orderUpdate({ clientOrderId: ca, status: 'partially_filled', qty: 500, filledQty: 100, priceTicks: 3650, timeMs: T0 + 1 });
    first.broker.listener.fill({ tradeId: 'R1', clientOrderId: ca, symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: T0 + 1 });
    await flush();

    // Same journal, new process; the broker still knows the first child but never received the second.
    const broker2 = new ScriptedBroker();
    broker2.snap = {
      orders: [{ clientOrderId: ca, status: 'partially_filled', qty: 500, filledQty: 300, priceTicks: 3650, timeMs: T0 + 5 }],
      fills: [
        { tradeId: 'R1', clientOrderId: ca, symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650, timeMs: T0 + 1 },
        { tradeId: 'R2', clientOrderId: ca, symbol: 'PETR4', side: 'buy', qty: 200, priceTicks: 3649, timeMs: T0 + 4 },
      ],
    };
    const second = setup(first.journal, broker2);
    const childB = first.journal.events.find((e) => e.type === 'child.new' && (e.data as { id: string }).id === cb)!;
    // Simulate a crash between journaling child B and sending it: drop B's later events.
    second.journal.events = first.journal.events.filter((e) => !(e.type === 'child.update' && (e.data as { id: string }).id === cb));
    expect(childB).toBeDefined();
    second.oms.replay(second.journal.events.slice());
    expect(second.oms.get(a.value.order.id)!.filledQty).toBe(100);
    await broker2.connect();
    await second.oms.reconcile();
    expect(second.oms.get(a.value.order.id)).toMatchObject({ filledQty: 300, status: 'partially_filled' });
    expect(broker2.sent.map((o) => o.clientOrderId)).toEqual([cb]);
  });
});

describe('a boleta whose children the risk gate keeps refusing', () => {
  it('retries a passing refusal (throttle) for a bounded time, then pauses with the reason', async () => {
    const clock = { nowMs: T0 };
    // A child-order bucket that never refills in time: every spawn is throttled.
    const risk = new RiskGate({ ...DEFAULT_RISK_LIMITS, childOrdersPerSec: 0.000_001, childOrderBurst: 0 });
    const { oms, broker, journal } = setup(new MemoryJournal(), new ScriptedBroker(), clock, risk);
    await broker.connect();
    await oms.reconcile();
    const r = await oms.submit(boleta, 'trader');
    expect(r.ok).toBe(true);
    const id = r.ok ? r.value.order.id : '';
    // Within the bound the algo keeps retrying and the boleta stays open.
    clock.nowMs += 10_000;
    await new Promise((res) => setTimeout(res, 300));
    expect(oms.get(id)!.status).toBe('pending_new');
    clock.nowMs += 25_000;
    await new Promise((res) => setTimeout(res, 300));
    expect(oms.get(id)!.status).toBe('paused');
    expect(oms.get(id)!.statusReason).toMatch(/limite de envio de ordens/);
    expect(broker.sent).toHaveLength(0);
    expect(journal.events.filter((e) => e.type === 'order.paused')).toHaveLength(1);
  });
});

