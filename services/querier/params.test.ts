import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_TIME_MS, MIN_TIME_MS, ParamError, atoi, parseDuration, parseGoFloat, parseLimit, parseRFC3339, parseTime, parseTimeParam } from './params.ts';

describe('parseTime', () => {
  it('reads unix seconds with millisecond precision, rounding half away from zero', () => {
    assert.equal(parseTime('1435781451.781'), 1435781451781);
    assert.equal(parseTime('0'), 0);
    assert.equal(parseTime('1.5'), 1500);
    assert.equal(parseTime('-1.5'), -1500);
    assert.equal(parseTime('1.0004'), 1000);
    assert.equal(parseTime('1.0006'), 1001);
    assert.equal(parseTime('1e3'), 1_000_000);
    assert.equal(parseTime('+2'), 2000);
    assert.equal(parseTime('.5'), 500);
  });

  it('reads RFC3339 with or without fractions and offsets', () => {
    assert.equal(parseTime('2015-07-01T20:10:51.781Z'), 1435781451781);
    assert.equal(parseTime('2015-07-01T20:10:51Z'), 1435781451000);
    assert.equal(parseTime('2015-07-01T22:10:51.7819999+02:00'), 1435781451781);
    assert.equal(parseTime('2015-07-01T19:10:51.5-01:00'), 1435781451500);
    assert.equal(parseTime('1970-01-01T00:00:00Z'), 0);
    assert.equal(parseTime('0001-01-01T00:00:00Z'), -62135596800000);
    assert.equal(parseTime('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });

  it('accepts the boundary times clients send back', () => {
    assert.equal(parseTime('-292273086-05-16T16:47:06Z'), MIN_TIME_MS);
    assert.equal(parseTime('292277025-08-18T07:12:54.999999999Z'), MAX_TIME_MS);
    assert.equal(MIN_TIME_MS, -9223309901257974000);
  });

  it('rejects anything else with Prometheus\' message', () => {
    for (const bad of ['', 'abc', '1,5', ' 1', '1 ', '2015-07-01', '2015-02-29T00:00:00Z', '2015-07-01T24:00:00Z', '2015-07-01T20:10:51', 'Infinity', 'inf', 'NaN', '0x10', '1e400', '1_000']) {
      assert.throws(() => parseTime(bad), (e: unknown) => e instanceof ParamError && e.message === `cannot parse ${JSON.stringify(bad)} to a valid timestamp`, bad);
    }
  });

  it('parseTimeParam names the parameter and uses the default when empty', () => {
    assert.equal(parseTimeParam(undefined, 'time', 42), 42);
    assert.equal(parseTimeParam('', 'time', 42), 42);
    assert.throws(() => parseTimeParam('x', 'start', 0), { message: `invalid time value for 'start': cannot parse "x" to a valid timestamp` });
  });

  it('round-trips every millisecond timestamp written as seconds and as RFC3339', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62135596800000, max: 253402300799999 }), (ms) => {
        assert.equal(parseTime((ms / 1000).toString()), ms);
        assert.equal(parseTime(new Date(ms).toISOString()), ms);
      }),
    );
  });
});

describe('parseRFC3339', () => {
  it('truncates sub-millisecond digits', () => {
    assert.equal(parseRFC3339('1970-01-01T00:00:00.0019Z'), 1);
    assert.equal(parseRFC3339('1969-12-31T23:59:59.9999Z'), -1);
  });
});

describe('parseDuration', () => {
  it('reads float seconds and Prometheus durations as ms', () => {
    assert.equal(parseDuration('15'), 15_000);
    assert.equal(parseDuration('0.5'), 500);
    assert.equal(parseDuration('1e-3'), 1);
    assert.equal(parseDuration('0.0000015'), 0.0015);
    assert.equal(parseDuration('1e-10'), 0);
    assert.equal(parseDuration('-1'), -1000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('10ms'), 10);
    assert.equal(parseDuration('0'), 0);
  });

  it('rejects bad durations and overflows with Prometheus\' messages', () => {
    assert.throws(() => parseDuration(''), { message: 'cannot parse "" to a valid duration' });
    assert.throws(() => parseDuration('5x'), { message: 'cannot parse "5x" to a valid duration' });
    assert.throws(() => parseDuration('1m1h'), { message: 'cannot parse "1m1h" to a valid duration' });
    assert.throws(() => parseDuration('NaN'), { message: 'cannot parse "NaN" to a valid duration' });
    assert.throws(() => parseDuration('1e10'), { message: 'cannot parse "1e10" to a valid duration. It overflows int64' });
    assert.throws(() => parseDuration('+Inf'), { message: 'cannot parse "+Inf" to a valid duration. It overflows int64' });
  });
});

describe('parseGoFloat', () => {
  it('follows strconv.ParseFloat syntax', () => {
    assert.equal(parseGoFloat('1.'), 1);
    assert.equal(parseGoFloat('-.5e1'), -5);
    assert.equal(parseGoFloat('INF'), Infinity);
    assert.equal(parseGoFloat('-Infinity'), -Infinity);
    assert.ok(Number.isNaN(parseGoFloat('nan')));
    for (const bad of ['', ' 1', '1e', 'e1', '.', '0b1', '1_0', '--1']) assert.equal(parseGoFloat(bad), undefined, bad);
  });
});

describe('limit', () => {
  it('is 0 when absent, a non-negative integer otherwise', () => {
    assert.equal(parseLimit(undefined), 0);
    assert.equal(parseLimit(''), 0);
    assert.equal(parseLimit('10'), 10);
    assert.equal(parseLimit('+3'), 3);
    assert.throws(() => parseLimit('-1'), { message: 'limit must be non-negative' });
    assert.throws(() => parseLimit('1.5'), { message: 'strconv.Atoi: parsing "1.5": invalid syntax' });
    assert.throws(() => atoi('99999999999999999999'), { message: 'strconv.Atoi: parsing "99999999999999999999": value out of range' });
  });
});
