// The agent's targets pages: Prometheus' `/api/v1/targets` and `/api/v1/targets/metadata` JSON,
// and a plain `/targets` HTML table (labels after and before relabelling, health, last error).
import { hostname } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Labels, Matcher } from '../../libs/model/index.ts';
import { SelectorError, parseSeriesSelector } from '../../libs/model/index.ts';
import type { DroppedTarget, MetricMetadata, Target } from '../../libs/scrape/index.ts';
import type { Server } from '../../libs/server/index.ts';
import { errorBody, escapeHTML, htmlTablePage } from '../../libs/server/index.ts';
import { formatDuration } from '../../libs/services/index.ts';

/** What the pages read; ScrapeManager provides it. */
export interface TargetsSource {
  activeTargets(): Map<string, Target[]>;
  droppedTargets(): Map<string, readonly DroppedTarget[]>;
  pool(job: string): { loopFor(target: Target): { metadata(): Iterable<MetricMetadata> } | undefined } | undefined;
}

export interface APITarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: string;
  scrapeInterval: string;
  scrapeTimeout: string;
}

/** Go's time.RFC3339Nano of a ms timestamp, in UTC: trailing zeros of the fraction dropped. */
export function rfc3339Nano(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

// Prometheus' globalUrl: a loopback host replaced by this machine's name, so links work elsewhere.
function globalURL(url: string, host: string): string {
  const u = new URL(url);
  if (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]') u.hostname = host;
  return u.toString();
}

export function apiTarget(t: Target, host = hostname()): APITarget {
  return {
    discoveredLabels: t.discoveredLabels.toRecord(),
    labels: t.labels.toRecord(),
    scrapePool: t.scrapePool,
    scrapeUrl: t.url,
    globalUrl: globalURL(t.url, host),
    lastError: t.lastError,
    lastScrape: rfc3339Nano(t.lastScrape),
    lastScrapeDuration: t.lastScrapeDuration,
    health: t.health,
    scrapeInterval: formatDuration(t.interval),
    scrapeTimeout: formatDuration(t.timeout),
  };
}

/** The `data` of `/api/v1/targets` for `state` (active, dropped, any) and an optional pool. */
export function targetsData(src: TargetsSource, state: string, scrapePool: string | undefined) {
  const showActive = state === '' || state === 'any' || state === 'active';
  const showDropped = state === '' || state === 'any' || state === 'dropped';
  const host = hostname();
  const activeTargets: APITarget[] = [];
  const droppedTargets: { discoveredLabels: Record<string, string>; scrapePool: string }[] = [];
  const droppedTargetCounts: Record<string, number> = {};
  for (const [job, ts] of src.activeTargets()) {
    if (scrapePool !== undefined && job !== scrapePool) continue;
    if (showActive) for (const t of ts) activeTargets.push(apiTarget(t, host));
  }
  for (const [job, ds] of src.droppedTargets()) {
    if (scrapePool !== undefined && job !== scrapePool) continue;
    droppedTargetCounts[job] = ds.length;
    if (showDropped) for (const d of ds) droppedTargets.push({ discoveredLabels: d.discoveredLabels.toRecord(), scrapePool: job });
  }
  return { activeTargets, droppedTargets, droppedTargetCounts };
}

function matchesAll(l: Labels, ms: readonly Matcher[]): boolean {
  return ms.every((m) => m.matches(l.get(m.name)));
}

type Query = Record<string, string | undefined>;

/** Adds `/api/v1/targets`, `/api/v1/targets/metadata` and `/targets` to `server` (before it starts). */
export function registerTargetRoutes(server: Server, src: TargetsSource): void {
  server.route({
    method: 'GET',
    url: '/api/v1/targets',
    handler: (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Query;
      const state = (q.state ?? '').toLowerCase();
      if (!['', 'any', 'active', 'dropped'].includes(state)) return reply.code(400).send(errorBody('bad_data', `invalid state "${q.state}"`));
      return reply.send({ status: 'success', data: targetsData(src, state, q.scrapePool || undefined) });
    },
  });
  server.route({
    method: 'GET',
    url: '/api/v1/targets/metadata',
    handler: (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Query;
      let matchers: Matcher[] = [];
      if (q.match_target) {
        try {
          matchers = parseSeriesSelector(q.match_target);
        } catch (err) {
          if (err instanceof SelectorError) return reply.code(400).send(errorBody('bad_data', err.message));
          throw err;
        }
      }
      const limit = q.limit ? Number(q.limit) : -1;
      const data: ({ target: Record<string, string> } & Omit<MetricMetadata, 'metricFamily'> & { metric: string })[] = [];
      outer: for (const [job, ts] of src.activeTargets()) {
        for (const t of ts) {
          if (!matchesAll(t.labels, matchers)) continue;
          for (const md of src.pool(job)?.loopFor(t)?.metadata() ?? []) {
            if (q.metric && md.metricFamily !== q.metric) continue;
            if (limit >= 0 && data.length >= limit) break outer;
            data.push({ target: t.labels.toRecord(), metric: md.metricFamily, type: md.type, help: md.help, unit: md.unit });
          }
        }
      }
      return reply.send({ status: 'success', data });
    },
  });
  server.route({
    method: 'GET',
    url: '/targets',
    handler: (_req: FastifyRequest, reply: FastifyReply) => {
      const rows: string[] = [];
      const labelList = (l: Labels): string =>
        Object.entries(l.toRecord())
          .map(([k, v]) => escapeHTML(`${k}="${v}"`))
          .join('<br>');
      for (const [job, ts] of src.activeTargets()) {
        for (const t of ts) {
          const last = t.lastScrape === 0 ? 'never' : `${Math.round((Date.now() - t.lastScrape) / 1000)}s ago`;
          rows.push(
            `<tr><td>${escapeHTML(job)}</td><td><a href="${escapeHTML(t.url)}">${escapeHTML(t.url)}</a></td><td>${escapeHTML(t.health.toUpperCase())}</td>` +
              `<td>${labelList(t.labels)}</td><td>${labelList(t.discoveredLabels)}</td><td>${last}</td>` +
              `<td>${(t.lastScrapeDuration * 1000).toFixed(1)}ms</td><td>${escapeHTML(t.lastError)}</td></tr>`,
          );
        }
      }
      for (const [job, ds] of src.droppedTargets()) {
        for (const d of ds) {
          rows.push(`<tr><td>${escapeHTML(job)}</td><td></td><td>DROPPED</td><td></td><td>${labelList(d.discoveredLabels)}</td><td></td><td></td><td></td></tr>`);
        }
      }
      const headers = ['Pool', 'Endpoint', 'State', 'Labels', 'Discovered labels', 'Last scrape', 'Scrape duration', 'Error'];
      return reply.type('text/html; charset=utf-8').send(htmlTablePage('Targets', headers, rows));
    },
  });
}
