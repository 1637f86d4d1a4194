/** Records everything a broker port reports, in arrival order, for assertions. */
import type {
  BrokerBook,
  BrokerConnectionState,
  BrokerEvents,
  BrokerFill,
  BrokerOrderUpdate,
  BrokerTrade,
} from '../../bridge/execution/broker-port.js';

export class Recorder implements BrokerEvents {
  readonly connections: BrokerConnectionState[] = [];
  readonly updates: BrokerOrderUpdate[] = [];
  readonly fills: BrokerFill[] = [];
  readonly trades: BrokerTrade[] = [];
  readonly books: BrokerBook[] = [];
  readonly logs: Array<{ level: string; msg: string }> = [];
  /** Order events in arrival order, as "update <cid> <status> <filled>" / "fill <cid> <qty>". */
  readonly sequence: string[] = [];

  connection(state: BrokerConnectionState): void {
    this.connections.push(state);
  }
  orderUpdate(update: BrokerOrderUpdate): void {
    this.updates.push(update);
    this.sequence.push(`update ${update.clientOrderId} ${update.status} ${update.filledQty}`);
  }
  fill(fill: BrokerFill): void {
    this.fills.push(fill);
    this.sequence.push(`fill ${fill.clientOrderId} ${fill.qty}`);
  }
  trade(trade: BrokerTrade): void {
    this.trades.push(trade);
  }
  book(book: BrokerBook): void {
    this.books.push(book);
  }
  log = (level: string, msg: string): void => {
    this.logs.push({ level, msg });
  };

  updatesOf(cid: string): BrokerOrderUpdate[] {
    return this.updates.filter((u) => u.clientOrderId === cid);
  }
  lastOf(cid: string): BrokerOrderUpdate | undefined {
    return this.updatesOf(cid).at(-1);
  }
  fillsOf(cid: string): BrokerFill[] {
    return this.fills.filter((f) => f.clientOrderId === cid);
  }
  logged(level: string, fragment: string): boolean {
    return this.logs.some((l) => l.level === level && l.msg.includes(fragment));
  }
}
