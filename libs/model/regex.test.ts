// Tests for RE2-compatible label-matcher regexes. Expected errors and match results were taken from
// Go's regexp/syntax as Prometheus uses it (grafana/regexp), run on the same patterns.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { FastRegexMatcher, RegexError, RegexErrorCode, RegexMatchKind, compileRegex, quoteMeta, unicodeClassNames } from './regex.ts';
import { Matcher, MatchType } from './matcher.ts';
import { isValidUTF8 } from './validation.ts';

// [pattern, Go's error message]
const REJECTED: [string, string][] = [
  ["(foo", "error parsing regexp: missing closing ): `(foo`"],
  ["foo)", "error parsing regexp: unexpected ): `foo)`"],
  ["a**", "error parsing regexp: invalid nested repetition operator: `**`"],
  ["a*+", "error parsing regexp: invalid nested repetition operator: `*+`"],
  ["a??*", "error parsing regexp: invalid nested repetition operator: `??*`"],
  ["a{2}{3}", "error parsing regexp: invalid nested repetition operator: `{2}{3}`"],
  ["a{2}*", "error parsing regexp: invalid nested repetition operator: `{2}*`"],
  ["a*{2}", "error parsing regexp: invalid nested repetition operator: `*{2}`"],
  ["\\1", "error parsing regexp: invalid escape sequence: `\\1`"],
  ["\\8", "error parsing regexp: invalid escape sequence: `\\8`"],
  ["\\18", "error parsing regexp: invalid escape sequence: `\\1`"],
  ["(?=x)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"],
  ["(?!x)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"],
  ["(?<=x)y", "error parsing regexp: invalid named capture: `(?<=x)y`"],
  ["(?<!x)y", "error parsing regexp: invalid named capture: `(?<!x)y`"],
  ["(?<=x)>", "error parsing regexp: invalid named capture: `(?<=x)>`"],
  ["a++", "error parsing regexp: invalid nested repetition operator: `++`"],
  ["(?>a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?>`"],
  ["\\k<name>", "error parsing regexp: invalid escape sequence: `\\k`"],
  ["\\e", "error parsing regexp: invalid escape sequence: `\\e`"],
  ["\\Z", "error parsing regexp: invalid escape sequence: `\\Z`"],
  ["\\C", "error parsing regexp: invalid escape sequence: `\\C`"],
  ["\\G", "error parsing regexp: invalid escape sequence: `\\G`"],
  ["\\X", "error parsing regexp: invalid escape sequence: `\\X`"],
  ["\\R", "error parsing regexp: invalid escape sequence: `\\R`"],
  ["\\h", "error parsing regexp: invalid escape sequence: `\\h`"],
  ["\\N", "error parsing regexp: invalid escape sequence: `\\N`"],
  ["\\c", "error parsing regexp: invalid escape sequence: `\\c`"],
  ["\\E", "error parsing regexp: invalid escape sequence: `\\E`"],
  ["\\é", "error parsing regexp: invalid escape sequence: `\\é`"],
  ["a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"],
  ["a{1000,1001}", "error parsing regexp: invalid repeat count: `{1000,1001}`"],
  ["a{2,1}", "error parsing regexp: invalid repeat count: `{2,1}`"],
  ["(a{2}){501}", "error parsing regexp: invalid repeat count: `{501}`"],
  ["((a{10}){10}){11}", "error parsing regexp: invalid repeat count: `{11}`"],
  ["a{100000000000}", "error parsing regexp: invalid repeat count: `{100000000000}`"],
  ["[a", "error parsing regexp: missing closing ]: `[a`"],
  ["[]", "error parsing regexp: missing closing ]: `[]`"],
  ["[^]", "error parsing regexp: missing closing ]: `[^]`"],
  ["[]a", "error parsing regexp: missing closing ]: `[]a`"],
  ["[z-a]", "error parsing regexp: invalid character class range: `z-a`"],
  ["[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`"],
  ["[[:alpha:]", "error parsing regexp: missing closing ]: `[[:alpha:]`"],
  ["[a-\\d]", "error parsing regexp: invalid escape sequence: `\\d`"],
  ["\\p{Foo}", "error parsing regexp: invalid character class range: `\\p{Foo}`"],
  ["\\pX", "error parsing regexp: invalid character class range: `\\pX`"],
  ["\\p{Greek", "error parsing regexp: invalid character class range: `\\p{Greek`"],
  ["\\p{greek}", "error parsing regexp: invalid character class range: `\\p{greek}`"],
  ["\\p", "error parsing regexp: invalid character class range: `\\p`"],
  ["\\P{^}", "error parsing regexp: invalid character class range: `\\P{^}`"],
  ["*", "error parsing regexp: missing argument to repetition operator: `*`"],
  ["+a", "error parsing regexp: missing argument to repetition operator: `+`"],
  ["?", "error parsing regexp: missing argument to repetition operator: `?`"],
  ["{2}", "error parsing regexp: missing argument to repetition operator: `{2}`"],
  ["a|*", "error parsing regexp: missing argument to repetition operator: `*`"],
  ["(*)", "error parsing regexp: missing argument to repetition operator: `*`"],
  ["x|(?i)*", "error parsing regexp: missing argument to repetition operator: `*`"],
  ["(?P<n>", "error parsing regexp: missing closing ): `(?P<n>`"],
  ["(?P<>a)", "error parsing regexp: invalid named capture: `(?P<>`"],
  ["(?P<n!>a)", "error parsing regexp: invalid named capture: `(?P<n!>`"],
  ["(?P=n)", "error parsing regexp: invalid or unsupported Perl syntax: `(?P`"],
  ["(?<n", "error parsing regexp: invalid named capture: `(?<n`"],
  ["(?<>a)", "error parsing regexp: invalid named capture: `(?<>`"],
  ["(?", "error parsing regexp: invalid or unsupported Perl syntax: `(?`"],
  ["(?i", "error parsing regexp: invalid or unsupported Perl syntax: `(?i`"],
  ["(?i-)", "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"],
  ["(?-)", "error parsing regexp: invalid or unsupported Perl syntax: `(?-)`"],
  ["(?--i)", "error parsing regexp: invalid or unsupported Perl syntax: `(?--`"],
  ["(?z)", "error parsing regexp: invalid or unsupported Perl syntax: `(?z`"],
  ["(?i)(?P", "error parsing regexp: invalid or unsupported Perl syntax: `(?P`"],
  ["a\\", "error parsing regexp: trailing backslash at end of expression: ``"],
  ["[a\\", "error parsing regexp: trailing backslash at end of expression: ``"],
  ["\\x", "error parsing regexp: invalid escape sequence: `\\x`"],
  ["\\x4", "error parsing regexp: invalid escape sequence: `\\x4`"],
  ["\\xg1", "error parsing regexp: invalid escape sequence: `\\xg1`"],
  ["\\x{}", "error parsing regexp: invalid escape sequence: `\\x{}`"],
  ["\\x{110000}", "error parsing regexp: invalid escape sequence: `\\x{110000`"],
  ["\\x{41", "error parsing regexp: invalid escape sequence: `\\x{41`"],
  ["\\x{4g}", "error parsing regexp: invalid escape sequence: `\\x{4g`"],
  [")", "error parsing regexp: unexpected ): `)`"],
  ["a)b", "error parsing regexp: unexpected ): `a)b`"],
  ["(a))", "error parsing regexp: unexpected ): `(a))`"],
  ["(?:a", "error parsing regexp: missing closing ): `(?:a`"],
  ["((a)", "error parsing regexp: missing closing ): `((a)`"],
  ["[\\b]", "error parsing regexp: invalid escape sequence: `\\b`"],
  ["\\pN{1001}", "error parsing regexp: invalid repeat count: `{1001}`"],
];

test('patterns Go rejects are rejected with its exact message', () => {
  for (const [src, msg] of REJECTED) {
    assert.throws(
      () => compileRegex(src),
      (e: unknown) => e instanceof RegexError && e.message === msg,
      `${JSON.stringify(src)} should fail with ${msg}`,
    );
    assert.throws(() => new Matcher(MatchType.Regexp, 'x', src), (e: unknown) => e instanceof RegexError && e.message === msg);
  }
});

test('RegexError carries a stable code and the offending text', () => {
  try {
    new Matcher(MatchType.NotRegexp, 'x', 'a{1001}');
    assert.fail('expected a RegexError');
  } catch (e) {
    assert.ok(e instanceof RegexError);
    assert.equal(e.code, RegexErrorCode.InvalidRepeatSize);
    assert.equal(e.expr, '{1001}');
    assert.equal(e.category, 'bad_data');
  }
});

test('lone surrogates in a pattern are invalid UTF-8, as Go sees them', () => {
  assert.throws(() => compileRegex('a\ud800b'), /^RegexError: error parsing regexp: invalid UTF-8: `\ud800b`$/);
});

// [pattern, values that match, values that don't] — all checked against Go.
const MATCHES: [string, string[], string[]][] = [
  // Go syntax JS lacks or reads differently.
  ['a{,2}', ['a{,2}'], ['a', 'aa', '']],
  ['a{', ['a{'], ['a']],
  ['{', ['{'], ['']],
  ['}', ['}'], []],
  [']', [']'], []],
  ['a{01}', ['a{01}'], ['a']],
  ['x{1001', ['x{1001'], ['x']],
  ['x{2}', ['xx'], ['x', 'xxx']],
  ['x{2,}', ['xx', 'xxxx'], ['x']],
  ['x{0}y', ['y'], ['xy']],
  ['\\Qa.b*\\E+', ['a.b*', 'a.b**'], ['axb', 'a.bb']],
  ['\\Qa.b', ['a.b'], ['axb']],
  ['a\\Q\\E*', ['', 'a', 'aaa'], ['b']],
  ['(?P<name>a)(?<x>b)', ['ab'], ['a']],
  ['(?:a)(b)', ['ab'], []],
  ['()', [''], ['a']],
  ['', [''], ['a', '\n']],
  ['(?)a', ['a'], []],
  ['^*a', ['a'], []],
  ['a*(?i)*', ['', 'aaa'], ['A']],
  ['\\x41\\x{1F600}', ['A😀'], ['A']],
  ['\\101\\0', ['A\0'], []],
  ['\\12', ['\n'], []],
  ['\\a\\f\\t\\v\\r\\n', ['\x07\f\t\v\r\n'], []],
  ['\\.\\-\\_\\!', ['.-_!'], []],
  ['[\\d-z]', ['-', '5', 'z'], ['a']],
  ['[a-]', ['a', '-'], ['b']],
  ['[]a]', [']', 'a'], ['b']],
  ['[^]a]', ['b', '\n'], [']', 'a']],
  // . matches any code point, including \n (Prometheus' (?s)); (?-s) turns that off.
  ['.', ['\n', 'a', '😀', '\r', '\u2028'], ['', 'ab']],
  ['a.c', ['a\nc', 'abc'], ['ac']],
  ['(?-s).', ['a', '\r'], ['\n']],
  ['(?-s:.).', ['a\n'], ['\na']],
  ['.*', ['', 'foo', '\n\n'], []],
  ['[^a]', ['\n', 'b', '😀'], ['a']],
  // Astral characters are one character.
  ['😀+', ['😀😀'], ['\ud83d\ude00\ude00']],
  ['.{2}', ['😀😀', 'ab'], ['😀']],
  ['[😀-😂]', ['😁'], ['😃']],
  // Perl classes are ASCII; \s is [\t\n\f\r ] (no \v, no Unicode spaces).
  ['\\s+', [' \t\n\f\r'], ['\v', '\u00a0', '\u2003', '\ufeff']],
  ['\\S', ['\v', '\u00a0', 'a'], [' ']],
  ['\\w+', ['a_Z9'], ['é', 'ſ']],
  ['\\W', ['é', '-'], ['a']],
  ['\\d', ['7'], ['٣', '７']],
  ['\\D', ['٣'], ['7']],
  ['[\\s\\d]+', [' 1\t2'], ['\v']],
  // POSIX classes, plain and negated.
  ['[[:alpha:]]+', ['abcXYZ'], ['ab1', 'é']],
  ['[[:^alpha:]]+', ['123-', 'é'], ['a']],
  ['[[:digit:][:upper:]]', ['5', 'Q'], ['q']],
  ['[[:space:]]', ['\v', ' '], ['\u00a0']],
  ['[[:word:]]', ['_'], ['-']],
  ['[[:punct:]]', ['!', '~', '['], ['a', '«']],
  ['[[:xdigit:]]+', ['09afAF'], ['g']],
  ['[^[:cntrl:]]', ['a'], ['\x7f', '\0']],
  // Unicode classes.
  ['\\pL+', ['héllo', 'αβγ', '中文'], ['a1']],
  ['\\p{Greek}+', ['αβγ'], ['abc']],
  ['\\PL', ['1'], ['a']],
  ['\\p{^Greek}', ['a'], ['α']],
  ['\\P{^Greek}', ['α'], ['a']],
  ['\\pN', ['٣', '7', 'Ⅻ'], ['a']],
  ['\\p{Lu}', ['A', 'Ω'], ['a']],
  ['\\pC', ['\0', '\u200b'], ['a']],
  ['\\p{Any}', ['a', '\n', '😀'], ['']],
  ['[\\p{Greek}\\d]+', ['α1'], ['a']],
  ['[^\\p{Greek}\\d]', ['a'], ['α', '1']],
  ['[\\P{L}a]', ['a', '1'], ['b']],
  // Anchors: ^ and $ are text anchors unless (?m); the whole match is anchored anyway.
  ['^abc$', ['abc'], ['abcd']],
  ['a$\\n^b', [], ['a\nb']],
  ['(?m)a$\\n^b', ['a\nb'], ['ab']],
  ['\\Aa\\z', ['a'], []],
  ['\\bfoo\\b', ['foo'], []],
  ['a\\b', ['a'], []],
  ['a\\bb', [], ['ab']],
  ['a\\Bb', ['ab'], []],
  ['(?m)^$', [''], ['\n']],
  // Flags: scoped to their group, and persisting across | within it.
  ['(?i)abc', ['ABC', 'aBc', 'abc'], ['abd']],
  ['(?i:a)b', ['Ab', 'ab'], ['AB']],
  ['a(?i)b|c', ['aB', 'ab', 'C', 'c'], ['Ab']],
  ['(a(?i)b)c', ['aBc'], ['aBC', 'ABc']],
  ['(?i)(?-i:a)b', ['aB'], ['AB']],
  ['(?i)k', ['k', 'K', '\u212a'], ['x']],
  ['(?i)s', ['s', 'S', 'ſ'], []],
  ['(?i)ǅ', ['ǆ', 'Ǆ', 'ǅ'], ['d']],
  ['(?i)σ', ['Σ', 'ς', 'σ'], []],
  ['(?i)[^k]', ['x'], ['k', 'K', '\u212a']],
  ['(?i)[a-c]+', ['aBc'], ['d']],
  ['(?i)\\W', ['-'], ['ſ', '\u212a', 'a']],
  ['(?i)\\w', ['ſ', '\u212a'], ['-']],
  ['(?i)[[:upper:]]', ['a', 'Z', 'ſ'], ['1']],
  ['(?i)\\p{Lu}', ['a', 'A'], ['1']],
  ['(?i)\\P{Lu}', ['1'], ['a', 'A']],
  ['(?i)[^\\p{Lu}1]', ['2'], ['a', 'A', '1']],
  ['(?i)\\p{Greek}', ['µ', 'Ω', 'ω'], ['a']],
  ['(?U)a+', ['aaa'], ['']],
  ['(?U)a+?b', ['aab'], []],
  ['x*?y', ['xxy'], []],
  // Alternation and repetition.
  ['foo|bar|baz', ['foo', 'bar', 'baz'], ['fo', 'foobar', '']],
  ['foo|', ['foo', ''], ['f']],
  ['a(b|c)d', ['abd', 'acd'], ['ad']],
  ['(a|ab)(c|bcd)(d*)', ['abcd', 'acd', 'abc'], ['abdd']],
  ['(?:a|b)*c', ['c', 'ababc'], ['abab']],
  ['(a+)+b', ['aab'], ['aaaa']],
];

test('match and no-match tables agree with Go', () => {
  for (const [src, yes, no] of MATCHES) {
    const re = compileRegex(src);
    const m = new Matcher(MatchType.Regexp, 'x', src);
    const nm = new Matcher(MatchType.NotRegexp, 'x', src);
    for (const s of yes) {
      assert.ok(re.test(s), `${JSON.stringify(src)} RegExp should match ${JSON.stringify(s)}`);
      assert.ok(m.matches(s), `${JSON.stringify(src)} should match ${JSON.stringify(s)} (${re.source})`);
      assert.ok(!nm.matches(s));
    }
    for (const s of no) {
      assert.ok(!re.test(s), `${JSON.stringify(src)} RegExp should not match ${JSON.stringify(s)}`);
      assert.ok(!m.matches(s), `${JSON.stringify(src)} should not match ${JSON.stringify(s)} (${re.source})`);
      assert.ok(nm.matches(s));
    }
  }
});

test('every Unicode class name Go accepts compiles; other spellings are rejected', () => {
  for (const name of unicodeClassNames()) {
    assert.doesNotThrow(() => compileRegex(`\\p{${name}}`), name);
    assert.doesNotThrow(() => compileRegex(`(?i)[^\\P{${name}}x]`), name);
  }
  for (const bad of ['Grek', 'greek', 'Script=Greek', 'Letter', 'L&', 'Assigned', 'ASCII']) {
    assert.throws(() => compileRegex(`\\p{${bad}}`), { message: `error parsing regexp: invalid character class range: \`\\p{${bad}}\`` });
  }
});

test('fast paths are chosen for the common shapes', () => {
  const cases: [string, RegexMatchKind][] = [
    ['foo', RegexMatchKind.Equal],
    ['^foo$', RegexMatchKind.Equal],
    ['', RegexMatchKind.Equal],
    ['foo|bar|baz', RegexMatchKind.Set],
    ['a(b|c)', RegexMatchKind.Set],
    ['[abc]', RegexMatchKind.Set],
    ['(?i)ab', RegexMatchKind.Set],
    ['.*', RegexMatchKind.Any],
    ['(.*)', RegexMatchKind.Any],
    ['.+', RegexMatchKind.NonEmpty],
    ['foo.*', RegexMatchKind.Glob],
    ['.*foo', RegexMatchKind.Glob],
    ['.*foo.*', RegexMatchKind.Glob],
    ['.*-.*-.*', RegexMatchKind.Glob],
    ['a.+b.*c', RegexMatchKind.Glob],
    ['(?-s).*', RegexMatchKind.RegExp],
    ['.+.+', RegexMatchKind.RegExp],
    ['(?i)foo.*', RegexMatchKind.RegExp],
    ['foo[a-z]+', RegexMatchKind.RegExp],
  ];
  for (const [src, kind] of cases) assert.equal(new FastRegexMatcher(src).kind, kind, src);
  assert.ok(new Matcher(MatchType.Regexp, 'x', 'foo.*').isRegexOptimized());
  assert.ok(!new Matcher(MatchType.Regexp, 'x', 'foo[a-z]+').isRegexOptimized());
  assert.ok(!new Matcher(MatchType.Equal, 'x', 'foo').isRegexOptimized());
});

test('setMatches lists the literal alternatives, only for =~', () => {
  const sm = (src: string) => new Matcher(MatchType.Regexp, 'x', src).setMatches();
  assert.deepEqual(sm('foo|bar|baz'), ['foo', 'bar', 'baz']);
  assert.deepEqual(sm('foo'), ['foo']);
  assert.deepEqual(sm('a(b|c)'), ['ab', 'ac']);
  assert.deepEqual(sm('[abc]'), ['a', 'b', 'c']);
  assert.deepEqual(sm('foo|foo|bar'), ['foo', 'bar']);
  assert.deepEqual(sm('foo|'), ['foo', '']);
  assert.deepEqual(sm('ab?'), ['a', 'ab']);
  assert.deepEqual(sm('(?i)ab')?.sort(), ['AB', 'Ab', 'aB', 'ab']);
  assert.deepEqual(sm('(?i)k')?.sort(), ['K', 'k', '\u212a']);
  assert.equal(sm('.*'), undefined);
  assert.equal(sm('foo.*'), undefined);
  assert.equal(sm('[a-z]{3}'), undefined); // 17576 values: too many
  assert.equal(sm('\\pL'), undefined);
  assert.equal(new Matcher(MatchType.NotRegexp, 'x', 'foo|bar').setMatches(), undefined);
  assert.equal(new Matcher(MatchType.Equal, 'x', 'foo').setMatches(), undefined);
  // A copy: callers may mutate it.
  const m = new Matcher(MatchType.Regexp, 'x', 'a|b');
  m.setMatches()!.push('c');
  assert.deepEqual(m.setMatches(), ['a', 'b']);
});

test('prefix is the literal text every match starts with', () => {
  const px = (src: string) => new Matcher(MatchType.Regexp, 'x', src).prefix();
  assert.equal(px('foo.*'), 'foo');
  assert.equal(px('^foo.*'), 'foo');
  assert.equal(px('foo[a-z]+'), 'foo');
  assert.equal(px('foo(bar|baz).*'), 'fooba');
  assert.equal(px('(foo)+x'), 'foo');
  assert.equal(px('foo|bar'), '');
  assert.equal(px('.*foo'), '');
  assert.equal(px('(?i)foo.*'), '');
  assert.equal(px('f?oo'), '');
  assert.equal(px('\\bfoo\\b.*'), 'foo');
  assert.equal(px('😀a|😀b'), '😀');
  assert.equal(px('\ud83d\ude00|\ud83d\ude01'), ''); // never half a surrogate pair
  assert.equal(new Matcher(MatchType.Equal, 'x', 'foo').prefix(), '');
  for (const src of ['foo.*', 'foo[a-z]+', 'foo(bar|baz).*', '(foo)+x', '😀a|😀b']) {
    const m = new Matcher(MatchType.Regexp, 'x', src);
    // Everything the regex matches starts with the prefix.
    assert.ok(!m.matches(m.prefix().slice(0, -1) + 'Z' + 'zzz'));
  }
});

test('property: an escaped literal matches exactly that string', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), (s, t) => {
      fc.pre(isValidUTF8(s) && isValidUTF8(t));
      const m = new Matcher(MatchType.Regexp, 'x', quoteMeta(s));
      assert.ok(m.matches(s));
      assert.equal(m.matches(t), s === t);
      assert.deepEqual(m.setMatches(), [s]);
      assert.ok(compileRegex(quoteMeta(s)).test(s));
      assert.equal(compileRegex(quoteMeta(s)).test(t), s === t);
    }),
    { numRuns: 500 },
  );
});

test('property: fast paths answer like the general RegExp', () => {
  const atoms = ['a', 'b', 'ab', 'k', 'é', '😀', '.*', '.+', '.', '(?:a|b)', 'a|b', '[ab]', '[a-c]', '(?i)k', '(?i:a)',
    'x?', '(?:.*)', '\\.', '(foo)', '^', '$', 'a{2}', '(?-s).*', '[^a]', '\\pL', '(?:)', '|'];
  const chunks = ['a', 'b', 'ab', 'k', 'K', '\u212a', 'é', '😀', '\n', '.', 'x', 'foo', 'c', 'aa', ''];
  const pattern = fc.array(fc.constantFrom(...atoms), { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
  const input = fc.array(fc.constantFrom(...chunks), { maxLength: 6 }).map((a) => a.join(''));
  fc.assert(
    fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 20 }), (src, inputs) => {
      const fast = new FastRegexMatcher(src);
      const re = compileRegex(src);
      for (const s of inputs) assert.equal(fast.matchString(s), re.test(s), `${src} on ${JSON.stringify(s)} (${fast.kind})`);
      // Inputs built from the pattern's own literal parts exercise the matching side too.
      for (const e of fast.setMatches() ?? []) assert.ok(re.test(e), `${src} set member ${JSON.stringify(e)}`);
    }),
    { numRuns: 3000 },
  );
});

test('matches() allocates nothing on the fast paths', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const inputs = ['foo', 'bar', 'xfooy', 'abc', 'a-b-c', 'nothing here', ''];
  for (const src of ['foo', 'foo|bar|baz', '.*', '.+', 'foo.*', '.*foo.*', 'a.*b.*c']) {
    const m = new Matcher(MatchType.Regexp, 'x', src);
    assert.ok(m.isRegexOptimized(), src);
    let hits = 0;
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) for (let j = 0; j < inputs.length; j++) if (m.matches(inputs[j]!)) hits++;
    };
    run(20000); // warm up: let the JIT settle
    gc();
    const before = process.memoryUsage().heapUsed;
    run(20000); // 140k calls: even 16 bytes per call would add over 2 MB
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 1024 * 1024, `${src}: heap grew by ${grown} bytes`);
    assert.ok(hits > 0);
  }
});

test('Matcher.toString quotes like Prometheus', () => {
  assert.equal(new Matcher(MatchType.Regexp, 'job', 'a|b').toString(), 'job=~"a|b"');
  assert.equal(new Matcher(MatchType.NotEqual, 'my.name', 'x"y').toString(), '"my.name"!="x\\"y"');
  assert.equal(new Matcher(MatchType.Equal, '', '\n\x01').toString(), '""="\\n\\x01"');
  assert.equal(new Matcher(MatchType.NotRegexp, '1a', 'é').toString(), '"1a"!~"é"');
});

test('inverse matches the complement', () => {
  for (const t of Object.values(MatchType)) {
    const m = new Matcher(t, 'x', 'a.*');
    const inv = m.inverse();
    for (const s of ['', 'a', 'abc', 'b', 'a.*']) assert.equal(inv.matches(s), !m.matches(s));
  }
});

test("Go's nesting and size limits, including the ones hit only by Prometheus' ^(?s:…)$ wrapper", () => {
  const nest = (n: number) => '('.repeat(n) + 'a' + ')'.repeat(n);
  assert.throws(() => compileRegex(nest(1000)), { message: `error parsing regexp: expression nests too deeply: \`${nest(1000)}\`` });
  assert.throws(() => compileRegex(nest(999)), { message: `error parsing regexp: expression nests too deeply: \`^(?s:${nest(999)})$\`` });
  assert.ok(compileRegex(nest(998)).test('a'));
  assert.ok(compileRegex('x' + nest(998)).test('xa')); // a concatenation merges into the wrapper's
  // Non-capturing groups add no depth in Go; deep ones must not overflow our stack either.
  assert.ok(compileRegex('(?:'.repeat(5000) + 'a' + ')'.repeat(5000)).test('a'));
  // Size: 3355443 instructions at most (128 MiB / 40 bytes).
  const big = (r: number) => 'b'.repeat(r) + 'c{1000}'.repeat(3355);
  assert.doesNotThrow(() => new FastRegexMatcher(big(441)));
  assert.throws(() => new FastRegexMatcher(big(442)), { message: `error parsing regexp: expression too large: \`^(?s:${big(442)})$\`` });
  assert.throws(() => new FastRegexMatcher(big(444)), { message: `error parsing regexp: expression too large: \`${big(444)}\`` });
});
