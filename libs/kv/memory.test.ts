import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryKV, createKV, jsonCodec, kvConfigSchema } from './index.ts';
import type { Codec } from './index.ts';
import type { KVBackend, StoppableKVClient } from './testing.ts';
import { kvAcceptanceSuite } from './testing.ts';

function memoryBackend(): Promise<KVBackend> {
  const store = randomUUID();
  const clients: StoppableKVClient<unknown>[] = [];
  return Promise.resolve({
    async newClient<T>(codec: Codec<T>) {
      const c = new MemoryKV(codec, { store });
      await c.start();
      clients.push(c as StoppableKVClient<unknown>);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.stop()));
    },
  });
}

describe('memory kv', () => {
  kvAcceptanceSuite(memoryBackend);

  it('shares a store between clients with the same name only', async () => {
    const [a, b, other] = [new MemoryKV(jsonCodec<number>(), { store: 'shared-test' }), new MemoryKV(jsonCodec<number>(), { store: 'shared-test' }), new MemoryKV(jsonCodec<number>(), { store: randomUUID() })];
    await Promise.all([a.start(), b.start(), other.start()]);
    try {
      await a.cas('k', () => 1);
      assert.equal(await b.get('k'), 1);
      assert.equal(await other.get('k'), null);
    } finally {
      await Promise.all([a.stop(), b.stop(), other.stop()]);
    }
  });

  it('rejects calls before start', async () => {
    const c = new MemoryKV(jsonCodec<number>());
    await assert.rejects(c.get('k'), { code: 'kv_unavailable' });
  });

  it('createKV builds the store the config names, memory by default', async () => {
    const config = kvConfigSchema.parse({});
    assert.equal(config.store, 'memory');
    assert.equal(config.nats.bucket, 'strata');
    const c = createKV(config, jsonCodec<number>(), { memoryStore: randomUUID() });
    assert.ok(c instanceof MemoryKV);
    await c.start();
    await c.cas('k', () => 1);
    assert.equal(await c.get('k'), 1);
    await c.stop();
  });
});
