// Go's math.Pow, so that `^` gives Prometheus' results bit for bit where the algorithm is
// exact (integer exponents: repeated squaring on the mantissa) and Go's special cases
// everywhere (Pow(1, NaN) = 1, Pow(-1, ±Inf) = 1, which JavaScript's ** answers with NaN).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Go's math.Frexp: x = frac × 2^exp with |frac| in [0.5, 1). */
export function frexp(x: number): [frac: number, exp: number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = 0;
  f64[0] = x;
  if ((u32[1]! & 0x7ff00000) === 0) {
    // Subnormal: normalise first.
    f64[0] = x * 4503599627370496; // 2^52
    e = -52;
  }
  const hi = u32[1]!;
  e += ((hi >>> 20) & 0x7ff) - 1022;
  u32[1] = (hi & ~0x7ff00000) | (1022 << 20);
  return [f64[0]!, e];
}

/** Go's math.Ldexp: frac × 2^exp, with Go's rounding of subnormal results. */
export function ldexp(frac: number, exp: number): number {
  if (frac === 0 || !Number.isFinite(frac)) return frac;
  f64[0] = frac;
  if ((u32[1]! & 0x7ff00000) === 0) {
    f64[0] = frac * 4503599627370496; // subnormal: scale by 2^52
    exp -= 52;
  }
  exp += ((u32[1]! >>> 20) & 0x7ff) - 1023;
  if (exp < -1075) return frac < 0 ? -0 : 0;
  if (exp > 1023) return frac < 0 ? -Infinity : Infinity;
  let m = 1;
  if (exp < -1022) {
    exp += 53;
    m = 1 / 9007199254740992; // 2^-53
  }
  u32[1] = (u32[1]! & ~0x7ff00000) | ((exp + 1023) << 20);
  return m * f64[0]!;
}

function isOddInt(x: number): boolean {
  if (Math.abs(x) >= 9007199254740992) return false; // 2^53 and above are even
  return Number.isInteger(x) && Math.abs(x % 2) === 1;
}

/** Go's math.Pow. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (y === 1) return x;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0) {
    if (y < 0) return Object.is(x, -0) && isOddInt(y) ? -Infinity : Infinity;
    if (y > 0) return Object.is(x, -0) && isOddInt(y) ? x : 0;
  }
  if (!Number.isFinite(y)) {
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === (y > 0) ? 0 : Infinity;
  }
  if (!Number.isFinite(x)) {
    if (x < 0) return goPow(1 / x, -y); // Pow(-0, -y)
    if (y < 0) return 0;
    if (y > 0) return Infinity;
  }
  if (y === 0.5) return Math.sqrt(x);
  if (y === -0.5) return 1 / Math.sqrt(x);

  const ay = Math.abs(y);
  let yi = Math.trunc(ay);
  let yf = ay - yi;
  if (yf !== 0 && x < 0) return NaN;
  if (yi >= 9223372036854775808) {
    // A huge even integer: overflow or underflow for every x but -1.
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === (y > 0) ? 0 : Infinity;
  }

  // ans = a1 × 2^ae
  let a1 = 1;
  let ae = 0;
  if (yf !== 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = Math.exp(yf * Math.log(x));
  }
  // x^yi by repeated squaring on the mantissa, keeping the exponent apart.
  let [x1, xe] = frexp(x);
  for (let i = yi; i !== 0; i = Math.floor(i / 2)) {
    if (xe < -(1 << 12) || 1 << 12 < xe) {
      // Catastrophic overflow: let ldexp handle it.
      ae += xe;
      break;
    }
    if (i % 2 === 1) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe *= 2;
    if (x1 < 0.5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return ldexp(a1, ae);
}
