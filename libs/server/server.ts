// The HTTP server every process runs (fastify): /ready, /metrics, a JSON 404, request metrics, and
// routes that modules add before it starts listening.
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { LogController, fastify } from 'fastify';
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.ts';
import type { Readiness } from '../services/index.ts';
import { Service } from '../services/index.ts';
import type { ServerConfig } from './config.ts';
import { type RegisteredService, bindGrpc, grpc, shutdownGrpc } from './grpc.ts';

// How long a stopping server lets in-flight gRPC calls finish.
const GRPC_GRACE_MS = 5_000;

export interface ServerDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Asked by each GET /ready; 200 only when it says ready. */
  readonly readiness: () => Readiness;
}

export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

/** Prometheus' API error body, used for every error this server answers itself. */
export function errorBody(errorType: string, error: string): { status: 'error'; errorType: string; error: string } {
  return { status: 'error', errorType, error };
}

export class Server extends Service {
  readonly #config: ServerConfig;
  readonly #deps: ServerDeps;
  readonly #app: FastifyInstance;
  #address: ListenAddress | undefined;
  readonly #grpcServices: RegisteredService[] = [];
  #grpc: grpc.Server | undefined;
  #grpcAddress: ListenAddress | undefined;

  constructor(config: ServerConfig, deps: ServerDeps) {
    super('server');
    this.#config = config;
    this.#deps = deps;
    // Request lines are left to the request-duration metric; fastify's own errors go to our pino logger.
    this.#app = fastify({
      loggerInstance: deps.logger as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      forceCloseConnections: 'idle',
    });
    this.#instrument();
    this.#app.get('/ready', (_req, reply) => {
      const r = this.#deps.readiness();
      if (this.state() !== 'Running') return reply.code(503).type('text/plain').send('server is not running\n');
      if (!r.ready) return reply.code(503).type('text/plain').send(`${r.reason}\n`);
      return reply.type('text/plain').send('ready\n');
    });
    this.#app.get('/metrics', async (_req, reply) => {
      const body = await this.#deps.registry.metrics();
      return reply.type(this.#deps.registry.contentType).send(body);
    });
    this.#app.setNotFoundHandler((req, reply) =>
      reply.code(404).send(errorBody('not_found', `no route for ${req.method} ${req.url}`)),
    );
    this.#app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500) this.#deps.logger.error({ err, method: req.method, url: req.url }, 'request failed');
      return reply.code(status).send(errorBody(status >= 500 ? 'internal' : 'bad_data', err.message));
    });
  }

  #instrument(): void {
    const duration = new Histogram({
      name: 'strata_request_duration_seconds',
      help: 'Time (in seconds) spent serving HTTP requests.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100],
      registers: [this.#deps.registry],
    });
    this.#app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done) => {
      // The route pattern, not the URL, keeps the label set small; unknown paths share one label.
      const route = req.routeOptions.url ?? 'other';
      duration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
      done();
    });
  }

  /** Adds a route; only before start(), as fastify freezes its routes when it listens. */
  route(opts: RouteOptions): void {
    if (this.state() !== 'New') throw new Error(`server: cannot add route ${opts.url} after start`);
    this.#app.route(opts);
  }

  /** The fastify instance, for modules that need plugins or content-type parsers; same rule as route(). */
  get http(): FastifyInstance {
    return this.#app;
  }

  /**
   * Adds a gRPC service; only before start(). The gRPC port is opened only when some module
   * registered a service, so processes without one (a querier alone) need no second port.
   */
  addGrpcService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    if (this.state() !== 'New') throw new Error('server: cannot add a gRPC service after start');
    this.#grpcServices.push({ definition, implementation });
  }

  /** Where the server listens, once Running (the real port when configured with 0). */
  address(): ListenAddress | undefined {
    return this.#address;
  }

  /** Where the gRPC server listens, once Running, if it does. */
  grpcAddress(): ListenAddress | undefined {
    return this.#grpcAddress;
  }

  protected override async starting(): Promise<void> {
    if (this.#grpcServices.length > 0) {
      // Unbounded message sizes: limits are enforced by the services, which can say which one.
      const g = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
      for (const s of this.#grpcServices) g.addService(s.definition, s.implementation);
      const port = await bindGrpc(g, this.#config.grpc_listen_address, this.#config.grpc_listen_port);
      this.#grpc = g;
      this.#grpcAddress = { address: this.#config.grpc_listen_address, port };
      this.#deps.logger.info({ address: this.#config.grpc_listen_address, port }, 'gRPC server listening');
    }
    try {
      await this.#app.listen({ host: this.#config.http_listen_address, port: this.#config.http_listen_port });
    } catch (err) {
      if (this.#grpc) this.#grpc.forceShutdown();
      throw err;
    }
    const a = this.#app.server.address() as AddressInfo;
    this.#address = { address: a.address, port: a.port };
    this.#app.server.on('error', (err) => this.fail(err));
    this.#deps.logger.info({ address: a.address, port: a.port }, 'server listening');
  }

  protected override async stopping(): Promise<void> {
    await Promise.all([this.#app.close(), this.#grpc ? shutdownGrpc(this.#grpc, GRPC_GRACE_MS) : undefined]);
  }
}
