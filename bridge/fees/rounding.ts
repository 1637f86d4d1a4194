/**
 * The one rounding rule for money in BlackBox: to the nearest centavo, halves away from zero
 * (half-up for the non-negative amounts fees are). Done in BigInt because the exact numerator
 * (notional x rate, cost x quantity) can pass 2^53 long before the result does.
 */
export function divRoundHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominador deve ser positivo');
  const magnitude = numerator < 0n ? -numerator : numerator;
  const rounded = (2n * magnitude + denominator) / (2n * denominator);
  return numerator < 0n ? -rounded : rounded;
}

/** BigInt back to number, refusing anything a number cannot hold exactly. */
export function toSafeNumber(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`valor fora do inteiro seguro: ${value}`);
  return n;
}
