/**
 * Reads every order of every account back from the DLL (EnumerateAllOrders) and reports what changed
 * since the last report: after a connect, a reconnect, a restart, or lost order events. It first waits,
 * briefly, for the DLL to load each account's order history, which it does after login and after routing
 * comes back.
 */
import { type AccountIdentifier, type ConnectorOrder, OrderType } from './abi.js';
import { type AccountDirectory, accountIdentifier, accountKey } from './accounts.js';
import type { AdapterContext } from './adapter-context.js';
import { sideOf, toTicks } from './conversions.js';
import { bilingual, bilingualText, nlError } from './errors.js';
import type { OrderLedger } from './order-ledger.js';
import type { OrderReports } from './order-reports.js';

const RECONCILE_WAIT_MS = 5_000;

export class Reconciler {
  /** Account ids whose order history the DLL has loaded. */
  private readonly historyLoaded = new Set<string>();
  private historyWaiters: Array<() => void> = [];
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly ledger: OrderLedger,
    private readonly accounts: AccountDirectory,
    private readonly reports: OrderReports,
  ) {}

  /** SetOrderHistoryCallback: copy and return. */
  onOrderHistoryLoaded(account: AccountIdentifier): void {
    this.historyLoaded.add(account.AccountID ?? '');
    this.ctx.requestDrain();
  }

  forgetLoadedHistory(): void {
    this.historyLoaded.clear();
  }

  /** Called by the drain: a reconcile waiting for the order history may go on once all of it is loaded. */
  releaseWaitersIfHistoryLoaded(): void {
    if (this.historyWaiters.length && this.allHistoryLoaded()) this.releaseHistoryWaiters();
  }

  releaseHistoryWaiters(): void {
    const waiters = this.historyWaiters;
    this.historyWaiters = [];
    for (const w of waiters) w();
  }

  reconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        await this.waitForHistory();
        if (!this.ctx.session.running()) return;
        for (const account of this.accounts.all) {
          const { rc, orders } = this.ctx.session.enumerateOrders(accountIdentifier(account));
          const err = nlError(rc, 'EnumerateAllOrders');
          if (err) this.ctx.log('error', `${account.key}: ${err.message}`);
          for (const o of orders) this.applyEnumerated(o);
        }
      } while (this.reconcileAgain);
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  resyncAfterLostEvents(): void {
    this.ctx.log(
      'warn',
      bilingualText(
        bilingual(
          'Eventos de ordem perdidos por fila cheia; relendo as ordens da ProfitDLL',
          'Order events lost to a full queue; reading the orders back from ProfitDLL',
        ),
      ),
    );
    void this.reconcile();
  }

  private waitForHistory(): Promise<void> {
    if (this.allHistoryLoaded()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.historyWaiters = this.historyWaiters.filter((w) => w !== done);
        resolve();
      }, RECONCILE_WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.historyWaiters.push(done);
    });
  }

  private allHistoryLoaded(): boolean {
    return this.accounts.all.every((a) => this.historyLoaded.has(a.accountId));
  }

  private applyEnumerated(o: ConnectorOrder): void {
    const clOrdId = o.OrderID.ClOrderID ?? '';
    const symbol = o.AssetID.Ticker ?? '';
    const inst = this.ctx.instrument(symbol);
    const account = accountKey(o.AccountID.AccountID, o.AccountID.SubAccountID);
    const entry =
      (clOrdId ? this.ledger.byBrokerId(clOrdId) : undefined) ??
      this.ledger.byLocalOrderId(Number(o.OrderID.LocalOrderID)) ??
      (inst
        ? this.ledger.matchUnidentified({
            account,
            symbol: inst.symbol,
            side: sideOf(o.OrderSide),
            qty: Number(o.Quantity),
            ...(o.OrderType !== OrderType.cotMarket && o.Price > 0 ? { priceTicks: toTicks(inst, o.Price) } : {}),
          })
        : undefined);
    if (!entry) return this.reports.noteForeign(clOrdId);
    this.reports.apply(entry, clOrdId, {
      status: o.OrderStatus,
      qty: Number(o.Quantity),
      traded: Number(o.TradedQuantity),
      avgPrice: o.AveragePrice,
      price: o.Price,
      side: o.OrderSide,
      text: o.TextMessage ?? '',
      time: o.LastUpdate,
    });
  }
}
