import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nopLogger } from '../log/index.ts';
import type { Readiness } from '../services/index.ts';
import { State, validateConfig } from '../services/index.ts';
import { Server, createMetricsRegistry, serverConfigSchema } from './index.ts';

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
});
