// A push body read into metric families: the Prometheus text format 0.0.4 (what the Pushgateway
// accepts besides protobuf). Names must be legacy (non-UTF-8) names, as the Pushgateway requires
// by default; timestamps are noted, not refused here, so a parse error wins over them.
import { EntryType, ExpositionParser, ParseError, type MetricType } from '../../../libs/exposition/index.ts';
import { METRIC_NAME, isValidLabelName, isValidMetricName, type Labels } from '../../../libs/model/index.ts';
import { PushError, PushErrorReason } from './errors.ts';

export interface PushedSample {
  /** As pushed (with __name__), before the grouping key is applied. */
  readonly labels: Labels;
  readonly value: number;
}

export interface PushedFamily {
  readonly name: string;
  type: MetricType;
  help: string;
  readonly samples: PushedSample[];
}

export interface PushBody {
  /** Families with at least one sample, by name (a POST replaces the group's families of these names). */
  readonly families: Map<string, PushedFamily>;
  /** Some sample carried a timestamp (the Pushgateway refuses such pushes). */
  readonly hasTimestamps: boolean;
}

// Series of these families' types carry a suffix on the family name.
const SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

function belongsTo(series: string, family: PushedFamily | undefined): boolean {
  if (!family) return false;
  if (series === family.name) return true;
  const suffixes = SUFFIXES[family.type];
  return suffixes !== undefined && suffixes.some((s) => series.length === family.name.length + s.length && series.startsWith(family.name) && series.endsWith(s));
}

/** Refuses UTF-8 (non-legacy) and reserved names; `where` starts the message (`line 3`). */
export function checkNames(labels: Labels, where: string): void {
  const name = labels.metricName();
  if (!isValidMetricName(name)) throw new PushError(PushErrorReason.InvalidMetricName, `${where}: invalid metric name ${JSON.stringify(name)}`);
  for (let i = 0; i < labels.length; i++) {
    const n = labels.nameAt(i);
    if (n === METRIC_NAME) continue;
    if (!isValidLabelName(n) || n.startsWith('__')) {
      throw new PushError(PushErrorReason.InvalidLabelName, `${where}: invalid label name ${JSON.stringify(n)} in metric ${name}`);
    }
  }
}

/** Reads a text-format body; throws PushError (parse_error, invalid_*_name) with the line. */
export function parseTextBody(body: Uint8Array): PushBody {
  const families = new Map<string, PushedFamily>();
  const family = (name: string): PushedFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'unknown', help: '', samples: [] }));
    return f;
  };
  let current: PushedFamily | undefined;
  let hasTimestamps = false;
  const p = new ExpositionParser(body, 'prometheus');
  try {
    for (let e = p.next(); e !== undefined; e = p.next()) {
      switch (e) {
        case EntryType.Type:
          current = family(p.metricFamily());
          current.type = p.typeValue();
          break;
        case EntryType.Help:
          current = family(p.metricFamily());
          current.help = p.help();
          break;
        case EntryType.Series: {
          const labels = p.labels();
          checkNames(labels, `line ${p.lineNumber()}`);
          const name = labels.metricName();
          if (!belongsTo(name, current)) current = family(name);
          if (p.timestamp() !== undefined) hasTimestamps = true;
          current!.samples.push({ labels, value: p.value() });
          break;
        }
        default:
          break;
      }
    }
  } catch (err) {
    if (err instanceof ParseError) throw new PushError(PushErrorReason.ParseError, err.message, { cause: err });
    throw err;
  }
  // Families announced by # TYPE or # HELP alone push nothing (and replace nothing on POST).
  for (const [name, f] of families) if (f.samples.length === 0) families.delete(name);
  return { families, hasTimestamps };
}
