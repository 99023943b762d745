// GET /distributor/ha_tracker: the elected replica of every HA cluster this distributor knows, as
// an HTML table (JSON with `Accept: application/json` or `?format=json`), like Mimir's page.
import type { FastifyInstance } from 'fastify';
import type { HATracker } from './ha_tracker.ts';

export interface HAStatusRow {
  tenant: string;
  cluster: string;
  replica: string;
  elected_at: string;
  received_at: string;
  /** Seconds until another replica may take over if this one stays silent (0: it may now). */
  failover_in_seconds: number;
}

export function haStatus(tracker: HATracker, now: number = Date.now()): HAStatusRow[] {
  return tracker.electedReplicas().map(({ tenant, cluster, desc }) => ({
    tenant,
    cluster,
    replica: desc.replica,
    elected_at: new Date(desc.elected_at).toISOString(),
    received_at: new Date(desc.received_at).toISOString(),
    failover_in_seconds: Math.max(0, Math.round((desc.received_at + tracker.failoverAfter() - now) / 1000)),
  }));
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderHAStatus(rows: readonly HAStatusRow[]): string {
  const body = rows
    .map((r) => `<tr><td>${escape(r.tenant)}</td><td>${escape(r.cluster)}</td><td>${escape(r.replica)}</td><td>${r.elected_at}</td><td>${r.received_at}</td><td>${r.failover_in_seconds}s</td></tr>`)
    .join('\n');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>HA tracker</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head>
<body><h1>HA tracker</h1>
<table><thead><tr><th>Tenant</th><th>Cluster</th><th>Elected replica</th><th>Elected at</th><th>Last sample</th><th>Fail-over in</th></tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}

export function registerHAStatusPage(app: FastifyInstance, tracker: HATracker | undefined): void {
  app.get('/distributor/ha_tracker', async (req, reply) => {
    const rows = tracker ? haStatus(tracker) : [];
    const q = req.query as { format?: string };
    if (q.format === 'json' || (req.headers.accept ?? '').startsWith('application/json')) return reply.send({ enabled: tracker !== undefined, clusters: rows });
    return reply.type('text/html; charset=utf-8').send(renderHAStatus(rows));
  });
}
