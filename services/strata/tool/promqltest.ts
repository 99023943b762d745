// `strata tool promqltest [FILE|DIR...] [--json] [--enable-experimental]`: runs PromQL test
// scripts (Prometheus' promqltest format) against Strata's engine; exit 1 on any failed case.
import { parseArgs } from 'node:util';
import type { RunOptions } from '../../../libs/promql/promqltest/index.ts';
import type { ToolCommand, ToolIO } from './types.ts';

const USAGE = 'strata tool promqltest [FILE|DIR...] [--json] [--enable-experimental]';

/** Where the default test data is (../shared/promql-testdata beside the repository); loaded lazily. */
async function defaultTestData(): Promise<string> {
  const { promqlTestDataDir } = await import('../../../libs/promql/promqltest/index.ts');
  return promqlTestDataDir();
}

export type RunOptionsFactory = (o: { enableExperimental: boolean }) => Promise<RunOptions>;

const defaultRunOptions: RunOptionsFactory = async (o) => {
  const { createRunOptions } = await import('../../../libs/promql/promqltest/index.ts');
  return createRunOptions(o);
};

/** The command body, with the engine injectable for tests. */
export async function runPromqltest(args: readonly string[], io: ToolIO, makeOptions: RunOptionsFactory = defaultRunOptions): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean' }, 'enable-experimental': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\nusage: ${USAGE}\n`);
    return 1;
  }
  if (parsed.values.help) {
    io.stdout(
      `usage: ${USAGE}\n\nRuns every eval of the given test scripts (default: ${await defaultTestData()}).\n` +
        'Prints per file the passed, failed and skipped cases, each failure with file:line, query and diff;\n' +
        'with --json one object {"files":{name:{passed,failed,skipped}},"passed","failed","skipped"}.\n' +
        'Exit status 1 when any case failed.\n',
    );
    return 0;
  }
  const paths = parsed.positionals.length > 0 ? parsed.positionals : [await defaultTestData()];
  const { runFiles, formatReport, toJSONReport } = await import('../../../libs/promql/promqltest/index.ts');
  let report;
  try {
    report = await runFiles(paths, await makeOptions({ enableExperimental: parsed.values['enable-experimental'] === true }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
      io.stderr(`error: cannot read ${JSON.stringify(err.path ?? '')}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}\n`);
      return 1;
    }
    throw e;
  }
  if (report.files.length === 0) {
    io.stderr(`error: no test files (*.test) in ${paths.map((p) => JSON.stringify(p)).join(', ')}\n`);
    return 1;
  }
  io.stdout(parsed.values.json ? `${JSON.stringify(toJSONReport(report))}\n` : formatReport(report));
  return report.failed > 0 ? 1 : 0;
}

export const promqltest: ToolCommand = {
  name: 'promqltest',
  summary: 'Run PromQL test scripts (promqltest format) against the engine; --json for counts.',
  run: (args, io) => runPromqltest(args, io),
};
