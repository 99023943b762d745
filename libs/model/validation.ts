// Metric and label name validation (Prometheus' legacy and UTF-8 schemes) and the per-series label
// checks a distributor runs on ingest, with Mimir's messages and discard reasons.

import { METRIC_NAME, Labels, compareStrings } from './labels.ts';
import { formatLabels } from './quote.ts';

/** Which names are accepted: Prometheus' classic character set, or any UTF-8 (Prometheus 3). */
export const NameValidationScheme = {
  Legacy: 'legacy',
  UTF8: 'utf8',
} as const;
export type NameValidationScheme = (typeof NameValidationScheme)[keyof typeof NameValidationScheme];

/** `^[a-zA-Z_:][a-zA-Z0-9_:]*$`: the legacy metric name scheme. */
export function isValidMetricName(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      c === 0x5f || c === 0x3a || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}

/** `^[a-zA-Z_][a-zA-Z0-9_]*$`: the legacy label name scheme. */
export function isValidLabelName(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = c === 0x5f || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}

/**
 * Whether `s` is well-formed Unicode, i.e. encodes to valid UTF-8. A JS string can hold a lone
 * surrogate, which has no UTF-8 encoding; everything else is valid.
 */
export function isValidUTF8(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false; // low surrogate without a high one
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** Prometheus 3 UTF-8 names: any non-empty valid UTF-8 string. */
export function isValidUTF8Name(s: string): boolean {
  return s !== '' && isValidUTF8(s);
}

/** Metric name validity under a scheme. */
export function isValidMetricNameFor(s: string, scheme: NameValidationScheme): boolean {
  return scheme === NameValidationScheme.Legacy ? isValidMetricName(s) : isValidUTF8Name(s);
}

/** Label name validity under a scheme. */
export function isValidLabelNameFor(s: string, scheme: NameValidationScheme): boolean {
  return scheme === NameValidationScheme.Legacy ? isValidLabelName(s) : isValidUTF8Name(s);
}

/** Why a series was rejected; the values are Mimir's `reason` label of discarded-samples counters. */
export const LabelsDiscardReason = {
  MissingMetricName: 'missing_metric_name',
  InvalidMetricName: 'metric_name_invalid',
  InvalidLabel: 'label_invalid',
  InvalidLabelValue: 'label_value_invalid',
  DuplicateLabelNames: 'duplicate_label_names',
  LabelsNotSorted: 'labels_not_sorted',
  MaxLabelNamesPerSeries: 'max_label_names_per_series',
  LabelNameTooLong: 'label_name_too_long',
  LabelValueTooLong: 'label_value_too_long',
} as const;
export type LabelsDiscardReason = (typeof LabelsDiscardReason)[keyof typeof LabelsDiscardReason];

export interface ValidateLabelsOptions {
  /** Name scheme for metric and label names; default legacy, as Mimir's default. */
  readonly scheme?: NameValidationScheme;
  /** Reject series without `__name__`; default true. */
  readonly requireMetricName?: boolean;
  /** Most labels a series may have; 0 or unset means no limit. */
  readonly maxLabelNames?: number;
  /** Longest label name / value in UTF-8 bytes (as Mimir counts); 0 or unset means no limit. */
  readonly maxLabelNameLength?: number;
  readonly maxLabelValueLength?: number;
}

export interface LabelsValidationFailure {
  readonly reason: LabelsDiscardReason;
  /** Mimir's message, including its error id, e.g. "… (err-mimir-label-invalid)". */
  readonly message: string;
}

/**
 * Checks one series' labels as received on the write path: a flat [name, value, …] array in
 * wire order (or a Labels). Empty values are allowed here: they mean "absent" and are dropped when
 * the series' Labels are built. Returns undefined when valid.
 */
export function validateLabelsDetailed(
  labels: Labels | readonly string[],
  opts: ValidateLabelsOptions = {},
): LabelsValidationFailure | undefined {
  const flat = labels instanceof Labels ? labels.toFlat() : labels;
  if (flat.length % 2 !== 0) throw new Error('validateLabels: odd number of label strings');
  const scheme = opts.scheme ?? NameValidationScheme.Legacy;
  const series = (): string => truncate(formatLabels(flat), 200);

  let metricName: string | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === METRIC_NAME) {
      metricName = flat[i + 1];
      break;
    }
  }
  if (opts.requireMetricName ?? true) {
    if (metricName === undefined || metricName === '') {
      return fail(LabelsDiscardReason.MissingMetricName, 'missing-metric-name', 'received series has no metric name');
    }
    if (!isValidMetricNameFor(metricName, scheme)) {
      return fail(
        LabelsDiscardReason.InvalidMetricName,
        'metric-name-invalid',
        `received a series with invalid metric name: '${truncate(metricName, 200)}'`,
      );
    }
  }
  const maxNames = opts.maxLabelNames ?? 0;
  if (maxNames > 0 && flat.length / 2 > maxNames) {
    return fail(
      LabelsDiscardReason.MaxLabelNamesPerSeries,
      'max-label-names-per-series',
      `received a series whose number of labels exceeds the limit (actual: ${flat.length / 2}, limit: ${maxNames}) series: '${series()}'`,
    );
  }
  const maxName = opts.maxLabelNameLength ?? 0;
  const maxValue = opts.maxLabelValueLength ?? 0;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (maxName > 0 && utf8Longer(name, maxName)) {
      return fail(
        LabelsDiscardReason.LabelNameTooLong,
        'label-name-too-long',
        `received a series whose label name length exceeds the limit, label: '${truncate(name, 200)}' series: '${series()}'`,
      );
    }
    if (maxValue > 0 && utf8Longer(value, maxValue)) {
      return fail(
        LabelsDiscardReason.LabelValueTooLong,
        'label-value-too-long',
        `received a series whose label value length exceeds the limit, value: '${truncate(value, 200)}' (truncated) series: '${series()}'`,
      );
    }
    if (name !== METRIC_NAME && !isValidLabelNameFor(name, scheme)) {
      return fail(
        LabelsDiscardReason.InvalidLabel,
        'label-invalid',
        `received a series with an invalid label: '${truncate(name, 200)}' series: '${series()}'`,
      );
    }
    if (!isValidUTF8(value)) {
      return fail(
        LabelsDiscardReason.InvalidLabelValue,
        'label-value-invalid',
        `received a series with invalid value in label '${truncate(name, 200)}': '${truncate(toValidUTF8(value), 200)}' metric: '${truncate(metricName ?? '', 200)}'`,
      );
    }
    if (i >= 2) {
      const c = compareStrings(flat[i - 2]!, name);
      if (c === 0) {
        return fail(
          LabelsDiscardReason.DuplicateLabelNames,
          'duplicate-label-names',
          `received a series with duplicate label name, label: '${truncate(name, 200)}' series: '${series()}'`,
        );
      }
      if (c > 0) {
        return fail(
          LabelsDiscardReason.LabelsNotSorted,
          'labels-not-sorted',
          `received a series where the label names are not alphabetically sorted, label: '${truncate(name, 200)}' series: '${series()}'`,
        );
      }
    }
  }
  return undefined;
}

/** validateLabelsDetailed, returning only the message (or undefined when valid). */
export function validateLabels(labels: Labels | readonly string[], opts?: ValidateLabelsOptions): string | undefined {
  return validateLabelsDetailed(labels, opts)?.message;
}

function fail(reason: LabelsDiscardReason, id: string, msg: string): LabelsValidationFailure {
  return { reason, message: `${msg} (err-mimir-${id})` };
}

/** Whether s takes more than n bytes in UTF-8 (each UTF-16 unit is 1 to 3 bytes). */
function utf8Longer(s: string, n: number): boolean {
  if (s.length > n) return true;
  if (s.length * 3 <= n) return false;
  return Buffer.byteLength(s, 'utf8') > n;
}

/** Go's strings.ToValidUTF8(s, ""): drops what has no UTF-8 encoding (lone surrogates). */
function toValidUTF8(s: string): string {
  return isValidUTF8(s) ? s : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
}

/** Go's `%.200s`: at most n code points. */
function truncate(s: string, n: number): string {
  if (s.length <= n) return s;
  let out = '';
  let count = 0;
  for (const ch of s) {
    if (count++ === n) break;
    out += ch;
  }
  return out;
}
