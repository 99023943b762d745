// A push body in the delimited protobuf format (io.prometheus.client.MetricFamily messages, each
// after a varint length): what client_golang's push package sends by default. Read into the same
// families as the text format, with histograms and summaries as their classic series
// (`_bucket{le}`, `_sum`, `_count`, `{quantile}`); native histogram fields are not read.
import { formatOpenMetricsFloat, type MetricType } from '../../../libs/exposition/index.ts';
import { Labels, METRIC_NAME } from '../../../libs/model/index.ts';
import { Reader } from '../../../libs/protowire/index.ts';
import { checkNames, type PushBody, type PushedFamily } from './body.ts';
import { PushError, PushErrorReason } from './errors.ts';

const TYPES: readonly MetricType[] = ['counter', 'gauge', 'summary', 'unknown', 'histogram', 'gaugehistogram'];

const fail = (message: string): Error => new PushError(PushErrorReason.ParseError, `invalid protobuf body: ${message}`);

function double(r: Reader, wire: number): number {
  if (wire !== 1) throw r.fail(`expected a double, got wire type ${wire}`);
  if (r.pos + 8 > r.end) throw r.fail('truncated double');
  const v = r.buf.readDoubleLE(r.pos);
  r.pos += 8;
  return v;
}

/** Reads the fields of a sub-message with `f`; unknown fields are skipped. */
function fields(r: Reader, f: (field: number, wire: number, r: Reader) => boolean): void {
  for (let k = r.key(); k; k = r.key()) if (!f(k[0], k[1], r)) r.skip(k[1]);
}

interface Sample {
  suffix: string;
  extra?: readonly [string, string];
  value: number;
}

/** The samples of one Metric, and whether it had a timestamp. */
function readMetric(r: Reader, pairs: [string, string][], out: Sample[]): boolean {
  let timestamped = false;
  const value = (sub: Reader, suffix = ''): void => {
    fields(sub, (f, w, s) => {
      if (f !== 1) return false;
      out.push({ suffix, value: double(s, w) });
      return true;
    });
  };
  fields(r, (f, w, m) => {
    if (w !== 2 && f !== 6) return false;
    switch (f) {
      case 1: {
        let name = '';
        let val = '';
        fields(m.sub(), (lf, lw, l) => {
          if (lw !== 2 || (lf !== 1 && lf !== 2)) return false;
          if (lf === 1) name = l.string();
          else val = l.string();
          return true;
        });
        pairs.push([name, val]);
        return true;
      }
      case 2: // gauge
      case 3: // counter
      case 5: // untyped
        value(m.sub());
        return true;
      case 4: { // summary
        let count = 0;
        let sum = 0;
        fields(m.sub(), (sf, sw, s) => {
          if (sf === 1 && sw === 0) count = s.varint();
          else if (sf === 2) sum = double(s, sw);
          else if (sf === 3 && sw === 2) {
            let q = 0;
            let v = 0;
            fields(s.sub(), (qf, qw, qr) => {
              if (qf === 1) q = double(qr, qw);
              else if (qf === 2) v = double(qr, qw);
              else return false;
              return true;
            });
            out.push({ suffix: '', extra: ['quantile', formatOpenMetricsFloat(q)], value: v });
          } else return false;
          return true;
        });
        out.push({ suffix: '_sum', value: sum }, { suffix: '_count', value: count });
        return true;
      }
      case 7: { // histogram
        let count = 0;
        let sum = 0;
        let sawInf = false;
        fields(m.sub(), (hf, hw, h) => {
          if (hf === 1 && hw === 0) count = h.varint();
          else if (hf === 4) count = double(h, hw);
          else if (hf === 2) sum = double(h, hw);
          else if (hf === 3 && hw === 2) {
            let c = 0;
            let ub = 0;
            fields(h.sub(), (bf, bw, b) => {
              if (bf === 1 && bw === 0) c = b.varint();
              else if (bf === 4) c = double(b, bw);
              else if (bf === 2) ub = double(b, bw);
              else return false;
              return true;
            });
            if (ub === Infinity) sawInf = true;
            out.push({ suffix: '_bucket', extra: ['le', formatOpenMetricsFloat(ub)], value: c });
          } else return false;
          return true;
        });
        // The +Inf bucket is implied by the count when absent, as in the text format's writer.
        if (!sawInf) out.push({ suffix: '_bucket', extra: ['le', '+Inf'], value: count });
        out.push({ suffix: '_sum', value: sum }, { suffix: '_count', value: count });
        return true;
      }
      case 6:
        if (w !== 0) return false;
        m.int64();
        timestamped = true;
        return true;
      default:
        return false;
    }
  });
  return timestamped;
}

/** Reads a delimited MetricFamily stream; throws PushError (parse_error, invalid_*_name). */
export function parseProtobufBody(body: Uint8Array): PushBody {
  const families = new Map<string, PushedFamily>();
  let hasTimestamps = false;
  const top = new Reader(body, fail);
  while (top.pos < top.end) {
    const r = top.sub();
    let name = '';
    let help = '';
    let type: MetricType = 'counter';
    const metrics: Reader[] = [];
    fields(r, (f, w, m) => {
      if (f === 1 && w === 2) name = m.string();
      else if (f === 2 && w === 2) help = m.string();
      else if (f === 3 && w === 0) type = TYPES[m.varint()] ?? 'unknown';
      else if (f === 4 && w === 2) metrics.push(m.sub());
      else return false;
      return true;
    });
    const family: PushedFamily = { name, type, help, samples: [] };
    for (const m of metrics) {
      const pairs: [string, string][] = [];
      const samples: Sample[] = [];
      if (readMetric(m, pairs, samples)) hasTimestamps = true;
      for (const s of samples) {
        const all: [string, string][] = [[METRIC_NAME, name + s.suffix], ...pairs];
        if (s.extra) all.push([s.extra[0], s.extra[1]]);
        let labels: Labels;
        try {
          labels = Labels.fromPairs(all);
        } catch (err) {
          throw new PushError(PushErrorReason.ParseError, `invalid protobuf body: metric ${name}: ${(err as Error).message}`);
        }
        checkNames(labels, `metric family ${JSON.stringify(name)}`);
        family.samples.push({ labels, value: s.value });
      }
    }
    // Repeated families overwrite each other, as in the Pushgateway.
    if (family.samples.length > 0) families.set(name, family);
    else families.delete(name);
  }
  return { families, hasTimestamps };
}
