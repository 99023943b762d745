import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemoryKV, jsonCodec } from '../kv/index.ts';
import { InstanceState, Lifecycler, Operation, RingWatcher, forgetInstance, type RingDesc, type RingKV } from './index.ts';

/** A minimal in-process RingKV for these tests (libs/kv's acceptance suite covers the real stores). */
class TestKV implements RingKV {
  private value: RingDesc | null = null;
  private readonly listeners = new Set<() => void>();
  down = false;
  casCalls = 0;

  get(): Promise<RingDesc | null> {
    if (this.down) return Promise.reject(new Error('kv down'));
    return Promise.resolve(structuredClone(this.value));
  }

  cas(_key: string, f: (cur: RingDesc | null) => RingDesc | null): Promise<void> {
    if (this.down) return Promise.reject(new Error('kv down'));
    this.casCalls++;
    const next = f(structuredClone(this.value));
    if (next !== null) {
      this.value = structuredClone(next);
      for (const l of this.listeners) l();
    }
    return Promise.resolve();
  }

  async *watchKey(_key: string, signal: AbortSignal): AsyncIterable<RingDesc | null> {
    let wake: () => void = () => {};
    let changed = true;
    const l = () => {
      changed = true;
      wake();
    };
    this.listeners.add(l);
    signal.addEventListener('abort', () => wake(), { once: true });
    try {
      while (!signal.aborted) {
        if (this.down) throw new Error('kv down');
        if (changed) {
          changed = false;
          yield structuredClone(this.value);
          continue;
        }
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      this.listeners.delete(l);
    }
  }
}

const cfg = (id: string, tokensFile = '') => ({
  key: 'ingester', instanceId: id, addr: `${id}:9095`, zone: '', numTokens: 16, heartbeatPeriod: 10, tokensFile, unregisterOnShutdown: true,
});
const ringOpts = { replicationFactor: 3, heartbeatTimeout: 60_000, zoneAwareness: false };

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

describe('lifecycler and watcher', () => {
  it('instances join ACTIVE with distinct tokens, heartbeat, and leave on stop; watchers follow', async () => {
    const kv = new TestKV();
    const watcher = new RingWatcher('ingester', ringOpts, kv, undefined, 10);
    await watcher.start();
    const a = new Lifecycler(cfg('a'), kv);
    const b = new Lifecycler(cfg('b'), kv);
    await a.start();
    await b.start();
    await until(() => watcher.ring().instanceCount() === 2, 'watcher sees both instances');
    const desc = (await kv.get())!;
    assert.equal(desc.instances.a!.state, InstanceState.Active);
    assert.equal(desc.instances.a!.tokens.length, 16);
    assert.equal(new Set([...desc.instances.a!.tokens, ...desc.instances.b!.tokens]).size, 32);
    const calls = kv.casCalls;
    await until(() => kv.casCalls > calls + 2, 'heartbeats update the ring');
    assert.deepEqual(watcher.ring().get(7, Operation.Write).instances.map((i) => i.id).sort(), ['a', 'b']);
    await a.stop();
    await until(() => watcher.ring().instanceCount() === 1, 'watcher sees a leave');
    await b.stop();
    await watcher.stop();
  });

  it('keeps its tokens across a restart (tokens file) and after being forgotten while running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-ring-'));
    try {
      const kv = new TestKV();
      const file = join(dir, 'tokens.json');
      const first = new Lifecycler({ ...cfg('a', file), unregisterOnShutdown: true }, kv);
      await first.start();
      const tokens = [...first.instanceTokens()];
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { tokens });
      await forgetInstance(kv, 'ingester', 'a');
      assert.equal((await kv.get())!.instances.a, undefined);
      const calls = kv.casCalls;
      await until(() => kv.casCalls > calls, 'a heartbeat after the forget');
      assert.deepEqual((await kv.get())!.instances.a?.tokens, tokens, 'the heartbeat re-registers it');
      await first.stop();
      const second = new Lifecycler(cfg('a', file), kv);
      await second.start();
      assert.deepEqual([...second.instanceTokens()], tokens);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the watcher keeps the last ring while the KV store is down', async () => {
    const kv = new TestKV();
    const a = new Lifecycler(cfg('a'), kv);
    await a.start();
    const watcher = new RingWatcher('ingester', ringOpts, kv, undefined, 10);
    await watcher.start();
    await until(() => watcher.ring().instanceCount() === 1, 'watcher sees a');
    kv.down = true;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(watcher.ring().instanceCount(), 1, 'cached ring still answers');
    assert.deepEqual(watcher.ring().get(1, Operation.Write).instances.map((i) => i.id), ['a']);
    kv.down = false;
    const b = new Lifecycler(cfg('b'), kv);
    await b.start();
    await until(() => watcher.ring().instanceCount() === 2, 'watch resumes after the outage');
    await a.stop();
    await b.stop();
    await watcher.stop();
  });

  it('works over libs/kv (memory store): two lifecyclers and a watcher share one ring', async () => {
    const store = `ring-test-${process.pid}`;
    const kvs = [0, 1, 2].map(() => new MemoryKV<RingDesc>(jsonCodec<RingDesc>(), { store }));
    for (const kv of kvs) await kv.start();
    const watcher = new RingWatcher('ingester', ringOpts, kvs[0]!, undefined, 10);
    await watcher.start();
    const a = new Lifecycler(cfg('a'), kvs[1]!);
    const b = new Lifecycler(cfg('b'), kvs[2]!);
    await a.start();
    await b.start();
    await until(() => watcher.ring().instanceCount() === 2, 'watcher sees both');
    await a.stop();
    await until(() => watcher.ring().instanceCount() === 1, 'watcher sees a leave');
    await b.stop();
    await watcher.stop();
    for (const kv of kvs) await kv.stop();
  });
});
