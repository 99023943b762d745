// Where modules register: the dependency graph of the strata process and the targets of
// ARCHITECTURE.md section 2. Each module lives in modules/ by component; a new one adds an entry
// to its file's list; targets already name it.
import { AGENT_MODULES } from './modules/agent.ts';
import { COMPACTOR_MODULES } from './modules/compactor.ts';
import type { StrataModule } from './modules/context.ts';
import { CORE_MODULES } from './modules/core.ts';
import { DISTRIBUTOR_MODULES } from './modules/distributor.ts';
import { INGESTER_MODULES } from './modules/ingester.ts';
import { QUERIER_MODULES } from './modules/querier.ts';
import { STORE_GATEWAY_MODULES } from './modules/store_gateway.ts';

export { provided } from './modules/context.ts';
export type { StrataContext, StrataModule } from './modules/context.ts';

export const MODULES: readonly StrataModule[] = [
  ...CORE_MODULES,
  ...COMPACTOR_MODULES,
  ...STORE_GATEWAY_MODULES,
  ...INGESTER_MODULES,
  ...DISTRIBUTOR_MODULES,
  ...QUERIER_MODULES,
  ...AGENT_MODULES,
];

/** Modules that run in every process whatever the target; started after the target's modules. */
export const ALWAYS = ['server'] as const;

/** ARCHITECTURE.md section 2. `agent` is never part of `all`. */
export const TARGETS: Readonly<Record<string, readonly string[]>> = {
  all: ['distributor', 'ingester', 'querier', 'query-frontend', 'store-gateway', 'compactor', 'ruler', 'ui'],
  write: ['distributor', 'ingester'],
  read: ['query-frontend', 'querier'],
  backend: ['store-gateway', 'compactor', 'ruler'],
  distributor: ['distributor'],
  ingester: ['ingester'],
  querier: ['querier'],
  'query-frontend': ['query-frontend'],
  'store-gateway': ['store-gateway'],
  compactor: ['compactor'],
  ruler: ['ruler'],
  agent: ['agent'],
};

export class TargetError extends Error {
  readonly code = 'invalid_target';
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/**
 * The module names to start for the requested targets. `all` runs the modules that exist so far;
 * any other target whose modules are not all written yet is refused, so nobody mistakes it for working.
 */
export function resolveTargets(targets: readonly string[], modules: readonly StrataModule[] = MODULES): string[] {
  const have = new Set(modules.map((m) => m.name));
  const out = new Set<string>();
  if (targets.length === 0) throw new TargetError(`no target given (valid targets: ${Object.keys(TARGETS).join(', ')})`);
  for (const t of targets) {
    const wanted = TARGETS[t];
    if (!wanted) throw new TargetError(`unknown target "${t}" (valid targets: ${Object.keys(TARGETS).join(', ')})`);
    const missing = wanted.filter((m) => !have.has(m));
    if (t !== 'all' && missing.length > 0) {
      const which = missing.length === wanted.length ? '' : ` (missing: ${missing.join(', ')})`;
      throw new TargetError(`target "${t}" is not available yet in this version${which}`);
    }
    for (const m of wanted) if (have.has(m)) out.add(m);
  }
  // Last, so that the server listens only once every module has added its routes, and stops first.
  for (const m of ALWAYS) out.add(m);
  return [...out];
}
