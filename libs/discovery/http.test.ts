import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HTTPDiscoverer } from './http.ts';

describe('http_sd', () => {
  let server: Server;
  let url = '';
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '[]' };
  let refreshHeader = '';
  before(async () => {
    server = createServer((req, res) => {
      refreshHeader = String(req.headers['x-prometheus-refresh-interval-seconds'] ?? '');
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sd`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('reads target groups with __meta_url and sends the refresh interval', async () => {
    answer = { status: 200, type: 'application/json; charset=utf-8', body: '[{"targets":["a:1","b:1"],"labels":{"env":"x"}}]' };
    const groups = await new HTTPDiscoverer({ url, refreshInterval: 30_000 }).fetchGroups();
    assert.deepEqual(groups, [{ source: `${url}:0`, targets: [{ __address__: 'a:1' }, { __address__: 'b:1' }], labels: { __meta_url: url, env: 'x' } }]);
    assert.equal(refreshHeader, '30');
  });

  it('refuses a non-200 answer, another content type and a malformed body', async () => {
    const d = new HTTPDiscoverer({ url, refreshInterval: 1000 });
    answer = { status: 500, type: 'application/json', body: '[]' };
    await assert.rejects(d.fetchGroups(), /server returned HTTP status 500/);
    answer = { status: 200, type: 'text/plain', body: '[]' };
    await assert.rejects(d.fetchGroups(), /unsupported content type "text\/plain"/);
    answer = { status: 200, type: 'application/json', body: '{"targets":[]}' };
    await assert.rejects(d.fetchGroups(), /expected a list of target groups/);
  });

  it('keeps the last good groups through a failing refresh and yields changes', async () => {
    answer = { status: 200, type: 'application/json', body: '[{"targets":["a:1"]}]' };
    const errors: string[] = [];
    const d = new HTTPDiscoverer({ url, refreshInterval: 50, onError: (_u, e) => errors.push(e.message) });
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 10_000);
    const seen: string[][] = [];
    for await (const gs of d.run(ctl.signal)) {
      seen.push(gs.flatMap((g) => g.targets.map((t) => t.__address__!)));
      if (seen.length === 1) {
        answer = { status: 503, type: 'text/plain', body: 'down' };
        setTimeout(() => (answer = { status: 200, type: 'application/json', body: '[{"targets":["b:1"]}]' }), 200);
      }
      if (seen.length === 2) break;
    }
    clearTimeout(timer);
    ctl.abort();
    assert.deepEqual(seen, [['a:1'], ['b:1']]);
    assert.ok(errors.some((e) => /503/.test(e)), 'the failing refresh was reported');
  });
});
