// The S3-compatible server of the tests: the launcher `strata tool local-cluster --s3` uses too.
export { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server } from '../services/strata/index.ts';
export type { S3Server } from '../services/strata/index.ts';
