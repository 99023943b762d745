// The S3 server goes away while an ingester ships: the upload fails, the block stays on the
// ingester's disk (retention never deletes an unshipped block), and once S3 is back the next
// flush ships it, whole. One strata process against a real S3-compatible server (s3rver).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { S3Bucket, s3BucketConfigSchema, tenantBucket } from '../libs/objstore/index.ts';
import { encodeWriteRequest, snappyEncode } from '../libs/remotewrite/index.ts';
import { validateConfig } from '../libs/services/index.ts';
import { startStrata, type StrataProcess } from './harness.ts';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server, type S3Server } from './s3.ts';

const MIN = 60_000;

describe('shipping through an S3 outage', { timeout: 120_000 }, () => {
  let s3: S3Server;
  let strata: StrataProcess;
  let client: S3Bucket;
  before(async () => {
    s3 = await startS3Server();
    await s3.createBucket('blocks');
    strata = await startStrata([
      '--blocks-storage.backend=s3', `--blocks-storage.s3.endpoint=${s3.endpoint}`, '--blocks-storage.s3.bucket-name=blocks', '--blocks-storage.s3.insecure',
      '--blocks-storage.s3.bucket-lookup-type=path', `--blocks-storage.s3.access-key-id=${S3RVER_ACCESS_KEY_ID}`,
      `--blocks-storage.s3.secret-access-key=${S3RVER_SECRET_ACCESS_KEY}`, '--blocks-storage.s3.region=us-east-1', '--blocks-storage.s3.max-retries=1',
      '--blocks-storage.tsdb.ship-interval=0s', '--compactor.compaction-interval=1h',
    ]);
    client = new S3Bucket(validateConfig(s3BucketConfigSchema, {
      endpoint: s3.endpoint, bucket_name: 'blocks', insecure: true, bucket_lookup_type: 'path', region: 'us-east-1',
      access_key_id: S3RVER_ACCESS_KEY_ID, secret_access_key: S3RVER_SECRET_ACCESS_KEY,
    }));
  });
  after(async () => {
    await client?.close();
    await strata?.cleanup();
    await s3?.cleanup();
  });

  it('keeps the block and ships it once S3 is back', async () => {
    const t0 = Math.floor((Date.now() - 3 * 3_600_000) / MIN) * MIN;
    const timeseries = [{ labels: ['__name__', 'outage_test'], samples: Array.from({ length: 60 }, (_, k) => ({ value: k, timestamp: t0 + k * MIN })) }];
    const push = await fetch(`${strata.url}/api/v1/push`, { method: 'POST', body: snappyEncode(encodeWriteRequest({ timeseries })) });
    assert.equal(push.status, 200);

    await s3.stop();
    assert.equal((await fetch(`${strata.url}/ingester/flush`, { method: 'POST', signal: AbortSignal.timeout(60_000) })).status, 204);

    const { port, dataDir } = s3;
    s3 = await startS3Server({ port, dataDir });
    const bucket = tenantBucket(client, 'anonymous');
    const names = async () => {
      const out: string[] = [];
      for await (const n of bucket.iter('', { recursive: true })) out.push(n);
      return out;
    };
    assert.ok(!(await names()).some((n) => n.endsWith('/meta.json')), 'nothing visible was uploaded while S3 was down');

    assert.equal((await fetch(`${strata.url}/ingester/flush`, { method: 'POST', signal: AbortSignal.timeout(60_000) })).status, 204);
    // One block per 2h range the hour of samples touches.
    const metas = (await names()).filter((n) => n.endsWith('/meta.json'));
    assert.ok(metas.length >= 1 && metas.length <= 2, (await names()).join(' '));
    let samples = 0;
    let minTime = Infinity;
    for (const m of metas) {
      const meta = JSON.parse(new TextDecoder().decode(await bucket.get(m))) as { minTime: number; stats: { numSamples: number } };
      samples += meta.stats.numSamples;
      minTime = Math.min(minTime, meta.minTime);
    }
    assert.equal(samples, 60, 'the whole blocks, every sample');
    assert.ok(minTime <= t0, "the blocks cover the first sample");
  });
});
