// `dns_sd_configs` (Prometheus' DNS discovery): every `refresh_interval` each name is resolved as
// SRV (targets `<target>:<port>`), A or AAAA (targets `<ip>:<port>`), with `__meta_dns_name` and,
// for SRV, `__meta_dns_srv_record_target` and `__meta_dns_srv_record_port`. A name that fails to
// resolve keeps its last good group and is reported.
import { Resolver } from 'node:dns/promises';
import { sleepUnlessAborted, type Discoverer, type TargetGroup } from './discovery.ts';

export interface DNSDiscovererOptions {
  readonly names: readonly string[];
  readonly type: 'A' | 'AAAA' | 'SRV';
  /** Port of A/AAAA targets. */
  readonly port: number;
  readonly refreshInterval: number;
  /** DNS servers `ip:port` to ask; the system's by default. */
  readonly servers?: readonly string[];
  readonly onError?: (name: string, err: Error) => void;
}

const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export class DNSDiscoverer implements Discoverer {
  private readonly resolver = new Resolver({ timeout: 5_000, tries: 2 });
  private readonly last = new Map<string, TargetGroup>();

  constructor(private readonly opts: DNSDiscovererOptions) {
    if (opts.servers && opts.servers.length > 0) this.resolver.setServers([...opts.servers]);
  }

  /** The group of one name; throws with the resolver's error. */
  async resolve(name: string): Promise<TargetGroup> {
    const meta = { __meta_dns_name: name };
    let targets: Record<string, string>[];
    if (this.opts.type === 'SRV') {
      const records = await this.resolver.resolveSrv(name);
      targets = records.map((r) => {
        // Prometheus strips the root dot of the target name.
        const host = r.name.replace(/\.$/, '');
        return { __address__: hostPort(host, r.port), __meta_dns_srv_record_target: host, __meta_dns_srv_record_port: String(r.port) };
      });
    } else {
      const ips = this.opts.type === 'A' ? await this.resolver.resolve4(name) : await this.resolver.resolve6(name);
      targets = ips.map((ip) => ({ __address__: hostPort(ip, this.opts.port) }));
    }
    targets.sort((a, b) => (a.__address__! < b.__address__! ? -1 : a.__address__! > b.__address__! ? 1 : 0));
    return { source: name, targets: targets.map((t) => ({ ...t, ...meta })), labels: {} };
  }

  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    let prev = '';
    while (!signal.aborted) {
      for (const name of this.opts.names) {
        try {
          this.last.set(name, await this.resolve(name));
        } catch (err) {
          this.opts.onError?.(name, err as Error);
        }
      }
      const groups = this.opts.names.flatMap((n) => this.last.get(n) ?? []);
      const key = JSON.stringify(groups);
      if (key !== prev) {
        prev = key;
        yield groups;
      }
      await sleepUnlessAborted(this.opts.refreshInterval, signal);
    }
  }
}
