// The pushed groups, kept in memory and written into the agent's storage every interval as if
// scraped at that moment (Pushgateway semantics: PUT replaces a group, POST replaces the families
// it names, DELETE removes it). Unlike the Pushgateway, groups expire; series that disappear (by
// replacement, DELETE or expiry) get one stale marker at the next emit.
import type { MetricType } from '../../../libs/exposition/index.ts';
import { LabelsBuilder, METRIC_NAME, STALE_NAN, type Labels } from '../../../libs/model/index.ts';
import { nopLogger, type Logger } from '../../../libs/log/index.ts';
import type { Appendable, Appender } from '../../../libs/storage/index.ts';
import type { DeepReadonly } from '../../../libs/services/index.ts';
import type { PushBody } from './body.ts';
import type { PushConfig } from './config.ts';
import { PushError, PushErrorReason } from './errors.ts';
import type { GroupingKey } from './grouping.ts';

export const PUSH_TIME_METRIC = 'push_time_seconds';
export const PUSH_FAILURE_TIME_METRIC = 'push_failure_time_seconds';

/** One series of a group, with its grouping labels applied. */
interface StoredSeries {
  readonly labels: Labels;
  /** Identity across groups and emits (the labels' text). */
  readonly key: string;
  value: number;
  /** The storage's reference, learnt at the first append. */
  ref: number;
}

interface StoredFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly series: StoredSeries[];
}

interface Group {
  readonly key: GroupingKey;
  families: Map<string, StoredFamily>;
  /** Unix ms of the last successful / failed PUT or POST; 0 = never. */
  lastPush: number;
  lastFailure: number;
  /** Last push either way, for expiry. */
  touched: number;
  readonly pushTime: StoredSeries;
  readonly failureTime: StoredSeries;
}

/** What the listing API shows of a group. */
export interface GroupView {
  readonly labels: Readonly<Record<string, string>>;
  readonly lastPush: number;
  readonly lastFailure: number;
  readonly families: readonly { readonly name: string; readonly type: MetricType; readonly help: string; readonly samples: number }[];
}

export interface EmitStats {
  readonly samples: number;
  readonly staleMarkers: number;
  /** Samples the storage refused (per-sample append errors). */
  readonly failed: number;
}

export interface PushStoreDeps {
  readonly logger?: Logger;
  /** The clock of push times (unix ms). */
  readonly now?: () => number;
}

function seriesOf(labels: Labels): StoredSeries {
  return { labels, key: labels.toString(), value: 0, ref: 0 };
}

function withGrouping(labels: Labels, key: GroupingKey): Labels {
  const b = new LabelsBuilder(labels);
  // The grouping key wins over labels of the same name in the body, as in the Pushgateway.
  for (const [n, v] of key.labels) b.set(n, v);
  return b.labels();
}

export class PushStore {
  readonly #cfg: DeepReadonly<PushConfig>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #groups = new Map<string, Group>();
  // Which group holds each series key: a series may be pushed by one group only.
  readonly #owner = new Map<string, Group>();
  // Series written by the last emit, to find those that disappeared since.
  #emitted = new Map<string, StoredSeries>();
  #appendable: Appendable | undefined;
  #stopped = false;

  constructor(cfg: DeepReadonly<PushConfig>, deps: PushStoreDeps = {}) {
    this.#cfg = cfg;
    this.#log = deps.logger ?? nopLogger;
    this.#now = deps.now ?? Date.now;
  }

  groupCount(): number {
    return this.#groups.size;
  }

  seriesCount(): number {
    return this.#owner.size;
  }

  /**
   * Applies a PUT (`replace`) or POST to the group `key`. Throws PushError when the push is
   * refused; a refused push changes nothing but the group's push_failure_time_seconds.
   */
  push(key: GroupingKey, body: PushBody, replace: boolean): void {
    this.#checkRunning();
    const now = this.#now();
    let group = this.#groups.get(key.id);
    if (!group && this.#groups.size >= this.#cfg.max_groups) {
      throw new PushError(PushErrorReason.TooManyGroups, `too many push groups (limit ${this.#cfg.max_groups}); delete some or raise push.max_groups`);
    }
    try {
      if (body.hasTimestamps) throw new PushError(PushErrorReason.Timestamp, 'pushed metrics must not have timestamps');
      const next = this.#nextFamilies(group, key, body, replace);
      group ??= this.#newGroup(key);
      for (const f of group.families.values()) for (const s of f.series) this.#owner.delete(s.key);
      for (const f of next.values()) for (const s of f.series) this.#owner.set(s.key, group);
      group.families = next;
      group.lastPush = now;
      group.touched = now;
    } catch (err) {
      if (err instanceof PushError && err.countsAsGroupFailure) {
        group ??= this.#newGroup(key);
        group.lastFailure = now;
        group.touched = now;
      }
      throw err;
    }
  }

  /** Removes the group (a no-op when there is none); its series go stale at the next emit. */
  delete(key: GroupingKey): void {
    this.#checkRunning();
    const group = this.#groups.get(key.id);
    if (group) this.#remove(group);
  }

  /** The groups, for the listing API. */
  groups(): GroupView[] {
    return [...this.#groups.values()].map((g) => ({
      labels: Object.fromEntries(g.key.labels),
      lastPush: g.lastPush,
      lastFailure: g.lastFailure,
      families: [...g.families.values()].map((f) => ({ name: f.name, type: f.type, help: f.help, samples: f.series.length })),
    }));
  }

  /**
   * Writes every live group's samples at `now` (unix ms) in one commit, after removing groups
   * not pushed within `expiry`, and one stale marker for each series written last time but gone
   * now. Called every `interval` by the agent, never concurrently.
   */
  async emit(appendable: Appendable, now: number): Promise<EmitStats> {
    for (const g of [...this.#groups.values()]) if (now - g.touched >= this.#cfg.expiry) this.#remove(g);
    if (appendable !== this.#appendable) {
      // References belong to one storage.
      this.#appendable = appendable;
      for (const s of this.#emitted.values()) s.ref = 0;
      for (const g of this.#groups.values()) for (const f of g.families.values()) for (const s of f.series) s.ref = 0;
    }
    const app = appendable.appender();
    const current = new Map<string, StoredSeries>();
    let samples = 0;
    let failed = 0;
    const put = (s: StoredSeries, v: number): void => {
      try {
        s.ref = app.append(s.ref, s.labels, now, v);
        samples++;
      } catch (err) {
        failed++;
        this.#log.debug({ err, series: s.key }, 'pushed sample refused by storage');
      }
    };
    for (const g of this.#groups.values()) {
      g.pushTime.value = g.lastPush / 1000;
      g.failureTime.value = g.lastFailure / 1000;
      for (const s of [g.pushTime, g.failureTime]) {
        put(s, s.value);
        current.set(s.key, s);
      }
      for (const f of g.families.values()) {
        for (const s of f.series) {
          put(s, s.value);
          current.set(s.key, s);
        }
      }
    }
    const staleMarkers = this.#appendStale(app, current, now);
    this.#emitted = current;
    await app.commit();
    return { samples, staleMarkers, failed };
  }

  /**
   * Stale markers at `now` for everything the last emit wrote, for an agent that shuts down
   * with no peer to take over; afterwards nothing is written until new pushes arrive.
   */
  async emitStale(appendable: Appendable, now: number): Promise<number> {
    const app = appendable.appender();
    const n = this.#appendStale(app, new Map(), now);
    this.#emitted = new Map();
    await app.commit();
    return n;
  }

  /** Refuses pushes from now on (503) and forgets every group. */
  stop(): void {
    this.#stopped = true;
    this.#groups.clear();
    this.#owner.clear();
  }

  #appendStale(app: Appender, current: ReadonlyMap<string, StoredSeries>, now: number): number {
    let n = 0;
    for (const [key, s] of this.#emitted) {
      if (current.has(key)) continue;
      try {
        app.append(s.ref, s.labels, now, STALE_NAN);
        n++;
      } catch (err) {
        this.#log.debug({ err, series: key }, 'stale marker refused by storage');
      }
    }
    return n;
  }

  #checkRunning(): void {
    if (this.#stopped) throw new PushError(PushErrorReason.Stopped, 'the agent is shutting down');
  }

  #newGroup(key: GroupingKey): Group {
    const meta = (name: string) => {
      const b = new LabelsBuilder().set(METRIC_NAME, name);
      for (const [n, v] of key.labels) b.set(n, v);
      return seriesOf(b.labels());
    };
    const g: Group = {
      key, families: new Map(), lastPush: 0, lastFailure: 0, touched: 0,
      pushTime: meta(PUSH_TIME_METRIC), failureTime: meta(PUSH_FAILURE_TIME_METRIC),
    };
    this.#groups.set(key.id, g);
    return g;
  }

  #remove(g: Group): void {
    for (const f of g.families.values()) for (const s of f.series) this.#owner.delete(s.key);
    this.#groups.delete(g.key.id);
  }

  /** The group's families after the push, checked; throws PushError and changes nothing when refused. */
  #nextFamilies(group: Group | undefined, key: GroupingKey, body: PushBody, replace: boolean): Map<string, StoredFamily> {
    const next = new Map<string, StoredFamily>();
    if (group && !replace) for (const [n, f] of group.families) if (!body.families.has(n)) next.set(n, f);
    for (const f of body.families.values()) {
      // The Pushgateway's own per-group gauges override pushed metrics of those names.
      if (f.name === PUSH_TIME_METRIC || f.name === PUSH_FAILURE_TIME_METRIC) continue;
      for (const other of this.#groups.values()) {
        const o = other === group ? undefined : other.families.get(f.name);
        if (o && o.type !== f.type) {
          throw new PushError(
            PushErrorReason.TypeConflict,
            `pushed metrics are invalid or inconsistent with existing metrics: metric ${f.name} is of type ${f.type} here but of type ${o.type} in group {${other.key.id}}`,
          );
        }
      }
      const old = group?.families.get(f.name);
      const byKey = new Map<string, StoredSeries>();
      for (const s of old?.series ?? []) byKey.set(s.key, s);
      const series: StoredSeries[] = [];
      for (const p of f.samples) {
        const labels = withGrouping(p.labels, key);
        const k = labels.toString();
        // New objects (a refused push must leave the group as it was), with the storage reference kept.
        series.push({ labels, key: k, value: p.value, ref: byKey.get(k)?.ref ?? 0 });
      }
      next.set(f.name, { name: f.name, type: f.type, help: f.help, series });
    }
    const seen = new Set<string>();
    for (const f of next.values()) {
      for (const s of f.series) {
        const holder = this.#owner.get(s.key);
        if (seen.has(s.key) || (holder !== undefined && holder !== group)) {
          const where = seen.has(s.key) ? 'twice in this group' : `already in group {${holder!.key.id}}`;
          throw new PushError(
            PushErrorReason.DuplicateSeries,
            `pushed metrics are invalid or inconsistent with existing metrics: series ${s.key} is ${where}`,
          );
        }
        seen.add(s.key);
      }
    }
    return next;
  }
}
