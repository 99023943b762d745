// Helpers for the parser's tests: the plain-data form of a tree that the fixtures in testdata/
// (converted from Prometheus' parser tests) are written in.

import { readFileSync } from 'node:fs';
import type { Expr } from './ast.ts';

/** The tree as plain data: matchers as strings in order, functions by name, no engine-only fields. */
export function normalize(e: Expr, withPositions = true): unknown {
  const pos = (p: { start: number; end: number }): unknown => (withPositions ? p : undefined);
  switch (e.kind) {
    case 'VectorSelector': {
      const o: Record<string, unknown> = {
        kind: e.kind,
        name: e.name,
        matchers: e.matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`),
        originalOffset: e.originalOffset,
        posRange: pos(e.posRange),
      };
      if (e.timestamp !== undefined) o.timestamp = e.timestamp;
      if (e.startOrEnd !== undefined) o.startOrEnd = e.startOrEnd;
      return o;
    }
    case 'MatrixSelector':
      return {
        kind: e.kind,
        vectorSelector: normalize(e.vectorSelector, withPositions),
        range: e.range,
        endPos: withPositions ? e.endPos : undefined,
      };
    case 'SubqueryExpr': {
      const o: Record<string, unknown> = {
        kind: e.kind,
        expr: normalize(e.expr, withPositions),
        range: e.range,
        originalOffset: e.originalOffset,
        step: e.step,
        endPos: withPositions ? e.endPos : undefined,
      };
      if (e.timestamp !== undefined) o.timestamp = e.timestamp;
      if (e.startOrEnd !== undefined) o.startOrEnd = e.startOrEnd;
      return o;
    }
    case 'AggregateExpr': {
      const o: Record<string, unknown> = {
        kind: e.kind,
        op: e.op,
        expr: normalize(e.expr, withPositions),
        grouping: e.grouping,
        without: e.without,
        posRange: pos(e.posRange),
      };
      if (e.param !== undefined) o.param = normalize(e.param, withPositions);
      return o;
    }
    case 'BinaryExpr': {
      const o: Record<string, unknown> = {
        kind: e.kind,
        op: e.op,
        lhs: normalize(e.lhs, withPositions),
        rhs: normalize(e.rhs, withPositions),
        returnBool: e.returnBool,
      };
      if (e.vectorMatching !== undefined) o.vectorMatching = e.vectorMatching;
      return o;
    }
    case 'Call':
      return { kind: e.kind, func: e.func.name, args: e.args.map((a) => normalize(a, withPositions)), posRange: pos(e.posRange) };
    case 'ParenExpr':
      return { kind: e.kind, expr: normalize(e.expr, withPositions), posRange: pos(e.posRange) };
    case 'UnaryExpr':
      return { kind: e.kind, op: e.op, expr: normalize(e.expr, withPositions), startPos: withPositions ? e.startPos : undefined };
    case 'NumberLiteral': {
      const o: Record<string, unknown> = { kind: e.kind, val: numberForm(e.val), posRange: pos(e.posRange) };
      if (e.duration) o.duration = true;
      return o;
    }
    case 'StringLiteral':
      return { kind: e.kind, val: e.val, posRange: pos(e.posRange) };
    case 'StepInvariantExpr':
      return { kind: e.kind, expr: normalize(e.expr, withPositions) };
  }
}

/** Non-finite numbers as the fixtures spell them ({"num": "Infinity"}). */
function numberForm(v: number): unknown {
  return Number.isFinite(v) ? v : { num: String(v) };
}

/** Drops undefined fields so that deepStrictEqual compares like JSON. */
export function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')) as T;
}

/** A small seeded PRNG (mulberry32), so generated queries can be replayed from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

const METRICS = ['foo', 'http_requests_total', 'a:b:c', 'sum', 'on', 'offset', 'by', 'start', 'x'];
const LABELS = ['job', 'instance', 'le', 'a_1', 'bool', 'on'];
const VALUES = ['"api"', "'x'", '`a.*`', '""', '"\\n\\u00e9"'];
const DURATIONS = ['5m', '1h30m', '10s', '1d', '300', '1.5', '2w', '100ms'];
const BIN_OPS = ['+', '-', '*', '/', '%', '^', 'atan2', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless'];
const VECTOR_FNS = ['abs', 'ceil', 'exp', 'sort', 'timestamp', 'absent', 'sgn', 'histogram_count'];
const RANGE_FNS = ['rate', 'increase', 'delta', 'avg_over_time', 'count_over_time', 'resets', 'last_over_time'];
const AGGS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar'];

/** A random, mostly valid PromQL query (type errors are possible, syntax errors are not). */
export function randomQuery(rng: () => number, depth = 0): string {
  const leaf = depth > 3 || rng() < 0.3;
  const selector = (): string => {
    const name = rng() < 0.8 ? pick(rng, METRICS) : '';
    const n = name === '' ? 1 + Math.floor(rng() * 2) : Math.floor(rng() * 3);
    const ms: string[] = [];
    for (let i = 0; i < n; i++) ms.push(`${pick(rng, LABELS)}${pick(rng, ['=', '!=', '=~', '!~'])}${pick(rng, VALUES)}`);
    if (name === '' && ms.length > 0) ms[0] = `${pick(rng, LABELS)}="v"`;
    let s = name + (ms.length > 0 || name === '' ? `{${ms.join(', ')}}` : '');
    if (rng() < 0.2) s += ` offset ${rng() < 0.3 ? '-' : ''}${pick(rng, DURATIONS)}`;
    if (rng() < 0.15) s += pick(rng, [' @ 100', ' @ start()', ' @ end()', ' @ -5.5']);
    return s;
  };
  if (leaf) {
    const r = rng();
    if (r < 0.6) return selector();
    if (r < 0.8) return pick(rng, ['1', '0.5', '1e3', '0x1F', 'Inf', 'NaN', '-2', '5m']);
    return selector();
  }
  const sub = (): string => randomQuery(rng, depth + 1);
  switch (Math.floor(rng() * 9)) {
    case 0:
      return `${sub()} ${pick(rng, BIN_OPS)}${rng() < 0.2 ? ' bool' : ''} ${sub()}`;
    case 1:
      return `${sub()} ${pick(rng, ['+', '*', '/', 'and', 'or', '>'])} ${pick(rng, ['on', 'ignoring'])}(${pick(rng, LABELS)}) ${rng() < 0.5 ? `group_left(${pick(rng, LABELS)}) ` : ''}${sub()}`;
    case 2:
      return `${pick(rng, VECTOR_FNS)}(${sub()})`;
    case 3: {
      const sel = selector().replace(/ (offset|@) .*$/, '');
      return `${pick(rng, RANGE_FNS)}(${sel}[${pick(rng, DURATIONS)}]${rng() < 0.3 ? ' offset 1m' : ''})`;
    }
    case 4: {
      const mod = rng() < 0.5 ? ` ${pick(rng, ['by', 'without'])} (${pick(rng, LABELS)}, ${pick(rng, LABELS)})` : '';
      return rng() < 0.5 ? `${pick(rng, AGGS)}${mod} (${sub()})` : `${pick(rng, AGGS)}(${sub()})${mod}`;
    }
    case 5:
      return `${pick(rng, ['topk', 'bottomk', 'quantile'])}(${pick(rng, ['3', '0.9', 'scalar(x)'])}, ${sub()})`;
    case 6:
      return `(${sub()})`;
    case 7:
      return `-${sub()}`;
    default:
      return `${pick(rng, RANGE_FNS)}(${sub()}[${pick(rng, DURATIONS)}:${rng() < 0.5 ? pick(rng, DURATIONS) : ''}])`;
  }
}

const MUTATION_PIECES = [
  '(', ')', '[', ']', '{', '}', ',', ':', '"', "'", '`', '\\', '@', 'offset', 'by', 'on', 'bool', 'group_left',
  ' ', '\n', '#', '=', '=~', '!', '-', '+', '^', '5m', '1e', '0x', '.', 'sum', 'rate', 'step()', '\u00e9', '\ud800',
];

/** The query with a few random edits (deletions, insertions, swaps) — usually invalid. */
export function mutateQuery(rng: () => number, q: string): string {
  const edits = 1 + Math.floor(rng() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rng() * (q.length + 1));
    switch (Math.floor(rng() * 4)) {
      case 0:
        q = q.slice(0, at) + q.slice(at + 1 + Math.floor(rng() * 4));
        break;
      case 1:
        q = q.slice(0, at) + pick(rng, MUTATION_PIECES) + q.slice(at);
        break;
      case 2: {
        const to = Math.floor(rng() * (q.length + 1));
        q = q.slice(0, at) + q.slice(to, to + 3) + q.slice(at);
        break;
      }
      default:
        q = q.slice(0, at) + String.fromCharCode(32 + Math.floor(rng() * 95)) + q.slice(at + 1);
    }
  }
  return q;
}
