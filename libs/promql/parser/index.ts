// Public face of the PromQL parser: parse, type-check, print and walk PromQL expressions.

export type * from './ast.ts';
export { ValueType } from './ast.ts';
export { parseExpr, parseMetricSelector, parseMetricSelectors } from './parser.ts';
export type { ParseOptions } from './parser.ts';
export { ParseErrors, formatParseError, startPosInput } from './errors.ts';
export type { ParseError } from './errors.ts';
export { FUNCTIONS, getFunction } from './functions.ts';
export { exprToString, prettify, matcherToString, quoteString } from './printer.ts';
export { children, documentedType, exprType, extractSelectors, posRangeOf, walkExpr } from './walk.ts';
