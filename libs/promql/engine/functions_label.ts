// label_replace and label_join: Go regexes with capture groups, and Go's Regexp.Expand for the
// replacement template ($1, ${1}, $name, ${name}, $$).

import { Labels, LabelsBuilder, METRIC_NAME, compileRegex, isValidUTF8Name } from '../../model/index.ts';
import type { Expr } from '../parser/ast.ts';
import { FunctionError } from './functions_util.ts';

export { FunctionError };

/** A Go regex compiled for submatch extraction: fully anchored, `.` matches `\n` (Prometheus' `^(?s:…)$`). */
export interface CapturingRegex {
  readonly re: RegExp;
  /** Group names by group number (index 0 is the whole match); '' for unnamed groups. */
  readonly names: readonly string[];
}

// Pairs of code points used as group markers; the first pair absent from the pattern is used.
const MARKERS: readonly (readonly [number, number])[] = [
  [0xf0000, 0xf0001],
  [0xfdd0, 0xfdd1],
  [0x10fffe, 0x10ffff],
  [0xffffe, 0xfffff],
  [0xfdd2, 0xfdd3],
];

/**
 * Compiles an RE2 pattern keeping its capture groups. libs/model's compiler drops captures (a
 * matcher never needs them), so each group is wrapped in marker code points, compiled with it,
 * and the markers in the emitted JavaScript become the group's parentheses. Throws RegexError
 * (Go's message) when the pattern is invalid. Known difference: a group inside a repeated
 * group that did not take part in the last repetition is unset in JavaScript (`(?:(a)|b)+` on
 * "ab"), while Go keeps its earlier text.
 */
export function compileCapturingRegex(src: string): CapturingRegex {
  const plain = compileRegex(src); // Validates with Go's errors.
  const groups = scanGroups(src);
  if (groups.length === 0) return { re: plain, names: [''] };
  for (const [open, close] of MARKERS) {
    const o = String.fromCodePoint(open);
    const c = String.fromCodePoint(close);
    if (src.includes(o) || src.includes(c)) continue;
    let marked = '';
    let last = 0;
    // Events sorted by position: group opens (replace the opening token) and closes.
    const events: { pos: number; end: number; text: string }[] = [];
    for (const g of groups) {
      events.push({ pos: g.openPos, end: g.openEnd, text: `(?:${o}(?:` });
      events.push({ pos: g.closePos, end: g.closePos + 1, text: `)${c})` });
    }
    events.sort((a, b) => a.pos - b.pos);
    for (const e of events) {
      marked += src.slice(last, e.pos) + e.text;
      last = e.end;
    }
    marked += src.slice(last);
    const emitted = compileRegex(marked).source;
    const oEsc = markerSource(o);
    const cEsc = markerSource(c);
    if (count(emitted, oEsc) !== groups.length || count(emitted, cEsc) !== groups.length) continue;
    const js = emitted.split(oEsc).join('(').split(cEsc).join(')');
    let re: RegExp;
    try {
      re = new RegExp(js, 'u');
    } catch {
      continue;
    }
    return { re, names: ['', ...groups.map((g) => g.name)] };
  }
  throw new FunctionError(`cannot compile capture groups of regular expression: ${src}`);
}

function markerSource(m: string): string {
  const s = compileRegex(m).source; // ^(?:<escaped>)$
  return s.slice(4, -2);
}

function count(s: string, sub: string): number {
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

interface GroupSpan {
  openPos: number;
  /** End of the opening token: `(` or `(?P<name>` / `(?<name>`. */
  openEnd: number;
  closePos: number;
  name: string;
}

/** Finds the capture groups of a valid RE2 pattern, numbered by their opening parenthesis. */
function scanGroups(src: string): GroupSpan[] {
  const groups: GroupSpan[] = [];
  const stack: (GroupSpan | undefined)[] = []; // undefined for non-capturing groups
  const n = src.length;
  let i = 0;
  while (i < n) {
    const ch = src[i]!;
    if (ch === '\\') {
      if (src[i + 1] === 'Q') {
        const e = src.indexOf('\\E', i + 2);
        i = e < 0 ? n : e + 2;
      } else {
        i += 2;
      }
    } else if (ch === '[') {
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      while (j < n && src[j] !== ']') {
        if (src[j] === '\\') j += 2;
        else if (src[j] === '[' && src[j + 1] === ':') {
          const k = src.indexOf(':]', j + 2);
          j = k < 0 ? j + 1 : k + 2;
        } else j++;
      }
      i = j + 1;
    } else if (ch === '(') {
      if (src[i + 1] === '?') {
        let nameStart = -1;
        if (src.startsWith('(?P<', i)) nameStart = i + 4;
        else if (src.startsWith('(?<', i)) nameStart = i + 3;
        if (nameStart >= 0) {
          const gt = src.indexOf('>', nameStart);
          const g: GroupSpan = { openPos: i, openEnd: gt + 1, closePos: -1, name: src.slice(nameStart, gt) };
          groups.push(g);
          stack.push(g);
          i = gt + 1;
          continue;
        }
        // Flags: `(?i)` sets flags, `(?i:` opens a non-capturing group.
        let j = i + 2;
        while (j < n && src[j] !== ')' && src[j] !== ':') j++;
        if (src[j] === ':') stack.push(undefined);
        i = j + 1;
      } else {
        const g: GroupSpan = { openPos: i, openEnd: i + 1, closePos: -1, name: '' };
        groups.push(g);
        stack.push(g);
        i++;
      }
    } else if (ch === ')') {
      const g = stack.pop();
      if (g) g.closePos = i;
      i++;
    } else {
      i++;
    }
  }
  return groups;
}

/**
 * Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}` are replaced by the group's text ('' for
 * an unknown or unmatched group; `$1x` names the group "1x"), `$$` is a `$`, and a `$` not
 * followed by a valid reference stays literal.
 */
export function expandTemplate(template: string, match: RegExpExecArray, names: readonly string[]): string {
  let out = '';
  let t = template;
  for (;;) {
    const d = t.indexOf('$');
    if (d < 0) break;
    out += t.slice(0, d);
    t = t.slice(d + 1);
    if (t[0] === '$') {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ref = extractRef(t);
    if (!ref) {
      out += '$';
      continue;
    }
    t = ref.rest;
    if (ref.num >= 0) {
      if (ref.num < match.length) out += match[ref.num] ?? '';
    } else {
      for (let i = 0; i < names.length; i++) {
        if (names[i] === ref.name && match[i] !== undefined) {
          out += match[i];
          break;
        }
      }
    }
  }
  return out + t;
}

const NAME_CHAR = /^[\p{L}\p{Nd}_]/u;

function extractRef(s: string): { name: string; num: number; rest: string } | undefined {
  if (s === '') return undefined;
  let brace = false;
  if (s[0] === '{') {
    brace = true;
    s = s.slice(1);
  }
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const chr = String.fromCodePoint(cp);
    if (!NAME_CHAR.test(chr)) break;
    i += chr.length;
  }
  if (i === 0) return undefined;
  const name = s.slice(0, i);
  if (brace) {
    if (i >= s.length || s[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 0x30 || c > 0x39 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 0x30);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: s.slice(i) };
}

function stringArg(e: Expr | undefined): string {
  while (e && (e.kind === 'ParenExpr' || e.kind === 'StepInvariantExpr')) e = e.expr;
  if (!e || e.kind !== 'StringLiteral') throw new FunctionError('expected a string literal argument');
  return e.val;
}

/** Relabels one series; returns undefined when the metric stays as it was. */
export type Relabel = (metric: Labels) => Labels | undefined;

/**
 * Validates label_replace's arguments (Prometheus does so before evaluating the vector) and
 * returns the relabelling of one series. Throws FunctionError with Prometheus' messages.
 */
export function compileLabelReplace(args: readonly Expr[]): { dst: string; relabel: Relabel } {
  const dst = stringArg(args[1]);
  const repl = stringArg(args[2]);
  const src = stringArg(args[3]);
  const regexStr = stringArg(args[4]);
  let rx: CapturingRegex;
  try {
    rx = compileCapturingRegex(regexStr);
  } catch {
    throw new FunctionError(`invalid regular expression in label_replace(): ${regexStr}`);
  }
  if (!isValidUTF8Name(dst)) throw new FunctionError(`invalid destination label name in label_replace(): ${dst}`);
  const relabel: Relabel = (metric) => {
    const m = rx.re.exec(metric.get(src));
    if (!m) return undefined;
    return new LabelsBuilder(metric).set(dst, expandTemplate(repl, m, rx.names)).labels();
  };
  return { dst, relabel };
}

/** label_join's counterpart of compileLabelReplace. */
export function compileLabelJoin(args: readonly Expr[]): { dst: string; relabel: (metric: Labels) => Labels } {
  const dst = stringArg(args[1]);
  const sep = stringArg(args[2]);
  const srcLabels: string[] = [];
  for (let i = 3; i < args.length; i++) {
    const src = stringArg(args[i]);
    if (!isValidUTF8Name(src)) throw new FunctionError(`invalid source label name in label_join(): ${src}`);
    srcLabels.push(src);
  }
  if (!isValidUTF8Name(dst)) throw new FunctionError(`invalid destination label name in label_join(): ${dst}`);
  const relabel = (metric: Labels): Labels =>
    new LabelsBuilder(metric).set(dst, srcLabels.map((s) => metric.get(s)).join(sep)).labels();
  return { dst, relabel };
}

/** Prometheus keeps the name-dropping mark unless the destination is `__name__` itself. */
export function dropNameAfterRelabel(dst: string, dropName: boolean | undefined): boolean {
  return dst === METRIC_NAME ? false : (dropName ?? false);
}
