// The scrape cache of one target and the append of one scraped body through it (the hot path).
// A series is relabelled and its labels built once, when first seen; afterwards each sample
// costs one map lookup by the bytes the target wrote. The cache also tracks which series the
// previous scrape had, for stale markers, and the metadata (TYPE/HELP/UNIT) per metric family.
import { EntryType, ExpositionParser } from '../exposition/index.ts';
import type { ExpositionFormat, MetricType } from '../exposition/index.ts';
import { Labels, METRIC_NAME, STALE_NAN } from '../model/index.ts';
import type { RelabelConfig } from '../relabel/index.ts';
import { relabel } from '../relabel/index.ts';
import { AppendError } from '../storage/index.ts';
import type { Appender, SeriesRef } from '../storage/index.ts';

/** What the target's samples get before they are appended. */
export interface SampleMutation {
  /** Public target labels (no `__` labels), added to every series. */
  readonly targetLabels: Labels;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly metricRelabelConfigs: readonly RelabelConfig[];
  /** 0: no limit. */
  readonly sampleLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
}

export interface MetricMetadata {
  readonly metricFamily: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

/** Counts of one append, as the synthetic `scrape_*` series report them. */
export interface AppendCounts {
  /** Samples in the body (`scrape_samples_scraped`). */
  total: number;
  /** Samples kept after metric relabelling (`scrape_samples_post_metric_relabeling`). */
  added: number;
  /** Series not in the cache before (`scrape_series_added`). */
  seriesAdded: number;
  /** Samples ignored because the series came twice in the body. */
  duplicates: number;
  /** Samples the appender rejected (out of order, too old, …), ignored like Prometheus. */
  rejected: number;
}

/** Fails the whole scrape: the message is what the target page shows. */
export class ScrapeAppendError extends Error {
  override readonly name = 'ScrapeAppendError';
  constructor(
    readonly code: 'sample_limit' | 'label_limit' | 'invalid_series',
    message: string,
  ) {
    super(message);
  }
}

interface Entry {
  ref: SeriesRef;
  /** Final labels; undefined when metric relabelling dropped the series. */
  readonly labels: Labels | undefined;
  lastIter: number;
}

interface MetaEntry {
  type: MetricType;
  help: string;
  unit: string;
  lastIter: number;
}

const EXPORTED_PREFIX = 'exported_';
// Metadata outlives a few failed scrapes, so the metadata API does not flap with the target.
const META_KEEP_ITERATIONS = 10;

export class ScrapeCache {
  // By the series bytes as written; several keys may share one entry (same final labels).
  readonly #series = new Map<string, Entry>();
  // By final labels, so differently written or relabelled-together series are one entry.
  readonly #byLabels = new Map<string, Entry>();
  readonly #meta = new Map<string, MetaEntry>();
  #iter = 0;
  // Entries without explicit timestamps appended in the previous and the current scrape.
  #prev: Entry[] = [];
  #cur: Entry[] = [];
  // Entries whose ref came from this append, reset if it is rolled back.
  readonly #newRefs: Entry[] = [];

  constructor(private readonly m: SampleMutation) {}

  /** Series of the last successful scrape (those that get stale markers when the target goes). */
  seriesCount(): number {
    return this.#prev.length;
  }

  /**
   * Parses `body` and appends its samples at `t` (or their own timestamps when honoured), then
   * stale markers at `t` for series of the previous scrape that are gone. Throws ParseError or
   * ScrapeAppendError; the caller then rolls `app` back and calls `appendFailed`.
   */
  append(app: Appender, body: Uint8Array, format: ExpositionFormat, t: number, counts: AppendCounts): void {
    const iter = ++this.#iter;
    this.#cur.length = 0;
    this.#newRefs.length = 0;
    const m = this.m;
    const p = new ExpositionParser(body, format);
    let limitExceeded = false;
    for (let e = p.next(); e !== undefined; e = p.next()) {
      if (e !== EntryType.Series) {
        if (e === EntryType.Type || e === EntryType.Help || e === EntryType.Unit) this.#metadata(p, e, iter);
        continue;
      }
      counts.total++;
      const key = p.seriesKey();
      let ce = this.#series.get(key);
      let fresh = false;
      if (ce === undefined) {
        ce = this.#newEntry(p, key);
        fresh = ce.lastIter === 0;
      }
      if (ce.lastIter === iter) {
        counts.duplicates++;
        continue;
      }
      ce.lastIter = iter;
      if (ce.labels === undefined) continue;
      counts.added++;
      if (m.sampleLimit > 0 && counts.added > m.sampleLimit) limitExceeded = true;
      if (limitExceeded) continue; // keep counting, as Prometheus reports the totals
      const ts = m.honorTimestamps ? p.timestamp() : undefined;
      try {
        const ref = app.append(ce.ref, ce.labels, ts ?? t, p.value());
        if (ce.ref === 0) this.#newRefs.push(ce);
        ce.ref = ref;
        if (fresh) counts.seriesAdded++;
      } catch (err) {
        if (!(err instanceof AppendError)) throw err;
        counts.rejected++;
        continue;
      }
      // Samples with their own timestamps get no stale markers (Prometheus' rule).
      if (ts === undefined) this.#cur.push(ce);
    }
    if (limitExceeded) throw new ScrapeAppendError('sample_limit', 'sample limit exceeded');
    this.#finish(app, iter, t);
  }

  /** After a failed scrape (or a rolled back append): stale markers at `t` for every series of the last one. */
  appendFailed(app: Appender, t: number): void {
    for (const e of this.#newRefs) e.ref = 0;
    this.#newRefs.length = 0;
    this.#cur.length = 0;
    this.#finish(app, ++this.#iter, t);
  }

  /** Stale markers at `t` for every series of the last scrape; the cache is empty afterwards. */
  appendStaleAll(app: Appender, t: number): void {
    this.#cur.length = 0;
    this.#finish(app, ++this.#iter, t);
  }

  #finish(app: Appender, iter: number, t: number): void {
    for (const e of this.#prev) {
      if (e.lastIter === iter) continue;
      try {
        e.ref = app.append(e.ref, e.labels!, t, STALE_NAN);
      } catch (err) {
        if (!(err instanceof AppendError)) throw err;
      }
    }
    const swap = this.#prev;
    this.#prev = this.#cur;
    this.#cur = swap;
    this.#cur.length = 0;
    // Drop what this scrape did not have, so churning series do not grow the cache.
    for (const [k, e] of this.#series) if (e.lastIter !== iter) this.#series.delete(k);
    for (const [k, e] of this.#byLabels) if (e.lastIter !== iter) this.#byLabels.delete(k);
    for (const [k, e] of this.#meta) if (iter - e.lastIter > META_KEEP_ITERATIONS) this.#meta.delete(k);
  }

  #newEntry(p: ExpositionParser, key: string): Entry {
    const labels = this.#mutate(p.labels());
    if (labels === undefined) {
      const e: Entry = { ref: 0, labels: undefined, lastIter: 0 };
      this.#series.set(key, e);
      return e;
    }
    this.#checkLimits(labels);
    const lk = labels.toFlat().join('\xff');
    let e = this.#byLabels.get(lk);
    if (e === undefined) {
      e = { ref: 0, labels, lastIter: 0 };
      this.#byLabels.set(lk, e);
    }
    this.#series.set(key, e);
    return e;
  }

  // Target labels (honour_labels or `exported_` renames), then metric_relabel_configs.
  #mutate(scraped: Labels): Labels | undefined {
    const m = this.m;
    const out = new Map<string, string>();
    scraped.forEach((n, v) => out.set(n, v));
    let conflicts: [string, string][] | undefined;
    m.targetLabels.forEach((n, v) => {
      const exposed = scraped.get(n);
      if (exposed === '') out.set(n, v);
      else if (!m.honorLabels) {
        out.set(n, v);
        (conflicts ??= []).push([n, exposed]);
      }
    });
    if (conflicts !== undefined) {
      // Shorter names first, each renamed to the first free exported_…exported_<name>.
      conflicts.sort((a, b) => a[0].length - b[0].length);
      for (const [n, v] of conflicts) {
        let name = EXPORTED_PREFIX + n;
        while ((out.get(name) ?? '') !== '') name = EXPORTED_PREFIX + name;
        out.set(name, v);
      }
    }
    let labels = Labels.fromPairs(out);
    if (m.metricRelabelConfigs.length > 0) {
      const r = relabel(labels, m.metricRelabelConfigs);
      if (r === undefined || r.isEmpty()) return undefined;
      labels = r;
    }
    if (labels.get(METRIC_NAME) === '') throw new ScrapeAppendError('invalid_series', `missing metric name (${METRIC_NAME} label)`);
    return labels;
  }

  #checkLimits(l: Labels): void {
    const m = this.m;
    const name = l.get(METRIC_NAME).slice(0, 50);
    if (m.labelLimit > 0 && l.length > m.labelLimit) {
      throw new ScrapeAppendError('label_limit', `label_limit exceeded (metric: ${name}, number of labels: ${l.length}, limit: ${m.labelLimit})`);
    }
    if (m.labelNameLengthLimit === 0 && m.labelValueLengthLimit === 0) return;
    l.forEach((n, v) => {
      if (m.labelNameLengthLimit > 0 && n.length > m.labelNameLengthLimit) {
        throw new ScrapeAppendError('label_limit', `label_name_length_limit exceeded (metric: ${name}, label name: ${n.slice(0, 50)}, length: ${n.length}, limit: ${m.labelNameLengthLimit})`);
      }
      if (m.labelValueLengthLimit > 0 && v.length > m.labelValueLengthLimit) {
        throw new ScrapeAppendError(
          'label_limit',
          `label_value_length_limit exceeded (metric: ${name}, label name: ${n.slice(0, 50)}, value: ${JSON.stringify(v.slice(0, 50))}, length: ${v.length}, limit: ${m.labelValueLengthLimit})`,
        );
      }
    });
  }

  #metadata(p: ExpositionParser, e: EntryType, iter: number): void {
    const family = p.metricFamily();
    let me = this.#meta.get(family);
    if (me === undefined) {
      me = { type: 'unknown', help: '', unit: '', lastIter: iter };
      this.#meta.set(family, me);
    }
    me.lastIter = iter;
    if (e === EntryType.Type) me.type = p.typeValue();
    else if (e === EntryType.Help) me.help = p.help();
    else me.unit = p.unit();
  }

  /** TYPE/HELP/UNIT per metric family of the last scrape. */
  *metadata(): Iterable<MetricMetadata> {
    for (const [metricFamily, me] of this.#meta) yield { metricFamily, type: me.type, help: me.help, unit: me.unit };
  }
}
