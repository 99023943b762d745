// Parses a PromQL test script (Prometheus' promqltest format) into load, clear and eval commands.
// Unlike Prometheus, a malformed command does not abort the file: it becomes a command with an
// `error`, so one bad block costs one failed case and the rest of the file still runs.

import { compileRegex, type Labels } from '../../model/index.ts';
import { parseNumber, unquote } from './numbers.ts';
import { parseMetric, parseSeriesDesc, SeriesDescError, type SequenceValue } from './series_desc.ts';

export const ExpectType = {
  Ordered: 'ordered',
  Fail: 'fail',
  Warn: 'warn',
  NoWarn: 'no_warn',
  Info: 'info',
  NoInfo: 'no_info',
} as const;
export type ExpectType = (typeof ExpectType)[keyof typeof ExpectType];

/** One `expect <type> [msg|regex: <text>]` line. Without msg/regex any message matches. */
export interface ExpectLine {
  type: ExpectType;
  /** Exact message for `msg:`. */
  message?: string;
  /** Unanchored pattern for `regex:` (RE2 syntax). */
  regex?: RegExp;
  /** The pattern or message as written, for reports. */
  text: string;
}

export interface LoadSeries {
  labels: Labels;
  values: SequenceValue[];
  /** The series had an `@st` line (start timestamps, an experimental feature). */
  hasStartTimestamps: boolean;
}

export interface LoadCmd {
  kind: 'load';
  line: number;
  /** Interval between points, ms. */
  interval: number;
  /** `load_with_nhcb`: classic histograms are also loaded as native histograms with custom buckets. */
  withNHCB: boolean;
  /** Later definitions of the same series replace earlier ones, as in Prometheus. */
  series: LoadSeries[];
  error?: string;
}

export interface ClearCmd {
  kind: 'clear';
  line: number;
}

export interface ExpectedSeries {
  labels: Labels;
  /** 1-based position among the expected series (for `expect ordered`). */
  pos: number;
  values: SequenceValue[];
}

export interface EvalCmd {
  kind: 'eval';
  /** 1-based line of the `eval` command. */
  line: number;
  expr: string;
  isRange: boolean;
  /** Instant queries: evaluation time. Range queries (and `expect range vector`): the expected points' grid. */
  evalTime: number;
  start: number;
  end: number;
  step: number;
  /** Old spellings: eval_fail, eval_warn, eval_info, eval_ordered. */
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  expectedFailMessage?: string;
  expectedFailRegexp?: RegExp;
  expects: Record<ExpectType, ExpectLine[]>;
  /** The expectation is one scalar (a bare number line). */
  expectScalar: boolean;
  /** Keyed by `labels.toString()`; a scalar expectation has key ''. */
  expected: Map<string, ExpectedSeries>;
  /** `expect string`; '' when not given (Prometheus compares against the empty string). */
  expectedString: string;
  /** `expect range vector` was given. */
  expectRangeVector: boolean;
  /** Results are not re-checked in range mode (range-vector and string results). */
  excludeFromRangeQuery: boolean;
  /** Why the block is malformed; the case then fails without running. */
  error?: string;
}

export type Command = LoadCmd | ClearCmd | EvalCmd;

export interface ScriptError {
  line: number;
  message: string;
}

export interface Script {
  commands: Command[];
  /** Lines that are no command at all. */
  errors: ScriptError[];
}

const PAT_SPACE = /[\t ]+/;
const PAT_LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const PAT_EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const PAT_EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const PAT_EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const RANGE_VECTOR_PREFIX = 'expect range vector';
const PAT_EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;
const EXPECT_STRING_PREFIX = 'expect string';

const UNIT_MS: Record<string, number> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const PAT_DURATION = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;

/**
 * A time or duration as the scripts write it, in ms: Prometheus durations (`1m`, `1h30m`,
 * `20s500ms`, `0`) or a plain number of seconds (`100`, `1.5`). Undefined when invalid.
 */
export function parseDuration(s: string): number | undefined {
  if (/^[0-9]+(?:\.[0-9]+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const m = PAT_DURATION.exec(s);
  if (!m || s === '') return undefined;
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let ms = 0;
  for (let i = 0; i < units.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[units[i]!]!;
  return ms;
}

/** Trimmed lines, comments blanked (Prometheus' getLines). */
function getLines(input: string): string[] {
  return input.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
}

class ParseError extends Error {}

export function parseScript(input: string): Script {
  const lines = getLines(input);
  const commands: Command[] = [];
  const errors: ScriptError[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const c = l.split(PAT_SPACE, 1)[0]!.toLowerCase();
    if (c === 'clear') {
      commands.push({ kind: 'clear', line: i + 1 });
    } else if (c.startsWith('load')) {
      const r = parseLoad(lines, i);
      commands.push(r.cmd);
      i = r.next;
    } else if (c.startsWith('eval')) {
      const r = parseEval(lines, i);
      commands.push(r.cmd);
      i = r.next;
    } else {
      errors.push({ line: i + 1, message: `invalid command ${JSON.stringify(l)}` });
      i = skipBlock(lines, i);
    }
  }
  return { commands, errors };
}

/** Index of the last line of the block starting at i (the line before the next blank one). */
function skipBlock(lines: string[], i: number): number {
  while (i + 1 < lines.length && lines[i + 1] !== '') i++;
  return i;
}

function parseLoad(lines: string[], i: number): { cmd: LoadCmd; next: number } {
  const cmd: LoadCmd = { kind: 'load', line: i + 1, interval: 0, withNHCB: false, series: [] };
  const fail = (msg: string, at: number): { cmd: LoadCmd; next: number } => {
    cmd.error = `line ${at + 1}: ${msg}`;
    return { cmd, next: skipBlock(lines, i) };
  };
  const m = PAT_LOAD.exec(lines[i]!);
  if (!m) return fail('invalid load command. (load[_with_nhcb] <step:duration>)', i);
  cmd.withNHCB = m[1] === 'with_nhcb';
  const interval = parseDuration(m[2]!);
  if (interval === undefined) return fail(`invalid step definition ${JSON.stringify(m[2])}`, i);
  cmd.interval = interval;
  const byKey = new Map<string, LoadSeries>();
  let pendingST: { labels: Labels; count: number; line: number } | undefined;
  const start = i;
  while (i + 1 < lines.length && lines[i + 1] !== '') {
    i++;
    const def = lines[i]!;
    try {
      const st = parseSTLine(def);
      if (st) {
        if (pendingST) return fail('@st line has no following sample line', pendingST.line);
        pendingST = { ...st, line: i };
        continue;
      }
      const { labels, values } = parseSeriesDesc(def);
      if (pendingST) {
        if (!pendingST.labels.equals(labels)) return fail('@st metric does not match the following sample line metric', pendingST.line);
        if (pendingST.count !== values.length) {
          return fail(`@st line has ${pendingST.count} values but sample line has ${values.length}`, pendingST.line);
        }
      }
      const key = labels.toString();
      byKey.delete(key);
      byKey.set(key, { labels, values, hasStartTimestamps: pendingST !== undefined });
      pendingST = undefined;
    } catch (e) {
      if (!(e instanceof SeriesDescError || e instanceof ParseError)) throw e;
      const at = i;
      i = start;
      return fail(e.message, at);
    }
  }
  if (pendingST) return fail('@st line has no following sample line', pendingST.line);
  cmd.series = [...byKey.values()];
  return { cmd, next: i };
}

/** `metric{…}@st <offsets>`: returns the metric and number of points, or undefined if no ST line. */
function parseSTLine(def: string): { labels: Labels; count: number } | undefined {
  const sp = def.search(/[ \t]/);
  if (sp < 0 || !def.slice(0, sp).endsWith('@st')) return undefined;
  const labels = parseMetric(def.slice(0, sp - 3));
  let count = 0;
  for (const item of def.slice(sp + 1).trim().split(/\s+/)) count += stItemCount(item);
  return { labels, count };
}

/** Points covered by one start-timestamp item: `_`, `_xN`, `<dur>`, `<dur>xN`, `<dur>±<dur>xN`. */
function stItemCount(item: string): number {
  if (item === '_') return 1;
  const blank = /^_x([0-9]+)$/.exec(item);
  if (blank) {
    if (Number(blank[1]) === 0) throw new ParseError(`invalid ST item ${JSON.stringify(item)}: invalid repeat count`);
    return Number(blank[1]);
  }
  const dur = String.raw`[0-9]+(?:[a-wyzA-WYZ]+)?`;
  const m = new RegExp(`^[+-]?(${dur})(?:[+-](${dur}))?(?:x([0-9]+))?$`).exec(item);
  if (!m || parseDuration(m[1]!) === undefined || (m[2] !== undefined && (parseDuration(m[2]) === undefined || m[3] === undefined))) {
    throw new ParseError(`invalid ST item ${JSON.stringify(item)}`);
  }
  return m[3] === undefined ? 1 : Number(m[3]) + 1;
}

function emptyExpects(): Record<ExpectType, ExpectLine[]> {
  return { ordered: [], fail: [], warn: [], no_warn: [], info: [], no_info: [] };
}

/** Compiles an RE2 pattern for an unanchored search, as Go's MatchString does. */
function searchRegex(pattern: string): RegExp {
  return compileRegex(`(?s:.*)(?:${pattern})(?s:.*)`);
}

function parseEval(lines: string[], i: number): { cmd: EvalCmd; next: number } {
  const first = lines[i]!;
  const instant = PAT_EVAL_INSTANT.exec(first);
  const range = instant ? null : PAT_EVAL_RANGE.exec(first);
  const cmd: EvalCmd = {
    kind: 'eval',
    line: i + 1,
    expr: instant?.[3] ?? range?.[5] ?? first,
    isRange: !instant,
    evalTime: 0,
    start: 0,
    end: 0,
    step: 0,
    fail: false,
    warn: false,
    info: false,
    ordered: false,
    expects: emptyExpects(),
    expectScalar: false,
    expected: new Map(),
    expectedString: '',
    expectRangeVector: false,
    excludeFromRangeQuery: false,
  };
  const fail = (msg: string): { cmd: EvalCmd; next: number } => {
    cmd.error = msg;
    return { cmd, next: skipBlock(lines, i) };
  };
  if (!instant && !range) {
    return fail(
      "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'",
    );
  }
  const blockErr = (msg: string): string => `error in eval ${cmd.expr} (line ${cmd.line}): ${msg}`;
  let mod: string | undefined;
  if (instant) {
    mod = instant[1];
    const at = instant[2] ?? '';
    const t = parseDuration(at);
    if (t === undefined) return fail(blockErr(`invalid timestamp definition ${JSON.stringify(at)}`));
    cmd.evalTime = cmd.start = t;
  } else {
    mod = range![1];
    const r = parseRange(range![2]!, range![3]!, range![4]!);
    if (typeof r === 'string') return fail(blockErr(r));
    [cmd.start, cmd.end, cmd.step] = r;
  }
  if (mod === 'fail') cmd.fail = true;
  else if (mod === 'warn') cmd.warn = true;
  else if (mod === 'info') cmd.info = true;
  else if (mod === 'ordered') cmd.ordered = true;

  const start = i;
  // Positions count only series lines: expect lines do not advance them (as in Prometheus).
  for (let j = 1; i + 1 < lines.length; j++) {
    i++;
    const def = lines[i]!;
    if (def === '') {
      i--;
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_message')) {
      cmd.expectedFailMessage = def.slice('expected_fail_message'.length).trim();
      break;
    }
    if (cmd.fail && def.startsWith('expected_fail_regexp')) {
      const pattern = def.slice('expected_fail_regexp'.length).trim();
      try {
        cmd.expectedFailRegexp = searchRegex(pattern);
      } catch (e) {
        i = start;
        return fail(blockErr(`invalid regexp '${pattern}' for expected_fail_regexp: ${(e as Error).message}`));
      }
      break;
    }
    if (def.startsWith(RANGE_VECTOR_PREFIX)) {
      const m = PAT_EXPECT_RANGE.exec(def);
      const r = m ? parseRange(m[1]!, m[2]!, m[3]!) : `invalid range vector definition ${JSON.stringify(def)}`;
      if (typeof r === 'string') {
        i = start;
        return fail(blockErr(r));
      }
      [cmd.start, cmd.end, cmd.step] = r;
      cmd.evalTime = cmd.end;
      cmd.expectRangeVector = true;
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (def.startsWith(EXPECT_STRING_PREFIX)) {
      const lit = def === EXPECT_STRING_PREFIX ? '' : def.slice(EXPECT_STRING_PREFIX.length + 1);
      if (lit === '') {
        i = start;
        return fail(blockErr('expected string literal not valid - a quoted string literal is required'));
      }
      const s = unquote(lit, false);
      if (s === undefined) {
        i = start;
        return fail(blockErr('expected string literal not valid - check that the string is correctly quoted'));
      }
      cmd.expectedString = s;
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    // A metric named `expect` can still be written as `expect{}`.
    if (def.split(' ')[0] === 'expect') {
      const r = parseExpect(def);
      if (typeof r === 'string') {
        i = start;
        return fail(blockErr(r));
      }
      cmd.expects[r.type].push(r);
      j--;
      const problem = validateExpects(cmd);
      if (problem) {
        i = start;
        return fail(blockErr(problem));
      }
      continue;
    }
    const f = parseNumber(def);
    if (f !== undefined) {
      cmd.expectScalar = true;
      cmd.expected.set('', { labels: EMPTY_LABELS_PLACEHOLDER, pos: 0, values: [{ omitted: false, value: f }] });
      break;
    }
    let desc;
    try {
      desc = parseSeriesDesc(def);
    } catch (e) {
      if (!(e instanceof SeriesDescError)) throw e;
      const at = i;
      i = start;
      return fail(`line ${at + 1}: ${e.message}`);
    }
    if (desc.values.length > 1 && !cmd.isRange && !cmd.expectRangeVector) {
      i = start;
      return fail(
        blockErr(
          "expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query",
        ),
      );
    }
    cmd.expectScalar = false;
    cmd.expected.set(desc.labels.toString(), { labels: desc.labels, pos: j, values: desc.values });
  }
  return { cmd, next: i };
}

// Scalar expectations carry no labels; the comparer never reads them.
const EMPTY_LABELS_PLACEHOLDER = parseMetric('{}');

function parseRange(from: string, to: string, step: string): [number, number, number] | string {
  const f = parseDuration(from);
  if (f === undefined) return `invalid start timestamp definition ${JSON.stringify(from)}`;
  const t = parseDuration(to);
  if (t === undefined) return `invalid end timestamp definition ${JSON.stringify(to)}`;
  if (t < f) return `invalid test definition, end timestamp (${to}) is before start timestamp (${from})`;
  const s = parseDuration(step);
  if (s === undefined) return `invalid step definition ${JSON.stringify(step)}`;
  return [f, t, s];
}

function parseExpect(def: string): ExpectLine | string {
  const m = PAT_EXPECT.exec(def.trim());
  if (!m) return 'invalid expect statement, must match `expect <type> <match_type>: <string>` format';
  const type = m[1] as ExpectType;
  if (m[2] === 'msg') return { type, message: m[3]!.trim(), text: m[3]!.trim() };
  if (m[2] === 'regex') {
    const pattern = m[3]!.trim();
    try {
      return { type, regex: searchRegex(pattern), text: pattern };
    } catch {
      return `invalid regex ${pattern} for ${type}`;
    }
  }
  return { type, regex: /^/, text: '.*' };
}

function validateExpects(cmd: EvalCmd): string | undefined {
  const e = cmd.expects;
  if (e.info.length > 0 && e.no_info.length > 0) return 'invalid expect lines, info and no_info cannot be used together';
  if (e.warn.length > 0 && e.no_warn.length > 0) return 'invalid expect lines, warn and no_warn cannot be used together';
  if (e.fail.length > 1) return 'invalid expect lines, multiple expect fail lines are not allowed';
  return undefined;
}

/** The expectation matches a message (exact for msg:, search for regex:). */
export function expectMatches(e: ExpectLine, msg: string): boolean {
  return e.regex === undefined ? e.message === msg : e.regex.test(msg);
}

export function isOrdered(cmd: EvalCmd): boolean {
  return cmd.ordered || cmd.expects.ordered.length > 0;
}

export function isFail(cmd: EvalCmd): boolean {
  return cmd.fail || cmd.expects.fail.length > 0;
}
