// A real remote-write receiver on loopback for the agent's tests: decodes every request with
// libs/remotewrite, records samples per series in arrival order, and answers as a test tells it.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WriteRequestDecoder, snappyDecode } from '../../../libs/remotewrite/index.ts';

export interface Received {
  t: number;
  v: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export class TestReceiver {
  private server: Server | undefined;
  private readonly decoder = new WriteRequestDecoder();
  port = 0;
  /** Samples stored (2xx answers only), by series text form, in arrival order. */
  readonly series = new Map<string, Received[]>();
  /** Headers of every request, answered or not. */
  readonly requests: IncomingHttpHeaders[] = [];
  /** Metadata entries received (2xx answers only). */
  readonly metadata: { type: number; family: string; help: string; unit: string }[] = [];
  /** Samples per request (every request, whatever the answer). */
  readonly requestSamples: number[] = [];
  /** Decides the answer to each request (default 200); called before the samples are stored. */
  reply: (n: number, headers: IncomingHttpHeaders) => Reply = () => ({ status: 200 });

  async start(port = 0): Promise<void> {
    const srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = this.requests.length;
        this.requests.push(req.headers);
        const body = Buffer.concat(chunks);
        const r = this.decoder.decode(snappyDecode(new Uint8Array(body.buffer, body.byteOffset, body.length)));
        let count = 0;
        for (let s = 0; s < r.seriesCount; s++) count += r.sampleStart[s + 1]! - r.sampleStart[s]!;
        this.requestSamples.push(count);
        const rep = this.reply(n, req.headers);
        if (rep.status >= 200 && rep.status < 300) {
          for (let m = 0; m < r.metadataCount; m++) {
            this.metadata.push({ type: r.metadataType[m]!, family: r.metadataFamilyName[m]!, help: r.metadataHelp[m]!, unit: r.metadataUnit[m]! });
          }
          for (let s = 0; s < r.seriesCount; s++) {
            const key = r.labels(s).toString();
            let list = this.series.get(key);
            if (!list) this.series.set(key, (list = []));
            for (let k = r.sampleStart[s]!; k < r.sampleStart[s + 1]!; k++) list.push({ t: r.sampleTimestamps[k]!, v: r.sampleValues[k]! });
          }
        }
        res.writeHead(rep.status, rep.headers ?? {});
        res.end(rep.body ?? '');
      });
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = srv;
    this.port = (srv.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/v1/push`;
  }

  /** Stops listening and drops open connections (an outage). */
  async close(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    if (!srv) return;
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }

  total(): number {
    let n = 0;
    for (const l of this.series.values()) n += l.length;
    return n;
  }
}

/** Polls `cond` every 10 ms until it holds; throws after `timeoutMs` with `what`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
