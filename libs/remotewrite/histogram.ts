// A decoded remote-write histogram as the TSDB's model: integer histograms come with delta-encoded
// bucket counts on the wire and become absolute counts; float histograms carry absolute counts.
import { COUNTER_RESET_HINT_BYTES, type FloatHistogram, type Histogram, type Span } from '../model/index.ts';
import { HistogramFlag, HistogramPart, type DecodedWriteRequest } from './decode.ts';

function spans(req: DecodedWriteRequest, h: number, part: HistogramPart, offsets: Int32Array, lengths: Uint32Array): Span[] {
  const out: Span[] = [];
  for (let i = req.partStart(h, part), end = req.partStart(h + 1, part); i < end; i++) out.push({ offset: offsets[i]!, length: lengths[i]! });
  return out;
}

function absolute(req: DecodedWriteRequest, h: number, part: HistogramPart, deltas: Float64Array): number[] {
  const out: number[] = [];
  let v = 0;
  for (let i = req.partStart(h, part), end = req.partStart(h + 1, part); i < end; i++) out.push((v += deltas[i]!));
  return out;
}

function copy(req: DecodedWriteRequest, h: number, part: HistogramPart, counts: Float64Array): number[] {
  return Array.from(counts.subarray(req.partStart(h, part), req.partStart(h + 1, part)));
}

/**
 * Histogram h of `req`: `{ h }` for an integer histogram (count_int), `{ fh }` for a float one
 * (count_float), as Appender.appendHistogram takes them. Validation is the appender's.
 */
export function modelHistogram(req: DecodedWriteRequest, h: number): { h?: Histogram; fh?: FloatHistogram } {
  const float = (req.histFlags[h]! & HistogramFlag.CountFloat) !== 0;
  const schema = req.histSchema[h]!;
  const x: FloatHistogram = {
    counterResetHint: COUNTER_RESET_HINT_BYTES[req.histResetHint[h]!] ?? 'unknown',
    schema,
    zeroThreshold: req.histZeroThreshold[h]!,
    zeroCount: req.histZeroCount[h]!,
    count: req.histCount[h]!,
    sum: req.histSum[h]!,
    positiveSpans: spans(req, h, HistogramPart.PositiveSpans, req.positiveSpanOffsets, req.positiveSpanLengths),
    negativeSpans: spans(req, h, HistogramPart.NegativeSpans, req.negativeSpanOffsets, req.negativeSpanLengths),
    positiveBuckets: float
      ? copy(req, h, HistogramPart.PositiveCounts, req.positiveCounts)
      : absolute(req, h, HistogramPart.PositiveDeltas, req.positiveDeltas),
    negativeBuckets: float
      ? copy(req, h, HistogramPart.NegativeCounts, req.negativeCounts)
      : absolute(req, h, HistogramPart.NegativeDeltas, req.negativeDeltas),
  };
  const custom = copy(req, h, HistogramPart.CustomValues, req.customValues);
  if (custom.length > 0) x.customValues = custom;
  return float ? { fh: x } : { h: x };
}
