// Label-matcher regexes with Prometheus' semantics: Go's RE2 syntax (regexp/syntax, Perl flags, `.`
// matching `\n`), fully anchored. A parser accepts exactly what Go accepts, with Go's error text, and
// emits an equivalent JavaScript RegExp; FastRegexMatcher adds string fast paths. See REGEX.md.

// ---------------------------------------------------------------------------------------------
// Errors

/** Go's regexp/syntax error codes; the value is the stable code, the text is Go's. */
export const RegexErrorCode = {
  InternalError: 'internal_error',
  InvalidCharClass: 'invalid_char_class',
  InvalidCharRange: 'invalid_char_range',
  InvalidEscape: 'invalid_escape',
  InvalidNamedCapture: 'invalid_named_capture',
  InvalidPerlOp: 'invalid_perl_op',
  InvalidRepeatOp: 'invalid_repeat_op',
  InvalidRepeatSize: 'invalid_repeat_size',
  InvalidUTF8: 'invalid_utf8',
  MissingBracket: 'missing_bracket',
  MissingParen: 'missing_paren',
  MissingRepeatArgument: 'missing_repeat_argument',
  TrailingBackslash: 'trailing_backslash',
  UnexpectedParen: 'unexpected_paren',
  NestingDepth: 'nesting_depth',
  Large: 'large',
} as const;
export type RegexErrorCode = (typeof RegexErrorCode)[keyof typeof RegexErrorCode];

const ERROR_TEXT: Record<RegexErrorCode, string> = {
  internal_error: 'regexp/syntax: internal error',
  invalid_char_class: 'invalid character class',
  invalid_char_range: 'invalid character class range',
  invalid_escape: 'invalid escape sequence',
  invalid_named_capture: 'invalid named capture',
  invalid_perl_op: 'invalid or unsupported Perl syntax',
  invalid_repeat_op: 'invalid nested repetition operator',
  invalid_repeat_size: 'invalid repeat count',
  invalid_utf8: 'invalid UTF-8',
  missing_bracket: 'missing closing ]',
  missing_paren: 'missing closing )',
  missing_repeat_argument: 'missing argument to repetition operator',
  trailing_backslash: 'trailing backslash at end of expression',
  unexpected_paren: 'unexpected )',
  nesting_depth: 'expression nests too deeply',
  large: 'expression too large',
};

/** A regex Prometheus would reject. The message is Go's, byte for byte: "error parsing regexp: <what>: `<expr>`". */
export class RegexError extends Error {
  override readonly name = 'RegexError';
  /** Bad input from the user: maps to `bad_data` / HTTP 400. */
  readonly category = 'bad_data';

  constructor(
    readonly code: RegexErrorCode,
    /** The offending part of the pattern, as Go reports it. */
    readonly expr: string,
    options?: { cause?: unknown },
  ) {
    super(`error parsing regexp: ${ERROR_TEXT[code]}: \`${expr}\``, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Syntax tree (Go's op names)

const FOLD_CASE = 1; // (?i)
const DOT_NL = 2; // (?s): . matches \n; on by default in Prometheus
const ONE_LINE = 4; // not (?m): ^ and $ match only at the ends of the text
const NON_GREEDY = 8; // (?U)

const MAX_RUNE = 0x10ffff;
const MAX_REPEAT = 1000;
const MAX_HEIGHT = 1000;
const MAX_SIZE = Math.floor((128 << 20) / 40); // compiled instructions, as Go counts them

/** One Unicode property term of a class: `names` are JS property expressions whose union is the set. */
interface PropTerm {
  readonly names: readonly string[];
  readonly negated: boolean;
  /** Case-fold equivalents outside the property (only under (?i)); part of the set before negation. */
  readonly extras: readonly number[];
}

/** A set of code points: the union of `ranges` and `props`, complemented when `negated`. */
interface CharClass {
  /** Sorted, disjoint, non-adjacent [lo, hi] pairs. */
  readonly ranges: readonly number[];
  readonly props: readonly PropTerm[];
  /** Only ever true when `props` is non-empty; otherwise negation is applied to `ranges`. */
  readonly negated: boolean;
}

type Node =
  | { readonly op: 'literal'; readonly cp: number; readonly fold: boolean }
  | { readonly op: 'charClass'; readonly cls: CharClass }
  | {
      readonly op:
        | 'anyChar'
        | 'anyCharNotNL'
        | 'beginLine'
        | 'endLine'
        | 'beginText'
        | 'endText'
        | 'wordBoundary'
        | 'noWordBoundary'
        | 'emptyMatch';
    }
  | { readonly op: 'capture'; readonly sub: Node; readonly name: string }
  | { readonly op: 'concat' | 'alternate'; readonly subs: readonly Node[] }
  | { readonly op: 'star' | 'plus' | 'quest'; readonly sub: Node; readonly greedy: boolean }
  | { readonly op: 'repeat'; readonly sub: Node; readonly min: number; readonly max: number; readonly greedy: boolean };

const EMPTY_MATCH: Node = { op: 'emptyMatch' };

// ---------------------------------------------------------------------------------------------
// Parser

interface Frame {
  readonly alts: Node[];
  cur: Node[];
  /** Flags in force when the group opened; restored at its `)`. */
  readonly savedFlags: number;
  readonly capture: boolean;
  /** The group's name, '' when unnamed. */
  readonly name: string;
}

const PERL_GROUPS: Readonly<Record<string, { ranges: readonly number[]; negated: boolean }>> = {
  '\\d': { ranges: [0x30, 0x39], negated: false },
  '\\D': { ranges: [0x30, 0x39], negated: true },
  '\\s': { ranges: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20], negated: false },
  '\\S': { ranges: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20], negated: true },
  '\\w': { ranges: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a], negated: false },
  '\\W': { ranges: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a], negated: true },
};

const POSIX_CLASSES: Readonly<Record<string, readonly number[]>> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

function posixGroup(name: string): { ranges: readonly number[]; negated: boolean } | undefined {
  // name is "[:alpha:]" or "[:^alpha:]"
  const inner = name.slice(2, -2);
  const negated = inner.startsWith('^');
  const ranges = Object.hasOwn(POSIX_CLASSES, negated ? inner.slice(1) : inner)
    ? POSIX_CLASSES[negated ? inner.slice(1) : inner]
    : undefined;
  return ranges ? { ranges, negated } : undefined;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function unhex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function isValidCaptureName(name: string): boolean {
  if (name === '') return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c !== 0x5f && !isAlnum(c)) return false;
  }
  return true;
}

/**
 * Parses `src` with Go's flags Perl|DotNL (what Prometheus uses) into a syntax tree, throwing
 * RegexError exactly where and how Go's parser would. Scans left to right like Go's, keeping
 * an explicit stack of open groups so deep nesting cannot overflow the JS stack.
 */
class Parser {
  private pos = 0;
  private flags = DOT_NL | ONE_LINE;
  private readonly frames: Frame[] = [{ alts: [], cur: [], savedFlags: 0, capture: false, name: '' }];

  constructor(private readonly src: string) {}

  parse(): Node {
    const s = this.src;
    let lastRepeat = -1; // start of the previous token when it was a repetition operator
    while (this.pos < s.length) {
      let repeat = -1;
      const c = s.charCodeAt(this.pos);
      switch (c) {
        case 0x28: // (
          if (s.charCodeAt(this.pos + 1) === 0x3f) {
            this.parsePerlFlags();
          } else {
            this.openGroup(true);
            this.pos++;
          }
          break;
        case 0x7c: // |
          this.top().alts.push(concatOf(this.top().cur));
          this.top().cur = [];
          this.pos++;
          break;
        case 0x29: // )
          this.closeGroup();
          this.pos++;
          break;
        case 0x5e: // ^
          this.push({ op: this.flags & ONE_LINE ? 'beginText' : 'beginLine' });
          this.pos++;
          break;
        case 0x24: // $
          this.push({ op: this.flags & ONE_LINE ? 'endText' : 'endLine' });
          this.pos++;
          break;
        case 0x2e: // .
          this.push({ op: this.flags & DOT_NL ? 'anyChar' : 'anyCharNotNL' });
          this.pos++;
          break;
        case 0x5b: // [
          this.parseClass();
          break;
        case 0x2a: // *
        case 0x2b: // +
        case 0x3f: {
          // ?
          const start = this.pos;
          this.pos++;
          this.repeat(c === 0x2a ? 'star' : c === 0x2b ? 'plus' : 'quest', 0, 0, start, lastRepeat);
          repeat = start;
          break;
        }
        case 0x7b: {
          // {
          const start = this.pos;
          const r = this.parseRepeat(start);
          if (r === undefined) {
            // Not a well-formed {n}, {n,} or {n,m}: a literal brace, as in Go.
            this.literal(0x7b);
            this.pos++;
            break;
          }
          if (r.min > MAX_REPEAT || r.max > MAX_REPEAT || (r.max >= 0 && r.min > r.max)) {
            throw new RegexError(RegexErrorCode.InvalidRepeatSize, s.slice(start, r.end));
          }
          this.pos = r.end;
          this.repeat('repeat', r.min, r.max, start, lastRepeat);
          repeat = start;
          break;
        }
        case 0x5c: // backslash
          this.parseBackslash();
          break;
        default: {
          const cp = this.codePointAt(this.pos);
          this.pos += cp > 0xffff ? 2 : 1;
          this.literal(cp);
        }
      }
      lastRepeat = repeat;
    }
    if (this.frames.length > 1) throw new RegexError(RegexErrorCode.MissingParen, s);
    const root = finishFrame(this.frames[0]!);
    checkHeight(root, s);
    checkSize(root, s, 0);
    // Prometheus then compiles `^(?s:<re>)$`, one level deeper unless <re> is a concatenation (which
    // merges into the outer one) and two instructions larger; Go names that wrapped text in the
    // error. We show `src` where Go shows its re-serialisation of the tree (identical for plain patterns).
    const wrapped = `^(?s:${s})$`;
    if (root.op !== 'concat' && heightOf(root) >= MAX_HEIGHT) throw new RegexError(RegexErrorCode.NestingDepth, wrapped);
    checkSize(root, wrapped, 2);
    return root;
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private push(n: Node): void {
    this.top().cur.push(n);
  }

  private literal(cp: number): void {
    this.push({ op: 'literal', cp, fold: (this.flags & FOLD_CASE) !== 0 });
  }

  private openGroup(capture: boolean, name = ''): void {
    this.frames.push({ alts: [], cur: [], savedFlags: this.flags, capture, name });
  }

  private closeGroup(): void {
    if (this.frames.length === 1) throw new RegexError(RegexErrorCode.UnexpectedParen, this.src);
    const f = this.frames.pop()!;
    this.flags = f.savedFlags;
    const inner = finishFrame(f);
    const node: Node = f.capture ? { op: 'capture', sub: inner, name: f.name } : inner;
    checkHeight(node, this.src);
    this.push(node);
  }

  /** The code point at i; a lone surrogate is what Go would see as invalid UTF-8. */
  private codePointAt(i: number): number {
    const cp = this.src.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) throw new RegexError(RegexErrorCode.InvalidUTF8, this.src.slice(i));
    return cp;
  }

  private checkUTF8(from: number, to: number): void {
    for (let i = from; i < to; ) i += this.codePointAt(i) > 0xffff ? 2 : 1;
  }

  /** Applies a repetition operator (whose text starts at `start`) to the last item. */
  private repeat(op: 'star' | 'plus' | 'quest' | 'repeat', min: number, max: number, start: number, lastRepeat: number): void {
    const s = this.src;
    let greedy = (this.flags & NON_GREEDY) === 0;
    if (s.charCodeAt(this.pos) === 0x3f) {
      this.pos++;
      greedy = !greedy;
    }
    // Perl forbids stacking operators: a** is an error, not a doubled star.
    if (lastRepeat >= 0) throw new RegexError(RegexErrorCode.InvalidRepeatOp, s.slice(lastRepeat, this.pos));
    const cur = this.top().cur;
    if (cur.length === 0) throw new RegexError(RegexErrorCode.MissingRepeatArgument, s.slice(start, this.pos));
    const sub = cur.pop()!;
    const node: Node = op === 'repeat' ? { op, sub, min, max, greedy } : { op, sub, greedy };
    cur.push(node);
    checkHeight(node, s);
    if (op === 'repeat' && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      throw new RegexError(RegexErrorCode.InvalidRepeatSize, s.slice(start, this.pos));
    }
  }

  /** Parses {n}, {n,} or {n,m} at i; undefined when the text has another shape (then `{` is a literal). */
  private parseRepeat(i: number): { min: number; max: number; end: number } | undefined {
    const s = this.src;
    let p = i + 1;
    const a = this.parseInt(p);
    if (a === undefined) return undefined;
    const min = a.n;
    p = a.end;
    if (p >= s.length) return undefined;
    let max: number;
    if (s.charCodeAt(p) !== 0x2c) {
      max = min;
    } else {
      p++;
      if (p >= s.length) return undefined;
      if (s.charCodeAt(p) === 0x7d) {
        max = -1;
      } else {
        const b = this.parseInt(p);
        if (b === undefined) return undefined;
        max = b.n;
        p = b.end;
      }
    }
    if (p >= s.length || s.charCodeAt(p) !== 0x7d) return undefined;
    return { min, max, end: p + 1 };
  }

  /** Decimal digits without a leading zero; values too large for any valid count become 1e9. */
  private parseInt(i: number): { n: number; end: number } | undefined {
    const s = this.src;
    const isDigit = (k: number): boolean => {
      const c = s.charCodeAt(k);
      return c >= 0x30 && c <= 0x39;
    };
    if (!isDigit(i)) return undefined;
    if (s.charCodeAt(i) === 0x30 && isDigit(i + 1)) return undefined;
    let p = i;
    while (isDigit(p)) p++;
    const n = p - i > 8 ? 1e9 : Number(s.slice(i, p));
    return { n, end: p };
  }

  /** `(?` — flags, non-capturing groups and named captures. */
  private parsePerlFlags(): void {
    const s = this.src;
    const start = this.pos;
    const rest = s.length - start;
    const startsWithP = rest > 4 && s.charCodeAt(start + 2) === 0x50 && s.charCodeAt(start + 3) === 0x3c;
    const startsWithName = rest > 3 && s.charCodeAt(start + 2) === 0x3c;
    if (startsWithP || startsWithName) {
      // (?P<name>re) or (?<name>re). Note (?<=...) lands here too and is rejected as a bad name, as in Go.
      const end = s.indexOf('>', start);
      if (end < 0) {
        this.checkUTF8(start, s.length);
        throw new RegexError(RegexErrorCode.InvalidNamedCapture, s.slice(start));
      }
      const nameStart = start + (startsWithP ? 4 : 3);
      this.checkUTF8(nameStart, end);
      if (!isValidCaptureName(s.slice(nameStart, end))) {
        throw new RegexError(RegexErrorCode.InvalidNamedCapture, s.slice(start, end + 1));
      }
      this.openGroup(true, s.slice(nameStart, end));
      this.pos = end + 1;
      return;
    }
    let flags = this.flags;
    let negate = false;
    let sawFlag = false;
    let p = start + 2;
    while (p < s.length) {
      const c = this.codePointAt(p);
      p += c > 0xffff ? 2 : 1;
      let bit = 0;
      switch (c) {
        case 0x69: // i
          bit = FOLD_CASE;
          break;
        case 0x73: // s
          bit = DOT_NL;
          break;
        case 0x55: // U
          bit = NON_GREEDY;
          break;
        case 0x6d: // m clears OneLine; -m sets it
          flags = negate ? flags | ONE_LINE : flags & ~ONE_LINE;
          sawFlag = true;
          continue;
        case 0x2d: // -
          if (negate) throw new RegexError(RegexErrorCode.InvalidPerlOp, s.slice(start, p));
          negate = true;
          sawFlag = false;
          continue;
        case 0x3a: // :
        case 0x29: // )
          if (negate && !sawFlag) throw new RegexError(RegexErrorCode.InvalidPerlOp, s.slice(start, p));
          if (c === 0x3a) this.openGroup(false);
          this.flags = flags;
          this.pos = p;
          return;
        default:
          throw new RegexError(RegexErrorCode.InvalidPerlOp, s.slice(start, p));
      }
      flags = negate ? flags & ~bit : flags | bit;
      sawFlag = true;
    }
    throw new RegexError(RegexErrorCode.InvalidPerlOp, s.slice(start));
  }

  private parseBackslash(): void {
    const s = this.src;
    const i = this.pos;
    if (i + 1 < s.length) {
      switch (s.charCodeAt(i + 1)) {
        case 0x41: // \A
          this.push({ op: 'beginText' });
          this.pos += 2;
          return;
        case 0x62: // \b
          this.push({ op: 'wordBoundary' });
          this.pos += 2;
          return;
        case 0x42: // \B
          this.push({ op: 'noWordBoundary' });
          this.pos += 2;
          return;
        case 0x43: // \C: any byte; Go does not support it
          throw new RegexError(RegexErrorCode.InvalidEscape, '\\C');
        case 0x51: {
          // \Q...\E: literal text up to \E or the end
          const e = s.indexOf('\\E', i + 2);
          const end = e < 0 ? s.length : e;
          for (let p = i + 2; p < end; ) {
            const cp = this.codePointAt(p);
            p += cp > 0xffff ? 2 : 1;
            this.literal(cp);
          }
          this.pos = e < 0 ? s.length : e + 2;
          return;
        }
        case 0x7a: // \z
          this.push({ op: 'endText' });
          this.pos += 2;
          return;
        case 0x70: // \p
        case 0x50: {
          // \P
          const b = new ClassBuilder(this.flags);
          this.pos = this.parseUnicodeClass(i, b);
          this.push({ op: 'charClass', cls: b.finish(false) });
          return;
        }
        default: {
          const g = PERL_GROUPS[s.slice(i, i + 2)];
          if (g) {
            const b = new ClassBuilder(this.flags);
            b.addGroup(g.ranges, g.negated);
            this.push({ op: 'charClass', cls: b.finish(false) });
            this.pos += 2;
            return;
          }
        }
      }
    }
    const e = this.parseEscape(i);
    this.pos = e.end;
    this.literal(e.cp);
  }

  /** A single-character escape at i (which holds the backslash). */
  private parseEscape(i: number): { cp: number; end: number } {
    const s = this.src;
    let t = i + 1;
    if (t >= s.length) throw new RegexError(RegexErrorCode.TrailingBackslash, '');
    const c = this.codePointAt(t);
    t += c > 0xffff ? 2 : 1;
    const isOctal = (k: number): boolean => {
      const d = s.charCodeAt(k);
      return d >= 0x30 && d <= 0x37;
    };
    fail: {
      switch (c) {
        case 0x30:
        case 0x31:
        case 0x32:
        case 0x33:
        case 0x34:
        case 0x35:
        case 0x36:
        case 0x37: {
          // A single non-zero digit is a backreference, which RE2 does not support; \0 and \12 are octal.
          if (c !== 0x30 && !isOctal(t)) break fail;
          let r = c - 0x30;
          for (let k = 1; k < 3 && isOctal(t); k++, t++) r = r * 8 + (s.charCodeAt(t) - 0x30);
          return { cp: r, end: t };
        }
        case 0x78: {
          // \x
          if (t >= s.length) break fail;
          const c2 = this.codePointAt(t);
          t += c2 > 0xffff ? 2 : 1;
          if (c2 === 0x7b) {
            // \x{...}: at least one hex digit, up to U+10FFFF
            let r = 0;
            let nhex = 0;
            for (;;) {
              if (t >= s.length) break fail;
              const d = this.codePointAt(t);
              t += d > 0xffff ? 2 : 1;
              if (d === 0x7d) break;
              const v = unhex(d);
              if (v < 0) break fail;
              r = r * 16 + v;
              if (r > MAX_RUNE) break fail;
              nhex++;
            }
            if (nhex === 0) break fail;
            return { cp: r, end: t };
          }
          const x = unhex(c2);
          let y = -1;
          if (t < s.length) {
            const c3 = this.codePointAt(t);
            t += c3 > 0xffff ? 2 : 1;
            y = unhex(c3);
          }
          if (x < 0 || y < 0) break fail;
          return { cp: x * 16 + y, end: t };
        }
        case 0x61: // \a
          return { cp: 0x07, end: t };
        case 0x66: // \f
          return { cp: 0x0c, end: t };
        case 0x6e: // \n
          return { cp: 0x0a, end: t };
        case 0x72: // \r
          return { cp: 0x0d, end: t };
        case 0x74: // \t
          return { cp: 0x09, end: t };
        case 0x76: // \v
          return { cp: 0x0b, end: t };
        default:
          // Escaped ASCII punctuation is itself; escaped letters, digits and non-ASCII are errors.
          if (c < 0x80 && !isAlnum(c)) return { cp: c, end: t };
      }
    }
    throw new RegexError(RegexErrorCode.InvalidEscape, s.slice(i, t));
  }

  /** `\pX`, `\p{Name}`, `\PX`, `\P{^Name}` at i; adds the term to `b` and returns the end. */
  private parseUnicodeClass(i: number, b: ClassBuilder): number {
    const s = this.src;
    let negated = s.charCodeAt(i + 1) === 0x50;
    let seq: string;
    let name: string;
    let end: number;
    if (i + 2 >= s.length) {
      seq = s.slice(i, i + 2);
      name = '';
      end = i + 2;
    } else {
      const c = this.codePointAt(i + 2);
      if (c !== 0x7b) {
        end = i + 2 + (c > 0xffff ? 2 : 1);
        seq = s.slice(i, end);
        name = s.slice(i + 2, end);
      } else {
        const close = s.indexOf('}', i);
        if (close < 0) {
          this.checkUTF8(i, s.length);
          throw new RegexError(RegexErrorCode.InvalidCharRange, s.slice(i));
        }
        this.checkUTF8(i + 3, close);
        end = close + 1;
        seq = s.slice(i, end);
        name = s.slice(i + 3, close);
      }
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const table = unicodeTable(name);
    if (table === undefined) throw new RegexError(RegexErrorCode.InvalidCharRange, seq);
    b.addUnicode(table, negated);
    return end;
  }

  /** `[...]` at this.pos. */
  private parseClass(): void {
    const s = this.src;
    const start = this.pos;
    const b = new ClassBuilder(this.flags);
    let p = start + 1;
    let negate = false;
    if (s.charCodeAt(p) === 0x5e) {
      negate = true;
      p++;
    }
    let first = true; // ']' is a literal as the first member
    while (p >= s.length || s.charCodeAt(p) !== 0x5d || first) {
      first = false;
      if (s.length - p > 2 && s.charCodeAt(p) === 0x5b && s.charCodeAt(p + 1) === 0x3a) {
        const close = s.indexOf(':]', p + 2);
        if (close >= 0) {
          const name = s.slice(p, close + 2);
          const g = posixGroup(name);
          if (!g) throw new RegexError(RegexErrorCode.InvalidCharRange, name);
          b.addGroup(g.ranges, g.negated);
          p = close + 2;
          continue;
        }
      }
      if (s.charCodeAt(p) === 0x5c && p + 1 < s.length) {
        const n = s.charCodeAt(p + 1);
        if (n === 0x70 || n === 0x50) {
          p = this.parseUnicodeClass(p, b);
          continue;
        }
        const g = PERL_GROUPS[s.slice(p, p + 2)];
        if (g) {
          b.addGroup(g.ranges, g.negated);
          p += 2;
          continue;
        }
      }
      const rangeStart = p;
      const lo = this.parseClassChar(p, start);
      p = lo.end;
      let hi = lo.cp;
      // [a-] means a or -, so a range needs something other than ] after the dash.
      if (s.length - p >= 2 && s.charCodeAt(p) === 0x2d && s.charCodeAt(p + 1) !== 0x5d) {
        const h = this.parseClassChar(p + 1, start);
        p = h.end;
        hi = h.cp;
        if (hi < lo.cp) throw new RegexError(RegexErrorCode.InvalidCharRange, s.slice(rangeStart, p));
      }
      b.addRange(lo.cp, hi);
    }
    this.pos = p + 1;
    this.push({ op: 'charClass', cls: b.finish(negate) });
  }

  private parseClassChar(p: number, classStart: number): { cp: number; end: number } {
    const s = this.src;
    if (p >= s.length) throw new RegexError(RegexErrorCode.MissingBracket, s.slice(classStart));
    if (s.charCodeAt(p) === 0x5c) return this.parseEscape(p);
    const cp = this.codePointAt(p);
    return { cp, end: p + (cp > 0xffff ? 2 : 1) };
  }
}

function concatOf(items: readonly Node[]): Node {
  if (items.length === 0) return EMPTY_MATCH;
  if (items.length === 1) return items[0]!;
  const subs: Node[] = [];
  for (const n of items) {
    if (n.op === 'concat') subs.push(...n.subs);
    else subs.push(n);
  }
  return { op: 'concat', subs };
}

function finishFrame(f: Frame): Node {
  const last = concatOf(f.cur);
  if (f.alts.length === 0) return last;
  const subs: Node[] = [];
  for (const n of [...f.alts, last]) {
    if (n.op === 'alternate') subs.push(...n.subs);
    else subs.push(n);
  }
  return { op: 'alternate', subs };
}

// ---------------------------------------------------------------------------------------------
// Limits Go enforces while parsing

/** Go's rule: the product of nested counted repetitions may not exceed 1000. */
function repeatIsValid(n: Node, limit: number): boolean {
  if (n.op === 'repeat') {
    let m = n.max;
    if (m === 0) return true;
    if (m < 0) m = n.min;
    if (m > limit) return false;
    if (m > 0) limit = Math.floor(limit / m);
  }
  switch (n.op) {
    case 'capture':
    case 'star':
    case 'plus':
    case 'quest':
    case 'repeat':
      return repeatIsValid(n.sub, limit);
    case 'concat':
    case 'alternate':
      return n.subs.every((x) => repeatIsValid(x, limit));
    default:
      return true;
  }
}

const HEIGHTS = new WeakMap<Node, number>();

/** Height of the tree as Go counts it; memoized so checking every new node stays linear. */
function heightOf(n: Node): number {
  let h = HEIGHTS.get(n);
  if (h !== undefined) return h;
  switch (n.op) {
    case 'capture':
    case 'star':
    case 'plus':
    case 'quest':
    case 'repeat':
      h = 1 + heightOf(n.sub);
      break;
    case 'concat':
    case 'alternate':
      h = 0;
      for (const x of n.subs) h = Math.max(h, heightOf(x));
      h += 1;
      break;
    default:
      h = 1;
  }
  HEIGHTS.set(n, h);
  return h;
}

/** Go's nesting limit, checked as each composite node is built (as Go does). */
function checkHeight(n: Node, src: string): void {
  if (heightOf(n) > MAX_HEIGHT) throw new RegexError(RegexErrorCode.NestingDepth, src);
}

/** Go's program-size limit, on the finished tree (Go checks while building it; see REGEX.md). */
function checkSize(root: Node, src: string, extra: number): void {
  const size = (n: Node): number => {
    let sz: number;
    switch (n.op) {
      case 'capture':
      case 'star':
        sz = 2 + size(n.sub);
        break;
      case 'plus':
      case 'quest':
        sz = 1 + size(n.sub);
        break;
      case 'concat':
        sz = 0;
        for (const x of n.subs) sz += size(x);
        break;
      case 'alternate':
        sz = n.subs.length - 1;
        for (const x of n.subs) sz += size(x);
        break;
      case 'repeat': {
        const sub = size(n.sub);
        if (n.max === -1) sz = n.min === 0 ? 2 + sub : 1 + n.min * sub;
        else sz = n.max * sub + (n.max - n.min);
        break;
      }
      default:
        sz = 1;
    }
    return Math.max(1, sz);
  };
  if (size(root) + extra > MAX_SIZE) throw new RegexError(RegexErrorCode.Large, src);
}

// ---------------------------------------------------------------------------------------------
// Character classes

/** Sorts [lo, hi] pairs and merges overlapping or adjacent ones. */
function cleanRanges(r: number[]): number[] {
  if (r.length <= 2) return r;
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i]!, r[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: number[] = [pairs[0]![0], pairs[0]![1]];
  for (let i = 1; i < pairs.length; i++) {
    const [lo, hi] = pairs[i]!;
    if (lo <= out[out.length - 1]! + 1) {
      if (hi > out[out.length - 1]!) out[out.length - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** Complement of clean ranges within [0, U+10FFFF]. */
function negateRanges(r: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i]! > next) out.push(next, r[i]! - 1);
    next = r[i + 1]! + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

/** Adds the case-fold equivalents of every member (Go's appendFoldedRange). */
function foldRanges(r: readonly number[]): number[] {
  const out = r.slice();
  const t = foldTable();
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i]!;
    const hi = r[i + 1]!;
    // The cased code points within [lo, hi], by binary search over the sorted list.
    let a = 0;
    let b = t.cased.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (t.cased[m]! < lo) a = m + 1;
      else b = m;
    }
    for (let k = a; k < t.cased.length && t.cased[k]! <= hi; k++) {
      for (const o of t.orbits.get(t.cased[k]!)!) out.push(o, o);
    }
  }
  return cleanRanges(out);
}

/** Accumulates the members of one class as Go's parser does, applying (?i) as it goes. */
class ClassBuilder {
  private ranges: number[] = [];
  private readonly props: PropTerm[] = [];

  constructor(private readonly flags: number) {}

  private get fold(): boolean {
    return (this.flags & FOLD_CASE) !== 0;
  }

  addRange(lo: number, hi: number): void {
    if (this.fold) this.ranges.push(...foldRanges([lo, hi]));
    else this.ranges.push(lo, hi);
  }

  /** A Perl or POSIX group: folded first, then negated (so (?i)\W excludes ſ and K). */
  addGroup(ranges: readonly number[], negated: boolean): void {
    let r = this.fold ? foldRanges(ranges) : ranges.slice();
    if (negated) r = negateRanges(r);
    this.ranges.push(...r);
  }

  addUnicode(table: UnicodeTable, negated: boolean): void {
    if (table === 'Any') {
      if (!negated) this.ranges.push(0, MAX_RUNE);
      return;
    }
    const extras = this.fold ? foldExtras(table) : [];
    if (negated) {
      this.props.push({ names: table, negated, extras });
    } else {
      this.props.push({ names: table, negated, extras: [] });
      this.ranges.push(...extras);
    }
  }

  finish(negate: boolean): CharClass {
    const ranges = cleanRanges(this.ranges);
    if (this.props.length === 0) return { ranges: negate ? negateRanges(ranges) : ranges, props: [], negated: false };
    return { ranges, props: this.props, negated: negate };
  }
}

// ---------------------------------------------------------------------------------------------
// Unicode tables: the names Go's regexp accepts, evaluated by the JS engine's own tables

type UnicodeTable = 'Any' | readonly string[];

// unicode.Categories of the Go toolchain Prometheus 3 is built with (1.25 added Cn and LC).
const CATEGORIES = new Set(
  'C Cc Cf Cn Co Cs L LC Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

// unicode.Scripts (Unicode 15.0), by the long names Go uses as keys.
const SCRIPTS = new Set(
  (
    'Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki ' +
    'Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee ' +
    'Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan ' +
    'Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi ' +
    'Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited ' +
    'Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi ' +
    'Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani ' +
    'Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui ' +
    'Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nag_Mundari Nandinagari ' +
    'New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian ' +
    'Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong ' +
    'Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian ' +
    'Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le ' +
    'Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai ' +
    'Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square'
  ).split(' '),
);

/** Go's `unicodeTable`: exact, case-sensitive names. Go's C has no unassigned code points (JS's \p{C} does). */
function unicodeTable(name: string): UnicodeTable | undefined {
  if (name === 'Any') return 'Any';
  if (name === 'C') return ['Cc', 'Cf', 'Co', 'Cs'];
  if (CATEGORIES.has(name)) return [name];
  if (SCRIPTS.has(name)) return [`Script=${name}`];
  return undefined;
}

/** The Unicode names Go accepts in \p{...}, for tests and documentation. */
export function unicodeClassNames(): string[] {
  return ['Any', ...CATEGORIES, ...SCRIPTS];
}

function propSource(names: readonly string[]): string {
  return names.map((n) => `\\p{${n}}`).join('');
}

const foldExtrasCache = new Map<string, number[]>();

/** Code points outside the property that fold to a member (Go's FoldCategory / FoldScript tables). */
function foldExtras(names: readonly string[]): number[] {
  const key = names.join(',');
  let out = foldExtrasCache.get(key);
  if (out) return out;
  const re = new RegExp(`^[${propSource(names)}]$`, 'u');
  const t = foldTable();
  const ranges: number[] = [];
  for (const c of t.cased) {
    if (re.test(String.fromCodePoint(c))) continue;
    if (t.orbits.get(c)!.some((o) => re.test(String.fromCodePoint(o)))) ranges.push(c, c);
  }
  out = cleanRanges(ranges);
  foldExtrasCache.set(key, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Case folding: Go's (?i) matches every member of a simple-case-folding orbit (k, K and U+212A
// KELVIN SIGN). JS has no scoped (?i) before Node 23, so folded literals and classes are expanded
// into explicit classes. The orbits come from the engine itself: candidates are linked through
// toLowerCase/toUpperCase, then split by what /x/iu matches, which is simple case folding.

interface FoldTable {
  /** Every code point whose orbit has more than one member, ascending. */
  readonly cased: readonly number[];
  /** Its orbit (all members, ascending, including itself). */
  readonly orbits: ReadonlyMap<number, readonly number[]>;
}

let FOLD_TABLE: FoldTable | undefined;

function foldTable(): FoldTable {
  if (FOLD_TABLE) return FOLD_TABLE;
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const single = (s: string): number => {
    const c = s.codePointAt(0)!;
    return s.length === (c > 0xffff ? 2 : 1) ? c : -1;
  };
  const byFullUpper = new Map<string, number>();
  for (let c = 0x41; c <= 0x1ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCodePoint(c);
    const lo = ch.toLowerCase();
    const up = ch.toUpperCase();
    if (lo !== ch) {
      const l = single(lo);
      if (l >= 0) union(c, l);
    }
    if (up !== ch) {
      const u = single(up);
      if (u >= 0) union(c, u);
      else {
        // Letters without a one-to-one uppercase (U+0390/U+1FD3, U+FB05/U+FB06) may still fold together.
        const other = byFullUpper.get(up);
        if (other !== undefined) union(c, other);
        else byFullUpper.set(up, c);
      }
    }
  }
  const groups = new Map<number, number[]>();
  for (const c of parent.keys()) {
    const r = find(c);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(c);
  }
  const orbits = new Map<number, number[]>();
  for (const g of groups.values()) {
    let rest = g.sort((a, b) => a - b);
    while (rest.length > 1) {
      const re = new RegExp(`^\\u{${rest[0]!.toString(16)}}$`, 'iu');
      const orbit = rest.filter((x) => re.test(String.fromCodePoint(x)));
      rest = rest.filter((x) => !orbit.includes(x));
      if (orbit.length > 1) for (const x of orbit) orbits.set(x, orbit);
    }
  }
  FOLD_TABLE = { cased: [...orbits.keys()].sort((a, b) => a - b), orbits };
  return FOLD_TABLE;
}

/** The code points (?i) makes equivalent to c, c included. */
function orbitOf(c: number): readonly number[] {
  return foldTable().orbits.get(c) ?? [c];
}

// ---------------------------------------------------------------------------------------------
// JavaScript emission. Only the `u` flag is used: case folding, dot-all and multi-line are all
// spelled out, so every construct keeps Go's meaning whatever flags surround it.

function hexEscape(c: number): string {
  return `\\u{${c.toString(16)}}`;
}

function escapeLiteral(c: number): string {
  // Letters, digits and a few safe punctuation marks stay readable; the rest is escaped.
  if (isAlnum(c) || c === 0x5f || c === 0x20 || c === 0x2d || c === 0x3a || c === 0x2c || c === 0x3d) {
    return String.fromCharCode(c);
  }
  return hexEscape(c);
}

function escapeClassMember(c: number): string {
  return isAlnum(c) || c === 0x5f ? String.fromCharCode(c) : hexEscape(c);
}

function rangesSource(r: readonly number[]): string {
  let out = '';
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i]!;
    const hi = r[i + 1]!;
    out += lo === hi ? escapeClassMember(lo) : `${escapeClassMember(lo)}-${escapeClassMember(hi)}`;
  }
  return out;
}

/** A self-contained atom matching exactly one code point of the class. */
function classSource(cls: CharClass): string {
  let inner = rangesSource(cls.ranges);
  // Complements of unions can't sit inside [...] in `u` mode; they become alternatives or lookaheads.
  const complements: string[] = [];
  for (const p of cls.props) {
    if (!p.negated) inner += propSource(p.names);
    else if (p.names.length === 1 && p.extras.length === 0) inner += `\\P{${p.names[0]}}`;
    else complements.push(propSource(p.names) + rangesSource(p.extras));
  }
  if (!cls.negated) {
    if (complements.length === 0) return `[${inner}]`;
    const alts = complements.map((c) => `[^${c}]`);
    if (inner !== '') alts.unshift(`[${inner}]`);
    return alts.length === 1 ? alts[0]! : `(?:${alts.join('|')})`;
  }
  if (complements.length === 0) return `[^${inner}]`;
  return `(?:${complements.map((c) => `(?=[${c}])`).join('')}[^${inner}])`;
}

type Ctx = 'top' | 'concat' | 'operand';

// With `caps`, capture groups are emitted as JS groups (same numbering as Go, unnamed since JS rejects duplicate names).
function emit(n: Node, ctx: Ctx, caps = false): string {
  switch (n.op) {
    case 'literal': {
      if (!n.fold) return escapeLiteral(n.cp);
      const o = orbitOf(n.cp);
      return o.length === 1 ? escapeLiteral(n.cp) : `[${o.map(escapeClassMember).join('')}]`;
    }
    case 'charClass':
      return classSource(n.cls);
    case 'anyChar':
      return '[^]';
    case 'anyCharNotNL':
      return '[^\\n]';
    case 'beginText':
      return ctx === 'operand' ? '(?:^)' : '^';
    case 'endText':
      return ctx === 'operand' ? '(?:$)' : '$';
    case 'beginLine':
      return '(?:(?<![^\\n]))';
    case 'endLine':
      return '(?:(?![^\\n]))';
    case 'wordBoundary':
      return ctx === 'operand' ? '(?:\\b)' : '\\b';
    case 'noWordBoundary':
      return ctx === 'operand' ? '(?:\\B)' : '\\B';
    case 'emptyMatch':
      return '(?:)';
    case 'capture':
      return caps ? `(${emit(n.sub, 'top', true)})` : emit(n.sub, ctx);
    case 'concat': {
      const s = n.subs.map((x) => emit(x, 'concat', caps)).join('');
      return ctx === 'operand' ? `(?:${s})` : s;
    }
    case 'alternate': {
      const s = n.subs.map((x) => emit(x, 'top', caps)).join('|');
      return ctx === 'top' ? s : `(?:${s})`;
    }
    case 'star':
    case 'plus':
    case 'quest':
    case 'repeat': {
      let q: string;
      if (n.op === 'repeat') q = n.max === -1 ? `{${n.min},}` : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
      else q = n.op === 'star' ? '*' : n.op === 'plus' ? '+' : '?';
      // Greediness cannot change whether a fully anchored match exists; it is kept for fidelity.
      const r = emit(n.sub, 'operand', caps) + q + (n.greedy ? '' : '?');
      // Go allows x{0}* (its lastRepeat check resets across (?i)); JS needs a group to repeat a repetition.
      return ctx === 'operand' ? `(?:${r})` : r;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis for the fast paths

const MAX_SET_MATCHES = 256;

/** The one code point a node always matches, or -1. */
function singleCodePoint(n: Node): number {
  if (n.op === 'literal') return !n.fold || orbitOf(n.cp).length === 1 ? n.cp : -1;
  if (n.op === 'charClass' && n.cls.props.length === 0 && n.cls.ranges.length === 2 && n.cls.ranges[0] === n.cls.ranges[1]) {
    return n.cls.ranges[0]!;
  }
  if (n.op === 'capture') return singleCodePoint(n.sub);
  return -1;
}

function isZeroWidthAtStart(n: Node): boolean {
  return n.op === 'beginText' || n.op === 'beginLine' || n.op === 'emptyMatch';
}

function isZeroWidthAtEnd(n: Node): boolean {
  return n.op === 'endText' || n.op === 'endLine' || n.op === 'emptyMatch';
}

/** The top-level items, without captures and without anchors that are redundant in a fully anchored match. */
function topItems(root: Node): Node[] {
  while (root.op === 'capture') root = root.sub;
  const items = root.op === 'concat' ? root.subs.slice() : [root];
  while (items.length > 0 && isZeroWidthAtStart(items[0]!)) items.shift();
  while (items.length > 0 && isZeroWidthAtEnd(items[items.length - 1]!)) items.pop();
  return items;
}

/** Every string the node matches, when there are at most MAX_SET_MATCHES of them. */
function expandSet(n: Node): string[] | undefined {
  switch (n.op) {
    case 'literal': {
      const o = n.fold ? orbitOf(n.cp) : [n.cp];
      return o.map((c) => String.fromCodePoint(c));
    }
    case 'charClass': {
      if (n.cls.props.length > 0) return undefined;
      const r = n.cls.ranges;
      let count = 0;
      for (let i = 0; i < r.length; i += 2) count += r[i + 1]! - r[i]! + 1;
      if (count > MAX_SET_MATCHES) return undefined;
      const out: string[] = [];
      for (let i = 0; i < r.length; i += 2) for (let c = r[i]!; c <= r[i + 1]!; c++) out.push(String.fromCodePoint(c));
      return out;
    }
    case 'emptyMatch':
      return [''];
    case 'capture':
      return expandSet(n.sub);
    case 'concat':
      return expandConcat(n.subs);
    case 'alternate': {
      const out: string[] = [];
      for (const x of n.subs) {
        const e = expandSet(x);
        if (!e || out.length + e.length > MAX_SET_MATCHES) return undefined;
        out.push(...e);
      }
      return out;
    }
    case 'quest': {
      const e = expandSet(n.sub);
      return e && e.length < MAX_SET_MATCHES ? ['', ...e] : undefined;
    }
    case 'repeat': {
      if (n.max < 0) return undefined;
      const out: string[] = [];
      for (let k = n.min; k <= n.max; k++) {
        const e = expandConcat(new Array<Node>(k).fill(n.sub));
        if (!e || out.length + e.length > MAX_SET_MATCHES) return undefined;
        out.push(...e);
      }
      return out;
    }
    default:
      return undefined;
  }
}

function expandConcat(items: readonly Node[]): string[] | undefined {
  let acc = [''];
  for (const x of items) {
    const e = expandSet(x);
    if (!e || acc.length * e.length > MAX_SET_MATCHES) return undefined;
    const next: string[] = [];
    for (const a of acc) for (const b of e) next.push(a + b);
    acc = next;
  }
  return acc;
}

/** The literal text every match starts with; `exact` when the node matches only that text. */
function requiredPrefix(n: Node): { s: string; exact: boolean } {
  switch (n.op) {
    case 'literal':
    case 'charClass': {
      const c = singleCodePoint(n);
      return c < 0 ? { s: '', exact: false } : { s: String.fromCodePoint(c), exact: true };
    }
    case 'emptyMatch':
    case 'beginText':
    case 'beginLine':
    case 'endText':
    case 'endLine':
    case 'wordBoundary':
    case 'noWordBoundary':
      return { s: '', exact: true };
    case 'capture':
      return requiredPrefix(n.sub);
    case 'concat': {
      let s = '';
      for (const x of n.subs) {
        const p = requiredPrefix(x);
        s += p.s;
        if (!p.exact) return { s, exact: false };
      }
      return { s, exact: true };
    }
    case 'alternate': {
      const ps = n.subs.map(requiredPrefix);
      let common = ps[0]!.s;
      for (const p of ps) {
        let i = 0;
        while (i < common.length && i < p.s.length && common.charCodeAt(i) === p.s.charCodeAt(i)) i++;
        common = common.slice(0, i);
      }
      // Never split a surrogate pair.
      const last = common.charCodeAt(common.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) common = common.slice(0, -1);
      return { s: common, exact: ps.every((p) => p.exact && p.s === common) };
    }
    case 'plus':
      return { s: requiredPrefix(n.sub).s, exact: false };
    case 'repeat':
      if (n.min === 0) return { s: '', exact: false };
      return { s: requiredPrefix(n.sub).s, exact: false };
    default:
      return { s: '', exact: false };
  }
}

/** The one string a node matches unconditionally (literals, no assertions), or undefined. */
function exactLiteral(n: Node): string | undefined {
  switch (n.op) {
    case 'emptyMatch':
      return '';
    case 'capture':
      return exactLiteral(n.sub);
    case 'concat': {
      let s = '';
      for (const x of n.subs) {
        const l = exactLiteral(x);
        if (l === undefined) return undefined;
        s += l;
      }
      return s;
    }
    default: {
      const c = singleCodePoint(n);
      return c < 0 ? undefined : String.fromCodePoint(c);
    }
  }
}

/** `.*` / `.+` with `.` matching newlines: the minimum number of code points, or -1. */
function wildcardMin(n: Node): number {
  if ((n.op === 'star' || n.op === 'plus') && n.sub.op === 'anyChar') return n.op === 'star' ? 0 : 1;
  if (n.op === 'capture') return wildcardMin(n.sub);
  return -1;
}

/**
 * A glob: literals separated by `.*`/`.+` wildcards, e.g. `foo.*`, `.*foo.*`, `a.*b.+c`.
 * `lits` has one more entry than `mins`; the first and last may be empty.
 */
interface Glob {
  readonly lits: readonly string[];
  readonly mins: readonly number[];
}

function globOf(items: readonly Node[]): Glob | undefined {
  const lits: string[] = [''];
  const mins: number[] = [];
  let lastWasWildcard = false;
  for (const x of items) {
    const m = wildcardMin(x);
    if (m >= 0) {
      if (lastWasWildcard) {
        // `.+.+` needs two code points, which a UTF-16 length can't tell from one astral one.
        const merged = mins[mins.length - 1]! + m;
        if (merged > 1) return undefined;
        mins[mins.length - 1] = merged;
      } else {
        mins.push(m);
        lits.push('');
      }
      lastWasWildcard = true;
      continue;
    }
    const lit = exactLiteral(x);
    if (lit === undefined) return undefined;
    // An empty literal does not separate wildcards: `.+(?:).+` still needs two code points.
    if (lit === '') continue;
    lits[lits.length - 1] += lit;
    lastWasWildcard = false;
  }
  return mins.length === 0 ? undefined : { lits, mins };
}

// ---------------------------------------------------------------------------------------------
// Public API

/** How a FastRegexMatcher decides; exposed for tests and for `isRegexOptimized`. */
export const RegexMatchKind = {
  /** The regex matches exactly one string. */
  Equal: 'equal',
  /** A small finite set of strings (alternations of literals, small classes). */
  Set: 'set',
  /** `.*`: everything. */
  Any: 'any',
  /** `.+`: every non-empty string. */
  NonEmpty: 'non_empty',
  /** Literals and `.*`/`.+` wildcards: prefix, suffix and in-order substring checks. */
  Glob: 'glob',
  /** The general case: a JavaScript RegExp, after a literal-prefix check when there is one. */
  RegExp: 'regexp',
} as const;
export type RegexMatchKind = (typeof RegexMatchKind)[keyof typeof RegexMatchKind];

/** Compiles `src` to a JavaScript RegExp with Prometheus semantics (RE2 syntax, fully anchored, `.` matches `\n`). */
export function compileRegex(src: string): RegExp {
  return toRegExp(new Parser(src).parse(), src);
}

function toRegExp(root: Node, src: string): RegExp {
  const body = emit(root, 'top');
  try {
    return new RegExp(`^(?:${body})$`, 'u');
  } catch (err) {
    // The emitter produced something JS rejects: our bug, not the user's.
    throw new RegexError(RegexErrorCode.InternalError, src, { cause: err });
  }
}

/**
 * A fully anchored RegExp whose groups are the pattern's capture groups, numbered as in Go;
 * `names[i]` is group i's name ('' when unnamed; `names[0]` is the whole match). For replacements.
 */
export function compileRegexWithCaptures(src: string): { re: RegExp; names: readonly string[] } {
  const root = new Parser(src).parse();
  const names: string[] = [''];
  collectCaptureNames(root, names);
  try {
    return { re: new RegExp(`^(?:${emit(root, 'top', true)})$`, 'u'), names };
  } catch (err) {
    throw new RegexError(RegexErrorCode.InternalError, src, { cause: err });
  }
}

function collectCaptureNames(n: Node, out: string[]): void {
  if (n.op === 'capture') out.push(n.name);
  if ('sub' in n) collectCaptureNames(n.sub, out);
  if ('subs' in n) for (const x of n.subs) collectCaptureNames(x, out);
}

/** Escapes every RE2 metacharacter in `s` (Go's regexp.QuoteMeta). */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * A compiled `=~` regex. Like Prometheus' FastRegexMatcher it recognises common shapes and
 * answers them with string operations that allocate nothing; everything else runs a RegExp.
 */
export class FastRegexMatcher {
  readonly kind: RegexMatchKind;
  private readonly literal: string = '';
  private readonly set: ReadonlySet<string> | undefined;
  private readonly setList: readonly string[] | undefined;
  private readonly glob: Glob | undefined;
  private readonly re: RegExp | undefined;
  private readonly requiredPrefix: string;

  /** Throws RegexError with Prometheus' message when `src` is not a valid RE2 regex. */
  constructor(readonly src: string) {
    const root = new Parser(src).parse();
    this.requiredPrefix = requiredPrefix(root).s;
    const items = topItems(root);
    const set = expandSet(concatOf(items));
    if (set) {
      const unique = [...new Set(set)];
      this.setList = unique;
      if (unique.length === 1) {
        this.kind = RegexMatchKind.Equal;
        this.literal = unique[0]!;
      } else {
        this.kind = RegexMatchKind.Set;
        this.set = new Set(unique);
      }
      return;
    }
    const glob = globOf(items);
    if (glob && glob.mins.length === 1 && glob.lits[0] === '' && glob.lits[1] === '') {
      this.kind = glob.mins[0] === 0 ? RegexMatchKind.Any : RegexMatchKind.NonEmpty;
      return;
    }
    if (glob) {
      this.kind = RegexMatchKind.Glob;
      this.glob = glob;
      return;
    }
    this.kind = RegexMatchKind.RegExp;
    this.re = toRegExp(root, src);
  }

  matchString(s: string): boolean {
    switch (this.kind) {
      case RegexMatchKind.Equal:
        return s === this.literal;
      case RegexMatchKind.Set:
        return this.set!.has(s);
      case RegexMatchKind.Any:
        return true;
      case RegexMatchKind.NonEmpty:
        return s.length > 0;
      case RegexMatchKind.Glob:
        return globMatch(this.glob!, s);
      case RegexMatchKind.RegExp:
        return s.startsWith(this.requiredPrefix) && this.re!.test(s);
    }
  }

  /** The strings this regex matches when it matches only a few (up to 256), else undefined. A copy. */
  setMatches(): string[] | undefined {
    return this.setList?.slice();
  }

  /** Text every match starts with ('' when none), usable to narrow a sorted scan of label values. */
  prefix(): string {
    return this.requiredPrefix;
  }

  /** The equivalent JavaScript RegExp (always available, whatever the fast path). */
  regExp(): RegExp {
    return this.re ?? compileRegex(this.src);
  }
}

function globMatch(g: Glob, s: string): boolean {
  const lits = g.lits;
  const mins = g.mins;
  const k = mins.length;
  const first = lits[0]!;
  const last = lits[k]!;
  if (!s.startsWith(first)) return false;
  let pos = first.length;
  const end = s.length - last.length;
  if (end < pos || !s.endsWith(last)) return false;
  // Placing each middle literal as early as possible leaves the most room for the rest.
  for (let i = 1; i < k; i++) {
    const lit = lits[i]!;
    const idx = s.indexOf(lit, pos + mins[i - 1]!);
    if (idx < 0 || idx + lit.length > end) return false;
    pos = idx + lit.length;
  }
  return end - pos >= mins[k - 1]!;
}
