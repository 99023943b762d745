import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRelabelConfigs } from '../relabel/index.ts';
import type { RelabelConfigInput } from '../relabel/index.ts';
import { scrapeConfig } from './testutil.ts';
import { Target, TargetLabelsError, populateLabels } from './target.ts';

// Cases from Prometheus' documented behaviour (configuration.md <scrape_config> and <relabel_config>).
describe('populateLabels', () => {
  const cases: {
    name: string;
    cfg?: Parameters<typeof scrapeConfig>[0];
    target: Record<string, string>;
    group?: Record<string, string>;
    relabel?: RelabelConfigInput[];
    discovered?: Record<string, string>;
    labels?: Record<string, string>;
    dropped?: true;
    error?: string;
  }[] = [
    {
      name: 'defaults from the scrape config; instance from __address__; no port added',
      target: { __address__: 'host' },
      discovered: { __address__: 'host', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '15s', __scrape_timeout__: '10s', job: 'node' },
      labels: { __address__: 'host', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '15s', __scrape_timeout__: '10s', instance: 'host', job: 'node' },
    },
    {
      name: 'discovery wins over the defaults; target labels over group labels',
      target: { __address__: 'h:1', __scheme__: 'https', job: 'other', env: 't' },
      group: { env: 'g', dc: 'x' },
      labels: { __address__: 'h:1', __metrics_path__: '/metrics', __scheme__: 'https', __scrape_interval__: '15s', __scrape_timeout__: '10s', dc: 'x', env: 't', instance: 'h:1', job: 'other' },
    },
    {
      name: 'params become __param_ labels (first value)',
      cfg: { params: { module: ['a', 'b'], target: ['x'] } },
      target: { __address__: 'h:1', __param_target: 'y' },
      labels: {
        __address__: 'h:1',
        __metrics_path__: '/metrics',
        __param_module: 'a',
        __param_target: 'y',
        __scheme__: 'http',
        __scrape_interval__: '15s',
        __scrape_timeout__: '10s',
        instance: 'h:1',
        job: 'node',
      },
    },
    {
      name: '__meta_ labels are gone after relabelling; instance kept when set',
      target: { __address__: 'h:1', __meta_x: 'm' },
      relabel: [{ source_labels: ['__meta_x'], target_label: 'instance' }],
      labels: { __address__: 'h:1', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '15s', __scrape_timeout__: '10s', instance: 'm', job: 'node' },
    },
    { name: 'dropped by relabelling', target: { __address__: 'h:1' }, relabel: [{ action: 'drop', source_labels: ['__address__'], regex: 'h:.*' }], dropped: true },
    { name: 'no address after relabelling', target: { __address__: 'h:1' }, relabel: [{ action: 'labeldrop', regex: '__address__' }], error: 'no address' },
    { name: 'address with a path', target: { __address__: 'h:1/x' }, error: '"h:1/x" is not a valid hostname' },
    { name: 'bad interval', target: { __address__: 'h', __scrape_interval__: 'soon' }, error: 'error parsing scrape interval: not a valid duration string: "soon"' },
    {
      name: 'timeout above the interval',
      target: { __address__: 'h', __scrape_interval__: '5s' },
      error: 'scrape timeout cannot be greater than scrape interval ("10s" > "5s")',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cfg = scrapeConfig(c.cfg);
      const run = () => populateLabels(cfg, newRelabelConfigs(c.relabel ?? []), c.target, c.group ?? {});
      if (c.error !== undefined) {
        assert.throws(run, (err: Error) => err instanceof TargetLabelsError && err.message === c.error);
        return;
      }
      const p = run();
      assert.equal(p.dropped, c.dropped === true);
      if (c.discovered) assert.deepEqual(p.discovered.toRecord(), c.discovered);
      if (!p.dropped && c.labels) assert.deepEqual(p.labels.toRecord(), c.labels);
    });
  }
});

describe('Target', () => {
  it('has public labels, a URL with params and a stable hash', () => {
    const cfg = scrapeConfig({ params: { module: ['a', 'b'], z: ['1'] }, scheme: 'https', metricsPath: '/probe' });
    const p = populateLabels(cfg, [], { __address__: 'h:9115', __param_module: 'http 2xx' }, {});
    assert.equal(p.dropped, false);
    if (p.dropped) return;
    const t = new Target('node', p.discovered, p.labels, cfg.params);
    assert.deepEqual(t.labels.toRecord(), { instance: 'h:9115', job: 'node' });
    assert.equal(t.url, 'https://h:9115/probe?module=http+2xx&z=1');
    assert.equal(t.interval, 15_000);
    assert.equal(t.timeout, 10_000);
    const same = new Target('node', p.discovered, p.labels, cfg.params);
    assert.equal(t.hash(), same.hash());
    assert.ok(Number.isInteger(t.hash()) && t.hash() >= 0 && t.hash() < 2 ** 32);
    const q = populateLabels(cfg, [], { __address__: 'h:9116' }, {});
    assert.ok(!q.dropped);
    if (!q.dropped) assert.notEqual(new Target('node', q.discovered, q.labels, cfg.params).hash(), t.hash());
    assert.equal(t.health, 'unknown');
  });
});
