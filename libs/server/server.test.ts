import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nopLogger } from '../log/index.ts';
import type { Readiness } from '../services/index.ts';
import { State, validateConfig } from '../services/index.ts';
import { GrpcStatusError, Server, createMetricsRegistry, grpc, serverConfigSchema, toServiceError } from './index.ts';

const build = { version: '1.2.3', revision: 'abc', branch: 'main' };

function newServer(readiness: () => Readiness = () => ({ ready: true, reason: '' })) {
  const config = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: 0 });
  const registry = createMetricsRegistry(build);
  return { server: new Server(config, { logger: nopLogger, registry, readiness }), registry };
}

async function get(server: Server, path: string): Promise<Response> {
  const a = server.address();
  assert.ok(a, 'server has an address');
  return fetch(`http://127.0.0.1:${a.port}${path}`, { signal: AbortSignal.timeout(5000) });
}

describe('Server', () => {
  it('listens on a free port and answers /ready by the readiness callback', async () => {
    let r: Readiness = { ready: false, reason: 'ingester is Starting' };
    const { server } = newServer(() => r);
    assert.equal(server.address(), undefined);
    await server.start();
    try {
      assert.ok((server.address()?.port ?? 0) > 0);
      let res = await get(server, '/ready');
      assert.equal(res.status, 503);
      assert.match(await res.text(), /ingester is Starting/);
      r = { ready: true, reason: '' };
      res = await get(server, '/ready');
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'ready\n');
    } finally {
      await server.stop();
    }
    assert.equal(server.state(), State.Terminated);
  });

  it('serves process metrics, build info and request durations by route', async () => {
    const { server, registry } = newServer();
    await server.start();
    try {
      await (await get(server, '/ready')).text();
      await (await get(server, '/nope/123')).text();
      const res = await get(server, '/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^process_cpu_seconds_total /m);
      assert.match(text, /^strata_build_info\{version="1\.2\.3",revision="abc",branch="main",nodeversion="v[\d.]+"\} 1$/m);
      assert.match(text, /^strata_request_duration_seconds_count\{method="GET",route="\/ready",status_code="200"\} 1$/m);
      assert.match(text, /^strata_request_duration_seconds_count\{method="GET",route="other",status_code="404"\} 1$/m);
      assert.ok(registry.getSingleMetric('strata_request_duration_seconds'));
    } finally {
      await server.stop();
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { server } = newServer();
    await server.start();
    try {
      const res = await get(server, '/does/not/exist');
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { status: 'error', errorType: 'not_found', error: 'no route for GET /does/not/exist' });
    } finally {
      await server.stop();
    }
  });

  it('serves routes that modules add before start, and refuses them after', async () => {
    const { server } = newServer();
    server.route({ method: 'GET', url: '/hello', handler: async () => ({ hello: 'world' }) });
    server.route({ method: 'GET', url: '/boom', handler: async () => { throw new Error('kaput'); } });
    await server.start();
    try {
      const res = await get(server, '/hello');
      assert.deepEqual(await res.json(), { hello: 'world' });
      const boom = await get(server, '/boom');
      assert.equal(boom.status, 500);
      assert.deepEqual(await boom.json(), { status: 'error', errorType: 'internal', error: 'kaput' });
      assert.throws(() => server.route({ method: 'GET', url: '/late', handler: async () => 'x' }), /after start/);
    } finally {
      await server.stop();
    }
  });

  it('fails to start when the port is taken, and frees the port on stop', async () => {
    const { server: a } = newServer();
    await a.start();
    const port = a.address()?.port ?? 0;
    const config = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: port });
    const b = new Server(config, { logger: nopLogger, registry: createMetricsRegistry(build), readiness: () => ({ ready: true, reason: '' }) });
    await assert.rejects(b.start(), /EADDRINUSE/);
    assert.equal(b.state(), State.Failed);
    await a.stop();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(5000) }));
  });

  describe('gRPC', () => {
    const json = {
      serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
      deserialize: (b: Buffer) => JSON.parse(b.toString()) as { name: string },
    };
    const definition: grpc.ServiceDefinition = {
      Greet: {
        path: '/test.Greeter/Greet',
        requestStream: false,
        responseStream: false,
        requestSerialize: json.serialize,
        requestDeserialize: json.deserialize,
        responseSerialize: json.serialize,
        responseDeserialize: json.deserialize,
      },
    };
    const implementation: grpc.UntypedServiceImplementation = {
      Greet: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (call.request.name === '') return cb(toServiceError(new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'name is empty')));
        if (call.request.name === 'boom') return cb(toServiceError(new Error('kaput')));
        cb(null, { greeting: `hello ${call.request.name}` });
      },
    };

    function greet(port: number, name: string): Promise<unknown> {
      const Client = grpc.makeGenericClientConstructor(definition, 'Greeter');
      const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      return new Promise((resolve, reject) => {
        (client as unknown as Record<string, (req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void>)
          .Greet!({ name }, { deadline: Date.now() + 5000 }, (err, res) => {
            client.close();
            if (err) reject(err);
            else resolve(res);
          });
      });
    }

    it('opens the gRPC port only when a service was registered', async () => {
      const { server } = newServer();
      await server.start();
      assert.equal(server.grpcAddress(), undefined);
      await server.stop();
    });

    it('serves registered services with their status codes, and stops', async () => {
      const config = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: 0, grpc_listen_address: '127.0.0.1', grpc_listen_port: 0 });
      const server = new Server(config, { logger: nopLogger, registry: createMetricsRegistry(build), readiness: () => ({ ready: true, reason: '' }) });
      server.addGrpcService(definition, implementation);
      await server.start();
      const port = server.grpcAddress()?.port ?? 0;
      try {
        assert.ok(port > 0);
        assert.deepEqual(await greet(port, 'strata'), { greeting: 'hello strata' });
        await assert.rejects(greet(port, ''), (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT && err.details === 'name is empty');
        await assert.rejects(greet(port, 'boom'), (err: grpc.ServiceError) => err.code === grpc.status.INTERNAL && err.details === 'kaput');
        assert.throws(() => server.addGrpcService(definition, implementation), /after start/);
      } finally {
        await server.stop();
      }
      await assert.rejects(greet(port, 'again'), (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE);
    });
  });
});
