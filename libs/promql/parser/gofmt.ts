// Go formatting helpers the parser's messages and printer rely on: %q of runes, %#U, %f,
// strconv.FormatFloat(f, 'f', -1, 64) and Prometheus' model.Duration.String().

import { goQuote } from '../../model/index.ts';

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;

function isGoPrint(cp: number): boolean {
  if (cp >= 0x20 && cp < 0x7f) return true;
  if (cp < 0xa1) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return PRINTABLE.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's %q of a rune (strconv.QuoteRune); -1 (end of input) prints as U+FFFD like Go. */
export function goQuoteRune(cp: number): string {
  if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  switch (cp) {
    case 0x27:
      return "'\\''";
    case 0x5c:
      return "'\\\\'";
    case 0x07:
      return "'\\a'";
    case 0x08:
      return "'\\b'";
    case 0x0c:
      return "'\\f'";
    case 0x0a:
      return "'\\n'";
    case 0x0d:
      return "'\\r'";
    case 0x09:
      return "'\\t'";
    case 0x0b:
      return "'\\v'";
  }
  if (isGoPrint(cp)) return "'" + String.fromCodePoint(cp) + "'";
  if (cp < 0x80) return "'\\x" + hex(cp, 2) + "'";
  if (cp <= 0xffff) return "'\\u" + hex(cp, 4) + "'";
  return "'\\U" + hex(cp, 8) + "'";
}

/** Go's %#U: `U+0063 'c'`, or just `U+000A` for unprintable runes. */
export function goUnicodeFormat(cp: number): string {
  if (cp < 0) cp = 0xfffd;
  const code = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  return isGoPrint(cp) ? `${code} '${String.fromCodePoint(cp)}'` : code;
}

/** Go's %q of a string. */
export const goQuoteString = goQuote;

/** Go's %.10q (the string cut to 10 runes, then quoted). */
export function goQuoteTruncated(s: string, runes: number): string {
  const cps = Array.from(s);
  return goQuote(cps.length > runes ? cps.slice(0, runes).join('') : s);
}

/** The shortest decimal digits and exponent of a finite non-zero |v|: v = 0.d1d2d3... × 10^exp. */
function shortestDigits(v: number): { digits: string; exp: number } {
  const s = Math.abs(v).toExponential(); // shortest round-trip digits, as JS guarantees
  const e = s.indexOf('e');
  const mant = s.slice(0, e).replace('.', '');
  const exp = Number(s.slice(e + 1));
  return { digits: mant, exp: exp + 1 };
}

/** strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { digits, exp } = shortestDigits(v);
  const sign = v < 0 ? '-' : '';
  if (exp <= 0) return sign + '0.' + '0'.repeat(-exp) + digits;
  if (exp >= digits.length) return sign + digits + '0'.repeat(exp - digits.length);
  return sign + digits.slice(0, exp) + '.' + digits.slice(exp);
}

/** Go's %f (6 decimals, exact rounding of the binary value like Go). */
export function formatFloatFixed(v: number, decimals = 6): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Math.abs(v) < 1e21) return v.toFixed(decimals);
  // toFixed switches to exponent notation from 1e21 on; integers that large are exact in BigInt.
  return BigInt(v).toString() + (decimals > 0 ? '.' + '0'.repeat(decimals) : '');
}

const MS_Y = 1000 * 60 * 60 * 24 * 365;
const MS_W = 1000 * 60 * 60 * 24 * 7;
const DURATION_UNITS: [string, number, boolean][] = [
  ['y', MS_Y, true],
  ['w', MS_W, true],
  ['d', 1000 * 60 * 60 * 24, false],
  ['h', 1000 * 60 * 60, false],
  ['m', 1000 * 60, false],
  ['s', 1000, false],
  ['ms', 1, false],
];

/** Prometheus' model.Duration.String() for a duration in ms (non-negative; sub-ms is cut off). */
export function formatDuration(ms: number): string {
  ms = Math.trunc(ms);
  if (ms === 0) return '0s';
  let r = '';
  for (const [unit, mult, exact] of DURATION_UNITS) {
    if (exact && ms % mult !== 0) continue;
    const v = Math.floor(ms / mult);
    if (v > 0) {
      r += `${v}${unit}`;
      ms -= v * mult;
    }
  }
  return r;
}
