// Go's float formatting, checked against values printed by Go's strconv.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloatF, formatFloatG } from './format.ts';

describe('formatFloatF (strconv.FormatFloat(f, \'f\', -1, 64))', () => {
  it('prints shortest digits without an exponent', () => {
    assert.equal(formatFloatF(1e100), '1' + '0'.repeat(100));
    assert.equal(formatFloatF(0.1), '0.1');
    assert.equal(formatFloatF(1e-5), '0.00001');
    assert.equal(formatFloatF(1.5e-7), '0.00000015');
    assert.equal(formatFloatF(1e21), '1000000000000000000000');
    assert.equal(formatFloatF(-2.5), '-2.5');
    assert.equal(formatFloatF(5e-324), '0.' + '0'.repeat(323) + '5');
  });

  it('spells special values like Go', () => {
    assert.equal(formatFloatF(-0), '-0');
    assert.equal(formatFloatF(NaN), 'NaN');
    assert.equal(formatFloatF(Infinity), '+Inf');
    assert.equal(formatFloatF(-Infinity), '-Inf');
  });
});

describe('formatFloatG (%g, %v)', () => {
  it('switches to an exponent below 1e-4 and from 1e6', () => {
    assert.equal(formatFloatG(123456), '123456');
    assert.equal(formatFloatG(1234567), '1.234567e+06');
    assert.equal(formatFloatG(1e6), '1e+06');
    assert.equal(formatFloatG(0.0001), '0.0001');
    assert.equal(formatFloatG(1e-5), '1e-05');
    assert.equal(formatFloatG(1e100), '1e+100');
    assert.equal(formatFloatG(-1.5e-7), '-1.5e-07');
    assert.equal(formatFloatG(1.1), '1.1');
    assert.equal(formatFloatG(-0), '-0');
  });
});
