/**
 * Continuous limit order book for one symbol: price-time priority, integer ticks, integer quantities.
 *
 * Built for throughput (PRODUCT.md §7: ≥1M ops/s shallow, ≥500k ops/s with 100k+ resting orders).
 * Orders live in pooled slots of typed arrays (struct of arrays), linked into one doubly linked queue
 * per price level, so a cancel in the middle of a 10,000-order queue is O(1): find the slot by id,
 * unlink it. Price levels of a side sit in a plain array sorted so that the best price is LAST: the
 * common cases (match at the top, empty the top level, add at or near the top) are push/pop, and only
 * a new level deep in the book pays a splice over the (few) levels in front of it.
 *
 * Replace follows B3 PUMA: a pure quantity reduction keeps time priority; a price change or a quantity
 * increase re-enters the order at the back of its (possibly new) level, and may trade on the way in.
 *
 * The book knows nothing about accounts or clients; callers map their numeric ids to their records.
 */
import type { Side } from '../../../common/types.js';

/**
 * Receives every match, synchronously, after the book has been updated for it (so `orderQty(makerId)`
 * already shows the maker's remaining quantity). It must not modify the book.
 */
export interface FillSink {
  /** `qty` traded at `priceTicks` (the maker's price; in an uncross, the auction price, with the sell as maker). */
  onFill(makerId: number, takerId: number, qty: number, priceTicks: number): void;
}

export interface LevelView {
  priceTicks: number;
  qty: number;
  orders: number;
}

export interface AuctionResult {
  priceTicks: number;
  /** Quantity that trades at priceTicks. */
  qty: number;
  /** Bid quantity minus ask quantity left eligible at priceTicks. */
  imbalance: number;
}

const NIL = -1;
const BUY = 0;
const SELL = 1;

const NO_SINK: FillSink = { onFill() {} };

function assertQty(qty: number, what: string): void {
  if (!Number.isSafeInteger(qty) || qty <= 0) throw new RangeError(`${what}: quantity must be a positive integer, got ${qty}`);
}

function assertPrice(priceTicks: number): void {
  if (!Number.isSafeInteger(priceTicks) || priceTicks <= 0) {
    throw new RangeError(`price must be a positive integer number of ticks, got ${priceTicks}`);
  }
}

function assertId(id: number): void {
  if (!Number.isSafeInteger(id)) throw new RangeError(`order id must be a safe integer, got ${id}`);
}

export class OrderBook {
  private sink: FillSink;

  // Order slots.
  private nId: Float64Array;
  private nQty: Float64Array;
  private nPrev: Int32Array;
  private nNext: Int32Array;
  private nLevel: Int32Array;
  private nodeTop = 0;
  /** Free slots, chained through nNext. */
  private nodeFree = NIL;

  // Price level slots.
  private lPrice: Float64Array;
  private lQty: Float64Array;
  private lCount: Int32Array;
  private lHead: Int32Array;
  private lTail: Int32Array;
  private lSide: Uint8Array;
  private levelTop = 0;
  /** Free level slots, chained through lHead. */
  private levelFree = NIL;

  private readonly ids = new Map<number, number>();
  private readonly levelByPrice: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
  /** Bids ascending, asks descending: the best price of each side is the last element. */
  private readonly prices: [number[], number[]] = [[], []];
  /** Level slot of each entry of `prices`, same order. */
  private readonly levels: [number[], number[]] = [[], []];

  private auction = false;

  constructor(sink: FillSink = NO_SINK, initialCapacity = 1024) {
    this.sink = sink;
    const cap = Math.max(16, initialCapacity | 0);
    this.nId = new Float64Array(cap);
    this.nQty = new Float64Array(cap);
    this.nPrev = new Int32Array(cap);
    this.nNext = new Int32Array(cap);
    this.nLevel = new Int32Array(cap);
    const levelCap = 64;
    this.lPrice = new Float64Array(levelCap);
    this.lQty = new Float64Array(levelCap);
    this.lCount = new Int32Array(levelCap);
    this.lHead = new Int32Array(levelCap);
    this.lTail = new Int32Array(levelCap);
    this.lSide = new Uint8Array(levelCap);
  }

  setFillSink(sink: FillSink): void {
    this.sink = sink;
  }

  // --- order entry ---------------------------------------------------------------------------

  /**
   * Limit order: trades whatever crosses (unless in auction), rests the remainder at priceTicks.
   * Returns the quantity filled on entry.
   */
  addLimit(id: number, side: Side, qty: number, priceTicks: number): number {
    assertId(id);
    assertQty(qty, 'limit');
    assertPrice(priceTicks);
    if (this.ids.has(id)) throw new RangeError(`order id ${id} is already resting`);
    const s = side === 'buy' ? BUY : SELL;
    const filled = this.auction ? 0 : this.match(s, id, qty, priceTicks);
    if (filled < qty) this.rest(id, s, qty - filled, priceTicks);
    return filled;
  }

  /** Market order: trades against the book and never rests; the unfilled remainder is canceled. Returns the filled quantity. */
  addMarket(id: number, side: Side, qty: number): number {
    assertId(id);
    assertQty(qty, 'market');
    if (this.auction) throw new RangeError('market orders do not trade during an auction');
    if (this.ids.has(id)) throw new RangeError(`order id ${id} is already resting`);
    return this.match(side === 'buy' ? BUY : SELL, id, qty, side === 'buy' ? Infinity : -Infinity);
  }

  /** Removes a resting order; returns the quantity canceled (0 when the id is not resting). */
  cancel(id: number): number {
    const n = this.ids.get(id);
    if (n === undefined) return 0;
    const qty = this.nQty[n];
    this.unlink(n);
    return qty;
  }

  /**
   * Changes a resting order to `newQty` remaining at `newPriceTicks`. A reduction at the same price keeps
   * time priority; anything else re-enters at the back and may trade. Returns the quantity filled on
   * re-entry. Throws when the id is not resting (callers know which of their orders are working).
   */
  replace(id: number, newQty: number, newPriceTicks: number): number {
    assertQty(newQty, 'replace');
    assertPrice(newPriceTicks);
    const n = this.ids.get(id);
    if (n === undefined) throw new RangeError(`order id ${id} is not resting`);
    const li = this.nLevel[n];
    const oldQty = this.nQty[n];
    if (newPriceTicks === this.lPrice[li] && newQty <= oldQty) {
      this.nQty[n] = newQty;
      this.lQty[li] -= oldQty - newQty;
      return 0;
    }
    const side: Side = this.lSide[li] === BUY ? 'buy' : 'sell';
    this.unlink(n);
    return this.addLimit(id, side, newQty, newPriceTicks);
  }

  // --- auction -------------------------------------------------------------------------------

  get inAuction(): boolean {
    return this.auction;
  }

  /** From now on limit orders rest without matching (the book may cross); market orders are refused. */
  beginAuction(): void {
    this.auction = true;
  }

  /**
   * The single price that maximises matched volume; ties go to the smallest imbalance, then to the price
   * nearest `referenceTicks`, then to the lower price. Undefined when the book does not cross.
   */
  equilibrium(referenceTicks: number): AuctionResult | undefined {
    const bidP = this.prices[BUY];
    const askP = this.prices[SELL];
    if (bidP.length === 0 || askP.length === 0) return undefined;
    const bestBid = bidP[bidP.length - 1];
    const bestAsk = askP[askP.length - 1];
    if (bestBid < bestAsk) return undefined;

    const candidates: number[] = [];
    for (let i = bidP.length - 1; i >= 0 && bidP[i] >= bestAsk; i--) candidates.push(bidP[i]);
    for (let i = askP.length - 1; i >= 0 && askP[i] <= bestBid; i--) candidates.push(askP[i]);
    candidates.sort((a, b) => a - b);
    let unique = 0;
    for (let i = 0; i < candidates.length; i++) {
      if (i === 0 || candidates[i] !== candidates[unique - 1]) candidates[unique++] = candidates[i];
    }
    candidates.length = unique;

    const cumAsk = new Array<number>(unique);
    let acc = 0;
    let j = askP.length - 1;
    for (let i = 0; i < unique; i++) {
      while (j >= 0 && askP[j] <= candidates[i]) acc += this.lQty[this.levels[SELL][j--]];
      cumAsk[i] = acc;
    }
    const cumBid = new Array<number>(unique);
    acc = 0;
    j = bidP.length - 1;
    for (let i = unique - 1; i >= 0; i--) {
      while (j >= 0 && bidP[j] >= candidates[i]) acc += this.lQty[this.levels[BUY][j--]];
      cumBid[i] = acc;
    }

    let best: AuctionResult | undefined;
    for (let i = 0; i < unique; i++) {
      const qty = Math.min(cumBid[i], cumAsk[i]);
      const imbalance = cumBid[i] - cumAsk[i];
      const p = candidates[i];
      if (
        best === undefined ||
        qty > best.qty ||
        (qty === best.qty &&
          (Math.abs(imbalance) < Math.abs(best.imbalance) ||
            (Math.abs(imbalance) === Math.abs(best.imbalance) &&
              Math.abs(p - referenceTicks) < Math.abs(best.priceTicks - referenceTicks))))
      ) {
        best = { priceTicks: p, qty, imbalance };
      }
    }
    return best;
  }

  /**
   * Ends the auction: everything that crosses trades at the equilibrium price, in price-time priority on
   * each side, then continuous trading resumes. Returns the uncross, or undefined when nothing crossed.
   */
  uncross(referenceTicks: number): AuctionResult | undefined {
    const eq = this.equilibrium(referenceTicks);
    this.auction = false;
    if (eq === undefined) return undefined;
    let remaining = eq.qty;
    const bidLevels = this.levels[BUY];
    const askLevels = this.levels[SELL];
    while (remaining > 0) {
      const bl = bidLevels[bidLevels.length - 1];
      const al = askLevels[askLevels.length - 1];
      if (this.lPrice[bl] < eq.priceTicks || this.lPrice[al] > eq.priceTicks) {
        throw new Error(`uncross invariant: ${remaining} left to match at ${eq.priceTicks} but the book no longer crosses`);
      }
      const bn = this.lHead[bl];
      const an = this.lHead[al];
      const bidId = this.nId[bn];
      const askId = this.nId[an];
      const t = Math.min(this.nQty[bn], this.nQty[an], remaining);
      remaining -= t;
      this.reduceHead(bl, bn, t);
      this.reduceHead(al, an, t);
      this.sink.onFill(askId, bidId, t, eq.priceTicks);
    }
    return eq;
  }

  // --- queries -------------------------------------------------------------------------------

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** Remaining quantity of a resting order, 0 when not resting. */
  orderQty(id: number): number {
    const n = this.ids.get(id);
    return n === undefined ? 0 : this.nQty[n];
  }

  orderPriceTicks(id: number): number | undefined {
    const n = this.ids.get(id);
    return n === undefined ? undefined : this.lPrice[this.nLevel[n]];
  }

  /** Number of resting orders. */
  get size(): number {
    return this.ids.size;
  }

  levelCount(side: Side): number {
    return this.prices[side === 'buy' ? BUY : SELL].length;
  }

  bestBidTicks(): number | undefined {
    const p = this.prices[BUY];
    return p.length === 0 ? undefined : p[p.length - 1];
  }

  bestAskTicks(): number | undefined {
    const p = this.prices[SELL];
    return p.length === 0 ? undefined : p[p.length - 1];
  }

  bestBidQty(): number {
    const l = this.levels[BUY];
    return l.length === 0 ? 0 : this.lQty[l[l.length - 1]];
  }

  bestAskQty(): number {
    const l = this.levels[SELL];
    return l.length === 0 ? 0 : this.lQty[l[l.length - 1]];
  }

  /** Aggregated levels from the best price outward. */
  depth(side: Side, maxLevels: number): LevelView[] {
    const s = side === 'buy' ? BUY : SELL;
    const prices = this.prices[s];
    const levels = this.levels[s];
    const out: LevelView[] = [];
    for (let i = prices.length - 1; i >= 0 && out.length < maxLevels; i--) {
      out.push({ priceTicks: prices[i], qty: this.lQty[levels[i]], orders: this.lCount[levels[i]] });
    }
    return out;
  }

  /** Ids of the orders queued at one price, front first (for tests and diagnostics; allocates). */
  queueAt(side: Side, priceTicks: number): number[] {
    const li = this.levelByPrice[side === 'buy' ? BUY : SELL].get(priceTicks);
    const out: number[] = [];
    if (li === undefined) return out;
    for (let n = this.lHead[li]; n !== NIL; n = this.nNext[n]) out.push(this.nId[n]);
    return out;
  }

  /** Drops every resting order and leaves any auction (end of session). */
  clear(): void {
    this.ids.clear();
    for (const s of [BUY, SELL]) {
      this.levelByPrice[s].clear();
      this.prices[s].length = 0;
      this.levels[s].length = 0;
    }
    this.nodeTop = 0;
    this.nodeFree = NIL;
    this.levelTop = 0;
    this.levelFree = NIL;
    this.auction = false;
  }

  /**
   * Walks the whole book and throws on any broken invariant: sorted levels, linked lists, counts and
   * quantity sums per level, the id index, and an uncrossed book outside auctions. O(n); for tests.
   */
  checkInvariants(): void {
    let nodes = 0;
    for (const s of [BUY, SELL]) {
      const prices = this.prices[s];
      const levels = this.levels[s];
      if (prices.length !== levels.length || prices.length !== this.levelByPrice[s].size) {
        throw new Error('book invariant: level index sizes differ');
      }
      for (let i = 0; i < prices.length; i++) {
        if (i > 0 && (s === BUY ? prices[i] <= prices[i - 1] : prices[i] >= prices[i - 1])) {
          throw new Error(`book invariant: side ${s} prices not strictly sorted at ${i}`);
        }
        const li = levels[i];
        if (this.levelByPrice[s].get(prices[i]) !== li || this.lPrice[li] !== prices[i] || this.lSide[li] !== s) {
          throw new Error(`book invariant: level ${prices[i]} index mismatch`);
        }
        let count = 0;
        let qty = 0;
        let prev = NIL;
        for (let n = this.lHead[li]; n !== NIL; n = this.nNext[n]) {
          if (this.nPrev[n] !== prev || this.nLevel[n] !== li) throw new Error(`book invariant: broken links at ${prices[i]}`);
          const q = this.nQty[n];
          if (!Number.isSafeInteger(q) || q <= 0) throw new Error(`book invariant: order ${this.nId[n]} has qty ${q}`);
          if (this.ids.get(this.nId[n]) !== n) throw new Error(`book invariant: id ${this.nId[n]} not indexed`);
          count++;
          qty += q;
          prev = n;
        }
        if (this.lTail[li] !== prev) throw new Error(`book invariant: tail mismatch at ${prices[i]}`);
        if (count === 0 || count !== this.lCount[li] || qty !== this.lQty[li]) {
          throw new Error(`book invariant: level ${prices[i]} count ${count}/${this.lCount[li]} qty ${qty}/${this.lQty[li]}`);
        }
        nodes += count;
      }
    }
    if (nodes !== this.ids.size) throw new Error(`book invariant: ${nodes} linked orders, ${this.ids.size} indexed`);
    const bid = this.bestBidTicks();
    const ask = this.bestAskTicks();
    if (!this.auction && bid !== undefined && ask !== undefined && bid >= ask) {
      throw new Error(`book invariant: crossed book ${bid} >= ${ask} outside an auction`);
    }
  }

  // --- internals -----------------------------------------------------------------------------

  /** Matches an incoming order of side `s` up to `limit`; returns the filled quantity. */
  private match(s: number, takerId: number, qty: number, limit: number): number {
    const o = s === BUY ? SELL : BUY;
    const prices = this.prices[o];
    const levels = this.levels[o];
    let remaining = qty;
    while (remaining > 0 && prices.length > 0) {
      const price = prices[prices.length - 1];
      if (s === BUY ? price > limit : price < limit) break;
      const li = levels[levels.length - 1];
      let n = this.lHead[li];
      while (n !== NIL && remaining > 0) {
        const makerQty = this.nQty[n];
        const makerId = this.nId[n];
        if (makerQty <= remaining) {
          remaining -= makerQty;
          this.lQty[li] -= makerQty;
          this.lCount[li]--;
          const next = this.nNext[n];
          this.lHead[li] = next;
          if (next !== NIL) this.nPrev[next] = NIL;
          else this.lTail[li] = NIL;
          this.ids.delete(makerId);
          this.freeNode(n);
          n = next;
          this.sink.onFill(makerId, takerId, makerQty, price);
        } else {
          this.nQty[n] = makerQty - remaining;
          this.lQty[li] -= remaining;
          const t = remaining;
          remaining = 0;
          this.sink.onFill(makerId, takerId, t, price);
        }
      }
      if (this.lCount[li] === 0) {
        prices.pop();
        levels.pop();
        this.levelByPrice[o].delete(price);
        this.freeLevel(li);
      }
    }
    return qty - remaining;
  }

  private rest(id: number, s: number, qty: number, priceTicks: number): void {
    let li = this.levelByPrice[s].get(priceTicks);
    if (li === undefined) li = this.newLevel(s, priceTicks);
    const n = this.allocNode();
    this.nId[n] = id;
    this.nQty[n] = qty;
    this.nLevel[n] = li;
    this.nNext[n] = NIL;
    const tail = this.lTail[li];
    this.nPrev[n] = tail;
    if (tail === NIL) this.lHead[li] = n;
    else this.nNext[tail] = n;
    this.lTail[li] = n;
    this.lCount[li]++;
    this.lQty[li] += qty;
    this.ids.set(id, n);
  }

  /** Takes `t` from the head order of level `li` (its slot `n`), removing order and level when emptied. */
  private reduceHead(li: number, n: number, t: number): void {
    const left = this.nQty[n] - t;
    if (left > 0) {
      this.nQty[n] = left;
      this.lQty[li] -= t;
    } else {
      this.unlink(n);
    }
  }

  private unlink(n: number): void {
    const li = this.nLevel[n];
    const prev = this.nPrev[n];
    const next = this.nNext[n];
    if (prev === NIL) this.lHead[li] = next;
    else this.nNext[prev] = next;
    if (next === NIL) this.lTail[li] = prev;
    else this.nPrev[next] = prev;
    this.lQty[li] -= this.nQty[n];
    this.ids.delete(this.nId[n]);
    this.freeNode(n);
    if (--this.lCount[li] === 0) this.dropLevel(li);
  }

  private newLevel(s: number, priceTicks: number): number {
    let li = this.levelFree;
    if (li !== NIL) {
      this.levelFree = this.lHead[li];
    } else {
      if (this.levelTop === this.lPrice.length) this.growLevels();
      li = this.levelTop++;
    }
    this.lPrice[li] = priceTicks;
    this.lQty[li] = 0;
    this.lCount[li] = 0;
    this.lHead[li] = NIL;
    this.lTail[li] = NIL;
    this.lSide[li] = s;
    this.levelByPrice[s].set(priceTicks, li);

    const prices = this.prices[s];
    const levels = this.levels[s];
    const last = prices.length - 1;
    // Best last (bids ascending, asks descending): a new best level, the usual case, is a push.
    if (last < 0 || (s === BUY ? priceTicks > prices[last] : priceTicks < prices[last])) {
      prices.push(priceTicks);
      levels.push(li);
      return li;
    }
    let lo = 0;
    let hi = last;
    // First index whose price is better than the new one: insert before it.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s === BUY ? prices[mid] > priceTicks : prices[mid] < priceTicks) hi = mid;
      else lo = mid + 1;
    }
    prices.splice(lo, 0, priceTicks);
    levels.splice(lo, 0, li);
    return li;
  }

  private dropLevel(li: number): void {
    const s = this.lSide[li];
    const price = this.lPrice[li];
    const prices = this.prices[s];
    const levels = this.levels[s];
    const last = prices.length - 1;
    if (prices[last] === price) {
      prices.pop();
      levels.pop();
    } else {
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (s === BUY ? prices[mid] >= price : prices[mid] <= price) hi = mid;
        else lo = mid + 1;
      }
      if (prices[lo] !== price) throw new Error(`book invariant: level ${price} missing from its side`);
      prices.splice(lo, 1);
      levels.splice(lo, 1);
    }
    this.levelByPrice[s].delete(price);
    this.freeLevel(li);
  }

  private freeLevel(li: number): void {
    this.lHead[li] = this.levelFree;
    this.levelFree = li;
  }

  private allocNode(): number {
    const free = this.nodeFree;
    if (free !== NIL) {
      this.nodeFree = this.nNext[free];
      return free;
    }
    if (this.nodeTop === this.nId.length) this.growNodes();
    return this.nodeTop++;
  }

  private freeNode(n: number): void {
    this.nNext[n] = this.nodeFree;
    this.nodeFree = n;
  }

  private growNodes(): void {
    const cap = this.nId.length * 2;
    this.nId = grow(this.nId, new Float64Array(cap));
    this.nQty = grow(this.nQty, new Float64Array(cap));
    this.nPrev = grow(this.nPrev, new Int32Array(cap));
    this.nNext = grow(this.nNext, new Int32Array(cap));
    this.nLevel = grow(this.nLevel, new Int32Array(cap));
  }

  private growLevels(): void {
    const cap = this.lPrice.length * 2;
    this.lPrice = grow(this.lPrice, new Float64Array(cap));
    this.lQty = grow(this.lQty, new Float64Array(cap));
    this.lCount = grow(this.lCount, new Int32Array(cap));
    this.lHead = grow(this.lHead, new Int32Array(cap));
    this.lTail = grow(this.lTail, new Int32Array(cap));
    this.lSide = grow(this.lSide, new Uint8Array(cap));
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
