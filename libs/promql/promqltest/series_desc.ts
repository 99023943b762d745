// Series descriptions of the test scripts (Prometheus' ParseSeriesDesc): a metric with labels
// followed by expanding point syntax, e.g. `foo{a="b"} 1+2x3 _ stale _x2 {{schema:1 sum:3}}`.

import { Labels, METRIC_NAME, STALE_NAN } from '../../model/index.ts';
import type { FloatHistogram } from '../engine/index.ts';
import { addHistograms, newHistogram, subHistograms } from './histogram.ts';
import { parseNumber, unquote } from './numbers.ts';

/** One point of a sequence: omitted (`_`), a float (incl. stale markers), or a histogram. */
export interface SequenceValue {
  omitted: boolean;
  value: number;
  histogram?: FloatHistogram;
  /** The histogram spelled out `counter_reset_hint`, so comparisons check it. */
  counterResetHintSet?: boolean;
}

export class SeriesDescError extends Error {
  override readonly name = 'SeriesDescError';
}

export interface SeriesDesc {
  labels: Labels;
  values: SequenceValue[];
}

const OMITTED: SequenceValue = Object.freeze({ omitted: true, value: 0 }) as SequenceValue;

/** Parses `metric{labels} <points>`. Throws SeriesDescError. */
export function parseSeriesDesc(input: string): SeriesDesc {
  const s = new Scanner(input);
  const labels = s.metric();
  const values: SequenceValue[] = [];
  for (;;) {
    const hadSpace = s.spaces();
    if (s.eof()) break;
    if (!hadSpace) s.fail('unexpected character after metric');
    values.push(...s.item());
  }
  return { labels, values };
}

/** Parses just a metric with labels (`foo{a="b"}`, `{__name__="x"}`, `{"utf8.name"}`). */
export function parseMetric(input: string): Labels {
  const s = new Scanner(input);
  const labels = s.metric();
  s.spaces();
  if (!s.eof()) s.fail('unexpected characters after metric');
  return labels;
}

const NUM = String.raw`(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9][0-9_]*)?|[iI][nN][fF]|[nN][aA][nN]`;
// value [(+|-)increment] [xN], where a value may carry a sign.
const ITEM_RE = new RegExp(`^([+-]?(?:${NUM}))(?:([+-])(${NUM}))?(?:x([0-9]+))?$`);

class Scanner {
  private i = 0;

  constructor(private readonly s: string) {}

  eof(): boolean {
    return this.i >= this.s.length;
  }

  fail(msg: string): never {
    throw new SeriesDescError(`${msg} at char ${this.i + 1} of ${JSON.stringify(this.s)}`);
  }

  spaces(): boolean {
    const start = this.i;
    while (this.i < this.s.length && /[ \t\r\n]/.test(this.s[this.i]!)) this.i++;
    return this.i > start;
  }

  metric(): Labels {
    this.spaces();
    const pairs: [string, string][] = [];
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(this.s.slice(this.i));
    if (name) {
      pairs.push([METRIC_NAME, name[0]]);
      this.i += name[0].length;
    }
    if (this.s[this.i] === '{' && this.s[this.i + 1] !== '{') {
      this.i++;
      for (;;) {
        this.spaces();
        if (this.s[this.i] === '}') break;
        let label: string;
        const c = this.s[this.i];
        if (c === '"' || c === "'" || c === '`') {
          label = this.string();
          this.spaces();
          if (this.s[this.i] !== '=') {
            pairs.push([METRIC_NAME, label]);
            if (!this.comma()) break;
            continue;
          }
        } else {
          const id = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(this.s.slice(this.i));
          if (!id) this.fail('unexpected character in label set');
          label = id[0];
          this.i += label.length;
          this.spaces();
        }
        if (this.s[this.i] !== '=') this.fail('expected "=" in label set');
        this.i++;
        this.spaces();
        pairs.push([label, this.string()]);
        if (!this.comma()) break;
      }
      if (this.s[this.i] !== '}') this.fail('expected "," or "}" in label set');
      this.i++;
    }
    try {
      return Labels.fromPairs(pairs);
    } catch (e) {
      return this.fail((e as Error).message);
    }
  }

  private comma(): boolean {
    this.spaces();
    if (this.s[this.i] !== ',') return false;
    this.i++;
    return true;
  }

  private string(): string {
    const q = this.s[this.i];
    if (q !== '"' && q !== "'" && q !== '`') this.fail('expected a quoted string');
    let j = this.i + 1;
    while (j < this.s.length && this.s[j] !== q) j += q !== '`' && this.s[j] === '\\' ? 2 : 1;
    if (j >= this.s.length) this.fail('unterminated string');
    const v = unquote(this.s.slice(this.i, j + 1));
    if (v === undefined) this.fail('invalid string literal');
    this.i = j + 1;
    return v;
  }

  /** One whitespace-separated item, expanded to its points. */
  item(): SequenceValue[] {
    if (this.s.startsWith('{{', this.i)) return this.histogramItem();
    const start = this.i;
    while (this.i < this.s.length && !/[ \t\r\n]/.test(this.s[this.i]!)) this.i++;
    const tok = this.s.slice(start, this.i);
    if (tok === '_') return [OMITTED];
    if (tok.startsWith('_x')) return new Array<SequenceValue>(this.uint(tok.slice(2), start)).fill(OMITTED);
    if (tok === 'stale') return [{ omitted: false, value: STALE_NAN }];
    const m = ITEM_RE.exec(tok);
    if (!m) {
      this.i = start;
      this.fail(`invalid series value ${JSON.stringify(tok)}: expected number or "stale"`);
    }
    let v = this.number(m[1]!, start);
    if (m[4] === undefined) {
      if (m[2] !== undefined) this.fail(`missing repetition count in ${JSON.stringify(tok)}`);
      return [{ omitted: false, value: v }];
    }
    const times = this.uint(m[4], start);
    const inc = m[2] === undefined ? 0 : this.number(m[2] + m[3]!, start);
    const out: SequenceValue[] = [];
    // times+1 points; the increment is added step by step, so float rounding matches Prometheus.
    for (let k = 0; k <= times; k++) {
      out.push({ omitted: false, value: v });
      v += inc;
    }
    return out;
  }

  private number(tok: string, at: number): number {
    const sign = tok[0] === '-' ? -1 : 1;
    const body = tok[0] === '-' || tok[0] === '+' ? tok.slice(1) : tok;
    const v = /^inf$/i.test(body) ? Infinity : /^nan$/i.test(body) ? NaN : parseNumber(body);
    if (v === undefined) {
      this.i = at;
      this.fail(`error parsing number ${JSON.stringify(tok)}`);
    }
    return sign * v;
  }

  private uint(tok: string, at: number): number {
    if (!/^[0-9]+$/.test(tok)) {
      this.i = at;
      this.fail(`invalid repetition in series values: ${JSON.stringify(tok)}`);
    }
    return Number(tok);
  }

  private histogramItem(): SequenceValue[] {
    const base = this.histogram();
    const op = this.s[this.i];
    if (op === 'x') {
      this.i++;
      const times = this.countAfterX();
      return Array.from({ length: times + 1 }, () => base);
    }
    if (op === '+' || op === '-') {
      this.i++;
      if (!this.s.startsWith('{{', this.i)) this.fail('expected a histogram after "+" or "-"');
      const inc = this.histogram();
      if (this.s[this.i] !== 'x') this.fail('expected "x" and a repetition count after the histogram increment');
      this.i++;
      const times = this.countAfterX();
      const hintSet = inc.counterResetHintSet ?? false;
      const out: SequenceValue[] = [{ ...base, counterResetHintSet: hintSet }];
      let cur = base.histogram!;
      for (let k = 1; k <= times; k++) {
        if (cur.schema > inc.histogram!.schema) this.fail(`error combining histograms: cannot merge from schema ${inc.histogram!.schema} to ${cur.schema}`);
        cur = op === '+' ? addHistograms(cur, inc.histogram!) : subHistograms(cur, inc.histogram!);
        out.push({ omitted: false, value: 0, histogram: cur, counterResetHintSet: hintSet });
      }
      return out;
    }
    return [base];
  }

  private countAfterX(): number {
    const m = /^[0-9]+/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a repetition count after "x"');
    this.i += m[0].length;
    return Number(m[0]);
  }

  /** `{{key:value ...}}` → a histogram point. */
  private histogram(): SequenceValue {
    this.i += 2;
    const h = newHistogram();
    let hintSet = false;
    let offset = 0;
    let nOffset = 0;
    let buckets: number[] = [];
    let nBuckets: number[] = [];
    for (;;) {
      this.spaces();
      if (this.s.startsWith('}}', this.i)) {
        this.i += 2;
        break;
      }
      const key = /^[a-zA-Z_]+/.exec(this.s.slice(this.i));
      if (!key) this.fail('histogram description incomplete');
      this.i += key[0].length;
      if (this.s[this.i] !== ':') this.fail('missing `:` for histogram descriptor');
      this.i++;
      switch (key[0].toLowerCase()) {
        case 'schema':
          h.schema = this.histInt();
          break;
        case 'sum':
          h.sum = this.histNumber();
          break;
        case 'count':
          h.count = this.histNumber();
          break;
        case 'z_bucket':
          h.zeroCount = this.histNumber();
          break;
        case 'z_bucket_w':
          h.zeroThreshold = this.histNumber();
          break;
        case 'custom_values':
          h.customValues = this.bucketSet();
          break;
        case 'buckets':
          buckets = this.bucketSet();
          break;
        case 'n_buckets':
          nBuckets = this.bucketSet();
          break;
        case 'offset':
          offset = this.histInt();
          break;
        case 'n_offset':
          nOffset = this.histInt();
          break;
        case 'counter_reset_hint': {
          const w = /^[a-zA-Z_]+/.exec(this.s.slice(this.i));
          const hint = w?.[0].toLowerCase();
          if (hint !== 'unknown' && hint !== 'reset' && hint !== 'not_reset' && hint !== 'gauge') {
            this.fail('error parsing counter_reset_hint');
          }
          this.i += w![0].length;
          h.counterResetHint = hint;
          hintSet = true;
          break;
        }
        default:
          this.i -= key[0].length + 1;
          this.fail(`bad histogram descriptor found: ${JSON.stringify(key[0])}`);
      }
    }
    h.positiveBuckets = buckets;
    h.positiveSpans = buckets.length > 0 ? [{ offset, length: buckets.length }] : [];
    h.negativeBuckets = nBuckets;
    h.negativeSpans = nBuckets.length > 0 ? [{ offset: nOffset, length: nBuckets.length }] : [];
    return { omitted: false, value: 0, histogram: h, counterResetHintSet: hintSet };
  }

  private histToken(): string {
    const m = /^[^ \t\]}]+/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a number in histogram description');
    this.i += m[0].length;
    return m[0];
  }

  private histNumber(): number {
    const at = this.i;
    return this.number(this.histToken(), at);
  }

  private histInt(): number {
    const at = this.i;
    const tok = this.histToken();
    if (!/^-?[0-9]+$/.test(tok)) {
      this.i = at;
      this.fail(`expected an integer in histogram description, got ${JSON.stringify(tok)}`);
    }
    return Number(tok);
  }

  private bucketSet(): number[] {
    if (this.s[this.i] !== '[') this.fail('expected "[" to start a bucket list');
    this.i++;
    const out: number[] = [];
    for (;;) {
      this.spaces();
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      if (this.eof()) this.fail('unterminated bucket list');
      out.push(this.histNumber());
    }
  }
}
