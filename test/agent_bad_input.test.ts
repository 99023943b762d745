// Acceptance: targets that misbehave (malformed bodies, huge bodies, more series than sample_limit,
// answers slower than the timeout) each fail their scrape with a clear lastError and up = 0, while
// a good target beside them goes on as before. Real agent and Strata processes.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, instant, writeConfig } from './agent.ts';
import { startStrata, type StrataProcess } from './harness.ts';

type Handler = (res: import('node:http').ServerResponse) => void;

const text = (body: string): Handler => (res) => {
  res.setHeader('Content-Type', 'text/plain; version=0.0.4');
  res.end(body);
};

const manySeries = Array.from({ length: 10_000 }, (_, i) => `wide_metric{i="${i}"} ${i}`).join('\n') + '\n';

const TARGETS: Record<string, { handler: Handler; error: RegExp }> = {
  good: { handler: text('# TYPE good_metric gauge\ngood_metric 7\n'), error: /^$/ },
  malformed: { handler: text('good_line 1\nthis is { not a metric\n'), error: /line 2/ },
  huge: { handler: text(`big_metric{pad="${'x'.repeat(4 * 1024 * 1024)}"} 1\n`), error: /body size limit exceeded/ },
  wide: { handler: text(manySeries), error: /sample limit exceeded/ },
  slow: { handler: (res) => setTimeout(() => text('slow_metric 1\n')(res), 3000), error: /timed out|deadline/ },
};

describe('agent scraping bad targets', () => {
  let strata: StrataProcess;
  let agent: StrataProcess;
  let cfgFile: string;
  const servers: Record<string, { server: Server; address: string }> = {};

  before(async () => {
    for (const [name, t] of Object.entries(TARGETS)) {
      const server = createServer((_req, res) => t.handler(res));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers[name] = { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
    }
    strata = await startStrata(['--target=all']);
    const jobs = Object.keys(TARGETS)
      .map(
        (name) => `
  - job_name: ${name}
    sample_limit: 5000
    body_size_limit: 1MB
    static_configs:
      - targets: ['${servers[name]!.address}']`,
      )
      .join('');
    cfgFile = writeConfig(`
global:
  scrape_interval: 2s
  scrape_timeout: 1s
scrape_configs:${jobs}
remote_write:
  - url: ${strata.url}/api/v1/push
    queue_config:
      batch_send_deadline: 500ms
`);
    agent = await startStrata(['--target=agent', `--agent.config-file=${cfgFile}`]);
  });

  after(async () => {
    await agent?.cleanup();
    await strata?.cleanup();
    for (const s of Object.values(servers)) s.server.close();
    if (cfgFile) rmSync(dirname(cfgFile), { recursive: true, force: true });
  });

  it('fails each bad scrape with its reason and keeps the good target', { timeout: 60_000 }, async () => {
    type T = { scrapePool: string; health: string; lastError: string };
    const targets = await eventually(
      'every target scraped at least once',
      async () => {
        const res = await fetch(`${agent.url}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
        const ts = ((await res.json()) as { data: { activeTargets: T[] } }).data.activeTargets;
        return ts.length === Object.keys(TARGETS).length && ts.every((t) => t.health !== 'unknown') ? ts : undefined;
      },
      30_000,
    );
    for (const t of targets) {
      const want = TARGETS[t.scrapePool]!;
      assert.match(t.lastError, want.error, `${t.scrapePool}: lastError ${JSON.stringify(t.lastError)}`);
      assert.equal(t.health, t.scrapePool === 'good' ? 'up' : 'down', t.scrapePool);
    }
    // In Strata: up per job, the good target's metric, nothing of the failed scrapes.
    await eventually('up of every job in Strata', async () => ((await instant(strata.url, 'up')).length === Object.keys(TARGETS).length ? true : undefined), 20_000);
    const up = Object.fromEntries((await instant(strata.url, 'up')).map((s) => [s.metric.job!, s.value[1]]));
    assert.deepEqual(up, { good: '1', malformed: '0', huge: '0', wide: '0', slow: '0' });
    assert.equal((await instant(strata.url, 'good_metric'))[0]?.value[1], '7');
    for (const q of ['good_line', 'big_metric', 'wide_metric', 'slow_metric']) assert.deepEqual(await instant(strata.url, q), [], `${q} was not written`);
    // The agent is alive and counts the failures.
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    assert.match(metrics, /prometheus_target_scrapes_sample_limit_exceeded_total [1-9]/);
  });
});
