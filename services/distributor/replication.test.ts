import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteRequestDecoder, encodeWriteRequest } from '../../libs/remotewrite/index.ts';
import { InstanceState, ReadRing, generateTokens, type Instance, type InstanceDesc } from '../../libs/ring/index.ts';
import type { PushResult } from '../ingester/index.ts';
import { ReplicationError, pushToReplicas, seriesToken, type IngesterPool, type RemoteIngester } from './replication.ts';

const NOW = 1_700_000_000_000;

/** Records what each ingester received (the series' job labels) or fails like a dead one. */
class FakeIngester implements RemoteIngester {
  received: string[] = [];
  constructor(
    private readonly behaviour: 'ok' | 'down' | 'hang' | 'reject-first' = 'ok',
  ) {}

  push(_tenant: string, body: Uint8Array): Promise<PushResult> {
    if (this.behaviour === 'down') return Promise.reject(new Error('connect ECONNREFUSED'));
    if (this.behaviour === 'hang') return new Promise(() => {});
    const req = new WriteRequestDecoder().decode(body);
    for (let i = 0; i < req.seriesCount; i++) this.received.push(req.labels(i).get('job'));
    const rejections = this.behaviour === 'reject-first' && req.seriesCount > 0 ? [{ series: 0, reason: 'out_of_order_sample', message: 'out of order sample' }] : [];
    return Promise.resolve({ accepted: req.sampleCount - rejections.length, rejected: rejections.length, rejections });
  }
}

function setup(behaviours: Record<string, FakeIngester['behaviour']>, rf = 3) {
  const instances: Record<string, InstanceDesc> = {};
  const taken = new Set<number>();
  for (const id of Object.keys(behaviours)) {
    const tokens = generateTokens(64, taken);
    tokens.forEach((t) => taken.add(t));
    instances[id] = { addr: `${id}:9095`, zone: '', state: InstanceState.Active, tokens, heartbeat_timestamp: NOW, registered_timestamp: NOW };
  }
  const ring = new ReadRing({ instances }, { replicationFactor: rf, heartbeatTimeout: 60_000, zoneAwareness: false });
  const fakes = new Map(Object.entries(behaviours).map(([id, b]) => [id, new FakeIngester(b)]));
  const pool: IngesterPool = { get: (inst: Instance) => fakes.get(inst.id)! };
  return { ring, pool, fakes };
}

function request(n: number) {
  return new WriteRequestDecoder().decode(encodeWriteRequest({
    timeseries: Array.from({ length: n }, (_, i) => ({ labels: ['__name__', 'x', 'job', `j${i}`], samples: [{ value: i, timestamp: NOW }] })),
  }));
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('pushToReplicas', () => {
  it('sends every series to RF ingesters, as its original bytes', async () => {
    const { ring, pool, fakes } = setup({ a: 'ok', b: 'ok', c: 'ok', d: 'ok' });
    const req = request(50);
    const res = await pushToReplicas(ring, pool, 't', req, all(50), [], NOW);
    assert.equal(res.rejected, 0);
    const copies = new Map<string, number>();
    for (const f of fakes.values()) for (const j of f.received) copies.set(j, (copies.get(j) ?? 0) + 1);
    assert.equal(copies.size, 50);
    for (const [j, c] of copies) assert.equal(c, 3, j);
  });

  it('tolerates one dead or hanging ingester of three (quorum 2), but not two', async () => {
    for (const bad of ['down', 'hang'] as const) {
      const { ring, pool } = setup({ a: 'ok', b: bad, c: 'ok' });
      const res = await pushToReplicas(ring, pool, 't', request(20), all(20), [], NOW);
      assert.equal(res.rejected, 0, bad);
    }
    const { ring, pool } = setup({ a: 'ok', b: 'down', c: 'down' });
    await assert.rejects(pushToReplicas(ring, pool, 't', request(20), all(20), [], NOW), (e: unknown) => e instanceof ReplicationError && /ECONNREFUSED/.test(e.message));
  });

  it('reports rejections once per series, indexed in the original request', async () => {
    const { ring, pool } = setup({ a: 'reject-first' }, 1);
    const res = await pushToReplicas(ring, pool, 't', request(5), [1, 3], [], NOW);
    assert.deepEqual(res.rejections.map((r) => r.series), [1]);
  });

  it('fails when the ring has too few healthy instances', async () => {
    const { pool } = setup({ a: 'ok' });
    const empty = new ReadRing({ instances: {} }, { replicationFactor: 3, heartbeatTimeout: 60_000, zoneAwareness: false });
    await assert.rejects(pushToReplicas(empty, pool, 't', request(1), [0], [], NOW), ReplicationError);
  });

  it('places equal series of different tenants apart, and the same series always alike', () => {
    assert.equal(seriesToken(1, 2, 3), seriesToken(1, 2, 3));
    assert.notEqual(seriesToken(1, 2, 3), seriesToken(2, 2, 3));
  });
});
