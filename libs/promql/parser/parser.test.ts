import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParseErrors, exprToString, parseExpr, parseMetricSelector, posRangeOf } from './index.ts';
import type { Expr, ParseError } from './index.ts';
import { normalize, plain, readFixture } from './test_util.ts';

interface ParseCase {
  input: string;
  experimentalFunctions?: boolean;
  ast?: unknown;
  error?: { msg: string; start: number; end: number };
}

/** The first error of parsing `q` as [message, start, end], or undefined if it parses. */
function firstError(q: string, experimentalFunctions = false): [string, number, number] | undefined {
  try {
    parseExpr(q, { enableExperimentalFunctions: experimentalFunctions });
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ParseErrors, `not a ParseErrors: ${String(e)}`);
    const f = e.errors[0]!;
    assert.equal(e.message, `${f.lineInfo}: parse error: ${f.err}`);
    return [f.err, f.positionRange.start, f.positionRange.end];
  }
}

describe("Prometheus' parser test cases (promql/parser/parse_test.go)", () => {
  const cases = readFixture<ParseCase[]>('parse_cases.json');
  it('has the converted cases', () => assert.ok(cases.length > 300));
  for (const c of cases) {
    it(JSON.stringify(c.input).slice(0, 80), () => {
      const exp = c.experimentalFunctions ?? false;
      if (c.error !== undefined) {
        assert.deepEqual(firstError(c.input, exp), [c.error.msg, c.error.start, c.error.end]);
        return;
      }
      const expr = parseExpr(c.input, { enableExperimentalFunctions: exp });
      assert.deepStrictEqual(plain(normalize(expr)), c.ast);
    });
  }

  it('reports every error of a long query quickly, in order', () => {
    // Prometheus' own case: 10000 bad selectors, then 999 bad subqueries.
    const q = '(' + '-{}-1'.repeat(10000) + ')' + '[1m:]'.repeat(1000);
    let err: ParseErrors | undefined;
    try {
      parseExpr(q);
    } catch (e) {
      err = e as ParseErrors;
    }
    assert.ok(err instanceof ParseErrors);
    assert.equal(err.errors.length, 10999);
    const errors: ParseError[] = err.errors;
    for (let i = 0; i < 10000; i++) {
      const pe = errors[i]!;
      assert.equal(pe.err, 'vector selector must contain at least one non-empty matcher');
      assert.deepEqual(pe.positionRange, { start: 2 + 5 * i, end: 4 + 5 * i });
    }
    for (let i = 0; i < 999; i++) {
      const pe = errors[10000 + i]!;
      assert.equal(pe.err, 'subquery is only allowed on instant vector, got matrix instead');
      assert.deepEqual(pe.positionRange, { start: 0, end: 50012 + 5 * i });
    }
  });
});

describe('syntax errors land in the context Prometheus reports', () => {
  // Cross-checked with promtool's parser where the grammar is unchanged since 2.x.
  const cases: [string, string, number, number][] = [
    ['sum(1 2)', 'unexpected number "2" in aggregation', 6, 7],
    ['sum(rate(x[5m]) 1)', 'unexpected number "1" in aggregation', 16, 17],
    ['sum by (a) 1', 'unexpected number "1" in aggregation', 11, 12],
    ['sum by (a) by (b) (x)', 'unexpected <by> in aggregation', 11, 13],
    ['rate(foo[5m] 1)', 'unexpected number "1"', 13, 14],
    ['(1 2)', 'unexpected number "2"', 3, 4],
    ['sum(x) 1', 'unexpected number "1"', 7, 8],
    ['sum by (a b) (x)', 'unexpected identifier "b" in grouping opts, expected "," or ")"', 10, 11],
    ['sum(x) by', 'unexpected end of input in grouping opts, expected "("', 9, 9],
    ['sum by (without) (x)', 'unexpected <without> in grouping opts, expected label', 8, 15],
    ['foo{a="b" c}', 'unexpected identifier "c" in label matching, expected "," or "}"', 10, 11],
    ['foo{"a" "b"}', 'unexpected string "\\"b\\"" in label matching, expected "," or "}"', 8, 11],
    ['foo{a="b",,}', 'unexpected "," in label matching, expected identifier or "}"', 10, 11],
    ['foo @ start', 'unexpected end of input in @, expected timestamp', 11, 11],
    ['foo @ start(1)', 'unexpected number "1" in @, expected timestamp', 12, 13],
    ['foo @ bar', 'unexpected identifier "bar" in @, expected timestamp', 6, 9],
    ['foo offset -', 'unexpected end of input in offset, expected number, duration, step(), or range()', 12, 12],
    ['foo offset bar', 'unexpected identifier "bar" in offset, expected number, duration, step(), or range()', 11, 14],
    ['foo[5m:1m 2]', 'unexpected number "2" in subquery selector, expected "]"', 10, 11],
    ['foo[5m 1m]', 'unexpected duration "1m" in subquery or range, expected ":" or "]"', 7, 9],
    ['foo[5m:,]', 'unexpected "," in subquery selector, expected number, duration, step(), range(), or "]"', 7, 8],
    ['foo[5m + ]', 'unexpected "]" in subquery or range selector, expected number, duration, step(), or range()', 9, 10],
    ['foo[5m:', 'unclosed left bracket', 7, 7],
    ['foo[5m', 'unclosed left bracket', 6, 6],
    ['a and', 'unexpected end of input', 5, 5],
    ['a - on(b) ignoring(c) d', 'unexpected <ignoring>', 10, 18],
    ['sum(x,)', 'trailing commas not allowed in function call args', 5, 6],
    // A comma before something that cannot start an argument is a trailing one, reported first.
    ['topk(0.9, on)', 'trailing commas not allowed in function call args', 8, 9],
    ['rate(,x)', 'unexpected ","', 5, 6],
    ['sum(,x)', 'unexpected "," in aggregation', 4, 5],
    ['foo:bar(x)', 'unexpected "("', 7, 8],
    ['sum some_metric by (test)', 'unexpected identifier "some_metric"', 4, 15],
    ['"x" "abcdefghijklmn"', 'unexpected string "\\"abcdefghi"...', 4, 20],
    ['x 12345678901', 'unexpected number "1234567890"...', 2, 13],
    ['', 'no expression found in input', 0, 0],
    ['1 +\n  2 3', 'unexpected number "3"', 8, 9],
  ];
  for (const [q, msg, start, end] of cases) {
    it(JSON.stringify(q), () => assert.deepEqual(firstError(q), [msg, start, end]));
  }

  it('prints line and byte column like Prometheus', () => {
    assert.throws(() => parseExpr('sum(\n  rate(x[5m])\n  foo)'), { message: '3:3: parse error: unexpected identifier "foo" in aggregation' });
    assert.throws(() => parseExpr(''), { message: 'unknown position: parse error: no expression found in input' });
    // Columns count UTF-8 bytes: "é" is two.
    assert.throws(() => parseExpr('{a="é"} 1'), { message: '1:10: parse error: unexpected number "1"' });
  });

  it('exposes the first error as positionRange and query', () => {
    try {
      parseExpr('foo{');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof ParseErrors);
      assert.deepEqual(e.positionRange, { start: 4, end: 4 });
      assert.equal(e.query, 'foo{');
      assert.equal(e.message, '1:5: parse error: unexpected end of input inside braces');
    }
  });
});

describe('lexing quirks kept from Prometheus', () => {
  const cases: [string, [string, number, number] | undefined][] = [
    ['0x1e', ['bad number or duration syntax: "0x1e"', 0, 4]],
    ['0xffffffffffffffffff', ['error parsing number: strconv.ParseFloat: parsing "0xffffffffffffffffff": invalid syntax', 0, 20]],
    ['1e', ['bad number or duration syntax: "1e"', 0, 2]],
    ['.50.{5', ['error parsing number: strconv.ParseFloat: parsing ".50.": invalid syntax', 0, 4]],
    ['1.5h', ['unknown unit "." in duration "1.5h"', 0, 4]],
    ['"\\q"', ['unknown escape sequence U+0071 \'q\'', 0, 4]],
    ["'\\\"'", ['unknown escape sequence U+0022 \'"\'', 0, 4]],
    ['"\\ud800"', ['escape sequence is an invalid Unicode code point', 0, 8]],
    ['"a\ufffd"', ['invalid UTF-8 rune', 0, 4]],
    ['"a\ud800"', ['invalid UTF-8 rune', 0, 4]],
    ['foo[:5m]', ['unexpected colon before duration in duration expression', 5, 8]],
    ['a ! b', ["unexpected character after '!': ' '", 2, 5]],
    ['foo{a!b}', ["unexpected character after '!' inside braces: 'b'", 5, 8]],
    ['foo{{', ["unexpected left brace '{'", 4, 5]],
    ['foo[5m][1m]', ['ranges only allowed for vector selectors', 7, 11]],
    ['foo[1m[', ["unexpected left bracket '['", 6, 7]],
    ['a ]', ["unexpected right bracket ']'", 2, 3]],
    ['a # comment\n', undefined],
    ['{a="b" # comment\n}', undefined],
  ];
  for (const [q, want] of cases) {
    it(JSON.stringify(q), () => assert.deepEqual(firstError(q), want));
  }

  it('reads numbers the Go way', () => {
    const val = (q: string): number => (parseExpr(q) as { val: number }).val;
    assert.equal(val('010'), 8); // leading 0: octal
    assert.equal(val('08'), 8); // not octal: a float
    assert.equal(val('0x1F'), 31);
    assert.equal(val('1_000'), 1000);
    assert.equal(val('0x_1f'), 31);
    assert.equal(val('1e5_0'), 1e50);
    assert.equal(val('5.'), 5);
    assert.equal(val('iNf'), Infinity);
    assert.ok(Number.isNaN(val('nAn')));
    assert.equal(val('-Inf'), -Infinity);
    assert.equal(val('9223372036854775807'), 9223372036854775807);
    assert.equal(val('1e-400'), 0);
    assert.equal(val('1h30m'), 5400);
    assert.equal(val('1s500ms'), 1.5);
  });

  it('reads strings with Go escapes', () => {
    const val = (q: string): string => (parseExpr(q) as { val: string }).val;
    assert.equal(val('"a\\tb\\u00e9\\U0001F600\\x41\\101\\\\\\""'), 'a\tbé😀AA\\"');
    assert.equal(val("'it\\'s'"), "it's");
    assert.equal(val('`raw\\n\nline`'), 'raw\\n\nline');
    assert.equal(val('"\\303\\251"'), 'é'); // bytes forming UTF-8
    assert.equal(val('"a\\xffb"'), 'a\udcffb'); // a byte that is not UTF-8
  });
});

describe('trees', () => {
  const parse = (q: string): Expr => parseExpr(q, { enableExperimentalFunctions: true });

  it('applies precedence and associativity like Prometheus', () => {
    const shape = (e: Expr): string => {
      switch (e.kind) {
        case 'BinaryExpr':
          return `(${shape(e.lhs)} ${e.op} ${shape(e.rhs)})`;
        case 'UnaryExpr':
          return `(${e.op}${shape(e.expr)})`;
        case 'ParenExpr':
          return shape(e.expr);
        default:
          return exprToString(e);
      }
    };
    assert.equal(shape(parse('a + b * c ^ d ^ e')), '(a + (b * (c ^ (d ^ e))))');
    assert.equal(shape(parse('a - b - c')), '((a - b) - c)');
    assert.equal(shape(parse('a or b and c unless d')), '(a or ((b and c) unless d))');
    assert.equal(shape(parse('a == b + c atan2 d')), '(a == (b + (c atan2 d)))');
    assert.equal(shape(parse('-a ^ b')), '(-(a ^ b))');
    assert.equal(shape(parse('-a * b')), '((-a) * b)');
    assert.equal(shape(parse('a ^ -b ^ c')), '(a ^ (-(b ^ c)))');
    assert.equal(shape(parse('-1 ^ 2')), '(-(1 ^ 2))');
    assert.equal(shape(parse('a + b offset 5m')), '(a + b offset 5m)');
    assert.equal(shape(parse('a > b </ c')), '((a > b) </ c)');
    assert.equal(shape(parse('foo offset -1 ^ 2')), '(foo offset -1s ^ 2)');
  });

  it('folds unary minus into number literals', () => {
    assert.deepEqual(plain(normalize(parse('- -1'))), { kind: 'NumberLiteral', val: 1, posRange: { start: 0, end: 4 } });
    assert.equal(parse('-(1)').kind, 'UnaryExpr');
    assert.deepEqual(plain(normalize(parse('-5m'))), {
      kind: 'NumberLiteral',
      val: -300,
      posRange: { start: 0, end: 3 },
      duration: true,
    });
  });

  it('places the name matcher last, as Prometheus appends it', () => {
    const vs = parse('foo{a="b"}');
    assert.equal(vs.kind, 'VectorSelector');
    assert.deepEqual(
      vs.matchers.map((m) => m.toString()),
      ['a="b"', '__name__="foo"'],
    );
    const quoted = parse('{"my.metric", "a.b"="c"}');
    assert.ok(quoted.kind === 'VectorSelector' && quoted.name === '');
    assert.deepEqual(
      quoted.matchers.map((m) => [m.name, m.type, m.value]),
      [
        ['__name__', '=', 'my.metric'],
        ['a.b', '=', 'c'],
      ],
    );
  });

  it('accepts keywords as metric and label names where Prometheus does', () => {
    for (const q of ['sum', 'by', 'offset', 'and{a="b"}', 'start', 'anchored', 'fill']) {
      assert.equal(parse(q).kind, 'VectorSelector', q);
    }
    for (const q of ['step + range', 'fill + fill_left', 'offset offset 5m']) {
      assert.ok(['BinaryExpr', 'VectorSelector'].includes(parse(q).kind), q);
    }
    const agg = parse('sum by (on, bool, offset, "a.b", sum, a:b) (x)');
    assert.ok(agg.kind === 'AggregateExpr');
    assert.deepEqual(agg.grouping, ['on', 'bool', 'offset', 'a.b', 'sum', 'a:b']);
    assert.deepEqual(firstError('bool'), ['unexpected <bool>', 0, 4]);
  });

  it('converts durations to ms and records modifiers', () => {
    const m = parse('rate(foo[1m30s] offset -2h @ 1.5)');
    assert.ok(m.kind === 'Call');
    const ms = m.args[0]!;
    assert.ok(ms.kind === 'MatrixSelector');
    assert.equal(ms.range, 90000);
    assert.equal(ms.vectorSelector.originalOffset, -7200000);
    assert.equal(ms.vectorSelector.offset, -7200000);
    assert.equal(ms.vectorSelector.timestamp, 1500);
    assert.equal(ms.endPos, 32);
    const sq = parse('foo[5m:] @ end() offset 10');
    assert.ok(sq.kind === 'SubqueryExpr');
    assert.deepEqual([sq.range, sq.step, sq.startOrEnd, sq.originalOffset, sq.endPos], [300000, 0, 'end', 10000, 26]);
    const tiny = parse('foo[0.0015]');
    assert.ok(tiny.kind === 'MatrixSelector');
    assert.equal(tiny.range, 1); // 1.5ms, cut to whole ms like Prometheus' durationMilliseconds
  });

  it('gives expressions their source positions', () => {
    const q = 'sum by (a) (rate(x{y="z"}[5m] offset 1m)) / on(a) group_left count(x)';
    const e = parse(q);
    assert.ok(e.kind === 'BinaryExpr');
    assert.deepEqual(posRangeOf(e), { start: 0, end: q.length });
    assert.deepEqual(posRangeOf(e.lhs), { start: 0, end: 41 });
    assert.deepEqual(posRangeOf(e.rhs), { start: 61, end: q.length });
    // An aggregation whose modifier comes last ends with it.
    assert.deepEqual(posRangeOf(parse('(sum(x) by (a))')), { start: 0, end: 15 });
    assert.deepEqual(posRangeOf((parse('(sum(x))') as { expr: Expr }).expr), { start: 1, end: 7 });
  });

  it('type-checks like Prometheus', () => {
    const cases: [string, [string, number, number]][] = [
      ['rate(foo)', ['expected type range vector in call to function "rate", got instant vector', 5, 8]],
      ['sum(foo[5m])', ['expected type instant vector in aggregation expression, got range vector', 4, 11]],
      ['foo[5m] + 1', ['binary expression must contain only scalar and instant vector types', 0, 7]],
      ['"a" + 1', ['binary expression must contain only scalar and instant vector types', 0, 3]],
      ['1 < 2', ['comparisons between scalars must use BOOL modifier', 2, 2]],
      ['foo and 1', ['set operator "and" not allowed in binary scalar expression', 0, 9]],
      ['foo + on(a) group_left(a) bar', ['label "a" must not occur in ON and GROUP clause at once', 4, 24]],
      ['foo + ignoring(a) group_left(a) bar', ['', 0, 0]],
      ['round(x, 1, 2)', ['expected at most 2 argument(s) in call to "round", got 3', 0, 14]],
      ['label_join(x)', ['expected at least 3 argument(s) in call to "label_join", got 1', 0, 13]],
      ['label_join(x, "a", ",", "b", 1)', ['expected type string in call to function "label_join", got scalar', 29, 30]],
      ['-"a"', ['unary expression only allowed on expressions of type scalar or instant vector, got "string"', 0, 4]],
      ['1[5m:]', ['subquery is only allowed on instant vector, got scalar instead', 0, 6]],
      ['{a=~".*"}', ['vector selector must contain at least one non-empty matcher', 0, 9]],
      ['foo{__name__="bar"}', ['metric name must not be set twice: "foo" or "bar"', 0, 19]],
      ['count_values(1, x)', ['expected type string in aggregation parameter, got scalar', 13, 14]],
      ['foo @ 1 @ 2', ['@ <timestamp> may not be set multiple times', 0, 7]],
      ['foo offset 1m @ 1 offset 2m', ['offset may not be set multiple times', 0, 17]],
      ['sum(x) offset 1m', ['offset modifier must be preceded by an instant vector selector or range vector selector or a subquery', 0, 6]],
      ['foo{a=~"("}', ['error parsing regexp: missing closing ): `(`', 4, 10]],
    ];
    for (const [q, want] of cases) {
      const got = firstError(q);
      if (want[0] === '') assert.equal(got, undefined, q);
      else assert.deepEqual(got, want, q);
    }
  });

  it('rejects experimental syntax with the messages of a Prometheus without feature flags', () => {
    const cases: [string, [string, number, number]][] = [
      ['foo[5m+1m]', ['experimental duration expression is not enabled', 4, 6]],
      ['foo[1m + 2m * 3]', ['experimental duration expression is not enabled', 9, 11]],
      ['foo[step()]', ['experimental duration expression is not enabled', 4, 10]],
      ['foo offset (5m)', ['experimental duration expression is not enabled', 12, 14]],
      ['foo[max_of(1m, 2m)]', ['experimental duration expression is not enabled', 4, 18]],
      ['foo[1m] anchored', ['anchored modifier is experimental and not enabled', 0, 7]],
      ['foo smoothed', ['smoothed modifier is experimental and not enabled', 0, 3]],
      ['a + fill(1) b', ['binop fill modifiers are experimental and not enabled', 0, 13]],
      ['limitk(1, x)', ['limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions', 0, 12]],
      ['sort_by_label(x, "a")', ['function "sort_by_label" is not enabled', 0, 13]],
      ['start()', ['function "start" is not enabled', 0, 5]],
    ];
    for (const [q, want] of cases) assert.deepEqual(firstError(q), want, q);
    // With experimental functions on, those parse.
    assert.equal(firstError('limitk(1, x)', true), undefined);
    assert.equal(firstError('sort_by_label(x, "a", "b")', true), undefined);
    // Prometheus accepts a signed parenthesised number as offset without the feature.
    const vs = parseExpr('foo offset -(5m)');
    assert.ok(vs.kind === 'VectorSelector' && vs.originalOffset === -300000);
  });
});

describe('parseMetricSelector', () => {
  it('returns the matchers, name last', () => {
    assert.deepEqual(
      parseMetricSelector('foo{a="b", c=~"d.*"}').map((m) => m.toString()),
      ['a="b"', 'c=~"d.*"', '__name__="foo"'],
    );
    assert.deepEqual(parseMetricSelector('{}'), []);
    assert.deepEqual(
      parseMetricSelector('sum').map((m) => m.toString()),
      ['__name__="sum"'],
    );
  });
  it('fails like Prometheus', () => {
    assert.throws(() => parseMetricSelector('foo bar'), { message: '1:5: parse error: unexpected identifier "bar"' });
    assert.throws(() => parseMetricSelector('foo[5m]'), { message: '1:4: parse error: unexpected "["' });
    assert.throws(() => parseMetricSelector('rate(x)'), { message: '1:5: parse error: unexpected "("' });
    assert.throws(() => parseMetricSelector('{a=~"("}'), ParseErrors);
  });
});
