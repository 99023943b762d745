// The agent's configuration: Prometheus' own `prometheus.yml` (global, scrape_configs,
// remote_write), read with Prometheus' defaults. What the agent does not support is reported by
// its path at start-up (never silently ignored); what is malformed is an error naming the key.
import { parse as parseYaml } from 'yaml';
import type { BasicAuth, HTTPClientConfig, ScrapeConfig } from '../../libs/scrape/index.ts';
import { parseDuration } from '../../libs/services/index.ts';

export type { BasicAuth, HTTPClientConfig, ScrapeConfig, StaticTargets } from '../../libs/scrape/index.ts';

export interface RemoteWriteConfig {
  readonly url: string;
  readonly name: string;
  readonly remoteTimeout: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly http: HTTPClientConfig;
  readonly writeRelabelConfigs: readonly unknown[];
  readonly queue: { readonly capacity: number; readonly maxShards: number; readonly minShards: number; readonly maxSamplesPerSend: number; readonly batchSendDeadline: number; readonly minBackoff: number; readonly maxBackoff: number; readonly retryOnHttp429: boolean };
}

export interface AgentConfig {
  readonly global: { readonly scrapeInterval: number; readonly scrapeTimeout: number; readonly externalLabels: Readonly<Record<string, string>> };
  readonly scrapeConfigs: readonly ScrapeConfig[];
  readonly remoteWrite: readonly RemoteWriteConfig[];
  /** Paths of keys the agent does not support (e.g. `scrape_configs[0].kubernetes_sd_configs`). */
  readonly unsupported: readonly string[];
}

export class AgentConfigError extends Error {
  readonly code = 'agent_config_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

type Obj = Record<string, unknown>;

/** Reads one YAML mapping, recording keys nobody asked for as unsupported. */
class Section {
  private readonly used = new Set<string>();

  constructor(
    private readonly obj: Obj,
    readonly path: string,
    private readonly unsupported: string[],
  ) {}

  static of(value: unknown, path: string, unsupported: string[]): Section {
    if (value === undefined || value === null) return new Section({}, path, unsupported);
    if (typeof value !== 'object' || Array.isArray(value)) throw new AgentConfigError(`${path}: expected a mapping`);
    return new Section(value as Obj, path, unsupported);
  }

  private at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  raw(key: string): unknown {
    this.used.add(key);
    return this.obj[key];
  }

  string(key: string, def: string): string {
    const v = this.raw(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') throw new AgentConfigError(`${this.at(key)}: expected a string`);
    return v;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') throw new AgentConfigError(`${this.at(key)}: expected true or false`);
    return v;
  }

  int(key: string, def: number): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new AgentConfigError(`${this.at(key)}: expected a non-negative integer`);
    return v;
  }

  /** A Prometheus duration ("15s", "1m30s"), in ms. */
  duration(key: string, def: number): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return def;
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) throw new AgentConfigError(`${this.at(key)}: expected a duration such as "15s", got ${JSON.stringify(v)}`);
    return ms;
  }

  /** A size such as "10MB" or "512KiB" (Prometheus' units), in bytes; 0 by default. */
  bytes(key: string): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return 0;
    const m = typeof v === 'string' ? /^(\d+)(B|KB|MB|GB|KiB|MiB|GiB)?$/.exec(v) : null;
    if (!m) throw new AgentConfigError(`${this.at(key)}: expected a size such as "10MB", got ${JSON.stringify(v)}`);
    const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] ?? 'B']!;
    return Number(m[1]) * unit;
  }

  stringMap(key: string): Record<string, string> {
    const v = this.raw(key);
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw new AgentConfigError(`${this.at(key)}: expected a mapping of strings`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Obj)) {
      if (typeof x !== 'string') throw new AgentConfigError(`${this.at(key)}.${k}: expected a string`);
      out[k] = x;
    }
    return out;
  }

  strings(key: string): string[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new AgentConfigError(`${this.at(key)}: expected a list of strings`);
    return v as string[];
  }

  list(key: string): unknown[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new AgentConfigError(`${this.at(key)}: expected a list`);
    return v;
  }

  sub(key: string): Section {
    return Section.of(this.raw(key), this.at(key), this.unsupported);
  }

  /** The mappings of list `key`, each read by `f` (unknown keys reported like this section's). */
  items<T>(key: string, f: (c: Section) => T): T[] {
    return this.list(key).map((x, i) => {
      const c = Section.of(x, `${this.at(key)}[${i}]`, this.unsupported);
      const out = f(c);
      c.done();
      return out;
    });
  }

  private finished = false;

  /** Records every key not read as unsupported. Call after reading; once. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    for (const k of Object.keys(this.obj)) if (!this.used.has(k)) this.unsupported.push(this.at(k));
  }
}

function httpClient(s: Section): HTTPClientConfig {
  let basicAuth: BasicAuth | undefined;
  if (s.raw('basic_auth') !== undefined) {
    const b = s.sub('basic_auth');
    basicAuth = { username: b.string('username', ''), password: b.string('password', '') };
    b.done();
  }
  let bearerToken = s.string('bearer_token', '') || undefined;
  if (s.raw('authorization') !== undefined) {
    const a = s.sub('authorization');
    const type = a.string('type', 'Bearer');
    if (type !== 'Bearer') throw new AgentConfigError(`${a.path}.type: only "Bearer" is supported, got ${JSON.stringify(type)}`);
    bearerToken = a.string('credentials', '') || undefined;
    a.done();
  }
  if (basicAuth && bearerToken) throw new AgentConfigError(`${s.path}: at most one of basic_auth and authorization/bearer_token may be configured`);
  const t = s.sub('tls_config');
  const tls = {
    insecureSkipVerify: t.bool('insecure_skip_verify', false),
    ...(t.string('ca_file', '') ? { caFile: t.string('ca_file', '') } : {}),
    ...(t.string('cert_file', '') ? { certFile: t.string('cert_file', '') } : {}),
    ...(t.string('key_file', '') ? { keyFile: t.string('key_file', '') } : {}),
    ...(t.string('server_name', '') ? { serverName: t.string('server_name', '') } : {}),
  };
  t.done();
  return { ...(basicAuth ? { basicAuth } : {}), ...(bearerToken ? { bearerToken } : {}), tls };
}

function scrapeConfig(s: Section, global: AgentConfig['global']): ScrapeConfig {
  const jobName = s.string('job_name', '');
  if (jobName === '') throw new AgentConfigError(`${s.path}.job_name: required`);
  const scrapeInterval = s.duration('scrape_interval', global.scrapeInterval);
  const scrapeTimeout = s.duration('scrape_timeout', Math.min(global.scrapeTimeout, scrapeInterval));
  if (scrapeTimeout > scrapeInterval) {
    throw new AgentConfigError(`${s.path}: scrape timeout greater than scrape interval for scrape config with job name "${jobName}"`);
  }
  const scheme = s.string('scheme', 'http');
  if (scheme !== 'http' && scheme !== 'https') throw new AgentConfigError(`${s.path}.scheme: expected http or https, got ${JSON.stringify(scheme)}`);
  const paramsRaw = s.sub('params');
  const params: Record<string, string[]> = {};
  for (const k of Object.keys((s.raw('params') as Obj | undefined) ?? {})) params[k] = paramsRaw.strings(k);
  paramsRaw.done();
  const staticConfigs = s.items('static_configs', (c) => ({ targets: c.strings('targets'), labels: c.stringMap('labels') }));
  const fileSDConfigs = s.items('file_sd_configs', (c) => ({ files: c.strings('files'), refreshInterval: c.duration('refresh_interval', 300_000) }));
  const httpSDConfigs = s.items('http_sd_configs', (c) => ({ url: c.string('url', ''), refreshInterval: c.duration('refresh_interval', 60_000) }));
  const dnsSDConfigs = s.items('dns_sd_configs', (c) => {
    const type = c.string('type', 'SRV');
    if (type !== 'A' && type !== 'AAAA' && type !== 'SRV') throw new AgentConfigError(`${c.path}.type: expected A, AAAA or SRV, got ${JSON.stringify(type)}`);
    const port = c.int('port', 0);
    if (type !== 'SRV' && port === 0) throw new AgentConfigError(`${c.path}.port: required for type ${type}`);
    return { names: c.strings('names'), type, port, refreshInterval: c.duration('refresh_interval', 30_000) } as const;
  });
  const out: ScrapeConfig = {
    jobName,
    scrapeInterval,
    scrapeTimeout,
    metricsPath: s.string('metrics_path', '/metrics'),
    scheme,
    honorLabels: s.bool('honor_labels', false),
    honorTimestamps: s.bool('honor_timestamps', true),
    params,
    http: httpClient(s),
    sampleLimit: s.int('sample_limit', 0),
    labelLimit: s.int('label_limit', 0),
    labelNameLengthLimit: s.int('label_name_length_limit', 0),
    labelValueLengthLimit: s.int('label_value_length_limit', 0),
    bodySizeLimit: s.bytes('body_size_limit'),
    staticConfigs,
    fileSDConfigs,
    httpSDConfigs,
    dnsSDConfigs,
    relabelConfigs: s.list('relabel_configs'),
    metricRelabelConfigs: s.list('metric_relabel_configs'),
  };
  s.done();
  return out;
}

function remoteWrite(s: Section): RemoteWriteConfig {
  const url = s.string('url', '');
  if (url === '') throw new AgentConfigError(`${s.path}.url: required`);
  try {
    new URL(url);
  } catch {
    throw new AgentConfigError(`${s.path}.url: not a URL: ${JSON.stringify(url)}`);
  }
  const q = s.sub('queue_config');
  const queue = {
    capacity: q.int('capacity', 10_000),
    maxShards: q.int('max_shards', 50),
    minShards: q.int('min_shards', 1),
    maxSamplesPerSend: q.int('max_samples_per_send', 2_000),
    batchSendDeadline: q.duration('batch_send_deadline', 5_000),
    minBackoff: q.duration('min_backoff', 30),
    maxBackoff: q.duration('max_backoff', 5_000),
    retryOnHttp429: q.bool('retry_on_http_429', true),
  };
  q.done();
  const out: RemoteWriteConfig = {
    url,
    name: s.string('name', ''),
    remoteTimeout: s.duration('remote_timeout', 30_000),
    headers: s.stringMap('headers'),
    http: httpClient(s),
    writeRelabelConfigs: s.list('write_relabel_configs'),
    queue,
  };
  s.done();
  return out;
}

/** Parses a prometheus.yml; throws AgentConfigError naming the key for malformed content. */
export function parseAgentConfig(text: string): AgentConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AgentConfigError(`not valid YAML: ${(err as Error).message}`);
  }
  const unsupported: string[] = [];
  const root = Section.of(doc, '', unsupported);
  const g = root.sub('global');
  const global = {
    scrapeInterval: g.duration('scrape_interval', 60_000),
    scrapeTimeout: g.duration('scrape_timeout', 10_000),
    externalLabels: g.stringMap('external_labels'),
  };
  g.done();
  const scrapeConfigs = root.items('scrape_configs', (c) => scrapeConfig(c, global));
  const names = new Set<string>();
  for (const c of scrapeConfigs) {
    if (names.has(c.jobName)) throw new AgentConfigError(`found multiple scrape configs with job name "${c.jobName}"`);
    names.add(c.jobName);
  }
  const remote = root.items('remote_write', remoteWrite);
  root.done();
  return { global, scrapeConfigs, remoteWrite: remote, unsupported };
}
