// The KV acceptance suite against a real nats-server (JetStream), plus what only NATS has: the
// bucket layout, start-up without a server, and a server restart under running watches.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from 'nats';
import type { NatsServer } from '../../test/nats.ts';
import { startNatsServer } from '../../test/nats.ts';
import { KVError, NatsKV, jsonCodec, natsKVConfigSchema } from './index.ts';
import type { Codec, NatsKVConfig } from './index.ts';
import type { KVBackend, StoppableKVClient } from './testing.ts';
import { WatchReader, kvAcceptanceSuite } from './testing.ts';

function natsConfig(url: string, bucket: string, overrides: Partial<NatsKVConfig> = {}): NatsKVConfig {
  // Short waits keep reconnects quick in tests; the bounds stay generous.
  return { ...natsKVConfigSchema.parse({ url, bucket, reconnect_wait: '100ms', request_timeout: '3s' }), ...overrides };
}

let buckets = 0;

function natsBackend(url: string): KVBackend {
  // A bucket per test: a fresh store on the shared server.
  const config = natsConfig(url, `test-${process.pid}-${++buckets}`);
  const clients: StoppableKVClient<unknown>[] = [];
  return {
    async newClient<T>(codec: Codec<T>) {
      const c = new NatsKV(config, codec, { name: `kv-${clients.length}` });
      await c.start();
      clients.push(c as StoppableKVClient<unknown>);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.stop()));
    },
  };
}

/** Retries `fn` while it fails with a KVError (the server is coming back), at most `ms`. */
async function eventually<V>(fn: () => Promise<V>, ms = 20_000): Promise<V> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof KVError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('nats kv', () => {
  let server: NatsServer | undefined;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.cleanup();
  });

  describe('acceptance', () => {
    kvAcceptanceSuite(() => Promise.resolve(natsBackend((server as NatsServer).url)));
  });

  it('stores keys in the bucket level by level, "/" as the subject separator', async () => {
    const url = (server as NatsServer).url;
    const kv = new NatsKV(natsConfig(url, 'layout'), jsonCodec<number>());
    await kv.start();
    const nc = await connect({ servers: url });
    try {
      await kv.cas('collectors/ring', () => 1);
      await kv.cas('ha-tracker/tenant!1/cluster.a', () => 2);
      const bucket = await nc.jetstream().views.kv('layout', { bindOnly: true });
      const keys: string[] = [];
      for await (const k of await bucket.keys()) keys.push(k);
      assert.deepEqual(keys.sort(), ['collectors.ring', 'ha-tracker.tenant=211.cluster=2Ea']);
      const status = await bucket.status();
      assert.equal(status.history, 1);
      assert.equal(new TextDecoder().decode((await bucket.get('collectors.ring'))?.value), '1');
    } finally {
      await nc.close();
      await kv.stop();
    }
  });

  it('start fails with an unavailable error naming the URL when no server listens', async () => {
    // A port nobody listens on: the stopped server's.
    const gone = await startNatsServer();
    await gone.cleanup();
    const kv = new NatsKV(natsConfig(gone.url, 'x', { connect_timeout: 300 }), jsonCodec<number>());
    await assert.rejects(kv.start(), (err) => err instanceof KVError && err.code === 'kv_unavailable' && err.message.includes(gone.url));
  });

  it('watches survive a server restart; get and cas fail while it is down and work after', { timeout: 120_000 }, async () => {
    const own = await startNatsServer();
    const config = natsConfig(own.url, 'restart');
    const codec = jsonCodec<{ n: number }>();
    const watcher = new NatsKV(config, codec, { name: 'watcher' });
    const writer = new NatsKV(config, codec, { name: 'writer' });
    const ctl = new AbortController();
    try {
      await watcher.start();
      await writer.start();
      await writer.cas('ring', () => ({ n: 1 }));
      const key = new WatchReader(watcher.watchKey('ring', ctl.signal), 30_000);
      const prefix = new WatchReader(watcher.watchPrefix('', ctl.signal), 30_000);
      assert.deepEqual(await key.next(), { n: 1 });
      assert.deepEqual(await prefix.next(), { key: 'ring', value: { n: 1 } });

      await own.stop();
      await assert.rejects(writer.get('ring'), (err) => err instanceof KVError && err.code === 'kv_unavailable');
      await assert.rejects(
        writer.cas('ring', () => ({ n: 99 })),
        (err) => err instanceof KVError && err.code === 'kv_unavailable',
      );

      await own.restart();
      await eventually(() => writer.cas('ring', (cur) => ({ n: (cur?.n ?? 0) + 1 })));
      assert.deepEqual(await key.until((v) => v?.n === 2), { n: 2 });
      assert.deepEqual(await prefix.until((u) => u.value?.n === 2), { key: 'ring', value: { n: 2 } });
      // And later updates keep coming, on an existing key and a new one.
      await writer.cas('ring', () => ({ n: 3 }));
      await writer.cas('other', () => ({ n: 1 }));
      assert.deepEqual(await key.next(), { n: 3 });
      assert.deepEqual(await prefix.until((u) => u.key === 'other'), { key: 'other', value: { n: 1 } });
      assert.deepEqual(await watcher.get('ring'), { n: 3 });
    } catch (err) {
      throw new Error(`${String(err)}\nnats-server log:\n${own.log()}`, { cause: err });
    } finally {
      ctl.abort();
      await watcher.stop();
      await writer.stop();
      await own.cleanup();
    }
  });
});
