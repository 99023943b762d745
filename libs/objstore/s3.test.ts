// The acceptance suite against a real S3-compatible server (s3rver, started by test/s3.ts), plus
// what only S3 has: multipart uploads, listing pages, credentials, addressing and errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3Server } from '../../test/s3.ts';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server } from '../../test/s3.ts';
import { MIN_PART_SIZE, ObjstoreError, S3Bucket, bucketConfigSchema, createBucket, s3BucketConfigSchema, s3ClientConfig, usesPathStyle } from './index.ts';
import type { S3BucketConfig, S3BucketOptions } from './index.ts';
import { bucketAcceptanceSuite, collect, pattern } from './testing.ts';

// Large objects of 3 parts of S3's smallest size, so multipart is exercised and stays quick.
const PART_SIZE = MIN_PART_SIZE;
const LARGE = 2 * PART_SIZE + 12345;

let buckets = 0;

describe('s3 bucket', () => {
  let server: S3Server | undefined;
  before(async () => {
    server = await startS3Server();
  });
  after(async () => {
    await server?.cleanup();
  });

  function config(overrides: Record<string, unknown> = {}): S3BucketConfig {
    return s3BucketConfigSchema.parse({
      endpoint: (server as S3Server).endpoint,
      insecure: true,
      access_key_id: S3RVER_ACCESS_KEY_ID,
      secret_access_key: S3RVER_SECRET_ACCESS_KEY,
      part_size: PART_SIZE,
      max_retries: 2,
      ...overrides,
    });
  }

  /** A fresh bucket on the server, and an S3Bucket on it. */
  async function newBucket(overrides: Record<string, unknown> = {}, opts: S3BucketOptions = {}): Promise<S3Bucket> {
    const name = `test-${process.pid}-${++buckets}`;
    await (server as S3Server).createBucket(name);
    return new S3Bucket(config({ bucket_name: name, ...overrides }), opts);
  }

  describe('acceptance', () => {
    bucketAcceptanceSuite(async () => {
      const bucket = await newBucket();
      return { bucket, close: () => bucket.close() };
    }, { largeSize: LARGE, concurrentOverwrites: false });
  });

  it('uploads objects above the part size in parts, smaller ones in one PUT', async () => {
    const b = await newBucket();
    try {
      const data = pattern(LARGE, 11);
      await b.upload('big', data);
      await b.upload('small', pattern(1000));
      const log = (server as S3Server).log();
      // s3rver logs each request's path (without its method).
      assert.match(log, /\/big\?uploads/, 'CreateMultipartUpload');
      assert.equal(log.match(/\/big\?partNumber=\d+&uploadId=\w+&x-id=UploadPart 200/g)?.length, 3, `3 parts in\n${log.slice(-4000)}`);
      assert.match(log, /\/big\?uploadId=\w+ 200/, 'CompleteMultipartUpload');
      assert.doesNotMatch(log, /\/small\?uploads/);
      assert.ok(Buffer.from(await b.get('big')).equals(data));
    } finally {
      await b.close();
    }
  });

  it('iter follows ListObjectsV2 continuation tokens across pages', async () => {
    const b = await newBucket({}, { listPageSize: 2 });
    try {
      const names = ['d/1', 'd/2', 'd/3', 'd/4/x', 'd/5', 'e', 'f/g'];
      for (const n of names) await b.upload(n, new Uint8Array(1));
      assert.deepEqual(await collect(b.iter('', { recursive: true })), names);
      assert.deepEqual(await collect(b.iter('d')), ['d/1', 'd/2', 'd/3', 'd/4/', 'd/5']);
      assert.deepEqual(await collect(b.iter('')), ['d/', 'e', 'f/']);
    } finally {
      await b.close();
    }
  });

  it('takes credentials from the AWS environment when the config has none', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = S3RVER_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_SECRET_ACCESS_KEY;
    const b = await newBucket({ access_key_id: '', secret_access_key: '' });
    try {
      await b.upload('x', new Uint8Array([1, 2, 3]));
      assert.deepEqual([...await b.get('x')], [1, 2, 3]);
    } finally {
      await b.close();
      for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('wrong credentials and a missing bucket are backend errors, not "not found"', async () => {
    // s3rver checks the access key id, not the SigV4 signature.
    const wrong = await newBucket({ access_key_id: 'WRONG', max_retries: 0 });
    const missing = new S3Bucket(config({ bucket_name: 'no-such-bucket', max_retries: 0 }));
    try {
      const backend = (code: RegExp) => (err: unknown) => err instanceof ObjstoreError && err.code === 'objstore_backend' && code.test(err.message);
      await assert.rejects(wrong.get('x'), backend(/InvalidAccessKeyId \(HTTP 403\)/));
      await assert.rejects(wrong.upload('x', new Uint8Array(1)), backend(/HTTP 403/));
      await assert.rejects(missing.get('x'), backend(/NoSuchBucket/));
      await assert.rejects(collect(missing.iter('')), backend(/NoSuchBucket/));
    } finally {
      await wrong.close();
      await missing.close();
    }
  });

  it('an unreachable endpoint fails after the retries with a backend error', { timeout: 30_000 }, async () => {
    const gone = await startS3Server();
    await gone.cleanup();
    const b = new S3Bucket(config({ endpoint: gone.endpoint, bucket_name: 'b', max_retries: 1 }));
    try {
      await assert.rejects(b.get('x'), (err) => err instanceof ObjstoreError && err.code === 'objstore_backend' && err.message.includes('"x"'));
    } finally {
      await b.close();
    }
  });

  it('createBucket builds an S3 bucket from the config section', async () => {
    const name = `test-${process.pid}-${++buckets}`;
    await (server as S3Server).createBucket(name);
    const b = createBucket(bucketConfigSchema.parse({ backend: 's3', storage_prefix: 'strata', s3: { ...config(), bucket_name: name } }));
    try {
      await b.upload('t/x', new Uint8Array([7]));
      const raw = new S3Bucket(config({ bucket_name: name }));
      assert.deepEqual(await collect(raw.iter('', { recursive: true })), ['strata/t/x']);
      await raw.close();
    } finally {
      await b.close();
    }
  });
});

describe('s3 config', () => {
  it('has Mimir\'s keys and defaults', () => {
    const c = s3BucketConfigSchema.parse({});
    assert.deepEqual(c, {
      endpoint: '', bucket_name: '', access_key_id: '', secret_access_key: '', session_token: '', region: '', insecure: false,
      bucket_lookup_type: 'auto', storage_class: '', part_size: 0, max_retries: 10,
    });
  });

  it('addresses buckets by path except on AWS and GCS endpoints with lookup auto', () => {
    const auto = (endpoint: string): boolean => usesPathStyle({ endpoint, bucket_lookup_type: 'auto' });
    assert.equal(auto(''), false);
    assert.equal(auto('s3.eu-west-1.amazonaws.com'), false);
    assert.equal(auto('storage.googleapis.com:443'), false);
    assert.equal(auto('minio:9000'), true);
    assert.equal(auto('127.0.0.1:9000'), true);
    assert.equal(usesPathStyle({ endpoint: 's3.amazonaws.com', bucket_lookup_type: 'path' }), true);
    assert.equal(usesPathStyle({ endpoint: 'minio:9000', bucket_lookup_type: 'virtual-hosted' }), false);
  });

  it('turns the section into SDK settings', () => {
    const c = s3ClientConfig(s3BucketConfigSchema.parse({ endpoint: 'minio:9000', insecure: true, region: 'eu-west-1', access_key_id: 'k', secret_access_key: 's', max_retries: 3 }));
    assert.equal(c.endpoint, 'http://minio:9000');
    assert.equal(c.region, 'eu-west-1');
    assert.equal(c.forcePathStyle, true);
    assert.equal(c.maxAttempts, 4);
    assert.deepEqual(c.credentials, { accessKeyId: 'k', secretAccessKey: 's', sessionToken: undefined });
    const aws = s3ClientConfig(s3BucketConfigSchema.parse({ region: 'us-west-2' }));
    assert.equal(aws.endpoint, undefined);
    assert.equal(aws.credentials, undefined, 'the SDK default credential chain');
    assert.equal(s3ClientConfig(s3BucketConfigSchema.parse({ endpoint: 'h:1' })).endpoint, 'https://h:1');
  });

  it('rejects endpoints with a scheme, parts below 5 MiB, and s3 without a bucket', () => {
    assert.throws(() => s3BucketConfigSchema.parse({ endpoint: 'http://minio:9000' }), /without a scheme/);
    assert.throws(() => s3BucketConfigSchema.parse({ endpoint: 'minio:9000/x' }), /without a scheme or path/);
    assert.throws(() => s3BucketConfigSchema.parse({ part_size: 1024 }), /at least 5242880/);
    assert.throws(() => bucketConfigSchema.parse({ backend: 's3' }), /required when backend is/);
    assert.throws(() => bucketConfigSchema.parse({ storage_prefix: 'a/b' }), /letters and digits/);
    assert.throws(() => s3BucketConfigSchema.parse({ bucket_lookup_type: 'dns' }));
  });
});
