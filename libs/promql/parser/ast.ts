// The PromQL syntax tree, as Prometheus' parser builds it (promql/parser/ast.go). Every node
// carries its position range in the query text (UTF-16 offsets, end exclusive) for error
// messages and annotations.

import type { Matcher } from '../../model/index.ts';

export interface PositionRange {
  readonly start: number;
  readonly end: number;
}

export const ValueType = {
  None: 'none',
  Vector: 'vector',
  Scalar: 'scalar',
  Matrix: 'matrix',
  String: 'string',
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** Aggregation operators. */
export type AggregateOp =
  | 'sum' | 'avg' | 'count' | 'min' | 'max' | 'group' | 'stddev' | 'stdvar'
  | 'topk' | 'bottomk' | 'count_values' | 'quantile' | 'limitk' | 'limit_ratio';

/** Binary operators, including set and comparison operators. */
export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '^' | 'atan2'
  | '==' | '!=' | '>' | '<' | '>=' | '<='
  | 'and' | 'or' | 'unless'
  // Native histogram bucket trimming ("</" upper, ">/" lower); floats give an info annotation.
  | '</' | '>/';

export type VectorMatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: VectorMatchCardinality;
  /** Labels to match on (`on`) or to ignore (`ignoring`). */
  matchingLabels: string[];
  /** True for `on(...)`, false for `ignoring(...)` (or no modifier). */
  on: boolean;
  /** Extra labels taken from the "one" side: `group_left(...)` / `group_right(...)`. */
  include: string[];
}

/** `@ start()` / `@ end()`: resolved to the query's start or end at evaluation. */
export type AtModifier = 'start' | 'end';

export interface VectorSelector {
  readonly kind: 'VectorSelector';
  /** The metric name if written before the braces ('' otherwise). */
  name: string;
  matchers: Matcher[];
  /** `offset` in ms as written (negative offsets allowed). */
  originalOffset: number;
  /** Offset applied at evaluation (the engine may fold `@` into it); starts equal to originalOffset. */
  offset: number;
  /** `@ <timestamp>` in ms, if given. */
  timestamp?: number;
  startOrEnd?: AtModifier;
  posRange: PositionRange;
}

export interface MatrixSelector {
  readonly kind: 'MatrixSelector';
  vectorSelector: VectorSelector;
  /** Range in ms. */
  range: number;
  /** Position of the closing `]` + 1. */
  endPos: number;
}

export interface SubqueryExpr {
  readonly kind: 'SubqueryExpr';
  expr: Expr;
  range: number;
  originalOffset: number;
  offset: number;
  timestamp?: number;
  startOrEnd?: AtModifier;
  /** Resolution in ms; 0 means the default evaluation interval. */
  step: number;
  endPos: number;
}

export interface AggregateExpr {
  readonly kind: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** Parameter of topk, bottomk, quantile, count_values, limitk, limit_ratio. */
  param?: Expr;
  grouping: string[];
  without: boolean;
  posRange: PositionRange;
}

export interface BinaryExpr {
  readonly kind: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** Present when both sides are instant vectors. */
  vectorMatching?: VectorMatching;
  /** The `bool` modifier of comparison operators. */
  returnBool: boolean;
}

export interface Call {
  readonly kind: 'Call';
  func: FunctionDef;
  args: Expr[];
  posRange: PositionRange;
}

export interface NumberLiteral {
  readonly kind: 'NumberLiteral';
  val: number;
  posRange: PositionRange;
  /** Written as a duration (`5m`): the value is in seconds and prints back as a duration. */
  duration?: boolean;
}

export interface StringLiteral {
  readonly kind: 'StringLiteral';
  val: string;
  posRange: PositionRange;
}

export interface ParenExpr {
  readonly kind: 'ParenExpr';
  expr: Expr;
  posRange: PositionRange;
}

export interface UnaryExpr {
  readonly kind: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
  startPos: number;
}

/** Inserted by the engine's preprocessing around subtrees whose value is the same at every step. */
export interface StepInvariantExpr {
  readonly kind: 'StepInvariantExpr';
  expr: Expr;
}

export type Expr =
  | AggregateExpr
  | BinaryExpr
  | Call
  | MatrixSelector
  | SubqueryExpr
  | NumberLiteral
  | StringLiteral
  | ParenExpr
  | UnaryExpr
  | VectorSelector
  | StepInvariantExpr;

/** A PromQL function's signature, as in Prometheus' parser.Functions table. */
export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  /**
   * Prometheus' `Variadic`: 0 = exactly argTypes.length arguments; otherwise at least
   * argTypes.length - 1, and at most that plus `variadic` (or unlimited when -1).
   */
  variadic: number;
  returnType: ValueType;
  /** Behind a feature flag in Prometheus. */
  experimental?: boolean;
}
