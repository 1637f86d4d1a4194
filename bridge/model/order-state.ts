/**
 * The order-state transition tables, for parent orders (boletas) and child orders (at the broker).
 *
 * Every status change in the OMS goes through `transition()`, so a state can only move along an
 * edge listed here; anything else is a bug and throws. Edges follow FIX 4.4 appendix D and
 * nautilus_trader's table, including the real-world race where a fill arrives after a cancel
 * (canceled/expired -> filled, or staying canceled with more filled quantity).
 */
import type { OrderStatus } from '../../common/types.js';

export type ChildStatus = Exclude<OrderStatus, 'paused'> | 'pending_replace';

const CHILD_EDGES: Record<ChildStatus, readonly ChildStatus[]> = {
  pending_new: ['working', 'partially_filled', 'filled', 'rejected', 'pending_cancel', 'canceled', 'expired'],
  working: ['partially_filled', 'filled', 'pending_cancel', 'pending_replace', 'canceled', 'expired', 'working'],
  partially_filled: ['partially_filled', 'filled', 'pending_cancel', 'pending_replace', 'canceled', 'expired'],
  pending_replace: ['working', 'partially_filled', 'filled', 'pending_cancel', 'canceled', 'expired', 'pending_replace'],
  pending_cancel: ['canceled', 'filled', 'partially_filled', 'working', 'expired', 'pending_cancel'],
  canceled: ['canceled', 'filled'],
  expired: ['expired', 'filled'],
  filled: [],
  rejected: [],
};

const PARENT_EDGES: Record<OrderStatus, readonly OrderStatus[]> = {
  pending_new: ['working', 'partially_filled', 'filled', 'rejected', 'paused', 'pending_cancel', 'canceled'],
  working: ['working', 'partially_filled', 'filled', 'paused', 'pending_cancel', 'canceled', 'expired', 'rejected'],
  partially_filled: ['partially_filled', 'filled', 'paused', 'pending_cancel', 'canceled', 'expired'],
  paused: ['paused', 'working', 'partially_filled', 'filled', 'pending_cancel', 'canceled', 'expired', 'rejected'],
  pending_cancel: ['pending_cancel', 'canceled', 'filled'],
  canceled: ['canceled', 'filled'],
  expired: ['expired', 'filled'],
  filled: [],
  rejected: [],
};

export class InvalidTransitionError extends Error {
  constructor(kind: 'parent' | 'child', id: string, from: string, to: string) {
    super(`invalid ${kind} order transition ${id}: ${from} -> ${to}`);
  }
}

export function canTransitionChild(from: ChildStatus, to: ChildStatus): boolean {
  return CHILD_EDGES[from].includes(to);
}

export function canTransitionParent(from: OrderStatus, to: OrderStatus): boolean {
  return PARENT_EDGES[from].includes(to);
}

export function assertChildTransition(id: string, from: ChildStatus, to: ChildStatus): void {
  if (!canTransitionChild(from, to)) throw new InvalidTransitionError('child', id, from, to);
}

export function assertParentTransition(id: string, from: OrderStatus, to: OrderStatus): void {
  if (!canTransitionParent(from, to)) throw new InvalidTransitionError('parent', id, from, to);
}

const CHILD_TERMINAL = new Set<ChildStatus>(['filled', 'rejected', 'canceled', 'expired']);
const PARENT_TERMINAL = new Set<OrderStatus>(['filled', 'rejected', 'canceled', 'expired']);

/** Done at the broker: no more working quantity (a late fill can still be booked). */
export function isChildDone(s: ChildStatus): boolean {
  return CHILD_TERMINAL.has(s);
}

export function isParentDone(s: OrderStatus): boolean {
  return PARENT_TERMINAL.has(s);
}

export const CHILD_STATUSES = Object.keys(CHILD_EDGES) as ChildStatus[];
export const PARENT_STATUSES = Object.keys(PARENT_EDGES) as OrderStatus[];
