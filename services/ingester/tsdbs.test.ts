import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { nopLogger } from '../../libs/log/index.ts';
import { Labels, Matcher, MatchType } from '../../libs/model/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { AppendError, collectSamples } from '../../libs/storage/index.ts';
import { Overrides, limitsConfigSchema, parseRuntimeConfig } from '../../libs/tenant/index.ts';
import { TenantDBs, localSeriesLimit } from './tsdbs.ts';

const defaults = validateConfig(limitsConfigSchema, {});
const HOUR = 3_600_000;

describe('tenant TSDBs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-tsdbs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const newDBs = (overrides = new Overrides(defaults)) =>
    new TenantDBs({ dir, blockRange: 2 * HOUR, retention: 13 * HOUR, walFsync: 'never' }, overrides, nopLogger);

  async function values(dbs: TenantDBs, tenant: string): Promise<number[]> {
    const db = dbs.get(tenant);
    if (!db) return [];
    const out: number[] = [];
    for await (const s of db.querier(0, Infinity).select(true, undefined, [new Matcher(MatchType.Equal, '__name__', 'up')])) {
      out.push(...collectSamples(s.iterator()).vs);
    }
    return out;
  }

  it('keeps tenants apart, opens each once under concurrent first writes, and replays them after a restart', async () => {
    const dbs = newDBs();
    const [a1, a2] = await Promise.all([dbs.getOrCreate('team-a'), dbs.getOrCreate('team-a')]);
    assert.equal(a1, a2);
    const b = await dbs.getOrCreate('team-b');
    for (const [db, v] of [[a1, 1], [b, 2]] as const) {
      const app = db.appender();
      app.append(0, Labels.fromStrings('__name__', 'up', 'job', 'x'), 1000, v);
      await app.commit();
    }
    assert.deepEqual(await values(dbs, 'team-a'), [1]);
    assert.deepEqual(await values(dbs, 'team-b'), [2]);
    await dbs.closeAll();
    await assert.rejects(dbs.getOrCreate('team-c'), /closed/);

    mkdirSync(join(dir, 'not a tenant!'));
    const again = newDBs();
    await again.openExisting();
    assert.deepEqual(again.tenants(), ['team-a', 'team-b']);
    assert.deepEqual(await values(again, 'team-a'), [1]);
    await again.closeAll();
  });

  it('refuses ids that could leave the directory', async () => {
    await assert.rejects(newDBs().getOrCreate('..'), /tenant ID is '.' or '..'/);
  });

  it('enforces the per-tenant and per-metric series limits on new series only', async () => {
    const overrides = new Overrides(defaults);
    overrides.setTenantLimits(parseRuntimeConfig('overrides:\n  small:\n    max_global_series_per_user: 3\n    max_global_series_per_metric: 2\n', defaults));
    const dbs = newDBs(overrides);
    const db = await dbs.getOrCreate('small');
    const app = db.appender();
    app.append(0, Labels.fromStrings('__name__', 'a', 'i', '1'), 1000, 1);
    app.append(0, Labels.fromStrings('__name__', 'a', 'i', '2'), 1000, 1);
    assert.throws(
      () => app.append(0, Labels.fromStrings('__name__', 'a', 'i', '3'), 1000, 1),
      (e: unknown) => e instanceof AppendError && e.code === 'per_metric_series_limit' && /per-metric series limit of 2 for metric 'a'/.test(e.message),
    );
    app.append(0, Labels.fromStrings('__name__', 'b', 'i', '1'), 1000, 1);
    assert.throws(
      () => app.append(0, Labels.fromStrings('__name__', 'c', 'i', '1'), 1000, 1),
      (e: unknown) => e instanceof AppendError && e.code === 'per_user_series_limit' && /per-user series limit of 3/.test(e.message),
    );
    // Existing series keep taking samples.
    app.append(0, Labels.fromStrings('__name__', 'a', 'i', '1'), 2000, 2);
    await app.commit();
    assert.equal(db.head.numSeries(), 3);
    // Another tenant has the defaults.
    const other = await dbs.getOrCreate('big');
    const o = other.appender();
    for (let i = 0; i < 5; i++) o.append(0, Labels.fromStrings('__name__', 'c', 'i', String(i)), 1000, 1);
    await o.commit();
    await dbs.closeAll();
  });

  it('scales cluster-wide limits to one ingester\'s share', () => {
    assert.equal(localSeriesLimit(0, { ingesters: () => 3, replicationFactor: () => 3 }), 0);
    assert.equal(localSeriesLimit(300, { ingesters: () => 3, replicationFactor: () => 3 }), 300);
    assert.equal(localSeriesLimit(300, { ingesters: () => 6, replicationFactor: () => 3 }), 150);
    assert.equal(localSeriesLimit(300, { ingesters: () => 1, replicationFactor: () => 3 }), 300);
    assert.equal(localSeriesLimit(100, { ingesters: () => 3, replicationFactor: () => 1 }), 34);
  });
});
