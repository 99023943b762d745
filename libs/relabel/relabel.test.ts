// Table tests of every relabel action, Prometheus' validation errors, and properties of the rules.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Labels } from '../model/index.ts';
import { RelabelConfigError, expandTemplate, hashMod, newRelabelConfigs, relabel, relabelConfigsSchema } from './index.ts';
import type { RelabelConfigInput } from './index.ts';

const L = (rec: Record<string, string>): Labels => Labels.fromRecord(rec);

interface Case {
  name: string;
  input: Record<string, string>;
  configs: RelabelConfigInput[];
  want: Record<string, string> | undefined; // undefined: dropped
}

const cases: Case[] = [
  {
    name: 'replace: default regex copies the joined source values',
    input: { a: 'foo', b: 'bar' },
    configs: [{ source_labels: ['a', 'b'], target_label: 'c' }],
    want: { a: 'foo', b: 'bar', c: 'foo;bar' },
  },
  {
    name: 'replace: capture groups and custom separator',
    input: { a: 'foo', b: 'bar' },
    configs: [{ source_labels: ['a', 'b'], separator: '-', regex: 'f(.*)-(b.*)', replacement: '${2}_$1', target_label: 'c' }],
    want: { a: 'foo', b: 'bar', c: 'bar_oo' },
  },
  {
    name: 'replace: the well-known host:port → host example',
    input: { __address__: '10.0.0.1:9100' },
    configs: [{ source_labels: ['__address__'], regex: '([^:]+):\\d+', target_label: 'instance' }],
    want: { __address__: '10.0.0.1:9100', instance: '10.0.0.1' },
  },
  {
    name: 'replace: regex is fully anchored, no match leaves labels unchanged',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: 'o', replacement: 'x', target_label: 'b' }],
    want: { a: 'foo' },
  },
  {
    name: 'replace: $1x names a group "1x", which expands empty and removes the target',
    input: { a: 'foo', b: 'keep' },
    configs: [{ source_labels: ['a'], regex: '(f.*)', replacement: '$1x', target_label: 'b' }],
    want: { a: 'foo' },
  },
  {
    name: 'replace: named group and $$',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: '(?P<first>f)(o+)', replacement: '$$${first}-$2', target_label: 'b' }],
    want: { a: 'foo', b: '$f-oo' },
  },
  {
    name: 'replace: target label from a template',
    input: { a: 'some-name-value' },
    configs: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', target_label: '${1}' }],
    want: { a: 'some-name-value', name: 'value' },
  },
  {
    name: 'replace: template giving an invalid name is skipped',
    input: { a: 'some-9x-value' },
    configs: [{ source_labels: ['a'], regex: 'some-([^-]+)-(.+)', replacement: '$2', target_label: '$1' }],
    want: { a: 'some-9x-value' },
  },
  {
    name: 'replace: empty replacement removes the target',
    input: { a: 'foo', b: 'bar' },
    configs: [{ source_labels: ['a'], replacement: '', target_label: 'b' }],
    want: { a: 'foo' },
  },
  {
    name: 'replace: missing source labels join as empty strings; . matches newline',
    input: { a: 'x\ny' },
    configs: [{ source_labels: ['a', 'missing'], regex: 'x.y;', replacement: 'ok', target_label: 'b' }],
    want: { a: 'x\ny', b: 'ok' },
  },
  {
    name: 'replace: static value without source labels',
    input: { a: 'foo' },
    configs: [{ target_label: 'env', replacement: 'prod' }],
    want: { a: 'foo', env: 'prod' },
  },
  {
    name: 'keep: matching series kept',
    input: { job: 'node' },
    configs: [{ source_labels: ['job'], regex: 'node|api', action: 'keep' }],
    want: { job: 'node' },
  },
  {
    name: 'keep: non-matching series dropped',
    input: { job: 'nodes' },
    configs: [{ source_labels: ['job'], regex: 'node|api', action: 'keep' }],
    want: undefined,
  },
  {
    name: 'drop: matching series dropped (action is case-insensitive)',
    input: { __name__: 'go_gc_duration_seconds' },
    configs: [{ source_labels: ['__name__'], regex: 'go_.*', action: 'DROP' }],
    want: undefined,
  },
  {
    name: 'drop: non-matching series kept',
    input: { __name__: 'up' },
    configs: [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }],
    want: { __name__: 'up' },
  },
  {
    name: 'keepequal: equal kept',
    input: { a: '1', b: '1' },
    configs: [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }],
    want: { a: '1', b: '1' },
  },
  {
    name: 'keepequal: different dropped',
    input: { a: '1', b: '2' },
    configs: [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }],
    want: undefined,
  },
  {
    name: 'dropequal: equal dropped, missing target equals empty source',
    input: { c: 'x' },
    configs: [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }],
    want: undefined,
  },
  {
    name: 'dropequal: different kept',
    input: { a: '1', b: '2' },
    configs: [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }],
    want: { a: '1', b: '2' },
  },
  {
    // md5("foo") = acbd18db4cc2f85c edef654fccc4a4d8; 0xedef654fccc4a4d8 % 1000 = 696 (md5sum + python).
    name: 'hashmod: md5 low 8 bytes mod modulus',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], modulus: 1000, target_label: '__tmp_hash', action: 'hashmod' }],
    want: { a: 'foo', __tmp_hash: '696' },
  },
  {
    // md5("10.0.0.1:9100") low half 0x4cfeac4083628b3d % 8 = 5: the sharding example with keep.
    name: 'hashmod + keep: sharding',
    input: { __address__: '10.0.0.1:9100' },
    configs: [
      { source_labels: ['__address__'], modulus: 8, target_label: '__tmp_hash', action: 'hashmod' },
      { source_labels: ['__tmp_hash'], regex: '5', action: 'keep' },
    ],
    want: { __address__: '10.0.0.1:9100', __tmp_hash: '5' },
  },
  {
    name: 'labelmap: the Kubernetes label example',
    input: { __meta_kubernetes_pod_label_app: 'web', __meta_kubernetes_pod_label_tier: 'fe', job: 'k' },
    configs: [{ regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' }],
    want: {
      __meta_kubernetes_pod_label_app: 'web',
      __meta_kubernetes_pod_label_tier: 'fe',
      app: 'web',
      tier: 'fe',
      job: 'k',
    },
  },
  {
    name: 'labelmap: custom replacement overwrites an existing label',
    input: { foo: 'bar', __meta_x: 'y' },
    configs: [{ regex: '__meta_(.+)', replacement: 'm_${1}', action: 'labelmap' }, { regex: 'foo', replacement: '__meta_x', action: 'labelmap' }],
    want: { foo: 'bar', __meta_x: 'bar', m_x: 'y' },
  },
  {
    name: 'labeldrop: names matching the regex removed',
    input: { a: '1', b1: '2', b2: '3' },
    configs: [{ regex: 'b.', action: 'labeldrop' }],
    want: { a: '1' },
  },
  {
    name: 'labelkeep: names not matching the regex removed',
    input: { a: '1', b1: '2', b2: '3', __name__: 'up' },
    configs: [{ regex: 'b.|__name__', action: 'labelkeep' }],
    want: { b1: '2', b2: '3', __name__: 'up' },
  },
  {
    name: 'lowercase',
    input: { a: 'FoO', b: 'Bar' },
    configs: [{ source_labels: ['a', 'b'], target_label: 'c', action: 'lowercase' }],
    want: { a: 'FoO', b: 'Bar', c: 'foo;bar' },
  },
  {
    name: 'uppercase (ß has no single-rune upper case, kept as Go does)',
    input: { a: 'straße' },
    configs: [{ source_labels: ['a'], target_label: 'a', action: 'uppercase' }],
    want: { a: 'STRAßE' },
  },
  {
    name: 'configs apply in order',
    input: { a: 'x' },
    configs: [
      { source_labels: ['a'], target_label: 'b' },
      { source_labels: ['b'], regex: 'x', replacement: 'y', target_label: 'a' },
      { regex: 'b', action: 'labeldrop' },
    ],
    want: { a: 'y' },
  },
];

for (const c of cases) {
  test(`relabel: ${c.name}`, () => {
    const got = relabel(L(c.input), newRelabelConfigs(c.configs));
    if (c.want === undefined) assert.equal(got, undefined);
    else {
      assert.ok(got, 'series was dropped');
      assert.deepEqual(got.toFlat(), L(c.want).toFlat());
    }
  });
}

test('hashMod matches independently computed md5 values', () => {
  // Last 8 bytes of md5 as big-endian uint64, computed with md5sum and python.
  assert.equal(hashMod('foo', 1000), 696n);
  assert.equal(hashMod('a;b', 1000), 74n);
  assert.equal(hashMod('', 1000), 958n);
  assert.equal(hashMod('', 8), 6n);
  assert.equal(hashMod('foo', 2 ** 53), 0xedef654fccc4a4d8n % 2n ** 53n);
});

test('expandTemplate follows Go regexp Expand', () => {
  const m = ['ab', 'a', 'b'];
  const names = ['', 'x', ''];
  assert.equal(expandTemplate('$1-${2}', m, names), 'a-b');
  assert.equal(expandTemplate('$x$2', m, names), 'ab');
  assert.equal(expandTemplate('$3|$01|$1_|${1}_', m, names), '|||a_');
  assert.equal(expandTemplate('${1', m, names), '${1');
  assert.equal(expandTemplate('$ $', m, names), '$ $');
  assert.equal(expandTemplate('$$1', m, names), '$1');
  assert.equal(expandTemplate('${x}', m, names), 'a');
});

const errorCases: [string, RelabelConfigInput, string][] = [
  ['unknown action', { action: 'nope' }, 'unknown relabel action "nope"'],
  ['hashmod without modulus', { action: 'hashmod', target_label: 'a' }, 'relabel configuration for hashmod requires non-zero modulus'],
  ['replace without target', { source_labels: ['a'] }, "relabel configuration for replace action requires 'target_label' value"],
  ['lowercase without target', { action: 'lowercase' }, "relabel configuration for lowercase action requires 'target_label' value"],
  ['keepequal without target', { action: 'keepequal', source_labels: ['a'] }, "relabel configuration for keepequal action requires 'target_label' value"],
  ['invalid replace target', { target_label: '1a' }, `"1a" is invalid 'target_label' for replace action`],
  ['invalid hashmod target', { action: 'hashmod', modulus: 2, target_label: '${1}' }, `"\${1}" is invalid 'target_label' for hashmod action`],
  ['template in uppercase target', { action: 'uppercase', target_label: '$1' }, `"$1" is invalid 'target_label' for uppercase action`],
  ['replacement for lowercase', { action: 'lowercase', target_label: 'a', replacement: 'x' }, "'replacement' can not be set for lowercase action"],
  ['invalid labelmap replacement', { action: 'labelmap', replacement: 'a-b' }, `"a-b" is invalid 'replacement' for labelmap action`],
  [
    'dropequal with regex',
    { action: 'dropequal', source_labels: ['a'], target_label: 'b', regex: 'x' },
    "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
  ],
  ['labeldrop with source_labels', { action: 'labeldrop', source_labels: ['a'], regex: 'x' }, "labeldrop action requires only 'regex', and no other fields"],
  ['labelkeep with target', { action: 'labelkeep', target_label: 'a' }, "labelkeep action requires only 'regex', and no other fields"],
  ['invalid source label', { source_labels: ['a-b'], target_label: 'c' }, '"a-b" is not a valid label name'],
  ['invalid regex', { regex: '(a', target_label: 'c' }, 'error parsing regexp: missing closing ): `(a`'],
];

for (const [name, cfg, msg] of errorCases) {
  test(`validation: ${name}`, () => {
    assert.throws(() => newRelabelConfigs([cfg]), (err: unknown) => err instanceof RelabelConfigError && err.message === msg);
  });
}

test('zod schema parses snake_case YAML keys and reports Prometheus messages', () => {
  const ok = relabelConfigsSchema.parse([{ source_labels: ['a'], target_label: 'b', regex: '(.)(.*)', replacement: '$2' }]);
  assert.deepEqual(relabel(L({ a: 'xyz' }), ok)?.toFlat(), ['a', 'xyz', 'b', 'yz']);
  const bad = relabelConfigsSchema.safeParse([{ action: 'hashmod', target_label: 'a' }]);
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0]!.message, /requires non-zero modulus/);
  assert.equal(relabelConfigsSchema.safeParse([{ sourceLabels: ['a'] }]).success, false);
});

const labelsArb = fc
  .dictionary(fc.stringMatching(/^[a-c_][a-c_0-9]{0,3}$/), fc.string({ maxLength: 4 }), { maxKeys: 6 })
  .map((r) => L(r));
const regexArb = fc.constantFrom('a.*', '.*1', '_+', 'b|c0', '', '[a-b]_?', '.+');

test('property: keep and drop with the same regex are complementary', () => {
  fc.assert(
    fc.property(labelsArb, regexArb, (ls, re) => {
      const names = ls.names().slice(0, 2);
      const kept = relabel(ls, newRelabelConfigs([{ source_labels: names, regex: re, action: 'keep' }]));
      const dropped = relabel(ls, newRelabelConfigs([{ source_labels: names, regex: re, action: 'drop' }]));
      assert.equal(kept === undefined, dropped !== undefined);
    }),
  );
});

test('property: labelkeep and labeldrop with the same regex partition the labels', () => {
  fc.assert(
    fc.property(labelsArb, regexArb, (ls, re) => {
      const k = relabel(ls, newRelabelConfigs([{ regex: re, action: 'labelkeep' }]))!;
      const d = relabel(ls, newRelabelConfigs([{ regex: re, action: 'labeldrop' }]))!;
      assert.equal(k.length + d.length, ls.length);
      const merged = Labels.fromPairs([...k, ...d].map((l) => [l.name, l.value] as const));
      assert.ok(merged.equals(ls));
    }),
  );
});

test('property: replace copying a label onto itself is the identity', () => {
  fc.assert(
    fc.property(labelsArb, (ls) => {
      for (const n of ls.names()) {
        const got = relabel(ls, newRelabelConfigs([{ source_labels: [n], target_label: n }]))!;
        assert.ok(got.equals(ls));
      }
      assert.ok(relabel(ls, [])!.equals(ls));
    }),
  );
});
