import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCache, NoopCache, cacheConfigSchema, createCache } from './index.ts';
import { validateConfig } from '../services/index.ts';
import { cacheAcceptanceSuite } from './testing.ts';

describe('MemoryCache', () => {
  cacheAcceptanceSuite(() => Promise.resolve(new MemoryCache({ maxSizeBytes: 1 << 20 })));

  it('evicts the least recently used entries to stay within its size', async () => {
    const c = new MemoryCache({ maxSizeBytes: 3000, maxItemSizeBytes: 3000 });
    const v = new Uint8Array(900);
    await c.setMulti([['a', v], ['b', v], ['c', v]]);
    await c.getMulti(['a']); // a is now the most recently used
    await c.setMulti([['d', v]]);
    assert.ok(c.sizeBytes() <= 3000);
    const got = await c.getMulti(['a', 'b', 'c', 'd']);
    assert.deepEqual([...got.keys()].sort(), ['a', 'c', 'd']);
  });

  it('does not store items over the item size', async () => {
    const c = new MemoryCache({ maxSizeBytes: 10_000 });
    await c.setMulti([['big', new Uint8Array(5000)], ['small', new Uint8Array(10)]]);
    assert.deepEqual([...(await c.getMulti(['big', 'small'])).keys()], ['small']);
  });
});

describe('createCache', () => {
  it('makes an in-memory LRU by default and a no-op cache for size 0', async () => {
    assert.ok(createCache(validateConfig(cacheConfigSchema(1 << 20), {})) instanceof MemoryCache);
    const off = createCache(validateConfig(cacheConfigSchema(1 << 20), { inmemory: { max_size_bytes: 0 } }));
    assert.ok(off instanceof NoopCache);
    await off.setMulti([['a', new Uint8Array(1)]]);
    assert.equal((await off.getMulti(['a'])).size, 0);
  });

  it('refuses redis without an endpoint', () => {
    assert.throws(() => createCache(validateConfig(cacheConfigSchema(1), { backend: 'redis' })), /redis.endpoint is required/);
  });
});
