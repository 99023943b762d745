import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, toJSONReport } from './report.ts';
import { SkipReason, totals, type FileReport } from './runner.ts';

const files: FileReport[] = [
  {
    name: '/data/promql-testdata/operators.test',
    passed: 2,
    failed: 1,
    skipped: 1,
    cases: [
      { line: 3, expr: 'foo + 1', status: 'passed' },
      {
        line: 7,
        expr: 'foo * 2',
        status: 'failed',
        message: 'expected 4 for {__name__="foo"} but got 3',
        diff: ['- {__name__="foo"} 4', '+ {__name__="foo"} 3'],
      },
      { line: 9, expr: 'h', status: 'skipped', reason: SkipReason.NativeHistograms },
      { line: 12, expr: 'bar', status: 'passed' },
    ],
  },
  { name: 'rel/info.test', passed: 0, failed: 0, skipped: 2, cases: [] },
];

describe('reports', () => {
  it('renders the JSON contract with exactly its keys', () => {
    const j = toJSONReport(totals(files));
    assert.deepEqual(JSON.parse(JSON.stringify(j)), {
      files: {
        'operators.test': { passed: 2, failed: 1, skipped: 1 },
        'info.test': { passed: 0, failed: 0, skipped: 2 },
      },
      passed: 2,
      failed: 1,
      skipped: 3,
    });
    assert.deepEqual(Object.keys(j), ['files', 'passed', 'failed', 'skipped']);
  });

  it('lists failures with file:line, query, message and diff, and skips with their reason', () => {
    const text = formatReport(totals(files));
    assert.equal(
      text,
      [
        'operators.test: 2 passed, 1 failed, 1 skipped',
        '  FAIL operators.test:7: foo * 2',
        '      expected 4 for {__name__="foo"} but got 3',
        '      diff (- expected, + got):',
        '        - {__name__="foo"} 4',
        '        + {__name__="foo"} 3',
        '  SKIP operators.test:9: h (native histograms)',
        'info.test: 0 passed, 0 failed, 2 skipped',
        'total: 2 passed, 1 failed, 3 skipped',
        '',
      ].join('\n'),
    );
  });
});
