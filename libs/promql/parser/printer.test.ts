import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { exprToString, parseExpr, prettify } from './index.ts';
import type { Expr } from './index.ts';
import { formatDuration, formatFloatF } from './gofmt.ts';
import { normalize, plain, randomQuery, readFixture, seededRandom } from './test_util.ts';

interface PrintCase {
  in: string;
  out?: string;
  prettyWidth?: number;
}

const parse = (q: string): Expr => parseExpr(q, { enableExperimentalFunctions: true });

describe("Prometheus' printer and prettier test cases", () => {
  const cases = readFixture<PrintCase[]>('printer_cases.json');
  it('has the converted cases', () => assert.ok(cases.length > 100));
  for (const c of cases) {
    it(`${c.prettyWidth !== undefined ? 'Pretty' : 'String'} ${JSON.stringify(c.in).slice(0, 70)}`, () => {
      const e = parse(c.in);
      const got = c.prettyWidth !== undefined ? prettify(e, c.prettyWidth) : exprToString(e);
      assert.equal(got, c.out ?? c.in);
    });
  }
});

describe('exprToString', () => {
  it('prints like Prometheus', () => {
    const cases: [string, string][] = [
      ['foo{b="2", a="1"}', 'foo{a="1",b="2"}'],
      ['{"my.metric", "a.b"="c"}', '{"a.b"="c",__name__="my.metric"}'],
      ['foo offset -1h30m', 'foo offset -1h30m'],
      ['foo offset 90m', 'foo offset 1h30m'],
      ['foo offset 14d', 'foo offset 2w'],
      ['foo offset 365d', 'foo offset 1y'],
      ['foo offset 400d', 'foo offset 400d'],
      ['foo[1.5]', 'foo[1s500ms]'],
      ['foo @ 1.2345', 'foo @ 1.235'],
      ['foo @ -1', 'foo @ -1.000'],
      ['1e21', '1000000000000000000000'],
      ['0.000001', '0.000001'],
      ['1e-7', '0.0000001'],
      ['-0.5', '-0.5'],
      ['0x10', '16'],
      ['+Inf', '+Inf'],
      ['-inf', '-Inf'],
      ['NaN', 'NaN'],
      ['90s', '1m30s'],
      ['-90s', '-1m30s'],
      ['"a\\"b\\n\\u00e9\\x01"', '"a\\"b\\né\\x01"'],
      ["'single'", '"single"'],
      ['`raw\\`', '"raw\\\\"'],
      ['"\\xff"', '"\\xff"'],
      ['sum by ("a.b", c) (x)', 'sum by ("a.b", c) (x)'],
      ['a / ignoring(b) group_right(c) d', 'a / ignoring (b) group_right (c) d'],
      ['a / on() group_left d', 'a / on () group_left () d'],
      ['a < bool 1', 'a < bool 1'],
      ['1 + -(2)', '1 + -(2)'],
      ['rate(x[5m])[1h:] @ start() offset 1m', 'rate(x[5m])[1h:] @ start() offset 1m'],
      ['x[5m] @ end() offset -1m', 'x[5m] @ end() offset -1m'],
      ['count_values("v", x)', 'count_values("v", x)'],
      ['h </ 1', 'h </ 1'],
    ];
    for (const [q, want] of cases) assert.equal(exprToString(parse(q)), want, q);
  });

  it('prints deep operator chains', () => {
    const q = Array.from({ length: 20000 }, (_, i) => `m${i}`).join(' + ');
    assert.equal(exprToString(parse(q)), q);
  });

  it('formats Go floats and Prometheus durations', () => {
    assert.equal(formatFloatF(123456789.125), '123456789.125');
    assert.equal(formatFloatF(5e-324), '0.' + '0'.repeat(323) + '5');
    assert.equal(formatFloatF(-0), '-0');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(1), '1ms');
    assert.equal(formatDuration(86400000 * 7 + 1000), '7d1s');
    assert.equal(formatDuration(86400000 * 365 * 2), '2y');
  });
});

/** The tree without positions, matchers sorted (printing sorts them). */
function shape(e: Expr): unknown {
  return JSON.parse(
    JSON.stringify(plain(normalize(e, false)), (_k, v: unknown) =>
      Array.isArray(v) && v.every((x) => typeof x === 'string' && /^[^=!]*[=!]/.test(x)) ? [...v].sort() : v,
    ),
  ) as unknown;
}

describe('printing round-trips', () => {
  it("parse → String → parse gives the same tree for Prometheus' test queries", () => {
    const cases = readFixture<{ input: string; ast?: unknown }[]>('parse_cases.json');
    let n = 0;
    for (const c of cases) {
      if (c.ast === undefined) continue;
      const e = parse(c.input);
      const printed = exprToString(e);
      assert.deepStrictEqual(shape(parse(printed)), shape(e), `${c.input} → ${printed}`);
      assert.equal(exprToString(parse(printed)), printed);
      n++;
    }
    assert.ok(n > 150);
  });

  it('parse → String → parse gives the same tree for generated queries', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const q = randomQuery(seededRandom(seed));
        let e: Expr;
        try {
          e = parse(q);
        } catch {
          return; // generated queries may be ill-typed
        }
        const printed = exprToString(e);
        // Like Prometheus, Inf prints as "+Inf", which reads back as a unary plus before a '^'.
        if (printed.includes('+Inf ^')) return;
        assert.deepStrictEqual(shape(parse(printed)), shape(e), `${q} → ${printed}`);
        // Pretty output parses back to the same tree too.
        assert.deepStrictEqual(shape(parse(prettify(e, 20))), shape(e), `${q} → pretty`);
      }),
      { numRuns: 2000 },
    );
  });
});
