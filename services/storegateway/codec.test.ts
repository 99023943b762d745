// Property tests of the store-gateway codecs: what is encoded decodes to the same request or stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Labels, Matcher, MatchType } from '../../libs/model/index.ts';
import { XORChunk } from '../../libs/tsdb/index.ts';
import {
  SeriesBatcher, decodeLabelValuesRequest, decodeLabelsResponse, decodeSeriesRequest, decodeSeriesResponse, encodeLabelValuesRequest,
  encodeLabelsResponse, encodeSeriesRequest,
} from './codec.ts';
import type { StoreSeries } from './bucket_store.ts';

const str = fc.string({ unit: 'grapheme', maxLength: 12 });
const time = fc.oneof(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.constantFrom(-Infinity, Infinity, 0));
const matcher = fc.record({ type: fc.constantFrom(MatchType.Equal, MatchType.NotEqual, MatchType.Regexp, MatchType.NotRegexp), name: str, value: fc.stringMatching(/^[a-z0-9]{0,6}$/) }).map((m) => new Matcher(m.type, m.name, m.value));
const clampT = (t: number): number => (t === Infinity ? 2 ** 63 : t === -Infinity ? -(2 ** 63) : t);

describe('store-gateway codecs', () => {
  it('round-trip series requests', () => {
    fc.assert(fc.property(time, time, fc.array(matcher, { maxLength: 4 }), fc.boolean(), fc.array(str, { maxLength: 3 }), (start, end, matchers, skipChunks, blockIds) => {
      const got = decodeSeriesRequest(encodeSeriesRequest({ start, end, matchers, skipChunks, blockIds }));
      assert.equal(got.start, clampT(start));
      assert.equal(got.end, clampT(end));
      assert.equal(got.skipChunks, skipChunks);
      assert.deepEqual(got.blockIds ?? [], blockIds);
      assert.deepEqual(got.matchers.map(String), matchers.map(String));
    }));
  });

  it('round-trip label requests and responses', () => {
    fc.assert(fc.property(str, time, time, fc.array(matcher, { maxLength: 3 }), fc.array(str), fc.array(str), (name, start, end, matchers, values, queriedBlocks) => {
      const got = decodeLabelValuesRequest(encodeLabelValuesRequest({ name, start, end, matchers }));
      assert.deepEqual([got.name, got.start, got.end, got.matchers.map(String)], [name, clampT(start), clampT(end), matchers.map(String)]);
      assert.deepEqual(decodeLabelsResponse(encodeLabelsResponse({ values, queriedBlocks })), { values, queriedBlocks });
    }));
  });

  it('round-trip series streams in batches, chunks byte for byte, queried blocks last', () => {
    const oneSeries = fc.record({
      labels: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z_]{1,5}$/), str), { selector: (p) => p[0], maxLength: 4 }),
      chunks: fc.array(fc.tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.nat(1e6), fc.uint8Array({ minLength: 1, maxLength: 64 })), { maxLength: 3 }),
    }).map((s): StoreSeries => ({
      labels: Labels.fromPairs(s.labels),
      chunks: s.chunks.map(([t, d, bytes]) => ({ minTime: t, maxTime: t + d, chunk: new XORChunk(bytes) })),
    }));
    fc.assert(fc.property(fc.array(oneSeries, { maxLength: 12 }), fc.integer({ min: 1, max: 5 }), fc.array(str, { maxLength: 3 }), (all, perMessage, blocks) => {
      const b = new SeriesBatcher(perMessage, 1 << 20);
      const msgs: Buffer[] = [];
      for (const s of all) {
        const m = b.add(s);
        if (m) msgs.push(m);
      }
      msgs.push(b.finish(blocks));
      const decoded = msgs.map(decodeSeriesResponse);
      assert.deepEqual(decoded.flatMap((d) => d.queriedBlocks), blocks);
      decoded.slice(0, -1).forEach((d) => assert.deepEqual(d.queriedBlocks, []));
      const series = decoded.flatMap((d) => d.series);
      assert.equal(series.length, all.length);
      series.forEach((s, i) => {
        assert.equal(s.labels.toString(), all[i]!.labels.toString());
        assert.deepEqual(s.chunks.map((c) => [c.minTime, c.maxTime, c.chunk.encoding, Buffer.from(c.chunk.bytes()).toString('hex')]), all[i]!.chunks.map((c) => [c.minTime, c.maxTime, c.chunk.encoding, Buffer.from(c.chunk.bytes()).toString('hex')]));
      });
    }));
  });
});
