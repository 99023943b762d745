// The strata executable: `strata [flags]` runs the modules of --target until SIGTERM/SIGINT;
// `strata tool …` runs an offline tool. Exit codes: 0 clean stop, 1 bad config or a failed module.
import { ConfigError, ModuleGraphError, ModuleManager, ModuleStartAbortedError } from '../../libs/services/index.ts';
import type { Config } from './config.ts';
import { loadStrataConfig } from './config.ts';
import { usage } from './help.ts';
import { createRootLogger } from './logging.ts';
import type { StrataContext } from './modules.ts';
import { MODULES, TargetError, resolveTargets } from './modules.ts';
import { runTool } from './tool/index.ts';
import { buildInfo, versionLine } from './version.ts';

/** One line on stderr, then exit 1: the contract for every start-up error an operator can fix. */
function die(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

export async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'tool') {
    // `strata tool block dump … | head`: a closed pipe ends the tool quietly, like any Unix filter.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
    process.exitCode = await runTool(argv.slice(1));
    return;
  }
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('-help')) {
    process.stdout.write(usage());
    return;
  }
  const build = buildInfo();
  if (argv.includes('--version') || argv.includes('-version')) {
    process.stdout.write(`${versionLine(build)}\n`);
    return;
  }

  let config: Config;
  let names: string[];
  try {
    config = loadStrataConfig({ argv, env: process.env });
    names = resolveTargets(config.target);
  } catch (err) {
    if (err instanceof ConfigError) die(`invalid config: ${err.message}`);
    if (err instanceof TargetError) die(err.message);
    throw err;
  }

  const logger = createRootLogger(config.server);
  const log = logger.child({ component: 'strata' });
  let manager: ModuleManager<StrataContext>;
  try {
    manager = new ModuleManager(MODULES, { logger: logger.child({ component: 'modules' }) });
  } catch (err) {
    if (err instanceof ModuleGraphError) die(err.message);
    throw err;
  }
  const ctx: StrataContext = { config, logger, build, readiness: () => manager.readiness() };

  let shuttingDown = false;
  const shutdown = (code: number, why: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ reason: why }, 'shutting down');
    manager.stop().then(
      () => {
        log.info('stopped');
        process.exit(code);
      },
      (err: unknown) => {
        log.error({ err }, 'modules failed while stopping');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    shutdown(0, signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  manager.onFailure((module, err) => {
    log.error({ module, err }, 'module failed, stopping the others');
    shutdown(1, `module ${module} failed`);
  });

  log.info({ version: build.version, targets: config.target, modules: names }, 'starting strata');
  try {
    await manager.start(names, ctx);
  } catch (err) {
    if (err instanceof ModuleStartAbortedError || shuttingDown) return;
    // The manager has already stopped what had started.
    log.error({ err }, 'start-up failed');
    die(err instanceof Error ? err.message : String(err));
  }
}
