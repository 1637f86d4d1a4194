/**
 * What the adapter must remember about its orders that ProfitDLL does not:
 *
 * - SendOrder carries no client tag, so the only link between the OMS's clientOrderId and the broker's
 *   ClOrderID is the one the adapter saw in this process. Written down, it survives a restart.
 * - The DLL reports only cumulative traded quantity and average price per order. Fills are the differences
 *   between consecutive reports; keeping the ones already reported makes them reproducible after a restart,
 *   so reconciliation hands the OMS the same trade ids instead of one lump.
 *
 * The file is JSON lines, appended synchronously before an order is sent (a crash right after SendOrder
 * still leaves the intent on disk), scoped to one B3 day like the broker's own memory, and compacted on load.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Side } from '../../../common/types.js';
import type { BrokerFill, BrokerOrderUpdate } from '../../execution/broker-port.js';

export interface LedgerEntry {
  clientOrderId: string;
  account: string;
  symbol: string;
  /** Unknown for a zero-position order until the broker reports it. */
  side?: Side;
  qty: number;
  priceTicks?: number;
  sentAtMs: number;
  localOrderId?: number;
  clOrdId?: string;
  /** Refused before it reached the broker: never matches a broker order. */
  final: boolean;
  filledQty: number;
  /** The broker's average price after the last reported fill. */
  avgPrice: number;
  fills: BrokerFill[];
  last?: BrokerOrderUpdate;
  /** A change was accepted by SendChangeOrderV2 and the broker has not answered it yet (memory only). */
  changePending?: boolean;
}

type SentRecord = {
  t: 'sent';
  day: string;
  cid: string;
  account: string;
  symbol: string;
  side?: Side;
  qty: number;
  px?: number;
  at: number;
};
type LedgerRecord =
  | SentRecord
  | { t: 'ids'; day: string; cid: string; cl: string }
  | { t: 'fill'; day: string; cid: string; fill: BrokerFill; avg: number }
  | { t: 'final'; day: string; cid: string };

export interface BrokerOrderFacts {
  account: string;
  symbol: string;
  side: Side;
  qty: number;
  priceTicks?: number;
}

export class OrderLedger {
  private readonly byCid = new Map<string, LedgerEntry>();
  private readonly byClOrdId = new Map<string, LedgerEntry>();
  private readonly byLocal = new Map<number, LedgerEntry>();

  constructor(
    private readonly path: string | undefined,
    private readonly day: string,
  ) {}

  /** Reads today's records and rewrites the file without older days. */
  load(): void {
    if (!this.path || !existsSync(this.path)) return;
    const kept: string[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let rec: LedgerRecord;
      try {
        rec = JSON.parse(line) as LedgerRecord;
      } catch {
        continue; // a line torn by a crash mid-write
      }
      if (rec.day !== this.day) continue;
      this.apply(rec);
      kept.push(line);
    }
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, kept.length ? `${kept.join('\n')}\n` : '', { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  has(clientOrderId: string): boolean {
    return this.byCid.has(clientOrderId);
  }

  get(clientOrderId: string): LedgerEntry | undefined {
    return this.byCid.get(clientOrderId);
  }

  byLocalOrderId(localOrderId: number): LedgerEntry | undefined {
    return this.byLocal.get(localOrderId);
  }

  byBrokerId(clOrdId: string): LedgerEntry | undefined {
    return this.byClOrdId.get(clOrdId);
  }

  entries(): IterableIterator<LedgerEntry> {
    return this.byCid.values();
  }

  recordSent(e: { clientOrderId: string; account: string; symbol: string; side?: Side; qty: number; priceTicks?: number; sentAtMs: number }): LedgerEntry {
    return this.write({
      t: 'sent',
      day: this.day,
      cid: e.clientOrderId,
      account: e.account,
      symbol: e.symbol,
      ...(e.side ? { side: e.side } : {}),
      qty: e.qty,
      ...(e.priceTicks !== undefined ? { px: e.priceTicks } : {}),
      at: e.sentAtMs,
    }) as LedgerEntry;
  }

  /** Local order ids live for one DLL session only, so they are not written down. */
  bindLocal(clientOrderId: string, localOrderId: number): void {
    const e = this.byCid.get(clientOrderId);
    if (!e) return;
    e.localOrderId = localOrderId;
    this.byLocal.set(localOrderId, e);
  }

  recordBrokerId(clientOrderId: string, clOrdId: string): void {
    this.write({ t: 'ids', day: this.day, cid: clientOrderId, cl: clOrdId });
  }

  recordFill(clientOrderId: string, fill: BrokerFill, avgPrice: number): void {
    this.write({ t: 'fill', day: this.day, cid: clientOrderId, fill, avg: avgPrice });
  }

  recordFinal(clientOrderId: string): void {
    this.write({ t: 'final', day: this.day, cid: clientOrderId });
  }

  /**
   * A broker order the ledger cannot name: the process died between SendOrder and the first report that
   * carried the ClOrderID. Match it to the oldest sent-but-unidentified entry with the same facts.
   */
  matchUnidentified(o: BrokerOrderFacts): LedgerEntry | undefined {
    let best: LedgerEntry | undefined;
    for (const e of this.byCid.values()) {
      if (e.clOrdId || e.final || e.account !== o.account || e.symbol !== o.symbol) continue;
      const zeroPosition = e.side === undefined;
      if (!zeroPosition && (e.side !== o.side || e.qty !== o.qty || e.priceTicks !== o.priceTicks)) continue;
      if (!best || e.sentAtMs < best.sentAtMs) best = e;
    }
    return best;
  }

  /** Memory first: if the disk write fails the caller hears of it, but the process still knows the fact. */
  private write(rec: LedgerRecord): LedgerEntry | undefined {
    const entry = this.apply(rec);
    if (this.path) appendFileSync(this.path, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    return entry;
  }

  private apply(rec: LedgerRecord): LedgerEntry | undefined {
    if (rec.t === 'sent') {
      const e: LedgerEntry = {
        clientOrderId: rec.cid,
        account: rec.account,
        symbol: rec.symbol,
        ...(rec.side ? { side: rec.side } : {}),
        qty: rec.qty,
        ...(rec.px !== undefined ? { priceTicks: rec.px } : {}),
        sentAtMs: rec.at,
        final: false,
        filledQty: 0,
        avgPrice: 0,
        fills: [],
      };
      this.byCid.set(rec.cid, e);
      return e;
    }
    const e = this.byCid.get(rec.cid);
    if (!e) return undefined;
    if (rec.t === 'ids') {
      e.clOrdId = rec.cl;
      this.byClOrdId.set(rec.cl, e);
    } else if (rec.t === 'fill') {
      e.fills.push(rec.fill);
      e.filledQty += rec.fill.qty;
      e.avgPrice = rec.avg;
    } else {
      e.final = true;
    }
    return e;
  }
}

/**
 * The fill between two cumulative reports: quantity is the difference, price is what makes the
 * average come out right. When the DLL merged two executions into one report the price is their
 * average and may fall between ticks; the caller decides what to do with that.
 */
export function fillBetween(
  prevQty: number,
  prevAvgPrice: number,
  qty: number,
  avgPrice: number,
): { qty: number; price: number } {
  const dq = qty - prevQty;
  return { qty: dq, price: (avgPrice * qty - prevAvgPrice * prevQty) / dq };
}
