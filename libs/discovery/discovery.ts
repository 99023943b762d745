// Service discovery (Prometheus' discovery package, the parts the agent has so far): providers
// yield target groups, the latest full set each time something changed. A target is a label set
// with `__address__`; a group adds common labels and says where it came from (`source`), so a
// later update of the same source replaces it.

/** One group of targets as a provider reports it. */
export interface TargetGroup {
  /** Unique per provider, e.g. `<file>:<index>`; an update with the same source replaces the group. */
  readonly source: string;
  /** Each target's own labels, at least `__address__`. */
  readonly targets: readonly Readonly<Record<string, string>>[];
  /** Labels of every target of the group (target labels win). */
  readonly labels: Readonly<Record<string, string>>;
}

export interface Discoverer {
  /** Every group now and after each change (the whole current set each time), until `signal` aborts. */
  run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]>;
}

/** `static_configs`: the groups as written, once. */
export class StaticDiscoverer implements Discoverer {
  constructor(private readonly groups: readonly { targets: readonly string[]; labels: Readonly<Record<string, string>> }[]) {}

  async *run(): AsyncIterable<readonly TargetGroup[]> {
    yield this.groups.map((g, i) => ({ source: String(i), targets: g.targets.map((t) => ({ __address__: t })), labels: g.labels }));
  }
}

/**
 * Target groups from a decoded file or HTTP answer (`[{"targets": [...], "labels": {...}}]`):
 * sources `<origin>:<index>`, and `meta` added to every group's labels. Throws with the reason.
 */
export function targetGroupsOf(doc: unknown, origin: string, meta: Readonly<Record<string, string>>): TargetGroup[] {
  if (!Array.isArray(doc)) throw new Error('expected a list of target groups');
  return doc.map((g: unknown, i) => {
    const o = (g ?? {}) as { targets?: unknown; labels?: unknown };
    if (!Array.isArray(o.targets) || !o.targets.every((t) => typeof t === 'string')) throw new Error(`group ${i}: "targets" must be a list of strings`);
    const labels: Record<string, string> = { ...meta };
    for (const [k, v] of Object.entries((o.labels ?? {}) as Record<string, unknown>)) {
      if (typeof v !== 'string') throw new Error(`group ${i}: label ${k} must be a string`);
      labels[k] = v;
    }
    return { source: `${origin}:${i}`, targets: (o.targets as string[]).map((t) => ({ __address__: t })), labels };
  });
}

/** Waits `ms`, or less if `signal` aborts first (then resolves, never rejects): a refresh loop's pause. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
