// The acceptance suite of the Cache contract (interface.ts), run by memory.test.ts and
// redis.test.ts inside their own describe().
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Cache } from './interface.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** `newCache` gives an empty cache of the implementation, large enough for a few KiB. */
export function cacheAcceptanceSuite(newCache: () => Promise<Cache>): void {
  it('misses unknown keys and returns what was set', async () => {
    const c = await newCache();
    try {
      assert.equal((await c.getMulti(['a'])).size, 0);
      await c.setMulti([['a', bytes('1')], ['b', bytes('two')]]);
      const got = await c.getMulti(['a', 'b', 'c']);
      assert.deepEqual([...got.keys()].sort(), ['a', 'b']);
      assert.equal(text(got.get('a')), '1');
      assert.equal(text(got.get('b')), 'two');
      const s = c.stats();
      assert.equal(s.requests, 4);
      assert.equal(s.hits, 2);
      assert.equal(s.misses, 2);
    } finally {
      await c.close();
    }
  });

  it('keeps keys apart byte for byte and overwrites values', async () => {
    const c = await newCache();
    try {
      const keys = ['t1:B:1', 't1:B:10', 't1:b:1', 'ü:1', 'u:1', `k${'x'.repeat(200)}`];
      await c.setMulti(keys.map((k, i) => [k, bytes(String(i))]));
      const got = await c.getMulti(keys);
      keys.forEach((k, i) => assert.equal(text(got.get(k)), String(i), k));
      await c.setMulti([['u:1', bytes('new')]]);
      assert.equal(text((await c.getMulti(['u:1'])).get('u:1')), 'new');
    } finally {
      await c.close();
    }
  });

  it('stores binary values and empty values exactly', async () => {
    const c = await newCache();
    try {
      const v = new Uint8Array(1000).map((_, i) => (i * 37) & 0xff);
      await c.setMulti([['bin', v], ['empty', new Uint8Array(0)]]);
      const got = await c.getMulti(['bin', 'empty']);
      assert.deepEqual(new Uint8Array(got.get('bin')!), v);
      assert.equal(got.get('empty')?.length, 0);
    } finally {
      await c.close();
    }
  });

  it('expires entries after their TTL', async () => {
    const c = await newCache();
    try {
      await c.setMulti([['ttl', bytes('x')]], 50);
      assert.equal((await c.getMulti(['ttl'])).size, 1);
      await new Promise((r) => setTimeout(r, 120));
      assert.equal((await c.getMulti(['ttl'])).size, 0);
    } finally {
      await c.close();
    }
  });

  it('answers many keys in one call', async () => {
    const c = await newCache();
    try {
      const keys = Array.from({ length: 350 }, (_, i) => `many:${i}`);
      await c.setMulti(keys.map((k) => [k, bytes(k)]));
      const got = await c.getMulti(keys);
      assert.equal(got.size, keys.length);
      assert.equal(text(got.get('many:349')), 'many:349');
    } finally {
      await c.close();
    }
  });
}
