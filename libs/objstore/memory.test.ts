import { describe } from 'node:test';
import { MemoryBucket } from './index.ts';
import { bucketAcceptanceSuite } from './testing.ts';

describe('memory bucket', () => {
  bucketAcceptanceSuite(() => Promise.resolve({ bucket: new MemoryBucket(), close: () => Promise.resolve() }));
});
