// Test helpers: an Appendable that keeps every committed sample in memory, and a loopback
// exposition server whose body, status and headers a test changes between scrapes.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FloatHistogram, Histogram, Labels } from '../model/index.ts';
import { isStaleNaN } from '../model/index.ts';
import type { Appendable, Appender, SeriesRef } from '../storage/index.ts';
import type { ScrapeConfig } from './config.ts';

export interface CollectedSample {
  readonly labels: Labels;
  readonly t: number;
  readonly v: number;
  /** The value was the stale marker (recorded at append: NaN bits may not survive plain arrays). */
  readonly stale: boolean;
}

/** Committed samples in commit order; refs are per label set, as a head's would be. */
export class CollectingAppendable implements Appendable {
  readonly samples: CollectedSample[] = [];
  /** The samples of each commit, in commit order. */
  readonly batches: CollectedSample[][] = [];
  commits = 0;
  rollbacks = 0;
  readonly #refs = new Map<string, number>();

  appender(): Appender {
    const pending: CollectedSample[] = [];
    let done = false;
    const use = (): void => {
      if (done) throw new Error('appender used after commit or rollback');
    };
    return {
      append: (ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef => {
        use();
        pending.push({ labels, t, v, stale: isStaleNaN(v) });
        const key = labels.toString();
        let r = this.#refs.get(key);
        if (r === undefined) this.#refs.set(key, (r = this.#refs.size + 1));
        if (ref !== 0 && ref !== r) throw new Error(`wrong ref ${ref} for ${key} (want ${r})`);
        return r;
      },
      appendHistogram: (_ref: SeriesRef, _l: Labels, _t: number, _h: Histogram | undefined, _fh?: FloatHistogram): SeriesRef => {
        throw new Error('histograms are not collected');
      },
      commit: () => {
        use();
        done = true;
        this.samples.push(...pending);
        this.batches.push(pending);
        this.commits++;
        return Promise.resolve();
      },
      rollback: () => {
        use();
        done = true;
        this.rollbacks++;
      },
    };
  }

  /** Samples of the series whose labels print as `series` (e.g. `up{instance="…", job="…"}`), or named `series`. */
  of(series: string): CollectedSample[] {
    return this.samples.filter((s) => s.labels.toString() === series || (!series.includes('{') && s.labels.get('__name__') === series));
  }

  /** Samples of the commit at timestamp `t`. */
  at(t: number): CollectedSample[] {
    return this.samples.filter((s) => s.t === t);
  }

  /** Resolves once `pred` holds, polling; rejects after `timeoutMs`. */
  async waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export interface ExpositionServer {
  readonly port: number;
  readonly address: string;
  /** What the next scrapes get. */
  body: string | Buffer;
  contentType: string;
  status: number;
  headers: Record<string, string>;
  /** Request headers of every scrape so far. */
  readonly requests: IncomingHttpHeaders[];
  /** Replaces the default handler (slow or custom answers). */
  handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  close(): Promise<void>;
}

/** An exposition server on 127.0.0.1 and a free port. */
export async function startExpositionServer(body = ''): Promise<ExpositionServer> {
  const state = {
    body: body as string | Buffer,
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    status: 200,
    headers: {} as Record<string, string>,
    requests: [] as IncomingHttpHeaders[],
    handler: undefined as ((req: IncomingMessage, res: ServerResponse) => void) | undefined,
  };
  const srv: Server = createServer((req, res) => {
    state.requests.push(req.headers);
    if (state.handler) return state.handler(req, res);
    res.writeHead(state.status, { 'content-type': state.contentType, ...state.headers });
    res.end(state.body);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  return Object.assign(state, {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  });
}

/** A scrape config with Prometheus' defaults (job `node`, 15s/10s), overridden by `over`. */
export function scrapeConfig(over: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return {
    jobName: 'node',
    scrapeInterval: 15_000,
    scrapeTimeout: 10_000,
    metricsPath: '/metrics',
    scheme: 'http',
    honorLabels: false,
    honorTimestamps: true,
    params: {},
    http: { tls: { insecureSkipVerify: false } },
    sampleLimit: 0,
    labelLimit: 0,
    bodySizeLimit: 0,
    staticConfigs: [],
    fileSDConfigs: [],
    httpSDConfigs: [],
    dnsSDConfigs: [],
    relabelConfigs: [],
    metricRelabelConfigs: [],
    ...over,
  };
}
