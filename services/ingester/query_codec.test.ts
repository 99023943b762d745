// The read-path codecs against protobufjs (loading proto/strata/ingester.proto) as the reference,
// round trips of random messages (chunks of every encoding), batching, and corrupt-input fuzzing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { Labels, Matcher, MatchType, quoteMeta, type Histogram } from '../../libs/model/index.ts';
import { collectSamples } from '../../libs/storage/index.ts';
import { ChunkBuilder, type TimedChunk } from '../../libs/tsdb/index.ts';
import {
  QueryStreamBatcher, decodeLabelNamesRequest, decodeLabelValuesRequest, decodeMetricsMetadataResponse, decodeQueryRequest,
  decodeQueryStreamResponse, decodeStrings, encodeLabelNamesRequest, encodeLabelValuesRequest, encodeMetricsMetadataResponse,
  encodeQueryRequest, encodeQueryStreamResponse, encodeStrings, type StreamedSeries,
} from './query_codec.ts';

const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));
const root = new protobuf.Root();
// Imports are relative to proto/ (ours) or to the importing file (Prometheus' own).
root.resolvePath = (origin, target) => (origin && existsSync(join(dirname(origin), target)) ? join(dirname(origin), target) : join(protoDir, target));
root.loadSync('strata/ingester.proto');
const PbQueryRequest = root.lookupType('strata.ingester.v1.QueryRequest');
const PbQueryStreamResponse = root.lookupType('strata.ingester.v1.QueryStreamResponse');
const PbLabelValuesRequest = root.lookupType('strata.ingester.v1.LabelValuesRequest');

const TYPES = [MatchType.Equal, MatchType.NotEqual, MatchType.Regexp, MatchType.NotRegexp] as const;

// Timestamps: ordinary ones, beyond 2^53, the API's open bounds, and infinities (clamped to int64).
const timestamp = fc.oneof(
  fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, -9223372036854775808, 9223372036854775000, -9.2e18, 2 ** 60, Infinity, -Infinity),
);
const int64Of = (t: number): number => (t === Infinity ? 2 ** 63 : t === -Infinity ? -(2 ** 63) : t);

const matcher = fc
  .record({ type: fc.constantFrom(...TYPES), name: fc.string({ unit: 'grapheme', maxLength: 8 }), value: fc.string({ unit: 'grapheme', maxLength: 8 }) })
  .map((m) => new Matcher(m.type, m.name, m.type === MatchType.Regexp || m.type === MatchType.NotRegexp ? `${quoteMeta(m.value)}.*` : m.value));
const plain = (ms: readonly Matcher[]) => ms.map((m) => [m.type, m.name, m.value]);

function hist(i: number): Histogram {
  return {
    counterResetHint: 'unknown', schema: 0, zeroThreshold: 0.001, zeroCount: i, count: 4 * i, sum: 10 * i,
    positiveSpans: [{ offset: 0, length: 2 }], negativeSpans: [], positiveBuckets: [i, 2 * i], negativeBuckets: [],
  };
}

/** Chunks of one kind (0 float, 1 histogram, 2 float histogram) from n samples. */
function chunksOf(kind: number, start: number, n: number): TimedChunk[] {
  const b = new ChunkBuilder(7);
  for (let i = 0; i < n; i++) {
    const t = start + i * 15_000;
    if (kind === 0) b.addFloat(t, Math.sin(i) * 1e3);
    else b.addHistogram(t, hist(i + 1), kind === 2);
  }
  return b.finish();
}

const series = fc
  .record({
    labels: fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), { maxKeys: 5 }),
    kind: fc.nat({ max: 2 }),
    start: fc.integer({ min: -1e6, max: 2e12 }),
    n: fc.nat({ max: 20 }),
  })
  .map(({ labels, kind, start, n }): StreamedSeries => ({ labels: Labels.fromRecord(labels), chunks: chunksOf(kind, start, n) }));

function assertSameSeries(got: readonly StreamedSeries[], want: readonly StreamedSeries[]): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(got[i]!.labels.toFlat(), want[i]!.labels.toFlat());
    assert.deepEqual(
      got[i]!.chunks.map((c) => [c.minTime, c.maxTime, c.chunk.encoding, Buffer.from(c.chunk.bytes()).toString('hex')]),
      want[i]!.chunks.map((c) => [c.minTime, c.maxTime, c.chunk.encoding, Buffer.from(c.chunk.bytes()).toString('hex')]),
    );
    for (let j = 0; j < want[i]!.chunks.length; j++) {
      assert.deepEqual(collectSamples(got[i]!.chunks[j]!.chunk.iterator()), collectSamples(want[i]!.chunks[j]!.chunk.iterator()));
    }
  }
}

describe('ingester read codecs', () => {
  it('round-trips QueryRequest, and protobufjs reads what we write (property)', () => {
    fc.assert(
      fc.property(timestamp, timestamp, fc.array(matcher, { maxLength: 4 }), fc.boolean(), (start, end, matchers, seriesOnly) => {
        const buf = encodeQueryRequest({ start, end, matchers, seriesOnly });
        const got = decodeQueryRequest(buf);
        assert.equal(got.start, int64Of(start));
        assert.equal(got.end, int64Of(end));
        assert.equal(got.seriesOnly, seriesOnly);
        assert.deepEqual(plain(got.matchers), plain(matchers));
        const pb = PbQueryRequest.toObject(PbQueryRequest.decode(buf), { longs: String, defaults: true });
        assert.equal(BigInt(pb.startTimestampMs as string), BigInt(int64Of(start) >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(int64Of(start))));
        assert.deepEqual(
          (pb.matchers as { type: number; name: string; value: string }[]).map((m) => [TYPES[m.type], m.name, m.value]),
          plain(matchers),
        );
      }),
    );
  });

  it('reads what protobufjs writes: QueryRequest, LabelValuesRequest', () => {
    const q = PbQueryRequest.encode(
      PbQueryRequest.fromObject({ startTimestampMs: '-5', endTimestampMs: '1700000000000', matchers: [{ type: 3, name: 'job', value: 'a|b' }], seriesOnly: true }),
    ).finish();
    const got = decodeQueryRequest(q);
    assert.deepEqual([got.start, got.end, got.seriesOnly, plain(got.matchers)], [-5, 1_700_000_000_000, true, [['!~', 'job', 'a|b']]]);
    const lv = PbLabelValuesRequest.encode(PbLabelValuesRequest.fromObject({ labelName: 'instance', startTimestampMs: '1', endTimestampMs: '2', matchers: [{ name: 'a', value: 'b' }] })).finish();
    const v = decodeLabelValuesRequest(lv);
    assert.deepEqual([v.name, v.start, v.end, plain(v.matchers)], ['instance', 1, 2, [['=', 'a', 'b']]]);
  });

  it('round-trips the label and metadata messages, keeping empty strings', () => {
    fc.assert(
      fc.property(timestamp, timestamp, fc.array(matcher, { maxLength: 3 }), fc.string(), fc.array(fc.string({ unit: 'grapheme' })), (start, end, matchers, name, values) => {
        const n = decodeLabelNamesRequest(encodeLabelNamesRequest({ start, end, matchers }));
        assert.deepEqual([n.start, n.end, plain(n.matchers)], [int64Of(start), int64Of(end), plain(matchers)]);
        const v = decodeLabelValuesRequest(encodeLabelValuesRequest({ name, start, end, matchers }));
        assert.deepEqual([v.name, v.start, v.end, plain(v.matchers)], [name, int64Of(start), int64Of(end), plain(matchers)]);
        assert.deepEqual(decodeStrings(encodeStrings(values)), values);
      }),
    );
    const md = [{ type: 1, metricFamilyName: 'http_requests_total', help: 'Requests.', unit: '' }, { type: 0, metricFamilyName: 'x', help: '', unit: 'seconds' }];
    assert.deepEqual(decodeMetricsMetadataResponse(encodeMetricsMetadataResponse(md)), md);
    assert.deepEqual(decodeMetricsMetadataResponse(encodeMetricsMetadataResponse([])), []);
  });

  it('round-trips QueryStreamResponse with XOR, histogram and float-histogram chunks (property)', () => {
    fc.assert(
      fc.property(fc.array(series, { maxLength: 6 }), (ss) => {
        const buf = encodeQueryStreamResponse(ss);
        assertSameSeries(decodeQueryStreamResponse(buf), ss);
        // protobufjs agrees on the structure.
        const pb = PbQueryStreamResponse.toObject(PbQueryStreamResponse.decode(buf), { longs: Number, defaults: true }) as {
          chunkseries: { labels: { name: string; value: string }[]; chunks: { minTimeMs: number; encoding: number; data: Uint8Array }[] }[];
        };
        assert.equal(pb.chunkseries.length, ss.length);
        pb.chunkseries.forEach((s, i) => {
          assert.deepEqual(s.labels.flatMap((l) => [l.name, l.value]), ss[i]!.labels.toFlat());
          assert.deepEqual(s.chunks.map((c) => [c.minTimeMs, c.encoding, Buffer.from(c.data).toString('hex')]), ss[i]!.chunks.map((c) => [c.minTime, c.chunk.encoding, Buffer.from(c.chunk.bytes()).toString('hex')]));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('batches by series count and by size', () => {
    const small: StreamedSeries = { labels: Labels.fromStrings('__name__', 'm'), chunks: chunksOf(0, 0, 5) };
    const b = new QueryStreamBatcher(3, 1 << 20);
    const msgs = [];
    for (let i = 0; i < 7; i++) {
      const m = b.add(small);
      if (m) msgs.push(m);
    }
    msgs.push(b.flush()!);
    assert.deepEqual(msgs.map((m) => decodeQueryStreamResponse(m).length), [3, 3, 1]);
    assert.equal(b.flush(), undefined);

    const big: StreamedSeries = { labels: Labels.fromStrings('__name__', 'big'), chunks: chunksOf(0, 0, 4000) };
    const bySize = new QueryStreamBatcher(128, 16 * 1024);
    let sent = 0;
    for (let i = 0; i < 10; i++) if (bySize.add(big)) sent++;
    assert.ok(sent >= 5, `a batch per ~16 KiB: ${sent} messages for 10 series`);
  });

  it('rejects corrupt bytes with IngesterMessageError only (fuzz)', () => {
    const good = encodeQueryStreamResponse([{ labels: Labels.fromStrings('a', 'b'), chunks: chunksOf(1, 0, 3) }]);
    const decoders = [decodeQueryRequest, decodeQueryStreamResponse, decodeLabelNamesRequest, decodeLabelValuesRequest, decodeStrings, decodeMetricsMetadataResponse];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(), fc.nat({ max: 255 }), (random, at, byte) => {
        // Random bytes, and the valid message with one byte changed or cut short.
        const mutated = Buffer.from(good);
        mutated[at % mutated.length] = byte;
        for (const input of [random, mutated, good.subarray(0, at % good.length)]) {
          for (const decode of decoders) {
            try {
              decode(input);
            } catch (err) {
              assert.equal((err as Error).name, 'IngesterMessageError', `${decode.name}: ${(err as Error).stack}`);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
