// The ring pages (/ingester/ring and the like): one row per instance, as JSON and as an HTML
// table with a "Forget" button per instance, in the manner of dskit's ring status page.
import { escapeHTML, htmlTablePage } from '../server/index.ts';
import type { ReadRing } from './ring.ts';

export interface RingStatusRow {
  id: string;
  state: string;
  addr: string;
  zone: string;
  /** Seconds since the last heartbeat. */
  heartbeat_age_seconds: number;
  healthy: boolean;
  tokens: number;
  /** Share of the token space this instance owns, 0..1. */
  ownership: number;
  registered: string;
}

export function ringStatus(ring: ReadRing, now: number = Date.now()): RingStatusRow[] {
  const owned = ring.ownership();
  return ring.allInstances().map((inst) => ({
    id: inst.id,
    state: inst.state,
    addr: inst.addr,
    zone: inst.zone,
    heartbeat_age_seconds: Math.max(0, Math.round((now - inst.heartbeat_timestamp) / 1000)),
    healthy: ring.isHealthy(inst, 'read', now) && inst.state !== 'LEAVING',
    tokens: inst.tokens.length,
    ownership: owned.get(inst.id) ?? 0,
    registered: new Date(inst.registered_timestamp).toISOString(),
  }));
}

/** The HTML page; the forget form posts `forget=<id>` back to the same path. */
export function renderRingPage(title: string, rows: readonly RingStatusRow[]): string {
  const escape = escapeHTML;
  return htmlTablePage(
    title,
    ['Instance', 'State', 'Health', 'Address', 'Zone', 'Last heartbeat', 'Tokens', 'Ownership', 'Registered', ''],
    rows.map(
      (r) => `<tr><td>${escape(r.id)}</td><td>${escape(r.state)}</td><td>${r.healthy ? 'healthy' : 'UNHEALTHY'}</td>` +
        `<td>${escape(r.addr)}</td><td>${escape(r.zone)}</td><td>${r.heartbeat_age_seconds}s ago</td><td>${r.tokens}</td>` +
        `<td>${(r.ownership * 100).toFixed(1)}%</td><td>${escape(r.registered)}</td>` +
        `<td><form method="POST"><input type="hidden" name="forget" value="${escape(r.id)}"><button type="submit">Forget</button></form></td></tr>`,
    ),
  );
}
