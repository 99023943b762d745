// Type checking of a parsed expression (Prometheus' parser.checkAST): value types of operands and
// arguments, modifier rules, and the non-empty selector rule, with Prometheus' messages and positions.

import { METRIC_NAME, goQuote as quote } from '../../model/index.ts';
import type { BinaryExpr, Expr, PositionRange, ValueType } from './ast.ts';
import * as walk from './walk.ts';

// Local copies: under tsx every access to an imported binding goes through a getter.
const { documentedType, exprType, posRangeOf } = walk;
const goQuote = quote;

type Report = (range: PositionRange, msg: string) => void;

const COMPARISON = new Set(['==', '!=', '<=', '<', '>=', '>']);
const SET_OPS = new Set(['and', 'or', 'unless']);

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

export function checkAST(root: Expr, input: string, report: Report): void {
  new Checker(input, report).check(root);
}

class Checker {
  // Selectors given as info()'s second argument may be all-empty (label selectors only).
  private readonly bypassEmptyCheck = new WeakSet<Expr>();

  constructor(
    private readonly input: string,
    private readonly report: Report,
  ) {}

  private expectType(node: Expr, want: ValueType, context: string): void {
    const t = this.check(node);
    if (t !== want) {
      this.report(posRangeOf(node), `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
    }
  }

  /** The operator's position: between the operands, trimmed of white space (Prometheus' way). */
  private opRange(node: BinaryExpr): PositionRange {
    const input = this.input;
    let start = posRangeOf(node.lhs).end;
    while (start < input.length && isSpace(input.charCodeAt(start))) start++;
    let end = posRangeOf(node.rhs).start - 1;
    while (end > 0 && isSpace(input.charCodeAt(end))) end--;
    return { start, end };
  }

  private checkBinary(node: BinaryExpr, lt: ValueType, rt: ValueType): void {
    const report = this.report;
    const vm = node.vectorMatching;
    if (node.returnBool && !COMPARISON.has(node.op)) {
      report(this.opRange(node), 'bool modifier can only be used on comparison operators');
    }
    if (COMPARISON.has(node.op) && !node.returnBool && rt === 'scalar' && lt === 'scalar') {
      report(this.opRange(node), 'comparisons between scalars must use BOOL modifier');
    }
    if (SET_OPS.has(node.op) && vm !== undefined && vm.card === 'one-to-one') vm.card = 'many-to-many';
    if (vm !== undefined && vm.on) {
      for (const l1 of vm.matchingLabels) {
        for (const l2 of vm.include) {
          if (l1 === l2) report(this.opRange(node), `label ${goQuote(l1)} must not occur in ON and GROUP clause at once`);
        }
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') {
      report(posRangeOf(node.lhs), 'binary expression must contain only scalar and instant vector types');
    }
    if (rt !== 'scalar' && rt !== 'vector') {
      report(posRangeOf(node.rhs), 'binary expression must contain only scalar and instant vector types');
    }
    if ((lt !== 'vector' || rt !== 'vector') && vm !== undefined) {
      if (vm.matchingLabels.length > 0) report(posRangeOf(node), 'vector matching only allowed between instant vectors');
      delete node.vectorMatching;
    } else if (SET_OPS.has(node.op) && vm !== undefined) {
      if (vm.card === 'one-to-many' || vm.card === 'many-to-one') {
        report(posRangeOf(node), `no grouping allowed for ${goQuote(node.op)} operation`);
      }
      if (vm.card !== 'many-to-many') report(posRangeOf(node), 'set operations must always be many-to-many');
    }
    if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(node.op)) {
      report(posRangeOf(node), `set operator ${goQuote(node.op)} not allowed in binary scalar expression`);
    }
  }

  check(node: Expr): ValueType {
    const report = this.report;
    switch (node.kind) {
      case 'AggregateExpr': {
        this.expectType(node.expr, 'vector', 'aggregation expression');
        const op = node.op;
        if (op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'limitk' || op === 'limit_ratio') {
          this.expectType(node.param!, 'scalar', 'aggregation parameter');
        }
        if (op === 'count_values') this.expectType(node.param!, 'string', 'aggregation parameter');
        break;
      }
      case 'BinaryExpr': {
        // Operator chains nest to the left and can be thousands deep: check them in a loop, in
        // the order a recursive check would (left operand, right operand, then the operator).
        const chain: BinaryExpr[] = [];
        let inner: Expr = node;
        while (inner.kind === 'BinaryExpr') {
          chain.push(inner);
          inner = inner.lhs;
        }
        let lt = this.check(inner);
        for (let i = chain.length - 1; i >= 0; i--) {
          const bin = chain[i]!;
          const rt = this.check(bin.rhs);
          this.checkBinary(bin, lt, rt);
          lt = lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
        }
        return lt;
      }
      case 'Call': {
        const fn = node.func;
        const nargs = fn.argTypes.length;
        const got = node.args.length;
        if (fn.variadic === 0) {
          if (nargs !== got) {
            report(node.posRange, `expected ${nargs} argument(s) in call to ${goQuote(fn.name)}, got ${got}`);
          }
        } else {
          const na = nargs - 1;
          if (na > got) {
            report(node.posRange, `expected at least ${na} argument(s) in call to ${goQuote(fn.name)}, got ${got}`);
          } else if (fn.variadic > 0 && na + fn.variadic < got) {
            report(
              node.posRange,
              `expected at most ${na + fn.variadic} argument(s) in call to ${goQuote(fn.name)}, got ${got}`,
            );
          }
        }
        if (fn.name === 'info' && got > 1) {
          const arg = node.args[1]!;
          if (exprType(arg) !== 'vector') {
            report(
              node.posRange,
              `expected type instant vector in call to function "info", got ${documentedType(exprType(arg))}`,
            );
          }
          if (arg.kind === 'VectorSelector' && arg.name !== '') {
            report(arg.posRange, 'expected label selectors only, got vector selector instead');
          } else if (arg.kind === 'VectorSelector') {
            this.bypassEmptyCheck.add(arg);
          } else {
            report(posRangeOf(arg), 'expected label selectors only');
          }
        }
        for (let i = 0; i < got; i++) {
          let ti = i;
          if (ti >= nargs) {
            if (fn.variadic === 0) break;
            ti = nargs - 1;
          }
          const arg = node.args[i]!;
          const t = this.check(arg);
          const want = fn.argTypes[ti]!;
          if (t !== want) {
            report(
              posRangeOf(arg),
              `expected type ${documentedType(want)} in call to function ${goQuote(fn.name)}, got ${documentedType(t)}`,
            );
          }
        }
        break;
      }
      case 'ParenExpr':
      case 'StepInvariantExpr':
        this.check(node.expr);
        break;
      case 'UnaryExpr': {
        const t = this.check(node.expr);
        if (t !== 'scalar' && t !== 'vector') {
          report(
            posRangeOf(node),
            `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`,
          );
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.check(node.expr);
        if (t !== 'vector') report(posRangeOf(node), `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'MatrixSelector':
        this.check(node.vectorSelector);
        break;
      case 'VectorSelector': {
        if (node.name !== '') {
          // The last matcher is the one for the name written before the braces.
          for (let i = 0; i < node.matchers.length - 1; i++) {
            const m = node.matchers[i]!;
            if (m.name === METRIC_NAME) {
              report(
                node.posRange,
                `metric name must not be set twice: ${goQuote(node.name)} or ${goQuote(m.value)}`,
              );
            }
          }
          break;
        }
        if (!this.bypassEmptyCheck.has(node) && !node.matchers.some((m) => !m.matches(''))) {
          report(node.posRange, 'vector selector must contain at least one non-empty matcher');
        }
        break;
      }
      case 'NumberLiteral':
      case 'StringLiteral':
        break;
    }
    return exprType(node);
  }
}
