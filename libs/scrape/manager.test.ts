import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { TargetGroup } from '../discovery/index.ts';
import { ScrapeManager } from './manager.ts';
import type { Target } from './target.ts';
import type { ExpositionServer } from './testutil.ts';
import { CollectingAppendable, scrapeConfig, startExpositionServer } from './testutil.ts';

const FAST = { scrapeInterval: 100, scrapeTimeout: 80 };

function groups(...addrs: string[]): TargetGroup[] {
  return [{ source: '0', targets: addrs.map((a) => ({ __address__: a })), labels: { env: 'test' } }];
}

describe('ScrapeManager', () => {
  let a: ExpositionServer;
  let b: ExpositionServer;
  before(async () => {
    a = await startExpositionServer('m{s="a"} 1\n');
    b = await startExpositionServer('m{s="b"} 1\n');
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  const upOf = (app: CollectingAppendable, srv: ExpositionServer): number => app.samples.filter((s) => s.labels.get('__name__') === 'up' && s.labels.get('instance') === srv.address && !s.stale).length;
  const staleOf = (app: CollectingAppendable, srv: ExpositionServer): string[] =>
    app.samples.filter((s) => s.stale && s.labels.get('instance') === srv.address).map((s) => s.labels.get('__name__')).sort();

  it('starts loops for synced targets and stops vanished ones with stale markers', async () => {
    const app = new CollectingAppendable();
    const registry = new Registry();
    const m = new ScrapeManager({ appendable: app, registry });
    await m.applyConfig([scrapeConfig({ ...FAST, jobName: 'j' })]);
    await m.sync('j', groups(a.address, b.address, a.address));
    await m.start();
    await app.waitFor(() => upOf(app, a) >= 2 && upOf(app, b) >= 2, 10_000, 'scrapes of a and b');
    const active = m.activeTargets().get('j')!;
    assert.equal(active.length, 2);
    assert.deepEqual(app.of('m').find((s) => s.labels.get('s') === 'a')!.labels.toRecord(), { __name__: 'm', env: 'test', instance: a.address, job: 'j', s: 'a' });
    assert.match(await registry.metrics(), /prometheus_target_scrape_pool_targets\{scrape_job="j"\} 2/);

    await m.sync('j', groups(a.address));
    assert.deepEqual(staleOf(app, b), ['m', 'scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'up']);
    const bCount = upOf(app, b);
    assert.deepEqual(m.activeTargets().get('j')!.map((t) => t.labels.get('instance')), [a.address]);
    assert.deepEqual(staleOf(app, a), []);

    await m.stop();
    assert.ok(staleOf(app, a).includes('m'));
    assert.equal(upOf(app, b), bCount);
    assert.match(await registry.metrics(), /strata_agent_scrapes_total\{job="j",result="success"\} \d+/);
  });

  it('keeps dropped targets and hands targets over on reshard without stale markers', async () => {
    const app = new CollectingAppendable();
    let mine = new Set([a.address, b.address]);
    const m = new ScrapeManager({ appendable: app, owns: (t: Target) => mine.has(t.labels.get('instance')) });
    await m.applyConfig([
      scrapeConfig({ ...FAST, jobName: 'j', relabelConfigs: [{ action: 'drop', source_labels: ['__address__'], regex: '.*:1' }] }),
    ]);
    await m.start();
    await m.sync('j', groups(a.address, b.address, '127.0.0.1:1'));
    assert.equal(m.droppedTargets().get('j')!.length, 1);
    assert.equal(m.droppedTargets().get('j')![0]!.discoveredLabels.get('__address__'), '127.0.0.1:1');
    await app.waitFor(() => upOf(app, a) >= 1 && upOf(app, b) >= 1, 10_000, 'scrapes of a and b');

    mine = new Set([a.address]);
    await m.reshard();
    assert.equal(m.targetsNotOwned(), 1);
    assert.deepEqual(staleOf(app, b), []);
    const bCount = upOf(app, b);
    const aCount = upOf(app, a);
    await app.waitFor(() => upOf(app, a) >= aCount + 2, 10_000, 'more scrapes of a');
    assert.equal(upOf(app, b), bCount);

    mine = new Set([a.address, b.address]);
    await m.reshard();
    assert.equal(m.targetsNotOwned(), 0);
    await app.waitFor(() => upOf(app, b) > bCount, 10_000, 'b scraped again');
    await m.stop();
  });

  it('applyConfig restarts changed pools, keeps unchanged ones and stops removed ones with stale markers', async () => {
    const app = new CollectingAppendable();
    const m = new ScrapeManager({ appendable: app });
    const ja = scrapeConfig({ ...FAST, jobName: 'ja' });
    const jb = scrapeConfig({ ...FAST, jobName: 'jb' });
    await m.applyConfig([ja, jb]);
    await m.sync('ja', groups(a.address));
    await m.sync('jb', groups(b.address));
    await m.start();
    await app.waitFor(() => upOf(app, a) >= 1 && upOf(app, b) >= 1, 10_000, 'first scrapes');
    const targetA = m.activeTargets().get('ja')![0]!;

    // ja unchanged, jb removed.
    await m.applyConfig([ja]);
    assert.deepEqual(m.jobs(), ['ja']);
    assert.ok(staleOf(app, b).includes('m'));
    assert.equal(m.activeTargets().get('ja')![0], targetA);

    // ja changed: a new loop (new Target), no stale markers for the target that stays.
    await m.applyConfig([{ ...ja, metricsPath: '/other' }]);
    const after = m.activeTargets().get('ja')![0]!;
    assert.notEqual(after, targetA);
    assert.match(after.url, /\/other$/);
    assert.deepEqual(staleOf(app, a), []);
    await m.stop();
  });
});
