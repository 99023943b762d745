// Helpers for the engine's unit tests: load series written like promqltest's `load` lines into a
// Head, and render results compactly for assertions.

import { Labels, METRIC_NAME, MatchType, STALE_NAN, parseSeriesSelector } from '../../model/index.ts';
import { Head } from '../../tsdb/index.ts';
import type { FunctionCall, Matrix, Value } from './value.ts';

/**
 * Expands `1+2x3 _ stale 5x2` (promqltest's notation) into values; undefined is a missing point,
 * 'stale' a stale marker (kept out of number arrays, which may canonicalise NaN bits).
 */
export function expandValues(spec: string): (number | 'stale' | undefined)[] {
  const out: (number | 'stale' | undefined)[] = [];
  for (const tok of spec.trim().split(/\s+/)) {
    if (tok === '') continue;
    if (tok === '_') {
      out.push(undefined);
      continue;
    }
    if (tok === 'stale') {
      out.push('stale');
      continue;
    }
    const m = /^(_|[-+]?[^-+x]+?)(?:([-+])([^x]+))?x(\d+)$/.exec(tok);
    if (m) {
      const times = Number(m[4]);
      if (m[1] === '_') {
        for (let i = 0; i < times; i++) out.push(undefined);
        continue;
      }
      const start = parseNum(m[1]!);
      const delta = m[3] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * parseNum(m[3]);
      for (let i = 0; i <= times; i++) out.push(start + i * delta);
      continue;
    }
    out.push(parseNum(tok));
  }
  return out;
}

function parseNum(s: string): number {
  const l = s.toLowerCase();
  if (l === 'nan') return NaN;
  if (l === 'inf' || l === '+inf') return Infinity;
  if (l === '-inf') return -Infinity;
  return Number(s);
}

export function labelsOf(selector: string): Labels {
  const pairs: [string, string][] = [];
  for (const m of parseSeriesSelector(selector)) {
    if (m.type !== MatchType.Equal) throw new Error(`not a series: ${selector}`);
    pairs.push([m.name, m.value]);
  }
  return Labels.fromPairs(pairs);
}

/** Loads `{ 'metric{a="b"}': '1+1x10' }` with points every intervalMs from time 0. */
export async function load(head: Head, intervalMs: number, defs: Record<string, string>): Promise<void> {
  const app = head.appender();
  for (const [sel, spec] of Object.entries(defs)) {
    const ls = labelsOf(sel);
    expandValues(spec).forEach((v, i) => {
      if (v !== undefined) app.append(0, ls, i * intervalMs, v === 'stale' ? STALE_NAN : v);
    });
  }
  await app.commit();
}

export function newHead(): Head {
  return new Head({ chunkRange: 24 * 3600_000 });
}

/** `{a="1"} => 3` lines of a vector, sorted, for order-insensitive comparison. */
export function vectorLines(v: Value, ordered = false): string[] {
  if (v.type !== 'vector') throw new Error(`expected a vector, got ${v.type}`);
  const lines = v.value.map((s) => `${fmtLabels(s.metric)} ${fmtNum(s.f)}`);
  return ordered ? lines : lines.sort();
}

/** `{a="1"} 1@0 2@60` lines of a matrix (timestamps in seconds), in result order. */
export function matrixLines(v: Value | Matrix): string[] {
  const m = Array.isArray(v) ? v : v.type === 'matrix' ? v.value : undefined;
  if (!m) throw new Error(`expected a matrix, got ${(v as Value).type}`);
  return m.map((s) => `${fmtLabels(s.metric)} ${s.floats.map((p) => `${fmtNum(p.f)}@${p.t / 1000}`).join(' ')}`);
}

export function fmtLabels(l: Labels): string {
  const name = l.get(METRIC_NAME);
  const rest = l.without(METRIC_NAME);
  return name + (rest.isEmpty() && name !== '' ? '' : rest.toString());
}

export function fmtNum(f: number): string {
  return Object.is(f, -0) ? '-0' : String(f);
}

/** Minimal functions for tests that must not depend on the real function library. */
export const STUB_FUNCTIONS: Record<string, FunctionCall> = {
  abs: (v, _m, _a, enh) => {
    for (const s of v[0]!) enh.out.push({ metric: s.metric, t: enh.ts, f: Math.abs(s.f), dropName: true });
    return enh.out;
  },
  vector: (v, _m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: v[0]![0]!.f });
    return enh.out;
  },
  scalar: (v, _m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: v[0]!.length === 1 ? v[0]![0]!.f : NaN });
    return enh.out;
  },
  time: (_v, _m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: enh.ts / 1000 });
    return enh.out;
  },
  timestamp: (v, _m, _a, enh) => {
    for (const s of v[0]!) enh.out.push({ metric: s.metric, t: enh.ts, f: s.t / 1000, dropName: true });
    return enh.out;
  },
  sort_desc: (v, _m, _a, enh) => {
    for (const s of [...v[0]!].sort((a, b) => b.f - a.f)) enh.out.push(s);
    return enh.out;
  },
  count_over_time: (_v, m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: m[0]!.floats.length });
    return enh.out;
  },
  sum_over_time: (_v, m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: m[0]!.floats.reduce((a, p) => a + p.f, 0) });
    return enh.out;
  },
  last_over_time: (_v, m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: m[0]!.floats[m[0]!.floats.length - 1]!.f });
    return enh.out;
  },
  // rate without extrapolation: enough to see which points a window holds.
  rate: (_v, m, _a, enh) => {
    const fl = m[0]!.floats;
    if (fl.length < 2) return enh.out;
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: (fl[fl.length - 1]!.f - fl[0]!.f) / ((fl[fl.length - 1]!.t - fl[0]!.t) / 1000) });
    return enh.out;
  },
  quantile_over_time: (v, m, _a, enh) => {
    // Returns the scalar argument, to check the argument order convention.
    if (m[0]!.floats.length > 0) enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: v[0]![0]!.f });
    return enh.out;
  },
  absent_over_time: (_v, _m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: 1 });
    return enh.out;
  },
};

/** Runs an instant query at tSec seconds. */
export async function instant(engine: { instantQuery: (q: Head, qs: string, t: number) => { exec(): Promise<{ value: Value }> } }, head: Head, qs: string, tSec: number): Promise<Value> {
  return (await engine.instantQuery(head, qs, tSec * 1000).exec()).value;
}

/** Runs a range query (times in seconds) and returns matrixLines of the result. */
export async function rangeLines(
  engine: { rangeQuery: (q: Head, qs: string, s: number, e: number, step: number) => { exec(): Promise<{ value: Value }> } },
  head: Head,
  qs: string,
  startSec: number,
  endSec: number,
  stepSec: number,
): Promise<string[]> {
  return matrixLines((await engine.rangeQuery(head, qs, startSec * 1000, endSec * 1000, stepSec * 1000).exec()).value);
}
