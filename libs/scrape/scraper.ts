// One target's HTTP scrape: a GET with Prometheus' headers over a keep-alive agent, the body read
// whole (gunzipped, size-limited) within the scrape timeout, and the exposition format it is in.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ExpositionFormat } from '../exposition/index.ts';
import type { HTTPClientConfig } from './config.ts';

/** Prometheus 3's default `scrape_protocols` as an Accept header (no protobuf: we parse text only). */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,' +
  'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';

export const ScrapeErrorCode = {
  Timeout: 'scrape_timeout',
  BodySizeLimit: 'body_size_limit',
  HTTPStatus: 'http_status',
  Transport: 'transport',
} as const;
export type ScrapeErrorCode = (typeof ScrapeErrorCode)[keyof typeof ScrapeErrorCode];

export class ScrapeError extends Error {
  override readonly name = 'ScrapeError';
  constructor(
    readonly code: ScrapeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ScraperOptions {
  readonly url: string;
  /** ms; the whole request including the body. */
  readonly timeout: number;
  /** Bytes of (decompressed) body; 0 means no limit. */
  readonly bodySizeLimit: number;
  readonly http: HTTPClientConfig;
  readonly userAgent: string;
}

export interface ScrapeResponse {
  readonly body: Buffer;
  readonly format: ExpositionFormat;
  readonly contentType: string;
}

/** Scrapes one URL. Constructing does no I/O; the TLS files are read at the first scrape. */
export class HTTPScraper {
  readonly #opts: ScraperOptions;
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  #agent: http.Agent | undefined;

  constructor(opts: ScraperOptions) {
    this.#opts = opts;
    this.#url = new URL(opts.url);
    const h: Record<string, string> = {
      accept: SCRAPE_ACCEPT_HEADER,
      'accept-encoding': 'gzip',
      'user-agent': opts.userAgent,
      'x-prometheus-scrape-timeout-seconds': String(opts.timeout / 1000),
    };
    const auth = opts.http.basicAuth;
    if (auth) h.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    else if (opts.http.bearerToken) h.authorization = `Bearer ${opts.http.bearerToken}`;
    this.#headers = h;
  }

  async #getAgent(): Promise<http.Agent> {
    if (this.#agent) return this.#agent;
    if (this.#url.protocol === 'https:') {
      const t = this.#opts.http.tls;
      const [ca, cert, key] = await Promise.all([t.caFile, t.certFile, t.keyFile].map((f) => (f ? readFile(f) : Promise.resolve(undefined))));
      this.#agent = new https.Agent({
        keepAlive: true,
        maxSockets: 1,
        rejectUnauthorized: !t.insecureSkipVerify,
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(t.serverName ? { servername: t.serverName } : {}),
      });
    } else {
      this.#agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
    return this.#agent;
  }

  /** One GET. Rejects with ScrapeError (timeout, status, size) or the transport's error. */
  async scrape(signal?: AbortSignal): Promise<ScrapeResponse> {
    const agent = await this.#getAgent();
    const mod = this.#url.protocol === 'https:' ? https : http;
    const { timeout, bodySizeLimit } = this.#opts;
    return new Promise<ScrapeResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(err);
      };
      const req = mod.request(this.#url, { method: 'GET', agent, headers: this.#headers });
      const timer = setTimeout(() => fail(new ScrapeError(ScrapeErrorCode.Timeout, `scrape timed out after ${timeout / 1000}s (context deadline exceeded)`)), timeout);
      const onAbort = (): void => fail(new ScrapeError(ScrapeErrorCode.Transport, 'scrape aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => fail(new ScrapeError(ScrapeErrorCode.Transport, `Get "${this.#opts.url}": ${err.message}`, { cause: err })));
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          fail(new ScrapeError(ScrapeErrorCode.HTTPStatus, `server returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd()));
          return;
        }
        const contentType = res.headers['content-type'] ?? '';
        let stream: Readable = res;
        if ((res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
          const gz = createGunzip();
          gz.on('error', (err) => fail(new ScrapeError(ScrapeErrorCode.Transport, `error decompressing body: ${err.message}`, { cause: err })));
          stream = res.pipe(gz);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (bodySizeLimit > 0 && size > bodySizeLimit) {
            stream.destroy();
            fail(new ScrapeError(ScrapeErrorCode.BodySizeLimit, `body size limit exceeded (${bodySizeLimit} bytes)`));
            return;
          }
          chunks.push(c);
        });
        stream.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          resolve({ body, format: formatOf(contentType), contentType });
        });
        res.on('error', (err) => fail(new ScrapeError(ScrapeErrorCode.Transport, `error reading body: ${err.message}`, { cause: err })));
      });
      req.end();
    });
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }
}

/** `openmetrics` for application/openmetrics-text, else the Prometheus text format. */
export function formatOf(contentType: string): ExpositionFormat {
  return /^\s*application\/openmetrics-text/i.test(contentType) ? 'openmetrics' : 'prometheus';
}
