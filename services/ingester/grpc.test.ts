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
import { LocalIngesterReader } from './local_reader.ts';

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
    // Two series per message, so that the tests see several.
    server.addGrpcService(INGESTER_SERVICE, ingesterGrpcService(ingester, { maxSeriesPerMessage: 2, maxBytesPerMessage: 1 << 20 }));
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

  it('keeps pushed metadata per tenant and serves it by metric name, with limit, limit per metric and metric', async () => {
    const md = (name: string, help: string, type = 1) => ({ type, metricFamilyName: name, help, unit: '' });
    // Metadata only, as Prometheus sends it; one entry twice.
    const body = encodeWriteRequest({ metadata: [md('b_total', 'B.'), md('a_total', 'A.'), md('b_total', 'B, again.'), md('a_total', 'A.'), md('c', 'C.', 2)] });
    assert.deepEqual(await client.push('md-team', body), { accepted: 0, rejected: 0, rejections: [] });
    const all = { limit: 0, limitPerMetric: 0, metric: '' };
    const want = [md('a_total', 'A.'), md('b_total', 'B, again.'), md('b_total', 'B.'), md('c', 'C.', 2)];
    assert.deepEqual(await client.metricsMetadata('md-team', all), want);
    assert.deepEqual(await client.metricsMetadata('md-team', { ...all, limit: 2, limitPerMetric: 1 }), [md('a_total', 'A.'), md('b_total', 'B, again.')]);
    assert.deepEqual(await client.metricsMetadata('md-team', { ...all, metric: 'c' }), [md('c', 'C.', 2)]);
    assert.deepEqual(await client.metricsMetadata('md-team', { ...all, metric: 'nope' }), []);
    assert.deepEqual(await client.metricsMetadata('other-team', all), [], 'tenants are apart');
    assert.deepEqual(await new LocalIngesterReader(ingester).metricsMetadata('md-team', all), want);
    assert.deepEqual(ingester.dbs.get('md-team'), undefined, 'a metadata-only push opens no TSDB');
  });

  it('streams the series of a query with their chunks, the open head chunk included', async () => {
    const t0 = 1_700_000_000_000;
    const timeseries = [];
    for (let i = 0; i < 5; i++) {
      const samples: { value: number; timestamp: number }[] = [];
      // 300 samples: closed chunks (a chunk never exceeds 240) and the open one.
      for (let k = 0; k < 300; k++) samples.push({ value: i * 1000 + k, timestamp: t0 + k * 15_000 });
      timeseries.push({ labels: ['__name__', 'up', 'i', String(4 - i)], samples });
    }
    timeseries.push({ labels: ['__name__', 'other'], samples: [{ value: 1, timestamp: t0 }] });
    const res = await client.push('reader', encodeWriteRequest({ timeseries }), 10_000);
    assert.equal(res.rejected, 0, JSON.stringify(res.rejections));

    const matchers = [new Matcher(MatchType.Equal, '__name__', 'up')];
    const got = [];
    for await (const s of client.queryStream('reader', { start: t0, end: t0 + 7_200_000, matchers })) got.push(s);
    assert.deepEqual(got.map((s) => s.labels.get('i')), ['0', '1', '2', '3', '4']);
    for (const s of got) {
      assert.ok(s.chunks.length >= 2, `${s.chunks.length} chunks`);
      const i = 4 - Number(s.labels.get('i'));
      const vs = s.chunks.flatMap((c) => [...collectSamples(c.chunk.iterator()).vs]);
      assert.deepEqual(vs, Array.from({ length: 300 }, (_, k) => i * 1000 + k));
      assert.deepEqual([s.chunks[0]!.minTime, s.chunks.at(-1)!.maxTime], [t0, t0 + 299 * 15_000]);
    }
    // Chunks overlapping the range come whole; outside the range nothing comes.
    const late = [];
    for await (const s of client.queryStream('reader', { start: t0 + 299 * 15_000, end: Infinity, matchers })) late.push(s.chunks.length);
    assert.deepEqual(late, [1, 1, 1, 1, 1]);
    const none = [];
    for await (const s of client.queryStream('reader', { start: 0, end: t0 - 1, matchers })) none.push(s);
    assert.deepEqual(none, []);
    const only = [];
    for await (const s of client.queryStream('reader', { start: -Infinity, end: Infinity, matchers: [new Matcher(MatchType.Regexp, 'i', '[03]')], seriesOnly: true })) only.push(s);
    assert.deepEqual(only.map((s) => [s.labels.get('i'), s.chunks.length]), [['0', 0], ['3', 0]]);

    assert.deepEqual(await client.labelNames('reader', { start: -Infinity, end: Infinity, matchers: [] }), ['__name__', 'i']);
    assert.deepEqual(await client.labelValues('reader', { name: '__name__', start: -Infinity, end: Infinity, matchers: [] }), ['other', 'up']);
    assert.deepEqual(await client.labelValues('reader', { name: 'i', start: -Infinity, end: Infinity, matchers: [new Matcher(MatchType.NotRegexp, 'i', '[12]')] }), ['0', '3', '4']);
    assert.deepEqual(await client.metricsMetadata('reader', { limit: 0, limitPerMetric: 0, metric: '' }), [], 'no metadata was pushed');
    // The in-process reader answers as the client does.
    const local = new LocalIngesterReader(ingester);
    const viaLocal = [];
    for await (const s of local.queryStream('reader', { start: t0, end: t0 + 7_200_000, matchers })) viaLocal.push(s);
    assert.deepEqual(viaLocal.map((s) => [s.labels.toString(), s.chunks.map((c) => Buffer.from(c.chunk.bytes()).toString('hex'))]), got.map((s) => [s.labels.toString(), s.chunks.map((c) => Buffer.from(c.chunk.bytes()).toString('hex'))]));
    assert.deepEqual(await local.labelValues('reader', { name: '__name__', start: -Infinity, end: Infinity, matchers: [] }), ['other', 'up']);
    // A tenant that never wrote has nothing.
    const empty = [];
    for await (const s of client.queryStream('nobody', { start: -Infinity, end: Infinity, matchers })) empty.push(s);
    assert.deepEqual(empty, []);
    assert.deepEqual(await client.labelNames('nobody', { start: -Infinity, end: Infinity, matchers: [] }), []);

    // After the head is cut into blocks, the same series come from the blocks.
    await ingester.flush();
    const fromBlocks = [];
    for await (const s of client.queryStream('reader', { start: t0, end: t0 + 3_600_000, matchers })) fromBlocks.push([s.labels.get('i'), collectSamples(s.chunks[0]!.chunk.iterator()).ts[0]]);
    assert.deepEqual(fromBlocks, ['0', '1', '2', '3', '4'].map((i) => [i, t0]));
  });

  it('cancels a stream on abort, and leaving the loop early ends the call', async () => {
    const matchers = [new Matcher(MatchType.Regexp, '__name__', '.+')];
    const ac = new AbortController();
    ac.abort(new Error('client went away'));
    await assert.rejects(async () => {
      for await (const _ of client.queryStream('reader', { start: -Infinity, end: Infinity, matchers }, { signal: ac.signal })) assert.fail('no series after abort');
    }, /client went away/);
    const ac2 = new AbortController();
    await assert.rejects(async () => {
      for await (const _ of client.queryStream('reader', { start: -Infinity, end: Infinity, matchers }, { signal: ac2.signal })) ac2.abort(new Error('aborted mid-stream'));
    }, /aborted mid-stream/);
    await assert.rejects(client.labelNames('reader', { start: 0, end: 1, matchers: [] }, { signal: ac.signal }), /client went away/);
    let n = 0;
    for await (const _ of client.queryStream('reader', { start: -Infinity, end: Infinity, matchers })) if (++n === 1) break;
    assert.equal(n, 1);
  });

  it('answers bad read requests with INVALID_ARGUMENT or UNAUTHENTICATED', async () => {
    const drain = async (it: AsyncIterable<unknown>) => {
      for await (const _ of it);
    };
    await assert.rejects(drain(client.queryStream('', { start: 0, end: 1, matchers: [] })), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
    // A matcher whose regex the ingester cannot compile, sent as raw bytes.
    const badRegex = Buffer.from([0x1a, 0x06, 0x08, 0x02, 0x1a, 0x02, 0x28, 0x61]);
    const raw = new grpc.Client(`127.0.0.1:${server.grpcAddress()!.port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-scope-orgid', 'reader');
    const call = raw.makeServerStreamRequest('/strata.ingester.v1.Ingester/QueryStream', (b: Buffer) => b, (b: Buffer) => b, badRegex, md, {});
    await assert.rejects(drain(call), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && /invalid matcher/.test(e.details));
    raw.close();
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
