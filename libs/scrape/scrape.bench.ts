// Scrape throughput in the steady state: a node_exporter-like page (about 1,000 series) scraped
// over loopback HTTP, parsed and appended through the scrape cache, and the same without HTTP.
// The budget is 1k targets x 1k series every 15s on one core: ~67k samples/s, ~15 µs per sample.
// Run: node --import tsx libs/scrape/scrape.bench.ts

import { pathToFileURL } from 'node:url';
import type { Labels } from '../model/index.ts';
import type { Appendable, Appender, SeriesRef } from '../storage/index.ts';
import { ScrapeCache } from './cache.ts';
import type { AppendCounts } from './cache.ts';
import { ScrapeLoop } from './loop.ts';
import { HTTPScraper } from './scraper.ts';
import { Target, populateLabels } from './target.ts';
import { scrapeConfig, startExpositionServer } from './testutil.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

/** About `series` samples in node_exporter's shape (HELP/TYPE per family, 0–3 labels). */
export function nodeExporterPage(series = 1000): { text: string; samples: number } {
  const lines: string[] = [];
  let n = 0;
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  for (let f = 0; n < series; f++) {
    const name = f % 3 === 0 ? `node_cpu_seconds_total_${f}` : f % 3 === 1 ? `node_filesystem_avail_bytes_${f}` : `node_network_receive_bytes_total_${f}`;
    lines.push(`# HELP ${name} A node_exporter-like metric family.`, `# TYPE ${name} ${f % 3 === 1 ? 'gauge' : 'counter'}`);
    for (let cpu = 0; cpu < 4 && n < series; cpu++) {
      for (const m of modes) {
        if (n >= series) break;
        lines.push(`${name}{cpu="${cpu}",device="/dev/sda${cpu}",mode="${m}"} ${(123456.78 + n * 17.31).toFixed(2)}`);
        n++;
      }
    }
  }
  return { text: `${lines.join('\n')}\n`, samples: n };
}

// An appender that keeps nothing: the bench measures the scraper, not a storage.
class DiscardAppendable implements Appendable {
  #next = 1;
  appender(): Appender {
    return {
      append: (ref: SeriesRef, _l: Labels, _t: number, _v: number) => (ref !== 0 ? ref : this.#next++),
      appendHistogram: (ref: SeriesRef) => ref,
      commit: () => Promise.resolve(),
      rollback: () => undefined,
    };
  }
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export async function runScrapeBench(opts: { series?: number; scrapes?: number } = {}): Promise<BenchResult[]> {
  const { text, samples } = nodeExporterPage(opts.series ?? 1000);
  const scrapes = opts.scrapes ?? 300;
  const out: BenchResult[] = [];

  // Cache and parser only.
  const body = Buffer.from(text);
  const app = new DiscardAppendable();
  const cache = new ScrapeCache({
    targetLabels: (populateLabels(scrapeConfig(), [], { __address__: 'h:9100' }, {}) as { labels: Labels }).labels,
    honorLabels: false,
    honorTimestamps: true,
    metricRelabelConfigs: [],
    sampleLimit: 0,
    labelLimit: 0,
    labelNameLengthLimit: 0,
    labelValueLengthLimit: 0,
  });
  const counts: AppendCounts = { total: 0, added: 0, seriesAdded: 0, duplicates: 0, rejected: 0 };
  cache.append(app.appender(), body, 'prometheus', 1, counts);
  let t0 = performance.now();
  let c0 = cpuMicros();
  for (let i = 0; i < scrapes; i++) cache.append(app.appender(), body, 'prometheus', 2 + i, counts);
  let wall = (performance.now() - t0) / 1000;
  out.push({ name: 'scrape cache append (steady state)', value: (samples * scrapes) / wall, unit: 'samples/s' });
  out.push({ name: 'scrape cache append CPU', value: (cpuMicros() - c0) / (samples * scrapes), unit: 'µs/sample' });

  // Whole scrape over loopback HTTP (the server's own CPU is in the same process, so counted too).
  const srv = await startExpositionServer(text);
  try {
    const cfg = scrapeConfig();
    const p = populateLabels(cfg, [], { __address__: srv.address }, {});
    if (p.dropped) throw new Error('unexpected drop');
    const target = new Target(cfg.jobName, p.discovered, p.labels, cfg.params);
    const loop = new ScrapeLoop({
      target,
      scraper: new HTTPScraper({ url: target.url, timeout: 10_000, bodySizeLimit: 0, http: cfg.http, userAgent: 'Strata/bench' }),
      appendable: app,
      mutation: {
        targetLabels: target.labels,
        honorLabels: false,
        honorTimestamps: true,
        metricRelabelConfigs: [],
        sampleLimit: 0,
        labelLimit: 0,
        labelNameLengthLimit: 0,
        labelValueLengthLimit: 0,
      },
    });
    await loop.scrapeOnce();
    t0 = performance.now();
    c0 = cpuMicros();
    for (let i = 0; i < scrapes; i++) await loop.scrapeOnce();
    wall = (performance.now() - t0) / 1000;
    const cpu = (cpuMicros() - c0) / (samples * scrapes);
    await loop.stop({ staleMarkers: false });
    if (target.health !== 'up') throw new Error(`bench target is ${target.health}: ${target.lastError}`);
    out.push({ name: 'scrape over HTTP (scrape+parse+append)', value: (samples * scrapes) / wall, unit: 'samples/s' });
    out.push({ name: 'scrape over HTTP CPU (incl. server)', value: cpu, unit: 'µs/sample' });
  } finally {
    await srv.close();
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await runScrapeBench()) console.log(`${r.name.padEnd(44)} ${r.value.toFixed(2).padStart(14)} ${r.unit}`);
}
