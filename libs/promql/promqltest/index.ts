// Public face of the PromQL test-script runner (Prometheus' promqltest format): parse scripts,
// run them against an engine over a TSDB head, and report passed/failed/skipped cases.
export { parseScript, parseDuration, ExpectType, isFail, isOrdered } from './script.ts';
export type { Script, Command, LoadCmd, ClearCmd, EvalCmd, ExpectLine, ExpectedSeries, LoadSeries, ScriptError } from './script.ts';
export { parseSeriesDesc, parseMetric, SeriesDescError } from './series_desc.ts';
export type { SequenceValue, SeriesDesc } from './series_desc.ts';
export { almostEqual, DEFAULT_EPSILON } from './almost.ts';
export { compareResult, checkAnnotations, checkExpectedFailure } from './compare.ts';
export { runScript, totals, SkipReason, EXPERIMENTAL_FILES } from './runner.ts';
export type { RunOptions, TestEngine, TestParser, TestQuery, FileReport, CaseResult, CaseStatus, RunReport } from './runner.ts';
export { formatReport, toJSONReport } from './report.ts';
export type { JSONReport, CaseCounts } from './report.ts';
export { runFiles, expandTestPaths } from './files.ts';
export { createRunOptions } from './defaults.ts';
export { promqlTestDataDir } from './testdata.ts';
