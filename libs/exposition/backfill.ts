// Reads every sample of an OpenMetrics document for backfilling, as promtool's
// `tsdb create-blocks-from openmetrics` does: `# EOF` and a timestamp on every sample are required.

import type { Labels } from '../model/index.ts';
import { EntryType, ExpositionParser, ParseError } from './parser.ts';
import type { ParserOptions } from './parser.ts';

export interface OpenMetricsSummary {
  /** Samples passed to the callback. */
  readonly samples: number;
  /** Smallest and largest timestamp in ms; 0 when there are no samples (as promtool). */
  readonly minTime: number;
  readonly maxTime: number;
}

/**
 * Calls `onSample` for each sample in document order and returns a summary. Throws ParseError
 * naming the line on bad input, on a sample without timestamp and when `# EOF` is missing;
 * `onSample` may already have run for earlier samples then, so all-or-nothing callers should
 * buffer (promtool reads the file once for the time range before writing anything).
 */
export function readOpenMetricsSamples(
  input: Uint8Array | string,
  onSample: (labels: Labels, t: number, v: number) => void,
  options: ParserOptions = {},
): OpenMetricsSummary {
  const p = new ExpositionParser(input, 'openmetrics', options);
  let samples = 0;
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (let e = p.next(); e !== undefined; e = p.next()) {
    if (e !== EntryType.Series) continue;
    const t = p.timestamp();
    const labels = p.labels();
    if (t === undefined) throw new ParseError(p.lineNumber(), `expected timestamp for series ${labels.toString()}, got none`);
    if (t < minTime) minTime = t;
    if (t > maxTime) maxTime = t;
    samples++;
    onSample(labels, t, p.value());
  }
  return samples === 0 ? { samples, minTime: 0, maxTime: 0 } : { samples, minTime, maxTime };
}
