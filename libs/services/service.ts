// Service lifecycle: New → Starting → Running → Stopping → Terminated | Failed, as in dskit's services.
// Constructors do no I/O; only start() (called by the module manager) opens sockets, files or timers.

export const State = {
  New: 'New',
  Starting: 'Starting',
  Running: 'Running',
  Stopping: 'Stopping',
  Terminated: 'Terminated',
  Failed: 'Failed',
} as const;
export type State = (typeof State)[keyof typeof State];

/** Callbacks run synchronously on each transition; a throwing listener never breaks the state machine. */
export interface Listener {
  starting?(): void;
  running?(): void;
  stopping?(from: State): void;
  terminated?(from: State): void;
  failed?(from: State, failure: Error): void;
}

export class InvalidServiceStateError extends Error {
  readonly code = 'invalid_service_state';
  constructor(service: string, op: string, state: State) {
    super(`service "${service}": cannot ${op} in state ${state}`);
    this.name = 'InvalidServiceStateError';
  }
}

/** A promise whose rejection is never reported as unhandled (callers may or may not await it). */
class Gate {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (err: Error) => void;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(() => {});
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export abstract class Service {
  readonly name: string;
  #state: State = State.New;
  #failure: Error | undefined;
  readonly #listeners = new Set<Listener>();
  // Settles once the service is Running (resolve) or can never be (reject).
  readonly #running = new Gate();
  // Settles once the service is Terminated (resolve) or Failed (reject).
  readonly #terminated = new Gate();
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** Brings the service up; resolves when Running. Called once, by the module manager. */
  protected abstract starting(): Promise<void>;

  /** Releases what starting() acquired. `failure` is set when the service stops because it failed. */
  protected stopping(_failure?: Error): Promise<void> {
    return Promise.resolve();
  }

  state(): State {
    return this.#state;
  }

  /** The error that moved the service to Failed, if it did. */
  failureCase(): Error | undefined {
    return this.#failure;
  }

  addListener(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): Promise<void> {
    if (this.#state !== State.New) {
      return Promise.reject(new InvalidServiceStateError(this.name, 'start', this.#state));
    }
    this.#transition(State.Starting);
    this.#starting = this.#runStarting();
    return this.#starting;
  }

  async #runStarting(): Promise<void> {
    try {
      await this.starting();
    } catch (err) {
      // starting() cleans up after itself; stopping() is only for a service that reached Running.
      this.#toFailed(asError(err));
      throw this.#failure;
    }
    if (this.#state === State.Starting) this.#transition(State.Running);
  }

  /** Stops the service; safe to call in any state and more than once. Resolves when Terminated or Failed. */
  stop(): Promise<void> {
    this.#stopping ??= this.#runStop();
    return this.#stopping;
  }

  async #runStop(): Promise<void> {
    if (this.#state === State.New) {
      this.#transition(State.Terminated);
      return;
    }
    if (this.#state === State.Starting) {
      // Let starting() finish so that stopping() sees a consistent service.
      await this.#starting?.catch(() => {});
    }
    if (this.#state === State.Running) await this.#runStopping(undefined);
    else if (this.#state === State.Stopping) await this.#terminated.promise.catch(() => {});
  }

  /** For a Running service that breaks on its own (a listener error, a lost connection): stop and fail. */
  protected fail(err: unknown): void {
    if (this.#state !== State.Running) return;
    void this.#runStopping(asError(err));
  }

  async #runStopping(failure: Error | undefined): Promise<void> {
    this.#transition(State.Stopping);
    try {
      await this.stopping(failure);
    } catch (err) {
      this.#toFailed(failure ?? asError(err));
      return;
    }
    if (failure) this.#toFailed(failure);
    else this.#transition(State.Terminated);
  }

  /** Resolves when Running; rejects if the service stops or fails before getting there. */
  awaitRunning(): Promise<void> {
    return this.#running.promise;
  }

  /** Resolves when Terminated; rejects with the failure when Failed. */
  awaitTerminated(): Promise<void> {
    return this.#terminated.promise;
  }

  #toFailed(failure: Error): void {
    this.#failure = failure;
    this.#transition(State.Failed);
  }

  #transition(to: State): void {
    const from = this.#state;
    this.#state = to;
    switch (to) {
      case State.Running:
        this.#running.resolve();
        break;
      case State.Terminated:
        this.#running.reject(new InvalidServiceStateError(this.name, 'reach Running', to));
        this.#terminated.resolve();
        break;
      case State.Failed: {
        const failure = this.#failure ?? new Error(`service "${this.name}" failed`);
        this.#running.reject(failure);
        this.#terminated.reject(failure);
        break;
      }
      case State.Stopping:
        if (from !== State.Running) this.#running.reject(new InvalidServiceStateError(this.name, 'reach Running', to));
        break;
      case State.New:
      case State.Starting:
        break;
      default:
        assertNever(to);
    }
    for (const l of this.#listeners) {
      try {
        switch (to) {
          case State.Starting:
            l.starting?.();
            break;
          case State.Running:
            l.running?.();
            break;
          case State.Stopping:
            l.stopping?.(from);
            break;
          case State.Terminated:
            l.terminated?.(from);
            break;
          case State.Failed:
            l.failed?.(from, this.#failure as Error);
            break;
          case State.New:
            break;
          default:
            assertNever(to);
        }
      } catch (err) {
        // A broken listener is a bug elsewhere: surface it without corrupting this transition.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** A service built from two functions, for modules that need no class of their own. */
export class BasicService extends Service {
  readonly #start: () => Promise<void>;
  readonly #stop: (failure?: Error) => Promise<void>;
  constructor(
    name: string,
    fns: { starting?: () => Promise<void>; stopping?: (failure?: Error) => Promise<void> },
  ) {
    super(name);
    this.#start = fns.starting ?? (() => Promise.resolve());
    this.#stop = fns.stopping ?? (() => Promise.resolve());
  }
  protected override starting(): Promise<void> {
    return this.#start();
  }
  protected override stopping(failure?: Error): Promise<void> {
    return this.#stop(failure);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${String(x)}`);
}
