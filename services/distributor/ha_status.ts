// GET /distributor/ha_tracker: the elected replica of every HA cluster this distributor knows, as
// an HTML table (JSON with `Accept: application/json` or `?format=json`), like Mimir's page.
import type { FastifyInstance } from 'fastify';
import { escapeHTML, htmlTablePage } from '../../libs/server/index.ts';
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

export function renderHAStatus(rows: readonly HAStatusRow[]): string {
  const escape = escapeHTML;
  return htmlTablePage(
    'HA tracker',
    ['Tenant', 'Cluster', 'Elected replica', 'Elected at', 'Last sample', 'Fail-over in'],
    rows.map((r) => `<tr><td>${escape(r.tenant)}</td><td>${escape(r.cluster)}</td><td>${escape(r.replica)}</td><td>${r.elected_at}</td><td>${r.received_at}</td><td>${r.failover_in_seconds}s</td></tr>`),
  );
}

export function registerHAStatusPage(app: FastifyInstance, tracker: HATracker | undefined): void {
  app.get('/distributor/ha_tracker', async (req, reply) => {
    const rows = tracker ? haStatus(tracker) : [];
    const q = req.query as { format?: string };
    if (q.format === 'json' || (req.headers.accept ?? '').startsWith('application/json')) return reply.send({ enabled: tracker !== undefined, clusters: rows });
    return reply.type('text/html; charset=utf-8').send(renderHAStatus(rows));
  });
}
