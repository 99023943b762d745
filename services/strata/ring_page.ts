// A ring's status page (dskit's ring HTTP handler): GET shows every instance as an HTML table, or
// as JSON for `Accept: application/json` or `?format=json`; POST `forget=<id>` removes a dead
// instance from the ring and shows the page again.
import type { FastifyInstance } from 'fastify';
import { forgetInstance, ringStatus, renderRingPage, type ReadRing, type RingKV } from '../../libs/ring/index.ts';
import { errorBody } from '../../libs/server/index.ts';

export interface RingPageOptions {
  readonly path: string;
  readonly title: string;
  readonly ring: () => ReadRing;
  readonly kv: RingKV;
  readonly key: string;
}

export function registerRingPage(app: FastifyInstance, opts: RingPageOptions): void {
  void app.register((scope, _o, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, cb) =>
      cb(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const show = (wantsJson: boolean) => {
      const rows = ringStatus(opts.ring());
      return wantsJson ? { json: { shards: rows, now: new Date().toISOString() } } : { html: renderRingPage(opts.title, rows) };
    };
    scope.get(opts.path, async (req, reply) => {
      const q = req.query as { format?: string };
      const page = show(q.format === 'json' || (req.headers.accept ?? '').startsWith('application/json'));
      if (page.json) return reply.send(page.json);
      return reply.type('text/html; charset=utf-8').send(page.html);
    });
    scope.post(opts.path, async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, string | undefined>;
      const id = body.forget ?? (req.query as { forget?: string }).forget;
      if (!id) return reply.code(400).send(errorBody('bad_data', 'expected a form field "forget" with the instance id'));
      if (!opts.ring().allInstances().some((i) => i.id === id)) {
        return reply.code(404).send(errorBody('bad_data', `instance "${id}" is not in the ring`));
      }
      await forgetInstance(opts.kv, opts.key, id);
      return reply.redirect(opts.path, 303);
    });
    done();
  });
}
