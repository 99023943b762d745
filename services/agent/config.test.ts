import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentConfigError, parseAgentConfig } from './config.ts';

const HAS_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

// A prometheus.yml as users have them; promtool accepts it (checked below).
const PROMETHEUS_YML = `
global:
  scrape_interval: 15s
  external_labels:
    cluster: eu-1
rule_files: [rules.yml]
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['10.0.0.1:9100', '10.0.0.2:9100']
        labels: { env: prod }
    relabel_configs:
      - source_labels: [__address__]
        regex: '(.*):9100'
        target_label: host
    metric_relabel_configs:
      - action: drop
        source_labels: [__name__]
        regex: 'go_.*'
  - job_name: api
    scrape_interval: 30s
    scrape_timeout: 20s
    metrics_path: /internal/metrics
    scheme: https
    honor_labels: true
    params: { format: [prometheus] }
    basic_auth: { username: scraper, password: s3cret }
    tls_config: { insecure_skip_verify: true }
    sample_limit: 5000
    label_value_length_limit: 200
    body_size_limit: 10MB
    file_sd_configs:
      - files: ['targets/*.json']
    proxy_url: http://proxy:3128
remote_write:
  - url: http://strata:9009/api/v1/push
    headers: { X-Scope-OrgID: team-a }
    queue_config: { max_samples_per_send: 1000 }
    write_relabel_configs:
      - action: labeldrop
        regex: tmp_.*
`;

describe('agent config (prometheus.yml)', () => {
  it('reads global, scrape_configs and remote_write with Prometheus\' defaults', () => {
    const c = parseAgentConfig(PROMETHEUS_YML);
    assert.deepEqual(c.global, { scrapeInterval: 15_000, scrapeTimeout: 10_000, externalLabels: { cluster: 'eu-1' } });
    const [node, api] = c.scrapeConfigs;
    assert.deepEqual(
      [node!.jobName, node!.scrapeInterval, node!.scrapeTimeout, node!.metricsPath, node!.scheme, node!.honorLabels, node!.honorTimestamps],
      ['node', 15_000, 10_000, '/metrics', 'http', false, true],
    );
    assert.deepEqual(node!.staticConfigs, [{ targets: ['10.0.0.1:9100', '10.0.0.2:9100'], labels: { env: 'prod' } }]);
    assert.equal(node!.relabelConfigs.length, 1);
    assert.equal(node!.metricRelabelConfigs.length, 1);
    assert.deepEqual(
      [api!.scrapeInterval, api!.scrapeTimeout, api!.metricsPath, api!.scheme, api!.honorLabels, api!.sampleLimit, api!.bodySizeLimit],
      [30_000, 20_000, '/internal/metrics', 'https', true, 5000, 10_000_000],
    );
    assert.deepEqual([api!.labelValueLengthLimit, api!.labelNameLengthLimit, node!.labelValueLengthLimit], [200, 0, 0]);
    assert.deepEqual(api!.params, { format: ['prometheus'] });
    assert.deepEqual(api!.http, { basicAuth: { username: 'scraper', password: 's3cret' }, tls: { insecureSkipVerify: true } });
    assert.deepEqual(api!.fileSDConfigs, [{ files: ['targets/*.json'], refreshInterval: 300_000 }]);
    const [rw] = c.remoteWrite;
    assert.equal(rw!.url, 'http://strata:9009/api/v1/push');
    assert.deepEqual(rw!.headers, { 'X-Scope-OrgID': 'team-a' });
    assert.equal(rw!.queue.maxSamplesPerSend, 1000);
    assert.equal(rw!.queue.capacity, 10_000);
    assert.equal(rw!.remoteTimeout, 30_000);
  });

  it('reports every key it does not support by its path', () => {
    const c = parseAgentConfig(PROMETHEUS_YML);
    assert.deepEqual(c.unsupported, ['scrape_configs[1].proxy_url', 'rule_files']);
    const more = parseAgentConfig(`
scrape_configs:
  - job_name: x
    static_configs: [{ targets: [a:1], weird: 1 }]
remote_write:
  - url: http://x/api/v1/push
    sigv4: { region: eu }
alerting: {}
`);
    assert.deepEqual(more.unsupported, ['scrape_configs[0].static_configs[0].weird', 'remote_write[0].sigv4', 'alerting']);
  });

  it('refuses malformed configs with the key and Prometheus\' message', () => {
    const bad = (yml: string, re: RegExp) => assert.throws(() => parseAgentConfig(yml), (e: unknown) => e instanceof AgentConfigError && re.test(e.message));
    bad('scrape_configs: [{ job_name: a, scrape_interval: 10s, scrape_timeout: 20s }]', /^scrape_configs\[0\]: scrape timeout greater than scrape interval for scrape config with job name "a"$/);
    bad('scrape_configs: [{ job_name: a }, { job_name: a }]', /^found multiple scrape configs with job name "a"$/);
    bad('global: { scrape_interval: often }', /^global\.scrape_interval: expected a duration such as "15s", got "often"$/);
    bad('remote_write: [{ headers: {} }]', /^remote_write\[0\]\.url: required$/);
    bad('scrape_configs: [{ job_name: a, scheme: ftp }]', /^scrape_configs\[0\]\.scheme: expected http or https/);
    bad('scrape_configs: [{ job_name: a, basic_auth: { username: u }, bearer_token: t }]', /at most one of basic_auth and authorization/);
    bad(': : :', /^not valid YAML/);
  });

  it('is a prometheus.yml that Prometheus itself accepts', { skip: !HAS_PROMTOOL && 'promtool is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-agent-config-'));
    try {
      writeFileSync(join(dir, 'prometheus.yml'), PROMETHEUS_YML);
      writeFileSync(join(dir, 'rules.yml'), 'groups: []\n');
      const r = spawnSync('promtool', ['check', 'config', '--syntax-only', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
