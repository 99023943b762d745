// The Redis cache against a real redis-server (test/redis.ts), including an outage.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, type RedisServer } from '../../test/redis.ts';
import { RedisCache } from './index.ts';
import { cacheAcceptanceSuite } from './testing.ts';

describe('RedisCache', () => {
  let server: RedisServer;
  let db = 0;
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await server.cleanup();
  });
  const make = (): RedisCache => new RedisCache({ endpoint: server.endpoint, db: db++ % 16, dialTimeoutMs: 500, readTimeoutMs: 200, maxItemSizeBytes: 1 << 20 });

  cacheAcceptanceSuite(async () => {
    const c = make();
    await c.start();
    return c;
  });

  it('treats an outage as misses, fast, and recovers when Redis is back', async () => {
    const c = make();
    try {
      await c.start();
      await c.setMulti([['k', new Uint8Array([1, 2, 3])]]);
      assert.equal((await c.getMulti(['k'])).size, 1);
      await server.stop();
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) assert.equal((await c.getMulti(['k', 'x'])).size, 0);
      await c.setMulti([['k2', new Uint8Array([1])]]); // must not reject
      assert.ok(Date.now() - t0 < 2_000, `lookups during the outage took ${Date.now() - t0}ms`);
      assert.ok(c.stats().errors >= 1);
      await server.restart();
      // The client reconnects by itself (backoff at most 2 s); the restarted server is empty.
      const deadline = Date.now() + 10_000;
      for (;;) {
        await c.setMulti([['k3', new Uint8Array([9])]]);
        if ((await c.getMulti(['k3'])).size === 1) break;
        assert.ok(Date.now() < deadline, 'the cache did not recover after Redis came back');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await c.close();
    }
  });

  it('does not fail when Redis was never reachable', async () => {
    const c = new RedisCache({ endpoint: '127.0.0.1:1', dialTimeoutMs: 200, readTimeoutMs: 100, maxItemSizeBytes: 1 << 20 });
    try {
      await c.start();
      assert.equal((await c.getMulti(['a'])).size, 0);
      await c.setMulti([['a', new Uint8Array(1)]]);
    } finally {
      await c.close();
    }
  });
});
