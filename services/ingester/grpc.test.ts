import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { nopLogger } from '../../libs/log/index.ts';
import { Matcher, MatchType } from '../../libs/model/index.ts';
import { WriteRequestDecoder, WriteRequestEncoder, encodeWriteRequest } from '../../libs/remotewrite/index.ts';
import { Server, createMetricsRegistry, grpc, serverConfigSchema } from '../../libs/server/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { collectSamples } from '../../libs/storage/index.ts';
import { Overrides, limitsConfigSchema } from '../../libs/tenant/index.ts';
import { INGESTER_SERVICE, IngesterClient, ingesterGrpcService } from './grpc.ts';
import { decodePushResponse, encodePushResponse } from './grpc_codec.ts';
import { Ingester } from './ingester.ts';

describe('ingester gRPC', () => {
  let dir: string;
  let ingester: Ingester;
  let server: Server;
  let client: IngesterClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-ingester-grpc-'));
    ingester = new Ingester({ dir, blockRange: 7_200_000, retention: 0, walFsync: 'never' }, new Overrides(validateConfig(limitsConfigSchema, {})));
    await ingester.start();
    const cfg = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: 0, grpc_listen_address: '127.0.0.1', grpc_listen_port: 0 });
    server = new Server(cfg, { logger: nopLogger, registry: createMetricsRegistry({ version: 'v', revision: 'r', branch: 'b' }), readiness: () => ({ ready: true, reason: '' }) });
    server.addGrpcService(INGESTER_SERVICE, ingesterGrpcService(ingester));
    await server.start();
    client = new IngesterClient(`127.0.0.1:${server.grpcAddress()!.port}`);
  });
  after(async () => {
    client.close();
    await server.stop();
    await ingester.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores forwarded series bytes and answers with what it refused', async () => {
    const now = Date.now();
    // As a distributor does: decode the sender's request, forward a subset of its series' bytes.
    const original = new WriteRequestDecoder().decode(encodeWriteRequest({
      timeseries: [
        { labels: ['__name__', 'g', 'i', '0'], samples: [{ value: 1, timestamp: now }] },
        { labels: ['__name__', 'g', 'i', '1'], samples: [{ value: 2, timestamp: now }] },
        { labels: ['__name__', 'g', 'i', '2'], samples: [{ value: 3, timestamp: now }, { value: 4, timestamp: now - 1000 }] },
      ],
    }));
    const enc = new WriteRequestEncoder();
    enc.rawTimeSeries(original.rawSeries(0));
    enc.rawTimeSeries(original.rawSeries(2));
    const res = await client.push('team', enc.finish());
    assert.equal(res.accepted, 2);
    assert.equal(res.rejected, 1);
    assert.deepEqual(res.rejections.map((r) => [r.series, r.reason]), [[1, 'out_of_order_sample']]);
    const got: string[] = [];
    for await (const s of ingester.queryable('team').querier(0, Infinity).select(true, undefined, [new Matcher(MatchType.Equal, '__name__', 'g')])) {
      got.push(`${s.labels.get('i')}=${[...collectSamples(s.iterator()).vs].join(',')}`);
    }
    assert.deepEqual(got, ['0=1', '2=3']);
  });

  it('maps bad tenants and bad bytes to gRPC status codes', async () => {
    await assert.rejects(client.push('..', encodeWriteRequest({ timeseries: [] })), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && /'\.' or '\.\.'/.test(e.details));
    await assert.rejects(client.push('', encodeWriteRequest({ timeseries: [] })), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
    await assert.rejects(client.push('team', new Uint8Array([0x0a, 0x05, 0x01])), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
  });
});

describe('PushResponse codec', () => {
  it('round-trips (property), including non-ASCII messages', () => {
    const rej = fc.record({ series: fc.nat({ max: 0xffffffff }), reason: fc.string(), message: fc.string({ unit: 'grapheme' }) });
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), fc.array(rej, { maxLength: 10 }), (accepted, rejected, recs) => {
        const rejections = recs.map((r) => ({ ...r }));
        assert.deepEqual(decodePushResponse(encodePushResponse({ accepted, rejected, rejections })), { accepted, rejected, rejections });
      }),
    );
  });

  it('rejects truncated bytes with its own error, never anything else (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          decodePushResponse(b);
        } catch (err) {
          assert.equal((err as Error).name, 'PushResponseDecodeError');
        }
      }),
    );
  });
});
