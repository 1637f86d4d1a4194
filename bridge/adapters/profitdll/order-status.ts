/** ProfitDLL's order status codes (§7) folded into the broker port's order statuses. */
import type { BrokerOrderStatus } from '../../execution/broker-port.js';
import { OrderStatus } from './abi.js';

const PENDING_STATUSES: ReadonlySet<number> = new Set([
  OrderStatus.cosPendingNew,
  OrderStatus.cosReceived,
  OrderStatus.cosHadesCreated,
  OrderStatus.cosBrokerSent,
  OrderStatus.cosClientCreated,
  OrderStatus.cosDelayFixGateway,
  OrderStatus.cosScheduledOrder,
]);
const WORKING_STATUSES: ReadonlySet<number> = new Set([
  OrderStatus.cosNew,
  OrderStatus.cosReplaced,
  OrderStatus.cosPendingCancel,
  OrderStatus.cosPendingReplace,
  OrderStatus.cosStopped,
  OrderStatus.cosSuspended,
  OrderStatus.cosCalculated,
  OrderStatus.cosAcceptedForBidding,
]);
const TERMINAL_STATUSES: ReadonlyMap<number, BrokerOrderStatus> = new Map<number, BrokerOrderStatus>([
  [OrderStatus.cosFilled, 'filled'],
  [OrderStatus.cosDoneForDay, 'expired'],
  [OrderStatus.cosExpired, 'expired'],
  [OrderStatus.cosPartiallyFilledExpired, 'expired'],
  [OrderStatus.cosCanceled, 'canceled'],
  [OrderStatus.cosPartiallyFilledCanceled, 'canceled'],
  [OrderStatus.cosCanceledByAdmin, 'canceled'],
  [OrderStatus.cosRejected, 'rejected'],
  [OrderStatus.cosPartiallyFilledRejected, 'rejected'],
  [OrderStatus.cosOrderNotCreated, 'rejected'],
]);

/**
 * The port status of a ProfitDLL order status (§7). 'pending' = routing acknowledgements before the
 * market accepted the order (more of them since 4.0.0.41): not reported, the OMS waits for the real ack.
 * 'unknown' = cosUnknown or a code this binding does not know.
 */
export function mapOrderStatus(status: number, traded: number): BrokerOrderStatus | 'pending' | 'unknown' {
  if (status === OrderStatus.cosPartiallyFilled) return 'partially_filled';
  const terminal = TERMINAL_STATUSES.get(status);
  if (terminal) return terminal;
  if (WORKING_STATUSES.has(status)) return traded > 0 ? 'partially_filled' : 'new';
  if (PENDING_STATUSES.has(status)) return traded > 0 ? 'partially_filled' : 'pending';
  return 'unknown';
}
