// Go's number and string literal rules as the test scripts use them: strconv.ParseInt(s, 0, 64)
// falling back to strconv.ParseFloat (Prometheus' parseNumber), strconv.Unquote, and Go's %v of
// a float64 for messages.

/** Underscores only between digits, or right after a base prefix (Go's underscoreOK). */
function underscoresOK(digits: string, afterPrefix: boolean): boolean {
  if (!digits.includes('_')) return true;
  if (digits.endsWith('_')) return false;
  if (digits.startsWith('_') && !afterPrefix) return false;
  return !digits.includes('__');
}

/** strconv.ParseInt(s, 0, 64) as a float64, or undefined when Go would return an error. */
export function parseGoInt(s: string): number | undefined {
  const m = /^([+-]?)(0[xX]([0-9a-fA-F_]+)|0[oO]([0-7_]+)|0[bB]([01_]+)|0([0-7_]*)|([1-9][0-9_]*))$/.exec(s);
  if (!m) return undefined;
  let digits: string;
  let radix: number;
  let prefixed = true;
  if (m[3] !== undefined) [digits, radix] = [m[3], 16];
  else if (m[4] !== undefined) [digits, radix] = [m[4], 8];
  else if (m[5] !== undefined) [digits, radix] = [m[5], 2];
  else if (m[6] !== undefined) {
    [digits, radix] = [m[6], 8];
    if (digits === '') return m[1] === '-' ? -0 : 0;
  } else {
    [digits, radix, prefixed] = [m[7]!, 10, false];
  }
  if (!underscoresOK(digits, prefixed)) return undefined;
  digits = digits.replaceAll('_', '');
  if (digits === '') return undefined;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  let n = BigInt(prefix + digits);
  if (m[1] === '-') n = -n;
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  // Go converts int64 to float64 with round-to-nearest-even, as Number(bigint) does.
  return Number(n);
}

/** strconv.ParseFloat(s, 64), or undefined when Go would return a syntax error. */
export function parseGoFloat(s: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const dec = /^([+-]?)((?:[0-9_]+(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?)$/.exec(s);
  if (dec) {
    const body = dec[2]!;
    // Go allows an underscore only between two digits of a decimal literal.
    if (body.includes('_') && !/^(?:[^_]|(?<=[0-9])_(?=[0-9]))*$/.test(body)) return undefined;
    const v = Number(body.replaceAll('_', ''));
    if (Number.isNaN(v)) return undefined;
    return dec[1] === '-' ? -v : v;
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9_]+)$/.exec(s);
  if (hex) {
    const int = hex[2]!.replaceAll('_', '');
    const frac = (hex[3] ?? '').replaceAll('_', '');
    if (int === '' && frac === '') return undefined;
    let mant = 0;
    for (const ch of int + frac) mant = mant * 16 + parseInt(ch, 16);
    const v = mant * Math.pow(2, Number(hex[4]!.replaceAll('_', '')) - 4 * frac.length);
    return hex[1] === '-' ? -v : v;
  }
  return undefined;
}

/** Prometheus' parseNumber / parser.number: an integer literal first, then a float. */
export function parseNumber(s: string): number | undefined {
  return parseGoInt(s) ?? parseGoFloat(s);
}

/**
 * Go's strconv.Unquote for "…" and `…` strings (and PromQL's '…'), with Go's escapes.
 * Byte escapes (\xNN, octal) are collected as bytes and decoded as UTF-8. Returns undefined
 * when the literal is malformed.
 */
export function unquote(lit: string, allowSingle = true): string | undefined {
  if (lit.length < 2) return undefined;
  const q = lit[0]!;
  if (lit[lit.length - 1] !== q) return undefined;
  const body = lit.slice(1, -1);
  if (q === '`') return body.includes('`') ? undefined : body.replaceAll('\r', '');
  if (q !== '"' && !(q === "'" && allowSingle)) return undefined;
  const bytes: number[] = [];
  const pushStr = (str: string): void => {
    for (const b of Buffer.from(str, 'utf8')) bytes.push(b);
  };
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === q || c === '\n') return undefined;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushStr(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a': bytes.push(7); break;
      case 'b': bytes.push(8); break;
      case 'f': bytes.push(12); break;
      case 'n': bytes.push(10); break;
      case 'r': bytes.push(13); break;
      case 't': bytes.push(9); break;
      case 'v': bytes.push(11); break;
      case '\\': bytes.push(92); break;
      case '"':
      case "'":
        if (e !== q) return undefined;
        bytes.push(e.charCodeAt(0));
        break;
      case 'x': {
        const h = body.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
        bytes.push(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = body.slice(i, i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return undefined;
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
        pushStr(String.fromCodePoint(cp));
        i += n;
        break;
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const o = body.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return undefined;
          bytes.push(parseInt(o, 8));
          i += 2;
          break;
        }
        return undefined;
      }
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A float64 as Go's %v prints it: shortest digits, exponent form below 1e-4 and from 1e6 on. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [m, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    // JS writes "1.5e-7"; Go writes "1.5e-07" (at least two exponent digits).
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}
