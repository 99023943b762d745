// The `agent` section of Strata's own config: where the Prometheus configuration comes from, where
// the WAL lives, the ring the agents share targets over, and the push endpoint.
import { z } from 'zod';
import { section } from '../../libs/services/index.ts';
import { pushConfigSchema } from './push/index.ts';
import { agentRingConfigSchema } from './sharding.ts';

export const agentConfigSchema = section({
  config_file: z
    .string()
    .default('')
    .describe('Prometheus configuration file (global, scrape_configs, remote_write); empty: scrape this process and write to its own distributor.'),
  data_dir: z.string().default('').describe('The agent\'s WAL and remote-write positions; empty means <storage.dir>/agent.'),
  ring: agentRingConfigSchema,
  push: pushConfigSchema,
});

export type AgentModuleConfig = z.output<typeof agentConfigSchema>;

/** The configuration `npm start` runs with: the process scrapes itself and writes to its own distributor. */
export function selfScrapeConfig(address: string): string {
  return [
    'global:',
    '  scrape_interval: 15s',
    'scrape_configs:',
    '  - job_name: strata',
    '    static_configs:',
    `      - targets: ['${address}']`,
    'remote_write:',
    `  - url: http://${address}/api/v1/push`,
    '',
  ].join('\n');
}
