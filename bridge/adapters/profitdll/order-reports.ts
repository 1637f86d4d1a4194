/**
 * Order reports → port events. The order callback copies the report into the queue; on the event loop it
 * is matched to the ledger and becomes fills (the differences between cumulative reports) and order
 * updates. Reconciliation feeds the orders it reads back through the same path.
 */
import type { BrokerFill, BrokerOrderUpdate } from '../../execution/broker-port.js';
import { type OrderIdentifier, type OrderOut, OrderStatus, type ProfitDllFunctions, type SystemTime, decodeOutString } from './abi.js';
import type { AdapterContext } from './adapter-context.js';
import type { BoundedQueue } from './bounded-queue.js';
import { sideOf, toTicks } from './conversions.js';
import { ProfitDllError, bilingual, bilingualText, nlError } from './errors.js';
import { type LedgerEntry, type OrderLedger, fillBetween } from './order-ledger.js';
import { mapOrderStatus } from './order-status.js';
import { type OutBuffers, boundedLength } from './out-buffers.js';
import { systemTimeToEpochMs } from './time.js';

/** What an order report says, copied inside the order callback. */
export interface OrderFacts {
  status: number;
  qty: number;
  traded: number;
  avgPrice: number;
  price: number;
  side: number;
  text: string;
  time: SystemTime;
}

export type OrderReportEvent =
  | { k: 'order'; localId: number; clOrdId: string; facts: OrderFacts }
  | { k: 'orderError'; localId: number; error: ProfitDllError };

/**
 * GetOrderDetails (an accessor, so inside the callback), two-call (§6.4). Every string the record has —
 * ticker, exchange, the broker's text — gets a buffer before the second call, as the vendor code does: after
 * the first call koffi writes the lengths back, and NULL with a non-zero length may be an access violation
 * inside the DLL. Lengths are bounded, so a garbage length can neither allocate nor read past a buffer.
 */
function readOrderDetails(fns: ProfitDllFunctions, buffers: OutBuffers, id: OrderIdentifier): OrderFacts | ProfitDllError {
  const rec = {
    Version: 1,
    OrderID: { Version: 0, LocalOrderID: id.LocalOrderID, ClOrderID: id.ClOrderID },
    AssetID: { Version: 0, Ticker: null, TickerLength: 0, Exchange: null, ExchangeLength: 0, FeedType: 0 },
    TextMessage: null,
    TextMessageLength: 0,
  } as unknown as OrderOut;
  let err = nlError(fns.GetOrderDetails(rec), 'GetOrderDetails');
  if (err) return err;
  const tickerLen = boundedLength(rec.AssetID.TickerLength);
  const exchangeLen = boundedLength(rec.AssetID.ExchangeLength);
  const textLen = boundedLength(rec.TextMessageLength);
  rec.AssetID.Ticker = buffers.get('ticker', tickerLen + 1);
  rec.AssetID.TickerLength = tickerLen;
  rec.AssetID.Exchange = buffers.get('exchange', exchangeLen + 1);
  rec.AssetID.ExchangeLength = exchangeLen;
  rec.TextMessage = buffers.get('text', textLen + 1);
  rec.TextMessageLength = textLen;
  err = nlError(fns.GetOrderDetails(rec), 'GetOrderDetails');
  if (err) return err;
  return {
    status: rec.OrderStatus,
    qty: Number(rec.Quantity),
    traded: Number(rec.TradedQuantity),
    avgPrice: rec.AveragePrice,
    price: rec.Price,
    side: rec.OrderSide,
    text: decodeOutString(rec.TextMessage, Math.min(textLen, boundedLength(rec.TextMessageLength))),
    time: rec.LastUpdate,
  };
}

function sameUpdate(a: BrokerOrderUpdate | undefined, b: BrokerOrderUpdate): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.qty === b.qty &&
    a.filledQty === b.filledQty &&
    a.priceTicks === b.priceTicks &&
    a.brokerOrderId === b.brokerOrderId &&
    a.reason === b.reason
  );
}

export class OrderReports {
  private readonly foreignOrders = new Set<string>();
  private lostEvents = false;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly ledger: OrderLedger,
    private readonly queue: Pick<BoundedQueue<OrderReportEvent>, 'push'>,
  ) {}

  /** SetOrderCallback on the direct path: copy and return. */
  onOrder(fns: ProfitDllFunctions, id: OrderIdentifier): void {
    const facts = readOrderDetails(fns, this.ctx.session.buffers, id);
    this.onOrderRead(Number(id.LocalOrderID), id.ClOrderID ?? '', facts);
  }

  /** An order report already read (by the relay on the DLL's thread, or just above). */
  onOrderRead(localId: number, clOrdId: string, facts: OrderFacts | ProfitDllError): void {
    const event: OrderReportEvent = facts instanceof ProfitDllError ? { k: 'orderError', localId, error: facts } : { k: 'order', localId, clOrdId, facts };
    if (!this.queue.push(event)) this.lostEvents = true; // order state can be read back from the DLL
    this.ctx.requestDrain();
  }

  /** Order events the relay's ring had to drop: the orders are read back from the DLL. */
  noteLostEvents(): void {
    this.lostEvents = true;
  }

  /** True once after order events were lost to a full queue; the caller reads the orders back. */
  takeLostEvents(): boolean {
    const lost = this.lostEvents;
    this.lostEvents = false;
    return lost;
  }

  handle(ev: OrderReportEvent): void {
    switch (ev.k) {
      case 'order': {
        const entry = this.ledger.byLocalOrderId(ev.localId) ?? (ev.clOrdId ? this.ledger.byBrokerId(ev.clOrdId) : undefined);
        if (!entry) return this.noteForeign(ev.clOrdId || `local ${ev.localId}`);
        this.apply(entry, ev.clOrdId, ev.facts);
        return;
      }
      case 'orderError':
        this.ctx.log('error', `order ${ev.localId}: ${ev.error.message}`);
        return;
    }
  }

  apply(entry: LedgerEntry, clOrdId: string, f: OrderFacts): void {
    const { ctx, ledger } = this;
    const cid = entry.clientOrderId;
    if (clOrdId && !entry.clOrdId) ctx.persist(() => ledger.recordBrokerId(cid, clOrdId));
    const status = mapOrderStatus(f.status, f.traded);
    if (status === 'unknown') {
      ctx.log(
        'error',
        bilingualText(
          bilingual(
            `Ordem ${cid}: status ${f.status} desconhecido da ProfitDLL; estado mantido até o próximo relatório`,
            `Order ${cid}: unknown ProfitDLL status ${f.status}; state kept until the next report`,
          ),
        ),
      );
      return;
    }
    const inst = ctx.instrument(entry.symbol);
    if (!inst) return;
    if (entry.side === undefined) {
      entry.side = sideOf(f.side);
      entry.qty = f.qty;
    }
    if (f.price > 0) entry.priceTicks = toTicks(inst, f.price);
    const timeMs = systemTimeToEpochMs(f.time) ?? Date.now();
    if (f.traded > entry.filledQty) {
      const { qty, price } = fillBetween(entry.filledQty, entry.avgPrice, f.traded, f.avgPrice);
      const exactTicks = (price * 100) / inst.tickHundredths;
      const priceTicks = Math.round(exactTicks);
      if (Math.abs(exactTicks - priceTicks) > 1e-6) {
        ctx.log(
          'warn',
          bilingualText(
            bilingual(
              `Ordem ${cid}: execuções agregadas num só relatório, preço médio ${price} arredondado ao tick`,
              `Order ${cid}: executions merged into one report, average price ${price} rounded to the tick`,
            ),
          ),
        );
      }
      const fill: BrokerFill = {
        tradeId: `${entry.clOrdId ?? clOrdId}:${f.traded}`,
        clientOrderId: cid,
        symbol: inst.symbol,
        side: entry.side,
        qty,
        priceTicks,
        timeMs,
      };
      ctx.persist(() => ledger.recordFill(cid, fill, f.avgPrice));
      ctx.events.emit('fill', fill);
    }
    if (status === 'pending') return;
    const update: BrokerOrderUpdate = {
      clientOrderId: cid,
      ...(entry.clOrdId ? { brokerOrderId: entry.clOrdId } : {}),
      status,
      qty: f.qty,
      filledQty: f.traded,
      ...(entry.priceTicks !== undefined ? { priceTicks: entry.priceTicks } : {}),
      timeMs,
    };
    if ((status === 'rejected' || status === 'canceled' || status === 'expired') && f.text) {
      update.reason = bilingualText(bilingual(`Corretora: ${f.text}`, `Broker: ${f.text}`));
    }
    if (entry.changePending && f.status !== OrderStatus.cosPendingReplace) {
      entry.changePending = false;
      // Back to its old state with a text instead of cosReplaced: the broker refused the change.
      const refused = f.status !== OrderStatus.cosReplaced && (status === 'new' || status === 'partially_filled') && f.text;
      if (refused) {
        update.reason = bilingualText(
          bilingual(`Alteração recusada pela corretora: ${f.text}`, `Change refused by the broker: ${f.text}`),
        );
      }
    }
    if (sameUpdate(entry.last, update)) return;
    // A rejection already reported (from the trading message result) is not reported twice.
    if (update.status === 'rejected' && entry.last?.status === 'rejected') return;
    entry.last = update;
    ctx.events.emit('orderUpdate', update);
  }

  noteForeign(id: string): void {
    if (this.foreignOrders.has(id)) return;
    this.foreignOrders.add(id);
    this.ctx.log(
      'info',
      bilingualText(
        bilingual(
          `Ordem ${id} não foi enviada por esta ponte; ignorada`,
          `Order ${id} was not sent by this bridge; ignored`,
        ),
      ),
    );
  }
}
