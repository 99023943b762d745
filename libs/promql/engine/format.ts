// Go's float formatting where Prometheus prints numbers into messages and labels:
// `%g`/`%v` (strconv 'g', shortest) and strconv.FormatFloat(f, 'f', -1, 64).

/** Shortest round-trip decimal digits and exponent of |f| (f finite, non-zero): f = 0.d1d2… × 10^(exp+1). */
function shortest(f: number): { digits: string; exp: number } {
  const s = Math.abs(f).toExponential();
  const e = s.indexOf('e');
  const mant = s.slice(0, e);
  return { digits: mant.replace('.', ''), exp: Number(s.slice(e + 1)) };
}

function special(f: number): string | undefined {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  return undefined;
}

function fixed(digits: string, exp: number): string {
  const dp = exp + 1;
  if (dp <= 0) return '0.' + '0'.repeat(-dp) + digits;
  if (dp >= digits.length) return digits + '0'.repeat(dp - digits.length);
  return digits.slice(0, dp) + '.' + digits.slice(dp);
}

/** strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(f: number): string {
  const s = special(f);
  if (s !== undefined) return s;
  const { digits, exp } = shortest(f);
  return (f < 0 ? '-' : '') + fixed(digits, exp);
}

/** fmt's `%g` / `%v` of a float64 (strconv 'g' with shortest precision). */
export function formatFloatG(f: number): string {
  const s = special(f);
  if (s !== undefined) return s;
  const { digits, exp } = shortest(f);
  const sign = f < 0 ? '-' : '';
  // With shortest precision Go uses an exponent below 1e-4 and from 1e6 on (strconv/ftoa.go: eprec = 6).
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const ae = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  return sign + fixed(digits, exp);
}
