/**
 * Split an integer amount (centavos, shares) in proportion to integer weights so the parts add up
 * exactly: floor of each share, then the leftover units one by one to the largest remainders,
 * ties to the earlier entry. Used to give each client of a block its share of the block's cash.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`apportion: total must be a non-negative integer, got ${total}`);
  const sum = weights.reduce((a, w) => a + w, 0);
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0) || sum <= 0) throw new RangeError('apportion: weights must be non-negative integers with a positive sum');
  const big = BigInt(total);
  const bigSum = BigInt(sum);
  const parts = weights.map((w) => Number((big * BigInt(w)) / bigSum));
  const remainders = weights.map((w, i) => ({ i, r: (big * BigInt(w)) % bigSum }));
  let left = total - parts.reduce((a, p) => a + p, 0);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; left > 0; k++, left--) parts[remainders[k].i] += 1;
  return parts;
}
