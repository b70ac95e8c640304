// Order-independent sums of doubles: exact integer arithmetic in units of 2^-1074, rounded once when read.

const SCALE_BITS = 1074n;
const view = new DataView(new ArrayBuffer(8));

/** The exact value of a finite double, in units of 2^-1074 (the smallest subnormal). */
export function toExactUnits(x: number): bigint {
  if (Number.isInteger(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER) return BigInt(x) << SCALE_BITS;
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const exponent = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  // Normal numbers carry an implicit leading 1; subnormals use exponent 1.
  if (exponent !== 0) mantissa |= 1n << 52n;
  const units = mantissa << BigInt(Math.max(exponent, 1) - 1);
  return negative ? -units : units;
}

/** The double nearest to `units` × 2^-1074 (ties to even), as one rounding of the exact sum. */
export function fromExactUnits(units: bigint): number {
  if (units === 0n) return 0;
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const bits = magnitude.toString(2).length;
  const shift = Math.max(bits - 64, 0);
  let top = magnitude >> BigInt(shift);
  // A sticky bit keeps the rounding of the 64-bit head correct for everything cut below it.
  if (shift > 0 && (magnitude & ((1n << BigInt(shift)) - 1n)) !== 0n) top |= 1n;
  const value = Number(top) * 2 ** (shift - 1074);
  return negative ? -value : value;
}
