// Process-level test of the query API: backfill blocks with `strata tool block create`, start
// strata over them, and query it with the real `promtool query` (Prometheus' own client).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { StrataProcess } from './harness.ts';
import { get, runStrata, startStrata } from './harness.ts';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';
// Samples every 15s from here (seconds): recent, as promtool's series and labels look ±9999h around now.
const T0 = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;

async function promtool(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: typeof err.code === 'number' ? err.code : -1 };
  }
}

describe('query API over a local TSDB, with promtool', { skip: !existsSync(PROMTOOL) && 'promtool is not installed' }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'strata-querier-'));
  let p: StrataProcess;
  let server: string;
  let om: string;

  before(async () => {
    const lines = ['# TYPE up gauge'];
    for (let i = 0; i < 5; i++) {
      lines.push(`up{instance="a",job="api"} 1 ${T0 + 15 * i}`, `up{instance="b",job="api"} ${i} ${T0 + 15 * i}`, `up{instance="c",job="db"} 0.5 ${T0 + 15 * i}`);
    }
    lines.push('# TYPE http_requests counter', `http_requests_total{code="200",job="api"} 10 ${T0}`, `http_requests_total{code="200",job="api"} 40 ${T0 + 60}`, '# EOF', '');
    om = join(tmp, 'data.om');
    writeFileSync(om, lines.join('\n'));
    const created = await runStrata(['tool', 'block', 'create', '--from-openmetrics', om, '--out', join(tmp, 'tsdb', 'anonymous')], { timeoutMs: 60_000 });
    assert.equal(created.code, 0, created.stderr);
    p = await startStrata([`--blocks-storage.tsdb.dir=${join(tmp, 'tsdb')}`]);
    // The API is served once every module runs.
    for (let i = 0; i < 100 && (await get(`${p.url}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    server = p.url;
  });

  after(async () => {
    await p?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('promtool query instant', async () => {
    const r = await promtool('query', 'instant', `--time=${T0 + 60}`, server, 'up');
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, [
      `up{instance="a", job="api"} => 1 @[${T0 + 60}]`,
      `up{instance="b", job="api"} => 4 @[${T0 + 60}]`,
      `up{instance="c", job="db"} => 0.5 @[${T0 + 60}]`,
      '',
    ].join('\n'));
    const s = await promtool('query', 'instant', `--time=${T0}`, server, 'up{job="db"}');
    assert.equal(s.stdout, `up{instance="c", job="db"} => 0.5 @[${T0}]\n`);
  });

  it('promtool query range', async () => {
    const r = await promtool('query', 'range', `--start=${T0}`, `--end=${T0 + 30}`, '--step=15s', server, 'up{instance="b"}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `up{instance="b", job="api"} =>\n0 @[${T0}]\n1 @[${T0 + 15}]\n2 @[${T0 + 30}]\n`);
  });

  it('promtool query series and labels', async () => {
    const s = await promtool('query', 'series', '--match=up{job="api"}', server);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, '{__name__="up", instance="a", job="api"}\n{__name__="up", instance="b", job="api"}\n');
    const all = await promtool('query', 'series', '--match=up', '--match=http_requests_total', `--start=${T0}`, `--end=${T0 + 60}`, server);
    assert.equal(all.stdout.split('\n').filter(Boolean).length, 4);
    const l = await promtool('query', 'labels', server, 'job');
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.stdout, 'api\ndb\n');
    const m = await promtool('query', 'labels', '--match=up{job="db"}', server, 'instance');
    assert.equal(m.stdout, 'c\n');
  });

  it('promtool reports API errors', async () => {
    const r = await promtool('query', 'instant', server, 'sum(');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /bad_data: invalid parameter "query": 1:5: parse error/);
  });

  it('serves the same answers under /prometheus', async () => {
    const a = await (await get(`${server}/api/v1/query?query=up&time=${T0}`)).text();
    const b = await (await get(`${server}/prometheus/api/v1/query?query=up&time=${T0}`)).text();
    assert.equal(a, b);
    assert.match(a, new RegExp(String.raw`^\{"status":"success","data":\{"resultType":"vector","result":\[\{"metric":\{"__name__":"up","instance":"a","job":"api"\},"value":\[${T0},"1"\]\}`));
  });

  it('is served by --target=querier,ingester too (the querier reads the ingester through the ring)', async () => {
    const dir = join(tmp, 'querier-tsdb');
    const created = await runStrata(['tool', 'block', 'create', '--from-openmetrics', om, '--out', join(dir, 'anonymous')], { timeoutMs: 60_000 });
    assert.equal(created.code, 0, created.stderr);
    const q = await startStrata(['--target=querier,ingester', `--blocks-storage.tsdb.dir=${dir}`]);
    try {
      const r = await promtool('query', 'instant', `--time=${T0}`, q.url, 'count(up)');
      assert.equal(r.stdout, `{} => 3 @[${T0}]\n`);
    } finally {
      await q.cleanup();
    }
  });
});
