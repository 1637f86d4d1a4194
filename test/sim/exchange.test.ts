import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { BrokerBook, BrokerFill, BrokerOrderUpdate, BrokerTrade } from '../../bridge/execution/broker-port.js';
import { SimExchange, type SessionPhase, type SimExchangeOptions } from '../../bridge/adapters/sim/exchange.js';
import { defaultInstruments, type Instrument } from '../../bridge/model/instrument.js';

/** The listing the simulated B3 has on this date: WINZ26 and WDOZ26 are among its contracts. */
const LISTING_MS = Date.parse('2026-11-25T15:00:00Z');

const spMs = (local: string): number => DateTime.fromISO(local, { zone: 'America/Sao_Paulo' }).toMillis();

function petr4(): Instrument {
  return defaultInstruments(LISTING_MS).find((i) => i.symbol === 'PETR4') as Instrument;
}

function harness(options: Partial<SimExchangeOptions> = {}, startMs = spMs('2026-03-10T13:00')) {
  let now = startMs;
  const ex = new SimExchange({ instruments: defaultInstruments(LISTING_MS), seed: 42, clock: () => now, ...options });
  const updates: BrokerOrderUpdate[] = [];
  const fills: BrokerFill[] = [];
  const trades: BrokerTrade[] = [];
  const books: BrokerBook[] = [];
  ex.addListener({
    orderUpdate: (u) => updates.push(u),
    fill: (f) => fills.push(f),
    trade: (t) => trades.push(t),
    book: (b) => books.push(b),
  });
  return {
    ex,
    updates,
    fills,
    trades,
    books,
    now: () => now,
    advance(ms: number, stepMs = 1_000): void {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + stepMs);
        ex.step(now);
      }
    },
  };
}

describe('SimExchange orders', () => {
  it('refuses a second order with a known clientOrderId and never books it twice', () => {
    const h = harness();
    const first = h.ex.submit({ clientOrderId: 'c-1', account: 'A', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3000 });
    expect(first.status).toBe('new');
    const again = h.ex.submit({ clientOrderId: 'c-1', account: 'A', symbol: 'PETR4', side: 'buy', qty: 500, priceTicks: 3001 });
    expect(again.reason).toMatch(/duplicado/);
    // The refusal reports the live order as it is, so a resend after a restart cannot mark it rejected.
    expect(again).toMatchObject({ status: 'new', qty: 100, priceTicks: 3000, brokerOrderId: first.brokerOrderId });
    expect(h.ex.ordersFor()).toHaveLength(1);
    expect(h.ex.orderBook('PETR4')?.queueAt('buy', 3000)).toHaveLength(1);
    expect(h.updates.at(-1)?.reason).toMatch(/duplicado/);
  });

  it('trades a futures contract on its expiry day and refuses it the day after', () => {
    const h = harness({}, spMs('2026-12-16T11:00'));
    expect(h.ex.submit({ clientOrderId: 'w-1', account: 'A', symbol: 'WINZ26', side: 'buy', qty: 1, priceTicks: 30_000 }).status).toBe('new');
    const late = harness({}, spMs('2026-12-17T11:00'));
    const r = late.ex.submit({ clientOrderId: 'w-2', account: 'A', symbol: 'WINZ26', side: 'buy', qty: 1, priceTicks: 30_000 });
    expect(r).toMatchObject({ status: 'rejected', reason: 'contrato WINZ26 vencido em 2026-12-16' });
  });

  it('rejects invalid orders with a reason', () => {
    const h = harness({ sessionPhase: () => 'auction' });
    const base = { account: 'A', side: 'buy' as const, symbol: 'PETR4', qty: 100, priceTicks: 3650 };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ symbol: 'XPTO3' }, /símbolo desconhecido/],
      [{ qty: 150 }, /múltipla do lote 100/],
      [{ qty: 0 }, /quantidade inválida/],
      [{ qty: '100' }, /quantidade inválida/],
      [{ symbol: 'PETR4F', qty: 100 }, /acima do máximo 99/],
      [{ symbol: 'PETR4', qty: 200_000_000 }, /acima do máximo/],
      [{ priceTicks: 3650.5 }, /preço inválido/],
      [{ priceTicks: -1 }, /preço inválido/],
      [{ side: 'short' }, /lado inválido/],
      [{ account: '' }, /conta/],
      [{ priceTicks: undefined }, /mercado não é aceita durante o leilão/],
    ];
    cases.forEach(([patch, reason], i) => {
      const u = h.ex.submit({ ...base, ...patch, clientOrderId: `bad-${i}` } as never);
      expect(u.status, JSON.stringify(patch)).toBe('rejected');
      expect(u.reason, JSON.stringify(patch)).toMatch(reason);
    });
    expect(h.ex.submit({ ...base, clientOrderId: '' }).reason).toMatch(/clientOrderId inválido/);
    expect(h.ex.orderBook('PETR4')?.size).toBeGreaterThan(0);
    expect(h.ex.ordersFor().filter((o) => o.status !== 'rejected')).toHaveLength(0);
  });

  it('rejects new orders while closed and expires working orders at the close', () => {
    let phase: SessionPhase = 'open';
    const h = harness({ sessionPhase: () => phase });
    h.ex.submit({ clientOrderId: 'w', account: 'A', symbol: 'VALE3', side: 'sell', qty: 100, priceTicks: 9000 });
    phase = 'closed';
    h.advance(1_000);
    expect(h.ex.ordersFor()[0]).toMatchObject({ status: 'expired' });
    const u = h.ex.submit({ clientOrderId: 'late', account: 'A', symbol: 'VALE3', side: 'buy', qty: 100, priceTicks: 6000 });
    expect(u).toMatchObject({ status: 'rejected' });
    expect(u.reason).toMatch(/mercado fechado/);
    expect(h.ex.cancel('w').reason).toMatch(/não está ativa/);
    expect(h.ex.cancel('nope')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/desconhecida/) });
  });

  it('queues our order behind participants at the same price and fills it partially', () => {
    const h = harness();
    const q = h.ex.quote('PETR4') as BrokerBook;
    const bid = q.bidTicks as number;
    const ahead = q.bidQty as number;
    h.ex.submit({ clientOrderId: 'mine', account: 'A', symbol: 'PETR4', side: 'buy', qty: 1000, priceTicks: bid });
    const queue = h.ex.orderBook('PETR4')?.queueAt('buy', bid) ?? [];
    expect(queue.length).toBeGreaterThan(1);
    const sold = h.ex.submit({ clientOrderId: 'hit', account: 'B', symbol: 'PETR4', side: 'sell', qty: ahead + 300 });
    expect(sold).toMatchObject({ status: 'filled', filledQty: ahead + 300 });
    const mine = h.ex.ordersFor('A')[0];
    expect(mine).toMatchObject({ status: 'partially_filled', filledQty: 300 });
    expect(h.ex.fillsFor('A')).toEqual([expect.objectContaining({ clientOrderId: 'mine', qty: 300, priceTicks: bid, side: 'buy' })]);
    const ids = h.ex.fillsFor().map((f) => f.tradeId);
    expect(new Set(ids).size).toBe(ids.length);
    // The last trade filled both our orders: the same match number, one id per side.
    const both = h.ex.fillsFor().filter((f) => f.tradeId.startsWith('TPETR4-')).slice(-2);
    expect(both.map((f) => f.tradeId.slice(-2)).sort()).toEqual(['-B', '-S']);
    // Execution reports come in order: accepted, then cumulative fills.
    const forMine = h.updates.filter((u) => u.clientOrderId === 'mine');
    expect(forMine.map((u) => [u.status, u.filledQty])).toEqual([
      ['new', 0],
      ['partially_filled', 300],
    ]);
    h.ex.orderBook('PETR4')?.checkInvariants();
  });

  it('replace: reduction keeps priority, increase loses it, refusals keep the order', () => {
    const h = harness();
    const bid = h.ex.quote('ITUB4')?.bidTicks as number;
    h.ex.submit({ clientOrderId: 'r1', account: 'A', symbol: 'ITUB4', side: 'buy', qty: 1000, priceTicks: bid });
    h.ex.submit({ clientOrderId: 'r2', account: 'A', symbol: 'ITUB4', side: 'buy', qty: 1000, priceTicks: bid });
    const book = h.ex.orderBook('ITUB4');
    const position = (cid: string): number => {
      const order = h.ex.ordersFor().find((o) => o.clientOrderId === cid) as BrokerOrderUpdate;
      const internal = Number(order.brokerOrderId?.split('-').at(-1));
      return (book?.queueAt('buy', bid) ?? []).indexOf(internal);
    };
    const before = position('r1');
    expect(before).toBeLessThan(position('r2'));
    expect(h.ex.replace('r1', { qty: 500 })).toMatchObject({ qty: 500, status: 'new' });
    expect(position('r1')).toBe(before);
    h.ex.replace('r1', { qty: 800 });
    expect(position('r1')).toBeGreaterThan(position('r2'));
    expect(h.ex.replace('r1', { qty: 850 }).reason).toMatch(/lote/);
    expect(h.ex.replace('r1', {}).reason).toMatch(/sem quantidade nem preço/);
    expect(h.ex.replace('zz', { qty: 100 })).toMatchObject({ status: 'rejected' });
    expect(h.ex.ordersFor().find((o) => o.clientOrderId === 'r1')).toMatchObject({ status: 'new', qty: 800 });
  });

  it('a large order walks the book and the price stays moved', () => {
    const h = harness();
    h.ex.subscribe('PETR4');
    const before = h.ex.quote('PETR4') as BrokerBook;
    const levels = h.ex.orderBook('PETR4')?.depth('sell', 5) ?? [];
    expect(levels).toHaveLength(5);
    const qty = levels.reduce((sum, l) => sum + l.qty, 0);
    const top = levels[4].priceTicks;
    const u = h.ex.submit({ clientOrderId: 'big', account: 'A', symbol: 'PETR4', side: 'buy', qty, priceTicks: top });
    expect(u).toMatchObject({ status: 'filled', filledQty: qty });
    expect(new Set(h.ex.fillsFor().map((f) => f.priceTicks))).toEqual(new Set(levels.map((l) => l.priceTicks)));
    expect(h.trades.at(-1)).toMatchObject({ priceTicks: top, aggressor: 'buy' });
    expect(h.ex.lastTradeTicks('PETR4')).toBe(top);
    const after = h.ex.quote('PETR4') as BrokerBook;
    expect(after.askTicks === undefined || after.askTicks > top).toBe(true);
    // Participants re-quote around the new price instead of drifting back to the old one.
    h.advance(2_000, 100);
    const later = h.ex.quote('PETR4') as BrokerBook;
    const mid = (b: BrokerBook): number => ((b.bidTicks as number) + (b.askTicks as number)) / 2;
    expect(mid(later)).toBeGreaterThanOrEqual(mid(before) + 2);
    h.ex.orderBook('PETR4')?.checkInvariants();
  });

  it('cancelAll cancels only the given account', () => {
    const h = harness();
    h.ex.submit({ clientOrderId: 'a1', account: 'A', symbol: 'BBDC4', side: 'buy', qty: 100, priceTicks: 1000 });
    h.ex.submit({ clientOrderId: 'a2', account: 'A', symbol: 'ABEV3', side: 'sell', qty: 100, priceTicks: 2000 });
    h.ex.submit({ clientOrderId: 'b1', account: 'B', symbol: 'BBDC4', side: 'buy', qty: 100, priceTicks: 1000 });
    expect(h.ex.cancelAll('A')).toBe(2);
    expect(h.ex.ordersFor('A').map((o) => o.status)).toEqual(['canceled', 'canceled']);
    expect(h.ex.ordersFor('B')[0].status).toBe('new');
    expect(h.ex.cancelAll()).toBe(1);
  });

  it('lets a listener call back into the exchange while events are delivered', () => {
    const h = harness();
    let resubmitted = false;
    h.ex.addListener({
      fill: () => {
        if (resubmitted) return;
        resubmitted = true;
        h.ex.submit({ clientOrderId: 'from-listener', account: 'A', symbol: 'WEGE3', side: 'sell', qty: 100 });
      },
    });
    h.ex.submit({ clientOrderId: 'trigger', account: 'A', symbol: 'WEGE3', side: 'buy', qty: 300 });
    expect(h.ex.ordersFor().map((o) => o.clientOrderId)).toEqual(['trigger', 'from-listener']);
    expect(h.ex.ordersFor()[1].status).toBe('filled');
    h.ex.orderBook('WEGE3')?.checkInvariants();
  });

  it('expires day orders and starts a new day at midnight in São Paulo', () => {
    const h = harness({}, spMs('2026-03-10T23:59:00'));
    h.ex.submit({ clientOrderId: 'night', account: 'A', symbol: 'B3SA3', side: 'buy', qty: 100, priceTicks: 1000 });
    const expired: BrokerOrderUpdate[] = [];
    h.ex.addListener({ orderUpdate: (u) => expired.push(u) });
    h.advance(120_000, 10_000);
    expect(expired.find((u) => u.clientOrderId === 'night')?.status).toBe('expired');
    expect(h.ex.ordersFor()).toEqual([]);
  });
});

describe('SimExchange auction', () => {
  it('accepts orders without matching during the auction and uncrosses at one price on the open', () => {
    let phase: SessionPhase = 'auction';
    const h = harness({ sessionPhase: () => phase });
    const book = h.ex.orderBook('PETR4');
    h.advance(60_000);
    expect(h.fills).toHaveLength(0);
    const ref = petr4().referenceTicks;
    h.ex.submit({ clientOrderId: 'ab', account: 'A', symbol: 'PETR4', side: 'buy', qty: 5000, priceTicks: ref + 10 });
    h.ex.submit({ clientOrderId: 'as', account: 'B', symbol: 'PETR4', side: 'sell', qty: 2000, priceTicks: ref - 10 });
    expect(h.fills).toHaveLength(0);
    expect(book?.inAuction).toBe(true);
    expect(h.ex.phaseOf('PETR4')).toBe('auction');
    const expected = book?.equilibrium(ref);
    expect(expected?.qty).toBeGreaterThan(0);
    phase = 'open';
    h.advance(1);
    const uncrossFills = h.fills.filter((f) => f.timeMs === h.now());
    expect(uncrossFills.length).toBeGreaterThan(0);
    expect(new Set(uncrossFills.map((f) => f.priceTicks))).toEqual(new Set([expected?.priceTicks]));
    expect(h.ex.ordersFor('B')[0]).toMatchObject({ status: 'filled', filledQty: 2000 });
    expect(book?.inAuction).toBe(false);
    expect(h.ex.phaseOf('PETR4')).toBe('open');
    book?.checkInvariants();
  });
});

describe('SimExchange participants', () => {
  function tradesOf(seed: number): BrokerTrade[] {
    const h = harness({ seed });
    for (const s of ['PETR4', 'WINZ26', 'PETR4F']) h.ex.subscribe(s);
    h.advance(10 * 60_000, 250);
    return h.trades;
  }

  it('are deterministic for a seed', () => {
    const a = tradesOf(7);
    const b = tradesOf(7);
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
    expect(tradesOf(8)).not.toEqual(a);
  });

  it('trade more in the first and last hour than at midday (U-shape)', () => {
    const start = spMs('2026-03-10T10:00');
    const h = harness({ instruments: [petr4()], seed: 3 }, start);
    h.ex.subscribe('PETR4');
    h.advance(8 * 3_600_000, 10_000);
    const inHour = (from: string): number => {
      const a = spMs(`2026-03-10T${from}`);
      return h.trades.filter((t) => t.timeMs >= a && t.timeMs < a + 3_600_000).length;
    };
    const first = inHour('10:00');
    const midday = inHour('13:30');
    const last = inHour('17:00');
    expect(first).toBeGreaterThan(1.5 * midday);
    expect(last).toBeGreaterThan(1.5 * midday);
    h.ex.orderBook('PETR4')?.checkInvariants();
  });

  it('keep both sides of every book quoted a few levels deep', () => {
    const h = harness();
    h.advance(5 * 60_000, 500);
    for (const inst of defaultInstruments(LISTING_MS)) {
      const book = h.ex.orderBook(inst.symbol);
      expect(book?.levelCount('buy'), inst.symbol).toBeGreaterThanOrEqual(2);
      expect(book?.levelCount('sell'), inst.symbol).toBeGreaterThanOrEqual(2);
      book?.checkInvariants();
    }
  });
});
