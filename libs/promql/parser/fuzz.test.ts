import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ParseErrors, exprToString, parseExpr, parseMetricSelector, prettify } from './index.ts';
import { mutateQuery, randomQuery, readFixture, seededRandom } from './test_util.ts';

/** Parses and prints; anything thrown other than ParseErrors fails the property. */
function exercise(q: string): void {
  try {
    const e = parseExpr(q);
    exprToString(e);
    prettify(e);
  } catch (e) {
    if (!(e instanceof ParseErrors)) throw new Error(`${JSON.stringify(q)} threw ${String(e)}`);
    assert.ok(e.errors.length > 0);
    for (const pe of e.errors) {
      assert.ok(pe.positionRange.start >= 0 && pe.positionRange.start <= pe.positionRange.end, JSON.stringify(q));
      assert.ok(pe.positionRange.end <= q.length, JSON.stringify(q));
    }
  }
  try {
    parseMetricSelector(q);
  } catch (e) {
    if (!(e instanceof ParseErrors)) throw new Error(`${JSON.stringify(q)} threw ${String(e)}`);
  }
}

describe('parser fuzzing', () => {
  it('mutated generated queries fail only with ParseErrors', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = seededRandom(seed);
        exercise(mutateQuery(rng, randomQuery(rng)));
      }),
      { numRuns: 3000 },
    );
  });

  it("mutated Prometheus test queries fail only with ParseErrors", () => {
    const inputs = readFixture<{ input: string }[]>('parse_cases.json').map((c) => c.input);
    fc.assert(
      fc.property(fc.constantFrom(...inputs), fc.integer(), (q, seed) => exercise(mutateQuery(seededRandom(seed), q))),
      { numRuns: 3000 },
    );
  });

  it('arbitrary strings fail only with ParseErrors', () => {
    const alphabet = fc.constantFrom(...'()[]{},:;"\'`\\@#=!~<>+-*/%^ \n\tabcxyz019._eEsmhdw'.split(''), 'offset', 'by', 'sum', '\u00e9', '\ud800');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => exercise(parts.join(''))),
      { numRuns: 5000 },
    );
  });

  it('deep nesting fails cleanly instead of overflowing the stack', () => {
    for (const q of ['('.repeat(20000) + '1' + ')'.repeat(20000), '-'.repeat(50000) + '1', 'a' + ' ^ a'.repeat(50000)]) {
      try {
        parseExpr(q);
      } catch (e) {
        assert.ok(e instanceof ParseErrors);
      }
    }
  });
});
