import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloatError, formatGoFloat, formatOpenMetricsFloat, lastFloatError, parseFloatString } from './float.ts';

function parse(s: string): number | FloatError {
  const v = parseFloatString(s);
  return lastFloatError === FloatError.None ? v : lastFloatError;
}

describe('parseFloatBytes (Prometheus parseFloat = Go ParseFloat minus p/P/_)', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['-0', -0],
    ['+0', 0],
    ['1', 1],
    ['+1.5', 1.5],
    ['-1.5', -1.5],
    ['.5', 0.5],
    ['-.5e-3', -0.0005],
    ['5.', 5],
    ['1.e2', 100],
    ['00012', 12],
    ['1e0005', 100000],
    ['1E-2', 0.01],
    ['0e99999', 0],
    ['1e-99999', 0],
    ['2.2250738585072011e-308', 2.2250738585072011e-308],
    ['9007199254740993', 9007199254740992],
    ['0.30000000000000004', 0.30000000000000004],
    ['123456789012345.678', 123456789012345.678],
    ['1.0000000000000000000000000001', 1],
    ['Inf', Infinity],
    ['+inf', Infinity],
    ['-Infinity', -Infinity],
    ['iNfInItY', Infinity],
    ['NaN', NaN],
    ['nAn', NaN],
  ];
  for (const [s, want] of ok) {
    it(`accepts ${JSON.stringify(s)}`, () => assert.ok(Object.is(parse(s), want), `got ${String(parse(s))}`));
  }
  const bad: [string, FloatError][] = [
    ['', FloatError.Syntax],
    ['+', FloatError.Syntax],
    ['-', FloatError.Syntax],
    ['.', FloatError.Syntax],
    ['e5', FloatError.Syntax],
    ['1e', FloatError.Syntax],
    ['1e+', FloatError.Syntax],
    ['1.2.3', FloatError.Syntax],
    ['1 ', FloatError.Syntax],
    [' 1', FloatError.Syntax],
    ['0x10', FloatError.Syntax],
    ['0b1', FloatError.Syntax],
    ['+nan', FloatError.Syntax],
    ['-NaN', FloatError.Syntax],
    ['infin', FloatError.Syntax],
    ['infinityy', FloatError.Syntax],
    ['true', FloatError.Syntax],
    ['1_000', FloatError.Unsupported],
    ['0x1p-2', FloatError.Unsupported],
    ['0x1P3', FloatError.Unsupported],
    ['1e400', FloatError.Range],
    ['-1e400', FloatError.Range],
    ['1.7976931348623159e308', FloatError.Range],
  ];
  for (const [s, want] of bad) {
    it(`rejects ${JSON.stringify(s)}`, () => assert.equal(parse(s), want));
  }

  it('agrees with the engine on random decimal strings (fast and slow paths)', () => {
    const decimal = fc
      .tuple(
        fc.constantFrom('', '+', '-'),
        fc.stringMatching(/^[0-9]{1,20}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,20}$/), { nil: undefined }),
        fc.option(fc.integer({ min: -330, max: 330 }), { nil: undefined }),
      )
      .map(([sign, int, frac, exp]) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : `e${exp}`}`);
    fc.assert(
      fc.property(decimal, (s) => {
        const want = Number(s);
        const got = parse(s);
        if (!Number.isFinite(want)) assert.equal(got, FloatError.Range);
        else assert.ok(Object.is(got, want), `${s}: got ${String(got)}, want ${want}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads back every double from its shortest text', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        assert.ok(Object.is(parse(formatGoFloat(x).replace('+Inf', 'Inf')), x));
        // String(-0) is "0", so compare values there.
        const y = parse(String(x).replace('Infinity', 'Inf'));
        assert.ok(x === 0 ? y === 0 : Object.is(y, x));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('formatGoFloat (strconv.FormatFloat(f, g, -1, 64))', () => {
  const cases: [number, string][] = [
    [1, '1'],
    [0, '0'],
    [-0, '-0'],
    [0.1, '0.1'],
    [100, '100'],
    [999999, '999999'],
    [1e6, '1e+06'],
    [123456, '123456'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [-2.5, '-2.5'],
    [608863452348.1149, '6.088634523481149e+11'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [f, want] of cases) it(`${f} -> ${want}`, () => assert.equal(formatGoFloat(f), want));
});

describe('formatOpenMetricsFloat', () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [0, '0.0'],
    [-0, '0.0'],
    [-1, '-1.0'],
    [10, '10.0'],
    [0.25, '0.25'],
    [1e6, '1e+06'],
    [1e-5, '1e-05'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [f, want] of cases) it(`${f} -> ${want}`, () => assert.equal(formatOpenMetricsFloat(f), want));
});
