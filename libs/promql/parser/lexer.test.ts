import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lexer, T } from './lexer.ts';
import { readFixture } from './test_util.ts';

interface LexCase {
  input: string;
  expected?: [string, number, string][];
  fail?: boolean;
}

const NAMES = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k])) as Record<number, string>;

function lex(input: string): [string, number, string][] {
  const l = new Lexer(input);
  const out: [string, number, string][] = [];
  for (;;) {
    const t = l.next();
    out.push([NAMES[t.type]!, t.pos, t.val]);
    if (t.type === T.EOF || t.type === T.ERROR) return out;
  }
}

describe("Prometheus' lexer test cases (promql/parser/lex_test.go)", () => {
  const cases = readFixture<LexCase[]>('lex_cases.json');
  it('has the converted cases', () => assert.ok(cases.length > 100));
  for (const c of cases) {
    it(JSON.stringify(c.input), () => {
      const out = lex(c.input);
      const last = out[out.length - 1]!;
      if (c.fail) {
        assert.equal(last[0], 'ERROR', JSON.stringify(out));
        return;
      }
      if (c.expected !== undefined && c.expected.some((x) => x[0] === 'ERROR')) {
        // The lexer stops at its first error (the parser reports nothing after it).
        assert.deepEqual(out, c.expected);
        return;
      }
      assert.deepEqual(last, ['EOF', c.input.length, '']);
      assert.deepEqual(out.slice(0, -1), c.expected ?? []);
    });
  }
});

describe('lexer', () => {
  it('counts positions in UTF-16 code units', () => {
    assert.deepEqual(lex('{"é😀"="x"}'), [
      ['LEFT_BRACE', 0, '{'],
      ['STRING', 1, '"é😀"'],
      ['EQL', 6, '='],
      ['STRING', 7, '"x"'],
      ['RIGHT_BRACE', 10, '}'],
      ['EOF', 11, ''],
    ]);
  });
  it('treats fill as a keyword only before "("', () => {
    assert.deepEqual(lex('fill fill ('), [
      ['IDENTIFIER', 0, 'fill'],
      ['FILL', 5, 'fill'],
      ['LEFT_PAREN', 10, '('],
      ['ERROR', 11, 'unclosed left parenthesis'],
    ]);
  });
  it('reads keywords in any case', () => {
    assert.deepEqual(
      lex('SUM By OFFSET inF').map((x) => x[0]),
      ['SUM', 'BY', 'OFFSET', 'NUMBER', 'EOF'],
    );
  });
});
