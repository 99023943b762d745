// Command-line flags for config keys: `--server.http-listen-port=9009` ⇄ `server.http_listen_port`.
import { ConfigError } from './errors.ts';
import type { Field } from './schema.ts';
import { FieldKind } from './schema.ts';

export interface ParsedFlags {
  /** Nested values keyed like the YAML, ready to be merged over it. */
  readonly values: Record<string, unknown>;
  /** `--config.file`, when given. */
  readonly configFile: string | undefined;
}

const NUMBER_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Accepts `--name=value`, `--name value` and (for booleans) `--name` / `--name=false`; a single
 * leading dash works too, as with Go flags. Strings are converted for number and boolean keys only
 * when they spell one, so that the schema can report the bad value as given.
 */
export function parseFlags(argv: readonly string[], fields: readonly Field[]): ParsedFlags {
  const byFlag = new Map(fields.map((f) => [f.flag, f]));
  const values: Record<string, unknown> = {};
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new ConfigError(`unexpected argument "${arg}"`);
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    let raw: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (name === 'config.file') {
      if (raw === undefined) {
        raw = argv[++i];
        if (raw === undefined) throw new ConfigError(`flag "--${name}" needs a value`);
      }
      configFile = raw;
      continue;
    }
    const field = byFlag.get(name);
    if (!field) throw new ConfigError(`unknown flag "--${name}"`);
    if (raw === undefined) {
      if (field.kind === FieldKind.Boolean) {
        raw = 'true';
      } else {
        raw = argv[++i];
        if (raw === undefined) throw new ConfigError(`flag "--${name}" needs a value`);
      }
    }
    setPath(values, field.path, convert(raw, field));
  }
  return { values, configFile };
}

function convert(raw: string, field: Field): unknown {
  switch (field.kind) {
    case FieldKind.Boolean:
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case FieldKind.Number:
      return NUMBER_RE.test(raw.trim()) ? Number(raw) : raw;
    default:
      return raw;
  }
}

function setPath(obj: Record<string, unknown>, path: readonly string[], v: unknown): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    const next = cur[p];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) cur = next as Record<string, unknown>;
    else cur = cur[p] = {};
  }
  cur[path[path.length - 1] as string] = v;
}
