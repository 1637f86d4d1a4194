/**
 * Block orders for many clients: the allocation (rateio) of a block and of each of its fills.
 *
 * CVM rules (reference/b3-oms-algos.md §5) want the split fixed BEFORE the order goes to market,
 * fair, and verifiable afterwards. So the targets are planned once (planTargets) and every fill is
 * then split towards those targets (allocateFill) by a rule an auditor can re-run from the journal:
 * whole lots, pro rata to what each client still needs, leftover lots by largest remainder, ties
 * broken by a rotating start so no client is favoured systematically.
 *
 * Integer arithmetic only: quantities are counted in lots, shares are compared as exact fractions
 * over a common denominator, and decimal weights become exact BigInt fractions.
 * Everything here is pure; the caller journals the returned state and audit record.
 */
import type { ApiErrorItem } from '../../common/types.js';

export interface AllocationTarget {
  client: string;
  targetQty: number;
}

export type PlanResult =
  | { ok: true; method: 'qty' | 'weight'; targets: AllocationTarget[] }
  | { ok: false; errors: ApiErrorItem[] };

/** A gestora's block rarely spans more than a few hundred portfolios; the bound keeps a bad sheet cheap to reject. */
export const MAX_ALLOCATION_ROWS = 1000;
export const MAX_CLIENT_ID_CHARS = 64;
/**
 * allocateFill multiplies two lot counts; both are at most the block's lots, so this bound keeps the
 * product an exact double (sqrt(2^53) ≈ 94.9 M lots — far beyond any real block).
 */
export const MAX_BLOCK_LOTS = 94_906_265;

const ROW_FIELDS = new Set(['client', 'qty', 'weight']);

function err(field: string, code: string, message: string): ApiErrorItem {
  return { field, code, message };
}

/**
 * Exact value of a finite positive double as the decimal it prints as (what the user typed:
 * 0.35 is 35/100, not the binary neighbour of 0.35), returned as numerator / 10^scale.
 */
function decimalFraction(value: number): { numerator: bigint; scale: number } {
  const [mantissa, exponentText] = value.toString().split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const [whole, fraction = ''] = mantissa.split('.');
  const digits = BigInt(whole + fraction);
  const scale = fraction.length - exponent;
  return scale >= 0
    ? { numerator: digits, scale }
    : { numerator: digits * 10n ** BigInt(-scale), scale: 0 };
}

/**
 * Fixes each client's target quantity before execution.
 * By quantity: every row has `qty`, a positive multiple of the lot, summing to `totalQty`.
 * By weight: every row has a positive `weight`; weights are normalised and the block's lots are
 * apportioned by largest remainder (ties to the earlier row, so the plan is reproducible from the
 * boleta alone); a client whose weight buys less than one lot is an error, never a silent zero.
 * Errors name the field as the boleta does: `qty`, `allocations`, `allocations[2].weight`.
 * `requests` is the boleta's raw `allocations` (AllocationRequest[] from JSON), validated here.
 */
export function planTargets(totalQty: number, lotSize: number, requests: unknown): PlanResult {
  if (!Number.isSafeInteger(lotSize) || lotSize <= 0) {
    throw new RangeError(`lotSize must be a positive integer, got ${lotSize}`);
  }
  const errors: ApiErrorItem[] = [];
  if (!Number.isSafeInteger(totalQty) || totalQty <= 0) {
    errors.push(err('qty', 'invalid', `qty must be a positive integer, got ${String(totalQty)}`));
  } else if (totalQty % lotSize !== 0) {
    errors.push(err('qty', 'not_lot_multiple', `qty ${totalQty} is not a multiple of the lot (${lotSize})`));
  } else if (totalQty / lotSize > MAX_BLOCK_LOTS) {
    errors.push(err('qty', 'too_large', `a block can hold at most ${MAX_BLOCK_LOTS} lots`));
  }
  if (!Array.isArray(requests) || requests.length === 0) {
    errors.push(err('allocations', 'required', 'allocations must list at least one client'));
    return { ok: false, errors };
  }
  if (requests.length > MAX_ALLOCATION_ROWS) {
    errors.push(err('allocations', 'too_many', `at most ${MAX_ALLOCATION_ROWS} allocations per block`));
    return { ok: false, errors };
  }

  let method: 'qty' | 'weight' | undefined;
  const seen = new Map<string, number>();
  const rows: Array<{ client: string; qty?: number; weight?: number }> = [];
  requests.forEach((raw, i) => {
    const at = `allocations[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push(err(at, 'invalid', 'each allocation must be an object { client, qty } or { client, weight }'));
      return;
    }
    const row = raw as Record<string, unknown>;
    for (const key of Object.keys(row)) {
      if (!ROW_FIELDS.has(key)) errors.push(err(`${at}.${key}`, 'unknown_field', `unknown field "${key}"`));
    }
    const { client, qty, weight } = row;
    if (typeof client !== 'string' || client.trim() === '') {
      errors.push(err(`${at}.client`, 'required', 'client is required'));
    } else if (client.length > MAX_CLIENT_ID_CHARS) {
      errors.push(err(`${at}.client`, 'too_long', `client id longer than ${MAX_CLIENT_ID_CHARS} characters`));
    } else {
      const first = seen.get(client);
      if (first !== undefined) {
        errors.push(err(`${at}.client`, 'duplicate', `client ${client} already allocated in allocations[${first}]`));
      } else {
        seen.set(client, i);
      }
    }
    const hasQty = qty !== undefined;
    const hasWeight = weight !== undefined;
    if (hasQty && hasWeight) {
      errors.push(err(`${at}.weight`, 'conflict', 'give either qty or weight, not both'));
      return;
    }
    if (!hasQty && !hasWeight) {
      errors.push(err(`${at}.qty`, 'required', 'give qty or weight'));
      return;
    }
    const rowMethod = hasQty ? 'qty' : 'weight';
    if (method === undefined) {
      method = rowMethod;
    } else if (method !== rowMethod) {
      errors.push(
        err(`${at}.${rowMethod}`, 'mixed_methods', `allocations use ${method} in an earlier row; do not mix qty and weight`),
      );
      return;
    }
    if (hasQty) {
      if (typeof qty !== 'number' || !Number.isSafeInteger(qty) || qty <= 0) {
        errors.push(err(`${at}.qty`, 'invalid', `qty must be a positive integer, got ${String(qty)}`));
      } else if (qty % lotSize !== 0) {
        errors.push(err(`${at}.qty`, 'not_lot_multiple', `qty ${qty} is not a multiple of the lot (${lotSize})`));
      } else if (typeof client === 'string') {
        rows.push({ client, qty });
      }
    } else if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      errors.push(err(`${at}.weight`, 'invalid', `weight must be a positive number, got ${String(weight)}`));
    } else if (typeof client === 'string') {
      rows.push({ client, weight });
    }
  });
  if (errors.length > 0) return { ok: false, errors };

  if (method === 'qty') {
    // Every qty is a safe integer ≤ 2^53 and the running sum stops once it passes totalQty, so each
    // addition stays below 2^54 where the comparison with a safe integer is still exact.
    let sum = 0;
    for (const row of rows) {
      sum += row.qty as number;
      if (sum > totalQty) break;
    }
    if (sum !== totalQty) {
      return {
        ok: false,
        errors: [err('allocations', 'sum_mismatch', `allocation quantities do not add up to the order qty ${totalQty}`)],
      };
    }
    return { ok: true, method, targets: rows.map((r) => ({ client: r.client, targetQty: r.qty as number })) };
  }

  const totalLots = BigInt(totalQty / lotSize);
  const fractions = rows.map((r) => decimalFraction(r.weight as number));
  const maxScale = Math.max(...fractions.map((f) => f.scale));
  const scaled = fractions.map((f) => f.numerator * 10n ** BigInt(maxScale - f.scale));
  const weightSum = scaled.reduce((a, b) => a + b, 0n);
  const lots = scaled.map((w) => (totalLots * w) / weightSum);
  const remainders = scaled.map((w) => (totalLots * w) % weightSum);
  let leftover = Number(totalLots - lots.reduce((a, b) => a + b, 0n));
  const order = rows.map((_, i) => i).sort((a, b) => (remainders[b] > remainders[a] ? 1 : remainders[b] < remainders[a] ? -1 : a - b));
  for (const i of order) {
    if (leftover === 0) break;
    lots[i] += 1n;
    leftover--;
  }
  const zeroErrors = rows.flatMap((r, i) =>
    lots[i] === 0n
      ? [err(`allocations[${i}].weight`, 'below_lot', `weight ${r.weight} gives ${r.client} less than one lot of ${lotSize} out of ${totalQty}`)]
      : [],
  );
  if (zeroErrors.length > 0) return { ok: false, errors: zeroErrors };
  return { ok: true, method: 'weight', targets: rows.map((r, i) => ({ client: r.client, targetQty: Number(lots[i]) * lotSize })) };
}

/** What the caller journals per block; plain JSON so it survives a restart unchanged. */
export interface AllocationState {
  readonly targets: readonly AllocationTarget[];
  /** Quantity booked to each client so far, same order as `targets`. */
  readonly allocatedQty: readonly number[];
  /** Filled at the market but less than a lot: waits for the next fill instead of being broken. */
  readonly carriedQty: number;
  /** Fills allocated so far; advances the tie-break start by one each time. */
  readonly fillSeq: number;
}

export function initialAllocationState(targets: readonly AllocationTarget[]): AllocationState {
  return {
    targets: targets.map((t) => ({ client: t.client, targetQty: t.targetQty })),
    allocatedQty: targets.map(() => 0),
    carriedQty: 0,
    fillSeq: 0,
  };
}

export const ALLOCATION_METHOD = 'pro_rata_remaining_whole_lots_largest_remainder_rotating_ties';

export interface AllocationAuditRow {
  client: string;
  targetQty: number;
  /** The client's weight for this fill: what it still needed, in lots. */
  remainingLotsBefore: number;
  /** Exact pro-rata share = baseLots + remainderNumerator / shareDenominator. */
  baseLots: number;
  remainderNumerator: number;
  extraLot: boolean;
  qty: number;
  allocatedBeforeQty: number;
  allocatedAfterQty: number;
}

export interface AllocationAudit {
  method: typeof ALLOCATION_METHOD;
  lotSize: number;
  fillQty: number;
  fillSeq: number;
  rotation: number;
  /** Client that came first among equal remainders on this fill. */
  tieBreakStartClient: string;
  carriedBeforeQty: number;
  distributedQty: number;
  carriedAfterQty: number;
  /** Common denominator of every share: the lots all clients still needed. */
  shareDenominator: number;
  rows: AllocationAuditRow[];
}

export interface FillAllocation {
  /** Only clients that receive something; each is booked at the same price. */
  allocations: Array<{ client: string; qty: number }>;
  state: AllocationState;
  audit: AllocationAudit;
}

/**
 * Splits one block fill among the clients.
 * The fill plus any carried sub-lot is cut into whole lots; each client gets lots in proportion to
 * the lots it still needs (so the block converges on the targets and, at completion, every client
 * holds exactly its target); leftover lots go one each to the largest remainders, never past a
 * target (a client with a non-zero remainder is strictly below its target). Equal remainders are
 * ordered from index (rotation + fillSeq) mod n: `rotation` is the caller's per-block offset
 * (e.g. a block counter it journals) so ties do not favour the same client across blocks either.
 * Prices are not handled here: every client's average price is the block's (CVM pro-rata at preço médio).
 * Throws RangeError when the fill is not a non-negative integer or exceeds what is left to allocate:
 * the order state machine must refuse an overfill before it reaches the rateio.
 */
export function allocateFill(state: AllocationState, fillQty: number, lotSize: number, rotation: number): FillAllocation {
  if (!Number.isSafeInteger(lotSize) || lotSize <= 0) throw new RangeError(`lotSize must be a positive integer, got ${lotSize}`);
  if (!Number.isSafeInteger(fillQty) || fillQty < 0) throw new RangeError(`fillQty must be a non-negative integer, got ${fillQty}`);
  if (!Number.isSafeInteger(rotation)) throw new RangeError(`rotation must be an integer, got ${rotation}`);
  const n = state.targets.length;
  if (n === 0) throw new RangeError('allocation state has no clients');

  const remainingLots = state.targets.map((t, i) => (t.targetQty - state.allocatedQty[i]) / lotSize);
  const totalRemainingLots = remainingLots.reduce((a, b) => a + b, 0);
  if (totalRemainingLots > MAX_BLOCK_LOTS || remainingLots.some((l) => !Number.isInteger(l) || l < 0)) {
    throw new RangeError('allocation state is inconsistent with the lot size');
  }
  const poolQty = state.carriedQty + fillQty;
  const poolLots = Math.floor(poolQty / lotSize);
  if (poolQty > totalRemainingLots * lotSize) {
    throw new RangeError(`fill of ${fillQty} exceeds the ${totalRemainingLots * lotSize - state.carriedQty} left to allocate`);
  }

  // share_i = poolLots * remaining_i / totalRemaining; numerators stay below MAX_BLOCK_LOTS^2 < 2^53.
  const baseLots = remainingLots.map((r) => (poolLots === 0 ? 0 : Math.floor((poolLots * r) / totalRemainingLots)));
  const remainderNumerator = remainingLots.map((r, i) => (poolLots === 0 ? 0 : poolLots * r - baseLots[i] * totalRemainingLots));
  let leftoverLots = poolLots - baseLots.reduce((a, b) => a + b, 0);
  const start = (((rotation + state.fillSeq) % n) + n) % n;
  const rank = (i: number): number => (i - start + n) % n;
  const extra = new Array<boolean>(n).fill(false);
  if (leftoverLots > 0) {
    const order = remainingLots
      .map((_, i) => i)
      .filter((i) => remainderNumerator[i] > 0)
      .sort((a, b) => remainderNumerator[b] - remainderNumerator[a] || rank(a) - rank(b));
    for (const i of order) {
      if (leftoverLots === 0) break;
      extra[i] = true;
      leftoverLots--;
    }
  }

  const allocatedQty = state.allocatedQty.slice();
  const allocations: Array<{ client: string; qty: number }> = [];
  const rows: AllocationAuditRow[] = state.targets.map((t, i) => {
    const qty = (baseLots[i] + (extra[i] ? 1 : 0)) * lotSize;
    allocatedQty[i] += qty;
    if (qty > 0) allocations.push({ client: t.client, qty });
    return {
      client: t.client,
      targetQty: t.targetQty,
      remainingLotsBefore: remainingLots[i],
      baseLots: baseLots[i],
      remainderNumerator: remainderNumerator[i],
      extraLot: extra[i],
      qty,
      allocatedBeforeQty: state.allocatedQty[i],
      allocatedAfterQty: allocatedQty[i],
    };
  });
  const distributedQty = poolLots * lotSize;
  const carriedAfterQty = poolQty - distributedQty;
  return {
    allocations,
    state: { targets: state.targets, allocatedQty, carriedQty: carriedAfterQty, fillSeq: state.fillSeq + 1 },
    audit: {
      method: ALLOCATION_METHOD,
      lotSize,
      fillQty,
      fillSeq: state.fillSeq,
      rotation,
      tieBreakStartClient: state.targets[start].client,
      carriedBeforeQty: state.carriedQty,
      distributedQty,
      carriedAfterQty,
      shareDenominator: totalRemainingLots,
      rows,
    },
  };
}
