// Binary operators at one evaluation step: scalar/scalar, vector/scalar, and vector/vector with
// Prometheus' matching (one-to-one, many-to-one, one-to-many, set operators), its result
// labels and its error messages.

import { Labels, LabelsBuilder, compareStrings, goQuote } from '../../model/index.ts';
import type { BinaryOp, PositionRange, VectorMatching } from '../parser/ast.ts';
import type { Annotations } from './annotations.ts';
import { PromQLError } from './errors.ts';
import {
  IncompatibleSchemaError, combineHistograms, compactHistogram, divideHistogram, histogramsEqual, scaleHistogram, trimHistogram,
  type CombineNotes,
} from './functions_native.ts';
import { goPow } from './gomath.ts';
import { nativeHistogramsUnsupported } from './iterators.ts';
import { METADATA_LABELS, labelsKey, matchLabels } from './labels_util.ts';
import type { FloatHistogram, Sample, Vector } from './value.ts';

export function isComparisonOp(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

export function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** Operators whose result no longer means what the metric name says (its name is dropped). */
export function changesMetricSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '^' || op === '%' || op === 'atan2';
}

/** Arithmetic on two floats; comparisons answer 1 or 0 (scalar/scalar only allows `bool` ones). */
export function scalarBinop(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '^':
      return goPow(l, r);
    case '%':
      return l % r; // Go's math.Mod: exact, sign of the dividend, like JavaScript's %.
    case '==':
      return l === r ? 1 : 0;
    case '!=':
      return l !== r ? 1 : 0;
    case '>':
      return l > r ? 1 : 0;
    case '<':
      return l < r ? 1 : 0;
    case '>=':
      return l >= r ? 1 : 0;
    case '<=':
      return l <= r ? 1 : 0;
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new PromQLError('internal', `operator "${op}" not allowed for Scalar operations`);
  }
}

/** Result of an element operation: the value and whether the element is kept (comparisons filter). */
let elemKeep = true;

/** vectorElemBinop for floats; sets `elemKeep`. Comparisons return the left value. */
function elemBinop(op: BinaryOp, l: number, r: number): number {
  elemKeep = true;
  switch (op) {
    case '==':
      elemKeep = l === r;
      return l;
    case '!=':
      elemKeep = l !== r;
      return l;
    case '>':
      elemKeep = l > r;
      return l;
    case '<':
      elemKeep = l < r;
      return l;
    case '>=':
      elemKeep = l >= r;
      return l;
    case '<=':
      elemKeep = l <= r;
      return l;
    default:
      return scalarBinop(op, l, r);
  }
}

/** Where a binary operation reports its annotations: the whole expression's position. */
export interface BinopContext {
  annos: Annotations;
  pos: PositionRange;
}

/** The outcome of histogramBinop: a float (`h` unset) or histogram result, or nothing (dropped). */
interface ElemResult {
  f: number;
  h?: FloatHistogram;
}

/**
 * An operation with a histogram on at least one side (vectorElemBinop): histogram +/- histogram,
 * histogram times or divided by a float, float times histogram, == and != between histograms.
 * Anything else is dropped with an info. Comparisons filter (returning the left value) unless
 * `returnBool`.
 */
function histogramBinop(op: BinaryOp, lf: number, lh: FloatHistogram | undefined, rf: number, rh: FloatHistogram | undefined, returnBool: boolean, ctx: BinopContext): ElemResult | undefined {
  if ((op === '</' || op === '>/') && lh && !rh) {
    // A NaN threshold is not implemented yet.
    const h = trimHistogram(lh, rf, op === '</');
    if (h === undefined) throw nativeHistogramsUnsupported();
    return { f: 0, h };
  }
  if (lh && rh) {
    switch (op) {
      case '+':
      case '-': {
        const notes: CombineNotes = { counterResetCollision: false, nhcbBoundsReconciled: false };
        let h: FloatHistogram;
        try {
          h = combineHistograms(lh, rh, op === '+' ? 1 : -1, notes);
        } catch (err) {
          if (!(err instanceof IncompatibleSchemaError)) throw err;
          ctx.annos.warn('vector contains a mix of histograms with exponential and custom buckets schemas', ctx.pos);
          return undefined;
        }
        const what = op === '+' ? 'addition' : 'subtraction';
        if (notes.counterResetCollision) ctx.annos.warn(`conflicting counter resets during histogram ${what}`, ctx.pos);
        if (notes.nhcbBoundsReconciled) ctx.annos.info(`mismatched custom buckets were reconciled during ${what}`, ctx.pos);
        // A difference of counters is no counter.
        if (op === '-') h.counterResetHint = 'gauge';
        return { f: 0, h: compactHistogram(h) };
      }
      case '==':
      case '!=': {
        const keep = histogramsEqual(lh, rh) === (op === '==');
        if (returnBool) return { f: keep ? 1 : 0 };
        return keep ? { f: 0, h: lh } : undefined;
      }
    }
  } else if (lh) {
    if (op === '*') return { f: 0, h: scaleHistogram(lh, rf) };
    if (op === '/') return { f: 0, h: divideHistogram(lh, rf) };
  } else if (rh) {
    if (op === '*') return { f: 0, h: scaleHistogram(rh, lf) };
  }
  incompatibleTypes(op, lh !== undefined, rh !== undefined, ctx);
  return undefined;
}

function isTrimOp(op: BinaryOp): boolean {
  return op === '</' || op === '>/';
}

function incompatibleTypes(op: BinaryOp, lHist: boolean, rHist: boolean, ctx: BinopContext): void {
  const lt = lHist ? 'histogram' : 'float';
  const rt = rHist ? 'histogram' : 'float';
  ctx.annos.info(`incompatible sample types encountered for binary operator ${goQuote(op)}: ${lt} ${op} ${rt}`, ctx.pos);
}

/** Vector op scalar (or scalar op vector when `swap`), in place on the vector's samples. */
export function vectorScalarBinop(op: BinaryOp, lhs: Vector, scalar: number, swap: boolean, returnBool: boolean, out: Vector, ctx: BinopContext): Vector {
  const cmp = isComparisonOp(op);
  const trim = isTrimOp(op);
  for (const s of lhs) {
    if (trim && !s.h) {
      // Only histograms can be trimmed.
      incompatibleTypes(op, false, false, ctx);
      continue;
    }
    if (s.h) {
      const r = swap ? histogramBinop(op, scalar, undefined, 0, s.h, returnBool, ctx) : histogramBinop(op, 0, s.h, scalar, undefined, returnBool, ctx);
      if (r === undefined) continue;
      s.f = r.f;
      s.h = r.h;
      if (changesMetricSchema(op)) s.dropName = true;
      out.push(s);
      continue;
    }
    let lf = s.f;
    let rf = scalar;
    if (swap) {
      lf = scalar;
      rf = s.f;
    }
    let v = elemBinop(op, lf, rf);
    let keep = elemKeep;
    // A comparison keeps the vector element's value even when the scalar is on the left.
    if (cmp && swap) v = rf;
    if (returnBool) {
      v = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    s.f = v;
    if (changesMetricSchema(op) || returnBool) s.dropName = true;
    out.push(s);
  }
  return out;
}

/** Scratch state of one binary expression node, reused across steps. */
export class MatchState {
  numSigs = 0;
  private sigsPresent = new Uint8Array(0);
  private rightSigs: (Sample | undefined)[] = [];
  private matchedPresent = new Uint8Array(0);
  private matchedSigs: (Set<string> | undefined)[] = [];
  private readonly resultMetrics = new Map<Labels, Map<Labels, Labels>>();
  /** Result samples, reused from step to step (the evaluator copies them out before the next one). */
  private readonly outPool: Sample[] = [];

  private resetPresent(): Uint8Array {
    if (this.sigsPresent.length !== this.numSigs) this.sigsPresent = new Uint8Array(this.numSigs);
    else this.sigsPresent.fill(0);
    return this.sigsPresent;
  }

  and(lhs: Vector, rhs: Vector, lsig: readonly number[], rsig: readonly number[], out: Vector): Vector {
    if (lhs.length === 0 || rhs.length === 0) return out;
    const present = this.resetPresent();
    for (const s of rsig) present[s] = 1;
    for (let i = 0; i < lhs.length; i++) if (present[lsig[i]!]) out.push(lhs[i]!);
    return out;
  }

  or(lhs: Vector, rhs: Vector, lsig: readonly number[], rsig: readonly number[], out: Vector): Vector {
    if (lhs.length === 0) {
      for (const s of rhs) out.push(s);
      return out;
    }
    if (rhs.length === 0) {
      for (const s of lhs) out.push(s);
      return out;
    }
    const present = this.resetPresent();
    for (let i = 0; i < lhs.length; i++) {
      present[lsig[i]!] = 1;
      out.push(lhs[i]!);
    }
    for (let j = 0; j < rhs.length; j++) if (!present[rsig[j]!]) out.push(rhs[j]!);
    return out;
  }

  unless(lhs: Vector, rhs: Vector, lsig: readonly number[], rsig: readonly number[], out: Vector): Vector {
    if (lhs.length === 0 || rhs.length === 0) {
      for (const s of lhs) out.push(s);
      return out;
    }
    const present = this.resetPresent();
    for (const s of rsig) present[s] = 1;
    for (let i = 0; i < lhs.length; i++) if (!present[lsig[i]!]) out.push(lhs[i]!);
    return out;
  }

  /** Arithmetic and comparison between two vectors (not set operators). */
  binop(
    op: BinaryOp,
    lhsIn: Vector,
    rhsIn: Vector,
    matching: VectorMatching,
    returnBool: boolean,
    lsigIn: readonly number[],
    rsigIn: readonly number[],
    out: Vector,
    ctx: BinopContext,
  ): Vector {
    if (matching.card === 'many-to-many') throw new PromQLError('internal', 'many-to-many only allowed for set operators');
    if (lhsIn.length === 0 || rhsIn.length === 0) return out;
    // The code below handles one-to-one and many-to-one; one-to-many swaps the sides.
    const oneToMany = matching.card === 'one-to-many';
    const lhs = oneToMany ? rhsIn : lhsIn;
    const rhs = oneToMany ? lhsIn : rhsIn;
    const lsig = oneToMany ? rsigIn : lsigIn;
    const rsig = oneToMany ? lsigIn : rsigIn;

    const present = this.resetPresent();
    if (this.rightSigs.length !== this.numSigs) this.rightSigs = new Array<Sample | undefined>(this.numSigs);
    const rightSigs = this.rightSigs;
    for (let i = 0; i < rhs.length; i++) {
      const rs = rhs[i]!;
      const sig = rsig[i]!;
      if (present[sig]) {
        // The "one" side must be unique per match group.
        const dupl = rightSigs[sig]!;
        const matched = matchLabels(rs.metric, matching.on, matching.matchingLabels);
        let d1 = rs.metric.toString();
        let d2 = dupl.metric.toString();
        if (compareStrings(d1, d2) > 0) [d1, d2] = [d2, d1];
        throw new PromQLError(
          'execution',
          `found duplicate series for the match group ${matched.toString()} on the ${oneToMany ? 'left' : 'right'} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightSigs[sig] = rs;
      present[sig] = 1;
    }

    const oneToOne = matching.card === 'one-to-one';
    if (oneToOne) {
      if (this.matchedPresent.length !== this.numSigs) this.matchedPresent = new Uint8Array(this.numSigs);
      else this.matchedPresent.fill(0);
    } else {
      if (this.matchedSigs.length !== this.numSigs) this.matchedSigs = new Array<Set<string> | undefined>(this.numSigs);
      else for (const s of this.matchedSigs) s?.clear();
    }

    let pooled = 0;
    const trim = isTrimOp(op);
    for (let i = 0; i < lhs.length; i++) {
      const ls = lhs[i]!;
      const sig = lsig[i]!;
      if (!present[sig]) continue;
      const rs = rightSigs[sig]!;
      const fl = oneToMany ? rs.f : ls.f;
      const fr = oneToMany ? ls.f : rs.f;
      let v: number;
      let keep: boolean;
      let h: FloatHistogram | undefined;
      if (ls.h || rs.h) {
        const r = histogramBinop(op, fl, oneToMany ? rs.h : ls.h, fr, oneToMany ? ls.h : rs.h, returnBool, ctx);
        keep = r !== undefined;
        v = r?.f ?? 0;
        h = r?.h;
      } else if (trim) {
        incompatibleTypes(op, false, false, ctx);
        continue;
      } else {
        v = elemBinop(op, fl, fr);
        keep = elemKeep;
        if (returnBool) v = keep ? 1 : 0;
      }
      const metric = this.resultMetric(ls.metric, rs.metric, op, matching);
      if (oneToOne) {
        if (this.matchedPresent[sig]) {
          throw new PromQLError('execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        }
        this.matchedPresent[sig] = 1;
      } else {
        // The grouping labels must make each result unique within its match group.
        let inserted = this.matchedSigs[sig];
        if (!inserted) inserted = this.matchedSigs[sig] = new Set();
        const k = labelsKey(metric);
        if (inserted.has(k)) throw new PromQLError('execution', 'multiple matches for labels: grouping labels must ensure unique matches');
        inserted.add(k);
      }
      if (!keep && (!returnBool || h !== undefined || ls.h || rs.h)) continue;
      let r = this.outPool[pooled];
      if (!r) this.outPool.push((r = { metric, t: 0, f: 0, h: undefined }));
      pooled++;
      r.metric = metric;
      r.f = v;
      r.h = h;
      r.dropName = returnBool;
      out.push(r);
    }
    return out;
  }

  /** Labels of a vector/vector result (Prometheus' resultMetric), cached per input pair. */
  private resultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, matching: VectorMatching): Labels {
    // Keyed by object: series keep their Labels objects from step to step.
    let byRhs = this.resultMetrics.get(lhs);
    if (!byRhs) this.resultMetrics.set(lhs, (byRhs = new Map()));
    const cached = byRhs.get(rhs);
    if (cached) return cached;
    const dropSchema = changesMetricSchema(op);
    const oneToOne = matching.card === 'one-to-one';
    const f = lhs.toFlat();
    const flat: string[] = [];
    for (let i = 0; i < f.length; i += 2) {
      const n = f[i]!;
      if (dropSchema && METADATA_LABELS.includes(n)) continue;
      if (oneToOne && matching.matchingLabels.includes(n) !== matching.on) continue;
      flat.push(n, f[i + 1]!);
    }
    let ret = Labels.fromSortedFlat(flat);
    if (matching.include.length > 0) {
      // Labels from group_x(...) come from the "one" side.
      const b = new LabelsBuilder(ret);
      for (const ln of matching.include) {
        const v = rhs.get(ln);
        if (v !== '') b.set(ln, v);
        else b.del(ln);
      }
      ret = b.labels();
    }
    byRhs.set(rhs, ret);
    return ret;
  }
}
