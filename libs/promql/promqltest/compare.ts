// Checks a query's result and annotations against an eval command's expectations, with
// Prometheus' semantics and messages (promqltest compareResult / checkAnnotations), and renders
// expected-versus-got diffs for reports.

import { compareLabels, type Labels } from '../../model/index.ts';
import { renderAnnotation, type Annotation } from '../engine/index.ts';
import type { FPoint, HPoint, Matrix, Series, Value, Vector } from '../engine/index.ts';
import { almostEqual } from './almost.ts';
import { histogramsMatch, histogramTestExpression } from './histogram.ts';
import { formatFloat } from './numbers.ts';
import { expectMatches, isOrdered, type EvalCmd, type ExpectLine } from './script.ts';
import type { SequenceValue } from './series_desc.ts';

/** Go's %q for messages. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

function seqValueString(v: SequenceValue): string {
  if (v.omitted) return '_';
  if (v.histogram) return histogramTestExpression(v.histogram);
  return formatFloat(v.value);
}

function seqString(vals: readonly SequenceValue[]): string {
  return `[${vals.map(seqValueString).join(' ')}]`;
}

function fpointsString(ps: readonly FPoint[]): string {
  return `[${ps.map((p) => `${formatFloat(p.f)} @[${p.t}]`).join(' ')}]`;
}

function formatSeriesResult(s: Series): string {
  const hs = s.histograms ?? [];
  return (
    `${s.floats.length} float point${s.floats.length === 1 ? '' : 's'} ${fpointsString(s.floats)} and ` +
    `${hs.length} histogram point${hs.length === 1 ? '' : 's'} [${hs.map((p) => `${histogramTestExpression(p.h)} @[${p.t}]`).join(' ')}]`
  );
}

/** Matrix results must come sorted by labels. Returns an error message or undefined. */
export function checkMatrixSorted(m: Matrix): string | undefined {
  for (let i = 0; i + 1 < m.length; i++) {
    if (compareLabels(m[i]!.metric, m[i + 1]!.metric) > 0) {
      return `matrix results should always be sorted by labels, but matrix is not sorted: series at index ${i + 1} with labels ${m[i + 1]!.metric.toString()} sorts before series at index ${i} with labels ${m[i]!.metric.toString()}`;
    }
  }
  return undefined;
}

/** Compares a result with the expectation; returns an error message or undefined. */
export function compareResult(cmd: EvalCmd, value: Value): string | undefined {
  switch (value.type) {
    case 'matrix':
      return compareMatrix(cmd, value.value);
    case 'vector':
      return compareVector(cmd, value.value);
    case 'scalar': {
      if (!cmd.expectScalar) return `expected vector or matrix result, but got scalar: ${formatFloat(value.value.v)}`;
      const exp0 = cmd.expected.get('')!.values[0]!;
      if (exp0.histogram) return `expected histogram ${histogramTestExpression(exp0.histogram)} but got scalar: ${formatFloat(value.value.v)}`;
      if (!almostEqual(exp0.value, value.value.v)) return `expected scalar ${formatFloat(exp0.value)} but got ${formatFloat(value.value.v)}`;
      return undefined;
    }
    case 'string':
      if (cmd.expectedString !== value.value.v) return `expected string "${cmd.expectedString}" but got "${value.value.v}"`;
      return undefined;
  }
}

function compareMatrix(cmd: EvalCmd, m: Matrix): string | undefined {
  if (isOrdered(cmd)) return 'expected ordered result, but query returned a matrix';
  if (cmd.expectScalar) return `expected scalar result, but got matrix of ${m.length} series`;
  const sorted = checkMatrixSorted(m);
  if (sorted) return sorted;
  const seen = new Set<string>();
  for (const s of m) {
    const key = s.metric.toString();
    const exp = cmd.expected.get(key);
    if (!exp) return `unexpected metric ${key} in result, has ${formatSeriesResult(s)}`;
    seen.add(key);
    const floats: FPoint[] = [];
    const hists: (HPoint & { hintSet: boolean })[] = [];
    for (let i = 0; i < exp.values.length; i++) {
      const t = cmd.start + i * cmd.step;
      if (t > cmd.end) return `expected ${exp.values.length} points for ${key}, but query time range cannot return this many points`;
      const e = exp.values[i]!;
      if (e.histogram) hists.push({ t, h: e.histogram, hintSet: e.counterResetHintSet ?? false });
      else if (!e.omitted) floats.push({ t, f: e.value });
    }
    const gotH = s.histograms ?? [];
    if (floats.length !== s.floats.length || hists.length !== gotH.length) {
      return `expected ${floats.length} float points and ${hists.length} histogram points for ${key}, but got ${formatSeriesResult(s)}`;
    }
    for (let i = 0; i < floats.length; i++) {
      const e = floats[i]!;
      const a = s.floats[i]!;
      if (e.t !== a.t) {
        return `expected float value at index ${i} for ${key} to have timestamp ${e.t}, but it had timestamp ${a.t} (result has ${formatSeriesResult(s)})`;
      }
      if (!almostEqual(a.f, e.f)) {
        return `expected float value at index ${i} (t=${a.t}) for ${key} to be ${formatFloat(e.f)}, but got ${formatFloat(a.f)} (result has ${formatSeriesResult(s)})`;
      }
    }
    for (let i = 0; i < hists.length; i++) {
      const e = hists[i]!;
      const a = gotH[i]!;
      if (e.t !== a.t) {
        return `expected histogram value at index ${i} for ${key} to have timestamp ${e.t}, but it had timestamp ${a.t} (result has ${formatSeriesResult(s)})`;
      }
      if (!histogramsMatch(e.h, a.h, e.hintSet)) {
        return `expected histogram value at index ${i} (t=${a.t}) for ${key} to be ${histogramTestExpression(e.h)}, but got ${histogramTestExpression(a.h)} (result has ${formatSeriesResult(s)})`;
      }
    }
  }
  for (const key of cmd.expected.keys()) if (!seen.has(key)) return `expected metric ${key} not found`;
  return undefined;
}

function compareVector(cmd: EvalCmd, vec: Vector): string | undefined {
  if (cmd.expectScalar) return `expected scalar result, but got vector of ${vec.length} samples`;
  const seen = new Set<string>();
  for (let pos = 0; pos < vec.length; pos++) {
    const v = vec[pos]!;
    const key = v.metric.toString();
    const exp = cmd.expected.get(key);
    if (!exp) {
      return `unexpected metric ${key} in result, has value ${v.h ? histogramTestExpression(v.h) : formatFloat(v.f)}`;
    }
    if (isOrdered(cmd) && exp.pos !== pos + 1) {
      return `expected metric ${key} with ${seqString(exp.values)} at position ${exp.pos} but was at ${pos + 1}`;
    }
    const exp0 = exp.values[0];
    if (!exp0) return `expected metric ${key} has no value`;
    const expH = exp0.histogram;
    if (!expH && v.h) return `expected float value ${seqValueString(exp0)} for ${key} but got histogram ${histogramTestExpression(v.h)}`;
    if (expH && !v.h) return `expected histogram ${histogramTestExpression(expH)} for ${key} but got float value ${formatFloat(v.f)}`;
    if (expH && v.h && !histogramsMatch(expH, v.h, exp0.counterResetHintSet ?? false)) {
      return `expected ${histogramTestExpression(expH)} for ${key} but got ${histogramTestExpression(v.h)}`;
    }
    if (!almostEqual(exp0.value, v.f)) return `expected ${formatFloat(exp0.value)} for ${key} but got ${formatFloat(v.f)}`;
    seen.add(key);
  }
  for (const [key, e] of cmd.expected) if (!seen.has(key)) return `expected metric ${key} with ${seqString(e.values)} not found`;
  return undefined;
}

function validateAnnotationsOfType(expr: string, expected: readonly ExpectLine[], actual: readonly string[], line: number, kind: string): string | undefined {
  if (expected.length === 0) return undefined;
  if (actual.length === 0) return `expected ${kind} annotations but none were found for query ${quote(expr)} (line ${line})`;
  for (const e of expected) {
    if (!actual.some((a) => expectMatches(e, a))) {
      return `expected ${kind} annotation matching ${e.regex ? 'pattern' : 'message'} ${quote(e.text)} but no matching annotation was found for query ${quote(expr)} (line ${line}), found: [${actual.join(' ')}]`;
    }
  }
  for (const a of actual) {
    if (!expected.some((e) => expectMatches(e, a))) return `unexpected ${kind} annotation ${quote(a)} found for query ${expr} (line ${line})`;
  }
  return undefined;
}

/** Checks the annotations of a query (rendered against `expr`, the query text that ran). */
export function checkAnnotations(cmd: EvalCmd, expr: string, annotations: readonly Annotation[]): string | undefined {
  const warnings = annotations.filter((a) => a.level === 'warning').map((a) => renderAnnotation(a, expr));
  const infos = annotations.filter((a) => a.level === 'info').map((a) => renderAnnotation(a, expr));
  if (cmd.warn && warnings.length === 0) return `expected warnings evaluating query ${quote(expr)} (line ${cmd.line}) but got none`;
  if (cmd.info && infos.length === 0) return `expected info annotations evaluating query ${quote(expr)} (line ${cmd.line}) but got none`;
  const w = validateAnnotationsOfType(expr, cmd.expects.warn, warnings, cmd.line, 'warn');
  if (w) return w;
  const i = validateAnnotationsOfType(expr, cmd.expects.info, infos, cmd.line, 'info');
  if (i) return i;
  if (cmd.expects.no_warn.length > 0 && warnings.length > 0) {
    return `unexpected warning annotations evaluating query ${quote(expr)} (line ${cmd.line}): [${warnings.join(' ')}]`;
  }
  if (cmd.expects.no_info.length > 0 && infos.length > 0) {
    return `unexpected info annotations evaluating query ${quote(expr)} (line ${cmd.line}): [${infos.join(' ')}]`;
  }
  return undefined;
}

/** Checks a query error against `expect fail` / expected_fail_*; returns an error message or undefined. */
export function checkExpectedFailure(cmd: EvalCmd, errMsg: string): string | undefined {
  if (cmd.expectedFailMessage !== undefined && cmd.expectedFailMessage !== '' && cmd.expectedFailMessage !== errMsg) {
    return `expected error ${quote(cmd.expectedFailMessage)} evaluating query ${quote(cmd.expr)} (line ${cmd.line}), but got: ${errMsg}`;
  }
  if (cmd.expectedFailRegexp && !cmd.expectedFailRegexp.test(errMsg)) {
    return `expected error matching pattern ${quote(cmd.expectedFailRegexp.source)} evaluating query ${quote(cmd.expr)} (line ${cmd.line}), but got: ${errMsg}`;
  }
  const f = cmd.expects.fail[0];
  if (f && !expectMatches(f, errMsg)) {
    return `expected error matching ${quote(f.text)} evaluating query ${quote(cmd.expr)} (line ${cmd.line}), but got: ${errMsg}`;
  }
  return undefined;
}

// ---- Diffs for reports ----

const MAX_DIFF_LINES = 40;
const MAX_CONTEXT_SERIES = 20;

/** The expectation in script syntax, one line per series (or the scalar / string). */
export function expectedLines(cmd: EvalCmd): Map<string, string> {
  const out = new Map<string, string>();
  if (cmd.expectScalar) {
    out.set('', seqValueString(cmd.expected.get('')!.values[0]!));
    return out;
  }
  for (const [key, e] of cmd.expected) out.set(key, `${key} ${e.values.map(seqValueString).join(' ')}`);
  return out;
}

/** A result in script syntax; matrix points on the expected grid, or `v@t` when off it. */
export function resultLines(cmd: EvalCmd, value: Value): Map<string, string> {
  const out = new Map<string, string>();
  switch (value.type) {
    case 'scalar':
      out.set('', formatFloat(value.value.v));
      break;
    case 'string':
      out.set('', `string ${quote(value.value.v)}`);
      break;
    case 'vector':
      for (const s of value.value) {
        const key = s.metric.toString();
        out.set(key, `${key} ${s.h ? histogramTestExpression(s.h) : formatFloat(s.f)}`);
      }
      break;
    case 'matrix':
      for (const s of value.value) {
        const key = s.metric.toString();
        out.set(key, `${key} ${matrixPoints(cmd, s)}`);
      }
      break;
  }
  return out;
}

function matrixPoints(cmd: EvalCmd, s: Series): string {
  const pts: { t: number; text: string }[] = [
    ...s.floats.map((p) => ({ t: p.t, text: formatFloat(p.f) })),
    ...(s.histograms ?? []).map((p) => ({ t: p.t, text: histogramTestExpression(p.h) })),
  ].sort((a, b) => a.t - b.t);
  const onGrid = cmd.step > 0 && pts.every((p) => p.t >= cmd.start && (p.t - cmd.start) % cmd.step === 0);
  if (!onGrid) return pts.map((p) => `${p.text}@${p.t}`).join(' ');
  const items: string[] = [];
  let next = 0;
  for (const p of pts) {
    const idx = (p.t - cmd.start) / cmd.step;
    while (next < idx) {
      items.push('_');
      next++;
    }
    items.push(p.text);
    next = idx + 1;
  }
  return items.join(' ');
}

/**
 * A line diff of expected versus got, keyed by series: unchanged lines start with two spaces,
 * expected-only lines with "- ", got-only lines with "+ ". Series sort by labels.
 */
export function diffLines(expected: Map<string, string>, got: Map<string, string>, labelsOf: (key: string) => Labels | undefined): string[] {
  const keys = [...new Set([...expected.keys(), ...got.keys()])];
  keys.sort((a, b) => {
    const la = labelsOf(a);
    const lb = labelsOf(b);
    return la && lb ? compareLabels(la, lb) : a < b ? -1 : a > b ? 1 : 0;
  });
  const out: string[] = [];
  // Long results show only the differing series.
  const showSame = keys.length <= MAX_CONTEXT_SERIES;
  let same = 0;
  let changed = 0;
  for (const k of keys) {
    const e = expected.get(k);
    const g = got.get(k);
    if (e !== undefined && e === g) {
      if (showSame) out.push(`  ${e}`);
      else same++;
      continue;
    }
    if (changed >= MAX_DIFF_LINES) {
      changed++;
      continue;
    }
    if (e !== undefined) out.push(`- ${e}`);
    if (g !== undefined) out.push(`+ ${g}`);
    changed++;
  }
  if (changed > MAX_DIFF_LINES) out.push(`  … ${changed - MAX_DIFF_LINES} more differing series`);
  if (same > 0) out.push(`  (${same} matching series not shown)`);
  return out;
}
