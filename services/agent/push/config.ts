// The agent's `push` config section: the Pushgateway-compatible endpoint's switch, emit interval,
// group expiry and the limits that bound its memory.
import { z } from 'zod';
import { duration, section } from '../../../libs/services/index.ts';

export const pushConfigSchema = section({
  enabled: z.boolean().default(true).describe('Serve the Pushgateway-compatible API at /metrics/job/...'),
  interval: duration('15s').describe('How often the pushed groups are written (each sample gets the write time, as a scrape would).'),
  // The Pushgateway keeps groups for ever; without a scraper that notices, a dead batch job's
  // last values would be written for ever too, so groups expire here.
  expiry: duration('5m').describe('A group not pushed again for this long is removed (its series get stale markers).'),
  max_groups: z.number().int().min(1).default(10_000).describe('Most groups kept; a push creating one more is refused (400).'),
  max_body_bytes: z.number().int().min(1).default(16 * 1024 * 1024).describe('Largest push body, after decompression (413 above it).'),
});

export type PushConfig = z.output<typeof pushConfigSchema>;
