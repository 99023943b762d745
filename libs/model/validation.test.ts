// Tests for metric/label name validation and per-series label checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Labels } from './labels.ts';
import {
  LabelsDiscardReason,
  NameValidationScheme,
  isValidLabelName,
  isValidMetricName,
  isValidUTF8,
  isValidUTF8Name,
  validateLabels,
  validateLabelsDetailed,
} from './validation.ts';

test('legacy metric names: [a-zA-Z_:][a-zA-Z0-9_:]*', () => {
  for (const ok of ['up', 'a', '_', ':', 'http_requests_total', 'job:rate5m:sum', 'A9', '__name__']) assert.ok(isValidMetricName(ok), ok);
  for (const bad of ['', '9up', 'a-b', 'a.b', 'a b', 'é', 'a\n', '😀']) assert.ok(!isValidMetricName(bad), bad);
});

test('legacy label names: [a-zA-Z_][a-zA-Z0-9_]*', () => {
  for (const ok of ['job', '_', '__name__', 'a1', 'Z_9']) assert.ok(isValidLabelName(ok), ok);
  for (const bad of ['', '1a', 'a:b', 'a-b', 'a.b', 'é']) assert.ok(!isValidLabelName(bad), bad);
});

test('property: legacy checks agree with the regular expressions', () => {
  const metric = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const label = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
  const s = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 6 }), fc.string({ maxLength: 4 }));
  fc.assert(
    fc.property(s, (x) => {
      assert.equal(isValidMetricName(x), metric.test(x));
      assert.equal(isValidLabelName(x), label.test(x));
    }),
    { numRuns: 2000 },
  );
});

test('UTF-8 names: any non-empty well-formed string', () => {
  for (const ok of ['up', 'a.b', 'http.server.duration', 'é', '😀', ' ', '9']) assert.ok(isValidUTF8Name(ok), ok);
  for (const bad of ['', '\ud800', 'a\udc00', '\ud83d', 'x\ud83dy']) assert.ok(!isValidUTF8Name(bad), JSON.stringify(bad));
  assert.ok(isValidUTF8(''));
  assert.ok(isValidUTF8('a😀b'));
  assert.ok(!isValidUTF8('\ude00\ud83d'));
});

const E = (s: string) => s; // readability: expected messages below are Mimir's, verbatim

test('validateLabels accepts good series', () => {
  assert.equal(validateLabels(Labels.fromStrings('__name__', 'up', 'job', 'api')), undefined);
  assert.equal(validateLabels(['__name__', 'up', 'instance', 'h:1', 'job', 'api']), undefined);
  assert.equal(validateLabels(['__name__', 'http.requests', 'service.name', 'x'], { scheme: NameValidationScheme.UTF8 }), undefined);
  assert.equal(validateLabels(['job', 'x'], { requireMetricName: false }), undefined);
  // Empty values are allowed on the wire: they mean "absent" and are dropped when Labels are built.
  assert.equal(validateLabels(['__name__', 'up', 'job', '']), undefined);
});

test('validateLabels reports problems in Mimir wording', () => {
  const cases: [readonly string[], LabelsDiscardReason, string, NameValidationScheme?][] = [
    [['job', 'x'], LabelsDiscardReason.MissingMetricName, E('received series has no metric name (err-mimir-missing-metric-name)')],
    [['__name__', '', 'job', 'x'], LabelsDiscardReason.MissingMetricName, E('received series has no metric name (err-mimir-missing-metric-name)')],
    [
      ['__name__', 'http.requests'],
      LabelsDiscardReason.InvalidMetricName,
      E("received a series with invalid metric name: 'http.requests' (err-mimir-metric-name-invalid)"),
    ],
    [
      ['__name__', 'up', 'service.name', 'x'],
      LabelsDiscardReason.InvalidLabel,
      E(`received a series with an invalid label: 'service.name' series: '{__name__="up", "service.name"="x"}' (err-mimir-label-invalid)`),
    ],
    [
      ['__name__', 'up', '', 'x'],
      LabelsDiscardReason.InvalidLabel,
      E(`received a series with an invalid label: '' series: '{__name__="up", ""="x"}' (err-mimir-label-invalid)`),
      NameValidationScheme.UTF8,
    ],
    [
      ['__name__', 'up', 'job', 'a', 'job', 'b'],
      LabelsDiscardReason.DuplicateLabelNames,
      E(`received a series with duplicate label name, label: 'job' series: '{__name__="up", job="a", job="b"}' (err-mimir-duplicate-label-names)`),
    ],
    [
      ['__name__', 'up', 'job', 'a', 'instance', 'b'],
      LabelsDiscardReason.LabelsNotSorted,
      E(
        `received a series where the label names are not alphabetically sorted, label: 'instance' series: '{__name__="up", job="a", instance="b"}' (err-mimir-labels-not-sorted)`,
      ),
    ],
    [
      ['__name__', 'up', 'job', 'a\ud800b'],
      LabelsDiscardReason.InvalidLabelValue,
      E(`received a series with invalid value in label 'job': 'ab' metric: 'up' (err-mimir-label-value-invalid)`),
    ],
  ];
  for (const [flat, reason, message, scheme] of cases) {
    const got = validateLabelsDetailed(flat, scheme ? { scheme } : {});
    assert.deepEqual(got, { reason, message }, JSON.stringify(flat));
    assert.equal(validateLabels(flat, scheme ? { scheme } : {}), message);
  }
});

test('validateLabels truncates long names like Go %.200s', () => {
  const long = 'x'.repeat(300) + '.';
  const msg = validateLabels(['__name__', long])!;
  assert.equal(msg, `received a series with invalid metric name: '${'x'.repeat(200)}' (err-mimir-metric-name-invalid)`);
});

test('validateLabels rejects an odd number of strings as a caller bug', () => {
  assert.throws(() => validateLabels(['__name__']), /odd number/);
});

test('validateLabels enforces label count and UTF-8 byte lengths when given limits', () => {
  const opts = { maxLabelNames: 3, maxLabelNameLength: 8, maxLabelValueLength: 4 };
  assert.equal(validateLabels(['__name__', 'up', 'job', 'abcd'], opts), undefined);
  assert.deepEqual(validateLabelsDetailed(['__name__', 'up', 'a', '1', 'b', '2', 'c', '3'], opts), {
    reason: LabelsDiscardReason.MaxLabelNamesPerSeries,
    message: `received a series whose number of labels exceeds the limit (actual: 4, limit: 3) series: '{__name__="up", a="1", b="2", c="3"}' (err-mimir-max-label-names-per-series)`,
  });
  assert.deepEqual(validateLabelsDetailed(['__name__', 'up', 'instances', 'x'], opts), {
    reason: LabelsDiscardReason.LabelNameTooLong,
    message: `received a series whose label name length exceeds the limit, label: 'instances' series: '{__name__="up", instances="x"}' (err-mimir-label-name-too-long)`,
  });
  // 'äää' is 3 characters but 6 bytes: Mimir counts bytes.
  assert.equal(validateLabelsDetailed(['__name__', 'up', 'job', 'ää'], opts), undefined);
  assert.deepEqual(validateLabelsDetailed(['__name__', 'up', 'job', 'äää'], opts), {
    reason: LabelsDiscardReason.LabelValueTooLong,
    message: `received a series whose label value length exceeds the limit, value: 'äää' (truncated) series: '{__name__="up", job="äää"}' (err-mimir-label-value-too-long)`,
  });
  assert.equal(validateLabels(['__name__', 'up', 'a', '1', 'b', '2', 'c', '3']), undefined, 'no limits by default');
});
