// Public face of libs/objstore: the Bucket contract used for blocks, its memory, filesystem and
// S3 implementations, the per-tenant prefix wrapper and the config section.
export type { Bucket, BucketClient, IterOptions, ObjectAttributes, UploadBody } from './interface.ts';
export { ObjectNotFoundError, ObjstoreError, ObjstoreErrorCode, isObjectNotFound } from './errors.ts';
export { MAX_NAME_BYTES, checkName, compareNames } from './names.ts';
export { MemoryBucket } from './memory.ts';
export { FilesystemBucket, UPLOADS_DIR } from './filesystem.ts';
export { S3Bucket, s3ClientConfig, usesPathStyle } from './s3.ts';
export type { S3BucketOptions } from './s3.ts';
export { PrefixedBucket, tenantBucket } from './prefixed.ts';
export { uploadFile } from './upload_file.ts';
export {
  BucketBackendKind, BucketLookupType, DEFAULT_PART_SIZE, MIN_PART_SIZE,
  bucketConfigFields, bucketConfigSchema, checkBucketConfig, filesystemBucketConfigSchema, s3BucketConfigSchema,
} from './config.ts';
export type { BucketConfig, FilesystemBucketConfig, S3BucketConfig } from './config.ts';
export { DEFAULT_FILESYSTEM_DIR, createBucket } from './create.ts';
