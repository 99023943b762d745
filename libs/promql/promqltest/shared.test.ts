// Runs Prometheus' PromQL test scripts (../shared/promql-testdata beside the repository) against
// Strata's engine. Every file's counts are printed; a file listed in ENFORCED_FILES must have no
// failed case. Add a file here once it passes completely, so it can never regress.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createRunOptions } from './defaults.ts';
import { formatReport } from './report.ts';
import { runScript, SkipReason, totals } from './runner.ts';
import { promqlTestDataDir } from './testdata.ts';

/** Files (base names) that must pass with zero failed cases. */
const ENFORCED_FILES: readonly string[] = [
  'aggregators.test', 'at_modifier.test', 'collision.test', 'functions.test', 'histograms.test', 'limit.test',
  'literals.test', 'name_label_dropping.test', 'native_histograms.test', 'operators.test', 'range_queries.test',
  'selectors.test', 'staleness.test', 'subquery.test', 'trig_functions.test',
  // Experimental files: every case is skipped ("experimental feature") unless enabled.
  'duration_expression.test', 'extended_vectors.test', 'fill-modifier.test', 'info.test', 'start_timestamps.test',
  'type_and_unit.test',
];

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TESTDATA = promqlTestDataDir() + '/';

describe('PromQL test scripts (shared test data)', () => {
  it('finds the shared test data beside the repository', () => {
    assert.ok(
      existsSync(TESTDATA),
      `PromQL test data not found at ${TESTDATA}: it is expected at ../shared/promql-testdata relative to the repository root ${REPO_ROOT}`,
    );
    const files = readdirSync(TESTDATA).filter((f) => f.endsWith('.test'));
    for (const f of ENFORCED_FILES) assert.ok(files.includes(f), `ENFORCED_FILES names ${f}, which is not in ${TESTDATA}`);
  });

  if (!existsSync(TESTDATA)) return;
  for (const file of readdirSync(TESTDATA).filter((f) => f.endsWith('.test')).sort()) {
    it(file, async (t) => {
      const report = await runScript(file, readFileSync(TESTDATA + file, 'utf8'), createRunOptions());
      t.diagnostic(`${file}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped${ENFORCED_FILES.includes(file) ? '' : ' (not enforced)'}`);
      for (const c of report.cases) {
        if (c.status === 'skipped') assert.ok(c.reason === SkipReason.NativeHistograms || c.reason === SkipReason.ExperimentalFeature);
      }
      if (ENFORCED_FILES.includes(file)) assert.equal(report.failed, 0, formatReport(totals([report])));
    });
  }
});
