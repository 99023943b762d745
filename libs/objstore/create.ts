// Builds the bucket a config section selects, so that a module needs one line to get its bucket.
import type { DeepReadonly } from '../services/index.ts';
import { assertNever } from '../services/index.ts';
import type { BucketConfig } from './config.ts';
import { FilesystemBucket } from './filesystem.ts';
import type { BucketClient } from './interface.ts';
import { PrefixedBucket } from './prefixed.ts';
import { S3Bucket } from './s3.ts';
import type { S3BucketOptions } from './s3.ts';

/** The embedded default: where the filesystem bucket lives when filesystem.dir is empty. */
export const DEFAULT_FILESYSTEM_DIR = './data/bucket';

/** The bucket `config.backend` names, under `storage_prefix` if set. Does no I/O. */
export function createBucket(config: DeepReadonly<BucketConfig>, s3Options: S3BucketOptions = {}): BucketClient {
  const bucket = backend(config, s3Options);
  if (config.storage_prefix === '') return bucket;
  const prefixed = new PrefixedBucket(bucket, config.storage_prefix);
  return Object.assign(prefixed, { close: () => bucket.close() });
}

function backend(config: DeepReadonly<BucketConfig>, s3Options: S3BucketOptions): BucketClient {
  switch (config.backend) {
    case 'filesystem':
      return new FilesystemBucket(config.filesystem.dir || DEFAULT_FILESYSTEM_DIR);
    case 's3':
      return new S3Bucket(config.s3, s3Options);
    default:
      return assertNever(config.backend);
  }
}
