// Go's math.Pow, checked against results printed by Go (where JavaScript's ** differs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frexp, goPow, ldexp } from './gomath.ts';

describe('goPow', () => {
  it('matches Go bit for bit on integer exponents', () => {
    assert.equal(goPow(10, 308), 1.0000000000000006e308);
    assert.equal(goPow(0.3, 17), 1.2914016299999995e-9);
    assert.equal(goPow(7, 23), 2.7368747340080914e19);
    assert.equal(goPow(10, -310), 1e-310);
    assert.equal(goPow(1.0000001, 1e9), 2.688103843211962e43);
    assert.equal(goPow(-2, 3), -8);
  });

  it('has Go\'s special cases', () => {
    assert.equal(goPow(1, NaN), 1);
    assert.equal(goPow(1, Infinity), 1);
    assert.equal(goPow(-1, Infinity), 1);
    assert.equal(goPow(-1, -Infinity), 1);
    assert.equal(goPow(NaN, 0), 1);
    assert.ok(Number.isNaN(goPow(-2, 0.5)));
    assert.equal(goPow(-0, -3), -Infinity);
    assert.equal(goPow(0, -2), Infinity);
    assert.equal(goPow(-Infinity, 3), -Infinity);
    assert.equal(goPow(0.5, Infinity), 0);
    assert.equal(goPow(4, 0.5), 2);
  });
});

describe('frexp / ldexp', () => {
  it('split and join floats, subnormals included', () => {
    assert.deepEqual(frexp(8), [0.5, 4]);
    assert.deepEqual(frexp(5e-324), [0.5, -1073]);
    assert.equal(ldexp(0.5, 4), 8);
    assert.equal(ldexp(0.5, -1073), 5e-324);
    assert.equal(ldexp(0.75, -1073), 1e-323); // rounds half to even
    assert.equal(ldexp(1, 1024), Infinity);
    assert.equal(ldexp(-1, -1100), -0);
  });
});
