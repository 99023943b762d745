// Parse (and print) time for typical dashboard and alerting queries.
// Run: node --import tsx libs/promql/parser/parser.bench.ts

import { pathToFileURL } from 'node:url';
import { exprToString, parseExpr } from './index.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export const BENCH_QUERIES: Record<string, string> = {
  selector: 'http_requests_total{job="api-server",instance=~"10\\\\.0\\\\..*",code!="200"}',
  rate: 'sum by (job, code) (rate(http_requests_total{job="api"}[5m]))',
  quantile:
    'histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket{env="prod"}[5m] offset 1h)))',
  alert:
    '(sum(rate(errors_total{job=~"a|b"}[10m])) by (job) / on(job) group_left(team) sum(rate(requests_total[10m])) by (job, team)) > 0.05 and on(job) up == 1',
  subquery: 'max_over_time(deriv(rate(node_cpu_seconds_total{mode="idle"}[1m])[30m:1m])[1h:5m] @ end()) * -1',
};

function timePerOp(fn: () => void, minMs = 300): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up (and let the JIT settle)
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1e6) / n; // ns per op
}

export function runParserBench(): BenchResult[] {
  const rows: BenchResult[] = [];
  for (const [name, q] of Object.entries(BENCH_QUERIES)) {
    rows.push({ name: `promql parse ${name}`, value: Math.round(timePerOp(() => parseExpr(q)) / 10) / 100, unit: 'µs/query' });
  }
  const e = parseExpr(BENCH_QUERIES.alert!);
  rows.push({ name: 'promql print alert', value: Math.round(timePerOp(() => exprToString(e)) / 10) / 100, unit: 'µs/query' });
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of runParserBench()) console.log(`${r.name.padEnd(28)} ${String(r.value).padStart(10)} ${r.unit}`);
}
