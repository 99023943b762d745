// Sample values: the stale marker and bit-level helpers.

// Prometheus marks a series stale with this exact NaN bit pattern. Other NaNs are ordinary values.
export const STALE_NAN_BITS = 0x7ff0000000000002n;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The stale-marker NaN. Keep it in typed arrays: plain JS double arrays may canonicalise NaN bits. */
export const STALE_NAN: number = (() => {
  u32[0] = 0x00000002;
  u32[1] = 0x7ff00000;
  return f64[0]!;
})();

/** True only for the exact stale-marker bit pattern. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  f64[0] = v;
  return u32[0] === 0x00000002 && u32[1] === 0x7ff00000;
}

/** The 64 bits of a float as two 32-bit halves [hi, lo]. */
export function float64Bits(v: number): [hi: number, lo: number] {
  f64[0] = v;
  return [u32[1]!, u32[0]!];
}

/** The float with the given 64 bits. */
export function float64FromBits(hi: number, lo: number): number {
  u32[0] = lo;
  u32[1] = hi;
  return f64[0]!;
}

/** Bit-exact equality (distinguishes NaN payloads, and 0 from -0). */
export function sameFloatBits(a: number, b: number): boolean {
  f64[0] = a;
  const alo = u32[0];
  const ahi = u32[1];
  f64[0] = b;
  return alo === u32[0] && ahi === u32[1];
}
