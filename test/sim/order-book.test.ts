import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderBook, type FillSink } from '../../bridge/adapters/sim/order-book.js';

interface Fill {
  maker: number;
  taker: number;
  qty: number;
  price: number;
}

function bookWithFills(): { book: OrderBook; fills: Fill[] } {
  const fills: Fill[] = [];
  const sink: FillSink = { onFill: (maker, taker, qty, price) => fills.push({ maker, taker, qty, price }) };
  return { book: new OrderBook(sink, 16), fills };
}

describe('OrderBook matching', () => {
  it('fills by price first, then by time, at the maker price', () => {
    const { book, fills } = bookWithFills();
    book.addLimit(1, 'sell', 10, 101);
    book.addLimit(2, 'sell', 10, 100);
    book.addLimit(3, 'sell', 10, 100);
    book.addLimit(4, 'sell', 10, 99);
    const filled = book.addLimit(5, 'buy', 25, 100);
    expect(filled).toBe(25);
    expect(fills).toEqual([
      { maker: 4, taker: 5, qty: 10, price: 99 },
      { maker: 2, taker: 5, qty: 10, price: 100 },
      { maker: 3, taker: 5, qty: 5, price: 100 },
    ]);
    expect(book.orderQty(3)).toBe(5);
    expect(book.has(5)).toBe(false);
    expect(book.bestAskTicks()).toBe(100);
    expect(book.bestAskQty()).toBe(5);
    book.checkInvariants();
  });

  it('rests the unfilled part of a limit order and fills makers partially', () => {
    const { book, fills } = bookWithFills();
    book.addLimit(1, 'buy', 30, 50);
    expect(book.addLimit(2, 'sell', 12, 50)).toBe(12);
    expect(book.orderQty(1)).toBe(18);
    expect(book.addLimit(3, 'sell', 25, 49)).toBe(18);
    expect(fills.map((f) => f.qty)).toEqual([12, 18]);
    expect(book.has(1)).toBe(false);
    expect(book.orderQty(3)).toBe(7);
    expect(book.bestAskTicks()).toBe(49);
    expect(book.bestBidTicks()).toBeUndefined();
    book.checkInvariants();
  });

  it('cancels in the middle of a long queue without disturbing the others', () => {
    const { book, fills } = bookWithFills();
    for (let id = 1; id <= 1000; id++) book.addLimit(id, 'buy', 1, 100);
    expect(book.cancel(500)).toBe(1);
    expect(book.cancel(500)).toBe(0);
    expect(book.cancel(1)).toBe(1);
    expect(book.cancel(1000)).toBe(1);
    expect(book.size).toBe(997);
    expect(book.depth('buy', 5)).toEqual([{ priceTicks: 100, qty: 997, orders: 997 }]);
    book.checkInvariants();
    book.addMarket(5000, 'sell', 3);
    expect(fills.map((f) => f.maker)).toEqual([2, 3, 4]);
  });

  it('market orders sweep levels and cancel what they cannot fill', () => {
    const { book, fills } = bookWithFills();
    book.addLimit(1, 'sell', 5, 100);
    book.addLimit(2, 'sell', 5, 102);
    expect(book.addMarket(3, 'buy', 20)).toBe(10);
    expect(fills.map((f) => [f.price, f.qty])).toEqual([
      [100, 5],
      [102, 5],
    ]);
    expect(book.size).toBe(0);
    expect(book.addMarket(4, 'sell', 5)).toBe(0);
    expect(book.size).toBe(0);
  });

  it('refuses nonsense input', () => {
    const { book } = bookWithFills();
    expect(() => book.addLimit(1, 'buy', 0, 100)).toThrow(/quantity/);
    expect(() => book.addLimit(1, 'buy', 1.5, 100)).toThrow(/quantity/);
    expect(() => book.addLimit(1, 'buy', 1, 100.5)).toThrow(/price/);
    book.addLimit(1, 'buy', 1, 100);
    expect(() => book.addLimit(1, 'buy', 1, 99)).toThrow(/already resting/);
    expect(() => book.replace(2, 1, 100)).toThrow(/not resting/);
  });
});

describe('OrderBook replace (B3 PUMA priority rules)', () => {
  function queue(): { book: OrderBook; fills: Fill[] } {
    const r = bookWithFills();
    r.book.addLimit(1, 'buy', 10, 100);
    r.book.addLimit(2, 'buy', 10, 100);
    r.book.addLimit(3, 'buy', 10, 100);
    return r;
  }

  it('a quantity reduction keeps the place in the queue', () => {
    const { book } = queue();
    book.replace(1, 4, 100);
    expect(book.queueAt('buy', 100)).toEqual([1, 2, 3]);
    expect(book.bestBidQty()).toBe(24);
    book.checkInvariants();
  });

  it('a quantity increase goes to the back of the queue', () => {
    const { book } = queue();
    book.replace(1, 11, 100);
    expect(book.queueAt('buy', 100)).toEqual([2, 3, 1]);
    expect(book.bestBidQty()).toBe(31);
  });

  it('a price change loses priority, even when moving back to the old price', () => {
    const { book } = queue();
    book.replace(1, 10, 99);
    expect(book.orderPriceTicks(1)).toBe(99);
    book.replace(1, 10, 100);
    expect(book.queueAt('buy', 100)).toEqual([2, 3, 1]);
    expect(book.levelCount('buy')).toBe(1);
    book.checkInvariants();
  });

  it('a price change that crosses trades on the way in', () => {
    const { book, fills } = queue();
    book.addLimit(10, 'sell', 5, 101);
    expect(book.replace(10, 5, 100)).toBe(5);
    expect(fills).toEqual([{ maker: 1, taker: 10, qty: 5, price: 100 }]);
    expect(book.has(10)).toBe(false);
  });
});

describe('OrderBook auction', () => {
  it('books crossing orders without trading and uncrosses at the price of maximum volume', () => {
    const { book, fills } = bookWithFills();
    book.beginAuction();
    book.addLimit(1, 'buy', 10, 103);
    book.addLimit(2, 'buy', 10, 101);
    book.addLimit(3, 'buy', 10, 99);
    book.addLimit(4, 'sell', 5, 98);
    book.addLimit(5, 'sell', 10, 100);
    book.addLimit(6, 'sell', 10, 102);
    expect(fills).toHaveLength(0);
    expect(() => book.addMarket(7, 'buy', 1)).toThrow(/auction/);
    book.checkInvariants();
    // Volume by price: 98→5, 99→5, 100→15, 101→15, 102→10, 103→10. 100 and 101 tie on volume;
    // imbalance at 100 is 20-15=5, at 101 it is 20-15=5 too; the reference 100 decides.
    const eq = book.equilibrium(100);
    expect(eq).toEqual({ priceTicks: 100, qty: 15, imbalance: 5 });
    expect(book.equilibrium(104)?.priceTicks).toBe(101);
    const result = book.uncross(100);
    expect(result?.qty).toBe(15);
    expect(fills.every((f) => f.price === 100)).toBe(true);
    expect(fills.reduce((s, f) => s + f.qty, 0)).toBe(15);
    // Buy 1 (103) first, then buy 2 (101); sell 4 (98) first, then sell 5 (100).
    expect(fills).toEqual([
      { maker: 4, taker: 1, qty: 5, price: 100 },
      { maker: 5, taker: 1, qty: 5, price: 100 },
      { maker: 5, taker: 2, qty: 5, price: 100 },
    ]);
    expect(book.inAuction).toBe(false);
    expect(book.bestBidTicks()).toBe(101);
    expect(book.bestAskTicks()).toBe(102);
    book.checkInvariants();
    book.addLimit(8, 'sell', 1, 101);
    expect(fills.at(-1)).toEqual({ maker: 2, taker: 8, qty: 1, price: 101 });
  });

  it('prefers the smaller imbalance among prices of equal volume', () => {
    const { book } = bookWithFills();
    book.beginAuction();
    book.addLimit(1, 'buy', 10, 105);
    book.addLimit(2, 'buy', 4, 103);
    book.addLimit(3, 'sell', 10, 100);
    book.addLimit(4, 'sell', 10, 104);
    // Every candidate (100, 103, 104, 105) matches 10. Imbalance: 14-10=4 at 100 and 103, 10-20=-10 at
    // 104 and 105; of 100 and 103, 103 is nearer the reference 104.
    const eq = book.equilibrium(104);
    expect(eq?.qty).toBe(10);
    expect(eq?.imbalance).toBe(4);
    expect(eq?.priceTicks).toBe(103);
  });

  it('reports nothing to uncross when the book does not cross', () => {
    const { book, fills } = bookWithFills();
    book.beginAuction();
    book.addLimit(1, 'buy', 10, 99);
    book.addLimit(2, 'sell', 10, 100);
    expect(book.uncross(100)).toBeUndefined();
    expect(fills).toHaveLength(0);
    expect(book.inAuction).toBe(false);
  });
});

describe('OrderBook quantities add up (property)', () => {
  type Op =
    | { k: 'limit'; side: 'buy' | 'sell'; qty: number; price: number }
    | { k: 'market'; side: 'buy' | 'sell'; qty: number }
    | { k: 'cancel'; pick: number }
    | { k: 'replace'; pick: number; qty: number; price: number }
    | { k: 'auction' }
    | { k: 'uncross' };

  const side = fc.constantFrom<'buy' | 'sell'>('buy', 'sell');
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ k: fc.constant('limit' as const), side, qty: fc.integer({ min: 1, max: 20 }), price: fc.integer({ min: 90, max: 110 }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('market' as const), side, qty: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
    {
      weight: 3,
      arbitrary: fc.record({ k: fc.constant('replace' as const), pick: fc.nat(), qty: fc.integer({ min: 1, max: 25 }), price: fc.integer({ min: 90, max: 110 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ k: 'auction' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'uncross' as const }) },
  );

  it('filled + resting + canceled = submitted for every order, and the book never crosses after an op', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const submitted = new Map<number, number>();
        const filled = new Map<number, number>();
        const canceled = new Map<number, number>();
        const add = (m: Map<number, number>, id: number, q: number): void => {
          m.set(id, (m.get(id) ?? 0) + q);
        };
        const book = new OrderBook(
          {
            onFill: (maker, taker, qty, price) => {
              if (!(qty > 0) || !Number.isInteger(price)) throw new Error('bad fill');
              add(filled, maker, qty);
              add(filled, taker, qty);
            },
          },
          16,
        );
        const ids: number[] = [];
        let next = 1;
        for (const o of ops) {
          if (o.k === 'limit') {
            const id = next++;
            ids.push(id);
            add(submitted, id, o.qty);
            book.addLimit(id, o.side, o.qty, o.price);
          } else if (o.k === 'market') {
            if (book.inAuction) continue;
            const id = next++;
            ids.push(id);
            add(submitted, id, o.qty);
            const f = book.addMarket(id, o.side, o.qty);
            add(canceled, id, o.qty - f);
          } else if (o.k === 'cancel' && ids.length > 0) {
            const id = ids[o.pick % ids.length];
            add(canceled, id, book.cancel(id));
          } else if (o.k === 'replace' && ids.length > 0) {
            const id = ids[o.pick % ids.length];
            const before = book.orderQty(id);
            if (before === 0) continue;
            if (o.qty < before) add(canceled, id, before - o.qty);
            else add(submitted, id, o.qty - before);
            book.replace(id, o.qty, o.price);
          } else if (o.k === 'auction') {
            book.beginAuction();
          } else if (o.k === 'uncross') {
            book.uncross(100);
          }
          book.checkInvariants();
          const bid = book.bestBidTicks();
          const ask = book.bestAskTicks();
          if (!book.inAuction && bid !== undefined && ask !== undefined && bid >= ask) return false;
        }
        for (const id of ids) {
          const total = (filled.get(id) ?? 0) + book.orderQty(id) + (canceled.get(id) ?? 0);
          if (total !== submitted.get(id)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
