import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { nopLogger } from '../../libs/log/index.ts';
import { ModuleManager } from '../../libs/services/index.ts';
import { loadStrataConfig } from './config.ts';
import type { StrataContext, StrataModule } from './modules.ts';
import { MODULES, TARGETS, TargetError, provided, resolveTargets } from './modules.ts';

const fake = (name: string): StrataModule => ({ name, deps: ['api'], init: () => undefined });

describe('resolveTargets', () => {
  it('runs only the modules that exist for all, always with the server, last', () => {
    assert.deepEqual(resolveTargets(['all']), ['distributor', 'ingester', 'querier', 'store-gateway', 'compactor', 'server']);
    assert.deepEqual(resolveTargets(['all'], [...MODULES, fake('ruler'), fake('agent')]), ['distributor', 'ingester', 'querier', 'store-gateway', 'compactor', 'ruler', 'server']);
  });

  it('refuses a target whose modules are not written yet', () => {
    assert.throws(() => resolveTargets(['ruler']), (err: unknown) =>
      err instanceof TargetError && err.message === 'target "ruler" is not available yet in this version');
    assert.throws(() => resolveTargets(['read']),
      /^TargetError: target "read" is not available yet in this version \(missing: query-frontend\)$/);
    assert.throws(() => resolveTargets(['backend']),
      /^TargetError: target "backend" is not available yet in this version \(missing: ruler\)$/);
  });

  it('names the valid targets for an unknown one', () => {
    assert.throws(() => resolveTargets(['injester']), (err: unknown) =>
      err instanceof TargetError && err.message.startsWith('unknown target "injester" (valid targets: all, write, read, backend,'));
  });

  it('expands group targets and de-duplicates', () => {
    const mods = [...MODULES, fake('distributor'), fake('ingester'), fake('querier'), fake('query-frontend')];
    assert.deepEqual(resolveTargets(['write', 'ingester', 'read'], mods), ['distributor', 'ingester', 'query-frontend', 'querier', 'server']);
  });

  it('keeps agent out of all', () => {
    assert.ok(!TARGETS.all?.includes('agent'));
  });
});

/** Starts the modules of `all` in this process on a free port with a temporary storage.dir. */
async function startModules(prefix: string, flags: string[]): Promise<{ dir: string; manager: ModuleManager<StrataContext>; ctx: StrataContext }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = loadStrataConfig({
    argv: ['--server.http-listen-address=127.0.0.1', '--server.http-listen-port=0', `--storage.dir=${dir}`, ...flags],
    env: {},
  });
  const manager = new ModuleManager(MODULES);
  const ctx: StrataContext = {
    config, logger: nopLogger, build: { version: 'v', revision: 'r', branch: 'b' }, readiness: () => manager.readiness(),
  };
  await manager.start(resolveTargets(config.target), ctx);
  return { dir, manager, ctx };
}

describe('strata modules', () => {
  it('form a valid graph and serve /ready, /metrics, a masked /config and the query API', async () => {
    const { dir, manager, ctx } = await startModules('strata-modules-', ['--blocks-storage.s3.secret-access-key=hunter2']);
    try {
      const port = provided(ctx.server, 'server').address()?.port;
      const get = (p: string) => fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(5000) });
      assert.equal((await get('/ready')).status, 200);
      assert.match(await (await get('/metrics')).text(), /^strata_build_info\{/m);
      const res = await get('/config');
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(!text.includes('hunter2'));
      const doc = parseYaml(text) as { blocks_storage: { s3: { secret_access_key: string } }; server: { http_listen_port: number } };
      assert.equal(doc.blocks_storage.s3.secret_access_key, '********');
      assert.equal(doc.server.http_listen_port, 0);
      const diff = parseYaml(await (await get('/config?mode=diff')).text()) as Record<string, unknown>;
      // Directories under storage.dir differ from the defaults with it.
      assert.deepEqual(Object.keys(diff).sort(), ['agent', 'blocks_storage', 'compactor', 'server', 'storage']);
      assert.equal((await get('/config?mode=bogus')).status, 400);
      // Routes added by modules started before the server listened.
      assert.equal(await (await get('/api/v1/query?query=1%2B1&time=10')).text(), '{"status":"success","data":{"resultType":"scalar","result":[10,"2"]}}');
      assert.equal(await (await get('/prometheus/api/v1/labels')).text(), '{"status":"success","data":[]}');
    } finally {
      await manager.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('put the ingester in the ring, show it on /ingester/ring, and take it out on /ingester/shutdown', async () => {
    const { dir, manager, ctx } = await startModules('strata-ring-', ['--ingester.ring.instance-id=ingester-a']);
    try {
      const port = provided(ctx.server, 'server').address()?.port;
      const call = (p: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${port}${p}`, { ...init, redirect: 'manual', signal: AbortSignal.timeout(5000) });
      const ring = async () => ((await (await call('/ingester/ring', { headers: { accept: 'application/json' } })).json()) as { shards: { id: string; state: string; tokens: number; healthy: boolean }[] }).shards;
      assert.deepEqual((await ring()).map((r) => [r.id, r.state, r.tokens, r.healthy]), [['ingester-a', 'ACTIVE', 128, true]]);
      const html = await (await call('/ingester/ring')).text();
      assert.match(html, /<td>ingester-a<\/td><td>ACTIVE<\/td><td>healthy<\/td>/);
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      assert.equal((await call('/ingester/ring', { method: 'POST', headers: form, body: 'forget=nobody' })).status, 404);
      // The tokens were kept on disk for a restart.
      const tokens = JSON.parse(readFileSync(join(dir, 'ingester-tokens.json'), 'utf8')) as { tokens: number[] };
      assert.equal(tokens.tokens.length, 128);

      assert.equal((await call('/ingester/shutdown', { method: 'POST' })).status, 204);
      assert.deepEqual(await ring(), []);
      const ready = await call('/ready');
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /ingester is Terminated/);
    } finally {
      await manager.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provided() explains a missing dependency', () => {
    assert.throws(() => provided(undefined, 'metrics registry'), /metrics registry is not initialised/);
  });
});
