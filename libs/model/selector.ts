// Parses a series selector (`metric{a="b", c=~"d"}`, `{"utf8.name", x!="y"}`) into matchers.
// Used by tools and APIs that take `match[]`; the PromQL parser handles selectors inside queries.
// Like Prometheus' ParseMetricSelector, it does not require a non-empty matcher: callers decide.

import { METRIC_NAME } from './labels.ts';
import { Matcher, MatchType } from './matcher.ts';

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

export function parseSeriesSelector(input: string): Matcher[] {
  const p = new SelectorParser(input);
  return p.parse();
}

class SelectorParser {
  private i = 0;

  constructor(private readonly s: string) {}

  parse(): Matcher[] {
    const out: Matcher[] = [];
    this.ws();
    const name = this.ident(/[a-zA-Z_:]/, /[a-zA-Z0-9_:]/);
    if (name !== '') out.push(new Matcher(MatchType.Equal, METRIC_NAME, name));
    this.ws();
    if (this.peek() === '{') {
      this.i++;
      for (;;) {
        this.ws();
        if (this.peek() === '}') break;
        let label: string;
        if (this.peek() === '"' || this.peek() === "'" || this.peek() === '`') {
          label = this.str();
          this.ws();
          if (this.peek() === ',' || this.peek() === '}') {
            // A lone quoted string is the metric name (Prometheus 3 UTF-8 syntax).
            out.push(new Matcher(MatchType.Equal, METRIC_NAME, label));
            if (this.peek() === ',') this.i++;
            continue;
          }
        } else {
          label = this.ident(/[a-zA-Z_]/, /[a-zA-Z0-9_]/);
          if (label === '') this.fail('expected label name');
        }
        this.ws();
        const op = this.op();
        this.ws();
        const value = this.str();
        out.push(newMatcher(op, label, value, this));
        this.ws();
        if (this.peek() === ',') {
          this.i++;
          continue;
        }
        if (this.peek() !== '}') this.fail('expected "," or "}"');
      }
      this.i++;
    }
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected character "${this.s[this.i]}"`);
    if (out.length === 0) this.fail('vector selector must contain at least one matcher');
    return out;
  }

  fail(msg: string): never {
    throw new SelectorError(`parse error at char ${this.i + 1}: ${msg}`);
  }

  private peek(): string {
    return this.s[this.i] ?? '';
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private ident(first: RegExp, rest: RegExp): string {
    const start = this.i;
    if (!first.test(this.peek())) return '';
    this.i++;
    while (this.i < this.s.length && rest.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  private op(): MatchType {
    for (const op of ['!=', '=~', '!~', '='] as const) {
      if (this.s.startsWith(op, this.i)) {
        this.i += op.length;
        return op;
      }
    }
    return this.fail('expected one of "=", "!=", "=~", "!~"');
  }

  private str(): string {
    const q = this.peek();
    if (q !== '"' && q !== "'" && q !== '`') this.fail('expected quoted string');
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated quoted string');
      const c = this.s[this.i++]!;
      if (c === q) return out;
      if (c !== '\\' || q === '`') {
        if (c === '\n' && q !== '`') this.fail('unterminated quoted string');
        out += c;
        continue;
      }
      out += this.escape(q);
    }
  }

  // Go string-literal escapes, as PromQL accepts them.
  private escape(q: string): string {
    const c = this.s[this.i++] ?? '';
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (c in simple) return simple[c]!;
    if (c === q) return q;
    const hex = (n: number) => {
      const h = this.s.slice(this.i, this.i + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) this.fail('invalid escape sequence');
      this.i += n;
      return parseInt(h, 16);
    };
    if (c === 'x') return String.fromCharCode(hex(2));
    if (c === 'u') return String.fromCodePoint(hex(4));
    if (c === 'U') return String.fromCodePoint(hex(8));
    if (c >= '0' && c <= '7') {
      const o = this.s.slice(this.i - 1, this.i + 2);
      if (!/^[0-7]{3}$/.test(o)) this.fail('invalid escape sequence');
      this.i += 2;
      return String.fromCharCode(parseInt(o, 8));
    }
    return this.fail(`unknown escape sequence "\\${c}"`);
  }
}

function newMatcher(op: MatchType, name: string, value: string, p: SelectorParser): Matcher {
  try {
    return new Matcher(op, name, value);
  } catch (e) {
    return p.fail((e as Error).message);
  }
}
