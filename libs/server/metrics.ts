// The process-wide prom-client registry: Node process metrics, build info, and whatever modules add.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly branch: string;
}

/** A fresh registry (never prom-client's global one, so tests can run several servers in one process). */
export function createMetricsRegistry(build: BuildInfo): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'strata_build_info',
    help: 'A metric with a constant 1 value labeled by version, revision, branch and Node.js version.',
    labelNames: ['version', 'revision', 'branch', 'nodeversion'],
    registers: [registry],
  });
  info.set({ version: build.version, revision: build.revision, branch: build.branch, nodeversion: process.version }, 1);
  return registry;
}
