/**
 * The one "on the tick" rule, shared by the bridge (API boletas) and the add-in (sheet boletas).
 *
 * A decimal price typed or computed in a sheet is a binary double: 36.6 is stored as
 * 36.600000000000001421…, and arithmetic such as 0.1 + 0.2 leaves a few units in the last place.
 * Such noise must not refuse a good price; anything larger is a different price and is refused,
 * never rounded. The bound is relative to the price: 1e-13 is ~450 units in the last place of a
 * double (far above what arithmetic leaves behind) and far below any digit Excel shows (15
 * significant digits). So 36.6, 36.5 + 0.1 and 0.1 + 0.2 → 0.3 are on a R$ 0,01 tick, while
 * 36.60000000001 (a digit Excel shows) and 36.605 are not.
 */

/** Largest |price − n·tick| / |price| still read as the tick n. */
export const TICK_NOISE_RELATIVE = 1e-13;

/**
 * Number of ticks of `price` on a grid of `tickHundredths` (R$ 0,01 = 1, WIN 5 points = 500), or
 * undefined when the price is not on the grid (or not a finite number).
 */
export function ticksOnGrid(price: number, tickHundredths: number): number | undefined {
  if (!Number.isFinite(price) || !Number.isInteger(tickHundredths) || tickHundredths <= 0) return undefined;
  const n = Math.round((price * 100) / tickHundredths);
  const exact = (n * tickHundredths) / 100;
  return Math.abs(price - exact) <= Math.abs(price) * TICK_NOISE_RELATIVE ? n : undefined;
}

/** A decimal tick size as served by the API (0.01, 5, 0.5) → integer hundredths. */
export function tickHundredthsOf(tickSize: number): number {
  return Math.round(tickSize * 100);
}
