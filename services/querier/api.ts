// The Prometheus HTTP query API (web/api/v1 in Prometheus 3.14): query, query_range, series,
// labels, label values, metadata, query_exemplars, format_query, parse_query and buildinfo, with
// Prometheus' parameters, JSON, error types and status codes.

import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Labels, Matcher } from '../../libs/model/index.ts';
import { compareStrings, goQuote, isValidUTF8Name } from '../../libs/model/index.ts';
import type { Logger } from '../../libs/log/index.ts';
import { nopLogger } from '../../libs/log/index.ts';
import type { BuildInfo } from '../../libs/server/index.ts';
import type { Queryable, Querier, SelectHints, SeriesSet } from '../../libs/storage/index.ts';
import { mergeSeriesSets } from '../../libs/storage/index.ts';
import { NO_AUTH_TENANT, ORG_ID_HEADER, TenantError, tenantOfRequest } from '../../libs/tenant/index.ts';
import { ApiError, ErrorType, classifyError, messageOf, statusCodeFor } from './errors.ts';
import { errorJSON, jsonString, jsonValue, labelsListJSON, successJSON, valueJSON } from './json.ts';
import {
  MAX_TIME_MS, MIN_TIME_MS, ParamError, atoi, parseDuration, parseLimit, parseTime, parseTimeParam,
} from './params.ts';
import type { Annotations, Expr, Query, QueryEngine, QueryResult, QuerySampleStats, Value } from './promql.ts';
import { parseExpr, parseMetricSelector, prettify, renderAnnotation } from './promql.ts';
import { translateAST } from './translate_ast.ts';
import type { MetricMetadata, MetricsMetadataRequest } from '../ingester/index.ts';

const gzipAsync = promisify(gzip);

/** With multi-tenancy off, every request belongs to this tenant (Mimir's default). */
export const DEFAULT_TENANT = NO_AUTH_TENANT;

/** Prometheus' cap on points per series in a range query. */
export const MAX_POINTS_PER_SERIES = 11_000;
/** How many warnings and infos a response carries at most (Prometheus' AsStrings(query, 10, 10)). */
const MAX_ANNOTATIONS = 10;
/** Series iterated between checks of the request's cancellation (Prometheus' checkContextEveryNIterations). */
const CHECK_CANCEL_EVERY = 128;
/** Bodies below this size are not worth compressing. */
const GZIP_MIN_BYTES = 1024;
/** Go's http.Request.ParseForm reads at most 10 MB of form body. */
const MAX_FORM_BYTES = 10 << 20;

/** A tenant's metric metadata, as /api/v1/metadata reads it. */
export interface MetadataQuerier {
  /**
   * Distinct entries by metric family name in byte order, each name's entries together; at most
   * `limit` names and `limitPerMetric` entries a name (0: no limit), only `metric` unless ''.
   */
  metricsMetadata(req: MetricsMetadataRequest, opts?: { signal?: AbortSignal }): Promise<readonly MetricMetadata[]>;
}

const NO_METADATA: MetadataQuerier = { metricsMetadata: () => Promise.resolve([]) };

/** Prometheus' names of MetricMetadata.MetricType values. */
const METRIC_TYPE_NAMES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'] as const;

export interface QuerierAPIOptions {
  readonly engine: QueryEngine;
  /** The data a tenant's queries read. */
  readonly queryableFor: (tenant: string) => Queryable;
  /** The metric metadata of a tenant; none when unset. */
  readonly metadataFor?: (tenant: string) => MetadataQuerier;
  readonly build: BuildInfo;
  readonly logger?: Logger;
  /** Clock for the default `time` of instant queries, in ms. */
  readonly now?: () => number;
  /** Read the tenant from X-Scope-OrgID (required); off: every request is DEFAULT_TENANT. */
  readonly multitenancy?: boolean;
}

/** The request parameters: form body values first, then the URL's, as Go's Request.Form orders them. */
export class Form {
  constructor(
    private readonly query: URLSearchParams,
    private readonly body: URLSearchParams | undefined,
  ) {}

  /** Go's FormValue: the first value, or undefined when absent. */
  get(name: string): string | undefined {
    return this.body?.get(name) ?? this.query.get(name) ?? undefined;
  }

  getAll(name: string): string[] {
    return [...(this.body?.getAll(name) ?? []), ...this.query.getAll(name)];
  }
}

interface ApiRequest {
  readonly form: Form;
  readonly params: Readonly<Record<string, string>>;
  readonly tenant: string;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

interface ApiResult {
  /** Pre-encoded JSON of `data`; null answers 204 No Content. */
  readonly data: string | null;
  readonly warnings?: readonly string[];
  readonly infos?: readonly string[];
}

type Handler = (req: ApiRequest) => Promise<ApiResult>;

/** Runs `fn` and turns a parameter error into `invalid parameter "<name>": …`. */
function param<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ApiError.invalidParam(name, e);
  }
}

/** Warnings and infos in the order collected, each list capped like Prometheus' AsStrings. */
class Warnings {
  readonly warnings: string[] = [];
  readonly infos: string[] = [];

  add(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  addAnnotations(annos: Annotations | undefined, query: string): void {
    if (!annos) return;
    for (const a of annos.all()) {
      const list = a.level === 'info' ? this.infos : this.warnings;
      const text = renderAnnotation(a, query);
      if (!list.includes(text)) list.push(text);
    }
  }

  result(data: string | null): ApiResult {
    return { data, warnings: cap(this.warnings, 'warning'), infos: cap(this.infos, 'info') };
  }
}

function cap(list: string[], what: string): string[] {
  if (list.length <= MAX_ANNOTATIONS) return list;
  return [...list.slice(0, MAX_ANNOTATIONS), `${list.length - MAX_ANNOTATIONS} more ${what} annotations omitted`];
}

/** The stats object of a query response (Prometheus' stats.BuiltinStats). */
interface Timings {
  queryPreparationTime: number;
  evalTotalTime: number;
  execTotalTime: number;
}

function statsJSON(t: Timings, samples: QuerySampleStats | undefined, perStep: boolean): string {
  const timings = {
    evalTotalTime: t.evalTotalTime,
    resultSortTime: 0,
    queryPreparationTime: t.queryPreparationTime,
    innerEvalTime: t.evalTotalTime,
    execQueueTime: 0,
    execTotalTime: t.execTotalTime,
  };
  const steps = (list: ReadonlyArray<readonly [number, number]> | undefined) =>
    perStep && list && list.length > 0 ? `[${list.map(([ts, v]) => `[${JSON.stringify(ts / 1000)},${v}]`).join(',')}]` : undefined;
  let s = '{';
  const total = steps(samples?.totalQueryableSamplesPerStep);
  if (total) s += `"totalQueryableSamplesPerStep":${total},`;
  s += `"totalQueryableSamples":${samples?.totalQueryableSamples ?? 0},`;
  const read = steps(samples?.samplesReadPerStep);
  if (read) s += `"samplesReadPerStep":${read},`;
  s += `"samplesRead":${samples?.samplesRead ?? 0},"peakSamples":${samples?.peakSamples ?? 0}}`;
  return `{"timings":${jsonValue(timings)},"samples":${s}}`;
}

/** Prometheus' statsParamWarning for values outside "", "true" and "all". */
function statsParamWarning(s: string | undefined): string | undefined {
  if (s === undefined || s === '' || s === 'true' || s === 'all') return undefined;
  return `value ${goQuote(s)} for parameter "stats" is deprecated and will be rejected in the next major release, use "true" or "all"`;
}

function truncate(v: Value, limit: number): { value: Value; truncated: boolean } {
  if (limit > 0 && (v.type === 'vector' || v.type === 'matrix') && v.value.length > limit) {
    return { value: { ...v, value: v.value.slice(0, limit) } as Value, truncated: true };
  }
  return { value: v, truncated: false };
}

/** Go's context.Canceled, as Prometheus reports a request abandoned while reading storage. */
function canceled(): ApiError {
  return new ApiError(ErrorType.Canceled, 'context canceled');
}

/**
 * Parses match[] values into matcher sets; each set needs a matcher that does not match the empty
 * string (Prometheus' parseMatchersParam). Throws the parser's error or ParamError.
 */
function parseMatcherSets(values: readonly string[]): Matcher[][] {
  const sets = values.map((v) => parseMetricSelector(v));
  for (const set of sets) {
    if (!set.some((m) => !m.matches(''))) throw new ParamError('match[] must contain at least one non-empty matcher');
  }
  return sets;
}

/** Prometheus' model.UnescapeName for the U__ value-encoding escape of label names in URLs. */
export function unescapeLabelName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const esc = name.slice(3);
  let out = '';
  for (let i = 0; i < esc.length; i++) {
    if (esc[i] !== '_') {
      out += esc[i];
      continue;
    }
    i++;
    if (i >= esc.length) return name;
    if (esc[i] === '_') {
      out += '_';
      continue;
    }
    // `_<hex code point>_`
    const end = esc.indexOf('_', i);
    if (end < 0 || end - i > 6) return name;
    const hex = esc.slice(i, end);
    if (!/^[0-9a-fA-F]+$/.test(hex)) return name;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return name;
    out += String.fromCodePoint(cp);
    i = end;
  }
  return out;
}

/** The vector selectors of a query, for query_exemplars (parser.ExtractSelectors). */
function hasSelectors(e: Expr): boolean {
  switch (e.kind) {
    case 'VectorSelector':
      return true;
    case 'MatrixSelector':
      return true;
    case 'AggregateExpr':
      return hasSelectors(e.expr) || (e.param !== undefined && hasSelectors(e.param));
    case 'BinaryExpr':
      return hasSelectors(e.lhs) || hasSelectors(e.rhs);
    case 'Call':
      return e.args.some(hasSelectors);
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return hasSelectors(e.expr);
    case 'NumberLiteral':
    case 'StringLiteral':
      return false;
  }
}

/** The handlers, independent of the HTTP framework except for `register`. */
export class QuerierAPI {
  readonly #engine: QueryEngine;
  readonly #queryableFor: (tenant: string) => Queryable;
  readonly #metadataFor: (tenant: string) => MetadataQuerier;
  readonly #multitenancy: boolean;
  readonly #build: BuildInfo;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(opts: QuerierAPIOptions) {
    this.#engine = opts.engine;
    this.#queryableFor = opts.queryableFor;
    this.#metadataFor = opts.metadataFor ?? (() => NO_METADATA);
    this.#multitenancy = opts.multitenancy ?? false;
    this.#build = opts.build;
    this.#logger = opts.logger ?? nopLogger;
    this.#now = opts.now ?? Date.now;
  }

  /** The routes, for fastify's register(); served under whatever prefix it is registered with. */
  readonly plugin = async (app: FastifyInstance): Promise<void> => {
    // Forms are parsed here (as Go's ParseForm does); any other body is ignored, never refused.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_req, body, done) =>
      done(null, new URLSearchParams(body as string)),
    );
    app.addContentTypeParser('*', { bodyLimit: MAX_FORM_BYTES }, (_req, _payload, done) => done(null, undefined));

    const both = ['GET', 'POST'] as const;
    const routes: Array<[readonly ('GET' | 'POST')[], string, Handler]> = [
      [both, '/query', (r) => this.query(r)],
      [both, '/query_range', (r) => this.queryRange(r)],
      [both, '/query_exemplars', (r) => this.queryExemplars(r)],
      [both, '/format_query', (r) => this.formatQuery(r)],
      [both, '/parse_query', (r) => this.parseQuery(r)],
      [both, '/labels', (r) => this.labelNames(r)],
      [['GET'], '/label/:name/values', (r) => this.labelValues(r)],
      [both, '/series', (r) => this.series(r)],
      [['GET'], '/metadata', (r) => this.metadata(r)],
      [['GET'], '/status/buildinfo', () => this.buildInfo()],
    ];
    for (const [methods, url, handler] of routes) {
      app.route({ method: [...methods], url, handler: (req, reply) => this.#serve(handler, req, reply) });
    }
    // Prometheus answers OPTIONS on every API path with 204 (CORS pre-flight).
    app.options('/*', (_req, reply) => reply.code(204).send());
  };

  async #serve(handler: Handler, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    let tenant: string;
    try {
      tenant = tenantOfRequest(req.headers[ORG_ID_HEADER], this.#multitenancy);
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
      await reply.code(err.status).type('application/json').send(errorJSON(ErrorType.BadData, err.message));
      return;
    }
    const ac = new AbortController();
    // A client that goes away cancels its query (`canceled`, like Prometheus' request context).
    const onClose = () => {
      if (!reply.raw.writableFinished) ac.abort();
    };
    reply.raw.once('close', onClose);
    const qs = req.url.indexOf('?');
    const form = new Form(
      new URLSearchParams(qs >= 0 ? req.url.slice(qs + 1) : ''),
      req.body instanceof URLSearchParams ? req.body : undefined,
    );
    let status = 200;
    let body: string | undefined;
    try {
      const res = await handler({ form, params: req.params as Record<string, string>, tenant, signal: ac.signal });
      if (res.data === null) {
        await reply.code(204).send();
        return;
      }
      body = successJSON(res.data, res.warnings, res.infos);
    } catch (e) {
      const err = e instanceof ApiError ? e : classifyError(e, ac.signal);
      status = statusCodeFor(err.type);
      if (status >= 500 && err.type !== ErrorType.Timeout) {
        this.#logger.error({ err: err.cause ?? err, url: req.url }, 'query API request failed');
      }
      body = errorJSON(err.type, err.message);
    } finally {
      reply.raw.off('close', onClose);
    }
    reply.code(status).header('content-type', 'application/json');
    if (body.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      reply.header('content-encoding', 'gzip').header('vary', 'Accept-Encoding');
      await reply.send(await gzipAsync(body));
      return;
    }
    // A Buffer keeps fastify from appending "; charset=utf-8": Prometheus sends plain application/json.
    await reply.send(Buffer.from(body));
  }

  #queryable(tenant: string): Queryable {
    return this.#queryableFor(tenant);
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  /** Applies the `timeout` parameter: a signal aborted by the client or when the timeout passes. */
  #withTimeout(req: ApiRequest): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
    const to = req.form.get('timeout');
    if (to === undefined || to === '') return { signal: req.signal, timedOut: () => false, done: () => {} };
    const ms = param('timeout', () => parseDuration(to));
    const ac = new AbortController();
    let timedOut = false;
    const onAbort = () => ac.abort(req.signal.reason);
    req.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new DOMException('query timed out', 'TimeoutError'));
    }, Math.max(0, ms));
    return {
      signal: ac.signal,
      timedOut: () => timedOut && !req.signal.aborted,
      done: () => {
        clearTimeout(timer);
        req.signal.removeEventListener('abort', onAbort);
      },
    };
  }

  /** Prometheus' extractQueryOpts: lookback_delta. */
  #lookbackDelta(req: ApiRequest): number | undefined {
    const s = req.form.get('lookback_delta');
    if (s === undefined || s === '') return undefined;
    let ms: number;
    try {
      ms = parseDuration(s);
    } catch (e) {
      throw new ApiError(ErrorType.BadData, `error parsing lookback delta duration: ${messageOf(e)}`, { cause: e });
    }
    const whole = Math.trunc(ms);
    return whole > 0 ? whole : undefined;
  }

  async #runQuery(req: ApiRequest, limit: number, create: (opts: { signal: AbortSignal; lookbackDelta?: number }) => Query | Promise<Query>): Promise<ApiResult> {
    const qs = req.form.get('query') ?? '';
    const { signal, timedOut, done } = this.#withTimeout(req);
    try {
      const lookbackDelta = this.#lookbackDelta(req);
      const started = performance.now();
      let query: Query;
      try {
        query = await create(lookbackDelta === undefined ? { signal } : { signal, lookbackDelta });
      } catch (e) {
        throw ApiError.invalidParam('query', e);
      }
      const prepared = performance.now();
      let result: QueryResult;
      try {
        result = await query.exec();
      } catch (e) {
        const err = classifyError(e, signal);
        // Once the timeout passed, whatever stopped the query (the engine seeing its signal aborted,
        // a storage read giving up) is the timeout's doing: Prometheus' "query timed out in …".
        if (timedOut() && err.type !== ErrorType.Timeout && err.type !== ErrorType.BadData) {
          const where = /^query was canceled in (.+)$/.exec(err.message)?.[1] ?? 'expression evaluation';
          throw new ApiError(ErrorType.Timeout, `query timed out in ${where}`, { cause: e });
        }
        throw err;
      }
      const finished = performance.now();

      const w = new Warnings();
      w.addAnnotations(result.annotations, qs);
      const { value, truncated } = truncate(result.value, limit);
      if (truncated) w.add('results truncated due to limit');
      const statsParam = req.form.get('stats');
      const warn = statsParamWarning(statsParam);
      if (warn) w.add(warn);
      let data = `{"resultType":"${value.type}","result":${valueJSON(value)}`;
      if (statsParam !== undefined && statsParam !== '') {
        const timings = {
          queryPreparationTime: (prepared - started) / 1000,
          evalTotalTime: (finished - prepared) / 1000,
          execTotalTime: (finished - started) / 1000,
        };
        data += `,"stats":${statsJSON(timings, result.stats, statsParam === 'all')}`;
      }
      return w.result(data + '}');
    } finally {
      done();
    }
  }

  async query(req: ApiRequest): Promise<ApiResult> {
    const limit = param('limit', () => parseLimit(req.form.get('limit')));
    const t = param('time', () => parseTimeParam(req.form.get('time'), 'time', this.#now()));
    const qs = req.form.get('query') ?? '';
    const queryable = this.#queryable(req.tenant);
    return this.#runQuery(req, limit, (opts) => this.#engine.instantQuery(queryable, qs, t, opts));
  }

  async queryRange(req: ApiRequest): Promise<ApiResult> {
    const limit = param('limit', () => parseLimit(req.form.get('limit')));
    const start = param('start', () => parseTime(req.form.get('start') ?? ''));
    const end = param('end', () => parseTime(req.form.get('end') ?? ''));
    if (end < start) throw ApiError.invalidParam('end', 'end timestamp must not be before start time');
    const stepRaw = param('step', () => parseDuration(req.form.get('step') ?? ''));
    // Steps are whole milliseconds in the engine; a sub-millisecond step would be zero there.
    const step = Math.trunc(stepRaw);
    if (step <= 0) {
      throw ApiError.invalidParam('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    }
    if (Math.trunc((end - start) / stepRaw) > MAX_POINTS_PER_SERIES) {
      throw new ApiError(ErrorType.BadData, 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const qs = req.form.get('query') ?? '';
    const queryable = this.#queryable(req.tenant);
    return this.#runQuery(req, limit, (opts) => this.#engine.rangeQuery(queryable, qs, start, end, step, opts));
  }

  async queryExemplars(req: ApiRequest): Promise<ApiResult> {
    const start = param('start', () => parseTimeParam(req.form.get('start'), 'start', MIN_TIME_MS));
    const end = param('end', () => parseTimeParam(req.form.get('end'), 'end', MAX_TIME_MS));
    if (end < start) throw new ApiError(ErrorType.BadData, 'end timestamp must not be before start timestamp');
    let expr: Expr;
    try {
      expr = parseExpr(req.form.get('query') ?? '');
    } catch (e) {
      throw ApiError.badData(e);
    }
    if (!hasSelectors(expr)) return { data: null };
    // No exemplar storage yet: every selector has no exemplars.
    return { data: '[]' };
  }

  // -------------------------------------------------------------------------------------------
  // Query text

  async formatQuery(req: ApiRequest): Promise<ApiResult> {
    const expr = param('query', () => parseExpr(req.form.get('query') ?? ''));
    return { data: jsonString(prettify(expr)) };
  }

  async parseQuery(req: ApiRequest): Promise<ApiResult> {
    const expr = param('query', () => parseExpr(req.form.get('query') ?? ''));
    return { data: jsonValue(translateAST(expr)) };
  }

  // -------------------------------------------------------------------------------------------
  // Series and labels

  /** Start and end of series/labels requests: Prometheus' wide defaults when absent. */
  #range(req: ApiRequest): { start: number; end: number } {
    const start = param('start', () => parseTimeParam(req.form.get('start'), 'start', MIN_TIME_MS));
    const end = param('end', () => parseTimeParam(req.form.get('end'), 'end', MAX_TIME_MS));
    return { start, end };
  }

  async series(req: ApiRequest): Promise<ApiResult> {
    const matches = req.form.getAll('match[]');
    if (matches.length === 0) throw new ApiError(ErrorType.BadData, 'no match[] parameter provided');
    const limit = param('limit', () => parseLimit(req.form.get('limit')));
    const { start, end } = this.#range(req);
    const sets = param('match[]', () => parseMatcherSets(matches));

    const querier = this.#queryable(req.tenant).querier(start, end);
    try {
      const hints: SelectHints = { start, end, func: 'series', seriesOnly: true };
      const opts = { signal: req.signal };
      // Several selectors are merged (and de-duplicated), which needs each set sorted.
      const set: SeriesSet =
        sets.length > 1 ? mergeSeriesSets(sets.map((ms) => querier.select(true, hints, ms, opts))) : querier.select(false, hints, sets[0]!, opts);
      const w = new Warnings();
      const out: Labels[] = [];
      let i = 0;
      for await (const s of set) {
        if (++i % CHECK_CANCEL_EVERY === 0 && req.signal.aborted) throw canceled();
        out.push(s.labels);
        if (limit > 0 && out.length > limit) {
          out.length = limit;
          w.add('results truncated due to limit');
          break;
        }
      }
      for (const m of set.warnings()) w.add(m);
      return w.result(labelsListJSON(out));
    } catch (e) {
      throw classifyError(e, req.signal);
    } finally {
      querier.close();
    }
  }

  /** Label names or values over one or several matcher sets; a union, sorted, for several. */
  async #labelQuery(req: ApiRequest, fetch: (q: Querier, ms: readonly Matcher[]) => Promise<string[]>): Promise<ApiResult> {
    const limit = param('limit', () => parseLimit(req.form.get('limit')));
    const { start, end } = this.#range(req);
    let sets: Matcher[][];
    try {
      sets = parseMatcherSets(req.form.getAll('match[]'));
    } catch (e) {
      throw ApiError.badData(e);
    }
    const querier = this.#queryable(req.tenant).querier(start, end);
    let names: string[];
    try {
      if (sets.length > 1) {
        const all = new Set<string>();
        for (const ms of sets) for (const n of await fetch(querier, ms)) all.add(n);
        names = [...all];
      } else {
        names = await fetch(querier, sets[0] ?? []);
      }
      if (req.signal.aborted) throw canceled();
    } catch (e) {
      throw classifyError(e, req.signal);
    } finally {
      querier.close();
    }
    names = names.slice().sort(compareStrings);
    const w = new Warnings();
    if (limit > 0 && names.length > limit) {
      names.length = limit;
      w.add('results truncated due to limit');
    }
    return w.result(jsonValue(names));
  }

  async labelNames(req: ApiRequest): Promise<ApiResult> {
    return this.#labelQuery(req, (q, ms) => q.labelNames(ms, { signal: req.signal }));
  }

  async labelValues(req: ApiRequest): Promise<ApiResult> {
    const name = unescapeLabelName(req.params.name ?? '');
    if (!isValidUTF8Name(name)) throw new ApiError(ErrorType.BadData, `invalid label name: ${goQuote(name)}`);
    return this.#labelQuery(req, (q, ms) => q.labelValues(name, ms, { signal: req.signal }));
  }

  // -------------------------------------------------------------------------------------------
  // Metadata and status

  /** Prometheus' metricMetadata: `limit` < 0 (the default) means all names, 0 none; `limit_per_metric` <= 0 all entries. */
  async metadata(req: ApiRequest): Promise<ApiResult> {
    const number = (p: string): number => {
      const s = req.form.get(p);
      if (s === undefined || s === '') return -1;
      try {
        return atoi(s);
      } catch {
        throw new ApiError(ErrorType.BadData, `${p} must be a number`);
      }
    };
    const limit = number('limit');
    const limitPerMetric = number('limit_per_metric');
    if (limit === 0) return { data: '{}' };
    let entries: readonly MetricMetadata[];
    try {
      entries = await this.#metadataFor(req.tenant).metricsMetadata(
        { limit: Math.max(limit, 0), limitPerMetric: Math.max(limitPerMetric, 0), metric: req.form.get('metric') ?? '' },
        { signal: req.signal },
      );
    } catch (e) {
      throw classifyError(e, req.signal);
    }
    // Keys in byte order, as Go writes a map; the source gives each name's entries together.
    const byName = new Map<string, string[]>();
    for (const m of entries) {
      let list = byName.get(m.metricFamilyName);
      if (!list) {
        if (limit > 0 && byName.size >= limit) continue;
        byName.set(m.metricFamilyName, (list = []));
      }
      if (limitPerMetric > 0 && list.length >= limitPerMetric) continue;
      const type = METRIC_TYPE_NAMES[m.type] ?? 'unknown';
      list.push(`{"type":"${type}","help":${jsonString(m.help)},"unit":${jsonString(m.unit)}}`);
    }
    const names = [...byName.keys()].sort(compareStrings);
    return { data: `{${names.map((n) => `${jsonString(n)}:[${byName.get(n)!.join(',')}]`).join(',')}}` };
  }

  async buildInfo(): Promise<ApiResult> {
    // Prometheus' PrometheusVersion fields, in its order; the runtime stands where Go's version is.
    return {
      data: jsonValue({
        version: this.#build.version,
        revision: this.#build.revision,
        branch: this.#build.branch,
        buildUser: '',
        buildDate: '',
        goVersion: `node${process.version.replace(/^v/, '')}`,
      }),
    };
  }
}
