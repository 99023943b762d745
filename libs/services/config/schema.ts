// Building blocks for component config schemas (zod) and a walker that lists their keys, so that
// flags, --help, /config rendering and masking all derive from the one schema.
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.ts';

/** What the loader and renderer need to know about a leaf beyond its zod type. */
export const FieldKind = {
  Boolean: 'boolean',
  Number: 'number',
  String: 'string',
  Enum: 'enum',
  Duration: 'duration',
  DurationList: 'duration_list',
  StringList: 'string_list',
  Secret: 'secret',
  Other: 'other',
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

const kinds = z.registry<{ strataKind: FieldKind }>();

export interface Field {
  /** YAML path, e.g. ['server', 'http_listen_port']. */
  readonly path: readonly string[];
  /** The flag without dashes, e.g. 'server.http-listen-port'. */
  readonly flag: string;
  readonly kind: FieldKind;
  readonly description: string;
  /** Allowed values of an enum leaf. */
  readonly values?: readonly string[];
}

export function flagName(path: readonly string[]): string {
  return path.map((p) => p.replaceAll('_', '-')).join('.');
}

/** A config section: a strict object (unknown keys rejected) that fills in its defaults when absent. */
export function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape).prefault({} as z.input<z.ZodObject<T, z.core.$strict>>);
}

/** A Prometheus duration string ("2h", "1h30m") parsed into milliseconds. */
export function duration(def: string) {
  const s = z
    .string({ error: 'expected a duration such as "15s", "2h" or "1h30m"' })
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as "15s", "2h" or "1h30m"', input: v });
        return z.NEVER;
      }
      return ms;
    });
  kinds.add(s, { strataKind: FieldKind.Duration });
  return s.prefault(def);
}

function listOf(v: string | readonly string[]): string[] {
  return typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : [...v];
}

/** A list of durations in milliseconds: a YAML sequence or a comma-separated string (as flags give). */
export function durationList(def: readonly string[]) {
  const s = z
    .union([z.string(), z.array(z.string())], { error: 'expected a list of durations' })
    .transform((v, ctx) => {
      const out: number[] = [];
      for (const d of listOf(v)) {
        const ms = parseDuration(d);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a list of durations such as "2h,12h"', input: d });
          return z.NEVER;
        }
        out.push(ms);
      }
      return out;
    });
  kinds.add(s, { strataKind: FieldKind.DurationList });
  return s.prefault([...def]);
}

/** A list of strings: a YAML sequence or a comma-separated string. */
export function stringList(def: readonly string[]) {
  const s = z
    .union([z.string(), z.array(z.string())], { error: 'expected a list of strings' })
    .transform((v) => listOf(v));
  kinds.add(s, { strataKind: FieldKind.StringList });
  return s.prefault([...def]);
}

/** A string never shown by /config or logs: rendered as "********" when set. */
export function secret() {
  const s = z.string();
  kinds.add(s, { strataKind: FieldKind.Secret });
  return s.default('');
}

/** A TCP port; 0 lets the OS pick one. */
export function port(def: number) {
  const msg = 'expected an integer between 0 and 65535';
  return z.number({ error: msg }).int({ error: msg }).min(0, { error: msg }).max(65535, { error: msg }).default(def);
}

// Walk through wrappers to the schema that says what a leaf is.
type AnySchema = z.core.$ZodType;

function defOf(s: AnySchema): { type: string; [k: string]: unknown } {
  return s._zod.def as unknown as { type: string; [k: string]: unknown };
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** Strips defaults, optionals and (for pipes) the output side, collecting the description on the way. */
function unwrap(s: AnySchema): { inner: AnySchema; kind: FieldKind | undefined; description: string } {
  let cur = s;
  let kind: FieldKind | undefined;
  let description = '';
  for (;;) {
    kind ??= kinds.get(cur)?.strataKind;
    description ||= (z.globalRegistry.get(cur)?.description as string | undefined) ?? '';
    const def = defOf(cur);
    if (WRAPPERS.has(def.type)) cur = def.innerType as AnySchema;
    else if (def.type === 'pipe') cur = def.in as AnySchema;
    else return { inner: cur, kind, description };
  }
}

/** The shape of an object schema (through wrappers), or undefined for a leaf. */
export function objectShape(s: AnySchema): Record<string, AnySchema> | undefined {
  const { inner, kind } = unwrap(s);
  if (kind !== undefined) return undefined;
  const def = defOf(inner);
  return def.type === 'object' ? (def.shape as Record<string, AnySchema>) : undefined;
}

/** Every leaf key of a config schema, in declaration order. */
export function fieldsOf(schema: AnySchema): Field[] {
  const out: Field[] = [];
  const walk = (s: AnySchema, path: string[]): void => {
    const shape = objectShape(s);
    if (shape) {
      for (const [k, v] of Object.entries(shape)) walk(v, [...path, k]);
      return;
    }
    const { inner, kind, description } = unwrap(s);
    const def = defOf(inner);
    let k: FieldKind = kind ?? FieldKind.Other;
    let values: readonly string[] | undefined;
    if (kind === undefined) {
      if (def.type === 'boolean') k = FieldKind.Boolean;
      else if (def.type === 'number') k = FieldKind.Number;
      else if (def.type === 'string') k = FieldKind.String;
      else if (def.type === 'enum') {
        k = FieldKind.Enum;
        values = Object.values(def.entries as Record<string, string>);
      }
    }
    out.push({ path, flag: flagName(path), kind: k, description, ...(values ? { values } : {}) });
  };
  walk(schema, []);
  return out;
}

/** A parsed config value as a user would write it: durations as strings, secrets masked if asked. */
export function toDisplay(schema: AnySchema, value: unknown, opts: { maskSecrets: boolean }): unknown {
  const shape = objectShape(schema);
  if (shape) {
    const obj = (value ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(shape)) out[k] = toDisplay(v, obj[k], opts);
    return out;
  }
  const { kind } = unwrap(schema);
  switch (kind) {
    case FieldKind.Duration:
      return formatDuration(value as number);
    case FieldKind.DurationList:
      return (value as number[]).map(formatDuration);
    case FieldKind.Secret:
      return opts.maskSecrets && value !== '' ? '********' : value;
    default:
      return Array.isArray(value) ? [...value] : value;
  }
}
