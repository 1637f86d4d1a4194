/**
 * The OMS and its algos on the seeded simulated B3 with a simulated clock: the exchange, the
 * scheduler and the OMS all read `now`, and `advance` moves it in steps, so a ten-minute TWAP runs
 * in milliseconds and the same seed gives the same market every run.
 */
import { SimExchange } from '../../bridge/adapters/sim/exchange.js';
import { createInProcessSimBroker } from '../../bridge/adapters/sim/sim-broker.js';
import type { BrokerFill, BrokerOrderRequest, BrokerTrade } from '../../bridge/execution/broker-port.js';
import type { MarketSession } from '../../bridge/execution/market-session.js';
import { type EventSink, OrderManager } from '../../bridge/execution/oms.js';
import { QuoteBoard } from '../../bridge/marketdata/quote-board.js';
import { defaultInstruments, InstrumentRegistry } from '../../bridge/model/instrument.js';
import { PortfolioService } from '../../bridge/portfolio/portfolio-service.js';
import { RiskGate } from '../../bridge/risk/risk-gate.js';

export class MemoryJournal implements EventSink {
  events: Array<{ type: string; data: unknown }> = [];
  append(type: string, data: unknown) {
    this.events.push({ type, data: JSON.parse(JSON.stringify(data)) });
    return Promise.resolve();
  }
}

export const flushTurns = async (n = 4) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

export interface HarnessOptions {
  startMs: number;
  seed?: number;
  eventsPerSecond?: number;
  session?: MarketSession;
  journal?: MemoryJournal;
  /** Broker account per client ('' = the default account). */
  accounts?: Record<string, string>;
  /** Restart: the exchange (and its clock) of an earlier harness, whose journal this one replays. */
  after?: { exchange: SimExchange; clock: { now: number } };
}

export async function algoHarness(o: HarnessOptions) {
  const clockState = o.after?.clock ?? { now: o.startMs };
  const clock = () => clockState.now;
  const instruments = new InstrumentRegistry(defaultInstruments(clock()), { nowMs: clock });
  const exchange = o.after?.exchange ?? new SimExchange({ instruments: instruments.all(), seed: o.seed ?? 7, clock, baseEventsPerSecond: o.eventsPerSecond ?? 20, activityProfile: () => 1 });
  const broker = createInProcessSimBroker({ exchange, tickIntervalMs: 0, clock });
  const journal = o.journal ?? new MemoryJournal();
  const quotes = new QuoteBoard(instruments, clock);
  const logs: string[] = [];
  const oms = new OrderManager({
    instruments,
    journal,
    broker,
    risk: new RiskGate(),
    booker: new PortfolioService(instruments, () => 1_000_000_000),
    clients: { has: (c) => ['ALFA', 'BETA', 'GAMA'].includes(c), account: (c) => o.accounts?.[c] ?? 'CONTA', limits: () => undefined },
    quotes,
    idPrefix: 'T',
    nowMs: clock,
    log: (_l, m) => logs.push(m),
    audit: () => undefined,
    session: o.session,
    timers: 'manual',
  });
  const trades: BrokerTrade[] = [];
  const fills: BrokerFill[] = [];
  const sent: Array<BrokerOrderRequest & { atMs: number }> = [];
  const replaces: Array<{ id: string; atMs: number; change: { qty?: number; priceTicks?: number } }> = [];
  const submit = broker.submit.bind(broker);
  broker.submit = (r) => {
    sent.push({ ...r, atMs: clockState.now });
    submit(r);
  };
  const replace = broker.replace.bind(broker);
  broker.replace = (id, change) => {
    replaces.push({ id, atMs: clockState.now, change });
    replace(id, change);
  };
  broker.setListener({
    connection: (s) => oms.onConnection(s),
    orderUpdate: (u) => oms.onOrderUpdate(u),
    fill: (f) => {
      fills.push(f);
      oms.onFill(f);
    },
    trade: (t) => {
      trades.push(t);
      oms.runtime.onTrade(t);
      quotes.onTrade(t);
    },
    book: (b) => {
      oms.runtime.onBook(b);
      quotes.onBook(b);
    },
  });
  if (o.after) oms.replay(journal.events);
  await broker.connect();
  for (const inst of instruments.all()) broker.subscribe(inst.symbol);
  await flushTurns();
  await oms.reconcile();

  /** Move the clock by `ms` in steps; `each` runs after every step (assertions at every instant). */
  async function advance(ms: number, stepMs = 1_000, each?: (nowMs: number) => void) {
    const end = clockState.now + ms;
    while (clockState.now < end) {
      clockState.now = Math.min(end, clockState.now + stepMs);
      exchange.step(clockState.now);
      await flushTurns();
      oms.runtime.runDue(clockState.now);
      await flushTurns();
      each?.(clockState.now);
    }
  }

  return { oms, exchange, broker, journal, quotes, trades, fills, sent, replaces, logs, advance, now: clock, clock: clockState, instruments };
}
