// The scrape configuration types (Prometheus' `<scrape_config>`), as services/agent/config.ts
// reads them from prometheus.yml. Durations are milliseconds, sizes bytes.

export interface BasicAuth {
  readonly username: string;
  readonly password: string;
}

export interface HTTPClientConfig {
  readonly basicAuth?: BasicAuth;
  /** `authorization.credentials` or the older `bearer_token`. */
  readonly bearerToken?: string;
  readonly tls: { readonly insecureSkipVerify: boolean; readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string; readonly serverName?: string };
}

export interface StaticTargets {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface ScrapeConfig {
  readonly jobName: string;
  readonly scrapeInterval: number;
  readonly scrapeTimeout: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly http: HTTPClientConfig;
  /** 0 means no limit. */
  readonly sampleLimit: number;
  readonly labelLimit: number;
  /** `label_name_length_limit` / `label_value_length_limit`; absent or 0 means no limit. */
  readonly labelNameLengthLimit?: number;
  readonly labelValueLengthLimit?: number;
  readonly bodySizeLimit: number;
  readonly staticConfigs: readonly StaticTargets[];
  readonly fileSDConfigs: readonly { readonly files: readonly string[]; readonly refreshInterval: number }[];
  readonly httpSDConfigs: readonly { readonly url: string; readonly refreshInterval: number }[];
  readonly dnsSDConfigs: readonly { readonly names: readonly string[]; readonly type: 'A' | 'AAAA' | 'SRV'; readonly port: number; readonly refreshInterval: number }[];
  /** Relabel configs as written (validated by libs/relabel when the scrape loop is built). */
  readonly relabelConfigs: readonly unknown[];
  readonly metricRelabelConfigs: readonly unknown[];
}
