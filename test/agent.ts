// Helpers for the agent's acceptance tests: a prometheus.yml on disk, queries to a tenant of a
// Strata process, and polling with a bound.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-agent-cfg-'));
  const file = join(dir, 'prometheus.yml');
  writeFileSync(file, text);
  return file;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

async function api<T>(base: string, path: string, tenant: string | undefined): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    headers: tenant ? { 'X-Scope-OrgID': tenant } : {},
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
  return body.data;
}

export async function instant(base: string, query: string, tenant?: string, time?: number): Promise<VectorSample[]> {
  const t = time !== undefined ? `&time=${time / 1000}` : '';
  const d = await api<{ result: VectorSample[] }>(base, `/api/v1/query?query=${encodeURIComponent(query)}${t}`, tenant);
  return d.result;
}

export async function range(base: string, query: string, start: number, end: number, stepMs: number, tenant?: string): Promise<MatrixSeries[]> {
  const q = `query=${encodeURIComponent(query)}&start=${start / 1000}&end=${end / 1000}&step=${stepMs / 1000}`;
  return (await api<{ result: MatrixSeries[] }>(base, `/api/v1/query_range?${q}`, tenant)).result;
}

export async function series(base: string, match: string, start: number, end: number, tenant?: string): Promise<Record<string, string>[]> {
  const q = `match[]=${encodeURIComponent(match)}&start=${start / 1000}&end=${end / 1000}`;
  return api<Record<string, string>[]>(base, `/api/v1/series?${q}`, tenant);
}

/** Polls `f` until it returns a value other than undefined; fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A label set as one comparable string (sorted names). */
export function seriesKey(m: Record<string, string>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
    .join(',');
}
