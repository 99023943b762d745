// The object storage config section, with Mimir's key names. Its fields sit directly in
// blocks_storage (Mimir's layout, next to tsdb), hence a shape to spread plus a check.
import { z } from 'zod';
import { secret, section } from '../services/index.ts';

export const BucketBackendKind = { Filesystem: 'filesystem', S3: 's3' } as const;
export type BucketBackendKind = (typeof BucketBackendKind)[keyof typeof BucketBackendKind];

/** How the bucket is addressed: Mimir's bucket_lookup_type (force_path_style elsewhere). */
export const BucketLookupType = { Auto: 'auto', VirtualHosted: 'virtual-hosted', Path: 'path' } as const;
export type BucketLookupType = (typeof BucketLookupType)[keyof typeof BucketLookupType];

/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The part size when part_size is 0. */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

export const filesystemBucketConfigSchema = section({
  dir: z.string().default('').describe('Bucket directory for the filesystem backend; empty means <storage.dir>/bucket.'),
});

export const s3BucketConfigSchema = section({
  endpoint: z.string().default('').describe('S3 endpoint, host[:port] without a scheme; empty means AWS S3 in the region.'),
  bucket_name: z.string().default('').describe('S3 bucket name.'),
  access_key_id: z.string().default('').describe('S3 access key id, used with secret_access_key; empty means the AWS credential chain (AWS_ACCESS_KEY_ID, profiles, web identity, instance role).'),
  secret_access_key: secret().describe('S3 secret access key.'),
  session_token: secret().describe('S3 session token, for temporary credentials.'),
  region: z.string().default('').describe('S3 region; empty means AWS_REGION, else us-east-1.'),
  insecure: z.boolean().default(false).describe('Use plain HTTP instead of HTTPS.'),
  bucket_lookup_type: z
    .enum([BucketLookupType.Auto, BucketLookupType.VirtualHosted, BucketLookupType.Path])
    .default(BucketLookupType.Auto)
    .describe('Bucket addressing: path (endpoint/bucket), virtual-hosted (bucket.endpoint), or auto (virtual-hosted for AWS, path for other endpoints).'),
  storage_class: z.string().default('').describe('S3 storage class of uploaded objects; empty means the bucket default (STANDARD).'),
  part_size: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(`Bytes per part of multipart uploads (at least ${MIN_PART_SIZE}); larger objects are uploaded in parts. 0 means ${DEFAULT_PART_SIZE}.`),
  max_retries: z.number().int().min(0).default(10).describe('Retries of a failed S3 request (exponential backoff with jitter).'),
}).superRefine((v, ctx) => {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v.endpoint) || v.endpoint.includes('/')) {
    ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'expected host[:port] without a scheme or path (insecure: true for http)', input: v.endpoint });
  }
  if (v.part_size !== 0 && v.part_size < MIN_PART_SIZE) {
    ctx.addIssue({ code: 'custom', path: ['part_size'], message: `must be 0 or at least ${MIN_PART_SIZE} (S3's smallest part)`, input: v.part_size });
  }
});

/** The object storage keys, to spread into a section (blocks_storage). */
export const bucketConfigFields = {
  backend: z.enum([BucketBackendKind.Filesystem, BucketBackendKind.S3]).default(BucketBackendKind.Filesystem).describe('Object storage backend for blocks.'),
  storage_prefix: z
    .string()
    .regex(/^[A-Za-z0-9]*$/, 'expected letters and digits only')
    .default('')
    .describe('Prefix of every object name in the bucket (a "directory"), to share one bucket; empty means none.'),
  filesystem: filesystemBucketConfigSchema,
  s3: s3BucketConfigSchema,
};

interface BucketConfigShape {
  readonly backend: BucketBackendKind;
  readonly s3: { readonly bucket_name: string };
}

/** The checks across keys of a section built from bucketConfigFields; pass to superRefine. */
export function checkBucketConfig(v: BucketConfigShape, ctx: z.RefinementCtx): void {
  if (v.backend === BucketBackendKind.S3 && v.s3.bucket_name === '') {
    ctx.addIssue({ code: 'custom', path: ['s3', 'bucket_name'], message: 'required when backend is "s3"', input: '' });
  }
}

/** The section on its own. */
export const bucketConfigSchema = section(bucketConfigFields).superRefine(checkBucketConfig);

export type FilesystemBucketConfig = z.output<typeof filesystemBucketConfigSchema>;
export type S3BucketConfig = z.output<typeof s3BucketConfigSchema>;
export type BucketConfig = z.output<typeof bucketConfigSchema>;
