// The remote-write endpoints: POST /api/v1/push and its alias /api/v1/write. The tenant comes
// from X-Scope-OrgID (or is "anonymous" with multi-tenancy off); bodies are read as raw bytes
// up to the size limit (413 above it).
import type { FastifyInstance } from 'fastify';
import { ORG_ID_HEADER, TenantError, tenantOfRequest } from '../../libs/tenant/index.ts';
import type { Distributor } from './distributor.ts';
import { ReplicationError } from './replication.ts';

export const PUSH_PATHS = ['/api/v1/push', '/api/v1/write'] as const;

export function registerPushRoutes(
  app: FastifyInstance,
  distributor: Distributor,
  opts: { multitenancy: boolean; maxBodyBytes: number },
): void {
  // In its own plugin, so the raw-body parser applies to these routes only.
  void app.register((scope, _o, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, cb) => cb(null, body));
    for (const url of PUSH_PATHS) {
      scope.post(url, async (req, reply) => {
        let tenant: string;
        try {
          tenant = tenantOfRequest(req.headers[ORG_ID_HEADER], opts.multitenancy);
        } catch (err) {
          if (!(err instanceof TenantError)) throw err;
          return reply.code(err.status).type('text/plain; charset=utf-8').send(err.message);
        }
        const body = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
        let res;
        try {
          res = await distributor.push(tenant, body);
        } catch (err) {
          // Not enough ingesters took the series: a 5xx, so the sender retries.
          if (!(err instanceof ReplicationError)) throw err;
          return reply.code(500).type('text/plain; charset=utf-8').send(err.message);
        }
        return reply.code(res.status).type('text/plain; charset=utf-8').send(res.body);
      });
    }
    done();
  });
}
