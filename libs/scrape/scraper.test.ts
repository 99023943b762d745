import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { HTTPClientConfig } from './config.ts';
import { HTTPScraper, SCRAPE_ACCEPT_HEADER, ScrapeError } from './scraper.ts';
import type { ExpositionServer } from './testutil.ts';
import { startExpositionServer } from './testutil.ts';

const NO_TLS: HTTPClientConfig = { tls: { insecureSkipVerify: false } };

function scraper(url: string, over: { timeout?: number; bodySizeLimit?: number; http?: HTTPClientConfig } = {}): HTTPScraper {
  return new HTTPScraper({ url, timeout: over.timeout ?? 5_000, bodySizeLimit: over.bodySizeLimit ?? 0, http: over.http ?? NO_TLS, userAgent: 'Strata/test' });
}

describe('HTTPScraper', () => {
  let srv: ExpositionServer;
  before(async () => {
    srv = await startExpositionServer('a 1\n');
  });
  after(() => srv.close());

  it("sends Prometheus' headers and reads the text format", async () => {
    const s = scraper(`http://${srv.address}/metrics`, { timeout: 2_500 });
    const r = await s.scrape();
    s.close();
    assert.equal(r.body.toString(), 'a 1\n');
    assert.equal(r.format, 'prometheus');
    const h = srv.requests.at(-1)!;
    assert.equal(h.accept, SCRAPE_ACCEPT_HEADER);
    assert.equal(h['accept-encoding'], 'gzip');
    assert.equal(h['user-agent'], 'Strata/test');
    assert.equal(h['x-prometheus-scrape-timeout-seconds'], '2.5');
    assert.equal(h.authorization, undefined);
  });

  it('answers OpenMetrics when the server picks it from Accept', async () => {
    srv.handler = (req, res) => {
      const om = /application\/openmetrics-text/.test(req.headers.accept ?? '');
      res.writeHead(200, { 'content-type': om ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain' });
      res.end(om ? 'a 1\n# EOF\n' : 'a 1\n');
    };
    const s = scraper(`http://${srv.address}/metrics`);
    const r = await s.scrape();
    s.close();
    srv.handler = undefined;
    assert.equal(r.format, 'openmetrics');
    assert.equal(r.body.toString(), 'a 1\n# EOF\n');
  });

  it('gunzips', async () => {
    srv.body = gzipSync('b 2\n');
    srv.headers = { 'content-encoding': 'gzip' };
    const s = scraper(`http://${srv.address}/metrics`);
    const r = await s.scrape();
    s.close();
    srv.body = 'a 1\n';
    srv.headers = {};
    assert.equal(r.body.toString(), 'b 2\n');
  });

  it('sends basic auth and bearer tokens', async () => {
    const a = scraper(`http://${srv.address}/metrics`, { http: { basicAuth: { username: 'u', password: 'p:w' }, tls: NO_TLS.tls } });
    await a.scrape();
    a.close();
    assert.equal(srv.requests.at(-1)!.authorization, `Basic ${Buffer.from('u:p:w').toString('base64')}`);
    const b = scraper(`http://${srv.address}/metrics`, { http: { bearerToken: 'tok', tls: NO_TLS.tls } });
    await b.scrape();
    b.close();
    assert.equal(srv.requests.at(-1)!.authorization, 'Bearer tok');
  });

  it('fails on a status other than 200', async () => {
    srv.status = 500;
    const s = scraper(`http://${srv.address}/metrics`);
    await assert.rejects(s.scrape(), (err: Error) => err instanceof ScrapeError && err.message === 'server returned HTTP status 500 Internal Server Error');
    s.close();
    srv.status = 200;
  });

  it('stops reading beyond body_size_limit, also after gunzip', async () => {
    const big = 'x 1\n'.repeat(100_000);
    srv.body = big;
    const s = scraper(`http://${srv.address}/metrics`, { bodySizeLimit: 10_000 });
    await assert.rejects(s.scrape(), /body size limit exceeded/);
    s.close();
    srv.body = gzipSync(big);
    srv.headers = { 'content-encoding': 'gzip' };
    assert.ok((srv.body as Buffer).length < 10_000);
    const g = scraper(`http://${srv.address}/metrics`, { bodySizeLimit: 10_000 });
    await assert.rejects(g.scrape(), /body size limit exceeded/);
    g.close();
    srv.body = 'a 1\n';
    srv.headers = {};
  });

  it('times out a slow target', async () => {
    let release: () => void = () => undefined;
    srv.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a 1\n');
      release = () => res.end();
    };
    const s = scraper(`http://${srv.address}/metrics`, { timeout: 200 });
    await assert.rejects(s.scrape(), /scrape timed out after 0.2s/);
    s.close();
    release();
    srv.handler = undefined;
  });

  it('reports a refused connection', async () => {
    const s = scraper('http://127.0.0.1:1/metrics');
    await assert.rejects(s.scrape(), /Get "http:\/\/127.0.0.1:1\/metrics": connect ECONNREFUSED/);
    s.close();
  });
});

describe('HTTPScraper over TLS', () => {
  let dir: string;
  let port: number;
  let close: () => void;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-scrape-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=metrics.test',
      '-addext', 'subjectAltName=DNS:metrics.test,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    const srv = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('tls 1\n');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    port = (srv.address() as AddressInfo).port;
    close = () => {
      srv.closeAllConnections();
      srv.close();
    };
  });
  after(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server with ca_file (and server_name)', async () => {
    const s = scraper(`https://127.0.0.1:${port}/metrics`, { http: { tls: { insecureSkipVerify: false, caFile: join(dir, 'cert.pem'), serverName: 'metrics.test' } } });
    assert.equal((await s.scrape()).body.toString(), 'tls 1\n');
    s.close();
  });

  it('rejects an unknown CA unless insecure_skip_verify', async () => {
    const bad = scraper(`https://127.0.0.1:${port}/metrics`);
    await assert.rejects(bad.scrape(), /self-signed certificate/);
    bad.close();
    const ok = scraper(`https://127.0.0.1:${port}/metrics`, { http: { tls: { insecureSkipVerify: true } } });
    assert.equal((await ok.scrape()).body.toString(), 'tls 1\n');
    ok.close();
  });
});
