// Float parsing and formatting with Go's strconv semantics, as the Prometheus text parsers use them.
// Parsing works on bytes so the hot path (short decimal values) allocates nothing.

/** Prometheus' value.NormalNaN (0x7ff8000000000001): the NaN its parsers return for any NaN input. */
export const NORMAL_NAN: number = (() => {
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  u[0] = 1;
  u[1] = 0x7ff80000;
  return f[0]!;
})();

/** Why the last `parseFloatBytes` call failed; `FloatError.None` on success. */
export const FloatError = { None: 0, Syntax: 1, Range: 2, Unsupported: 3 } as const;
export type FloatError = (typeof FloatError)[keyof typeof FloatError];

/** Result status of the last `parseFloatBytes` call (module scope avoids a result object per call). */
export let lastFloatError: FloatError = FloatError.None;

// Exact powers of ten for the fast path (10^22 is the largest exactly representable).
const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const latin1 = new TextDecoder('latin1');

/**
 * Parses b[start, end) like Prometheus' textparse `parseFloat`: Go's `strconv.ParseFloat(s, 64)`,
 * but rejecting `p`, `P` and `_` ("pre-Go 1.13 float formats", so no hex floats). Accepts an
 * optional sign, decimal mantissa and exponent, `Inf`/`Infinity` (any case, signed) and `NaN`
 * (any case, unsigned). Overflow is an error (Go's ErrRange), underflow rounds to zero.
 * On failure returns NaN and sets `lastFloatError`; check it, since NaN is also a valid value.
 */
export function parseFloatBytes(b: Uint8Array, start: number, end: number, rejectGo113 = true): number {
  lastFloatError = FloatError.None;
  let i = start;
  if (i >= end) return fail(FloatError.Syntax);
  let neg = false;
  let signed = false;
  let c = b[i]!;
  if (c === 0x2b /* + */ || c === 0x2d /* - */) {
    neg = c === 0x2d;
    signed = true;
    if (++i >= end) return fail(FloatError.Syntax);
    c = b[i]!;
  }
  const lc = c | 0x20;
  if (lc === 0x69 /* i */) {
    if (matchesIgnoreCase(b, i, end, 'infinity') || matchesIgnoreCase(b, i, end, 'inf')) {
      return neg ? -Infinity : Infinity;
    }
    return fail(FloatError.Syntax);
  }
  if (lc === 0x6e /* n */) {
    if (!signed && matchesIgnoreCase(b, i, end, 'nan')) return NaN;
    return fail(FloatError.Syntax);
  }

  // Decimal: digits [. digits] [e [sign] digits], at least one mantissa digit.
  let mant = 0; // first 15 significant digits, exact
  let sig = 0; // significant digits seen (leading zeros excluded)
  let dropped = false; // significant digits beyond the fast path's reach
  let fracDigits = 0; // significant digits taken after the dot
  let sawDigit = false;
  let sawDot = false;
  for (; i < end; i++) {
    c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      sawDigit = true;
      if (sig === 0 && c === 0x30) {
        if (sawDot) fracDigits++;
        continue;
      }
      if (sig < 15) {
        mant = mant * 10 + (c - 0x30);
        if (sawDot) fracDigits++;
      } else {
        dropped = true;
      }
      sig++;
    } else if (c === 0x2e /* . */ && !sawDot) {
      sawDot = true;
    } else {
      break;
    }
  }
  if (!sawDigit) return fail(unsupportedOr(b, start, end, rejectGo113));
  let exp = 0;
  if (i < end && (b[i]! | 0x20) === 0x65 /* e */) {
    if (++i >= end) return fail(FloatError.Syntax);
    let eneg = false;
    c = b[i]!;
    if (c === 0x2b || c === 0x2d) {
      eneg = c === 0x2d;
      if (++i >= end) return fail(FloatError.Syntax);
    }
    let sawExpDigit = false;
    for (; i < end; i++) {
      c = b[i]!;
      if (c < 0x30 || c > 0x39) break;
      sawExpDigit = true;
      if (exp < 100000) exp = exp * 10 + (c - 0x30);
    }
    if (!sawExpDigit) return fail(unsupportedOr(b, start, end, rejectGo113));
    if (eneg) exp = -exp;
  }
  if (i !== end) return fail(unsupportedOr(b, start, end, rejectGo113));

  // Clinger's fast path: an exact integer mantissa scaled by an exact power of ten rounds once.
  if (!dropped) {
    const e10 = exp - fracDigits;
    let v: number | undefined;
    if (mant === 0) v = 0;
    else if (e10 === 0) v = mant;
    else if (e10 > 0 && e10 <= 22) v = mant * POW10[e10]!;
    else if (e10 < 0 && e10 >= -22) v = mant / POW10[-e10]!;
    if (v !== undefined && v !== Infinity) return neg ? -v : v;
  }
  // Slow path: the engine's decimal conversion is correctly rounded, as Go's is.
  const v = Number(latin1.decode(b.subarray(start, end)));
  if (v === Infinity || v === -Infinity) return fail(FloatError.Range);
  return v;
}

function fail(e: FloatError): number {
  lastFloatError = e;
  return NaN;
}

// Prometheus checks for p/P/_ before calling Go, so those inputs report "unsupported character".
function unsupportedOr(b: Uint8Array, start: number, end: number, rejectGo113: boolean): FloatError {
  if (!rejectGo113) return FloatError.Syntax;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x70 || c === 0x50 || c === 0x5f) return FloatError.Unsupported;
  }
  return FloatError.Syntax;
}

function matchesIgnoreCase(b: Uint8Array, i: number, end: number, word: string): boolean {
  if (end - i !== word.length) return false;
  for (let k = 0; k < word.length; k++) if ((b[i + k]! | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/** Human-readable reason for a `FloatError`, in Go's words. */
export function floatErrorText(e: FloatError): string {
  switch (e) {
    case FloatError.None:
      return 'ok';
    case FloatError.Syntax:
      return 'invalid syntax';
    case FloatError.Range:
      return 'value out of range';
    case FloatError.Unsupported:
      return 'unsupported character in float';
  }
}

const encoder = new TextEncoder();

/** `parseFloatBytes` on a string (label values, tests). */
export function parseFloatString(s: string, rejectGo113 = true): number {
  const b = encoder.encode(s);
  return parseFloatBytes(b, 0, b.length, rejectGo113);
}

/**
 * Go's `strconv.FormatFloat(f, 'g', -1, 64)`: shortest round-trip digits, exponent form when the
 * decimal exponent is < -4 or >= 6 (`1e+06`, `1e-05`), `+Inf`, `-Inf`, `NaN`.
 */
export function formatGoFloat(f: number): string {
  if (f !== f) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // toExponential() without argument yields the shortest round-trip digits, as Go's shortest mode.
  const s = f.toExponential();
  const ePos = s.indexOf('e');
  let mant = s.slice(0, ePos);
  const exp = Number(s.slice(ePos + 1));
  let neg = '';
  if (mant[0] === '-') {
    neg = '-';
    mant = mant.slice(1);
  }
  const digits = mant.replace('.', '');
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${neg}${m}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (exp < 0) return `${neg}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${neg}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${neg}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * Prometheus' `labels.FormatOpenMetricsFloat`: Go's shortest `'g'` form with `.0` appended
 * when it has neither `.` nor `e` (`1` → `1.0`, `1e+06` stays). Used to normalise the `le`
 * and `quantile` label values of classic histograms and summaries.
 */
export function formatOpenMetricsFloat(f: number): string {
  if (f === 0) return '0.0';
  const s = formatGoFloat(f);
  if (f !== f || f === Infinity || f === -Infinity) return s;
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}
