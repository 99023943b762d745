// The ingester's metadata store: distinct entries per metric name, the tenant's limits (its share
// of the global per-user limit, the per-metric limit as is), and expiry on a fake clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../libs/services/index.ts';
import { Overrides, limitsConfigSchema } from '../../libs/tenant/index.ts';
import { MetadataDiscardReason, MetricMetadataStore } from './metadata.ts';
import type { RingShare } from './tsdbs.ts';

const md = (name: string, help = `${name} help.`, type = 1, unit = '') => ({ type, metricFamilyName: name, help, unit });
const ALL = { limit: 0, limitPerMetric: 0, metric: '' };
const MIN = 60_000;

function overrides(limits: Record<string, number>): Overrides {
  const o = new Overrides(validateConfig(limitsConfigSchema, {}));
  o.setTenantLimits(new Map([['limited', validateConfig(limitsConfigSchema, limits)]]));
  return o;
}

describe('ingester metric metadata store', () => {
  it('keeps each distinct entry once per metric name, sorted, tenants apart', () => {
    const s = new MetricMetadataStore(overrides({}));
    for (const m of [md('b'), md('a'), md('b'), md('b', 'Other help.'), md('b', 'b help.', 2), md('')]) assert.equal(s.add('t', m), undefined);
    // By type, then help in byte order ('O' before 'b').
    assert.deepEqual(s.list('t', ALL), [md('a'), md('b', 'Other help.'), md('b'), md('b', 'b help.', 2)]);
    assert.deepEqual(s.list('t', { ...ALL, limitPerMetric: 1 }), [md('a'), md('b', 'Other help.')]);
    assert.deepEqual(s.list('t', { ...ALL, limit: 1 }), [md('a')]);
    assert.deepEqual(s.list('t', { ...ALL, metric: 'b', limitPerMetric: 2 }), [md('b', 'Other help.'), md('b')]);
    assert.deepEqual(s.list('u', ALL), []);
    assert.equal(s.size(), 4);
  });

  it('refuses new metric names over the tenant\'s share of max_global_metadata_per_user, and counts them', () => {
    // 6 names across the cluster, 3 ingesters, RF 1: this ingester holds 2.
    const ring: RingShare = { ingesters: () => 3, replicationFactor: () => 1 };
    const s = new MetricMetadataStore(overrides({ max_global_metadata_per_user: 6 }), ring);
    assert.equal(s.add('limited', md('a')), undefined);
    assert.equal(s.add('limited', md('b')), undefined);
    assert.equal(s.add('limited', md('c')), MetadataDiscardReason.PerUserLimit);
    // Known names still take new entries and refreshes; other tenants are not limited.
    assert.equal(s.add('limited', md('a', 'New help.')), undefined);
    assert.equal(s.add('limited', md('b')), undefined);
    for (const n of ['c', 'd', 'e']) assert.equal(s.add('free', md(n)), undefined);
    assert.deepEqual(s.list('limited', ALL).map((m) => m.metricFamilyName), ['a', 'a', 'b']);
    assert.deepEqual([...s.discarded.get('limited')!], [[MetadataDiscardReason.PerUserLimit, 1]]);
    assert.equal(s.discarded.get('free'), undefined);
  });

  it('refuses new entries of a metric name over max_global_metadata_per_metric, not divided by the ring', () => {
    const ring: RingShare = { ingesters: () => 3, replicationFactor: () => 1 };
    const s = new MetricMetadataStore(overrides({ max_global_metadata_per_metric: 2 }), ring);
    assert.equal(s.add('limited', md('a', 'one')), undefined);
    assert.equal(s.add('limited', md('a', 'two')), undefined);
    assert.equal(s.add('limited', md('a', 'three')), MetadataDiscardReason.PerMetricLimit);
    assert.equal(s.add('limited', md('a', 'one')), undefined, 'a known entry is refreshed, not refused');
    assert.equal(s.add('limited', md('b', 'one')), undefined);
    assert.deepEqual(s.list('limited', ALL).map((m) => m.help), ['one', 'two', 'one']);
    assert.deepEqual([...s.discarded.get('limited')!], [[MetadataDiscardReason.PerMetricLimit, 1]]);
  });

  it('forgets entries not received within the retain period, and then takes new ones under the limits', () => {
    let now = 1_700_000_000_000;
    const s = new MetricMetadataStore(overrides({ max_global_metadata_per_user: 1 }), undefined, () => now);
    s.add('limited', md('old'));
    s.add('t', md('a'));
    s.add('t', md('b'));
    now += 6 * MIN;
    s.add('t', md('a'));
    assert.equal(s.purge(10 * MIN), 0);
    now += 5 * MIN;
    // 11 minutes after: old and b expire; a was seen 5 minutes ago.
    assert.equal(s.purge(10 * MIN), 2);
    assert.deepEqual(s.list('t', ALL), [md('a')]);
    assert.deepEqual(s.list('limited', ALL), []);
    assert.equal(s.add('limited', md('new')), undefined, 'the expired name no longer counts against the limit');
    assert.equal(s.size(), 2);
  });
});
