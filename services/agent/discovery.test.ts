import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TargetGroup } from '../../libs/discovery/index.ts';
import { ScrapeManager } from '../../libs/scrape/index.ts';
import { CollectingAppendable, scrapeConfig, startExpositionServer } from '../../libs/scrape/testing.ts';
import type { ExpositionServer } from '../../libs/scrape/testing.ts';
import { TargetDiscovery } from './discovery.ts';

class Recorder {
  readonly syncs: { job: string; groups: readonly TargetGroup[] }[] = [];
  sync(job: string, groups: readonly TargetGroup[]): Promise<void> {
    this.syncs.push({ job, groups });
    return Promise.resolve();
  }
  addresses(job: string): string[] {
    const last = this.syncs.filter((s) => s.job === job).at(-1);
    return (last?.groups ?? []).flatMap((g) => g.targets.map((t) => t.__address__!)).sort();
  }
  async waitFor(pred: () => boolean, what: string): Promise<void> {
    const end = Date.now() + 10_000;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; syncs: ${JSON.stringify(this.syncs)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('TargetDiscovery', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-agent-sd-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('merges static and file groups per job, follows file changes and config reloads', async () => {
    const file = join(dir, 'targets.json');
    writeFileSync(file, JSON.stringify([{ targets: ['f1:9100'], labels: { src: 'file' } }]));
    const rec = new Recorder();
    const d = new TargetDiscovery({ syncer: rec });
    const node = scrapeConfig({
      jobName: 'node',
      staticConfigs: [{ targets: ['s1:9100'], labels: {} }],
      fileSDConfigs: [{ files: [file], refreshInterval: 100 }],
    });
    const empty = scrapeConfig({ jobName: 'empty' });
    await d.applyConfig([node, empty]);
    assert.equal(rec.syncs.length, 0, 'nothing runs before start');
    await d.start();
    await rec.waitFor(() => rec.addresses('node').length === 2, 'static + file targets');
    assert.deepEqual(rec.addresses('node'), ['f1:9100', 's1:9100']);
    // The first sync already had both discoverers' groups.
    assert.deepEqual(rec.syncs.filter((s) => s.job === 'node').map((s) => s.groups.length), [2]);
    const fileGroup = rec.syncs.at(-1)!.groups.find((g) => g.labels.src === 'file')!;
    assert.equal(fileGroup.labels.__meta_filepath, file);
    assert.deepEqual(rec.syncs.filter((s) => s.job === 'empty').map((s) => s.groups), [[]]);

    writeFileSync(file, JSON.stringify([{ targets: ['f1:9100', 'f2:9100'] }]));
    await rec.waitFor(() => rec.addresses('node').length === 3, 'the changed file');

    // Unchanged config: discoverers keep running, no new sync.
    const n = rec.syncs.length;
    await d.applyConfig([node, empty]);
    assert.equal(rec.syncs.length, n);

    // Changed static targets: the job's discoverers restart.
    await d.applyConfig([{ ...node, staticConfigs: [{ targets: ['s2:9100'], labels: {} }] }]);
    await rec.waitFor(() => rec.addresses('node').includes('s2:9100'), 'the new static target');
    assert.deepEqual(rec.addresses('node'), ['f1:9100', 'f2:9100', 's2:9100']);
    await d.stop();
    const m = rec.syncs.length;
    writeFileSync(file, JSON.stringify([{ targets: ['f3:9100'] }]));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rec.syncs.length, m, 'no syncs after stop');
  });

  describe('with the scrape manager', () => {
    let srv: ExpositionServer;
    before(async () => {
      srv = await startExpositionServer('x 1\n');
    });
    after(() => srv.close());

    it('scrapes statically configured targets', async () => {
      const app = new CollectingAppendable();
      const manager = new ScrapeManager({ appendable: app });
      const cfg = scrapeConfig({ jobName: 'static', scrapeInterval: 100, scrapeTimeout: 80, staticConfigs: [{ targets: [srv.address], labels: { team: 'a' } }] });
      await manager.applyConfig([cfg]);
      const d = new TargetDiscovery({ syncer: manager });
      await d.applyConfig([cfg]);
      await manager.start();
      await d.start();
      await app.waitFor(() => app.of('x').length > 0, 10_000, 'a scrape');
      assert.deepEqual(app.of('x')[0]!.labels.toRecord(), { __name__: 'x', instance: srv.address, job: 'static', team: 'a' });
      await d.stop();
      await manager.stop();
    });
  });
});
