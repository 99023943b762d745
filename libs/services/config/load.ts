// Loads a config: defaults < YAML file (after ${ENV} expansion) < flags, validated by one zod schema
// into a deep-frozen object. Every failure is a ConfigError whose message names the key.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { z } from 'zod';
import { expandEnv } from './env.ts';
import { ConfigError } from './errors.ts';
import { parseFlags } from './flags.ts';
import { fieldsOf, toDisplay } from './schema.ts';

export interface LoadOptions {
  /** Flags only (no program name); `--config.file` picks the YAML file. */
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads the YAML file; injectable for tests. */
  readonly readFile?: (path: string) => string;
}

export function loadConfig<S extends z.ZodType>(schema: S, opts: LoadOptions): DeepReadonly<z.output<S>> {
  const fields = fieldsOf(schema);
  const flags = parseFlags(opts.argv, fields);
  let fromFile: Record<string, unknown> = {};
  if (flags.configFile !== undefined) {
    let text: string;
    try {
      text = (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(flags.configFile);
    } catch (err) {
      throw new ConfigError(`cannot read config file "${flags.configFile}": ${(err as Error).message}`, { cause: err });
    }
    fromFile = parseYamlConfig(expandEnv(text, opts.env ?? process.env), flags.configFile);
  }
  return validateConfig(schema, deepMerge(fromFile, flags.values));
}

/** Validates an already merged plain object; used by loadConfig and by tests building configs in code. */
export function validateConfig<S extends z.ZodType>(schema: S, input: unknown): DeepReadonly<z.output<S>> {
  const res = schema.safeParse(input, { reportInput: true, error: issueMessage });
  if (!res.success) {
    const issues = res.error.issues;
    const first = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
    throw new ConfigError(first ? describeIssue(first) : 'invalid config', { cause: res.error });
  }
  return deepFreeze(res.data) as DeepReadonly<z.output<S>>;
}

function parseYamlConfig(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new ConfigError(`${file}: ${msg}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`${file}: expected a mapping of config sections at the top level`);
  }
  return dropNulls(doc as Record<string, unknown>);
}

// `key:` with nothing after it (often an unset ${VAR}) means "the default", as in Go's YAML decoding.
function dropNulls(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === null) continue;
    out[k] = isMapping(v) ? dropNulls(v) : v;
  }
  return out;
}

/** Later values win; mappings merge key by key, everything else (lists too) is replaced. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isMapping(b) && isMapping(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function an(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

const TYPE_NAMES: Record<string, string> = { object: 'mapping', array: 'list', int: 'integer' };

// Short lower-case messages for zod's own checks; schemas that set their own message keep it.
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${an(TYPE_NAMES[iss.expected] ?? iss.expected)}`;
    case 'invalid_value':
      return `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (iss.origin === 'string' && Number(iss.minimum) === 1) return 'must not be empty';
      if (iss.origin === 'array' || iss.origin === 'set') return `expected at least ${iss.minimum} items`;
      return `expected a value ${iss.inclusive ? '>=' : '>'} ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'array' || iss.origin === 'set') return `expected at most ${iss.maximum} items`;
      if (iss.origin === 'string') return `expected at most ${iss.maximum} characters`;
      return `expected a value ${iss.inclusive ? '<=' : '<'} ${iss.maximum}`;
    default:
      return undefined;
  }
}

function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null) return 'a mapping';
  return JSON.stringify(v) ?? String(v);
}

function describeIssue(iss: z.core.$ZodIssue): string {
  if (iss.code === 'unrecognized_keys') {
    return `unknown key "${keyPath([...iss.path, iss.keys[0] ?? ''])}"`;
  }
  const where = keyPath(iss.path);
  const got = 'input' in iss ? `, got ${showValue(iss.input)}` : '';
  return where === '' ? `${iss.message}${got}` : `${where}: ${iss.message}${got}`;
}

export const RenderMode = { Full: 'full', Diff: 'diff', Defaults: 'defaults' } as const;
export type RenderMode = (typeof RenderMode)[keyof typeof RenderMode];

/**
 * The config as YAML, secrets masked: the effective config, only the keys that differ from the
 * defaults (`diff`), or the defaults. The output loads back to the same config (secrets aside).
 */
export function renderConfig(schema: z.ZodType, config: unknown, mode: RenderMode = RenderMode.Full): string {
  const show = (v: unknown) => toDisplay(schema, v, { maskSecrets: true });
  const defaults = () => show(schema.safeParse({}).data ?? {});
  let out: unknown;
  switch (mode) {
    case RenderMode.Full:
      out = show(config);
      break;
    case RenderMode.Defaults:
      out = defaults();
      break;
    case RenderMode.Diff:
      out = diff(show(config), defaults()) ?? {};
      break;
  }
  return stringifyYaml(out);
}

function diff(cur: unknown, def: unknown): unknown {
  if (isMapping(cur) && isMapping(def)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cur)) {
      const d = diff(v, def[k]);
      if (d !== undefined) out[k] = d;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return JSON.stringify(cur) === JSON.stringify(def) ? undefined : cur;
}
