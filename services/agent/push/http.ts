// The Pushgateway's push API on the agent's HTTP server: PUT/POST/DELETE
// /metrics/job/<job>{/<label>/<value>} (and /metrics/job@base64/…), answering as the Pushgateway
// does: 200 for a stored PUT/POST, 202 for DELETE, 400 with a text reason for a refused push.
// Also GET /api/v1/metrics, a JSON listing of the groups.
import { gunzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { nopLogger, type Logger } from '../../../libs/log/index.ts';
import type { Server } from '../../../libs/server/index.ts';
import { parseTextBody, type PushBody } from './body.ts';
import { PushError, PushErrorReason } from './errors.ts';
import { parseGroupingKey } from './grouping.ts';
import { parseProtobufBody } from './protobuf.ts';
import type { PushStore } from './store.ts';

export interface PushRoutesOptions {
  readonly registry: Registry;
  /** Largest body, before and after decompression (push.max_body_bytes). */
  readonly maxBodyBytes: number;
  readonly logger?: Logger;
}

const PUSH_PREFIX = '/metrics/';
const PROTOBUF_TYPE = 'application/vnd.google.protobuf';

/** The delimited MetricFamily protobuf format, as client_golang's push sends by default. */
function isDelimitedProtobuf(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...params] = contentType.split(';').map((s) => s.trim());
  if (type?.toLowerCase() !== PROTOBUF_TYPE) return false;
  const p = new Map(params.map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim().replace(/^"(.*)"$/, '$1')] as const;
  }));
  return p.get('proto') === 'io.prometheus.client.MetricFamily' && p.get('encoding') === 'delimited';
}

function decompress(body: Buffer, encoding: string | undefined, max: number): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  if (enc !== 'gzip') throw new PushError(PushErrorReason.UnsupportedEncoding, `unsupported Content-Encoding ${JSON.stringify(encoding)} (gzip or none)`);
  try {
    return gunzipSync(body, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PushError(PushErrorReason.BodyTooLarge, `decompressed body larger than ${max} bytes`);
    }
    throw new PushError(PushErrorReason.ParseError, `invalid gzip body: ${(err as Error).message}`);
  }
}

export function registerPushRoutes(server: Server, store: PushStore, opts: PushRoutesOptions): void {
  const log = opts.logger ?? nopLogger;
  const requests = new Counter({
    name: 'strata_agent_push_requests_total',
    help: 'Requests to the push API by method and result (success, invalid = 4xx, error = 5xx).',
    labelNames: ['method', 'result'],
    registers: [opts.registry],
  });
  const invalid = new Counter({
    name: 'strata_agent_push_invalid_total',
    help: 'Pushes refused with a 4xx, by reason.',
    labelNames: ['reason'],
    registers: [opts.registry],
  });
  new Gauge({
    name: 'strata_agent_push_groups',
    help: 'Push groups held.',
    registers: [opts.registry],
    collect() {
      this.set(store.groupCount());
    },
  });
  new Gauge({
    name: 'strata_agent_push_series',
    help: 'Pushed series held.',
    registers: [opts.registry],
    collect() {
      this.set(store.seriesCount());
    },
  });

  const refuse = (req: FastifyRequest, reply: FastifyReply, err: PushError): FastifyReply => {
    const status = err.status;
    requests.inc({ method: req.method, result: status >= 500 ? 'error' : 'invalid' });
    if (status < 500) invalid.inc({ reason: err.reason });
    log.debug({ method: req.method, url: req.url, reason: err.reason, err: err.message }, 'push refused');
    return reply.code(status).type('text/plain; charset=utf-8').send(`${err.message}\n`);
  };

  const handle = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    try {
      const path = req.url.split('?', 1)[0]!.slice(PUSH_PREFIX.length);
      const key = parseGroupingKey(path);
      if (req.method === 'DELETE') {
        store.delete(key);
        requests.inc({ method: req.method, result: 'success' });
        return reply.code(202).send();
      }
      const raw = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
      const data = decompress(raw, req.headers['content-encoding'], opts.maxBodyBytes);
      const body: PushBody = isDelimitedProtobuf(req.headers['content-type']) ? parseProtobufBody(data) : parseTextBody(data);
      store.push(key, body, req.method === 'PUT');
      requests.inc({ method: req.method, result: 'success' });
      return reply.code(200).send();
    } catch (err) {
      if (err instanceof PushError) return refuse(req, reply, err);
      throw err;
    }
  };

  // In its own plugin, so the raw-body parser and the error handler apply to these routes only.
  void server.http.register((scope, _o, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, cb) => cb(null, body));
    scope.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return refuse(req, reply, new PushError(PushErrorReason.BodyTooLarge, `body larger than ${opts.maxBodyBytes} bytes`));
      }
      requests.inc({ method: req.method, result: 'error' });
      log.error({ err, method: req.method, url: req.url }, 'push failed');
      return reply.code(err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500).type('text/plain; charset=utf-8').send(`${err.message}\n`);
    });
    for (const url of ['/metrics/job/*', '/metrics/job@base64/*']) {
      scope.route({ method: ['PUT', 'POST', 'DELETE'], url, handler: handle });
    }
    scope.get('/api/v1/metrics', (_req, reply) => reply.send({ status: 'success', data: store.groups() }));
    done();
  });
}
