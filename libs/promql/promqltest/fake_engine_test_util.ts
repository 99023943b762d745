// A tiny PromQL stand-in for the runner's own tests: selectors (with `@` and ranges; instant ones
// also return native histograms), number and
// string literals, and a few functions that warn, fail, crash, reorder or depend on time. Knobs
// make it wrong in the ways the runner must catch.

import { compareLabels, Labels, Matcher, MatchType, isStaleNaN } from '../../model/index.ts';
import { ValueType, type Queryable } from '../../storage/index.ts';
import { Annotations } from '../engine/index.ts';
import type { HPoint, Matrix, Value, Vector } from '../engine/index.ts';
import type { Expr, FunctionDef, VectorSelector } from '../parser/index.ts';
import type { TestEngine, TestParser, TestQuery } from './runner.ts';

const LOOKBACK = 300_000;

export class FakeEngineError extends Error {
  readonly type = 'execution';
}

const fn = (name: string, experimental = false): FunctionDef => ({ name, argTypes: [], variadic: -1, returnType: 'vector', experimental });

export const fakeParser: TestParser = {
  parseExpr(q: string): Expr {
    return parse(q.trim(), 0);
  },
  exprToString,
};

function parse(q: string, off: number): Expr {
  const pos = { start: off, end: off + q.length };
  let m: RegExpExecArray | null;
  if ((m = /^(-?[0-9.]+|NaN)$/.exec(q))) return { kind: 'NumberLiteral', val: Number(m[1]), posRange: pos };
  if ((m = /^"(.*)"$/.exec(q))) return { kind: 'StringLiteral', val: m[1]!, posRange: pos };
  if (q.includes('experimental_syntax')) throw new Error('1:1: parse error: experimental duration expression is not enabled');
  if ((m = /^([a-z_]+)\((.*)\)$/.exec(q))) {
    const args = m[2] === '' ? [] : [parse(m[2]!, off + m[1]!.length + 1)];
    if (m[1] === 'limitk') return { kind: 'AggregateExpr', op: 'limitk', expr: args[0]!, grouping: [], without: false, posRange: pos };
    return { kind: 'Call', func: fn(m[1]!, m[1] === 'xp'), args, posRange: pos };
  }
  if ((m = /^([a-z_]+)(?:\[([0-9]+)m\])?(?: @ (-?[0-9.]+))?$/.exec(q))) {
    const vs: VectorSelector = {
      kind: 'VectorSelector',
      name: m[1]!,
      matchers: [new Matcher(MatchType.Equal, '__name__', m[1]!)],
      originalOffset: 0,
      offset: 0,
      posRange: { start: off, end: off + m[1]!.length },
    };
    if (m[3] !== undefined) vs.timestamp = Math.round(Number(m[3]) * 1000);
    if (m[2] === undefined) return vs;
    return { kind: 'MatrixSelector', vectorSelector: vs, range: Number(m[2]) * 60_000, endPos: off + q.length };
  }
  throw new Error(`1:1: parse error: unexpected ${JSON.stringify(q)}`);
}

function exprToString(e: Expr): string {
  switch (e.kind) {
    case 'NumberLiteral':
      return String(e.val);
    case 'StringLiteral':
      return JSON.stringify(e.val);
    case 'Call':
      return `${e.func.name}(${e.args.map(exprToString).join(', ')})`;
    case 'AggregateExpr':
      return `${e.op}(${exprToString(e.expr)})`;
    case 'VectorSelector':
      return e.name + (e.timestamp !== undefined ? ` @ ${(e.timestamp / 1000).toFixed(3)}` : '');
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      return `${vs.name}[${e.range / 60_000}m]` + (vs.timestamp !== undefined ? ` @ ${(vs.timestamp / 1000).toFixed(3)}` : '');
    }
    default:
      throw new Error(`fake printer: ${e.kind}`);
  }
}

export interface FakeEngineKnobs {
  /** Ignore `@` modifiers (not step invariant). */
  ignoreAt?: boolean;
  /** Range queries add this to every value. */
  rangeSkew?: number;
  /** Return matrices in reverse label order. */
  unsorted?: boolean;
}

export class FakeEngine implements TestEngine {
  readonly queries: string[] = [];

  constructor(private readonly knobs: FakeEngineKnobs = {}) {}

  instantQuery(queryable: Queryable, qs: string, t: number): TestQuery {
    this.queries.push(`instant ${t} ${qs}`);
    const expr = fakeParser.parseExpr(qs);
    return {
      exec: async () => {
        const annotations = new Annotations();
        const value = await this.eval(queryable, expr, t, annotations);
        if (value.type === 'matrix' && this.knobs.unsorted) value.value.reverse();
        return { value, annotations };
      },
    };
  }

  rangeQuery(queryable: Queryable, qs: string, start: number, end: number, step: number): TestQuery {
    this.queries.push(`range ${start} ${end} ${step} ${qs}`);
    const expr = fakeParser.parseExpr(qs);
    return {
      exec: async () => {
        const annotations = new Annotations();
        const bySeries = new Map<string, Matrix[number]>();
        for (let t = start; t <= end; t += step) {
          const v = await this.eval(queryable, expr, t, annotations);
          const samples: Vector =
            v.type === 'scalar' ? [{ metric: Labels.EMPTY, t, f: v.value.v }] : v.type === 'vector' ? v.value : [];
          if (v.type === 'matrix' || v.type === 'string') throw new FakeEngineError('invalid expression type for range query');
          for (const s of samples) {
            const key = s.metric.toString();
            if (!bySeries.has(key)) bySeries.set(key, { metric: s.metric, floats: [] });
            const series = bySeries.get(key)!;
            if (s.h) (series.histograms ??= []).push({ t, h: s.h });
            else series.floats.push({ t, f: s.f + (this.knobs.rangeSkew ?? 0) });
          }
        }
        const m = [...bySeries.values()].sort((a, b) => compareLabels(a.metric, b.metric));
        if (this.knobs.unsorted) m.reverse();
        return { value: { type: 'matrix', value: m }, annotations };
      },
    };
  }

  private async eval(q: Queryable, e: Expr, t: number, annos: Annotations): Promise<Value> {
    switch (e.kind) {
      case 'NumberLiteral':
        return { type: 'scalar', value: { t, v: e.val } };
      case 'StringLiteral':
        return { type: 'string', value: { t, v: e.val } };
      case 'VectorSelector': {
        const at = e.timestamp !== undefined && !this.knobs.ignoreAt ? e.timestamp : t;
        const out: Vector = [];
        for (const s of await this.select(q, e, at - LOOKBACK + 1, at)) {
          const last = s.floats[s.floats.length - 1];
          const lastH = s.histograms?.[s.histograms.length - 1];
          if (lastH && (!last || lastH.t > last.t)) {
            if (!isStaleNaN(lastH.h.sum)) out.push({ metric: s.metric, t, f: 0, h: lastH.h });
          } else if (last && !isStaleNaN(last.f)) out.push({ metric: s.metric, t, f: last.f });
        }
        return { type: 'vector', value: out };
      }
      case 'MatrixSelector': {
        const vs = e.vectorSelector;
        const at = vs.timestamp !== undefined && !this.knobs.ignoreAt ? vs.timestamp : t;
        const m = (await this.select(q, vs, at - e.range + 1, at))
          .map((s) => ({ metric: s.metric, floats: s.floats.filter((p) => !isStaleNaN(p.f)) }))
          .filter((s) => s.floats.length > 0);
        return { type: 'matrix', value: m };
      }
      case 'AggregateExpr':
        return this.eval(q, e.expr, t, annos);
      case 'Call': {
        const name = e.func.name;
        if (name === 'time') return { type: 'scalar', value: { t, v: t / 1000 } };
        if (name === 'crash') throw new TypeError('cannot read properties of undefined');
        if (name === 'fail') throw new FakeEngineError('boom');
        const v = await this.eval(q, e.args[0]!, t, annos);
        if (name === 'warn') annos.warn('something odd', (e.args[0] as VectorSelector).posRange);
        if (name === 'info') annos.info('just saying', (e.args[0] as VectorSelector).posRange);
        if (name === 'reverse' && v.type === 'vector') v.value.sort((a, b) => compareLabels(b.metric, a.metric));
        return v;
      }
      default:
        throw new Error(`fake engine: ${e.kind}`);
    }
  }

  private async select(q: Queryable, vs: VectorSelector, mint: number, maxt: number): Promise<Matrix> {
    const out: Matrix = [];
    for await (const s of q.querier(mint, maxt).select(true, undefined, vs.matchers)) {
      const it = s.iterator();
      const floats: { t: number; f: number }[] = [];
      const histograms: HPoint[] = [];
      for (let vt = it.seek(mint); vt !== ValueType.None; vt = it.next()) {
        if (it.atT() > maxt) break;
        if (vt === ValueType.Float) floats.push({ t: it.atT(), f: it.atF() });
        else histograms.push({ t: it.atT(), h: it.atFH() });
      }
      out.push({ metric: s.labels, floats, histograms });
    }
    return out;
  }
}
