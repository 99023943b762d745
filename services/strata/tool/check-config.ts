// `strata tool check-config`: validates a config (file and flags) as the server would, prints it.
import { ConfigError, RenderMode, renderConfig } from '../../../libs/services/index.ts';
import { configSchema, loadStrataConfig } from '../config.ts';
import type { ToolCommand } from './types.ts';

export const checkConfig: ToolCommand = {
  name: 'check-config',
  summary: 'Validate a config file and flags; print the effective config (secrets masked).',
  run: async (args, io) => {
    const mode = args.includes('--diff') ? RenderMode.Diff : RenderMode.Full;
    try {
      const config = loadStrataConfig({ argv: args.filter((a) => a !== '--diff'), env: io.env });
      io.stdout(renderConfig(configSchema, config, mode));
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.stderr(`error: invalid config: ${err.message}\n`);
      return 1;
    }
  },
};
