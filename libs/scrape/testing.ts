// Test helpers of libs/scrape for other packages' tests (the boundary rule admits testing.ts).
export { CollectingAppendable, scrapeConfig, startExpositionServer } from './testutil.ts';
export type { CollectedSample, ExpositionServer } from './testutil.ts';
