// Where Prometheus' PromQL test scripts are: $STRATA_PROMQL_TESTDATA, else ../shared/promql-testdata
// beside the repository (the project's layout), else the workplace's shared folder.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function promqlTestDataDir(): string {
  const candidates = [
    process.env['STRATA_PROMQL_TESTDATA'],
    resolve(REPO_ROOT, '../shared/promql-testdata'),
    '/work/shared/promql-testdata',
  ].filter((c): c is string => c !== undefined && c !== '');
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}
