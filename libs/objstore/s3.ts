// The S3 bucket (cluster mode): AWS S3 or any S3-compatible server (MinIO, Ceph, R2, …) through
// @aws-sdk/client-s3. PutObject and CompleteMultipartUpload replace an object whole, which is
// what makes uploads atomic; objects above the part size go up in parts (@aws-sdk/lib-storage).
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig, StorageClass } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { DeepReadonly } from '../services/index.ts';
import { assertNever } from '../services/index.ts';
import { chunksOf } from './body.ts';
import { BucketLookupType, DEFAULT_PART_SIZE } from './config.ts';
import type { S3BucketConfig } from './config.ts';
import { ObjectNotFoundError, ObjstoreError, ObjstoreErrorCode, errorMessage } from './errors.ts';
import type { BucketClient, IterOptions, ObjectAttributes, UploadBody } from './interface.ts';
import { checkName, checkRange, compareNames, dirPrefix } from './names.ts';

const MAX_PARTS = 10_000;
// Parts uploaded at once: bounds the memory of one upload to about this many parts.
const PART_QUEUE = 4;

export interface S3BucketOptions {
  /** Keys per ListObjectsV2 page (S3's maximum and default: 1000); tests page with less. */
  readonly listPageSize?: number;
}

// Endpoints known to serve buckets as virtual hosts; bucket_lookup_type auto uses path-style elsewhere.
const VIRTUAL_HOST_ENDPOINTS = /(^|\.)(amazonaws\.com(\.cn)?|googleapis\.com)$/i;

/** Whether requests name the bucket in the path (endpoint/bucket/key) rather than the host. */
export function usesPathStyle(config: DeepReadonly<Pick<S3BucketConfig, 'endpoint' | 'bucket_lookup_type'>>): boolean {
  switch (config.bucket_lookup_type) {
    case BucketLookupType.Path:
      return true;
    case BucketLookupType.VirtualHosted:
      return false;
    case BucketLookupType.Auto:
      return config.endpoint !== '' && !VIRTUAL_HOST_ENDPOINTS.test(config.endpoint.replace(/:\d+$/, ''));
    default:
      return assertNever(config.bucket_lookup_type);
  }
}

/** The SDK client settings for a config section (exported for tests). */
export function s3ClientConfig(config: DeepReadonly<S3BucketConfig>): S3ClientConfig {
  return {
    region: config.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint: config.endpoint === '' ? undefined : `${config.insecure ? 'http' : 'https'}://${config.endpoint}`,
    tls: !config.insecure,
    forcePathStyle: usesPathStyle(config),
    // Without keys in the config, the SDK's default chain finds them (environment, profiles, roles).
    credentials: config.access_key_id === '' ? undefined : {
      accessKeyId: config.access_key_id,
      secretAccessKey: config.secret_access_key,
      sessionToken: config.session_token || undefined,
    },
    // The standard retry mode: exponential backoff with full jitter, capped at 20s per wait.
    maxAttempts: config.max_retries + 1,
    retryMode: 'standard',
    // Only the checksums S3 requires: the SDK's default CRC32 trailers (aws-chunked bodies) are
    // not understood by many S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    followRegionRedirects: true,
  };
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

// HEAD answers carry no error body: a bare 404 is a missing key (or, indistinguishably, bucket).
function isNotFound(err: unknown): boolean {
  const e = err as SdkError | undefined;
  return e?.name === 'NoSuchKey' || (e?.name === 'NotFound' && e.$metadata?.httpStatusCode === 404);
}

export class S3Bucket implements BucketClient {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #storageClass: StorageClass | undefined;
  readonly #pageSize: number | undefined;

  /** Builds the SDK client; no request is sent until the first call. */
  constructor(config: DeepReadonly<S3BucketConfig>, opts: S3BucketOptions = {}) {
    this.#client = new S3Client(s3ClientConfig(config));
    this.#bucket = config.bucket_name;
    this.#partSize = config.part_size || DEFAULT_PART_SIZE;
    this.#storageClass = config.storage_class === '' ? undefined : (config.storage_class as StorageClass);
    this.#pageSize = opts.listPageSize;
  }

  async *iter(dir: string, opts: IterOptions = {}): AsyncGenerator<string> {
    const prefix = dirPrefix(dir);
    const recursive = opts.recursive === true;
    let token: string | undefined;
    do {
      const page = await this.#call('iter', prefix, false, () => this.#client.send(new ListObjectsV2Command({
        Bucket: this.#bucket,
        Prefix: prefix === '' ? undefined : prefix,
        Delimiter: recursive ? undefined : '/',
        ContinuationToken: token,
        MaxKeys: this.#pageSize,
      })));
      const names: string[] = [];
      // Keys ending in "/" are directory markers other tools leave; they are not objects here.
      for (const o of page.Contents ?? []) if (o.Key !== undefined && !o.Key.endsWith('/')) names.push(o.Key);
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) names.push(p.Prefix);
      // Objects and prefixes come as two lists; merged by sorting the page, which S3 orders
      // before every later page.
      yield* names.sort(compareNames);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async get(name: string): Promise<Uint8Array> {
    checkName(name);
    return this.#call('get', name, true, async () => {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: name }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    });
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    checkName(name);
    checkRange(name, offset, length);
    // "bytes=o-(o-1)" is not a range S3 honours (it would send the whole object).
    if (length === 0) {
      await this.attributes(name);
      return new Uint8Array(0);
    }
    return this.#call('getRange', name, true, async () => {
      let res;
      try {
        res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: name, Range: `bytes=${offset}-${offset + length - 1}` }));
      } catch (err) {
        // 416: the object exists and the range starts at or past its end.
        if ((err as SdkError).$metadata?.httpStatusCode === 416) return new Uint8Array(0);
        throw err;
      }
      const bytes = res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
      // A server that ignores Range answers 200 with the whole object.
      return res.ContentRange === undefined ? bytes.slice(offset, offset + length) : bytes;
    });
  }

  async getStream(name: string): Promise<Readable> {
    checkName(name);
    return this.#call('getStream', name, true, async () => {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: name }));
      // In Node the body is the HTTP response, a Readable.
      return (res.Body as Readable | undefined) ?? ReadableStream.from([]);
    });
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.attributes(name);
      return true;
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return false;
      throw err;
    }
  }

  async upload(name: string, body: UploadBody): Promise<void> {
    checkName(name);
    const size = body instanceof Uint8Array ? body.length : undefined;
    // Bigger parts when a known size would need more than S3's 10000.
    const partSize = Math.max(this.#partSize, size === undefined ? 0 : Math.ceil(size / MAX_PARTS));
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#bucket,
        Key: name,
        Body: body instanceof Uint8Array ? body : ReadableStream.from(chunksOf(body)),
        StorageClass: this.#storageClass,
      },
      partSize,
      queueSize: PART_QUEUE,
      // A failed multipart upload is aborted, so its parts do not linger (and cost) in the bucket.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      if (err instanceof TypeError) throw err;
      throw this.#error('upload', name, false, err);
    }
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: name }));
    } catch (err) {
      // S3 answers 204 for a missing key; some compatible servers answer 404.
      if (!isNotFound(err)) throw this.#error('delete', name, false, err);
    }
  }

  async attributes(name: string): Promise<ObjectAttributes> {
    checkName(name);
    return this.#call('attributes', name, true, async () => {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: name }));
      return { size: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
    });
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #call<T>(op: string, name: string, read: boolean, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.#error(op, name, read, err);
    }
  }

  #error(op: string, name: string, read: boolean, err: unknown): Error {
    if (err instanceof ObjstoreError) return err;
    if (read && isNotFound(err)) return new ObjectNotFoundError(name, { cause: err });
    const status = (err as SdkError).$metadata?.httpStatusCode;
    const what = `${(err as SdkError).name ?? 'Error'}${status === undefined ? '' : ` (HTTP ${status})`}`;
    return new ObjstoreError(ObjstoreErrorCode.Backend, `objstore s3: ${op} "${name}" in bucket "${this.#bucket}": ${what}: ${errorMessage(err)}`, { cause: err });
  }
}
