// PromQL lexer: turns a query into items the way Prometheus' lexer (promql/parser/lex.go) does,
// including its modes (inside braces, inside brackets) and its exact error texts.

import { goQuoteRune, goQuoteString, goQuoteTruncated, goUnicodeFormat as goUnicode } from './gofmt.ts';

export const T = {
  ERROR: 0,
  EOF: 1,
  COMMENT: 2,
  IDENTIFIER: 3,
  METRIC_IDENTIFIER: 4,
  STRING: 5,
  NUMBER: 6,
  DURATION: 7,
  LEFT_PAREN: 8,
  RIGHT_PAREN: 9,
  LEFT_BRACE: 10,
  RIGHT_BRACE: 11,
  LEFT_BRACKET: 12,
  RIGHT_BRACKET: 13,
  COMMA: 14,
  EQL: 15,
  COLON: 16,
  // Operators.
  ADD: 20,
  DIV: 21,
  EQLC: 22,
  EQL_REGEX: 23,
  GTE: 24,
  GTR: 25,
  TRIM_UPPER: 26,
  TRIM_LOWER: 27,
  LAND: 28,
  LOR: 29,
  LSS: 30,
  LTE: 31,
  LUNLESS: 32,
  MOD: 33,
  MUL: 34,
  NEQ: 35,
  NEQ_REGEX: 36,
  POW: 37,
  SUB: 38,
  AT: 39,
  ATAN2: 40,
  // Aggregators.
  AVG: 50,
  BOTTOMK: 51,
  COUNT: 52,
  COUNT_VALUES: 53,
  GROUP: 54,
  MAX: 55,
  MIN: 56,
  QUANTILE: 57,
  STDDEV: 58,
  STDVAR: 59,
  SUM: 60,
  TOPK: 61,
  LIMITK: 62,
  LIMIT_RATIO: 63,
  // Keywords.
  BOOL: 70,
  BY: 71,
  GROUP_LEFT: 72,
  GROUP_RIGHT: 73,
  FILL: 74,
  FILL_LEFT: 75,
  FILL_RIGHT: 76,
  IGNORING: 77,
  OFFSET: 78,
  SMOOTHED: 79,
  ANCHORED: 80,
  ON: 81,
  WITHOUT: 82,
  // Preprocessors.
  START: 90,
  END: 91,
  STEP: 92,
  RANGE: 93,
  MAX_OF: 94,
  MIN_OF: 95,
} as const;
export type TokenType = (typeof T)[keyof typeof T];

export interface Token {
  type: TokenType;
  /** Offset of the first character (UTF-16 units). */
  pos: number;
  /** The text of the item; the message for ERROR items. */
  val: string;
}

export const isOperator = (t: TokenType): boolean => t >= T.ADD && t <= T.ATAN2;
export const isAggregator = (t: TokenType): boolean => t >= T.AVG && t <= T.LIMIT_RATIO;
export const isKeyword = (t: TokenType): boolean => t >= T.BOOL && t <= T.WITHOUT;
export const isComparisonOperator = (t: TokenType): boolean =>
  t === T.EQLC || t === T.NEQ || t === T.LTE || t === T.LSS || t === T.GTE || t === T.GTR;
export const isSetOperator = (t: TokenType): boolean => t === T.LAND || t === T.LOR || t === T.LUNLESS;

const KEYWORDS: Record<string, TokenType> = {
  and: T.LAND,
  or: T.LOR,
  unless: T.LUNLESS,
  atan2: T.ATAN2,
  sum: T.SUM,
  avg: T.AVG,
  count: T.COUNT,
  min: T.MIN,
  max: T.MAX,
  group: T.GROUP,
  stddev: T.STDDEV,
  stdvar: T.STDVAR,
  topk: T.TOPK,
  bottomk: T.BOTTOMK,
  count_values: T.COUNT_VALUES,
  quantile: T.QUANTILE,
  limitk: T.LIMITK,
  limit_ratio: T.LIMIT_RATIO,
  offset: T.OFFSET,
  smoothed: T.SMOOTHED,
  anchored: T.ANCHORED,
  by: T.BY,
  without: T.WITHOUT,
  on: T.ON,
  ignoring: T.IGNORING,
  group_left: T.GROUP_LEFT,
  group_right: T.GROUP_RIGHT,
  fill: T.FILL,
  fill_left: T.FILL_LEFT,
  fill_right: T.FILL_RIGHT,
  bool: T.BOOL,
  start: T.START,
  end: T.END,
  step: T.STEP,
  range: T.RANGE,
  max_of: T.MAX_OF,
  min_of: T.MIN_OF,
};

/** The canonical text of each fixed item type (Prometheus' ItemTypeStr). */
export const TOKEN_TEXT: Partial<Record<TokenType, string>> = {
  [T.LEFT_PAREN]: '(',
  [T.RIGHT_PAREN]: ')',
  [T.LEFT_BRACE]: '{',
  [T.RIGHT_BRACE]: '}',
  [T.LEFT_BRACKET]: '[',
  [T.RIGHT_BRACKET]: ']',
  [T.COMMA]: ',',
  [T.EQL]: '=',
  [T.COLON]: ':',
  [T.SUB]: '-',
  [T.ADD]: '+',
  [T.MUL]: '*',
  [T.MOD]: '%',
  [T.DIV]: '/',
  [T.EQLC]: '==',
  [T.NEQ]: '!=',
  [T.LTE]: '<=',
  [T.LSS]: '<',
  [T.GTE]: '>=',
  [T.GTR]: '>',
  [T.TRIM_UPPER]: '</',
  [T.TRIM_LOWER]: '>/',
  [T.EQL_REGEX]: '=~',
  [T.NEQ_REGEX]: '!~',
  [T.POW]: '^',
  [T.AT]: '@',
};
for (const [word, type] of Object.entries(KEYWORDS)) TOKEN_TEXT[type] = word;

const DURATION_KEYWORDS: Record<string, TokenType> = { step: T.STEP, range: T.RANGE, max_of: T.MAX_OF, min_of: T.MIN_OF };

/** Prometheus' Item.String(). */
export function tokenString(tok: Token): string {
  const t = tok.type;
  if (t === T.EOF) return 'EOF';
  if (t === T.ERROR) return tok.val;
  if (t === T.IDENTIFIER || t === T.METRIC_IDENTIFIER) return goQuoteString(tok.val);
  if (isKeyword(t)) return `<${tok.val}>`;
  if (isOperator(t)) return `<op:${tok.val}>`;
  if (isAggregator(t)) return `<aggr:${tok.val}>`;
  if (utf8Length(tok.val) > 10) return goQuoteTruncated(tok.val, 10) + '...';
  return goQuoteString(tok.val);
}

/** Prometheus' Item.desc(), used in "unexpected ..." messages. */
export function tokenDesc(tok: Token): string {
  if (TOKEN_TEXT[tok.type] !== undefined) return tokenString(tok);
  switch (tok.type) {
    case T.EOF:
      return 'end of input';
    case T.ERROR:
      return 'error ' + tokenString(tok);
    case T.COMMENT:
      return 'comment ' + tokenString(tok);
    case T.IDENTIFIER:
      return 'identifier ' + tokenString(tok);
    case T.METRIC_IDENTIFIER:
      return 'metric identifier ' + tokenString(tok);
    case T.STRING:
      return 'string ' + tokenString(tok);
    case T.NUMBER:
      return 'number ' + tokenString(tok);
    case T.DURATION:
      return 'duration ' + tokenString(tok);
  }
  return `<Item ${tok.type}>`;
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

const EOF_RUNE = -1;
/** Go's utf8.RuneError: a literal U+FFFD and undecodable input (lone surrogates here) both read as it. */
const RUNE_ERROR = 0xfffd;

const isSpace = (r: number): boolean => r === 0x20 || r === 0x09 || r === 0x0a || r === 0x0d;
const isDigit = (r: number): boolean => r >= 0x30 && r <= 0x39;
const isAlpha = (r: number): boolean => r === 0x5f || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a);
const isAlphaNumeric = (r: number): boolean => isAlpha(r) || isDigit(r);
const isDurationKeywordStart = (r: number): boolean => {
  const l = r | 0x20;
  return isAlpha(r) && (l === 0x73 /* s */ || l === 0x72 /* r */ || l === 0x6d) /* m */;
};

const Mode = { Statements: 0, InsideBraces: 1, DurationExpr: 2, Done: 3 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

/**
 * Produces one item per call of `next()`. After an ERROR item the lexer is finished; the parser
 * stops there (Prometheus treats the error as the end of input).
 */
export class Lexer {
  private pos = 0;
  private start = 0;
  private width = 0;
  private mode: Mode = Mode.Statements;
  private parenDepth = 0;
  private braceOpen = false;
  private bracketOpen = false;
  private gotColon = false;
  private gotDuration = false;
  private stringOpen = 0;
  private item: Token | undefined;

  constructor(readonly input: string) {}

  /** Start of the item being scanned (where a lexer error is reported). */
  get errorStart(): number {
    return this.start;
  }

  next(): Token {
    this.item = undefined;
    if (this.mode === Mode.Done) return { type: T.EOF, pos: this.pos, val: '' };
    while (this.item === undefined) this.step();
    return this.item;
  }

  private readRune(): number {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF_RUNE;
    }
    const c = this.input.charCodeAt(this.pos);
    if (c < 0xd800 || c > 0xdfff) {
      this.width = 1;
      this.pos += 1;
      return c;
    }
    if (c <= 0xdbff && this.pos + 1 < this.input.length) {
      const d = this.input.charCodeAt(this.pos + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        this.width = 2;
        this.pos += 2;
        return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      }
    }
    this.width = 1;
    this.pos += 1;
    return RUNE_ERROR;
  }

  private backup(): void {
    this.pos -= this.width;
  }

  private peek(): number {
    const r = this.readRune();
    this.backup();
    return r;
  }

  private accept(valid: string): boolean {
    const r = this.readRune();
    if (r !== EOF_RUNE && valid.includes(String.fromCharCode(r))) return true;
    this.backup();
    return false;
  }

  private is(valid: string): boolean {
    const r = this.peek();
    return r !== EOF_RUNE && r < 0x80 && valid.includes(String.fromCharCode(r));
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid)) {
      // consume
    }
  }

  private emit(type: TokenType): void {
    this.item = { type, pos: this.start, val: this.input.slice(this.start, this.pos) };
    this.start = this.pos;
  }

  private error(msg: string): void {
    this.item = { type: T.ERROR, pos: this.start, val: msg };
    this.mode = Mode.Done;
  }

  private step(): void {
    switch (this.mode) {
      case Mode.Statements:
        this.lexStatements();
        return;
      case Mode.InsideBraces:
        this.lexInsideBraces();
        return;
      case Mode.DurationExpr:
        this.lexDurationExpr();
        return;
      case Mode.Done:
        this.emit(T.EOF);
        return;
    }
  }

  private skipSpaces(): void {
    while (isSpace(this.peek())) this.readRune();
    this.start = this.pos;
  }

  private lexStatements(): void {
    if (this.braceOpen) {
      this.mode = Mode.InsideBraces;
      return;
    }
    if (this.input.charCodeAt(this.pos) === 0x23 /* # */) {
      this.lexLineComment();
      return;
    }
    const r = this.readRune();
    if (r === EOF_RUNE) {
      if (this.parenDepth !== 0) return this.error('unclosed left parenthesis');
      if (this.bracketOpen) return this.error('unclosed left bracket');
      this.emit(T.EOF);
      this.mode = Mode.Done;
      return;
    }
    switch (r) {
      case 0x2c:
        return this.emit(T.COMMA);
      case 0x2a:
        return this.emit(T.MUL);
      case 0x2f:
        return this.emit(T.DIV);
      case 0x25:
        return this.emit(T.MOD);
      case 0x2b:
        return this.emit(T.ADD);
      case 0x2d:
        return this.emit(T.SUB);
      case 0x5e:
        return this.emit(T.POW);
      case 0x3d: {
        // =
        const t = this.peek();
        if (t === 0x3d) {
          this.readRune();
          return this.emit(T.EQLC);
        }
        if (t === 0x7e) return this.error(`unexpected character after '=': ${goQuoteRune(t)}`);
        return this.emit(T.EQL);
      }
      case 0x21: {
        // !
        const t = this.readRune();
        if (t !== 0x3d) return this.error(`unexpected character after '!': ${goQuoteRune(t)}`);
        return this.emit(T.NEQ);
      }
      case 0x3c: {
        // <
        const t = this.peek();
        if (t === 0x3d) {
          this.readRune();
          return this.emit(T.LTE);
        }
        if (t === 0x2f) {
          this.readRune();
          return this.emit(T.TRIM_UPPER);
        }
        return this.emit(T.LSS);
      }
      case 0x3e: {
        // >
        const t = this.peek();
        if (t === 0x3d) {
          this.readRune();
          return this.emit(T.GTE);
        }
        if (t === 0x2f) {
          this.readRune();
          return this.emit(T.TRIM_LOWER);
        }
        return this.emit(T.GTR);
      }
      case 0x22:
      case 0x27:
        this.stringOpen = r;
        return this.lexString();
      case 0x60:
        this.stringOpen = r;
        return this.lexRawString();
      case 0x28:
        this.emit(T.LEFT_PAREN);
        this.parenDepth++;
        return;
      case 0x29:
        this.emit(T.RIGHT_PAREN);
        this.parenDepth--;
        if (this.parenDepth < 0) {
          // The ')' was emitted but is replaced by the error, reported after it.
          this.error(`unexpected right parenthesis ${goQuoteRune(r)}`);
        }
        return;
      case 0x7b:
        this.emit(T.LEFT_BRACE);
        this.braceOpen = true;
        this.mode = Mode.InsideBraces;
        return;
      case 0x5b:
        if (this.bracketOpen) return this.error(`unexpected left bracket ${goQuoteRune(r)}`);
        this.gotColon = false;
        this.emit(T.LEFT_BRACKET);
        if (isSpace(this.peek())) this.skipSpaces();
        this.bracketOpen = true;
        this.mode = Mode.DurationExpr;
        return;
      case 0x5d:
        if (!this.bracketOpen) return this.error(`unexpected right bracket ${goQuoteRune(r)}`);
        this.emit(T.RIGHT_BRACKET);
        this.bracketOpen = false;
        return;
      case 0x40:
        return this.emit(T.AT);
    }
    if (isSpace(r)) {
      this.skipSpaces();
      return;
    }
    if (isDigit(r) || (r === 0x2e && isDigit(this.peek()))) {
      this.backup();
      return this.lexNumberOrDuration();
    }
    if (isAlpha(r) || r === 0x3a) {
      if (!this.bracketOpen) {
        this.backup();
        return this.lexKeywordOrIdentifier();
      }
      if (r === 0x3a) {
        if (this.gotColon) return this.error(`unexpected colon ${goQuoteRune(r)}`);
        this.emit(T.COLON);
        this.gotColon = true;
        return;
      }
      if (isDurationKeywordStart(r) && this.scanDurationKeyword()) return;
      return this.error(`unexpected character: ${goQuoteRune(r)}, expected ${goQuoteRune(0x3a)}`);
    }
    return this.error(`unexpected character: ${goQuoteRune(r)}`);
  }

  private lexInsideBraces(): void {
    if (this.input.charCodeAt(this.pos) === 0x23 /* # */) {
      this.lexLineComment();
      return;
    }
    const r = this.readRune();
    if (r === EOF_RUNE) return this.error('unexpected end of input inside braces');
    if (isSpace(r)) {
      this.skipSpaces();
      return;
    }
    if (isAlpha(r)) {
      while (isAlphaNumeric(this.readRune())) {
        // absorb
      }
      this.backup();
      return this.emit(T.IDENTIFIER);
    }
    switch (r) {
      case 0x2c:
        return this.emit(T.COMMA);
      case 0x22:
      case 0x27:
        this.stringOpen = r;
        return this.lexString();
      case 0x60:
        this.stringOpen = r;
        return this.lexRawString();
      case 0x3d:
        if (this.readRune() === 0x7e) return this.emit(T.EQL_REGEX);
        this.backup();
        return this.emit(T.EQL);
      case 0x21: {
        const nr = this.readRune();
        if (nr === 0x7e) return this.emit(T.NEQ_REGEX);
        if (nr === 0x3d) return this.emit(T.NEQ);
        return this.error(`unexpected character after '!' inside braces: ${goQuoteRune(nr)}`);
      }
      case 0x7b:
        return this.error(`unexpected left brace ${goQuoteRune(r)}`);
      case 0x7d:
        this.emit(T.RIGHT_BRACE);
        this.braceOpen = false;
        this.mode = Mode.Statements;
        return;
    }
    return this.error(`unexpected character inside braces: ${goQuoteRune(r)}`);
  }

  /** The first item after '[' (and items after operators and parentheses there). */
  private lexDurationExpr(): void {
    const r = this.readRune();
    if (r === EOF_RUNE) return this.error('unexpected end of input in duration expression');
    switch (r) {
      case 0x5d:
        this.emit(T.RIGHT_BRACKET);
        this.bracketOpen = false;
        this.gotColon = false;
        this.mode = Mode.Statements;
        return;
      case 0x3a:
        this.emit(T.COLON);
        if (!this.gotDuration) return this.error('unexpected colon before duration in duration expression');
        if (this.gotColon) return this.error('unexpected repeated colon in duration expression');
        this.gotColon = true;
        return;
      case 0x28:
        this.emit(T.LEFT_PAREN);
        this.parenDepth++;
        return;
      case 0x29:
        this.emit(T.RIGHT_PAREN);
        this.parenDepth--;
        if (this.parenDepth < 0) this.error(`unexpected right parenthesis ${goQuoteRune(r)}`);
        return;
      case 0x2b:
        return this.emit(T.ADD);
      case 0x2d:
        return this.emit(T.SUB);
      case 0x2a:
        return this.emit(T.MUL);
      case 0x2f:
        return this.emit(T.DIV);
      case 0x25:
        return this.emit(T.MOD);
      case 0x5e:
        return this.emit(T.POW);
      case 0x2c:
        return this.emit(T.COMMA);
    }
    if (isSpace(r)) {
      this.skipSpaces();
      return;
    }
    if (isDurationKeywordStart(r)) {
      if (this.scanDurationKeyword()) return;
      return this.error(`unexpected character in duration expression: ${goQuoteRune(r)}`);
    }
    if (isDigit(r) || (r === 0x2e && isDigit(this.peek()))) {
      this.backup();
      this.gotDuration = true;
      this.mode = Mode.Statements;
      return this.lexNumberOrDuration();
    }
    return this.error(`unexpected character in duration expression: ${goQuoteRune(r)}`);
  }

  private scanDurationKeyword(): boolean {
    while (isAlpha(this.readRune())) {
      // absorb
    }
    this.backup();
    const type = DURATION_KEYWORDS[this.input.slice(this.start, this.pos).toLowerCase()];
    if (type === undefined) return false;
    this.emit(type);
    return true;
  }

  private lexLineComment(): void {
    this.pos += 1;
    for (;;) {
      const r = this.readRune();
      if (r === EOF_RUNE) break;
      if (r === 0x0a || r === 0x0d) {
        this.backup();
        break;
      }
    }
    this.emit(T.COMMENT);
  }

  private lexString(): void {
    for (;;) {
      const r = this.readRune();
      if (r === 0x5c) {
        if (!this.lexEscape()) return;
        continue;
      }
      if (r === RUNE_ERROR) return this.error('invalid UTF-8 rune');
      if (r === EOF_RUNE || r === 0x0a) return this.error('unterminated quoted string');
      if (r === this.stringOpen) break;
    }
    this.emit(T.STRING);
  }

  private lexRawString(): void {
    for (;;) {
      const r = this.readRune();
      if (r === RUNE_ERROR) return this.error('invalid UTF-8 rune');
      if (r === EOF_RUNE) return this.error('unterminated raw string');
      if (r === this.stringOpen) break;
    }
    this.emit(T.STRING);
  }

  /** Checks one escape sequence (the backslash is consumed); false after reporting an error. */
  private lexEscape(): boolean {
    let ch = this.readRune();
    let n: number;
    let base: number;
    let max: number;
    switch (ch) {
      case 0x61: // a b f n r t v \
      case 0x62:
      case 0x66:
      case 0x6e:
      case 0x72:
      case 0x74:
      case 0x76:
      case 0x5c:
        return true;
      case 0x78: // x
        ch = this.readRune();
        n = 2;
        base = 16;
        max = 255;
        break;
      case 0x75: // u
        ch = this.readRune();
        n = 4;
        base = 16;
        max = 0x10ffff;
        break;
      case 0x55: // U
        ch = this.readRune();
        n = 8;
        base = 16;
        max = 0x10ffff;
        break;
      case EOF_RUNE:
        this.error('escape sequence not terminated');
        return false;
      default:
        if (ch === this.stringOpen) return true;
        if (ch >= 0x30 && ch <= 0x37) {
          n = 3;
          base = 8;
          max = 255;
          break;
        }
        this.error(`unknown escape sequence ${goUnicode(ch)}`);
        return false;
    }
    let x = 0;
    while (n > 0) {
      const d = digitVal(ch);
      if (d >= base) {
        if (ch === EOF_RUNE) this.error('escape sequence not terminated');
        else this.error(`illegal character ${goUnicode(ch)} in escape sequence`);
        return false;
      }
      x = x * base + d;
      n--;
      if (n > 0) ch = this.readRune();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) {
      this.error('escape sequence is an invalid Unicode code point');
      return false;
    }
    return true;
  }

  private lexNumberOrDuration(): void {
    if (this.scanNumber()) return this.emit(T.NUMBER);
    if (this.acceptRemainingDuration()) {
      this.backup();
      return this.emit(T.DURATION);
    }
    this.error(`bad number or duration syntax: ${goQuoteString(this.input.slice(this.start, this.pos))}`);
  }

  private acceptRemainingDuration(): boolean {
    if (!this.accept('smhdwy')) return false;
    this.accept('s'); // ms; bad units like "hs" fail when the duration is parsed
    while (this.accept('0123456789')) {
      while (this.accept('0123456789')) {
        // digits
      }
      if (!this.accept('smhdw')) return false;
      this.accept('s');
    }
    return !isAlphaNumeric(this.readRune());
  }

  /**
   * Scans what looks like a number; it is validated by the parser. Mirrors Prometheus' quirks:
   * 'e'/'E' count as an exponent even in hex numbers ("0x1e" alone does not lex).
   */
  private scanNumber(): boolean {
    const initial = this.pos;
    let digits = '0123456789';
    if (this.accept('0') && this.accept('xX')) {
      this.accept('_');
      digits = '0123456789abcdefABCDEF';
    }
    const hexNumber = digits.length > 10;
    this.accept('.');
    this.accept(digits);
    let dotSeen = false;
    let expSeen = false;
    const all = digits + '._eE';
    while (this.is(all)) {
      if (this.is('.') && dotSeen) {
        this.accept('.');
        return false;
      }
      if (this.is('eE') && expSeen) {
        this.accept('eE');
        return false;
      }
      if (this.accept('.')) {
        dotSeen = true;
        if (this.accept('_.')) return false;
        if (hexNumber) return false;
        continue;
      }
      if (this.accept('eE')) {
        expSeen = true;
        this.accept('+-');
        if (this.accept('._eE') || this.peek() === EOF_RUNE) return false;
        continue;
      }
      if (this.accept('_')) {
        if (this.accept('._eE') || this.peek() === EOF_RUNE) return false;
        continue;
      }
      this.acceptRun(digits);
    }
    if (this.pos === initial) return false;
    return !isAlphaNumeric(this.peek());
  }

  private lexKeywordOrIdentifier(): void {
    for (;;) {
      const r = this.readRune();
      if (isAlphaNumeric(r) || r === 0x3a) continue;
      this.backup();
      break;
    }
    const word = this.input.slice(this.start, this.pos);
    const lower = word.toLowerCase();
    if (lower === 'inf' || lower === 'nan') return this.emit(T.NUMBER);
    const kw = Object.hasOwn(KEYWORDS, lower) ? KEYWORDS[lower] : undefined;
    if (kw !== undefined) {
      // fill/fill_left/fill_right are keywords only before '(' so they stay usable as metric names.
      if ((kw === T.FILL || kw === T.FILL_LEFT || kw === T.FILL_RIGHT) && !this.followedByLeftParen()) {
        return this.emit(T.IDENTIFIER);
      }
      return this.emit(kw);
    }
    this.emit(word.includes(':') ? T.METRIC_IDENTIFIER : T.IDENTIFIER);
  }

  private followedByLeftParen(): boolean {
    for (let p = this.pos; p < this.input.length; p++) {
      const c = this.input.charCodeAt(p);
      if (!isSpace(c)) return c === 0x28;
    }
    return false;
  }
}

function digitVal(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  if (ch >= 0x61 && ch <= 0x66) return ch - 0x61 + 10;
  if (ch >= 0x41 && ch <= 0x46) return ch - 0x41 + 10;
  return 16;
}

