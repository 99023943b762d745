// `npm run bench`: every benchmark next to a hot path, in one run, with Prometheus' figures from
// the same run where a reference exists (promtool for block size, a Prometheus server for
// PromQL). Prints a table and writes .tmp/bench.json. Run with --expose-gc for memory figures
// (npm run bench does).

import { mkdirSync, writeFileSync } from 'node:fs';
import { runXorBench } from '../libs/tsdb/chunkenc/xor.bench.ts';
import { runHistogramBench } from '../libs/tsdb/chunkenc/histogram.bench.ts';
import { runWalBench } from '../libs/tsdb/wal/wal.bench.ts';
import { runParserBench } from '../libs/exposition/parser.bench.ts';
import { runScrapeBench } from '../libs/scrape/scrape.bench.ts';
import { runParserBench as runPromqlParserBench } from '../libs/promql/parser/parser.bench.ts';
import { runHeadBench, runBlockBytesBench, runBlockSelectBench } from '../libs/tsdb/bench/tsdb.bench.ts';
import { runPromqlBench } from '../libs/promql/bench/promql.bench.ts';
import { runIngestBench } from '../services/distributor/ingest.bench.ts';
import { runDecodeBench as runRemoteWriteBench } from '../libs/remotewrite/decode.bench.ts';
import { runStoreBench } from '../services/storegateway/store.bench.ts';
import { runRemoteBench as runAgentRemoteBench } from '../services/agent/remote/remote.bench.ts';
import { runAgentBench } from '../services/agent/agent.bench.ts';

interface Row {
  name: string;
  value: number;
  unit: string;
  reference?: number;
}

const quick = process.argv.includes('--quick');
const rows: Row[] = [];
const sections: [string, () => Promise<Row[]> | Row[]][] = [
  ['head', () => runHeadBench(quick ? { series: 20_000 } : {})],
  ['block size', () => runBlockBytesBench(quick ? { series: 500 } : {})],
  ['block select', () => runBlockSelectBench(quick ? { series: 2_000 } : {})],
  ['xor chunks', () => runXorBench()],
  ['histogram chunks', () => runHistogramBench()],
  ['wal', () => runWalBench({ seconds: quick ? 1 : 3 })],
  ['exposition parser (vs promtool check metrics)', () => runParserBench()],
  ['scrape', () => runScrapeBench(quick ? { scrapes: 50 } : {})],
  ['remote-write decode', () => runRemoteWriteBench(quick ? { series: 20_000 } : {})],
  ['promql (vs prometheus)', () => runPromqlBench(quick ? { series: 2_000 } : {})],
  ['promql parser', () => runPromqlParserBench()],
  ['remote-write ingest (vs prometheus)', () => runIngestBench(quick ? { series: 20_000, rounds: 3 } : {})],
  ['store-gateway 7d range query', () => runStoreBench(quick ? { series: 100 } : {})],
  ['agent WAL + remote write', () => runAgentRemoteBench(quick ? { commits: 20 } : {})],
  ['agent scrape + remote write (vs prometheus agent)', () => runAgentBench(quick ? { targets: 100, series: 100, interval: 5_000 } : {})],
];
for (const [section, run] of sections) {
  process.stderr.write(`running ${section}...\n`);
  for (const r of await run()) rows.push(r);
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(+v.toFixed(3)));
const width = Math.max(...rows.map((r) => r.name.length));
console.log(`${'benchmark'.padEnd(width)}  ${'strata'.padStart(14)}  unit            prometheus   ratio`);
for (const r of rows) {
  const ref = r.reference !== undefined ? fmt(r.reference).padStart(10) : ''.padStart(10);
  const ratio = r.reference !== undefined ? (r.value / r.reference).toFixed(2).padStart(7) : '';
  console.log(`${r.name.padEnd(width)}  ${fmt(r.value).padStart(14)}  ${r.unit.padEnd(14)}  ${ref} ${ratio}`);
}
mkdirSync('.tmp', { recursive: true });
writeFileSync('.tmp/bench.json', JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
