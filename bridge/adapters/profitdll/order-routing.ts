/**
 * Orders from the port to the DLL: send, change, cancel, cancel all, zero a position. A new order is
 * written to the ledger before it is sent, so a restart can tell it apart; a refusal is reported on the
 * event loop, after the request returned.
 *
 * Each send returns a MessageID; the trading server's answer to it (SetTradingMessageResultCallback) turns
 * a refusal — by risk control, by the broker, before any order exists — into a reject with the DLL's
 * reason. A send the relay abandoned because the DLL did not return (RELAY_TIMEOUT) is neither rejected
 * nor re-sent: its late result binds it, and the order reports or the reconciliation find it meanwhile.
 */
import type { BrokerOrderRequest } from '../../execution/broker-port.js';
import { OrderSide, OrderType, type SendOrderRecord, type ZeroPositionRecord } from './abi.js';
import { type AccountDirectory, accountIdentifier } from './accounts.js';
import type { AdapterContext } from './adapter-context.js';
import { adapterError, notConnected, stateFileError, unknownInstrument } from './adapter-errors.js';
import { assetIdentifier, orderIdentifier, toPrice } from './conversions.js';
import { type ProfitDllError, bilingual, bilingualText, nlError } from './errors.js';
import type { LedgerEntry, OrderLedger } from './order-ledger.js';
import { type PositionKind, positionTypeOf } from './positions.js';

/** TConnectorTradingMessageResultCode values that mean the message was refused (§7). */
const REFUSED_CODES: Record<number, string> = {
  1: 'mrcNotConnected',
  3: 'mrcRejectedMercury',
  5: 'mrcRejectedHades',
  7: 'mrcRejectedBroker',
  9: 'mrcRejectedMarket',
  24: 'mrcBlockedByRisk',
  77: 'mrcInvalidData',
};

/** How long a refusal from a trading message result waits for the order's own report to say it. */
const MESSAGE_REJECT_GRACE_MS = 300;

/** MessageIDs remembered for their answer; the oldest are forgotten first. */
const MAX_REMEMBERED_MESSAGES = 20_000;

export class OrderRouter {
  private readonly byMessage = new Map<number, string>();
  /** A send the relay abandoned at its timeout: the next late result is its outcome. */
  private abandoned: { clientOrderId: string; qty: number; priceTicks?: number } | undefined;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly ledger: OrderLedger,
    private readonly accounts: AccountDirectory,
  ) {}

  submit(order: BrokerOrderRequest): void {
    const cid = order.clientOrderId;
    if (this.ledger.has(cid)) {
      this.refuseDuplicate(cid);
      return;
    }
    const reject = (e: ProfitDllError): void => this.rejectLocally(cid, e, order.qty, order.priceTicks);
    const fns = this.ctx.sendable();
    if (!fns) return reject(notConnected());
    const inst = this.ctx.instrument(order.symbol);
    if (!inst) return reject(unknownInstrument(order.symbol));
    const account = this.accounts.resolve(order.account);
    if (!account) return reject(this.accounts.unknown(order.account));
    if (!Number.isSafeInteger(order.qty) || order.qty <= 0 || (order.priceTicks !== undefined && !(Number.isSafeInteger(order.priceTicks) && order.priceTicks > 0))) {
      return reject(
        adapterError(
          'INVALID_ORDER',
          `Ordem inválida: quantidade ${order.qty}, preço ${order.priceTicks ?? 'a mercado'} ticks`,
          `Invalid order: quantity ${order.qty}, price ${order.priceTicks ?? 'market'} ticks`,
        ),
      );
    }
    try {
      this.ledger.recordSent({
        clientOrderId: cid,
        account: account.key,
        symbol: inst.symbol,
        side: order.side,
        qty: order.qty,
        ...(order.priceTicks !== undefined ? { priceTicks: order.priceTicks } : {}),
        sentAtMs: Date.now(),
      });
    } catch (e) {
      // Without the record a restart could not tell this order apart: better not to send it.
      this.markFinal(cid);
      return reject(stateFileError(this.ctx.opts.stateFile, e));
    }
    const market = order.priceTicks === undefined;
    const rec: SendOrderRecord = {
      Version: 2,
      AccountID: accountIdentifier(account),
      AssetID: assetIdentifier(inst),
      Password: this.routingPassword(),
      OrderType: market ? OrderType.cotMarket : OrderType.cotLimit,
      OrderSide: order.side === 'buy' ? OrderSide.cosBuy : OrderSide.cosSell,
      Price: market ? -1 : toPrice(inst, order.priceTicks!),
      StopPrice: -1,
      Quantity: order.qty,
      MessageID: -1,
    };
    const result = fns.SendOrder(rec);
    const err = nlError(result, 'SendOrder');
    if (err?.code === 'DLL_CALL_TIMEOUT') return this.abandon(cid, order.qty, order.priceTicks, err);
    if (err) {
      this.markFinal(cid);
      return reject(err);
    }
    this.ledger.bindLocal(cid, Number(result));
    this.remember(rec.MessageID, cid);
  }

  /**
   * TConnectorTradingMessageResult: a refused message becomes the order's rejection, with the DLL's text.
   * When the order exists at the broker, its own report (with the broker's ClOrdID) says it first or right
   * after; so the message's rejection waits MESSAGE_REJECT_GRACE_MS and is reported only if nothing did.
   */
  onMessageResult(localOrderId: number, messageId: number, resultCode: number, text: string): void {
    const cid = this.byMessage.get(messageId) ?? this.ledger.byLocalOrderId(localOrderId)?.clientOrderId;
    const name = REFUSED_CODES[resultCode];
    if (!cid || !name) return;
    const timer = setTimeout(() => this.rejectFromMessage(cid, name, messageId, text), MESSAGE_REJECT_GRACE_MS);
    timer.unref();
  }

  private rejectFromMessage(cid: string, name: string, messageId: number, text: string): void {
    const e = this.ledger.get(cid);
    const settled = e?.last && e.last.status !== 'new' && e.last.status !== 'partially_filled';
    if (!e || e.final || settled || !this.ctx.session.running()) return;
    const reason = bilingualText(
      bilingual(
        `Recusada (${name}, mensagem ${messageId}): ${text || 'sem texto da ProfitDLL'}`,
        `Refused (${name}, message ${messageId}): ${text || 'no text from ProfitDLL'}`,
      ),
    );
    this.ctx.log('warn', `${cid}: ${reason}`);
    if (e.filledQty === 0) this.markFinal(cid);
    const update = {
      clientOrderId: cid,
      ...(e.clOrdId ? { brokerOrderId: e.clOrdId } : {}),
      status: 'rejected' as const,
      qty: e.qty,
      filledQty: e.filledQty,
      ...(e.priceTicks !== undefined ? { priceTicks: e.priceTicks } : {}),
      reason,
      timeMs: Date.now(),
    };
    e.last = update;
    this.ctx.events.emit('orderUpdate', update);
  }

  /** A request the relay abandoned has returned: bind (or reject) the send it belonged to. */
  onLateResult(operation: string, result: number, messageId: number): void {
    const pending = this.abandoned;
    this.ctx.log('warn', bilingualText(bilingual(`${operation} retornou atrasado: ${result}`, `${operation} returned late: ${result}`)));
    if (!pending || (operation !== 'SendOrder' && operation !== 'SendZeroPositionV2')) return;
    this.abandoned = undefined;
    const err = nlError(result, operation);
    if (err) {
      this.markFinal(pending.clientOrderId);
      return this.rejectLocally(pending.clientOrderId, err, pending.qty, pending.priceTicks);
    }
    this.ledger.bindLocal(pending.clientOrderId, result);
    this.remember(messageId, pending.clientOrderId);
  }

  /** The send may have reached the DLL: no reject, no resend; the late result or the order reports decide. */
  private abandon(cid: string, qty: number, priceTicks: number | undefined, err: ProfitDllError): void {
    this.abandoned = { clientOrderId: cid, qty, ...(priceTicks !== undefined ? { priceTicks } : {}) };
    this.ctx.log('error', `${cid}: ${err.message}`);
  }

  private remember(messageId: number | bigint, cid: string): void {
    const id = Number(messageId);
    if (!(id > 0)) return;
    if (this.byMessage.size >= MAX_REMEMBERED_MESSAGES) this.byMessage.delete(this.byMessage.keys().next().value!);
    this.byMessage.set(id, cid);
  }

  replace(clientOrderId: string, change: { qty?: number; priceTicks?: number }): void {
    const e = this.knownOrder(clientOrderId, 'replace');
    if (!e) return;
    const fns = this.ctx.sendable();
    if (!fns) return this.refuse(e, notConnected());
    const inst = this.ctx.instrument(e.symbol);
    const account = this.accounts.resolve(e.account);
    const qty = change.qty ?? e.last?.qty ?? e.qty;
    const priceTicks = change.priceTicks ?? e.priceTicks;
    if (!inst || !account || priceTicks === undefined || !Number.isSafeInteger(qty) || qty <= 0) {
      return this.refuse(
        e,
        adapterError(
          'INVALID_ORDER',
          'Alteração inválida: ordens a mercado não têm preço para alterar, e a quantidade deve ser positiva',
          'Invalid change: market orders have no price to change, and the quantity must be positive',
        ),
      );
    }
    const err = nlError(
      fns.SendChangeOrderV2({
        Version: 1,
        AccountID: accountIdentifier(account),
        OrderID: orderIdentifier(e),
        Password: this.routingPassword(),
        Price: toPrice(inst, priceTicks),
        StopPrice: -1,
        Quantity: qty,
        MessageID: -1,
      }),
      'SendChangeOrderV2',
    );
    if (err) this.refuse(e, err);
    else e.changePending = true;
  }

  cancel(clientOrderId: string): void {
    const e = this.knownOrder(clientOrderId, 'cancel');
    if (!e) return;
    const fns = this.ctx.sendable();
    if (!fns) return this.refuse(e, notConnected());
    const account = this.accounts.resolve(e.account);
    if (!account) return this.refuse(e, this.accounts.unknown(e.account));
    const err = nlError(
      fns.SendCancelOrderV2({
        Version: 1,
        AccountID: accountIdentifier(account),
        OrderID: orderIdentifier(e),
        Password: this.routingPassword(),
        MessageID: -1,
      }),
      'SendCancelOrderV2',
    );
    if (err) this.refuse(e, err);
  }

  /** See ProfitDllBroker.cancelAll: a kill switch. */
  cancelAll(): void {
    const fns = this.ctx.sendable();
    if (!fns) {
      this.ctx.log('error', `cancelAll: ${notConnected().message}`);
      return;
    }
    const keys = new Set<string>();
    for (const e of this.ledger.entries()) if (!e.final) keys.add(e.account);
    const fallback = this.accounts.resolve('');
    if (fallback) keys.add(fallback.key);
    for (const key of keys) {
      const account = this.accounts.resolve(key);
      if (!account) {
        this.ctx.log('error', `cancelAll: ${this.accounts.unknown(key).message}`);
        continue;
      }
      const err = nlError(
        fns.SendCancelAllOrdersV2({
          Version: 0,
          AccountID: accountIdentifier(account),
          Password: this.routingPassword(),
        }),
        'SendCancelAllOrdersV2',
      );
      if (err) this.ctx.log('error', `cancelAll ${key}: ${err.message}`);
    }
  }

  /** See ProfitDllBroker.zeroPosition. */
  zeroPosition(
    clientOrderId: string,
    symbol: string,
    opts: { account?: string; priceTicks?: number; positionType?: PositionKind } = {},
  ): void {
    if (this.ledger.has(clientOrderId)) return this.refuseDuplicate(clientOrderId);
    const fail = (e: ProfitDllError): void => this.rejectLocally(clientOrderId, e, 0);
    const fns = this.ctx.sendable();
    if (!fns) return fail(notConnected());
    const inst = this.ctx.instrument(symbol);
    if (!inst) return fail(unknownInstrument(symbol));
    const account = this.accounts.resolve(opts.account ?? '');
    if (!account) return fail(this.accounts.unknown(opts.account ?? ''));
    try {
      this.ledger.recordSent({
        clientOrderId,
        account: account.key,
        symbol: inst.symbol,
        qty: 0,
        ...(opts.priceTicks !== undefined ? { priceTicks: opts.priceTicks } : {}),
        sentAtMs: Date.now(),
      });
    } catch (e) {
      this.markFinal(clientOrderId);
      return fail(stateFileError(this.ctx.opts.stateFile, e));
    }
    const rec: ZeroPositionRecord = {
      Version: 2,
      AccountID: accountIdentifier(account),
      AssetID: assetIdentifier(inst),
      Password: this.routingPassword(),
      Price: opts.priceTicks === undefined ? -1 : toPrice(inst, opts.priceTicks),
      PositionType: positionTypeOf(opts.positionType),
      MessageID: -1,
    };
    const result = fns.SendZeroPositionV2(rec);
    const err = nlError(result, 'SendZeroPositionV2');
    if (err?.code === 'DLL_CALL_TIMEOUT') return this.abandon(clientOrderId, 0, opts.priceTicks, err);
    if (err) {
      this.markFinal(clientOrderId);
      return fail(err);
    }
    this.ledger.bindLocal(clientOrderId, Number(result));
    this.remember(rec.MessageID, clientOrderId);
  }

  /** An order that never reached the DLL: reported as rejected on the event loop, after submit() returned. */
  private rejectLocally(clientOrderId: string, e: ProfitDllError, qty: number, priceTicks?: number): void {
    this.ctx.log('warn', `${clientOrderId}: ${e.message}`);
    this.ctx.defer(() =>
      this.ctx.events.emit('orderUpdate', {
        clientOrderId,
        status: 'rejected',
        qty,
        filledQty: 0,
        ...(priceTicks !== undefined ? { priceTicks } : {}),
        reason: e.message,
        timeMs: Date.now(),
      }),
    );
  }

  private refuse(e: LedgerEntry, err: ProfitDllError): void {
    this.ctx.log('warn', `${e.clientOrderId}: ${err.message}`);
    const last = e.last;
    if (last) this.ctx.defer(() => this.ctx.events.emit('orderUpdate', { ...last, reason: err.message, timeMs: Date.now() }));
  }

  private refuseDuplicate(cid: string): void {
    const err = adapterError(
      'DUPLICATE_ORDER',
      `Ordem ${cid} já foi enviada hoje; reenvio recusado para não duplicar na bolsa`,
      `Order ${cid} was already sent today; resend refused so it cannot be duplicated at the exchange`,
    );
    this.ctx.log('warn', err.message);
    const last = this.ledger.get(cid)?.last;
    if (last) this.ctx.defer(() => this.ctx.events.emit('orderUpdate', last));
  }

  private knownOrder(cid: string, action: string): LedgerEntry | undefined {
    const e = this.ledger.get(cid);
    if (!e) {
      this.ctx.log(
        'warn',
        bilingualText(
          bilingual(`${action}: ordem ${cid} desconhecida nesta ponte`, `${action}: order ${cid} unknown to this bridge`),
        ),
      );
    }
    return e;
  }

  private markFinal(cid: string): void {
    this.ctx.persist(() => this.ledger.recordFinal(cid));
  }

  private routingPassword(): string {
    return this.ctx.opts.credentials.routingPassword ?? this.ctx.opts.credentials.password;
  }
}
