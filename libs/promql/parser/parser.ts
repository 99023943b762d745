// The PromQL parser: recursive descent with precedence climbing over the lexer's items. It builds
// the AST of ast.ts and reports errors in the order, positions and words of Prometheus' yacc
// parser (generated_parser.y, parse.go), including which error context ("in aggregation",
// "in grouping opts", ...) a syntax error falls into.

import { METRIC_NAME as MODEL_METRIC_NAME, Matcher as ModelMatcher, MatchType, goQuote, isValidUTF8 } from '../../model/index.ts';
import type {
  AggregateExpr,
  AggregateOp,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  FunctionDef,
  MatrixSelector,
  NumberLiteral,
  PositionRange,
  SubqueryExpr,
  VectorSelector,
} from './ast.ts';
import { checkAST } from './check.ts';
import { ParseErrors, newParseError } from './errors.ts';
import type { ParseError } from './errors.ts';
import { getFunction } from './functions.ts';
import { formatFloatFixed } from './gofmt.ts';
import { Lexer, T as TokenTypes, isAggregator as isAggregatorToken, tokenDesc } from './lexer.ts';
import type { Token, TokenType } from './lexer.ts';
import * as literals from './literals.ts';
import { posRangeOf } from './walk.ts';

// Local copies of imported bindings: under tsx every access to an import goes through a getter,
// which is measurable in the parser's inner loops.
const T = TokenTypes;
const isAggregator = isAggregatorToken;
const Matcher = ModelMatcher;
const METRIC_NAME = MODEL_METRIC_NAME;
const { nsToSeconds, parseDurationNs, parseNumber, roundHalfAwayFromZero, secondsToMs, unquoteString } = literals;

export interface ParseOptions {
  /**
   * Prometheus' EnableExperimentalFunctions: experimental functions (sort_by_label, mad_over_time,
   * ...) and the limitk/limit_ratio aggregations. Other experimental syntax (duration expressions,
   * fill modifiers, anchored/smoothed) is always rejected with Prometheus' "not enabled" errors.
   */
  enableExperimentalFunctions?: boolean;
}

/** Where a syntax error is reported: the `error` rule of the innermost construct being parsed. */
interface ErrorContext {
  context: string;
  expected: string;
}

const GENERIC: ErrorContext = { context: '', expected: '' };
const IN_AGGREGATION: ErrorContext = { context: 'aggregation', expected: '' };
const IN_OFFSET: ErrorContext = { context: 'offset', expected: 'number, duration, step(), or range()' };
const IN_AT: ErrorContext = { context: '@', expected: 'timestamp' };
const IN_BRACKET: ErrorContext = {
  context: 'subquery or range selector',
  expected: 'number, duration, step(), or range()',
};
const AFTER_RANGE: ErrorContext = { context: 'subquery or range', expected: '":" or "]"' };
const AFTER_COLON: ErrorContext = {
  context: 'subquery selector',
  expected: 'number, duration, step(), range(), or "]"',
};
const AFTER_STEP: ErrorContext = { context: 'subquery selector', expected: '"]"' };

/** Thrown to stop parsing after a syntax error (Prometheus reports only what came before). */
const ABORT = Symbol('abort');

const MAX_INT64_F = 9223372036854775807;
const MIN_INT64_F = -9223372036854775808;
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

// Binary operator precedences (higher binds tighter), as declared in generated_parser.y.
const PREC: Partial<Record<TokenType, number>> = {
  [T.LOR]: 1,
  [T.LAND]: 2,
  [T.LUNLESS]: 2,
  [T.EQLC]: 3,
  [T.GTE]: 3,
  [T.GTR]: 3,
  [T.LSS]: 3,
  [T.LTE]: 3,
  [T.NEQ]: 3,
  [T.TRIM_UPPER]: 3,
  [T.TRIM_LOWER]: 3,
  [T.ADD]: 4,
  [T.SUB]: 4,
  [T.MUL]: 5,
  [T.DIV]: 5,
  [T.MOD]: 5,
  [T.ATAN2]: 5,
  [T.POW]: 6,
};
const PREC_POW = 6;

const DURATION_PREC: Partial<Record<TokenType, number>> = {
  [T.ADD]: 4,
  [T.SUB]: 4,
  [T.MUL]: 5,
  [T.DIV]: 5,
  [T.MOD]: 5,
  [T.POW]: 6,
};

/** Items that may name a metric (Prometheus' metric_identifier rule). */
const METRIC_IDENTIFIER_TOKENS = new Set<TokenType>([
  T.AVG, T.BOTTOMK, T.BY, T.COUNT, T.COUNT_VALUES, T.FILL, T.FILL_LEFT, T.FILL_RIGHT, T.GROUP,
  T.IDENTIFIER, T.LAND, T.LOR, T.LUNLESS, T.MAX, T.METRIC_IDENTIFIER, T.MIN, T.OFFSET, T.QUANTILE,
  T.STDDEV, T.STDVAR, T.SUM, T.TOPK, T.WITHOUT, T.START, T.END, T.LIMITK, T.LIMIT_RATIO, T.STEP,
  T.RANGE, T.ANCHORED, T.SMOOTHED, T.MAX_OF, T.MIN_OF,
]);

/** Items accepted as label names in grouping lists (Prometheus' maybe_label rule). */
const MAYBE_LABEL_TOKENS = new Set<TokenType>([
  T.AVG, T.BOOL, T.BOTTOMK, T.BY, T.COUNT, T.COUNT_VALUES, T.GROUP, T.GROUP_LEFT, T.GROUP_RIGHT,
  T.FILL, T.FILL_LEFT, T.FILL_RIGHT, T.IDENTIFIER, T.IGNORING, T.LAND, T.LOR, T.LUNLESS, T.MAX,
  T.METRIC_IDENTIFIER, T.MIN, T.OFFSET, T.ON, T.QUANTILE, T.STDDEV, T.STDVAR, T.SUM, T.TOPK,
  T.START, T.END, T.ATAN2, T.LIMITK, T.LIMIT_RATIO, T.STEP, T.RANGE, T.ANCHORED, T.SMOOTHED,
  T.MAX_OF, T.MIN_OF,
]);

const CLOSING_TOKENS = new Set<TokenType>([T.RIGHT_BRACE, T.RIGHT_PAREN, T.RIGHT_BRACKET, T.DURATION, T.NUMBER]);

const AGGREGATORS_WITH_PARAM = new Set<TokenType>([T.TOPK, T.BOTTOMK, T.COUNT_VALUES, T.QUANTILE, T.LIMITK, T.LIMIT_RATIO]);

const BINARY_OPS: Partial<Record<TokenType, BinaryOp>> = {
  [T.ADD]: '+', [T.SUB]: '-', [T.MUL]: '*', [T.DIV]: '/', [T.MOD]: '%', [T.POW]: '^',
  [T.ATAN2]: 'atan2', [T.EQLC]: '==', [T.NEQ]: '!=', [T.GTR]: '>', [T.LSS]: '<', [T.GTE]: '>=',
  [T.LTE]: '<=', [T.LAND]: 'and', [T.LOR]: 'or', [T.LUNLESS]: 'unless', [T.TRIM_UPPER]: '</',
  [T.TRIM_LOWER]: '>/',
};

const MATCH_TYPES: Partial<Record<TokenType, MatchType>> = {
  [T.EQL]: MatchType.Equal,
  [T.NEQ]: MatchType.NotEqual,
  [T.EQL_REGEX]: MatchType.Regexp,
  [T.NEQ_REGEX]: MatchType.NotRegexp,
};

/** Stand-in for an unknown function, so the tree stays well-formed until the errors are thrown. */
const UNKNOWN_FUNCTION: FunctionDef = { name: '', argTypes: [], variadic: 0, returnType: 'vector' };

/** A duration as the bracket and offset rules see it: a literal (seconds) or something else. */
interface DurationNode {
  start: number;
  end: number;
  /** Seconds for a (possibly signed) literal; undefined for an expression. */
  value?: number;
  /** Duration literal (a unit was written) rather than a plain number. */
  isDuration?: boolean;
}

class Parser {
  private readonly lexer: Lexer;
  private tok: Token | undefined;
  readonly errors: ParseError[] = [];
  private lastClosing = 0;
  private ctx: ErrorContext = GENERIC;
  private readonly experimentalFunctions: boolean;

  constructor(
    private readonly input: string,
    opts: ParseOptions,
  ) {
    this.lexer = new Lexer(input);
    this.experimentalFunctions = opts.enableExperimentalFunctions ?? false;
  }

  // ---- items ---------------------------------------------------------------------------------

  private peek(): Token {
    if (this.tok === undefined) this.tok = this.read();
    return this.tok;
  }

  private read(): Token {
    for (;;) {
      const t = this.lexer.next();
      if (t.type === T.COMMENT) continue;
      if (t.type === T.ERROR) {
        this.addError({ start: t.pos, end: this.input.length }, t.val);
      } else if (CLOSING_TOKENS.has(t.type)) {
        this.lastClosing = t.pos + t.val.length;
      }
      return t;
    }
  }

  private next(): Token {
    const t = this.peek();
    this.tok = undefined;
    return t;
  }

  private addError(range: PositionRange, msg: string): void {
    this.errors.push(newParseError(this.input, range, msg));
  }

  /** Reports the lookahead item as unexpected (unless the lexer already failed there) and stops. */
  private unexpected(ctx: ErrorContext = this.ctx): never {
    const t = this.peek();
    if (t.type !== T.ERROR) {
      let msg = 'unexpected ' + tokenDesc(t);
      if (ctx.context !== '') msg += ' in ' + ctx.context;
      if (ctx.expected !== '') msg += ', expected ' + ctx.expected;
      this.addError({ start: t.pos, end: t.pos + t.val.length }, msg);
    }
    throw ABORT;
  }

  private expect(type: TokenType, ctx: ErrorContext = this.ctx): Token {
    if (this.peek().type !== type) this.unexpected(ctx);
    return this.next();
  }

  // ---- entry points --------------------------------------------------------------------------

  parseExpression(): Expr | undefined {
    let expr: Expr | undefined;
    try {
      if (this.peek().type === T.EOF) {
        this.addError({ start: 0, end: 0 }, 'no expression found in input');
        return undefined;
      }
      expr = this.parseBinary(0);
      if (this.peek().type !== T.EOF) this.unexpected(GENERIC);
    } catch (e) {
      if (e !== ABORT) throw e;
      return undefined;
    }
    if (this.errors.length === 0) checkAST(expr, this.input, (range, msg) => this.addError(range, msg));
    return expr;
  }

  parseMetricSelector(): ModelMatcher[] | undefined {
    try {
      const t = this.peek();
      let vs: VectorSelector;
      if (METRIC_IDENTIFIER_TOKENS.has(t.type)) vs = this.parseVectorSelector(this.next());
      else if (t.type === T.LEFT_BRACE) vs = this.parseVectorSelector(undefined);
      else this.unexpected(GENERIC);
      if (this.peek().type !== T.EOF) this.unexpected(GENERIC);
      return vs.matchers;
    } catch (e) {
      if (e !== ABORT) throw e;
      return undefined;
    }
  }

  // ---- expressions ---------------------------------------------------------------------------

  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const opTok = this.peek();
      const prec = PREC[opTok.type];
      if (prec === undefined || prec < minPrec) return lhs;
      this.next();
      const node: BinaryExpr = {
        kind: 'BinaryExpr',
        op: BINARY_OPS[opTok.type]!,
        lhs,
        rhs: lhs,
        returnBool: false,
        vectorMatching: { card: 'one-to-one', matchingLabels: [], on: false, include: [] },
      };
      const hasFill = this.parseBinModifiers(node);
      node.rhs = this.parseBinary(opTok.type === T.POW ? prec : prec + 1);
      if (hasFill) {
        this.addError(posRangeOf(node), 'binop fill modifiers are experimental and not enabled');
      }
      lhs = node;
    }
  }

  /** bool, on/ignoring(...), group_left/group_right(...), fill(...). Returns whether fill was used. */
  private parseBinModifiers(node: BinaryExpr): boolean {
    const vm = node.vectorMatching!;
    if (this.peek().type === T.BOOL) {
      this.next();
      node.returnBool = true;
    }
    const t = this.peek().type;
    if (t === T.ON || t === T.IGNORING) {
      this.next();
      vm.on = t === T.ON;
      vm.matchingLabels = this.parseGroupingLabels();
      const g = this.peek().type;
      if (g === T.GROUP_LEFT || g === T.GROUP_RIGHT) {
        this.next();
        vm.card = g === T.GROUP_LEFT ? 'many-to-one' : 'one-to-many';
        vm.include = this.peek().type === T.LEFT_PAREN ? this.parseGroupingLabels() : [];
      }
    }
    let hasFill = false;
    const f = this.peek().type;
    if (f === T.FILL) {
      this.next();
      this.parseFillValue();
      hasFill = true;
    } else if (f === T.FILL_LEFT || f === T.FILL_RIGHT) {
      this.next();
      this.parseFillValue();
      hasFill = true;
      const other = f === T.FILL_LEFT ? T.FILL_RIGHT : T.FILL_LEFT;
      if (this.peek().type === other) {
        this.next();
        this.parseFillValue();
      }
    }
    return hasFill;
  }

  private parseFillValue(): void {
    this.expect(T.LEFT_PAREN);
    const t = this.peek().type;
    if (t === T.ADD || t === T.SUB) this.next();
    const lit = this.peek().type;
    if (lit !== T.NUMBER && lit !== T.DURATION) this.unexpected();
    this.parseNumberOrDurationLiteral();
    this.expect(T.RIGHT_PAREN);
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.type !== T.ADD && t.type !== T.SUB) return this.parsePostfix(this.parsePrimary());
    this.next();
    // `-a ^ b` is `-(a ^ b)`: the unary operator has the precedence of '*'.
    const operand = this.parseBinary(PREC_POW);
    if (operand.kind === 'NumberLiteral') {
      if (t.type === T.SUB) operand.val = -operand.val;
      operand.posRange = { start: t.pos, end: operand.posRange.end };
      return operand;
    }
    return { kind: 'UnaryExpr', op: t.type === T.SUB ? '-' : '+', expr: operand, startPos: t.pos };
  }

  private parsePostfix(expr: Expr): Expr {
    for (;;) {
      switch (this.peek().type) {
        case T.LEFT_BRACKET:
          expr = this.parseRangeOrSubquery(expr);
          break;
        case T.OFFSET:
          expr = this.parseOffset(expr);
          break;
        case T.AT:
          expr = this.parseAt(expr);
          break;
        case T.ANCHORED:
        case T.SMOOTHED: {
          const kw = this.next();
          const name = kw.type === T.ANCHORED ? 'anchored' : 'smoothed';
          this.addError(posRangeOf(expr), `${name} modifier is experimental and not enabled`);
          break;
        }
        default:
          return expr;
      }
    }
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case T.NUMBER:
      case T.DURATION:
        return this.parseNumberOrDurationLiteral();
      case T.STRING: {
        this.next();
        return { kind: 'StringLiteral', val: unquoteString(t.val), posRange: tokenRange(t) };
      }
      case T.LEFT_PAREN: {
        this.next();
        const inner = this.parseBinary(0);
        const close = this.expect(T.RIGHT_PAREN);
        return { kind: 'ParenExpr', expr: inner, posRange: { start: t.pos, end: close.pos + 1 } };
      }
      case T.LEFT_BRACE:
        return this.parseVectorSelector(undefined);
      case T.IDENTIFIER:
        this.next();
        if (this.peek().type === T.LEFT_PAREN) return this.parseCall(t);
        return this.parseVectorSelector(t);
      case T.START:
      case T.END:
      case T.STEP:
      case T.RANGE:
      case T.MAX_OF:
      case T.MIN_OF:
        this.next();
        if (this.peek().type === T.LEFT_PAREN) return this.parseCall(t);
        return this.parseVectorSelector(t);
    }
    if (isAggregator(t.type)) {
      this.next();
      const n = this.peek().type;
      if (n === T.LEFT_PAREN || n === T.BY || n === T.WITHOUT) return this.parseAggregate(t);
      return this.parseVectorSelector(t);
    }
    if (METRIC_IDENTIFIER_TOKENS.has(t.type)) {
      this.next();
      return this.parseVectorSelector(t);
    }
    return this.unexpected();
  }

  private parseNumberOrDurationLiteral(): NumberLiteral {
    const t = this.next();
    const lit: NumberLiteral = { kind: 'NumberLiteral', val: 0, posRange: tokenRange(t) };
    if (t.type === T.NUMBER) {
      lit.val = this.number(t);
    } else {
      lit.val = this.durationSeconds(t);
      lit.duration = true;
    }
    return lit;
  }

  private number(t: Token): number {
    const r = parseNumber(t.val);
    if (r.ok) return r.value;
    this.addError(tokenRange(t), `error parsing number: ${r.err}`);
    return 0;
  }

  private durationSeconds(t: Token): number {
    const r = parseDurationNs(t.val);
    if (r.ok) return nsToSeconds(r.ns);
    this.addError(tokenRange(t), r.err);
    return 0;
  }

  // ---- calls and aggregations ----------------------------------------------------------------

  /** Arguments in parentheses; the '(' is the lookahead. */
  private parseCallBody(): Expr[] {
    this.expect(T.LEFT_PAREN);
    const args: Expr[] = [];
    if (this.peek().type === T.RIGHT_PAREN) {
      this.next();
      return args;
    }
    args.push(this.parseBinary(0));
    for (;;) {
      const t = this.peek();
      if (t.type === T.RIGHT_PAREN) {
        this.next();
        return args;
      }
      if (t.type !== T.COMMA) this.unexpected();
      this.next();
      // Anything that cannot start an argument makes the comma a trailing one (reported first).
      if (!canStartExpr(this.peek().type)) {
        this.addError(tokenRange(t), 'trailing commas not allowed in function call args');
        continue;
      }
      args.push(this.parseBinary(0));
    }
  }

  private parseCall(nameTok: Token): Call {
    const args = this.parseCallBody();
    const fn = getFunction(nameTok.val);
    if (fn === undefined) {
      this.addError(tokenRange(nameTok), `unknown function with name ${JSON.stringify(nameTok.val)}`);
    } else if (fn.experimental && !this.experimentalFunctions) {
      this.addError(tokenRange(nameTok), `function ${JSON.stringify(nameTok.val)} is not enabled`);
    }
    return {
      kind: 'Call',
      func: fn ?? { ...UNKNOWN_FUNCTION, name: nameTok.val },
      args,
      posRange: { start: nameTok.pos, end: this.lastClosing },
    };
  }

  private parseAggregate(opTok: Token): AggregateExpr {
    const outer = this.ctx;
    this.ctx = IN_AGGREGATION;
    let grouping: string[] = [];
    let without = false;
    let modifierFirst = false;
    const mod = this.peek().type;
    if (mod === T.BY || mod === T.WITHOUT) {
      this.next();
      without = mod === T.WITHOUT;
      grouping = this.parseGroupingLabels();
      modifierFirst = true;
    }
    const args = this.parseCallBody();
    if (!modifierFirst) {
      const after = this.peek().type;
      if (after === T.BY || after === T.WITHOUT) {
        this.next();
        without = after === T.WITHOUT;
        grouping = this.parseGroupingLabels();
      }
    }
    this.ctx = outer;

    const op = opTok.val.toLowerCase() as AggregateOp;
    const agg: AggregateExpr = {
      kind: 'AggregateExpr',
      op,
      expr: args[0] ?? placeholder(opTok),
      grouping,
      without,
      posRange: { start: opTok.pos, end: this.lastClosingBefore() },
    };
    if (args.length === 0) {
      this.addError(agg.posRange, 'no arguments for aggregate expression provided');
      return agg;
    }
    let desired = 1;
    if (AGGREGATORS_WITH_PARAM.has(opTok.type)) {
      if (!this.experimentalFunctions && (opTok.type === T.LIMITK || opTok.type === T.LIMIT_RATIO)) {
        this.addError(
          agg.posRange,
          `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
        );
        return agg;
      }
      desired = 2;
      agg.param = args[0];
    }
    if (args.length !== desired) {
      this.addError(
        agg.posRange,
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
      );
      return agg;
    }
    agg.expr = args[desired - 1]!;
    return agg;
  }

  /** The end of the last closing item that is not the lookahead (an aggregation may have peeked). */
  private lastClosingBefore(): number {
    const la = this.tok;
    if (la !== undefined && la.pos + la.val.length === this.lastClosing && CLOSING_TOKENS.has(la.type)) {
      // Prometheus (findPrevRightParen) recovers the ')' before a peeked ')'.
      for (let i = la.pos - 1; i > 0; i--) {
        const c = this.input.charCodeAt(i);
        if (c === 0x29) return i + 1;
        if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      }
    }
    return this.lastClosing;
  }

  /** `( label, ... )` after by/without/on/ignoring/group_x, with Prometheus' "grouping opts" errors. */
  private parseGroupingLabels(): string[] {
    if (this.peek().type !== T.LEFT_PAREN) this.unexpected({ context: 'grouping opts', expected: '"("' });
    this.next();
    const labels: string[] = [];
    if (this.peek().type === T.RIGHT_PAREN) {
      this.next();
      return labels;
    }
    for (;;) {
      labels.push(this.parseGroupingLabel());
      const t = this.peek().type;
      if (t === T.RIGHT_PAREN) {
        this.next();
        return labels;
      }
      if (t !== T.COMMA) this.unexpected({ context: 'grouping opts', expected: '"," or ")"' });
      this.next();
      if (this.peek().type === T.RIGHT_PAREN) {
        this.next();
        return labels;
      }
    }
  }

  private parseGroupingLabel(): string {
    const t = this.peek();
    if (MAYBE_LABEL_TOKENS.has(t.type)) {
      this.next();
      return t.val;
    }
    if (t.type === T.STRING) {
      this.next();
      const name = unquoteString(t.val);
      if (name === '' || !isValidUTF8(name)) {
        this.addError(tokenRange(t), `invalid label name for grouping: ${goQuote(name)}`);
      }
      return name;
    }
    return this.unexpected({ context: 'grouping opts', expected: 'label' });
  }

  // ---- selectors -----------------------------------------------------------------------------

  /** A vector selector after its metric name item (if any); braces may follow. */
  private parseVectorSelector(nameTok: Token | undefined): VectorSelector {
    const vs: VectorSelector = {
      kind: 'VectorSelector',
      name: nameTok?.val ?? '',
      matchers: [],
      originalOffset: 0,
      offset: 0,
      posRange: nameTok ? tokenRange(nameTok) : { start: 0, end: 0 },
    };
    if (nameTok === undefined || this.peek().type === T.LEFT_BRACE) {
      const open = this.next();
      const end = this.parseLabelMatchers(vs.matchers);
      vs.posRange = { start: nameTok ? nameTok.pos : open.pos, end };
    }
    if (vs.name !== '') vs.matchers.push(new Matcher(MatchType.Equal, METRIC_NAME, vs.name));
    return vs;
  }

  /** The inside of `{...}` (the '{' is consumed); returns the end of the '}'. */
  private parseLabelMatchers(out: ModelMatcher[]): number {
    const ctx = (expected: string): ErrorContext => ({ context: 'label matching', expected });
    if (this.peek().type === T.RIGHT_BRACE) return this.next().pos + 1;
    for (;;) {
      const t = this.peek();
      if (t.type === T.IDENTIFIER || t.type === T.STRING) {
        this.next();
        const name = t.type === T.STRING ? unquoteString(t.val) : t.val;
        const opTok = this.peek();
        const mt = MATCH_TYPES[opTok.type];
        if (mt !== undefined) {
          this.next();
          const v = this.peek();
          if (v.type !== T.STRING) this.unexpected(ctx('string'));
          this.next();
          this.addMatcher(out, mt, name, unquoteString(v.val), { start: t.pos, end: v.pos + v.val.length });
        } else if (t.type === T.STRING) {
          // A quoted name alone selects the metric: {"my.metric"}.
          out.push(new Matcher(MatchType.Equal, METRIC_NAME, name));
        } else {
          this.unexpected(ctx('label matching operator'));
        }
      } else {
        this.unexpected(ctx('identifier or "}"'));
      }
      const sep = this.peek();
      if (sep.type === T.RIGHT_BRACE) return this.next().pos + 1;
      if (sep.type !== T.COMMA) this.unexpected(ctx('"," or "}"'));
      this.next();
      if (this.peek().type === T.RIGHT_BRACE) return this.next().pos + 1;
    }
  }

  private addMatcher(out: ModelMatcher[], type: MatchType, name: string, value: string, range: PositionRange): void {
    try {
      out.push(new Matcher(type, name, value));
    } catch (e) {
      this.addError(range, e instanceof Error ? e.message : String(e));
    }
  }

  private parseRangeOrSubquery(expr: Expr): Expr {
    const open = this.next();
    const outer = this.ctx;
    this.ctx = IN_BRACKET;
    const range = this.parsePositiveDuration();
    this.ctx = AFTER_RANGE;
    const t = this.peek();
    if (t.type === T.RIGHT_BRACKET) {
      this.next();
      this.ctx = outer;
      let msg = '';
      if (expr.kind !== 'VectorSelector') msg = 'ranges only allowed for vector selectors';
      else if (expr.originalOffset !== 0) msg = 'no offset modifiers allowed before range';
      else if (expr.timestamp !== undefined || expr.startOrEnd !== undefined) msg = 'no @ modifiers allowed before range';
      if (msg !== '') {
        this.addError({ start: open.pos, end: t.pos + 1 }, msg);
        return expr;
      }
      const ms: MatrixSelector = {
        kind: 'MatrixSelector',
        vectorSelector: expr as VectorSelector,
        range: secondsToMs(range),
        endPos: this.lastClosing,
      };
      return ms;
    }
    if (t.type !== T.COLON) this.unexpected();
    this.next();
    this.ctx = AFTER_COLON;
    let step = 0;
    if (this.peek().type !== T.RIGHT_BRACKET) {
      step = this.parsePositiveDuration();
      this.ctx = AFTER_STEP;
    }
    const close = this.expect(T.RIGHT_BRACKET);
    this.ctx = outer;
    const sq: SubqueryExpr = {
      kind: 'SubqueryExpr',
      expr,
      range: secondsToMs(range),
      originalOffset: 0,
      offset: 0,
      step: secondsToMs(step),
      endPos: close.pos + 1,
    };
    return sq;
  }

  /** A range or resolution in brackets: must be a positive literal here (expressions are experimental). */
  private parsePositiveDuration(): number {
    const d = this.parseDurationExpr(0);
    if (d.value === undefined) return 0;
    if (d.value <= 0) {
      this.addError({ start: d.start, end: d.end }, 'duration must be greater than 0');
      return 0;
    }
    return d.value;
  }

  /**
   * Prometheus' duration_expr. Only (signed) literals are accepted without the experimental
   * duration-expression feature; anything else is reported where Prometheus first reports it.
   */
  private parseDurationExpr(minPrec: number): DurationNode {
    let lhs = this.parseDurationUnary();
    for (;;) {
      const op = this.peek();
      const prec = DURATION_PREC[op.type];
      if (prec === undefined || prec < minPrec) return lhs;
      this.next();
      const rhs = this.parseDurationExpr(op.type === T.POW ? prec : prec + 1);
      // Reducing `a op b` reports a as an experimental duration expression.
      this.experimentalDuration(lhs);
      lhs = { start: lhs.start, end: rhs.end };
    }
  }

  private parseDurationUnary(): DurationNode {
    const t = this.peek();
    if (t.type === T.ADD || t.type === T.SUB) {
      this.next();
      const inner = this.parseDurationExpr(5);
      if (inner.value === undefined) return { start: t.pos, end: inner.end };
      const value = t.type === T.SUB ? -inner.value : inner.value;
      if (durationOutOfRange(value)) {
        this.addError(tokenRange(t), 'duration out of range');
        return { start: t.pos, end: inner.end, value: 0 };
      }
      return { start: t.pos, end: inner.end, value, isDuration: inner.isDuration ?? false };
    }
    return this.parseDurationPrimary();
  }

  private parseDurationPrimary(): DurationNode {
    const t = this.peek();
    switch (t.type) {
      case T.NUMBER:
      case T.DURATION: {
        const lit = this.parseNumberOrDurationLiteral();
        if (durationOutOfRange(lit.val)) {
          this.addError(lit.posRange, 'duration out of range');
          return { start: lit.posRange.start, end: lit.posRange.end, value: 0 };
        }
        return { start: lit.posRange.start, end: lit.posRange.end, value: lit.val, isDuration: lit.duration ?? false };
      }
      case T.STEP:
      case T.RANGE: {
        this.next();
        this.expect(T.LEFT_PAREN);
        const close = this.expect(T.RIGHT_PAREN);
        const node = { start: t.pos, end: close.pos + 1 };
        this.experimentalDuration(node);
        return node;
      }
      case T.MAX_OF:
      case T.MIN_OF: {
        this.next();
        this.expect(T.LEFT_PAREN);
        this.parseDurationExpr(0);
        this.expect(T.COMMA);
        this.parseDurationExpr(0);
        const close = this.expect(T.RIGHT_PAREN);
        const node = { start: t.pos, end: close.pos + 1 };
        this.experimentalDuration(node);
        return node;
      }
      case T.LEFT_PAREN: {
        this.next();
        const inner = this.parseDurationExpr(0);
        this.expect(T.RIGHT_PAREN);
        this.experimentalDuration(inner);
        return inner;
      }
    }
    return this.unexpected();
  }

  private experimentalDuration(node: DurationNode): never {
    this.addError({ start: node.start, end: node.end }, 'experimental duration expression is not enabled');
    throw ABORT;
  }

  // ---- offset and @ --------------------------------------------------------------------------

  private parseOffset(expr: Expr): Expr {
    this.next();
    const outer = this.ctx;
    this.ctx = IN_OFFSET;
    const seconds = this.parseOffsetDuration();
    this.ctx = outer;
    const ms = secondsToMs(seconds);
    let target: VectorSelector | SubqueryExpr;
    switch (expr.kind) {
      case 'VectorSelector':
        target = expr;
        break;
      case 'MatrixSelector':
        target = expr.vectorSelector;
        break;
      case 'SubqueryExpr':
        target = expr;
        break;
      default:
        this.addError(
          posRangeOf(expr),
          'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        );
        return expr;
    }
    if (target.originalOffset !== 0) {
      this.addError(posRangeOf(expr), 'offset may not be set multiple times');
    } else {
      target.originalOffset = ms;
      target.offset = ms;
    }
    setEnd(expr, this.lastClosing);
    return expr;
  }

  /** Prometheus' offset_duration_expr: a literal binds without taking following operators. */
  private parseOffsetDuration(): number {
    const t = this.peek();
    switch (t.type) {
      case T.NUMBER:
      case T.DURATION: {
        const lit = this.parseNumberOrDurationLiteral();
        if (durationOutOfRange(lit.val)) {
          this.addError(lit.posRange, 'duration out of range');
          return 0;
        }
        return lit.val;
      }
      case T.ADD:
      case T.SUB: {
        this.next();
        const n = this.peek();
        if (n.type === T.NUMBER || n.type === T.DURATION) {
          const lit = this.parseNumberOrDurationLiteral();
          const v = t.type === T.SUB ? -lit.val : lit.val;
          if (durationOutOfRange(v)) {
            this.addError(tokenRange(t), 'duration out of range');
            return 0;
          }
          return v;
        }
        if (n.type === T.LEFT_PAREN) {
          // `offset -(5m)`: Prometheus accepts a signed parenthesised literal without the feature flag.
          this.next();
          const inner = this.parseDurationExpr(0);
          this.expect(T.RIGHT_PAREN);
          const v = inner.value ?? 0;
          return t.type === T.SUB ? -v : v;
        }
        if (n.type === T.STEP || n.type === T.RANGE || n.type === T.MAX_OF || n.type === T.MIN_OF) {
          this.parseDurationPrimary();
        }
        return this.unexpected();
      }
      case T.STEP:
      case T.RANGE:
      case T.MAX_OF:
      case T.MIN_OF:
      case T.LEFT_PAREN:
        this.parseDurationPrimary();
        return 0;
    }
    return this.unexpected();
  }

  private parseAt(expr: Expr): Expr {
    this.next();
    const outer = this.ctx;
    this.ctx = IN_AT;
    const t = this.peek();
    let ts: number | undefined;
    let startOrEnd: 'start' | 'end' | undefined;
    if (t.type === T.START || t.type === T.END) {
      this.next();
      this.expect(T.LEFT_PAREN);
      this.expect(T.RIGHT_PAREN);
      startOrEnd = t.type === T.START ? 'start' : 'end';
    } else {
      let sign = 1;
      if (t.type === T.ADD || t.type === T.SUB) {
        this.next();
        if (t.type === T.SUB) sign = -1;
      }
      const n = this.peek();
      if (n.type === T.NUMBER) ts = sign * this.number(this.next());
      else if (n.type === T.DURATION) ts = sign * this.durationSeconds(this.next());
      else this.unexpected();
    }
    this.ctx = outer;

    if (ts !== undefined && (!Number.isFinite(ts) || ts >= MAX_INT64_F || ts <= MIN_INT64_F)) {
      this.addError(posRangeOf(expr), `timestamp out of bounds for @ modifier: ${formatFloatFixed(ts)}`);
    }
    let target: VectorSelector | SubqueryExpr;
    switch (expr.kind) {
      case 'VectorSelector':
        target = expr;
        break;
      case 'MatrixSelector':
        target = expr.vectorSelector;
        break;
      case 'SubqueryExpr':
        target = expr;
        break;
      default:
        this.addError(
          posRangeOf(expr),
          '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        );
        return expr;
    }
    if (target.timestamp !== undefined || target.startOrEnd !== undefined) {
      this.addError(posRangeOf(expr), '@ <timestamp> may not be set multiple times');
      return expr;
    }
    if (ts !== undefined) target.timestamp = roundHalfAwayFromZero(ts * 1000);
    else target.startOrEnd = startOrEnd;
    setEnd(expr, this.lastClosing);
    return expr;
  }
}

function canStartExpr(t: TokenType): boolean {
  switch (t) {
    case T.NUMBER:
    case T.DURATION:
    case T.STRING:
    case T.LEFT_PAREN:
    case T.LEFT_BRACE:
    case T.ADD:
    case T.SUB:
    case T.START:
    case T.END:
    case T.STEP:
    case T.RANGE:
    case T.MAX_OF:
    case T.MIN_OF:
      return true;
  }
  return isAggregator(t) || METRIC_IDENTIFIER_TOKENS.has(t);
}

function setEnd(expr: Expr, end: number): void {
  if (expr.kind === 'VectorSelector') expr.posRange = { start: expr.posRange.start, end };
  else if (expr.kind === 'MatrixSelector' || expr.kind === 'SubqueryExpr') expr.endPos = end;
}

function durationOutOfRange(seconds: number): boolean {
  return seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS;
}

function tokenRange(t: Token): PositionRange {
  return { start: t.pos, end: t.pos + t.val.length };
}

function placeholder(t: Token): NumberLiteral {
  return { kind: 'NumberLiteral', val: 0, posRange: tokenRange(t) };
}

export function parseExpr(input: string, opts: ParseOptions = {}): Expr {
  const p = new Parser(input, opts);
  let expr: Expr | undefined;
  try {
    expr = p.parseExpression();
  } catch (e) {
    // Nesting deeper than the JavaScript stack allows (Go's parser has no such limit).
    if (!(e instanceof RangeError) || !/call stack/i.test(e.message)) throw e;
    throw new ParseErrors([newParseError(input, { start: 0, end: input.length }, 'expression nesting too deep')]);
  }
  if (p.errors.length > 0 || expr === undefined) throw new ParseErrors(p.errors);
  return expr;
}

/** Prometheus' ParseMetricSelector: `foo{a="b"}` → matchers (no emptiness check). */
export function parseMetricSelector(input: string): ModelMatcher[] {
  const p = new Parser(input, {});
  const ms = p.parseMetricSelector();
  if (p.errors.length > 0 || ms === undefined) throw new ParseErrors(p.errors);
  return ms;
}

/** Prometheus' ParseMetricSelectors. */
export function parseMetricSelectors(inputs: readonly string[]): ModelMatcher[][] {
  return inputs.map((s) => parseMetricSelector(s));
}
