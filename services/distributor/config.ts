// The `distributor` config section (Mimir's names).
import { z } from 'zod';
import { section } from '../../libs/services/index.ts';

export const distributorConfigSchema = section({
  max_recv_msg_size: z.number().int().min(1).default(100 * 1024 * 1024)
    .describe('Largest remote-write request accepted, compressed and decompressed, bytes (413 above).'),
});

export type DistributorConfig = z.output<typeof distributorConfigSchema>;
