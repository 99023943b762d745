// Acceptance: the same prometheus.yml given to Prometheus 2.42 and to `strata --target=agent`,
// scraping a real prometheus-node-exporter, yields the same series in Strata and, for the metrics
// that do not change, the same values. Each writes to its own Strata (Prometheus 2.42 from Debian
// does not send remote_write `headers`, so one Strata with two tenants cannot tell them apart).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, instant, series, seriesKey, writeConfig } from './agent.ts';
import { startStrata, type StrataProcess } from './harness.ts';
import { startNodeExporter, type NodeExporter } from './node_exporter.ts';
import { hasPrometheus, startPrometheus, type PrometheusProcess } from './prometheus.ts';

const FIXED = ['# HELP acceptance_fixed A value that never changes.', '# TYPE acceptance_fixed gauge', 'acceptance_fixed{kind="a"} 42', 'acceptance_fixed{kind="b"} 1.5', ''].join('\n');

// Everything but the remote-write URL is shared.
function prometheusYml(nodeExporter: string, strata: string): string {
  return `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  external_labels:
    origin: acceptance
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['${nodeExporter}']
        labels:
          env: test
    relabel_configs:
      - source_labels: [__address__]
        regex: '127\\.0\\.0\\.1:(\\d+)'
        target_label: port
        replacement: 'p$1'
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_gc_duration_seconds.*'
        action: drop
remote_write:
  - url: ${strata}/api/v1/push
    queue_config:
      batch_send_deadline: 1s
`;
}

describe('agent and Prometheus 2.42 on one prometheus.yml', { skip: !hasPrometheus() && 'prometheus is not installed (Debian package prometheus)' }, () => {
  let ne: NodeExporter;
  let strata: StrataProcess;
  let strataP: StrataProcess;
  let agent: StrataProcess;
  let prom: PrometheusProcess;
  const files: string[] = [];

  before(async () => {
    ne = await startNodeExporter();
    writeFileSync(join(ne.textfileDir, 'acceptance.prom'), FIXED);
    [strata, strataP] = await Promise.all([startStrata(['--target=all']), startStrata(['--target=all'])]);
    const agentCfg = writeConfig(prometheusYml(ne.address, strata.url));
    const promCfg = prometheusYml(ne.address, strataP.url);
    files.push(agentCfg);
    agent = await startStrata(['--target=agent', `--agent.config-file=${agentCfg}`]);
    prom = await startPrometheus(promCfg);
  });

  after(async () => {
    await Promise.all([agent?.cleanup(), prom?.stop()]);
    await Promise.all([strata?.cleanup(), strataP?.cleanup()]);
    await ne?.cleanup();
    for (const f of files) rmSync(dirname(f), { recursive: true, force: true });
  });

  it('writes the same series with the same stable values', { timeout: 90_000 }, async () => {
    // A few scrapes of each, all remote-written.
    for (const s of [strata, strataP]) {
      await eventually(
        `five scrapes in ${s.url}`,
        async () => {
          const r = await instant(s.url, 'count_over_time(up{job="node"}[1m])');
          return r.length === 1 && Number(r[0]!.value[1]) >= 5 ? true : undefined;
        },
        60_000,
      );
    }
    const end = Date.now();
    const start = end - 60_000;
    const ours = new Set((await series(strata.url, '{job="node"}', start, end)).map(seriesKey));
    const theirs = new Set((await series(strataP.url, '{job="node"}', start, end)).map(seriesKey));
    const missing = [...theirs].filter((k) => !ours.has(k));
    const extra = [...ours].filter((k) => !theirs.has(k));
    assert.deepEqual({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }, { missing: [], extra: [] });
    assert.ok(ours.size > 100, `node-exporter has hundreds of series, got ${ours.size}`);
    // The target labels, relabelled the same way: instance, job, env from the group, port from relabelling, external label.
    const up = await instant(strata.url, 'up{job="node"}');
    assert.deepEqual(up[0]!.metric, { __name__: 'up', env: 'test', instance: ne.address, job: 'node', origin: 'acceptance', port: `p${ne.port}` });
    assert.equal(up[0]!.value[1], '1');
    assert.ok(![...ours].some((k) => k.includes('go_gc_duration_seconds')), 'metric_relabel_configs drop applied');

    for (const q of [
      'acceptance_fixed',
      'node_memory_MemTotal_bytes',
      'node_exporter_build_info',
      'up',
      'scrape_samples_scraped',
      'scrape_samples_post_metric_relabeling',
      'count by (__name__) ({job="node"})',
    ]) {
      const a = await instant(strata.url, q);
      const p = await instant(strataP.url, q);
      const norm = (v: typeof a) => v.map((s) => `${seriesKey(s.metric)} ${s.value[1]}`).sort();
      assert.deepEqual(norm(a), norm(p), q);
      assert.ok(a.length > 0, `${q} has samples`);
    }
  });

  it('lists its target in Prometheus\' /api/v1/targets shape', async () => {
    const res = await fetch(`${agent.url}/api/v1/targets`);
    const body = (await res.json()) as { status: string; data: { activeTargets: Record<string, unknown>[] } };
    const p = (await (await fetch(`${prom.url}/api/v1/targets`)).json()) as typeof body;
    assert.equal(body.status, 'success');
    const ours = body.data.activeTargets[0]!;
    const theirs = p.data.activeTargets[0]!;
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
    for (const k of ['labels', 'discoveredLabels', 'scrapePool', 'scrapeUrl', 'health', 'scrapeInterval', 'scrapeTimeout', 'lastError']) {
      assert.deepEqual(ours[k], theirs[k], k);
    }
  });
});
