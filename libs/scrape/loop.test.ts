import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newRelabelConfigs } from '../relabel/index.ts';
import type { RelabelConfigInput } from '../relabel/index.ts';
import type { ScrapeConfig } from './config.ts';
import { ScrapeLoop } from './loop.ts';
import { HTTPScraper } from './scraper.ts';
import { Target, populateLabels } from './target.ts';
import type { CollectedSample, ExpositionServer } from './testutil.ts';
import { CollectingAppendable, scrapeConfig, startExpositionServer } from './testutil.ts';

function newLoop(srv: ExpositionServer, over: Partial<ScrapeConfig> = {}): { loop: ScrapeLoop; app: CollectingAppendable; target: Target } {
  const cfg = scrapeConfig(over);
  const p = populateLabels(cfg, [], { __address__: srv.address }, {});
  assert.ok(!p.dropped);
  if (p.dropped) throw new Error('dropped');
  const target = new Target(cfg.jobName, p.discovered, p.labels, cfg.params);
  const app = new CollectingAppendable();
  const loop = new ScrapeLoop({
    target,
    scraper: new HTTPScraper({ url: target.url, timeout: target.timeout, bodySizeLimit: cfg.bodySizeLimit, http: cfg.http, userAgent: 'Strata/test' }),
    appendable: app,
    mutation: {
      targetLabels: target.labels,
      honorLabels: cfg.honorLabels,
      honorTimestamps: cfg.honorTimestamps,
      metricRelabelConfigs: newRelabelConfigs(cfg.metricRelabelConfigs as RelabelConfigInput[]),
      sampleLimit: cfg.sampleLimit,
      labelLimit: cfg.labelLimit,
      labelNameLengthLimit: cfg.labelNameLengthLimit ?? 0,
      labelValueLengthLimit: cfg.labelValueLengthLimit ?? 0,
    },
  });
  return { loop, app, target };
}

/** name{labels} → value (or 'stale') of one commit, target labels left out for brevity. */
function view(batch: readonly CollectedSample[], inst: string): Record<string, number | 'stale'> {
  const out: Record<string, number | 'stale'> = {};
  for (const s of batch) {
    const rest = s.labels.toRecord();
    assert.equal(rest.job, 'node');
    if (rest.instance === inst) delete rest.instance;
    delete rest.job;
    const name = rest.__name__!;
    delete rest.__name__;
    const ls = Object.entries(rest).map(([k, v]) => `${k}="${v}"`).join(',');
    out[ls === '' ? name : `${name}{${ls}}`] = s.stale ? 'stale' : s.v;
  }
  return out;
}

function report(up: number, scraped: number, post: number, added: number): Record<string, number> {
  return { up, scrape_samples_scraped: scraped, scrape_samples_post_metric_relabeling: post, scrape_series_added: added };
}

function withoutDuration(v: Record<string, number | 'stale'>): Record<string, number | 'stale'> {
  assert.equal(typeof v.scrape_duration_seconds, 'number');
  const { scrape_duration_seconds: _d, ...rest } = v;
  return rest;
}

describe('ScrapeLoop', () => {
  let srv: ExpositionServer;
  before(async () => {
    srv = await startExpositionServer();
  });
  after(() => srv.close());
  const reset = (body: string): void => {
    srv.body = body;
    srv.status = 200;
    srv.handler = undefined;
    srv.contentType = 'text/plain; version=0.0.4';
  };

  it('marks vanished series stale and reports the synthetic series', async () => {
    reset('# TYPE a counter\n# HELP a An a.\na 1\nb{x="1"} 2\n');
    const { loop, app, target } = newLoop(srv);
    await loop.scrapeOnce();
    assert.deepEqual(withoutDuration(view(app.batches[0]!, srv.address)), { a: 1, 'b{x="1"}': 2, ...report(1, 2, 2, 2) });
    assert.equal(target.health, 'up');
    assert.equal(target.lastScrapeSeries, 2);
    srv.body = 'a 3\nc 4\n';
    await loop.scrapeOnce();
    const b2 = app.batches[1]!;
    assert.deepEqual(withoutDuration(view(b2, srv.address)), { a: 3, c: 4, 'b{x="1"}': 'stale', ...report(1, 2, 2, 1) });
    assert.ok(b2.every((s) => s.t === b2[0]!.t) && b2[0]!.t > app.batches[0]![0]!.t);
    assert.deepEqual([...loop.metadata()], [{ metricFamily: 'a', type: 'counter', help: 'An a.', unit: '' }]);

    // A failed scrape marks every series stale, up=0.
    srv.status = 503;
    await loop.scrapeOnce();
    assert.deepEqual(withoutDuration(view(app.batches[2]!, srv.address)), { a: 'stale', c: 'stale', ...report(0, 0, 0, 0) });
    assert.equal(target.health, 'down');
    assert.equal(target.lastError, 'server returned HTTP status 503 Service Unavailable');

    // Back again: everything is new; stop writes stale markers for all, synthetic series too.
    srv.status = 200;
    await loop.scrapeOnce();
    assert.deepEqual(withoutDuration(view(app.batches[3]!, srv.address)), { a: 3, c: 4, ...report(1, 2, 2, 2) });
    await loop.stop({ staleMarkers: true });
    const last = view(app.batches[4]!, srv.address);
    assert.deepEqual(Object.values(last).filter((v) => v !== 'stale'), []);
    assert.deepEqual(Object.keys(last).sort(), ['a', 'c', 'scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'up']);
    await loop.scrapeOnce();
    assert.equal(app.commits, 5);
  });

  it('stops without stale markers when handing over', async () => {
    reset('a 1\n');
    const { loop, app } = newLoop(srv);
    await loop.scrapeOnce();
    await loop.stop({ staleMarkers: false });
    assert.equal(app.commits, 1);
  });

  it('renames conflicting labels to exported_ unless honor_labels', async () => {
    reset('a{job="j",instance="i",exported_job="e"} 1\n');
    const plain = newLoop(srv);
    await plain.loop.scrapeOnce();
    assert.deepEqual(plain.app.of('a')[0]!.labels.toRecord(), {
      __name__: 'a',
      instance: srv.address,
      job: 'node',
      exported_instance: 'i',
      exported_job: 'e',
      exported_exported_job: 'j',
    });
    const honor = newLoop(srv, { honorLabels: true });
    await honor.loop.scrapeOnce();
    assert.deepEqual(honor.app.of('a')[0]!.labels.toRecord(), { __name__: 'a', instance: 'i', job: 'j', exported_job: 'e' });
  });

  it('honours timestamps (no stale markers for them) unless honor_timestamps is false', async () => {
    reset('a 1 1000\nb 2\n');
    const h = newLoop(srv);
    await h.loop.scrapeOnce();
    assert.equal(h.app.of('a')[0]!.t, 1000);
    srv.body = 'c 1\n';
    await h.loop.scrapeOnce();
    assert.deepEqual(Object.keys(view(h.app.batches[1]!, srv.address)).filter((k) => k.length === 1).sort(), ['b', 'c']);
    assert.ok(h.app.of('b')[1]!.stale);
    srv.body = 'a 1 1000\n';
    const n = newLoop(srv, { honorTimestamps: false });
    await n.loop.scrapeOnce();
    assert.equal(n.app.of('a')[0]!.t, n.app.of('up')[0]!.t);
  });

  it('fails the whole scrape over sample_limit', async () => {
    let body = '';
    for (let i = 0; i < 10_000; i++) body += `m{i="${i}"} ${i}\n`;
    reset('a 1\n');
    const { loop, app, target } = newLoop(srv, { sampleLimit: 5_000 });
    await loop.scrapeOnce();
    srv.body = body;
    await loop.scrapeOnce();
    assert.equal(target.health, 'down');
    assert.match(target.lastError, /sample limit exceeded/);
    assert.equal(app.of('m').length, 0);
    assert.deepEqual(withoutDuration(view(app.batches[1]!, srv.address)), { a: 'stale', ...report(0, 10_000, 10_000, 5_000) });
    assert.equal(app.rollbacks, 1);
  });

  it('fails a malformed body with the parser message, nothing of it committed', async () => {
    reset('a 1\nb{x="1" 2\n');
    const { loop, app, target } = newLoop(srv);
    await loop.scrapeOnce();
    assert.equal(target.health, 'down');
    assert.match(target.lastError, /^line 2: /);
    assert.equal(app.of('a').length, 0);
    assert.equal(app.of('up')[0]!.v, 0);
  });

  it('fails a slow target with a timeout, up=0', async () => {
    reset('');
    srv.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a 1\n');
      setTimeout(() => res.end(), 2_000).unref();
    };
    const { loop, app, target } = newLoop(srv, { scrapeTimeout: 100 });
    await loop.scrapeOnce();
    assert.match(target.lastError, /scrape timed out after 0.1s/);
    assert.equal(app.of('up')[0]!.v, 0);
    await loop.stop({ staleMarkers: false });
  });

  it('fails over body_size_limit and label_limit', async () => {
    reset(`a 1\n${'b 1\n'.repeat(1000)}`);
    const big = newLoop(srv, { bodySizeLimit: 100 });
    await big.loop.scrapeOnce();
    assert.match(big.target.lastError, /body size limit exceeded/);
    reset('a{x="1",y="2"} 1\n');
    const many = newLoop(srv, { labelLimit: 3 });
    await many.loop.scrapeOnce();
    assert.equal(many.target.lastError, 'label_limit exceeded (metric: a, number of labels: 5, limit: 3)');
    const long = newLoop(srv, { labelValueLengthLimit: 1, labelLimit: 10 });
    srv.body = 'a{x="12"} 1\n';
    await long.loop.scrapeOnce();
    assert.match(long.target.lastError, /^label_value_length_limit exceeded \(metric: a, label name: instance/);
  });

  it('applies metric_relabel_configs and ignores duplicate series', async () => {
    reset('a{x="1"} 1\na{x="2"} 2\ngo_x 1\na{x="1"} 3\n');
    const { loop, app } = newLoop(srv, {
      metricRelabelConfigs: [
        { action: 'drop', source_labels: ['__name__'], regex: 'go_.*' },
        { action: 'labeldrop', regex: 'x' },
      ],
    });
    await loop.scrapeOnce();
    // a{x="2"} becomes a, like a{x="1"}: one series, the first sample kept.
    assert.deepEqual(withoutDuration(view(app.batches[0]!, srv.address)), { a: 1, ...report(1, 4, 1, 1) });
  });

  it('reads OpenMetrics', async () => {
    reset('# TYPE a gauge\n# UNIT a_seconds seconds\na 1\n# EOF\n');
    srv.body = '# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n';
    srv.contentType = 'application/openmetrics-text; version=1.0.0';
    const { loop, app } = newLoop(srv);
    await loop.scrapeOnce();
    assert.equal(app.of('a_seconds')[0]!.v, 1);
    assert.deepEqual([...loop.metadata()], [{ metricFamily: 'a_seconds', type: 'gauge', help: '', unit: 'seconds' }]);
  });
});
