import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
    assert.deepEqual(resolveTargets(['all']), ['distributor', 'ingester', 'querier', 'server']);
    assert.deepEqual(resolveTargets(['all'], [...MODULES, fake('compactor'), fake('agent')]), ['distributor', 'ingester', 'querier', 'compactor', 'server']);
  });

  it('refuses a target whose modules are not written yet', () => {
    assert.throws(() => resolveTargets(['ruler']), (err: unknown) =>
      err instanceof TargetError && err.message === 'target "ruler" is not available yet in this version');
    assert.throws(() => resolveTargets(['read']),
      /^TargetError: target "read" is not available yet in this version \(missing: query-frontend\)$/);
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

describe('strata modules', () => {
  it('form a valid graph and serve /ready, /metrics, a masked /config and the query API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-modules-'));
    const config = loadStrataConfig({
      argv: [
        '--server.http-listen-address=127.0.0.1', '--server.http-listen-port=0', '--blocks-storage.s3.secret-access-key=hunter2', `--storage.dir=${dir}`,
      ],
      env: {},
    });
    const manager = new ModuleManager(MODULES);
    const ctx: StrataContext = {
      config, logger: nopLogger, build: { version: 'v', revision: 'r', branch: 'b' }, readiness: () => manager.readiness(),
    };
    await manager.start(resolveTargets(config.target), ctx);
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
      assert.deepEqual(Object.keys(diff).sort(), ['blocks_storage', 'server', 'storage']);
      assert.equal((await get('/config?mode=bogus')).status, 400);
      // Routes added by modules started before the server listened.
      assert.equal(await (await get('/api/v1/query?query=1%2B1&time=10')).text(), '{"status":"success","data":{"resultType":"scalar","result":[10,"2"]}}');
      assert.equal(await (await get('/prometheus/api/v1/labels')).text(), '{"status":"success","data":[]}');
    } finally {
      await manager.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provided() explains a missing dependency', () => {
    assert.throws(() => provided(undefined, 'metrics registry'), /metrics registry is not initialised/);
  });
});
