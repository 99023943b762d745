// Module manager: resolves the modules a target needs, starts them in dependency order and stops them
// in reverse. Like Mimir's pkg/mimir/modules.go on top of dskit's modules package.
import type { Logger } from '../log/index.ts';
import { nopLogger } from '../log/index.ts';
import type { Service } from './service.ts';
import { State } from './service.ts';

/**
 * One node of the dependency graph. `init` runs once, in dependency order, after the inits of all
 * `deps`; it may store what it builds on the shared context for later modules. It must do no I/O:
 * I/O belongs in the returned service's start(). A module without a service (a pure grouping, or a
 * value such as a metrics registry) returns undefined.
 */
export interface ModuleDefinition<Ctx> {
  readonly name: string;
  readonly deps: readonly string[];
  readonly init?: (ctx: Ctx) => Service | undefined;
}

export class ModuleGraphError extends Error {
  readonly code = 'module_graph';
  constructor(message: string) {
    super(message);
    this.name = 'ModuleGraphError';
  }
}

export class ModuleStartError extends Error {
  readonly code = 'module_start';
  readonly module: string;
  constructor(module: string, cause: unknown) {
    super(`module "${module}" failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ModuleStartError';
    this.module = module;
  }
}

/** Thrown by start() when stop() was called before every module was Running. */
export class ModuleStartAbortedError extends Error {
  readonly code = 'module_start_aborted';
  constructor() {
    super('start aborted by stop');
    this.name = 'ModuleStartAbortedError';
  }
}

export interface Readiness {
  readonly ready: boolean;
  /** Why the process is not ready; empty when ready. */
  readonly reason: string;
}

interface Started {
  readonly name: string;
  readonly service: Service;
}

export class ModuleManager<Ctx> {
  readonly #modules = new Map<string, ModuleDefinition<Ctx>>();
  readonly #logger: Logger;
  // Every service created, in start order; stopped from the end of `#toStop`.
  readonly #services: Started[] = [];
  readonly #toStop: Started[] = [];
  readonly #initialised = new Set<string>();
  #planned: readonly string[] = [];
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #stopRequested = false;
  readonly #failureListeners: Array<(module: string, err: Error) => void> = [];

  /** Checks the graph up front: duplicate names, unknown dependencies and cycles are programming errors. */
  constructor(modules: readonly ModuleDefinition<Ctx>[], opts: { logger?: Logger } = {}) {
    this.#logger = opts.logger ?? nopLogger;
    for (const m of modules) {
      if (this.#modules.has(m.name)) throw new ModuleGraphError(`module "${m.name}" is registered twice`);
      this.#modules.set(m.name, m);
    }
    for (const m of modules) {
      for (const d of m.deps) {
        if (!this.#modules.has(d)) throw new ModuleGraphError(`module "${m.name}" depends on unknown module "${d}"`);
      }
    }
    this.order([...this.#modules.keys()]);
  }

  has(name: string): boolean {
    return this.#modules.has(name);
  }

  /** The targets and their transitive dependencies, each after all of its dependencies. Deterministic. */
  order(targets: readonly string[]): string[] {
    const out: string[] = [];
    const done = new Set<string>();
    const path: string[] = [];
    const visit = (name: string): void => {
      if (done.has(name)) return;
      const at = path.indexOf(name);
      if (at >= 0) throw new ModuleGraphError(`dependency cycle: ${[...path.slice(at), name].join(' -> ')}`);
      const m = this.#modules.get(name);
      if (!m) throw new ModuleGraphError(`unknown module "${name}"`);
      path.push(name);
      for (const d of m.deps) visit(d);
      path.pop();
      done.add(name);
      out.push(name);
    };
    for (const t of targets) visit(t);
    return out;
  }

  /**
   * Inits and starts the targets' modules one at a time in dependency order, each Running before the
   * next starts. If one fails, the ones already started are stopped in reverse and ModuleStartError is thrown.
   */
  start(targets: readonly string[], ctx: Ctx): Promise<void> {
    if (this.#startPromise) return Promise.reject(new Error('module manager already started'));
    this.#startPromise = this.#start(targets, ctx);
    return this.#startPromise;
  }

  async #start(targets: readonly string[], ctx: Ctx): Promise<void> {
    this.#planned = this.order(targets);
    for (const name of this.#planned) {
      if (this.#stopRequested) throw new ModuleStartAbortedError();
      const m = this.#modules.get(name) as ModuleDefinition<Ctx>;
      let service: Service | undefined;
      try {
        service = m.init?.(ctx);
        this.#initialised.add(name);
        if (service) {
          this.#services.push({ name, service });
          this.#toStop.push({ name, service });
          this.#watch(name, service);
          this.#logger.debug({ module: name }, 'starting module');
          await service.start();
        }
      } catch (err) {
        const failure = new ModuleStartError(name, err);
        this.#logger.error({ module: name, err }, 'module failed to start');
        if (service && this.#toStop.at(-1)?.service === service) this.#toStop.pop();
        await this.#stopStarted();
        throw failure;
      }
    }
    if (this.#stopRequested) throw new ModuleStartAbortedError();
    this.#logger.info({ modules: this.#planned }, 'all modules running');
  }

  #watch(name: string, service: Service): void {
    service.addListener({
      failed: (from, err) => {
        // Failures during start are reported by start() itself.
        if (from === State.Starting) return;
        this.#logger.error({ module: name, err }, 'module failed');
        for (const l of this.#failureListeners) l(name, err);
      },
    });
  }

  /** Called when a module that had started fails on its own; the owner decides to shut down. */
  onFailure(listener: (module: string, err: Error) => void): void {
    this.#failureListeners.push(listener);
  }

  /** Stops every started module in reverse order; waits for a start in progress to give up first. */
  stop(): Promise<void> {
    this.#stopRequested = true;
    this.#stopPromise ??= (async () => {
      await this.#startPromise?.catch(() => {});
      const failure = await this.#stopStarted();
      if (failure) throw failure;
    })();
    return this.#stopPromise;
  }

  /** Stops what is left to stop, in reverse; returns the first failure instead of giving up on the rest. */
  async #stopStarted(): Promise<Error | undefined> {
    let first: Error | undefined;
    while (this.#toStop.length > 0) {
      const { name, service } = this.#toStop.pop() as Started;
      this.#logger.debug({ module: name }, 'stopping module');
      await service.stop();
      const failure = service.failureCase();
      if (service.state() === State.Failed && failure) {
        this.#logger.error({ module: name, err: failure }, 'module stopped with failure');
        first ??= failure;
      }
    }
    return first;
  }

  /** Ready when every planned module is initialised and each of their services is Running, as /ready reports. */
  readiness(): Readiness {
    if (this.#stopRequested) return { ready: false, reason: 'shutting down' };
    if (this.#planned.length === 0) return { ready: false, reason: 'modules not started yet' };
    const parts = this.services()
      .filter((s) => s.state !== State.Running)
      .map((s) => `${s.name} is ${s.state}`);
    const pending = this.#planned.filter((n) => !this.#initialised.has(n));
    if (pending.length > 0) parts.push(`${pending.join(', ')} not started yet`);
    if (parts.length === 0) return { ready: true, reason: '' };
    return { ready: false, reason: `some modules are not Running: ${parts.join('; ')}` };
  }

  /** The started services and their states, in start order. */
  services(): { name: string; state: State }[] {
    return this.#services.map((s) => ({ name: s.name, state: s.service.state() }));
  }
}
