// The one place limits are read from: a tenant's limits are the `limits` defaults with that
// tenant's entry of the runtime config file applied (Mimir's runtime config "overrides").
// The file is re-read every `period`; a file that does not parse or validate is refused as a
// whole and the previous overrides stay in force.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { nopLogger, type Logger } from '../log/index.ts';
import { ConfigError, Service, duration, section, toDisplay, validateConfig } from '../services/index.ts';
import { limitsConfigSchema, type Limits } from './limits.ts';

export const runtimeConfigSchema = section({
  file: z.string().default('').describe('YAML file with per-tenant limit overrides (under "overrides:"); empty disables it.'),
  period: duration('10s').describe('How often the runtime config file is re-read.'),
});
export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;

export const authConfigSchema = section({
  // Mimir's flag; off by default so that an agent without an X-Scope-OrgID header works out of the box.
  multitenancy_enabled: z.boolean().default(false).describe('Require X-Scope-OrgID on every request; off: every request is tenant "anonymous".'),
});

/** Per-tenant limits. Reads are cheap (one map lookup); objects returned are frozen. */
export class Overrides {
  private tenants: ReadonlyMap<string, Limits> = new Map();

  constructor(readonly defaults: Limits) {}

  forTenant(tenant: string): Limits {
    return this.tenants.get(tenant) ?? this.defaults;
  }

  /** Replaces every tenant's overrides at once (the runtime config loader calls this). */
  setTenantLimits(tenants: ReadonlyMap<string, Limits>): void {
    this.tenants = tenants;
  }

  tenantsWithOverrides(): string[] {
    return [...this.tenants.keys()].sort();
  }
}

/**
 * Parses a runtime config document (`overrides: {<tenant>: {<limit>: value}}`) into each tenant's
 * full limits. Throws a ConfigError naming the first bad key, e.g. `overrides.a.ingestion_rate: …`.
 */
export function parseRuntimeConfig(text: string, defaults: Limits): Map<string, Limits> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`cannot parse runtime config: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const out = new Map<string, Limits>();
  if (doc === null || doc === undefined) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('runtime config: expected a mapping');
  for (const key of Object.keys(doc)) {
    if (key !== 'overrides') throw new ConfigError(`runtime config: unknown key "${key}"`);
  }
  const overrides = (doc as { overrides?: unknown }).overrides ?? {};
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new ConfigError('overrides: expected a mapping of tenant to limits');
  }
  const base = toDisplay(limitsConfigSchema, defaults, { maskSecrets: false }) as Record<string, unknown>;
  for (const [tenant, limits] of Object.entries(overrides as Record<string, unknown>)) {
    if (limits !== null && (typeof limits !== 'object' || Array.isArray(limits))) {
      throw new ConfigError(`overrides.${tenant}: expected a mapping of limits`);
    }
    try {
      out.set(tenant, validateConfig(limitsConfigSchema, { ...base, ...(limits ?? {}) }));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // The message starts with the key's path, except for an unknown key at the top.
      const sep = err.message.startsWith('unknown key') ? ': ' : '.';
      throw new ConfigError(`overrides.${tenant}${sep}${err.message}`, { cause: err });
    }
  }
  return out;
}

export interface RuntimeConfigMetrics {
  /** 1 after a successful reload, 0 after a refused one. */
  lastReloadSuccessful(ok: boolean): void;
}

/** Loads the runtime config file at start (a bad file fails start-up) and re-reads it every period. */
export class RuntimeConfigLoader extends Service {
  private timer: NodeJS.Timeout | undefined;
  private lastText: string | undefined;

  constructor(
    private readonly cfg: Readonly<RuntimeConfig>,
    private readonly overrides: Overrides,
    private readonly log: Logger = nopLogger,
    private readonly metrics?: RuntimeConfigMetrics,
  ) {
    super('runtime-config');
  }

  protected override async starting(): Promise<void> {
    if (this.cfg.file === '') return;
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((err: unknown) => {
        this.metrics?.lastReloadSuccessful(false);
        this.log.error({ err, file: this.cfg.file }, 'runtime config refused; keeping the previous overrides');
      });
    }, this.cfg.period);
    this.timer.unref();
  }

  protected override stopping(): Promise<void> {
    clearInterval(this.timer);
    return Promise.resolve();
  }

  /** Reads and applies the file now; throws (changing nothing) if it is unreadable or invalid. */
  async reload(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.cfg.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read runtime config file "${this.cfg.file}": ${(err as Error).message}`, { cause: err });
    }
    if (text === this.lastText) return;
    this.overrides.setTenantLimits(parseRuntimeConfig(text, this.overrides.defaults));
    this.lastText = text;
    this.metrics?.lastReloadSuccessful(true);
    this.log.info({ file: this.cfg.file, tenants: this.overrides.tenantsWithOverrides().length }, 'runtime config loaded');
  }
}
