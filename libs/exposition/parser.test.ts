import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, ExpositionParser, NORMAL_NAN, ParseError } from './index.ts';
import { float64Bits, isStaleNaN, sameFloatBits } from '../model/index.ts';
import { parseAll, parseErrorOf } from './testutil.ts';
import type { ExpositionFormat } from './index.ts';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1'); // lets tests write raw \xff bytes

describe('OpenMetrics: valid documents', () => {
  it('parses metadata, series, timestamps, exemplars, escapes and UTF-8 names', () => {
    const doc = [
      '# HELP go_gc_duration_seconds A summary of the GC invocation durations.', // 1
      '# TYPE go_gc_duration_seconds summary', // 2
      '# UNIT go_gc_duration_seconds seconds', // 3
      'go_gc_duration_seconds{quantile="0"} 4.9351e-05', // 4
      'go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05', // 5
      '# HELP nohelp1 ', // 6
      '# HELP help2 escape \\ \\n \\\\ \\" \\x chars', // 7
      '# UNIT nounit ', // 8
      'go_gc_duration_seconds_count 99', // 9
      'some:aggregate:rate5m{a_b="c"} 1', // 10
      '# TYPE go_goroutines gauge', // 11
      'go_goroutines 33 123.123', // 12
      '# TYPE hhh histogram', // 13
      'hhh_bucket{le="+Inf"} 1 # {id="histogram-bucket-test"} 4', // 14
      'hhh_bucket{le="10"} 1 # {id="x",xx="yy"} 4 123.123', // 15
      '# TYPE ss stateset', // 16
      'ss{ss="foo"} 1', // 17
      '_metric_starting_with_underscore 1', // 18
      'testmetric{label="\\"bar\\"",nl="a\\nb",bs="c\\\\d",other="\\t"} 1', // 19
      'foo_total{a="b",} 17.0 1520879607.789 # {id="counter-test"} 5', // 20
      'foo_created{a="b"} 1520872607.123', // 21
      'null_byte_metric{a="abc\0"} 1', // 22
      '# HELP metric foo\0bar', // 23
      '{"my.metric","a.b"="c",le="1"} 1', // 24
      '{"Heizölrückstoß 10€ \\"x\\" {y\\nz}","strange©™\\n\'q\'"="6"} 10.0', // 25
      'quotedexemplar_count 1 # {"id.thing"="histogram-count-test",other="hello"} 4', // 26
      'empty{a="",b="x"} 0', // 27
      'neg -1.5e3 -1.5', // 28
      '# EOF', // 29
    ].join('\n');
    assert.deepEqual(parseAll(doc, 'openmetrics'), [
      { kind: 'help', line: 1, name: 'go_gc_duration_seconds', help: 'A summary of the GC invocation durations.' },
      { kind: 'type', line: 2, name: 'go_gc_duration_seconds', type: 'summary' },
      { kind: 'unit', line: 3, name: 'go_gc_duration_seconds', unit: 'seconds' },
      // Prometheus 3 normalises quantile/le values of summaries/histograms to OpenMetrics floats.
      { kind: 'series', line: 4, labels: { __name__: 'go_gc_duration_seconds', quantile: '0.0' }, value: 4.9351e-5 },
      { kind: 'series', line: 5, labels: { __name__: 'go_gc_duration_seconds', quantile: '0.5', a: 'b' }, value: 8.3835e-5 },
      { kind: 'help', line: 6, name: 'nohelp1', help: '' },
      { kind: 'help', line: 7, name: 'help2', help: 'escape \\ \n \\ " \\x chars' },
      { kind: 'unit', line: 8, name: 'nounit', unit: '' },
      { kind: 'series', line: 9, labels: { __name__: 'go_gc_duration_seconds_count' }, value: 99 },
      { kind: 'series', line: 10, labels: { __name__: 'some:aggregate:rate5m', a_b: 'c' }, value: 1 },
      { kind: 'type', line: 11, name: 'go_goroutines', type: 'gauge' },
      { kind: 'series', line: 12, labels: { __name__: 'go_goroutines' }, value: 33, t: 123123 },
      { kind: 'type', line: 13, name: 'hhh', type: 'histogram' },
      { kind: 'series', line: 14, labels: { __name__: 'hhh_bucket', le: '+Inf' }, value: 1, ex: { labels: { id: 'histogram-bucket-test' }, value: 4 } },
      { kind: 'series', line: 15, labels: { __name__: 'hhh_bucket', le: '10.0' }, value: 1, ex: { labels: { id: 'x', xx: 'yy' }, value: 4, t: 123123 } },
      { kind: 'type', line: 16, name: 'ss', type: 'stateset' },
      { kind: 'series', line: 17, labels: { __name__: 'ss', ss: 'foo' }, value: 1 },
      { kind: 'series', line: 18, labels: { __name__: '_metric_starting_with_underscore' }, value: 1 },
      { kind: 'series', line: 19, labels: { __name__: 'testmetric', label: '"bar"', nl: 'a\nb', bs: 'c\\d', other: '\\t' }, value: 1 },
      { kind: 'series', line: 20, labels: { __name__: 'foo_total', a: 'b' }, value: 17, t: 1520879607789, ex: { labels: { id: 'counter-test' }, value: 5 } },
      { kind: 'series', line: 21, labels: { __name__: 'foo_created', a: 'b' }, value: 1520872607.123 },
      { kind: 'series', line: 22, labels: { __name__: 'null_byte_metric', a: 'abc\0' }, value: 1 },
      { kind: 'help', line: 23, name: 'metric', help: 'foo\0bar' },
      { kind: 'series', line: 24, labels: { __name__: 'my.metric', 'a.b': 'c', le: '1' }, value: 1 },
      { kind: 'series', line: 25, labels: { __name__: 'Heizölrückstoß 10€ "x" {y\nz}', "strange©™\n'q'": '6' }, value: 10 },
      { kind: 'series', line: 26, labels: { __name__: 'quotedexemplar_count' }, value: 1, ex: { labels: { 'id.thing': 'histogram-count-test', other: 'hello' }, value: 4 } },
      { kind: 'series', line: 27, labels: { __name__: 'empty', b: 'x' }, value: 0 },
      { kind: 'series', line: 28, labels: { __name__: 'neg' }, value: -1500, t: -1500 },
      { kind: 'eof', line: 29 },
    ]);
  });

  it('accepts # EOF with or without a final line feed, and nothing else', () => {
    assert.deepEqual(parseAll('# EOF', 'openmetrics'), [{ kind: 'eof', line: 1 }]);
    assert.deepEqual(parseAll('# EOF\n', 'openmetrics'), [{ kind: 'eof', line: 1 }]);
    const p = new ExpositionParser('a 1\n# EOF\n', 'openmetrics');
    assert.equal(p.next(), EntryType.Series);
    assert.equal(p.next(), EntryType.EOF);
    assert.equal(p.next(), undefined);
    assert.equal(p.next(), undefined);
  });

  it('returns labels sorted in UTF-8 byte order with __name__ placed by sort', () => {
    const p = new ExpositionParser('m{z="1",A="2","é"="3",_a="4"} 1\n# EOF\n', 'openmetrics');
    p.next();
    assert.deepEqual(p.labels().names(), ['A', '__name__', '_a', 'z', 'é']);
  });

  it('gives seriesKey as written', () => {
    const p = new ExpositionParser('m{a="1",b="2"} 1 2\n{"x.y"} 3\n# EOF\n', 'openmetrics');
    p.next();
    assert.equal(p.seriesKey(), 'm{a="1",b="2"}');
    p.next();
    assert.equal(p.seriesKey(), '{"x.y"}');
  });

  it('counts lines through quoted names that span lines', () => {
    const err = parseErrorOf('{"multi\nline"} 1\nok 2\nbad\n# EOF\n', 'openmetrics');
    assert.equal(err?.line, 4);
    const entries = parseAll('{"multi\nline"} 1\nok 2\n# EOF\n', 'openmetrics');
    assert.deepEqual(
      entries.map((e) => e.line),
      [1, 3, 4],
    );
  });

  it('parses the same from a string and from bytes, including a subarray view', () => {
    const doc = 'a{b="ü"} 1 2\n# EOF\n';
    const buf = Buffer.from(`xx${doc}yy`);
    const view = new Uint8Array(buf.buffer, buf.byteOffset + 2, buf.length - 4);
    assert.deepEqual(parseAll(view, 'openmetrics'), parseAll(doc, 'openmetrics'));
  });
});

// [input, line, reason substring]
const omErrors: [string | Uint8Array, number, string][] = [
  ['', 1, 'data does not end with # EOF'],
  ['a 1\nb 2\n', 3, 'data does not end with # EOF'],
  ['a 1\nb 2', 2, 'data does not end with # EOF'],
  ['a 1 # {aa="bb"} 4', 1, 'data does not end with # EOF'],
  ['a 1\n\n# EOF\n', 2, 'expected a valid start token, got "\\n"'],
  ['a 1\n a 1\n# EOF\n', 2, 'expected a valid start token'],
  ['9\n# EOF\n', 1, 'expected a valid start token, got "9"'],
  ['a 1\n# TYPE u untyped\n# EOF\n', 2, 'invalid metric type "untyped"'],
  ['# TYPE c counter \n# EOF\n', 1, 'invalid metric type "counter "'],
  ['# TYPE c  counter\n# EOF\n', 1, 'invalid metric type " counter"'],
  ['#  TYPE c counter\n# EOF\n', 1, 'expected a valid start token'],
  ['#\tTYPE c counter\n# EOF\n', 1, 'expected a valid start token'],
  ['# random comment\n# EOF\n', 1, 'expected a valid start token'],
  ['# TYPE\n# EOF\n', 1, 'expected a valid start token'],
  ['# TYPE m\n# EOF\n', 1, 'expected text in TYPE'],
  ['# TYPE m counter', 1, 'expected text in TYPE'],
  ['# TYPE \n# EOF\n', 1, 'expected metric name after TYPE, got "\\n"'],
  ['# HELP \n# EOF\n', 1, 'expected metric name after HELP'],
  ['# HELP m\n# EOF\n', 1, 'expected text in HELP'],
  [bytes('# HELP m \xff\n# EOF\n'), 1, 'help text is not valid UTF-8'],
  ['a 1\n# UNIT metric suffix\n# EOF\n', 2, 'unit "suffix" not a suffix of metric "metric"'],
  ['# UNIT metricsuffix suffix\n# EOF\n', 1, 'unit "suffix" not a suffix of metric "metricsuffix"'],
  ['# UNIT m suffix\n# EOF\n', 1, 'not a suffix'],
  ['# UNIT \n# EOF\n', 1, 'expected metric name after UNIT'],
  ['a\t1\n# EOF\n', 1, 'expected value after metric, got "\\t"'],
  ['a\n# EOF\n', 1, 'expected value after metric'],
  ['a 1\t2\n# EOF\n', 1, 'parsing value "1\\t2": invalid syntax'],
  ['a true\n# EOF\n', 1, 'parsing value "true": invalid syntax'],
  ['a 1 2 \n# EOF\n', 1, 'expected next entry after timestamp'],
  ['a 1 2 #\n# EOF\n', 1, 'expected next entry after timestamp'],
  ['a 1 1 1\n# EOF\n', 1, 'expected next entry after timestamp'],
  ['a 1 2', 1, 'expected next entry after timestamp'],
  ['a 1 \n# EOF\n', 1, 'expected timestamp, exemplar or line break'],
  ['a 1 1z\n# EOF\n', 1, 'parsing timestamp "1z": invalid syntax'],
  ['a 1 #{aa="bb"} 4\n# EOF\n', 1, 'parsing timestamp'],
  ['a 1 # x\n# EOF\n', 1, 'parsing timestamp "#"'],
  ['a 1 NaN\n# EOF\n', 1, 'invalid timestamp "NaN"'],
  ['a 1 -Inf\n# EOF\n', 1, 'invalid timestamp "-Inf"'],
  ['a 1 Inf\n# EOF\n', 1, 'invalid timestamp "Inf"'],
  ['a 1 1e300\n# EOF\n', 1, 'timestamp "1e300" out of range'],
  ['a 1e400\n# EOF\n', 1, 'parsing value "1e400": value out of range'],
  ['foo 1_2\n\n# EOF\n', 1, 'unsupported character in float'],
  ['foo 0x1p-3\n# EOF\n', 1, 'unsupported character in float'],
  ['foo 0x1P-3\n# EOF\n', 1, 'unsupported character in float'],
  ['foo 0 1_2\n# EOF\n', 1, 'unsupported character in float'],
  ['foo 0x10\n# EOF\n', 1, 'invalid syntax'],
  ['foo +nan\n# EOF\n', 1, 'invalid syntax'],
  [' # EOF\n', 1, 'expected a valid start token, got " "'],
  ['# EOF\na 1', 2, 'unexpected data after # EOF'],
  ['# EOF\n\n', 2, 'unexpected data after # EOF'],
  ['# EOFa 1', 1, 'unexpected data after # EOF'],
  ['# EOF \n', 1, 'unexpected data after # EOF'],
  ["a{b='c'} 1\n# EOF\n", 1, 'expected label value, got "\'c\'"'],
  ['a{,b="c"} 1\n# EOF\n', 1, 'expected label name, got ","'],
  ['a{b="c"d="e"} 1\n# EOF\n', 1, 'expected comma or brace close, got "d"'],
  ['a{b="c",,d="e"} 1\n# EOF\n', 1, 'expected label name'],
  ['a{b="c" , d="e"} 1\n# EOF\n', 1, 'expected comma or brace close'],
  ['a{b=\n# EOF\n', 1, 'expected label value'],
  ['ok 1\na{b="x\ny"} 1\n# EOF\n', 2, 'expected label value'],
  [bytes('a{\xff="foo"} 1\n# EOF\n'), 1, 'expected label name'],
  [bytes('a{b="\xff"} 1\n# EOF\n'), 1, 'invalid UTF-8 label value'],
  [bytes('{"\xff"} 1\n# EOF\n'), 1, 'invalid UTF-8 metric name'],
  ['{"a","b = "c"}\n# EOF\n', 1, 'expected equal, got "c"'],
  ['{"a",b\\nc="d"} 1\n# EOF\n', 1, 'expected equal, got "\\\\nc"'],
  ['something_weird{problem="\n# EOF\n', 1, 'expected label value'],
  ['empty_label_name{=""} 0\n# EOF\n', 1, 'expected label name, got "="'],
  ['{A}0\n# EOF\n', 1, 'expected equal, got "}"'],
  ['{b="c",} 1\n# EOF\n', 1, 'metric name not set'],
  ['foo{"bar"} 1\n# EOF\n', 1, 'metric name already set'],
  ['{"a","b"} 1\n# EOF\n', 1, 'metric name already set'],
  ['a{b="1"}{c="2"} 1\n# EOF\n', 1, 'expected value after metric'],
  ['a {b="1"} 1\n# EOF\n', 1, 'parsing value "{b'],
  ['a 1 # {aa=bb}\n# EOF\n', 1, 'expected label value'],
  ['a 1 # {aa="bb"}\n# EOF\n', 1, 'expected value after exemplar labels'],
  ['a 1 # {aa="bb"}', 1, 'expected value after exemplar labels'],
  ['a 1 # {bb}\n# EOF\n', 1, 'expected equal'],
  ['a 1 # {aa="bb",,cc="dd"} 1\n# EOF\n', 1, 'expected label name'],
  ['a 1 # {"aa"} 1\n# EOF\n', 1, 'expected label name'],
  ['a 1 # {aa="b\0"} 1\n# EOF\n', 1, 'expected label value'],
  ['a 1 # {aa="bb"} 1_2\n# EOF\n', 1, 'unsupported character in float'],
  ['a 1 # {aa="bb"} true\n# EOF\n', 1, 'parsing exemplar value "true"'],
  ['a 1 # {aa="bb"} 4 NaN\n# EOF\n', 1, 'invalid exemplar timestamp "NaN"'],
  ['a 1 # {aa="bb"} 4 1 2\n# EOF\n', 1, 'expected next entry after exemplar timestamp'],
  ['a 1 # {aa="bb"} 4 1', 1, 'expected next entry after exemplar timestamp'],
  ['a 1 # {aa="bb"} 4 \n# EOF\n', 1, 'expected timestamp or comment'],
  ['a 1 # {aa="bb"} 4\n# EOF\nb 1\n', 3, 'unexpected data after # EOF'],
  ['a{b="1",b="2"} 1\n# EOF\n', 1, 'duplicate label name "b"'],
  ['ok 1\na{__name__="b"} 1\n# EOF\n', 2, 'duplicate label name "__name__"'],
  ['a 1 # {x="1",x="2"} 1\n# EOF\n', 1, 'duplicate label name "x"'],
  ['a{b="\0"} 1\n# EOF\nx', 3, 'unexpected data after # EOF'],
  ['a\0{b="ddd"} 1\n# EOF\n', 1, 'expected value after metric'],
  ['a{b\0="hiih"} 1\n# EOF\n', 1, 'expected equal'],
  ['a{b=\0"ssss"} 1\n# EOF\n', 1, 'expected label value'],
  ['#', 1, 'expected a valid start token'],
  ['# H', 1, 'expected a valid start token'],
];

describe('OpenMetrics: invalid documents', () => {
  for (const [input, line, reason] of omErrors) {
    it(`rejects ${JSON.stringify(typeof input === 'string' ? input : Buffer.from(input).toString('latin1'))}`, () => {
      const err = parseErrorOf(input, 'openmetrics');
      assert.ok(err instanceof ParseError, 'expected a ParseError');
      assert.equal(err.line, line, err.message);
      assert.ok(err.reason.includes(reason), `"${err.reason}" should contain "${reason}"`);
      assert.equal(err.message, `line ${line}: ${err.reason}`);
    });
  }
});

describe('Prometheus text format: valid documents', () => {
  it('parses metadata, comments, blanks, free spacing and multi-line label values', () => {
    const doc = [
      '# HELP go_gc_duration_seconds A summary of the GC invocation durations.', // 1
      '# \tTYPE go_gc_duration_seconds summary', // 2
      'go_gc_duration_seconds{quantile="0"} 4.9351e-05', // 3
      'go_gc_duration_seconds{quantile="0.25",} 7.424100000000001e-05', // 4
      'go_gc_duration_seconds{ quantile="0.9", a="b"} 8.3835e-05', // 5
      '# Hrandom comment starting with prefix of HELP', // 6
      '#', // 7
      '# HELP nohelp1', // 8
      '# HELP nohelp2 ', // 9
      'go_gc_duration_seconds { quantile = "2.0" a = "b" } 8.3835e-05', // 10
      'some:aggregate:rate5m{a_b="c"}\t1', // 11
      '# TYPE go_goroutines gauge', // 12
      'go_goroutines 33  \t123123', // 13
      '   ', // 14
      '# HELP esc a \\\\ b \\n c \\" d', // 15
      'testmetric{label="\\"bar\\""} 1', // 16
      '# TYPE u untyped', // 17
      'u_total{le="10"} 1', // 18
      'null_byte_metric{a="abc\0"} 1', // 19
      '{"my.metric", "a.b" = "c"} 2', // 20
      'multi{v="a', // 21
      'b"} 3', // 22
      '  after 1 ', // 23
      '# HELP foo-bar baz', // 24
      '# EOF', // 25
      'last +Inf', // 26
    ].join('\n');
    assert.deepEqual(parseAll(doc, 'prometheus'), [
      { kind: 'help', line: 1, name: 'go_gc_duration_seconds', help: 'A summary of the GC invocation durations.' },
      { kind: 'type', line: 2, name: 'go_gc_duration_seconds', type: 'summary' },
      { kind: 'series', line: 3, labels: { __name__: 'go_gc_duration_seconds', quantile: '0.0' }, value: 4.9351e-5 },
      { kind: 'series', line: 4, labels: { __name__: 'go_gc_duration_seconds', quantile: '0.25' }, value: 7.424100000000001e-5 },
      { kind: 'series', line: 5, labels: { __name__: 'go_gc_duration_seconds', quantile: '0.9', a: 'b' }, value: 8.3835e-5 },
      { kind: 'comment', line: 6, text: '# Hrandom comment starting with prefix of HELP' },
      { kind: 'comment', line: 7, text: '#' },
      { kind: 'help', line: 8, name: 'nohelp1', help: '' },
      { kind: 'help', line: 9, name: 'nohelp2', help: '' },
      { kind: 'series', line: 10, labels: { __name__: 'go_gc_duration_seconds', quantile: '2.0', a: 'b' }, value: 8.3835e-5 },
      { kind: 'series', line: 11, labels: { __name__: 'some:aggregate:rate5m', a_b: 'c' }, value: 1 },
      { kind: 'type', line: 12, name: 'go_goroutines', type: 'gauge' },
      { kind: 'series', line: 13, labels: { __name__: 'go_goroutines' }, value: 33, t: 123123 },
      // The text format unescapes only \\ and \n in HELP.
      { kind: 'help', line: 15, name: 'esc', help: 'a \\ b \n c \\" d' },
      { kind: 'series', line: 16, labels: { __name__: 'testmetric', label: '"bar"' }, value: 1 },
      { kind: 'type', line: 17, name: 'u', type: 'unknown' },
      { kind: 'series', line: 18, labels: { __name__: 'u_total', le: '10' }, value: 1 },
      { kind: 'series', line: 19, labels: { __name__: 'null_byte_metric', a: 'abc\0' }, value: 1 },
      { kind: 'series', line: 20, labels: { __name__: 'my.metric', 'a.b': 'c' }, value: 2 },
      { kind: 'series', line: 21, labels: { __name__: 'multi', v: 'a\nb' }, value: 3 },
      { kind: 'series', line: 23, labels: { __name__: 'after' }, value: 1 },
      // The lexer drops the first byte after the name, whatever it is.
      { kind: 'help', line: 24, name: 'foo', help: 'bar baz' },
      { kind: 'comment', line: 25, text: '# EOF' },
      { kind: 'series', line: 26, labels: { __name__: 'last' }, value: Infinity },
    ]);
  });

  it('accepts an empty document and one of blank lines', () => {
    assert.deepEqual(parseAll('', 'prometheus'), []);
    assert.deepEqual(parseAll('\n\n  \t\n', 'prometheus'), []);
  });

  it('reads a NUL at the start of a line as the end of input, as the Prometheus lexer does', () => {
    assert.deepEqual(parseAll('a 1\n\0garbage {{{\n', 'prometheus'), [{ kind: 'series', line: 1, labels: { __name__: 'a' }, value: 1 }]);
  });

  it('has no exemplars, units or EOF entries', () => {
    const p = new ExpositionParser('a 1 5\n', 'prometheus');
    assert.equal(p.next(), EntryType.Series);
    assert.equal(p.exemplar(), undefined);
    assert.equal(p.timestamp(), 5);
    assert.equal(p.next(), undefined);
  });
});

const promErrors: [string | Uint8Array, number, string][] = [
  ['a', 1, 'expected value after metric, got "\\n"'],
  ['a 1\nb\n', 2, 'expected value after metric'],
  ["a{b='c'} 1\n", 1, 'expected label value'],
  ['a{b=\n', 1, 'expected label value'],
  [bytes('a{\xff="foo"} 1\n'), 1, 'expected label name'],
  [bytes('a{b="\xff"} 1\n'), 1, 'invalid UTF-8 label value'],
  ['{"a", "b = "c"}', 1, 'expected equal'],
  ['{"a",b\\nc="d"} 1', 1, 'expected equal'],
  ['a true\n', 1, 'parsing value "true": invalid syntax'],
  ['something_weird{problem="', 1, 'expected label value'],
  ['empty_label_name{=""} 0', 1, 'expected label name'],
  ['{A}0', 1, 'expected equal'],
  ['foo 1_2\n', 1, 'unsupported character in float'],
  ['foo 0x1p-3\n', 1, 'unsupported character in float'],
  ['foo 0 1_2\n', 1, 'expected next entry after timestamp, got "_2"'],
  ['{a="ok"} 1', 1, 'metric name not set'],
  ['# TYPE #\n', 1, 'expected metric name after TYPE, got "#"'],
  ['# HELP #\n', 1, 'expected metric name after HELP'],
  ['# HELP \n', 1, 'expected metric name after HELP'],
  ['a 1\n# TYPE foo\n', 2, 'invalid metric type ""'],
  ['# TYPE foo gaugehistogram\n', 1, 'invalid metric type "gaugehistogram"'],
  ['# TYPE foo unknown\n', 1, 'invalid metric type "unknown"'],
  ['a 1 -2\n', 1, 'expected timestamp or new record, got "-2"'],
  ['a 1 1.5\n', 1, 'expected next entry after timestamp, got ".5"'],
  ['a 1 2 3\n', 1, 'expected next entry after timestamp'],
  ['a 1 # {x="y"} 1\n', 1, 'expected timestamp or new record'],
  ['a 1 99999999999999999999\n', 1, 'value out of range'],
  ['a 1 9223372036854775808\n', 1, 'value out of range'],
  ['a 1 9223372036854775807\n', 1, 'out of range'],
  ['a 1\n\n  b{x="1",,y="2"} 1\n', 3, 'expected label name, got ","'],
  ['a{b="c"}{d="e"} 1', 1, 'expected value after metric'],
  ['a 1\r\n', 1, 'parsing value "1\\r"'],
  ['a{b="1",b="2"} 1', 1, 'duplicate label name "b"'],
  [bytes('# HELP m \xff\n'), 1, 'help text is not valid UTF-8'],
  ['a{b="x\ny"} 1\nc{ 1\n', 3, 'expected label name'],
  ['a{b=\0"ssss"} 1\n', 1, 'expected label value'],
  ['a{b="\0', 1, 'expected label value'],
  ['a{b\0="hiih"}\t1', 1, 'expected equal'],
  ['a\0{b="ddd"} 1', 1, 'expected value after metric'],
  ['a 0 1\0', 1, 'expected next entry after timestamp'],
  ['9 1\n', 1, 'expected a valid start token'],
];

describe('Prometheus text format: invalid documents', () => {
  for (const [input, line, reason] of promErrors) {
    it(`rejects ${JSON.stringify(typeof input === 'string' ? input : Buffer.from(input).toString('latin1'))}`, () => {
      const err = parseErrorOf(input, 'prometheus');
      assert.ok(err instanceof ParseError, 'expected a ParseError');
      assert.equal(err.line, line, err.message);
      assert.ok(err.reason.includes(reason), `"${err.reason}" should contain "${reason}"`);
    });
  }
});

describe('values', () => {
  const cases: [string, number][] = [
    ['NaN', NaN],
    ['nan', NaN],
    ['NAN', NaN],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['Inf', Infinity],
    ['inf', Infinity],
    ['+infinity', Infinity],
    ['-INFINITY', -Infinity],
    ['1e3', 1000],
    ['1E3', 1000],
    ['-0', -0],
    ['.5', 0.5],
    ['5.', 5],
    ['007', 7],
    ['1e-400', 0],
    ['4.9351e-05', 4.9351e-5],
    ['7.424100000000001e-05', 7.424100000000001e-5],
    ['123456789012345678901234567890', 1.2345678901234568e29],
    ['1.7976931348623157e308', Number.MAX_VALUE],
    ['5e-324', Number.MIN_VALUE],
    ['0.1', 0.1],
  ];
  for (const format of ['openmetrics', 'prometheus'] as ExpositionFormat[]) {
    for (const [text, want] of cases) {
      it(`${format}: ${text}`, () => {
        const p = new ExpositionParser(`m ${text}\n# EOF\n`, format);
        assert.equal(p.next(), EntryType.Series);
        assert.ok(Object.is(p.value(), want), `got ${p.value()}`);
      });
    }
  }
});

describe('timestamps', () => {
  it('converts OpenMetrics float seconds as Prometheus does: int64(ts * 1000)', () => {
    const cases: [string, number][] = [
      ['1520879607.789', 1520879607789],
      ['1520879607', 1520879607000],
      ['1.5e9', 1500000000000],
      ['0.0001', 0],
      ['-0.0001', 0],
      ['-1.5', -1500],
      // The float product is 2170349933554.9998 and truncates, exactly as in promtool.
      ['2170349933.555', 2170349933554],
      ['1.005', 1004],
    ];
    for (const [text, want] of cases) {
      const p = new ExpositionParser(`m 1 ${text}\n# EOF\n`, 'openmetrics');
      p.next();
      assert.ok(Object.is(p.timestamp(), want), `${text}: got ${p.timestamp()}`);
    }
  });

  it('reads plain decimals digit by digit with exactTimestamps', () => {
    const cases: [string, number][] = [
      ['2170349933.555', 2170349933555],
      ['1.005', 1005],
      ['1520879607.7899', 1520879607789],
      ['-1.0019', -1001],
      ['+3', 3000],
      ['1.5e3', 1500000],
    ];
    for (const [text, want] of cases) {
      const p = new ExpositionParser(`m 1 ${text} # {a="b"} 1 ${text}\n# EOF\n`, 'openmetrics', { exactTimestamps: true });
      p.next();
      assert.equal(p.timestamp(), want, text);
      assert.equal(p.exemplar()?.timestamp, want, text);
    }
  });

  it('reads Prometheus-format timestamps as integer milliseconds', () => {
    const p = new ExpositionParser('m 1 1520879607789\nn 2 0\n', 'prometheus');
    p.next();
    assert.equal(p.timestamp(), 1520879607789);
    p.next();
    assert.equal(p.timestamp(), 0);
  });
});

describe('ParseError', () => {
  it('is an Error with line, reason and code', () => {
    const err = parseErrorOf('ok 1\nfoo abc\n# EOF\n', 'openmetrics');
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ParseError');
    assert.equal(err.code, 'exposition_parse_error');
    assert.equal(err.line, 2);
    assert.equal(err.message, 'line 2: parsing value "abc": invalid syntax');
  });

  it('leaves the parser finished after an error', () => {
    const p = new ExpositionParser('bad\n# EOF\n', 'openmetrics');
    assert.throws(() => p.next(), ParseError);
    assert.equal(p.next(), undefined);
  });

  it('rejects an unknown format name', () => {
    assert.throws(() => new ExpositionParser('', 'json' as ExpositionFormat), /unknown exposition format/);
  });
});

describe('NaN', () => {
  it('reads every NaN as Prometheus value.NormalNaN, never the stale marker', () => {
    for (const format of ['openmetrics', 'prometheus'] as const) {
      const p = new ExpositionParser('a NaN 1 # {x="y"} nan\n# EOF\n'.replace(' # {x="y"} nan', format === 'openmetrics' ? ' # {x="y"} nan' : ''), format);
      p.next();
      assert.ok(sameFloatBits(p.value(), NORMAL_NAN));
      assert.ok(!isStaleNaN(p.value()));
      if (format === 'openmetrics') assert.ok(sameFloatBits(p.exemplar()!.value, NORMAL_NAN));
    }
    assert.deepEqual(float64Bits(NORMAL_NAN), [0x7ff80000, 1]);
  });
});
