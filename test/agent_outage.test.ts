// Acceptance: the cluster is down for two minutes while the agent scrapes; when it returns, every
// sample of those two minutes arrives from the agent's WAL, in order.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, instant, writeConfig } from './agent.ts';
import { freePort } from './daemon.ts';
import { startStrata, type StrataProcess } from './harness.ts';

const OUTAGE_MS = 120_000;

describe('agent through a two-minute cluster outage', () => {
  let strata: StrataProcess;
  let agent: StrataProcess;
  let cfgFile: string;
  const target = createServer();
  // The counter's value is the number of the scrape: scrape n serves n.
  let served = 0;
  target.on('request', (_req, res) => {
    served++;
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(`# TYPE outage_scrape_number counter\noutage_scrape_number ${served}\n`);
  });
  let port = 0;
  let dataDir = '';

  before(async () => {
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    port = await freePort();
    strata = await startStrata(['--target=all', `--server.http-listen-port=${port}`]);
    dataDir = strata.dir;
    cfgFile = writeConfig(`
global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: outage
    static_configs:
      - targets: ['127.0.0.1:${(target.address() as AddressInfo).port}']
remote_write:
  - url: http://127.0.0.1:${port}/api/v1/push
    queue_config:
      batch_send_deadline: 500ms
      max_backoff: 2s
`);
    agent = await startStrata(['--target=agent', `--agent.config-file=${cfgFile}`]);
  });

  after(async () => {
    await agent?.cleanup();
    await strata?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    target.close();
    if (cfgFile) rmSync(dirname(cfgFile), { recursive: true, force: true });
  });

  it('delivers every sample scraped while the cluster was down, in order', { timeout: OUTAGE_MS + 90_000 }, async () => {
    await eventually('the first samples in Strata', async () => ((await instant(strata.url, 'outage_scrape_number')).length === 1 ? true : undefined));
    // The whole cluster goes away (SIGKILL: nothing flushed), and comes back on the same port and storage.
    strata.child.kill('SIGKILL');
    await strata.exited(10_000);
    const downFrom = served;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const downTo = served;
    assert.ok(downTo - downFrom >= 100, `the agent kept scraping during the outage (${downTo - downFrom} scrapes)`);
    strata = await startStrata(['--target=all', `--server.http-listen-port=${port}`, `--storage.dir=${dataDir}`]);

    // Every scrape number from the first to the last served, each once, in timestamp order.
    const values = await eventually(
      'every scrape of the outage in Strata',
      async () => {
        const r = await instant(strata.url, `outage_scrape_number[${Math.ceil(OUTAGE_MS / 1000) + 120}s]`);
        const vals = ((r as unknown as { values?: [number, string][] }[])[0]?.values ?? []).map((v) => Number(v[1]));
        return vals.length > 0 && vals.includes(downTo) ? vals : undefined;
      },
      60_000,
      1000,
    );
    for (let n = downFrom; n <= downTo; n++) assert.ok(values.includes(n), `scrape ${n} (during the outage) is in Strata`);
    for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, `in order: ${values[i - 1]} then ${values[i]}`);
  });
});
