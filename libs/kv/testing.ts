// The acceptance suite of the KV contract (interface.ts). Every implementation runs it, inside its
// own describe(): memory.test.ts and nats.test.ts. Waits are bounded; nothing asserts on time.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { jsonCodec } from './codec.ts';
import { KVError } from './errors.ts';
import type { Codec, KVClient } from './interface.ts';

/** A started client the suite can stop. */
export type StoppableKVClient<T> = KVClient<T> & { stop(): Promise<void> };

/** One empty store under test. */
export interface KVBackend {
  /** A started client; all clients of one backend share its store. */
  newClient<T>(codec: Codec<T>): Promise<StoppableKVClient<T>>;
  /** Stops every client made and releases the store. */
  close(): Promise<void>;
}

export interface KVAcceptanceOptions {
  /** Bound on each wait for a watch to yield or end. */
  readonly waitMs?: number;
}

function within<V>(p: Promise<V>, ms: number, what: string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms}ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Reads a watch with bounded waits. */
export class WatchReader<V> {
  readonly #it: AsyncIterator<V>;
  readonly #ms: number;

  constructor(watch: AsyncIterable<V>, waitMs: number) {
    this.#it = watch[Symbol.asyncIterator]();
    this.#ms = waitMs;
  }

  async next(): Promise<V> {
    const r = await within(this.#it.next(), this.#ms, 'waiting for a watch to yield');
    assert.ok(!r.done, 'the watch ended');
    return r.value;
  }

  /** Reads until an item satisfies `pred` (each wait bounded, at most `max` items) and returns it. */
  async until(pred: (v: V) => boolean, max = 1000): Promise<V> {
    for (let i = 0; i < max; i++) {
      const v = await this.next();
      if (pred(v)) return v;
    }
    assert.fail(`no matching item among ${max}`);
  }

  /** Resolves once the watch has ended; fails if it yields instead or keeps running. */
  async ended(): Promise<void> {
    const r = await within(this.#it.next(), this.#ms, 'waiting for a watch to end');
    assert.ok(r.done, `the watch yielded ${JSON.stringify(r.value)} instead of ending`);
  }
}

interface Counter {
  n: number;
}

const bytesCodec: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => b };

function isKVError(code: string): (err: unknown) => boolean {
  return (err) => err instanceof KVError && err.code === code;
}

/** Registers the suite's tests (call it inside describe()); `newBackend` gives each test a fresh store. */
export function kvAcceptanceSuite(newBackend: () => Promise<KVBackend>, opts: KVAcceptanceOptions = {}): void {
  const waitMs = opts.waitMs ?? 10_000;
  const test = (name: string, fn: (b: KVBackend, signal: AbortSignal) => Promise<void>): void => {
    it(name, { timeout: 120_000 }, async () => {
      const backend = await newBackend();
      // Aborted at the end, so that a failed test leaves no watch running.
      const ctl = new AbortController();
      try {
        await fn(backend, ctl.signal);
      } finally {
        ctl.abort();
        await backend.close();
      }
    });
  };
  const reader = <V>(watch: AsyncIterable<V>): WatchReader<V> => new WatchReader(watch, waitMs);
  const counter = jsonCodec<Counter>();

  test('get of a missing key is null and an empty store lists nothing', async (b) => {
    const c = await b.newClient(counter);
    assert.equal(await c.get('ring'), null);
    assert.deepEqual(await c.list(''), []);
  });

  test('cas creates a key from null, then updates it from the current value', async (b) => {
    const c = await b.newClient(counter);
    const seen: (Counter | null)[] = [];
    await c.cas('ring', (cur) => {
      seen.push(cur);
      return { n: 1 };
    });
    await c.cas('ring', (cur) => {
      seen.push(cur);
      return { n: (cur?.n ?? 0) + 1 };
    });
    assert.deepEqual(seen, [null, { n: 1 }]);
    const other = await b.newClient(counter);
    assert.deepEqual(await other.get('ring'), { n: 2 });
  });

  test('cas returning null writes nothing', async (b) => {
    const c = await b.newClient(counter);
    await c.cas('missing', () => null);
    assert.equal(await c.get('missing'), null);
    assert.deepEqual(await c.list(''), []);
    await c.cas('ring', () => ({ n: 1 }));
    let current: Counter | null = null;
    await c.cas('ring', (cur) => {
      current = cur;
      return null;
    });
    assert.deepEqual(current, { n: 1 });
    assert.deepEqual(await c.get('ring'), { n: 1 });
  });

  test('cas whose function throws rejects with that error and writes nothing', async (b) => {
    const c = await b.newClient(counter);
    await c.cas('ring', () => ({ n: 1 }));
    const boom = new Error('boom');
    await assert.rejects(
      c.cas('ring', () => {
        throw boom;
      }),
      (err) => err === boom,
    );
    assert.deepEqual(await c.get('ring'), { n: 1 });
  });

  test('concurrent cas from two clients never loses an update', async (b) => {
    const clients = [await b.newClient(counter), await b.newClient(counter)];
    const increments = 50;
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < increments; i++) await c.cas('counter', (cur) => ({ n: (cur?.n ?? 0) + 1 }));
      }),
    );
    assert.deepEqual(await clients[0]!.get('counter'), { n: clients.length * increments });
  });

  test('delete removes a key; deleting a missing key succeeds; cas after delete starts from null', async (b) => {
    const c = await b.newClient(counter);
    await c.cas('a', () => ({ n: 1 }));
    await c.cas('b', () => ({ n: 1 }));
    await c.delete('a');
    assert.equal(await c.get('a'), null);
    assert.deepEqual(await c.list(''), ['b']);
    await c.delete('a');
    await c.delete('never-written');
    let current: Counter | null | undefined;
    await c.cas('a', (cur) => {
      current = cur;
      return { n: 7 };
    });
    assert.equal(current, null);
    assert.deepEqual(await c.get('a'), { n: 7 });
  });

  test('list returns the keys that start with a prefix, sorted', async (b) => {
    const c = await b.newClient(counter);
    const keys = ['ring/b', 'other/a', 'ring', 'rings/c', 'ring-x', 'ring/a'];
    for (const k of keys) await c.cas(k, () => ({ n: 1 }));
    assert.deepEqual(await c.list('ring/'), ['ring/a', 'ring/b']);
    assert.deepEqual(await c.list('ring'), ['ring', 'ring-x', 'ring/a', 'ring/b', 'rings/c']);
    assert.deepEqual(await c.list('ring/a'), ['ring/a']);
    assert.deepEqual(await c.list(''), [...keys].sort());
    assert.deepEqual(await c.list('nope'), []);
  });

  test('keys may hold any characters', async (b) => {
    const c = await b.newClient(jsonCodec<string>());
    const keys = ["ha/tenant!x*'(1)/cluster", 'a.b/c d', 'ü/ß/日本', 'x//y', '/lead', 'trail/', '=', '=41', '>', '*', 'a/>'];
    for (const k of keys) await c.cas(k, () => k);
    assert.deepEqual(await c.list(''), [...keys].sort());
    for (const k of keys) assert.equal(await c.get(k), k);
    assert.deepEqual(await c.list('x/'), ['x//y']);
    assert.deepEqual(await c.list('trail/'), ['trail/']);
    assert.deepEqual(await c.list('a'), ['a.b/c d', 'a/>']);
    assert.deepEqual(await c.list('ha/tenant!'), ["ha/tenant!x*'(1)/cluster"]);
    await assert.rejects(c.get(''), isKVError('kv_invalid_key'));
    await assert.rejects(c.cas('', () => 'x'), isKVError('kv_invalid_key'));
  });

  test('watchKey yields the current value first: null for a missing key', async (b, signal) => {
    const c = await b.newClient(counter);
    assert.equal(await reader(c.watchKey('missing', signal)).next(), null);
    await c.cas('ring', () => ({ n: 3 }));
    assert.deepEqual(await reader(c.watchKey('ring', signal)).next(), { n: 3 });
  });

  test('watchKey sees changes, the latest value after a burst, and a deletion', async (b, signal) => {
    const writer = await b.newClient(counter);
    const watcher = await b.newClient(counter);
    const w = reader(watcher.watchKey('ring', signal));
    assert.equal(await w.next(), null);
    await writer.cas('ring', () => ({ n: 1 }));
    assert.deepEqual(await w.next(), { n: 1 });
    for (let i = 2; i <= 20; i++) await writer.cas('ring', () => ({ n: i }));
    // Intermediate values may be skipped, but never reordered, and the last one always arrives.
    let last = 1;
    const final = await w.until((v) => {
      assert.ok(v !== null && v.n > last, `after ${last} came ${JSON.stringify(v)}`);
      last = v.n;
      return v.n === 20;
    });
    assert.deepEqual(final, { n: 20 });
    await writer.delete('ring');
    assert.equal(await w.next(), null);
    await writer.cas('ring', () => ({ n: 21 }));
    assert.deepEqual(await w.next(), { n: 21 });
  });

  test('watchPrefix yields the existing keys, then changes of keys with the prefix only', async (b, signal) => {
    const writer = await b.newClient(counter);
    const watcher = await b.newClient(counter);
    await writer.cas('p/a', () => ({ n: 1 }));
    await writer.cas('p/b', () => ({ n: 1 }));
    await writer.cas('q/a', () => ({ n: 1 }));
    await writer.cas('p', () => ({ n: 1 }));
    const w = reader(watcher.watchPrefix('p/', signal));
    const initial = [await w.next(), await w.next()].sort((x, y) => (x.key < y.key ? -1 : 1));
    assert.deepEqual(initial, [
      { key: 'p/a', value: { n: 1 } },
      { key: 'p/b', value: { n: 1 } },
    ]);
    // Written in order, so keys outside the prefix would show up before p/c.
    await writer.cas('q/b', () => ({ n: 2 }));
    await writer.cas('pp/a', () => ({ n: 2 }));
    await writer.cas('p', () => ({ n: 2 }));
    await writer.cas('p/c', () => ({ n: 2 }));
    assert.deepEqual(await w.next(), { key: 'p/c', value: { n: 2 } });
    await writer.delete('q/a');
    await writer.delete('p/a');
    assert.deepEqual(await w.next(), { key: 'p/a', value: null });
    await writer.cas('p/b', (cur) => ({ n: (cur?.n ?? 0) + 1 }));
    assert.deepEqual(await w.next(), { key: 'p/b', value: { n: 2 } });
  });

  test('watchPrefix("") sees every key', async (b, signal) => {
    const c = await b.newClient(counter);
    await c.cas('a', () => ({ n: 1 }));
    const w = reader(c.watchPrefix('', signal));
    assert.deepEqual(await w.next(), { key: 'a', value: { n: 1 } });
    await c.cas('b/c', () => ({ n: 1 }));
    assert.deepEqual(await w.next(), { key: 'b/c', value: { n: 1 } });
  });

  test('watches end when their signal aborts', async (b) => {
    const c = await b.newClient(counter);
    await c.cas('p/a', () => ({ n: 1 }));
    const ctl = new AbortController();
    const key = reader(c.watchKey('p/a', ctl.signal));
    const prefix = reader(c.watchPrefix('p/', ctl.signal));
    assert.deepEqual(await key.next(), { n: 1 });
    assert.deepEqual(await prefix.next(), { key: 'p/a', value: { n: 1 } });
    // A pending read must end too, not only the next one.
    const pending = key.ended();
    ctl.abort();
    await pending;
    await prefix.ended();
    // Aborted before the first read: ends without yielding.
    await reader(c.watchKey('p/a', ctl.signal)).ended();
    await reader(c.watchPrefix('p/', ctl.signal)).ended();
    // The client still works.
    await c.cas('p/a', () => ({ n: 2 }));
    assert.deepEqual(await c.get('p/a'), { n: 2 });
  });

  test('watches end when the consumer stops iterating, and when the client stops', async (b, signal) => {
    const c = await b.newClient(counter);
    await c.cas('k', () => ({ n: 1 }));
    for await (const v of c.watchKey('k', signal)) {
      assert.deepEqual(v, { n: 1 });
      break;
    }
    const w = reader(c.watchPrefix('', signal));
    assert.deepEqual(await w.next(), { key: 'k', value: { n: 1 } });
    await c.stop();
    await w.ended();
    await assert.rejects(c.get('k'), isKVError('kv_unavailable'));
    await assert.rejects(c.cas('k', () => ({ n: 2 })), isKVError('kv_unavailable'));
    const other = await b.newClient(counter);
    assert.deepEqual(await other.get('k'), { n: 1 });
  });

  test('values round-trip through the codec', async (b) => {
    type Doc = Record<string, unknown>;
    const json = jsonCodec<Doc>();
    const writer = await b.newClient(json);
    const reader2 = await b.newClient(json);
    const tokens = Array.from({ length: 128 * 100 }, (_, i) => (i * 2654435761) >>> 0);
    const doc: Doc = {
      ingesters: { 'ingester-1': { addr: '127.0.0.1:9095', state: 'ACTIVE', tokens, zone: '' } },
      text: 'ünïcødé ✓ 日本 "quoted" \\ \n',
      numbers: [0, -1, 1.5, 1e-300, Number.MAX_SAFE_INTEGER],
      flags: [true, false],
      nothing: null,
      empty: { s: '', a: [] },
    };
    await writer.cas('ring', () => doc);
    assert.deepEqual(await reader2.get('ring'), doc);
    // Stored as the codec's bytes: a client with another codec reads the JSON text.
    const raw = await b.newClient(bytesCodec);
    assert.deepEqual(JSON.parse(new TextDecoder().decode((await raw.get('ring')) ?? new Uint8Array())), doc);
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    await raw.cas('bin', () => binary);
    // Compared as bytes: a backend may hand back a Buffer, a subclass of Uint8Array.
    assert.deepEqual([...((await raw.get('bin')) ?? [])], [...binary]);
  });

  test('readers get their own copy of a value', async (b) => {
    const c = await b.newClient(jsonCodec<{ list: number[] }>());
    await c.cas('k', () => ({ list: [1] }));
    const got = await c.get('k');
    got?.list.push(2);
    await c.cas('k', (cur) => {
      cur?.list.push(3);
      return null;
    });
    assert.deepEqual(await c.get('k'), { list: [1] });
  });

  test('a value the codec rejects fails get and cas, and is skipped by watches', async (b, signal) => {
    const checked = jsonCodec<Counter>((v) => {
      if (typeof (v as Partial<Counter> | null)?.n !== 'number') throw new Error('not a counter');
      return v as Counter;
    });
    const c = await b.newClient(checked);
    const raw = await b.newClient(bytesCodec);
    const w = reader(c.watchKey('k', signal));
    assert.equal(await w.next(), null);
    await raw.cas('k', () => new TextEncoder().encode('{"m":1}'));
    await assert.rejects(c.get('k'), isKVError('kv_codec'));
    await assert.rejects(c.cas('k', () => ({ n: 1 })), isKVError('kv_codec'));
    await raw.cas('k', () => new TextEncoder().encode('{"n":2}'));
    assert.deepEqual(await w.next(), { n: 2 });
  });
}
