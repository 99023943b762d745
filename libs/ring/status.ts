// The ring pages (/ingester/ring and the like): one row per instance, as JSON and as an HTML
// table with a "Forget" button per instance, in the manner of dskit's ring status page.
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

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The HTML page; the forget form posts `forget=<id>` back to the same path. */
export function renderRingPage(title: string, rows: readonly RingStatusRow[]): string {
  const body = rows
    .map(
      (r) => `<tr><td>${escape(r.id)}</td><td>${escape(r.state)}</td><td>${r.healthy ? 'healthy' : 'UNHEALTHY'}</td>` +
        `<td>${escape(r.addr)}</td><td>${escape(r.zone)}</td><td>${r.heartbeat_age_seconds}s ago</td><td>${r.tokens}</td>` +
        `<td>${(r.ownership * 100).toFixed(1)}%</td><td>${escape(r.registered)}</td>` +
        `<td><form method="POST"><input type="hidden" name="forget" value="${escape(r.id)}"><button type="submit">Forget</button></form></td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head>
<body><h1>${escape(title)}</h1>
<table><thead><tr><th>Instance</th><th>State</th><th>Health</th><th>Address</th><th>Zone</th><th>Last heartbeat</th><th>Tokens</th><th>Ownership</th><th>Registered</th><th></th></tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}
