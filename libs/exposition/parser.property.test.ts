import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels } from '../model/index.ts';
import { EntryType, ExpositionParser, ParseError, formatGoFloat } from './index.ts';
import type { ExpositionFormat } from './index.ts';

// ---- Timestamps ----

// s.mmm from integer milliseconds, by string arithmetic (no float on the way).
function msToSeconds(ms: number): string {
  const neg = ms < 0;
  const a = Math.abs(ms);
  return `${neg ? '-' : ''}${Math.floor(a / 1000)}.${String(a % 1000).padStart(3, '0')}`;
}

function omTimestamp(text: string, exact: boolean): number | undefined {
  const p = new ExpositionParser(`m 1 ${text}\n# EOF\n`, 'openmetrics', { exactTimestamps: exact });
  p.next();
  return p.timestamp();
}

describe('timestamp conversion', () => {
  const ms = fc.oneof(fc.integer({ min: -1e13, max: 1e13 }), fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }));

  it('exactTimestamps: s.mmm parses back to the same milliseconds', () => {
    fc.assert(
      fc.property(ms, (t) => {
        assert.equal(omTimestamp(msToSeconds(t), true), t);
      }),
      { numRuns: 20000 },
    );
  });

  it('default: int64(float(s.mmm) * 1000) like Prometheus, never more than 1 ms off', () => {
    fc.assert(
      fc.property(ms, (t) => {
        const text = msToSeconds(t);
        const got = omTimestamp(text, false)!;
        assert.equal(got, Math.trunc(Number(text) * 1000) + 0);
        assert.ok(Math.abs(got - t) <= 1, `${text} -> ${got}`);
      }),
      { numRuns: 20000 },
    );
  });

  it('Prometheus format: integer milliseconds are exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (t) => {
        const p = new ExpositionParser(`m 1 ${t}\n`, 'prometheus');
        p.next();
        assert.equal(p.timestamp(), t);
      }),
      { numRuns: 5000 },
    );
  });
});

// ---- Fuzzing: mutations of valid documents ----

const seedsOM = [
  '# HELP foo_seconds Some "help" \\n text\n# TYPE foo_seconds histogram\n# UNIT foo_seconds seconds\nfoo_seconds_bucket{le="1",a="x\\"y"} 3 1520879607.789 # {trace_id="abc"} 0.5 1520879607.7\nfoo_seconds_bucket{le="+Inf"} NaN\nfoo_seconds_count 4\n# EOF\n',
  '{"my.metric","a.b"="c",d="ü"} -Inf 1\nm{a="\\\\"} +Inf\n# TYPE s summary\ns{quantile="0.5"} 1e-3\n# EOF\n',
  'a_total 1 # {} 2\nb{x="1",} 2 3\n# EOF',
];
const seedsProm = [
  '# HELP foo Some help\n# TYPE foo counter\nfoo{a="b", c = "d",} 1e3 123\n\n  # comment\nbar 1\n{"x.y"} NaN\n',
  'multi{v="a\nb"} 3\n# TYPE u untyped\nu{le="10"} -Inf 5\n',
];

const alphabet = ['{', '}', '"', ',', '=', '#', ' ', '\n', '\t', '\\', '\0', 'a', '_', ':', '1', '.', 'e', '-', '+', 'N', 'I', 'ü', '€', '\xff', '# EOF', '# TYPE ', '# HELP ', '# UNIT ', ' # {'];

type Mutation = { kind: 'insert'; at: number; text: string } | { kind: 'delete'; at: number; len: number } | { kind: 'dup'; at: number; len: number } | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...alphabet), fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 4 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(doc: string, ms: Mutation[]): Uint8Array {
  // Work on latin1 bytes so mutations can also split UTF-8 sequences.
  let s = Buffer.from(doc, 'utf8').toString('latin1');
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    if (m.kind === 'insert') s = s.slice(0, at) + Buffer.from(m.text, 'utf8').toString('latin1') + s.slice(at);
    else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.kind === 'dup') s = s.slice(0, at) + s.slice(at, at + m.len) + s.slice(at);
    else s = s.slice(0, at);
  }
  return Buffer.from(s, 'latin1');
}

// Parses everything, calling every accessor; returns the number of entries or the ParseError.
function exercise(input: Uint8Array, format: ExpositionFormat): number | ParseError {
  const p = new ExpositionParser(input, format);
  let entries = 0;
  try {
    for (let e = p.next(); e !== undefined; e = p.next()) {
      // Every entry consumes at least one byte: more entries than bytes means a loop.
      if (++entries > input.length + 2) throw new Error('parser does not advance');
      p.lineNumber();
      if (e === EntryType.Series) {
        p.labels();
        p.value();
        p.timestamp();
        p.exemplar();
        p.seriesKey();
      } else if (e === EntryType.Help) p.help();
      else if (e === EntryType.Type) p.typeValue();
      else if (e === EntryType.Unit) p.unit();
      else if (e === EntryType.Comment) p.comment();
      if (e !== EntryType.Series && e !== EntryType.EOF && e !== EntryType.Comment) p.metricFamily();
    }
    return entries;
  } catch (err) {
    if (err instanceof ParseError) {
      assert.ok(Number.isInteger(err.line) && err.line >= 1, `bad line ${err.line}`);
      return err;
    }
    throw err;
  }
}

describe('fuzz: mutated documents parse or throw ParseError', () => {
  for (const [format, seeds] of [
    ['openmetrics', seedsOM],
    ['prometheus', seedsProm],
  ] as const) {
    it(format, () => {
      for (const seed of seeds) assert.equal(typeof exercise(Buffer.from(seed), format), 'number', 'seeds are valid');
      fc.assert(
        fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, ms) => {
          exercise(mutate(seed, ms), format);
        }),
        { numRuns: 4000 },
      );
    });
    it(`${format}: random bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
          exercise(b, format);
        }),
        { numRuns: 3000 },
      );
    });
  }
});

// ---- Round trip: render random series, parse them back ----

const legacyMetric = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const legacyLabel = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// Characters that stress escaping, plus arbitrary Unicode.
const textUnit = fc.oneof(fc.constantFrom('"', '\\', '\n', ' ', '{', '}', ',', '=', '#', 'n', 'a', '_', '.', 'é', '€', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const text = (noNul: boolean, minLength = 0) =>
  fc.string({ unit: textUnit, minLength, maxLength: 12 }).map((s) => (noNul ? s.replace(/\0/g, '') : s));
const metricName = fc.oneof(fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/), text(true, 1));
const labelName = fc.oneof(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/), text(true, 1)).filter((n) => n !== '__name__');
const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1, 0.1, 1e-300));

interface GenSeries {
  name: string;
  labels: [string, string][];
  value: number;
  ms?: number;
  exemplar?: { labels: [string, string][]; value: number; ms?: number };
}

const uniquePairs = (valueArb: fc.Arbitrary<string>) =>
  fc.uniqueArray(fc.tuple(labelName, valueArb), { maxLength: 5, selector: (p) => p[0] });

const series = (withExemplar: boolean): fc.Arbitrary<GenSeries> =>
  fc.record(
    {
      name: metricName,
      labels: uniquePairs(text(false)),
      value,
      ms: fc.integer({ min: -1e13, max: 1e13 }),
      exemplar: withExemplar
        ? fc.record({ labels: uniquePairs(text(true)), value, ms: fc.integer({ min: 0, max: 1e13 }) }, { requiredKeys: ['labels', 'value'] })
        : fc.constant(undefined),
    },
    { requiredKeys: ['name', 'labels', 'value'] },
  );

const escape = (s: string) => s.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
const renderName = (n: string, re: RegExp) => (re.test(n) ? n : `"${escape(n)}"`);

function renderLabels(pairs: [string, string][], sp: string): string {
  return pairs.map(([n, v]) => `${renderName(n, legacyLabel)}${sp}=${sp}"${escape(v)}"`).join(`,${sp}`);
}

function render(all: GenSeries[], format: ExpositionFormat, sp: string): string {
  const lines: string[] = [];
  for (const s of all) {
    const quotedName = !legacyMetric.test(s.name);
    let line: string;
    if (quotedName) line = `{"${escape(s.name)}"${s.labels.length > 0 ? `,${sp}` : ''}${renderLabels(s.labels, sp)}}`;
    else line = s.labels.length > 0 ? `${s.name}{${renderLabels(s.labels, sp)}}` : s.name;
    line += ` ${formatGoFloat(s.value)}`;
    if (s.ms !== undefined) line += ` ${format === 'openmetrics' ? msToSeconds(s.ms) : Math.abs(s.ms)}`;
    if (format === 'openmetrics' && s.exemplar) {
      const e = s.exemplar;
      line += ` # {${renderLabels(e.labels, '')}} ${formatGoFloat(e.value)}`;
      if (e.ms !== undefined) line += ` ${msToSeconds(e.ms)}`;
    }
    lines.push(line);
  }
  return format === 'openmetrics' ? `${lines.map((l) => `${l}\n`).join('')}# EOF\n` : `${lines.join('\n')}${sp}`;
}

const sameValue = (a: number, b: number) => (Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b));

describe('round trip: render → parse gives the same series', () => {
  for (const format of ['openmetrics', 'prometheus'] as const) {
    it(format, () => {
      fc.assert(
        fc.property(fc.array(series(format === 'openmetrics'), { maxLength: 8 }), fc.constantFrom('', ' ', '\t'), (all, sp) => {
          const doc = render(all, format, format === 'prometheus' ? sp : '');
          const p = new ExpositionParser(doc, format, { exactTimestamps: true });
          for (const s of all) {
            assert.equal(p.next(), EntryType.Series, doc);
            const want = Labels.fromPairs([['__name__', s.name], ...s.labels]);
            assert.ok(p.labels().equals(want), `${p.labels().toString()} != ${want.toString()}`);
            assert.ok(sameValue(p.value(), s.value), `${p.value()} != ${s.value}`);
            if (s.ms === undefined) assert.equal(p.timestamp(), undefined);
            else assert.equal(p.timestamp(), format === 'openmetrics' ? s.ms : Math.abs(s.ms));
            const ex = p.exemplar();
            if (format === 'openmetrics' && s.exemplar) {
              assert.ok(ex);
              assert.ok(ex.labels.equals(Labels.fromPairs(s.exemplar.labels)));
              assert.ok(sameValue(ex.value, s.exemplar.value));
              assert.equal(ex.timestamp, s.exemplar.ms);
            } else assert.equal(ex, undefined);
          }
          assert.equal(p.next(), format === 'openmetrics' ? EntryType.EOF : undefined);
          assert.equal(p.next(), undefined);
        }),
        { numRuns: 1500 },
      );
    });
  }
});
