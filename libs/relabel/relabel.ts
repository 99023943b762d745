// Prometheus relabelling (`relabel_config`): validated configs and the label rewrite they describe.
// Used by the scraper on target and metric labels; names starting with `__` are left to the caller.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FastRegexMatcher, Labels, RegexError, compileRegexWithCaptures, isValidLabelName } from '../model/index.ts';

export const RelabelAction = {
  Replace: 'replace',
  Keep: 'keep',
  Drop: 'drop',
  KeepEqual: 'keepequal',
  DropEqual: 'dropequal',
  HashMod: 'hashmod',
  LabelMap: 'labelmap',
  LabelDrop: 'labeldrop',
  LabelKeep: 'labelkeep',
  Lowercase: 'lowercase',
  Uppercase: 'uppercase',
} as const;
export type RelabelAction = (typeof RelabelAction)[keyof typeof RelabelAction];

const ACTIONS: ReadonlySet<string> = new Set(Object.values(RelabelAction));

export const RELABEL_DEFAULTS = {
  separator: ';',
  regex: '(.*)',
  replacement: '$1',
  action: RelabelAction.Replace,
  modulus: 0,
} as const;

/** Thrown for an invalid relabel config; the message is Prometheus' own. */
export class RelabelConfigError extends Error {
  readonly code = 'relabel_config_invalid';
  readonly category = 'bad_request';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelabelConfigError';
  }
}

/** A relabel regex: fully anchored RE2, `.` matching `\n`, as Prometheus compiles it. */
export class RelabelRegex {
  private readonly matcher: FastRegexMatcher;
  private captures: { re: RegExp; names: readonly string[] } | undefined;

  /** Throws RegexError with Go's message. */
  constructor(readonly src: string) {
    this.matcher = new FastRegexMatcher(src);
  }

  matchString(s: string): boolean {
    return this.matcher.matchString(s);
  }

  /** Go's FindStringSubmatch then Expand of `template`; undefined when `s` does not match. */
  replace(s: string, template: string): string | undefined {
    if (!this.matcher.matchString(s)) return undefined;
    this.captures ??= compileRegexWithCaptures(this.src);
    const m = this.captures.re.exec(s);
    if (m === null) return undefined;
    return expandTemplate(template, m, this.captures.names);
  }
}

/** A validated relabel config with every field set. */
export interface RelabelConfig {
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly targetLabel: string;
  readonly regex: RelabelRegex;
  readonly modulus: number;
  readonly replacement: string;
  readonly action: RelabelAction;
}

/** One relabel config as written in YAML (Prometheus' snake_case keys), before defaults. */
export const relabelConfigInputSchema = z
  .object({
    source_labels: z.array(z.string()).optional(),
    separator: z.string().optional(),
    target_label: z.string().optional(),
    regex: z.string().optional(),
    modulus: z.number().int().nonnegative().optional(),
    replacement: z.string().optional(),
    action: z.string().optional(),
  })
  .strict();
export type RelabelConfigInput = z.input<typeof relabelConfigInputSchema>;

/** A `relabel_configs` / `metric_relabel_configs` list, parsed into validated RelabelConfigs. */
export const relabelConfigsSchema = z.array(
  relabelConfigInputSchema.transform((raw, ctx) => {
    try {
      return newRelabelConfig(raw);
    } catch (err) {
      if (!(err instanceof RelabelConfigError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, input: raw });
      return z.NEVER;
    }
  }),
);

// A target_label that may contain `$1`, `${1}` or `$name` references (Prometheus' legacy check).
const RELABEL_TARGET = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

/** Applies defaults, validates and compiles one config. Throws RelabelConfigError. */
export function newRelabelConfig(raw: RelabelConfigInput): RelabelConfig {
  const actionSrc = raw.action ?? RELABEL_DEFAULTS.action;
  const action = actionSrc.toLowerCase();
  if (!ACTIONS.has(action)) throw new RelabelConfigError(`unknown relabel action "${actionSrc}"`);
  const a = action as RelabelAction;
  for (const n of raw.source_labels ?? []) {
    if (!isValidLabelName(n)) throw new RelabelConfigError(`"${n}" is not a valid label name`);
  }
  let regex: RelabelRegex;
  try {
    regex = new RelabelRegex(raw.regex ?? RELABEL_DEFAULTS.regex);
  } catch (err) {
    if (err instanceof RegexError) throw new RelabelConfigError(err.message, { cause: err });
    throw err;
  }
  const cfg: RelabelConfig = {
    sourceLabels: raw.source_labels ?? [],
    separator: raw.separator ?? RELABEL_DEFAULTS.separator,
    targetLabel: raw.target_label ?? '',
    regex,
    modulus: raw.modulus ?? RELABEL_DEFAULTS.modulus,
    replacement: raw.replacement ?? RELABEL_DEFAULTS.replacement,
    action: a,
  };
  validate(cfg, raw.regex !== undefined, raw.source_labels !== undefined);
  return Object.freeze(cfg);
}

/** Parses and validates a config list; throws RelabelConfigError on the first invalid one. */
export function newRelabelConfigs(raws: readonly RelabelConfigInput[]): RelabelConfig[] {
  return raws.map(newRelabelConfig);
}

function validate(c: RelabelConfig, regexSet: boolean, sourceLabelsSet: boolean): void {
  const A = RelabelAction;
  const act = c.action;
  const fail = (msg: string): never => {
    throw new RelabelConfigError(msg);
  };
  if (act === A.HashMod && c.modulus === 0) fail('relabel configuration for hashmod requires non-zero modulus');
  const needsTarget = [A.Replace, A.HashMod, A.Lowercase, A.Uppercase, A.KeepEqual, A.DropEqual] as RelabelAction[];
  if (needsTarget.includes(act) && c.targetLabel === '') {
    fail(`relabel configuration for ${act} action requires 'target_label' value`);
  }
  const invalidTarget = `"${c.targetLabel}" is invalid 'target_label' for ${act} action`;
  if ((act === A.Replace || act === A.Lowercase || act === A.Uppercase) && !RELABEL_TARGET.test(c.targetLabel)) {
    fail(invalidTarget);
  }
  const noTemplate = [A.Lowercase, A.Uppercase, A.KeepEqual, A.DropEqual] as RelabelAction[];
  if (noTemplate.includes(act) && !isValidLabelName(c.targetLabel)) fail(invalidTarget);
  if (noTemplate.includes(act) && c.replacement !== RELABEL_DEFAULTS.replacement) {
    fail(`'replacement' can not be set for ${act} action`);
  }
  if (act === A.LabelMap && !RELABEL_TARGET.test(c.replacement)) {
    fail(`"${c.replacement}" is invalid 'replacement' for ${act} action`);
  }
  if (act === A.HashMod && !isValidLabelName(c.targetLabel)) fail(invalidTarget);
  if (act === A.KeepEqual || act === A.DropEqual) {
    if (regexSet || c.modulus !== 0 || c.separator !== RELABEL_DEFAULTS.separator || c.replacement !== RELABEL_DEFAULTS.replacement) {
      fail(`${act} action requires only 'source_labels' and \`target_label\`, and no other fields`);
    }
  }
  if (act === A.LabelDrop || act === A.LabelKeep) {
    if (
      sourceLabelsSet ||
      c.targetLabel !== '' ||
      c.modulus !== 0 ||
      c.separator !== RELABEL_DEFAULTS.separator ||
      c.replacement !== RELABEL_DEFAULTS.replacement
    ) {
      fail(`${act} action requires only 'regex', and no other fields`);
    }
  }
}

/**
 * Applies `configs` in order. Returns the new labels (sorted; empty values removed), or undefined
 * when a keep/drop rule dropped the series. `__`-prefixed labels are kept for the caller.
 */
export function relabel(labels: Labels, configs: readonly RelabelConfig[]): Labels | undefined {
  const lb = new Map<string, string>();
  labels.forEach((n, v) => lb.set(n, v));
  for (const c of configs) {
    if (!applyOne(lb, c)) return undefined;
  }
  return Labels.fromPairs(lb);
}

// Setting an empty value deletes, as in Prometheus' labels.Builder.
function setLabel(lb: Map<string, string>, name: string, value: string): void {
  if (value === '') lb.delete(name);
  else lb.set(name, value);
}

/** Returns false when the series is dropped. */
function applyOne(lb: Map<string, string>, c: RelabelConfig): boolean {
  const val = c.sourceLabels.map((n) => lb.get(n) ?? '').join(c.separator);
  switch (c.action) {
    case RelabelAction.Replace: {
      const target = c.regex.replace(val, c.targetLabel);
      if (target === undefined || !isValidLabelName(target)) return true;
      setLabel(lb, target, c.regex.replace(val, c.replacement)!);
      return true;
    }
    case RelabelAction.Keep:
      return c.regex.matchString(val);
    case RelabelAction.Drop:
      return !c.regex.matchString(val);
    case RelabelAction.KeepEqual:
      return (lb.get(c.targetLabel) ?? '') === val;
    case RelabelAction.DropEqual:
      return (lb.get(c.targetLabel) ?? '') !== val;
    case RelabelAction.HashMod:
      setLabel(lb, c.targetLabel, String(hashMod(val, c.modulus)));
      return true;
    case RelabelAction.LabelMap:
      for (const [name, value] of [...lb]) {
        const res = c.regex.replace(name, c.replacement);
        if (res !== undefined) setLabel(lb, res, value);
      }
      return true;
    case RelabelAction.LabelDrop:
      for (const name of [...lb.keys()]) if (c.regex.matchString(name)) lb.delete(name);
      return true;
    case RelabelAction.LabelKeep:
      for (const name of [...lb.keys()]) if (!c.regex.matchString(name)) lb.delete(name);
      return true;
    case RelabelAction.Lowercase:
      setLabel(lb, c.targetLabel, mapCase(val, false));
      return true;
    case RelabelAction.Uppercase:
      setLabel(lb, c.targetLabel, mapCase(val, true));
      return true;
    default:
      return assertNever(c.action);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected relabel action ${String(x)}`);
}

/** Prometheus' hashmod: the last 8 bytes of md5(val) as a big-endian uint64, mod `modulus`. */
export function hashMod(val: string, modulus: number): bigint {
  const sum = createHash('md5').update(val, 'utf8').digest();
  return sum.readBigUInt64BE(8) % BigInt(modulus);
}

// Go's strings.ToLower/ToUpper map each code point alone; a JS mapping to several code points
// (e.g. ß → SS) is a full-case mapping Go does not do, so the code point is kept.
function mapCase(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += [...m].length === 1 ? m : ch === '\u0130' && !upper ? 'i' : ch;
  }
  return out;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Go's regexp Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`. A name is the longest run of letters,
 * digits and `_`, so `$1x` names group "1x" (empty); unknown or unmatched groups expand to ''.
 */
export function expandTemplate(template: string, m: RegExpExecArray | readonly (string | undefined)[], names: readonly string[]): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) break;
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    let j = brace ? i + 1 : i;
    const start = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(start, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$'; // malformed: the `$` is literal text
      continue;
    }
    i = brace ? j + 1 : j;
    const num = /^(0|[1-9][0-9]{0,7})$/.test(name) ? Number(name) : -1;
    if (num >= 0) {
      out += m[num] ?? '';
    } else {
      for (let g = 1; g < names.length; g++) {
        if (names[g] === name && m[g] !== undefined) {
          out += m[g];
          break;
        }
      }
    }
  }
  return out + template.slice(i);
}
