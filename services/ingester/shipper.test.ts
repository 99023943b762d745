import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WriteRequestDecoder, encodeWriteRequest } from '../../libs/remotewrite/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { Overrides, limitsConfigSchema } from '../../libs/tenant/index.ts';
import { Ingester } from './ingester.ts';
import { SHIPPER_FILE, type ShipperBucket } from './shipper.ts';

const HOUR = 3_600_000;
const overrides = new Overrides(validateConfig(limitsConfigSchema, { past_grace_period: '0s', creation_grace_period: '0s' }));

/** Objects by name, with the order of uploads; `failing` names fail until cleared. */
class RecordingBucket implements ShipperBucket {
  readonly objects = new Map<string, Buffer>();
  readonly order: string[] = [];
  failing: RegExp | undefined;

  async upload(name: string, body: Uint8Array): Promise<void> {
    if (this.failing?.test(name)) throw new Error(`injected failure for ${name}`);
    this.objects.set(name, Buffer.from(body));
    this.order.push(name);
  }

  async uploadFile(name: string, path: string): Promise<void> {
    await this.upload(name, await readFile(path));
  }
}

function body(t: number, n = 3): Uint8Array {
  const timeseries = [];
  for (let i = 0; i < n; i++) timeseries.push({ labels: ['__name__', 'ship_test', 'i', String(i)], samples: [{ value: i, timestamp: t }] });
  return encodeWriteRequest({ timeseries });
}

describe('ingester shipping', () => {
  let dir: string;
  const buckets = new Map<string, RecordingBucket>();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-ship-'));
    buckets.clear();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const bucketFor = (tenant: string): RecordingBucket => {
    let b = buckets.get(tenant);
    if (!b) buckets.set(tenant, (b = new RecordingBucket()));
    return b;
  };
  const newIngester = (retention = 13 * HOUR) =>
    new Ingester({ dir, blockRange: 2 * HOUR, retention, walFsync: 'never', bucketFor, ingesterId: 'ingester-7' }, overrides, undefined, undefined, undefined, undefined, 0);

  it('uploads each flushed block to <ULID>/ of its tenant, meta.json last, with the tenant and ingester in meta.json', async () => {
    const ing = newIngester();
    await ing.start();
    await ing.push('team-a', new WriteRequestDecoder().decode(body(1000)));
    await ing.push('team-b', new WriteRequestDecoder().decode(body(1000, 1)));
    await ing.flush();
    const a = buckets.get('team-a')!;
    const [ulid] = ing.dbs.get('team-a')!.blocks().map((b) => b.ulid);
    assert.ok(ulid);
    assert.deepEqual([...a.objects.keys()].sort(), [`${ulid}/chunks/000001`, `${ulid}/index`, `${ulid}/meta.json`, `${ulid}/tombstones`]);
    assert.equal(a.order.at(-1), `${ulid}/meta.json`, 'meta.json goes last');
    const meta = JSON.parse(a.objects.get(`${ulid}/meta.json`)!.toString()) as { ulid: string; thanos: { labels: Record<string, string>; source: string } };
    assert.equal(meta.ulid, ulid);
    assert.deepEqual(meta.thanos.labels, { __org_id__: 'team-a', __ingester_id__: 'ingester-7' });
    assert.deepEqual(a.objects.get(`${ulid}/index`), readFileSync(join(dir, 'team-a', ulid, 'index')), 'the bytes of the local block');
    assert.equal(buckets.get('team-b')!.objects.size, 4, 'tenants ship to their own bucket prefix');
    await ing.stop();

    // A restart remembers what was shipped and uploads nothing twice.
    const shipped = JSON.parse(readFileSync(join(dir, 'team-a', SHIPPER_FILE), 'utf8')) as { version: number; uploaded: string[] };
    assert.deepEqual(shipped, { version: 1, uploaded: [ulid] });
    const again = newIngester();
    await again.start();
    const before = a.order.length;
    await again.ship();
    assert.equal(a.order.length, before);
    await again.stop();
  });

  it('keeps a block that failed to upload, retries it, and lets retention delete it only once shipped', async () => {
    const ing = newIngester(HOUR);
    await ing.start();
    const bucket = bucketFor('t');
    bucket.failing = /meta\.json$/;
    await ing.push('t', new WriteRequestDecoder().decode(body(1000)));
    await ing.flush();
    const [old] = ing.dbs.get('t')!.blocks().map((b) => b.ulid);
    assert.ok(old);
    assert.ok(![...bucket.objects.keys()].some((k) => k.endsWith('meta.json')), 'no meta.json: the block is not visible in the bucket');
    // A later block makes the first one older than retention; it stays, as it is not shipped.
    await ing.push('t', new WriteRequestDecoder().decode(body(6 * HOUR)));
    await ing.flush();
    assert.ok(existsSync(join(dir, 't', old)), 'an unshipped block is not deleted');

    bucket.failing = undefined;
    await ing.ship();
    assert.ok(bucket.objects.has(`${old}/meta.json`));
    assert.ok(!existsSync(join(dir, 't', old)), 'deleted by retention once shipped');
    assert.equal(ing.dbs.get('t')!.blocks().length, 1);
    await ing.stop();
  });
});
