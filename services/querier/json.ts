// The API's JSON, byte for byte as Prometheus writes it (web/api/v1/json_codec.go, util/jsonutil):
// sample values as Go-formatted strings, timestamps as seconds with millisecond digits, and Go's
// escaping rules (HTML-safe for ordinary strings, plain for label sets in results).

import type { Labels } from '../../libs/model/index.ts';
import type { FloatHistogram, Matrix, Value, Vector } from './promql.ts';

// ---------------------------------------------------------------------------------------------
// Numbers

const NAN = 'NaN';

/** The shortest decimal digits and the decimal exponent of a finite non-zero |f|: f = 0.d1d2… × 10^exp. */
function shortestDigits(f: number): { digits: string; exp: number } {
  // toExponential() without an argument gives the shortest round-tripping digits, like Go's -1 precision.
  const e = Math.abs(f).toExponential();
  const at = e.indexOf('e');
  const digits = e.slice(0, at).replace('.', '');
  return { digits, exp: Number(e.slice(at + 1)) + 1 };
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64). */
export function formatFloatF(f: number): string {
  if (Number.isNaN(f)) return NAN;
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const sign = f < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(f);
  if (exp <= 0) return `${sign}0.${'0'.repeat(-exp)}${digits}`;
  if (exp >= digits.length) return sign + digits + '0'.repeat(exp - digits.length);
  return `${sign}${digits.slice(0, exp)}.${digits.slice(exp)}`;
}

/** Go's strconv.FormatFloat(f, 'e', -1, 64): at least two exponent digits. */
export function formatFloatE(f: number): string {
  if (Number.isNaN(f)) return NAN;
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0e+00' : '0e+00';
  const e = f.toExponential();
  const at = e.indexOf('e');
  const expSign = e[at + 1]!;
  const expDigits = e.slice(at + 2);
  return `${e.slice(0, at)}e${expSign}${expDigits.length < 2 ? '0' + expDigits : expDigits}`;
}

/** A sample value as Prometheus writes it in vectors and matrices (jsonutil.MarshalFloat), unquoted. */
export function formatSampleValue(f: number): string {
  const abs = Math.abs(f);
  // Note: NaN fails both comparisons and takes the 'f' path, which prints "NaN" as 'e' would.
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return formatFloatE(f);
  return formatFloatF(f);
}

/**
 * A millisecond timestamp as seconds, the way jsonutil.MarshalTimestamp writes it: the integer
 * part, then exactly three fraction digits unless they are all zero (1500 → "1.500").
 */
export function formatTimestamp(t: number): string {
  const neg = t < 0;
  const abs = neg ? -t : t;
  const sec = Math.trunc(abs / 1000);
  const frac = abs - sec * 1000;
  const s = frac === 0 ? String(sec) : `${sec}.${String(frac).padStart(3, '0')}`;
  return neg ? '-' + s : s;
}

// ---------------------------------------------------------------------------------------------
// Strings

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029<>&]|[\ud800-\udfff]/;
const NEEDS_PLAIN_ESCAPE = /["\\\u0000-\u001f]|[\ud800-\udfff]/;
const HEX = '0123456789abcdef';

function escapeString(s: string, html: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      rep = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x22) {
      rep = '\\"';
    } else if (c === 0x5c) {
      rep = '\\\\';
    } else if (html && (c === 0x3c || c === 0x3e || c === 0x26)) {
      rep = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (html && (c === 0x2028 || c === 0x2029)) {
      rep = `\\u202${HEX[c & 0xf]}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate has no UTF-8 form; Go writes the replacement character for invalid UTF-8.
      const pair = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair) {
        i++;
        continue;
      }
      rep = html ? '\\ufffd' : '\ufffd';
    }
    if (rep === undefined) continue;
    out += s.slice(start, i) + rep;
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}

/** A JSON string as Go's encoding/json writes it (HTML-safe: <, >, &, U+2028, U+2029 escaped). */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? escapeString(s, true) : `"${s}"`;
}

/** A JSON string as jsoniter's Stream.WriteString writes label names and values: no HTML escaping. */
export function jsonPlainString(s: string): string {
  return NEEDS_PLAIN_ESCAPE.test(s) ? escapeString(s, false) : `"${s}"`;
}

/**
 * Any JSON-compatible value with Go's string escaping; object keys are written in the order given
 * (Go sorts map keys and keeps struct field order: callers build objects accordingly).
 */
export function jsonValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(jsonValue).join(',')}]`;
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined) continue;
        parts.push(`${jsonString(k)}:${jsonValue(x)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`cannot encode ${typeof v} as JSON`);
  }
}

// ---------------------------------------------------------------------------------------------
// Query results

/** `{"name":"value",…}` in label order. */
export function labelsJSON(l: Labels): string {
  const flat = l.toFlat();
  let out = '{';
  for (let i = 0; i < flat.length; i += 2) {
    if (i > 0) out += ',';
    out += `${jsonPlainString(flat[i]!)}:${jsonPlainString(flat[i + 1]!)}`;
  }
  return out + '}';
}

function exponentialBound(idx: number, schema: number): number {
  if (schema < 0) {
    const exp = idx * 2 ** -schema;
    return exp === 1024 ? Number.MAX_VALUE : 2 ** exp;
  }
  const size = 2 ** schema;
  const fracIdx = ((idx % size) + size) % size;
  const exp = (idx - fracIdx) / size + 1;
  if (fracIdx === 0 && exp === 1025) return Number.MAX_VALUE;
  // 2^(fracIdx/size - 1) × 2^exp, as Prometheus' frexp-style table does.
  return 2 ** (fracIdx / size - 1) * 2 ** exp;
}

const CUSTOM_BUCKETS_SCHEMA = -53;

function bucketBound(idx: number, h: FloatHistogram): number {
  if (h.schema === CUSTOM_BUCKETS_SCHEMA) {
    const cv = h.customValues ?? [];
    if (idx === cv.length) return Infinity;
    if (idx === -1) return -Infinity;
    return cv[idx]!;
  }
  return exponentialBound(idx, h.schema);
}

/** Bucket indexes and counts of one side of a histogram, in index order. */
function* spanBuckets(spans: FloatHistogram['positiveSpans'], counts: readonly number[]): Generator<[number, number]> {
  let idx = 0;
  let b = 0;
  for (let s = 0; s < spans.length; s++) {
    idx += spans[s]!.offset;
    for (let j = 0; j < spans[s]!.length && b < counts.length; j++) {
      yield [idx, counts[b++]!];
      idx++;
    }
  }
}

/** jsonutil.MarshalHistogram: count, sum, and the non-empty buckets from the lowest up. */
export function histogramJSON(h: FloatHistogram): string {
  let out = `{"count":"${formatSampleValue(h.count)}","sum":"${formatSampleValue(h.sum)}"`;
  const buckets: string[] = [];
  const custom = h.schema === CUSTOM_BUCKETS_SCHEMA;
  const add = (lower: number, upper: number, count: number, lowerInc: boolean, upperInc: boolean) => {
    if (count === 0) return;
    const boundaries = lowerInc ? (upperInc ? 3 : 1) : upperInc ? 0 : 2;
    buckets.push(`[${boundaries},"${formatSampleValue(lower)}","${formatSampleValue(upper)}","${formatSampleValue(count)}"]`);
  };
  const z = h.zeroThreshold;
  const neg = [...spanBuckets(h.negativeSpans, h.negativeBuckets)].reverse();
  for (const [idx, count] of neg) {
    const lower = -bucketBound(idx, h);
    let upper = -bucketBound(idx - 1, h);
    if (upper < 0 && upper > -z) upper = -z;
    add(lower, upper, count, custom ? idx === 0 : lower < 0, custom ? true : upper > 0);
  }
  if (!custom && h.zeroCount > 0) add(-z, z, h.zeroCount, true, true);
  for (const [idx, count] of spanBuckets(h.positiveSpans, h.positiveBuckets)) {
    let lower = bucketBound(idx - 1, h);
    const upper = bucketBound(idx, h);
    if (lower > 0 && lower < z) lower = z;
    add(lower, upper, count, custom ? idx === 0 : lower < 0, custom ? true : upper > 0);
  }
  if (buckets.length > 0) out += `,"buckets":[${buckets.join(',')}]`;
  return out + '}';
}

export function vectorJSON(v: Vector): string {
  const parts = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const s = v[i]!;
    const ts = formatTimestamp(s.t);
    parts[i] = s.h
      ? `{"metric":${labelsJSON(s.metric)},"histogram":[${ts},${histogramJSON(s.h)}]}`
      : `{"metric":${labelsJSON(s.metric)},"value":[${ts},"${formatSampleValue(s.f)}"]}`;
  }
  return `[${parts.join(',')}]`;
}

export function matrixJSON(m: Matrix): string {
  const parts = new Array<string>(m.length);
  for (let i = 0; i < m.length; i++) {
    const s = m[i]!;
    let out = `{"metric":${labelsJSON(s.metric)}`;
    if (s.floats.length > 0) {
      const pts = new Array<string>(s.floats.length);
      for (let j = 0; j < s.floats.length; j++) {
        const p = s.floats[j]!;
        pts[j] = `[${formatTimestamp(p.t)},"${formatSampleValue(p.f)}"]`;
      }
      out += `,"values":[${pts.join(',')}]`;
    }
    if (s.histograms && s.histograms.length > 0) {
      out += `,"histograms":[${s.histograms.map((p) => `[${formatTimestamp(p.t)},${histogramJSON(p.h)}]`).join(',')}]`;
    }
    parts[i] = out + '}';
  }
  return `[${parts.join(',')}]`;
}

/** A query result (promql.Value) as the `result` field. */
export function valueJSON(v: Value): string {
  switch (v.type) {
    case 'vector':
      return vectorJSON(v.value);
    case 'matrix':
      return matrixJSON(v.value);
    // Scalars and strings use their own MarshalJSON: float seconds and, for scalars, 'f' formatting.
    case 'scalar':
      return `[${JSON.stringify(v.value.t / 1000)},"${formatFloatF(v.value.v)}"]`;
    case 'string':
      return `[${JSON.stringify(v.value.t / 1000)},${jsonString(v.value.v)}]`;
  }
}

/** Series label sets as /api/v1/series returns them. */
export function labelsListJSON(list: readonly Labels[]): string {
  return `[${list.map(labelsJSON).join(',')}]`;
}

// ---------------------------------------------------------------------------------------------
// Envelopes

/** `{"status":"success","data":…,"warnings":[…],"infos":[…]}`; empty lists are left out. */
export function successJSON(data: string, warnings: readonly string[] = [], infos: readonly string[] = []): string {
  let out = `{"status":"success","data":${data}`;
  if (warnings.length > 0) out += `,"warnings":${jsonValue(warnings)}`;
  if (infos.length > 0) out += `,"infos":${jsonValue(infos)}`;
  return out + '}';
}

/** `{"status":"error","errorType":…,"error":…}`. */
export function errorJSON(errorType: string, error: string): string {
  return `{"status":"error","errorType":${jsonString(errorType)},"error":${jsonString(error)}}`;
}
