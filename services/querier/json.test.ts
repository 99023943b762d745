import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Labels } from '../../libs/model/index.ts';
import {
  errorJSON, formatFloatE, formatFloatF, formatSampleValue, formatTimestamp, histogramJSON, jsonPlainString, jsonString, jsonValue,
  labelsListJSON, successJSON, valueJSON,
} from './json.ts';
import type { FloatHistogram } from './promql.ts';

const foo = Labels.fromStrings('__name__', 'foo');
const bar = Labels.fromStrings('__name__', 'bar');

describe('float formatting', () => {
  it('matches Go for sample values (jsonutil.MarshalFloat)', () => {
    const cases: Array<[number, string]> = [
      [0, '0'], [-0, '-0'], [1, '1'], [20, '20'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
      [1.2345678e6, '1234567.8'], [1.2345678e-6, '0.0000012345678'], [1.2345678e-67, '1.2345678e-67'],
      [1e-7, '1e-07'], [1e21, '1e+21'], [-1e21, '-1e+21'], [1e20, '100000000000000000000'], [1e-6, '0.000001'],
      [0.1, '0.1'], [1 / 3, '0.3333333333333333'], [Number.MAX_VALUE, '1.7976931348623157e+308'], [5e-324, '5e-324'],
      [123456789012345680000, '123456789012345680000'],
    ];
    for (const [f, s] of cases) assert.equal(formatSampleValue(f), s, String(f));
  });

  it('matches strconv.FormatFloat(f, \'f\', -1, 64) for scalars', () => {
    assert.equal(formatFloatF(1e21), '1000000000000000000000');
    assert.equal(formatFloatF(1.5e-7), '0.00000015');
    assert.equal(formatFloatF(-2.5), '-2.5');
    assert.equal(formatFloatF(1e300).length, 301);
  });

  it('matches strconv.FormatFloat(f, \'e\', -1, 64)', () => {
    assert.equal(formatFloatE(1.5e-7), '1.5e-07');
    assert.equal(formatFloatE(-1e100), '-1e+100');
    assert.equal(formatFloatE(3), '3e+00');
  });

  it('round-trips every finite float', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (f) => {
        assert.ok(Object.is(Number(formatSampleValue(f)), f));
        assert.ok(Object.is(Number(formatFloatF(f)), f));
        assert.doesNotMatch(formatFloatF(f), /e/);
      }),
    );
  });
});

describe('timestamps', () => {
  it('are seconds with three fraction digits unless whole (jsonutil.MarshalTimestamp)', () => {
    const cases: Array<[number, string]> = [
      [0, '0'], [1, '0.001'], [10, '0.010'], [100, '0.100'], [1000, '1'], [1001, '1.001'], [1010, '1.010'], [1100, '1.100'],
      [1500, '1.500'], [1234567812345655, '1234567812345.655'], [-1, '-0.001'], [-1500, '-1.500'], [1435781451781, '1435781451.781'],
    ];
    for (const [t, s] of cases) assert.equal(formatTimestamp(t), s, String(t));
  });
});

describe('strings', () => {
  it('escape like Go: HTML-safe for ordinary strings, plain for labels', () => {
    assert.equal(jsonString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
    assert.equal(jsonPlainString('a<b>&c'), '"a<b>&c"');
    assert.equal(jsonString('q"\\\n\r\t\x01\x1f'), '"q\\"\\\\\\n\\r\\t\\u0001\\u001f"');
    assert.equal(jsonString('\b\f'), '"\\u0008\\u000c"');
    assert.equal(jsonString('\u2028\u2029'), '"\\u2028\\u2029"');
    assert.equal(jsonPlainString('\u2028'), '"\u2028"');
    assert.equal(jsonString('é😀'), '"é😀"');
    assert.equal(jsonString('\ud800x'), '"\\ufffdx"');
  });

  it('always parse back to the same string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        assert.equal(JSON.parse(jsonString(s)), s);
        assert.equal(JSON.parse(jsonPlainString(s)), s);
      }),
    );
  });

  it('jsonValue keeps key order and escapes keys and values', () => {
    assert.equal(jsonValue({ b: 1, a: [true, null, 'x<'], c: undefined }), '{"b":1,"a":[true,null,"x\\u003c"]}');
  });
});

describe('query results', () => {
  it('encode vectors and matrices as Prometheus does', () => {
    assert.equal(
      valueJSON({ type: 'vector', value: [{ metric: foo, t: 1000, f: 1 }, { metric: bar, t: 2000, f: 2 }] }),
      '[{"metric":{"__name__":"foo"},"value":[1,"1"]},{"metric":{"__name__":"bar"},"value":[2,"2"]}]',
    );
    assert.equal(
      valueJSON({ type: 'matrix', value: [{ metric: foo, floats: [{ t: 1000, f: 1 }] }, { metric: bar, floats: [{ t: 2000, f: 2 }, { t: 2500, f: NaN }] }] }),
      '[{"metric":{"__name__":"foo"},"values":[[1,"1"]]},{"metric":{"__name__":"bar"},"values":[[2,"2"],[2.500,"NaN"]]}]',
    );
    assert.equal(valueJSON({ type: 'vector', value: [] }), '[]');
    assert.equal(valueJSON({ type: 'matrix', value: [{ metric: Labels.EMPTY, floats: [] }] }), '[{"metric":{}}]');
  });

  it('encode scalars and strings with float seconds', () => {
    assert.equal(valueJSON({ type: 'scalar', value: { t: 1500, v: 1e21 } }), '[1.5,"1000000000000000000000"]');
    assert.equal(valueJSON({ type: 'scalar', value: { t: 1, v: -Infinity } }), '[0.001,"-Inf"]');
    assert.equal(valueJSON({ type: 'string', value: { t: 0, v: 'a<b' } }), '[0,"a\\u003cb"]');
  });

  it('encode label values without HTML escaping', () => {
    assert.equal(labelsListJSON([Labels.fromStrings('a', '<&>', 'b', 'x"y')]), '[{"a":"<&>","b":"x\\"y"}]');
  });

  it('encode native histograms with their buckets, lowest first', () => {
    // Prometheus' own test case uses schema 2, whose bounds come from a precomputed table that
    // Math.pow differs from in the last digit; schema 0 bounds are exact powers of two.
    const h: FloatHistogram = {
      counterResetHint: 'unknown',
      schema: 0,
      zeroThreshold: 0.001,
      zeroCount: 12,
      count: 10,
      sum: 20,
      positiveSpans: [{ offset: 0, length: 2 }, { offset: 1, length: 2 }],
      negativeSpans: [{ offset: 2, length: 2 }],
      positiveBuckets: [1, 2, 0, 1],
      negativeBuckets: [2, 1],
    };
    assert.equal(
      histogramJSON(h),
      '{"count":"10","sum":"20","buckets":[[1,"-8","-4","1"],[1,"-4","-2","2"],[3,"-0.001","0.001","12"],[0,"0.5","1","1"],[0,"1","2","2"],[0,"8","16","1"]]}',
    );
    assert.equal(histogramJSON({ ...h, schema: 2, negativeSpans: [], zeroCount: 0, positiveSpans: [{ offset: 4, length: 1 }], positiveBuckets: [3] }),
      '{"count":"10","sum":"20","buckets":[[0,"1.681792830507429","2","3"]]}'.replace('1.681792830507429', String(2 ** 0.75)));
    assert.equal(
      valueJSON({ type: 'vector', value: [{ metric: foo, t: 1000, f: 0, h: { ...h, zeroCount: 0, positiveSpans: [], negativeSpans: [] } }] }),
      '[{"metric":{"__name__":"foo"},"histogram":[1,{"count":"10","sum":"20"}]}]',
    );
  });

  it('encode custom-bucket histograms with inclusive upper bounds', () => {
    const h: FloatHistogram = {
      counterResetHint: 'unknown', schema: -53, zeroThreshold: 0, zeroCount: 0, count: 6, sum: 9,
      positiveSpans: [{ offset: 0, length: 3 }], negativeSpans: [], positiveBuckets: [1, 0, 5], negativeBuckets: [], customValues: [1, 2],
    };
    assert.equal(histogramJSON(h), '{"count":"6","sum":"9","buckets":[[3,"-Inf","1","1"],[0,"2","+Inf","5"]]}');
  });
});

describe('envelopes', () => {
  it('leave out empty warnings and infos', () => {
    assert.equal(successJSON('[]'), '{"status":"success","data":[]}');
    assert.equal(successJSON('1', ['w'], ['i']), '{"status":"success","data":1,"warnings":["w"],"infos":["i"]}');
    assert.equal(errorJSON('bad_data', 'x "y"'), '{"status":"error","errorType":"bad_data","error":"x \\"y\\""}');
  });
});
