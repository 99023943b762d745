// Tests for Labels: construction, accessors, ordering as Prometheus orders, and hash stability.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Labels, LabelsBuilder, METRIC_NAME, compareLabels, compareStrings } from './labels.ts';
import { isValidUTF8 } from './validation.ts';

test('fromPairs sorts by name and drops empty values', () => {
  const l = Labels.fromPairs([
    ['job', 'api'],
    ['__name__', 'up'],
    ['empty', ''],
    ['instance', 'h:1'],
  ]);
  assert.deepEqual(l.toFlat(), ['__name__', 'up', 'instance', 'h:1', 'job', 'api']);
  assert.equal(l.length, 3);
  assert.equal(l.nameAt(1), 'instance');
  assert.equal(l.valueAt(1), 'h:1');
  assert.deepEqual(l.names(), ['__name__', 'instance', 'job']);
  assert.deepEqual(l.toRecord(), { __name__: 'up', instance: 'h:1', job: 'api' });
  assert.deepEqual([...l], [
    { name: '__name__', value: 'up' },
    { name: 'instance', value: 'h:1' },
    { name: 'job', value: 'api' },
  ]);
  assert.ok(Labels.fromPairs([['a', '']]).isEmpty());
  assert.ok(Labels.fromPairs([]).equals(Labels.EMPTY));
  assert.equal(Labels.fromSortedFlat([]), Labels.EMPTY);
});

test('fromPairs rejects duplicate names, even out of order', () => {
  assert.throws(() => Labels.fromPairs([['a', '1'], ['b', '2'], ['a', '3']]), { message: 'duplicate label name "a"' });
  // A duplicate whose value is empty is dropped first, so it is not a duplicate.
  assert.deepEqual(Labels.fromPairs([['a', '1'], ['a', '']]).toFlat(), ['a', '1']);
  assert.throws(() => Labels.fromStrings('a', '1', 'b'), /odd number/);
  assert.deepEqual(Labels.fromRecord({ b: '2', a: '1' }).toFlat(), ['a', '1', 'b', '2']);
  assert.deepEqual(Labels.fromStrings('b', '2', 'a', '1').toFlat(), ['a', '1', 'b', '2']);
});

test('names sort by UTF-8 bytes, not UTF-16 code units', () => {
  // U+FF5E is a single UTF-16 unit above the surrogates; 😀 (U+1F600) is a surrogate pair. In UTF-8, 😀 sorts last.
  const l = Labels.fromStrings('😀', '1', '～', '2', 'a', '3');
  assert.deepEqual(l.names(), ['a', '～', '😀']);
});

test('validateSorted explains what is wrong', () => {
  assert.equal(Labels.validateSorted(['a', '1', 'b', '2']), undefined);
  assert.equal(Labels.validateSorted(['a', '1', 'b']), 'odd number of label strings');
  assert.equal(Labels.validateSorted(['a', '1', 'a', '2']), 'duplicate label name "a"');
  assert.equal(Labels.validateSorted(['b', '1', 'a', '2']), 'labels not sorted: "b" before "a"');
});

test('get and has: absent and empty are the same', () => {
  const l = Labels.fromStrings(METRIC_NAME, 'up', 'job', 'api');
  assert.equal(l.get('job'), 'api');
  assert.equal(l.get('nope'), '');
  assert.ok(l.has('job'));
  assert.ok(!l.has('nope'));
  assert.equal(l.metricName(), 'up');
  assert.equal(Labels.EMPTY.metricName(), '');
});

test('without and keep return new sets, or the same one when nothing changes', () => {
  const l = Labels.fromStrings(METRIC_NAME, 'up', 'job', 'api', 'instance', 'h:1');
  assert.deepEqual(l.without('job').toFlat(), ['__name__', 'up', 'instance', 'h:1']);
  assert.deepEqual(l.withoutMetricName().toFlat(), ['instance', 'h:1', 'job', 'api']);
  assert.equal(l.without('nope'), l);
  assert.deepEqual(l.keep('job', 'nope').toFlat(), ['job', 'api']);
  assert.equal(l.keep(METRIC_NAME, 'job', 'instance'), l);
  assert.ok(l.keep().isEmpty());
  // The original is untouched.
  assert.equal(l.length, 3);
});

test('builder sets, deletes (also by empty value) and sorts', () => {
  const base = Labels.fromStrings('b', '2', 'a', '1');
  const b = base.builder().set('c', '3').set('a', '').del('b').set('0', 'zero');
  assert.equal(b.get('c'), '3');
  assert.equal(b.get('a'), '');
  assert.deepEqual(b.labels().toFlat(), ['0', 'zero', 'c', '3']);
  assert.deepEqual(base.toFlat(), ['a', '1', 'b', '2']);
  assert.deepEqual(new LabelsBuilder().labels(), Labels.EMPTY);
});

test('equals compares names and values', () => {
  assert.ok(Labels.fromStrings('a', '1').equals(Labels.fromStrings('a', '1')));
  assert.ok(!Labels.fromStrings('a', '1').equals(Labels.fromStrings('a', '2')));
  assert.ok(!Labels.fromStrings('a', '1').equals(Labels.fromStrings('a', '1', 'b', '2')));
});

test('compareLabels orders like Prometheus labels.Compare', () => {
  const sorted = [
    Labels.EMPTY,
    Labels.fromStrings('a', '1'),
    Labels.fromStrings('a', '1', 'b', '1'),
    Labels.fromStrings('a', '1', 'c', '0'),
    Labels.fromStrings('a', '2'),
    Labels.fromStrings('a', '😀'),
    Labels.fromStrings('b', '0'),
    Labels.fromStrings('😀', '0'),
  ];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = 0; j < sorted.length; j++) {
      const c = compareLabels(sorted[i]!, sorted[j]!);
      assert.equal(Math.sign(c), Math.sign(i - j), `${sorted[i]} vs ${sorted[j]}`);
    }
  }
  // Name before value: {a="2"} < {b="1"} even though "2" > "1".
  assert.ok(compareLabels(Labels.fromStrings('a', '2'), Labels.fromStrings('b', '1')) < 0);
  // A shorter set that is a prefix of a longer one sorts first.
  assert.ok(compareLabels(Labels.fromStrings('a', '1'), Labels.fromStrings('a', '1', 'b', '')) === 0);
});

test('compareStrings is UTF-8 byte order, including astral vs U+E000–U+FFFF', () => {
  const cases: [string, string, number][] = [
    ['', '', 0],
    ['', 'a', -1],
    ['a', 'b', -1],
    ['ab', 'a', 1],
    ['\ue000', '😀', -1], // EE 80 80 < F0 9F 98 80, though 0xE000 > 0xD83D in UTF-16
    ['\uffff', '\u{10000}', -1],
    ['😀', '\uffff', 1],
    ['\ud7ff', '😀', -1],
    ['😀', '😁', -1],
    ['a😀', 'a\uffee', 1],
    ['\u{10ffff}', '\u{10000}', 1],
    ['é', 'z', 1],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(Math.sign(compareStrings(a, b)), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(Math.sign(compareStrings(b, a)), want === 0 ? 0 : -want);
  }
});

test('property: compareStrings agrees with comparing UTF-8 bytes', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), (a, b) => {
      fc.pre(isValidUTF8(a) && isValidUTF8(b));
      assert.equal(Math.sign(compareStrings(a, b)), Buffer.compare(Buffer.from(a), Buffer.from(b)));
    }),
    { numRuns: 500 },
  );
  // Shared prefixes make the interesting comparisons (same lead unit, different trail).
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.constantFrom('\ue000', '\uffff', '😀', '😁', '\u{10000}', 'a', '\u07ff', '\u0800'),
      fc.constantFrom('\ue000', '\uffff', '😀', '😁', '\u{10000}', 'a', '\u07ff', '\u0800'),
      (p, x, y) => {
        fc.pre(isValidUTF8(p));
        assert.equal(Math.sign(compareStrings(p + x, p + y)), Buffer.compare(Buffer.from(p + x), Buffer.from(p + y)));
      },
    ),
  );
});

test('hash is stable across versions (values are pinned)', () => {
  // These values are used for sharding and must never change; update them only with a migration plan.
  const pinned: [Labels, bigint, number][] = [
    [Labels.EMPTY, 0xebb6c228cb72770fn, 6405929955391247],
    [Labels.fromStrings('__name__', 'up'), 0xf70d55fc83265676n, 3753717717685878],
    [Labels.fromStrings('__name__', 'up', 'job', 'api', 'instance', 'localhost:9090'), 0xd7a262e5d2b8ec01n, 671689175788545],
    [Labels.fromStrings('a', 'é😀'), 0x081428c4049d067cn, 5674321890313852],
  ];
  for (const [l, h, h53] of pinned) {
    assert.equal(l.hash(), h, l.toString());
    assert.equal(l.hash53(), h53, l.toString());
  }
});

test('hash separates strings and orders', () => {
  const h = (...nv: string[]) => Labels.fromSortedFlat(nv).hash();
  assert.notEqual(h('ab', 'c'), h('a', 'bc'));
  assert.notEqual(h('a', '1', 'b', '2'), h('a', '2', 'b', '1'));
  assert.notEqual(h('a', ''), h());
  assert.equal(Labels.fromStrings('b', '2', 'a', '1').hash(), Labels.fromStrings('a', '1', 'b', '2').hash());
});

test('property: hash53 is a safe integer equal to the hash folded to 53 bits', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string(), fc.string({ minLength: 1 })), { maxLength: 5 }), (pairs) => {
      const seen = new Set<string>();
      const unique = pairs.filter(([n]) => !seen.has(n) && seen.add(n));
      const l = Labels.fromPairs(unique);
      const h53 = l.hash53();
      assert.ok(Number.isSafeInteger(h53) && h53 >= 0 && h53 <= Number.MAX_SAFE_INTEGER);
      const h = l.hash();
      assert.equal(BigInt(h53), ((h >> 32n) & 0x1fffffn) * 0x100000000n + (h & 0xffffffffn));
      assert.equal(l.hash(), h); // deterministic
    }),
  );
});

test('toString prints like Prometheus Labels.String', () => {
  assert.equal(Labels.EMPTY.toString(), '{}');
  assert.equal(Labels.fromStrings('job', 'api', '__name__', 'up').toString(), '{__name__="up", job="api"}');
  assert.equal(Labels.fromStrings('a', 'x"y\\z').toString(), '{a="x\\"y\\\\z"}');
  assert.equal(Labels.fromStrings('a', 'line\nnext\ttab\x01').toString(), '{a="line\\nnext\\ttab\\x01"}');
  assert.equal(Labels.fromStrings('a', 'é😀').toString(), '{a="é😀"}');
  assert.equal(Labels.fromStrings('a', '\u00a0\u200b').toString(), '{a="\\u00a0\\u200b"}');
  // Names that are not legacy names are quoted (Prometheus 3).
  assert.equal(Labels.fromStrings('my.name', '1', 'ok_1', '2').toString(), '{"my.name"="1", ok_1="2"}');
});
