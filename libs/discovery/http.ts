// `http_sd_configs` (Prometheus' HTTP discovery): every `refresh_interval` a GET of `url` returning
// a JSON list of target groups (Content-Type application/json, status 200); each target gets
// `__meta_url`. A failed or malformed answer keeps the last good groups and is reported.
import { sleepUnlessAborted, targetGroupsOf, type Discoverer, type TargetGroup } from './discovery.ts';

export interface HTTPDiscovererOptions {
  readonly url: string;
  readonly refreshInterval: number;
  readonly timeoutMs?: number;
  readonly onError?: (url: string, err: Error) => void;
}

export class HTTPDiscoverer implements Discoverer {
  constructor(private readonly opts: HTTPDiscovererOptions) {}

  /** One GET; throws with the reason when the answer is not a list of target groups. */
  async fetchGroups(signal?: AbortSignal): Promise<TargetGroup[]> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
    const res = await fetch(this.opts.url, {
      headers: { accept: 'application/json', 'x-prometheus-refresh-interval-seconds': String(this.opts.refreshInterval / 1000) },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (res.status !== 200) throw new Error(`server returned HTTP status ${res.status} ${res.statusText}`);
    const type = res.headers.get('content-type') ?? '';
    if (!/^application\/json(;|$)/.test(type)) throw new Error(`unsupported content type "${type}"`);
    const doc = (await res.json()) as unknown;
    return targetGroupsOf(doc, this.opts.url, { __meta_url: this.opts.url });
  }

  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    let last: TargetGroup[] | undefined;
    let prev = '';
    while (!signal.aborted) {
      try {
        last = await this.fetchGroups(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.opts.onError?.(this.opts.url, err as Error);
      }
      const key = JSON.stringify(last ?? null);
      if (last && key !== prev) {
        prev = key;
        yield last;
      }
      await sleepUnlessAborted(this.opts.refreshInterval, signal);
    }
  }
}
