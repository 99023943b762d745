// Expressions back to PromQL text: exprToString is Prometheus' Expr.String() (printer.go) and
// prettify its Pretty(0) (prettier.go), byte for byte.

import { METRIC_NAME, compareStrings, goQuote } from '../../model/index.ts';
import type { Matcher } from '../../model/index.ts';
import type { AggregateExpr, AtModifier, BinaryExpr, Expr, SubqueryExpr, VectorSelector } from './ast.ts';
import { formatDuration, formatFloatF } from './gofmt.ts';
import { utf8Length } from './lexer.ts';

const AGGREGATORS_WITH_PARAM = new Set(['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);

/** Go's strconv.Quote, with the parser's U+DC80+byte stand-ins for invalid UTF-8 printed as \xNN. */
export function quoteString(s: string): string {
  if (!/[\udc80-\udcff]/.test(s)) return goQuote(s);
  let out = '';
  let run = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const highBefore = i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
    if (c >= 0xdc80 && c <= 0xdcff && !highBefore) {
      if (run !== '') out += goQuote(run).slice(1, -1);
      run = '';
      out += '\\x' + (c - 0xdc00).toString(16).padStart(2, '0');
    } else {
      run += s[i];
    }
  }
  if (run !== '') out += goQuote(run).slice(1, -1);
  return '"' + out + '"';
}

function isLegacyLabelName(s: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(s);
}

/** Prometheus' labels.Matcher.String(). */
export function matcherToString(m: Matcher): string {
  const name = isLegacyLabelName(m.name) ? m.name : quoteString(m.name);
  return name + m.type + quoteString(m.value);
}

function labelList(ls: readonly string[]): string {
  return ls.map((l) => (isLegacyLabelName(l) ? l : quoteString(l))).join(', ');
}

function atString(timestamp: number | undefined, startOrEnd: AtModifier | undefined): string {
  if (timestamp !== undefined) return ' @ ' + (timestamp / 1000).toFixed(3);
  if (startOrEnd === 'start') return ' @ start()';
  if (startOrEnd === 'end') return ' @ end()';
  return '';
}

function offsetString(offset: number): string {
  if (offset > 0) return ' offset ' + formatDuration(offset);
  if (offset < 0) return ' offset -' + formatDuration(-offset);
  return '';
}

function aggregateOpString(e: AggregateExpr): string {
  if (e.without) return `${e.op} without (${labelList(e.grouping)}) `;
  if (e.grouping.length > 0) return `${e.op} by (${labelList(e.grouping)}) `;
  return e.op;
}

function matchingString(e: BinaryExpr): string {
  const vm = e.vectorMatching;
  if (vm === undefined) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? 'on' : 'ignoring'} (${labelList(vm.matchingLabels)})`;
  }
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${labelList(vm.include)})`;
  return s;
}

function vectorSelectorString(vs: VectorSelector, withModifiers: boolean): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    parts.push(matcherToString(m));
  }
  let s = vs.name;
  if (parts.length > 0) s += '{' + parts.sort(compareStrings).join(',') + '}';
  if (withModifiers) s += atString(vs.timestamp, vs.startOrEnd) + offsetString(vs.originalOffset);
  return s;
}

function subquerySuffix(e: SubqueryExpr): string {
  const step = e.step !== 0 ? formatDuration(e.step) : '';
  return `[${formatDuration(e.range)}:${step}]` + atString(e.timestamp, e.startOrEnd) + offsetString(e.originalOffset);
}

/** Prometheus' Expr.String(). */
export function exprToString(e: Expr): string {
  switch (e.kind) {
    case 'AggregateExpr': {
      let s = aggregateOpString(e) + '(';
      if (AGGREGATORS_WITH_PARAM.has(e.op) && e.param !== undefined) s += exprToString(e.param) + ', ';
      return s + exprToString(e.expr) + ')';
    }
    case 'BinaryExpr': {
      // Left-deep operator chains can be thousands deep: print them without recursing on the left.
      const chain: BinaryExpr[] = [];
      let inner: Expr = e;
      while (inner.kind === 'BinaryExpr') {
        chain.push(inner);
        inner = inner.lhs;
      }
      let s = exprToString(inner);
      for (let i = chain.length - 1; i >= 0; i--) {
        const b = chain[i]!;
        s += ` ${b.op}${b.returnBool ? ' bool' : ''}${matchingString(b)} ${exprToString(b.rhs)}`;
      }
      return s;
    }
    case 'Call':
      return e.func.name + '(' + e.args.map(exprToString).join(', ') + ')';
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      return (
        vectorSelectorString(vs, false) +
        `[${formatDuration(e.range)}]` +
        atString(vs.timestamp, vs.startOrEnd) +
        offsetString(vs.originalOffset)
      );
    }
    case 'SubqueryExpr':
      return exprToString(e.expr) + subquerySuffix(e);
    case 'NumberLiteral':
      if (e.duration) {
        return e.val < 0 ? '-' + formatDuration(secondsToWholeMs(-e.val)) : formatDuration(secondsToWholeMs(e.val));
      }
      return formatFloatF(e.val);
    case 'ParenExpr':
      return '(' + exprToString(e.expr) + ')';
    case 'StringLiteral':
      return quoteString(e.val);
    case 'UnaryExpr':
      return e.op + exprToString(e.expr);
    case 'VectorSelector':
      return vectorSelectorString(e, true);
    case 'StepInvariantExpr':
      return exprToString(e.expr);
  }
}

/** model.Duration(seconds * 1e9): nanoseconds cut to whole ms for printing. */
function secondsToWholeMs(seconds: number): number {
  return Math.trunc(Math.trunc(seconds * 1e9) / 1e6);
}

function needsSplit(e: Expr, max: number): boolean {
  return utf8Length(exprToString(e)) > max;
}

function indent(level: number): string {
  return '  '.repeat(level);
}

/** Prometheus' Pretty(level): splits expressions longer than 100 characters over lines. */
export function prettyExpr(e: Expr, level: number, max = 100): string {
  switch (e.kind) {
    case 'AggregateExpr': {
      if (!needsSplit(e, max)) return indent(level) + exprToString(e);
      let s = indent(level) + aggregateOpString(e) + '(\n';
      if (AGGREGATORS_WITH_PARAM.has(e.op) && e.param !== undefined) s += prettyExpr(e.param, level + 1, max) + ',\n';
      return s + prettyExpr(e.expr, level + 1, max) + '\n' + indent(level) + ')';
    }
    case 'BinaryExpr': {
      if (!needsSplit(e, max)) return indent(level) + exprToString(e);
      return (
        prettyExpr(e.lhs, level + 1, max) +
        '\n' +
        indent(level) +
        e.op +
        (e.returnBool ? ' bool' : '') +
        matchingString(e) +
        '\n' +
        prettyExpr(e.rhs, level + 1, max)
      );
    }
    case 'Call': {
      if (!needsSplit(e, max)) return indent(level) + exprToString(e);
      const args = e.args.map((a) => prettyExpr(a, level + 1, max)).join(',\n');
      return indent(level) + e.func.name + '(\n' + args + '\n' + indent(level) + ')';
    }
    case 'ParenExpr':
      if (!needsSplit(e, max)) return indent(level) + exprToString(e);
      return indent(level) + '(\n' + prettyExpr(e.expr, level + 1, max) + '\n' + indent(level) + ')';
    case 'StepInvariantExpr':
      return prettyExpr(e.expr, level, max);
    case 'SubqueryExpr':
      // As in Prometheus, an unsplit subquery is not indented.
      if (!needsSplit(e, max)) return exprToString(e);
      return prettyExpr(e.expr, level, max) + subquerySuffix(e);
    case 'UnaryExpr':
      return indent(level) + e.op + prettyExpr(e.expr, level, max).trim();
    case 'MatrixSelector':
    case 'VectorSelector':
    case 'NumberLiteral':
    case 'StringLiteral':
      return indent(level) + exprToString(e);
  }
}

/**
 * Prometheus' parser.Prettify (Pretty(0)), as /api/v1/format_query returns it; lines longer than
 * `maxLineLength` (Prometheus: 100) are split.
 */
export function prettify(e: Expr, maxLineLength = 100): string {
  return prettyExpr(e, 0, maxLineLength);
}
