// Literal values as Prometheus reads them: Go string unquoting (strutil.Unquote), Go's number
// parsing (strconv.ParseInt base 0, then ParseFloat) and model.ParseDuration.

/**
 * Unquotes a string item the lexer has already validated. Escapes that produce bytes which are not
 * valid UTF-8 (`"\xff"`) become U+DC80+byte (lone surrogates), so they stay distinguishable and
 * fail UTF-8 validation like the original bytes do in Go.
 */
export function unquoteString(s: string): string {
  const quote = s.charCodeAt(0);
  const body = s.slice(1, -1);
  if (quote === 0x60 || !body.includes('\\')) return body;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; ) {
    const c = body.charCodeAt(i);
    if (c !== 0x5c) {
      const cp = body.codePointAt(i)!;
      pushUTF8(bytes, cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1]!;
    i += 2;
    switch (e) {
      case 'a':
        bytes.push(7);
        break;
      case 'b':
        bytes.push(8);
        break;
      case 'f':
        bytes.push(12);
        break;
      case 'n':
        bytes.push(10);
        break;
      case 'r':
        bytes.push(13);
        break;
      case 't':
        bytes.push(9);
        break;
      case 'v':
        bytes.push(11);
        break;
      case 'x':
        bytes.push(parseInt(body.slice(i, i + 2), 16));
        i += 2;
        break;
      case 'u':
        pushUTF8(bytes, parseInt(body.slice(i, i + 4), 16));
        i += 4;
        break;
      case 'U':
        pushUTF8(bytes, parseInt(body.slice(i, i + 8), 16));
        i += 8;
        break;
      default:
        if (e >= '0' && e <= '7') {
          bytes.push(parseInt(body.slice(i - 1, i + 2), 8));
          i += 2;
        } else {
          // \\, \' and \" stand for themselves.
          bytes.push(e.charCodeAt(0));
        }
    }
  }
  return decodeUTF8Escaped(bytes);
}

function pushUTF8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** Decodes UTF-8 like Go's range loop, mapping each byte of an invalid sequence to U+DC80+byte. */
export function decodeUTF8Escaped(bytes: ArrayLike<number>): string {
  let out = '';
  const n = bytes.length;
  for (let i = 0; i < n; ) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let min = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    }
    let ok = need > 0 && i + need < n;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const b = bytes[i + k];
        if (b === undefined || (b & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (b & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) {
      out += String.fromCharCode(0xdc00 + b0);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

export type NumberResult = { ok: true; value: number } | { ok: false; err: string };

/** Go's underscoreOK: underscores only between digits (or after a base prefix). */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hexDigits = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hexDigits = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hexDigits && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(s, 0, 64) for the unsigned forms the lexer produces. */
function parseIntBase0(s: string): bigint | 'syntax' | 'range' {
  let base = 10;
  let digits = s;
  if (s.length > 1 && s[0] === '0') {
    const p = s[1]!.toLowerCase();
    if (p === 'x') {
      base = 16;
      digits = s.slice(2);
    } else if (p === 'o') {
      base = 8;
      digits = s.slice(2);
    } else if (p === 'b') {
      base = 2;
      digits = s.slice(2);
    } else {
      base = 8;
      digits = s.slice(1);
    }
  }
  if (s.includes('_')) {
    if (!underscoreOK(s)) return 'syntax';
    digits = digits.replace(/_/g, '');
  }
  if (digits === '') return 'syntax';
  let v = 0n;
  const b = BigInt(base);
  for (const ch of digits) {
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= base) return 'syntax';
    v = v * b + BigInt(d);
  }
  if (v > 0x7fffffffffffffffn) return 'range';
  return v;
}

const DECIMAL_FLOAT = /^(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9][0-9_]*)?$/;

/** strconv.ParseFloat(s, 64) for what the PromQL lexer can produce (no hex floats: 'p' never lexes). */
function parseFloatGo(s: string): NumberResult {
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return { ok: true, value: Infinity };
  if (lower === '-inf' || lower === '-infinity') return { ok: true, value: -Infinity };
  if (lower === 'nan') return { ok: true, value: NaN };
  const syntax = { ok: false as const, err: `strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax` };
  if (!DECIMAL_FLOAT.test(s) || !/[0-9]/.test(s.split(/[eE]/)[0]!)) return syntax;
  if (s.includes('_') && !underscoreOK(s)) return syntax;
  const v = Number(s.replace(/_/g, ''));
  if (!Number.isFinite(v)) return { ok: false, err: `strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range` };
  return { ok: true, value: v };
}

/** Prometheus' parser.number: an integer in Go syntax (hex, leading-0 octal), else a float. */
export function parseNumber(s: string): NumberResult {
  const i = parseIntBase0(s);
  if (typeof i === 'bigint') return { ok: true, value: Number(i) };
  return parseFloatGo(s);
}

const DURATION_UNITS: Record<string, { pos: number; ns: bigint }> = {
  y: { pos: 1, ns: 365n * 24n * 3600n * 1000000000n },
  w: { pos: 2, ns: 7n * 24n * 3600n * 1000000000n },
  d: { pos: 3, ns: 24n * 3600n * 1000000000n },
  h: { pos: 4, ns: 3600n * 1000000000n },
  m: { pos: 5, ns: 60n * 1000000000n },
  s: { pos: 6, ns: 1000000000n },
  ms: { pos: 7, ns: 1000000n },
};
const MAX_INT64 = 0x7fffffffffffffffn;

/** model.ParseDuration: "1h30m" → nanoseconds (units in order, each at most once). */
export function parseDurationNs(s: string): { ok: true; ns: bigint } | { ok: false; err: string } {
  if (s === '0') return { ok: true, ns: 0n };
  if (s === '') return { ok: false, err: 'empty duration string' };
  const invalid = { ok: false as const, err: `not a valid duration string: ${JSON.stringify(s)}` };
  let rest = s;
  let dur = 0n;
  let lastUnitPos = 0;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  while (rest !== '') {
    if (!isDigit(rest[0])) return invalid;
    let i = 0;
    while (i < rest.length && isDigit(rest[i])) i++;
    const v = BigInt(rest.slice(0, i));
    if (v > 0xffffffffffffffffn) return invalid;
    rest = rest.slice(i);
    i = 0;
    while (i < rest.length && !isDigit(rest[i])) i++;
    if (i === 0) return invalid;
    const u = rest.slice(0, i);
    rest = rest.slice(i);
    const unit = Object.hasOwn(DURATION_UNITS, u) ? DURATION_UNITS[u] : undefined;
    if (unit === undefined) return { ok: false, err: `unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(s)}` };
    if (unit.pos <= lastUnitPos) return invalid;
    lastUnitPos = unit.pos;
    if (v > (MAX_INT64 + 1n) / unit.ns) return { ok: false, err: 'duration out of range' };
    dur += v * unit.ns;
    if (dur > MAX_INT64) return { ok: false, err: 'duration out of range' };
  }
  return { ok: true, ns: dur };
}

/** time.Duration(ns).Seconds(). */
export function nsToSeconds(ns: bigint): number {
  const sec = ns / 1000000000n;
  const nsec = ns % 1000000000n;
  return Number(sec) + Number(nsec) / 1e9;
}

/** Go's math.Round: half away from zero. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * A duration in seconds (as the parser holds it) to whole ms the way Prometheus gets there:
 * time.Duration(math.Round(s * 1e9)), then truncated to milliseconds.
 */
export function secondsToMs(seconds: number): number {
  const ns = roundHalfAwayFromZero(seconds * 1e9);
  if (!Number.isFinite(ns)) return ns;
  if (Math.abs(ns) <= Number.MAX_SAFE_INTEGER) return Math.trunc(ns / 1e6);
  return Number(BigInt(ns) / 1000000n);
}
