// Acceptance: an agent process reloads its prometheus.yml on POST /-/reload and on SIGHUP (an
// invalid file changes nothing and is reported), and what batch jobs push to it reaches Strata.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, instant, writeConfig } from './agent.ts';
import { startStrata, type StrataProcess } from './harness.ts';

describe('agent reload and push', () => {
  let strata: StrataProcess;
  let agent: StrataProcess;
  let cfgFile: string;
  const target = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end('reload_metric 1\n');
  });
  let address = '';

  const yml = (jobs: string[]) => `
global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
${jobs.map((j) => `  - job_name: ${j}\n    static_configs:\n      - targets: ['${address}']`).join('\n')}
remote_write:
  - url: ${strata.url}/api/v1/push
    queue_config:
      batch_send_deadline: 500ms
`;

  const pools = async (): Promise<string[]> => {
    const res = await fetch(`${agent.url}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { data: { activeTargets: { scrapePool: string }[] } };
    return body.data.activeTargets.map((t) => t.scrapePool).sort();
  };

  before(async () => {
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    address = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    strata = await startStrata(['--target=all']);
    cfgFile = writeConfig(yml(['one']));
    agent = await startStrata(['--target=agent', `--agent.config-file=${cfgFile}`, '--agent.push.interval=500ms']);
  });

  after(async () => {
    await agent?.cleanup();
    await strata?.cleanup();
    target.close();
    if (cfgFile) rmSync(dirname(cfgFile), { recursive: true, force: true });
  });

  it('reloads on POST /-/reload and SIGHUP, and keeps the last good config', { timeout: 60_000 }, async () => {
    await eventually('job one scraped', async () => ((await pools()).join() === 'one' ? true : undefined));
    writeFileSync(cfgFile, yml(['one', 'two']));
    const ok = await fetch(`${agent.url}/-/reload`, { method: 'POST' });
    assert.equal(ok.status, 200);
    assert.deepEqual(await pools(), ['one', 'two']);

    writeFileSync(cfgFile, 'scrape_configs:\n  - job_name: broken\n    scrape_interval: soon\n');
    const bad = await fetch(`${agent.url}/-/reload`, { method: 'POST' });
    assert.equal(bad.status, 500);
    assert.match(((await bad.json()) as { error: string }).error, /scrape_interval/);
    assert.deepEqual(await pools(), ['one', 'two'], 'the last good configuration stays');
    assert.match(await (await fetch(`${agent.url}/metrics`)).text(), /^prometheus_config_last_reload_successful 0$/m);

    writeFileSync(cfgFile, yml(['three']));
    agent.child.kill('SIGHUP');
    await eventually('SIGHUP to load job three', async () => ((await pools()).join() === 'three' ? true : undefined), 10_000);
    assert.match(await (await fetch(`${agent.url}/metrics`)).text(), /^prometheus_config_last_reload_successful 1$/m);
    // The removed jobs' series are marked stale: `up` of job one is gone from an instant query.
    await eventually('job one stale in Strata', async () => ((await instant(strata.url, 'up{job="one"}')).length === 0 ? true : undefined), 20_000);
    await eventually('job three in Strata', async () => ((await instant(strata.url, 'up{job="three"}'))[0]?.value[1] === '1' ? true : undefined), 20_000);
  });

  it('writes what a batch job pushes to it', { timeout: 30_000 }, async () => {
    const res = await fetch(`${agent.url}/metrics/job/nightly/instance/backup-1`, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain; version=0.0.4' },
      body: '# TYPE backup_bytes gauge\nbackup_bytes{volume="data"} 12345\n',
    });
    assert.equal(res.status, 200);
    const r = await eventually('the pushed sample in Strata', async () => {
      const v = await instant(strata.url, 'backup_bytes');
      return v.length === 1 ? v : undefined;
    });
    assert.deepEqual(r[0]!.metric, { __name__: 'backup_bytes', instance: 'backup-1', job: 'nightly', volume: 'data' });
    assert.equal(r[0]!.value[1], '12345');
    const del = await fetch(`${agent.url}/metrics/job/nightly/instance/backup-1`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    await eventually('the deleted group stale in Strata', async () => ((await instant(strata.url, 'backup_bytes')).length === 0 ? true : undefined), 10_000);
  });
});
