// The `strata tool` subcommands. Add yours here (e.g. "block create", "promqltest").
import { blockAnalyze, blockCreate, blockDump } from './block.ts';
import { checkConfig } from './check-config.ts';
import { localCluster } from './local_cluster.ts';
import { promqltest } from './promqltest.ts';
import type { ToolCommand } from './types.ts';

export const TOOL_COMMANDS: readonly ToolCommand[] = [checkConfig, blockCreate, blockDump, blockAnalyze, localCluster, promqltest];
