// Native-histogram functions against Prometheus' native_histograms.test: every instant
// histogram_* call on a plain selector is evaluated here directly (selection by hand: the
// latest point within the 5m lookback), without engine or storage.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Labels, Matcher, MatchType } from '../../model/index.ts';
import type { Expr } from '../parser/ast.ts';
import { parseSeriesDesc } from '../promqltest/series_desc.ts';
import { histogramsMatch } from '../promqltest/histogram.ts';
import { promqlTestDataDir } from '../promqltest/testdata.ts';
import { Annotations } from './annotations.ts';
import { FUNCTION_CALLS } from './functions.ts';
import { detectReset, getBound, histogramString, histogramsEqual, trimHistogram } from './functions_native.ts';
import type { FloatHistogram, Matrix, Sample } from './value.ts';

const TESTDATA = pathToFileURL(promqlTestDataDir() + '/native_histograms.test');
const FUNCS = new Set(['histogram_quantile', 'histogram_fraction', 'histogram_stddev', 'histogram_stdvar', 'histogram_count', 'histogram_sum', 'histogram_avg']);

interface Loaded {
  labels: Labels;
  points: { t: number; f: number; h?: FloatHistogram }[];
}

function duration(s: string): number {
  let ms = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms']!;
  }
  return ms;
}

function num(s: string): number {
  const t = s.trim();
  if (/^[+]?inf$/i.test(t)) return Infinity;
  if (/^-inf$/i.test(t)) return -Infinity;
  return Number(t);
}

interface Case {
  line: number;
  at: number;
  fn: string;
  scalars: number[];
  selector: string;
  input: Sample[];
  expected: Map<string, number>;
}

/** The cases of the script this test can evaluate by itself. */
function collectCases(text: string): Case[] {
  const lines = text.split('\n');
  let loaded: Loaded[] = [];
  const cases: Case[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('clear')) loaded = [];
    const load = /^load (\S+)$/.exec(line);
    if (load) {
      const step = duration(load[1]!);
      for (i++; i < lines.length && /^\s+\S/.test(lines[i]!); i++) {
        const d = parseSeriesDesc(lines[i]!.trim());
        const points = d.values.map((v, k) => (v.omitted ? undefined : { t: k * step, f: v.value, ...(v.histogram ? { h: v.histogram } : {}) })).filter((p) => p !== undefined);
        loaded.push({ labels: d.labels, points });
      }
      i--;
      continue;
    }
    const ev = /^eval instant at (\S+) (histogram_\w+)\((.*)\)$/.exec(line);
    if (!ev || !FUNCS.has(ev[2]!)) continue;
    const args = ev[3]!.split(',').map((a) => a.trim());
    const selector = args.pop()!;
    if (!/^[a-zA-Z_]\w*$/.test(selector)) continue;
    const at = duration(ev[1]!);
    const expected = new Map<string, number>();
    let skip = false;
    for (let k = i + 1; k < lines.length && /^\s+\S/.test(lines[k]!); k++) {
      const l = lines[k]!.trim();
      if (l.startsWith('expect')) {
        if (/expect (fail|ordered|range|string)/.test(l)) skip = true;
        continue;
      }
      if (l.startsWith('#')) continue;
      const d = parseSeriesDesc(l);
      if (d.values.length !== 1 || d.values[0]!.histogram) {
        skip = true;
        continue;
      }
      expected.set(d.labels.toString(), d.values[0]!.value);
    }
    if (skip) continue;
    const input: Sample[] = [];
    for (const s of loaded) {
      if (s.labels.get('__name__') !== selector) continue;
      let best: (typeof s.points)[number] | undefined;
      for (const p of s.points) if (p.t <= at && p.t > at - 300_000) best = p;
      if (best) input.push({ metric: s.labels, t: best.t, f: best.f, ...(best.h ? { h: best.h } : {}) });
    }
    cases.push({ line: i + 1, at, fn: ev[2]!, scalars: args.map(num), selector, input, expected });
  }
  return cases;
}

interface RangeCase {
  line: number;
  at: number;
  fn: string;
  selector: string;
  range: number;
  series: { labels: Labels; floats: { t: number; f: number }[]; histograms: { t: number; h: FloatHistogram }[] }[];
  expected: Map<string, { f: number; h?: FloatHistogram; hintSet: boolean }>;
  warn: boolean;
  info: boolean;
}

const RANGE_FUNCS = new Set(['rate', 'increase', 'delta', 'irate', 'idelta', 'sum_over_time', 'avg_over_time', 'last_over_time', 'first_over_time', 'count_over_time', 'present_over_time', 'resets', 'changes']);

/** `fn(selector[range])` cases over windows of the loaded series. */
function collectRangeCases(text: string): RangeCase[] {
  const lines = text.split('\n');
  let loaded: Loaded[] = [];
  const cases: RangeCase[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('clear')) loaded = [];
    const load = /^load (\S+)$/.exec(line);
    if (load) {
      const step = duration(load[1]!);
      for (i++; i < lines.length && /^\s+\S/.test(lines[i]!); i++) {
        const d = parseSeriesDesc(lines[i]!.trim());
        const points = d.values.map((v, k) => (v.omitted ? undefined : { t: k * step, f: v.value, ...(v.histogram ? { h: v.histogram } : {}) })).filter((p) => p !== undefined);
        loaded.push({ labels: d.labels, points });
      }
      i--;
      continue;
    }
    const ev = /^eval instant at (\S+) (\w+)\(([a-zA-Z_]\w*)\[(\w+)\]\)$/.exec(line);
    if (!ev || !RANGE_FUNCS.has(ev[2]!)) continue;
    const at = duration(ev[1]!);
    const range = duration(ev[4]!);
    const expected: RangeCase['expected'] = new Map();
    let skip = false;
    let warn = false;
    let info = false;
    for (let k = i + 1; k < lines.length && /^\s+\S/.test(lines[k]!); k++) {
      const l = lines[k]!.trim();
      if (l.startsWith('expect')) {
        if (/expect (fail|ordered|range|string)/.test(l)) skip = true;
        if (/^expect warn/.test(l)) warn = true;
        if (/^expect info/.test(l)) info = true;
        continue;
      }
      if (l.startsWith('#')) continue;
      const d = parseSeriesDesc(l);
      const v = d.values[0]!;
      expected.set(d.labels.toString(), { f: v.value, ...(v.histogram ? { h: v.histogram } : {}), hintSet: v.counterResetHintSet === true });
    }
    if (skip) continue;
    const series: RangeCase['series'] = [];
    for (const s of loaded.map(withStorageHints)) {
      if (s.labels.get('__name__') !== ev[3]) continue;
      const win = s.points.filter((p) => p.t > at - range && p.t <= at);
      if (win.length === 0 || win.some((p) => !p.h && Number.isNaN(p.f) && p.f !== p.f && false)) continue;
      series.push({
        labels: s.labels,
        floats: win.filter((p) => !p.h).map((p) => ({ t: p.t, f: p.f })),
        histograms: win.filter((p) => p.h).map((p) => ({ t: p.t, h: p.h! })),
      });
    }
    cases.push({ line: i + 1, at, fn: ev[2]!, selector: ev[3]!, range, series, expected, warn, info });
  }
  return cases;
}

/**
 * The counter reset hints histograms come back from the TSDB with: the first of a series (and the
 * first after a gauge or a reset, which start new chunks) is unknown, later ones not_reset;
 * gauges stay gauges.
 */
function withStorageHints(s: Loaded): Loaded {
  let prev: FloatHistogram | undefined;
  const points = s.points.map((p) => {
    if (!p.h) {
      prev = undefined;
      return p;
    }
    const h = { ...p.h };
    if (h.counterResetHint !== 'gauge') {
      h.counterResetHint = prev === undefined || prev.counterResetHint === 'gauge' || detectReset(h, prev) ? 'unknown' : 'not_reset';
    }
    prev = p.h;
    return { ...p, h };
  });
  return { labels: s.labels, points };
}

const KEEP_NAME = new Set(['last_over_time', 'first_over_time']);

function runRange(c: RangeCase): { out: Map<string, Sample>; annos: Annotations } {
  const arg: Expr = {
    kind: 'MatrixSelector',
    vectorSelector: { kind: 'VectorSelector', name: c.selector, matchers: [new Matcher(MatchType.Equal, '__name__', c.selector)], originalOffset: 0, offset: 0, posRange: { start: 0, end: c.selector.length } },
    range: c.range,
    endPos: c.selector.length + 5,
  };
  const annos = new Annotations();
  const out = new Map<string, Sample>();
  for (const s of c.series) {
    const m: Matrix = [{ metric: s.labels, floats: s.floats, histograms: s.histograms }];
    const res = FUNCTION_CALLS[c.fn]!([], m, [arg], { ts: c.at, out: [], cache: new Map() }, annos);
    if (res.length > 0) out.set((KEEP_NAME.has(c.fn) ? s.labels : s.labels.without('__name__')).toString(), res[0]!);
  }
  return { out, annos };
}

function run(c: Case): Map<string, number> {
  const sel: Expr = {
    kind: 'VectorSelector',
    name: c.selector,
    matchers: [new Matcher(MatchType.Equal, '__name__', c.selector)],
    originalOffset: 0,
    offset: 0,
    posRange: { start: 0, end: c.selector.length },
  };
  const args: Expr[] = [...c.scalars.map((v): Expr => ({ kind: 'NumberLiteral', val: v, posRange: { start: 0, end: 1 } })), sel];
  const vectors = [...c.scalars.map((v) => [{ metric: Labels.EMPTY, t: c.at, f: v }]), c.input];
  const out = FUNCTION_CALLS[c.fn]!(vectors, [], args, { ts: c.at, out: [], cache: new Map() }, new Annotations());
  return new Map(out.map((s) => [s.metric.toString(), s.f]));
}

function close(a: number | undefined, e: number): boolean {
  if (a === undefined) return false;
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (a === e) return true;
  // promqltest's tolerance.
  return Math.abs(a - e) <= 1e-6 * Math.max(Math.abs(a), Math.abs(e));
}

describe('native histogram functions (native_histograms.test)', () => {
  const cases = collectCases(readFileSync(TESTDATA, 'utf8'));

  it('finds cases to check', () => {
    assert.ok(cases.length >= 40, `only ${cases.length} cases`);
  });

  it('computes every case as Prometheus', () => {
    const failures: string[] = [];
    for (const c of cases) {
      const got = run(c);
      for (const [labels, want] of c.expected) {
        if (!close(got.get(labels), want)) failures.push(`line ${c.line} ${c.fn}(${c.scalars.join(', ')}, ${c.selector}) ${labels}: want ${want}, got ${got.get(labels)}`);
      }
      for (const labels of got.keys()) if (!c.expected.has(labels)) failures.push(`line ${c.line}: unexpected ${labels}`);
    }
    assert.deepEqual(failures, []);
  });
});

describe('native histogram range functions (native_histograms.test)', () => {
  const cases = collectRangeCases(readFileSync(TESTDATA, 'utf8'));

  it('finds cases to check', () => {
    assert.ok(cases.length >= 30, `only ${cases.length} cases`);
  });

  it('computes every case as Prometheus', () => {
    const failures: string[] = [];
    for (const c of cases) {
      const { out, annos } = runRange(c);
      const where = `line ${c.line} ${c.fn}(${c.selector}[${c.range / 1000}s])`;
      for (const [labels, want] of c.expected) {
        const got = out.get(labels);
        if (!got) failures.push(`${where} ${labels}: missing`);
        else if (want.h ? !got.h || !histogramsMatch(want.h, got.h, want.hintSet) : got.h || !close(got.f, want.f)) {
          failures.push(`${where} ${labels}: want ${JSON.stringify(want)}, got ${JSON.stringify(got.h ?? got.f)}`);
        }
      }
      for (const labels of out.keys()) if (!c.expected.has(labels)) failures.push(`${where}: unexpected ${labels}`);
      const levels = new Set(annos.all().map((a) => a.level));
      if (c.warn !== levels.has('warning')) failures.push(`${where}: warnings ${JSON.stringify(annos.all())}`);
      if (c.info && !levels.has('info')) failures.push(`${where}: no info`);
    }
    assert.deepEqual(failures, []);
  });
});

describe('native histogram helpers', () => {
  const h = (o: Partial<FloatHistogram>): FloatHistogram => ({
    counterResetHint: 'unknown', schema: 0, zeroThreshold: 0.001, zeroCount: 0, count: 0, sum: 0,
    positiveSpans: [], negativeSpans: [], positiveBuckets: [], negativeBuckets: [], ...o,
  });

  it('bucket bounds', () => {
    assert.equal(getBound(0, 0, undefined), 1);
    assert.equal(getBound(1, 0, undefined), 2);
    assert.equal(getBound(-1, 0, undefined), 0.5);
    assert.equal(getBound(1, 1, undefined), 1.414213562373095); // as Prometheus' bounds table, not Math.SQRT2
    assert.equal(getBound(1, -1, undefined), 4);
    assert.equal(getBound(1024, 0, undefined), Number.MAX_VALUE);
    assert.equal(getBound(1025, 0, undefined), Infinity);
    assert.equal(getBound(1, -53, [5, 10]), 10);
    assert.equal(getBound(2, -53, [5, 10]), Infinity);
    assert.equal(getBound(-1, -53, [5, 10]), -Infinity);
  });

  it('counter resets', () => {
    const a = h({ count: 3, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [1, 2] });
    const b = h({ count: 4, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [2, 2] });
    const c = h({ count: 4, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [3, 1] });
    assert.equal(detectReset(b, a), false);
    assert.equal(detectReset(c, b), true); // a bucket went down
    assert.equal(detectReset(a, b), true); // the count went down
    assert.equal(detectReset({ ...c, counterResetHint: 'not_reset' }, b), false);
    // A lower schema merges the previous buckets: [1,2] at schema 1 → [3] at schema 0, index 1.
    const hi = h({ schema: 1, count: 3, positiveSpans: [{ offset: 1, length: 2 }], positiveBuckets: [1, 2] });
    const lo = h({ schema: 0, count: 3, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [3] });
    assert.equal(detectReset(lo, hi), false);
    assert.equal(detectReset(hi, lo), true); // schema increase
  });

  it('equality ignores empty spans but not values', () => {
    const a = h({ count: 1, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [1] });
    const b = h({ count: 1, positiveSpans: [{ offset: 0, length: 0 }, { offset: 0, length: 1 }], positiveBuckets: [1] });
    assert.equal(histogramsEqual(a, b), true);
    assert.equal(histogramsEqual(a, { ...a, sum: 1 }), false);
  });
});

describe('trimHistogram and histogramString', () => {
  const h: FloatHistogram = {
    counterResetHint: 'unknown', schema: 0, zeroThreshold: 0.001, zeroCount: 1, count: 34, sum: 123.75,
    positiveSpans: [{ offset: 0, length: 4 }], positiveBuckets: [2, 4, 8, 16],
    negativeSpans: [{ offset: 0, length: 2 }], negativeBuckets: [1, 2],
  };

  it('keeps an uncut histogram as it is and interpolates a cut bucket on a log scale', () => {
    assert.equal(trimHistogram(h, Infinity, true)!.sum, 123.75);
    const below = trimHistogram(h, Math.SQRT2, true)!;
    assert.ok(Math.abs(below.count - 8) < 1e-9);
    assert.deepEqual(below.positiveBuckets.map((v) => Math.round(v * 1e6) / 1e6), [2, 2]);
    assert.equal(trimHistogram(h, NaN, true), undefined);
  });

  it('trims custom buckets linearly, the +Inf bucket standing at its lower bound', () => {
    const cbh: FloatHistogram = {
      counterResetHint: 'unknown', schema: -53, zeroThreshold: 0, zeroCount: 0, count: 15, sum: 172.5, customValues: [5, 10, 15, 20],
      positiveSpans: [{ offset: 0, length: 5 }], positiveBuckets: [1, 6, 4, 3, 1], negativeSpans: [], negativeBuckets: [],
    };
    const above = trimHistogram(cbh, 13, false)!;
    assert.ok(Math.abs(above.count - 5.6) < 1e-9 && Math.abs(above.sum - 94.9) < 1e-9);
    assert.equal(trimHistogram(cbh, 0, false)!.sum, 172.5);
  });

  it('prints a histogram as Go does', () => {
    assert.equal(histogramString(h), '{count:34, sum:123.75, [-2,-1):2, [-1,-0.5):1, [-0.001,0.001]:1, (0.5,1]:2, (1,2]:4, (2,4]:8, (4,8]:16}');
  });
});
