/**
 * Parent orders (boletas) and child orders (what the broker sees), as held in memory by the OMS.
 * Invariants, asserted by the OMS after every event:
 *   child.filledQty <= child.qty;  parent.filledQty = sum(child.filledQty) <= parent.qty;
 *   parent.costTicksQty = sum(fill.qty x fill.priceTicks) over the parent's fills.
 */
import type { AlgoSpec, OrderStatus, Side } from '../../common/types.js';
import type { ChildStatus } from '../model/order-state.js';

import type { AllocationState, AllocationTarget } from './allocation.js';

/** The portfolio's id for a one-client parent's fill: one booking per exchange fill. */
export function fillBookingId(tradeId: string, client: string): string {
  return `${tradeId}:${client}`;
}

/** The portfolio's id for one client's share of a block's allocation round `seq` (1, 2, …). */
export function allocationBookingId(parentId: string, seq: number, client: string): string {
  return `${parentId}:A${seq}:${client}`;
}

/** What an algo fixed at acceptance and journaled with the parent, so a restart plans the same. */
export interface AlgoAnchors {
  startMs?: number;
  endMs?: number;
  /** Seed of the algo's randomisation (clip sizes, slice timing). */
  seed: number;
}

export interface ParentOrder {
  id: string;
  client?: string;
  allocations?: AllocationTarget[];
  /** Rateio progress of a block; journaled with every fill so replays and audits agree. */
  allocationState?: AllocationState;
  /** What of a block has been booked to the clients' positions and cash so far. */
  booked?: { qty: number; costTicksQty: number; feesCentavos: number; allocations: number };
  bookedByClient?: number[];
  symbol: string;
  side: Side;
  qty: number;
  limitTicks?: number;
  algo: AlgoSpec;
  status: OrderStatus;
  statusReason?: string;
  filledQty: number;
  /** Sum of qty x priceTicks of every fill: the exact basis of the average price. */
  costTicksQty: number;
  feesCentavos: number;
  /** Mid at acceptance, in ticks (may be half a tick): the arrival benchmark. */
  arrivalTicks?: number;
  /** What the algo fixed at acceptance (window, seed): journaled so a restart plans the same. */
  anchors?: AlgoAnchors;
  /** The other parents the same block boleta was routed as (one parent per broker account). */
  routedWith?: string[];
  /** Price changes of live children (each loses queue priority at B3). */
  reprices?: number;
  createdAtMs: number;
  updatedAtMs: number;
  idempotencyKey?: string;
  actor: string;
  childIds: string[];
  fillIds: string[];
  cancelRequested: boolean;
  paused: boolean;
  rejected: boolean;
  /** Next child sequence number: child ids are `${parent.id}-${n}`, never reused. */
  nextChildSeq: number;
}

export interface ChildOrder {
  id: string;
  parentId: string;
  account: string;
  symbol: string;
  side: Side;
  qty: number;
  priceTicks?: number;
  status: ChildStatus;
  filledQty: number;
  brokerOrderId?: string;
  reason?: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface FillRecord {
  tradeId: string;
  childId: string;
  parentId: string;
  symbol: string;
  side: Side;
  qty: number;
  priceTicks: number;
  timeMs: number;
  allocations: Array<{ client: string; qty: number }>;
  feesCentavos: number;
}

export function workingQty(child: ChildOrder): number {
  return child.qty - child.filledQty;
}
