// The HTTP side of one remote-write endpoint: POSTs a snappy-compressed WriteRequest with the
// remote-write 1.0 headers and classifies the outcome per the remote-write spec: 2xx stored, 5xx
// and network errors recoverable (retried), 429 recoverable when configured, other 4xx final.

import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RemoteWriteConfig } from '../config.ts';

export const USER_AGENT = 'Strata-Agent/0.1';

/** A failure worth retrying; `retryAfter` (ms) from the response's Retry-After header. */
export class RecoverableError extends Error {
  override readonly name = 'RecoverableError';
  constructor(
    message: string,
    readonly retryAfter?: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A failure that resending cannot fix (4xx other than a retried 429): the batch is dropped. */
export class NonRecoverableError extends Error {
  override readonly name = 'NonRecoverableError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Parses Retry-After: delay-seconds or an HTTP date; ms from `now`, undefined when absent or bad. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

const MAX_ERROR_BODY = 1024;

export class WriteClient {
  private agent: HttpAgent | undefined;
  private readonly url: URL;
  private readonly headers: Record<string, string>;

  constructor(private readonly cfg: RemoteWriteConfig) {
    this.url = new URL(cfg.url);
    const h: Record<string, string> = {};
    // Configured headers first: the protocol's own headers must not be overridden (as Prometheus refuses).
    for (const [k, v] of Object.entries(cfg.headers)) h[k] = v;
    h['Content-Encoding'] = 'snappy';
    h['Content-Type'] = 'application/x-protobuf';
    h['X-Prometheus-Remote-Write-Version'] = '0.1.0';
    h['User-Agent'] = USER_AGENT;
    const auth = cfg.http.basicAuth;
    if (auth) h['Authorization'] = 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
    else if (cfg.http.bearerToken) h['Authorization'] = `Bearer ${cfg.http.bearerToken}`;
    this.headers = h;
  }

  /** Reads TLS files and creates the keep-alive agent (I/O, so not in the constructor). */
  open(): void {
    if (this.agent) return;
    if (this.url.protocol === 'https:') {
      const t = this.cfg.http.tls;
      this.agent = new HttpsAgent({
        keepAlive: true,
        rejectUnauthorized: !t.insecureSkipVerify,
        ...(t.caFile ? { ca: readFileSync(t.caFile) } : {}),
        ...(t.certFile ? { cert: readFileSync(t.certFile) } : {}),
        ...(t.keyFile ? { key: readFileSync(t.keyFile) } : {}),
        ...(t.serverName ? { servername: t.serverName } : {}),
      });
    } else {
      this.agent = new HttpAgent({ keepAlive: true });
    }
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  /** Sends one request body (already snappy-compressed). Throws RecoverableError / NonRecoverableError. */
  store(body: Uint8Array, signal?: AbortSignal): Promise<void> {
    this.open();
    const https = this.url.protocol === 'https:';
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const req = (https ? httpsRequest : httpRequest)(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.headers, 'Content-Length': String(body.length) },
      });
      const timer = setTimeout(() => {
        req.destroy(new RecoverableError(`remote write to ${this.url.href} timed out after ${this.cfg.remoteTimeout}ms`));
      }, this.cfg.remoteTimeout);
      const onAbort = () => req.destroy(new RecoverableError('remote write aborted'));
      signal?.addEventListener('abort', onAbort);
      req.on('error', (err) => finish(err instanceof RecoverableError ? err : new RecoverableError(`remote write to ${this.url.href}: ${err.message}`)));
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('error', (err) => finish(new RecoverableError(err.message)));
        res.on('end', () => {
          if (status >= 200 && status < 300) return finish();
          const msg = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY).trim();
          const text = `server returned HTTP status ${status} ${res.statusMessage ?? ''}: ${msg}`.trim();
          if (status >= 500 || (status === 429 && this.cfg.queue.retryOnHttp429)) {
            const ra = parseRetryAfter(res.headers['retry-after'] as string | undefined);
            return finish(new RecoverableError(text, ra, status));
          }
          finish(new NonRecoverableError(text, status));
        });
      });
      req.end(body);
    });
  }
}
