// Starts a real S3-compatible server for tests and `strata tool local-cluster --s3`: s3rver 3.7
// (npm, a devDependency) in a child process, on a given or free loopback port, with its own data
// directory and bounded waits. s3rver speaks S3's REST API (path and virtual-hosted style, ListObjectsV2, multipart
// uploads, ranges; it checks the access key id but not SigV4 signatures). What it gets wrong is
// worked around here, each in one place:
// - its ListObjectsV2 continuation tokens use DES, which Node 20's OpenSSL 3 has only in the legacy
//   provider: the child runs with --openssl-legacy-provider;
// - with a delimiter it does not descend into directories below a would-be common prefix, so
//   "a/" is missing for an object "a/b/c" without one at "a/x": the child walks every directory;
// - a ranged GET of an empty object answers 206 with Content-Length 1 and no body (the connection
//   aborts) where S3 answers 416: the child answers 416;
// - it writes an object in place, content and metadata in two files, so concurrent overwrites of
//   one key can mix and a reader can see a partial object: unlike S3's PUT it is not atomic, and
//   the acceptance suite's concurrent-overwrite test is skipped against it;
// - it lists keys in its directory-walk order, not byte order ("a/x" before "a"); S3Bucket sorts
//   each page, so one page is right; across pages keys can be skipped when an object and a prefix
//   share a name, so the paging test avoids such names.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** The credentials s3rver accepts (it checks the key id; it does not verify SigV4 signatures). */
export const S3RVER_ACCESS_KEY_ID = 'S3RVER';
export const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';

export interface S3Server {
  /** 127.0.0.1:<port>: blocks_storage.s3.endpoint, with insecure: true. */
  readonly endpoint: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /** s3rver's log: one line per request ("PUT /bucket/key?uploadId=… 200 …"), for assertions and failures. */
  log(): string;
  /** Creates an empty bucket. */
  createBucket(name: string): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after `timeoutMs`); the data stays. */
  stop(timeoutMs?: number): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after `timeoutMs`) and removes its data. */
  cleanup(timeoutMs?: number): Promise<void>;
}

// Runs in the child: patches the bugs above, starts s3rver on port 0 and prints the port it got.
const MAIN = `
const path = require('node:path');
const lib = path.dirname(process.argv[1]);
const utils = require(path.join(lib, 'utils.js'));
const walk = utils.walk;
// Before the store module takes its copy of walk: ignore the recursion filter (an optimisation).
utils.walk = (dir) => walk(dir);
const FilesystemStore = require(path.join(lib, 'stores', 'filesystem.js'));
const getObject = FilesystemStore.prototype.getObject;
FilesystemStore.prototype.getObject = async function (bucket, key, options) {
  const object = await getObject.call(this, bucket, key, options);
  if (object && object.range && object.size === 0 && object.content) {
    object.content.destroy();
    object.content = null;
  }
  return object;
};
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: Number(process.argv[3] || 0), directory: process.argv[2], silent: false });
server.run().then(
  (addr) => console.log('s3rver ready on port ' + addr.port),
  (err) => { console.error(err); process.exit(1); },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
`;

const LOG_LIMIT = 256 * 1024;

/** `port` 0 (the default) lets the OS pick; `dataDir` defaults to a new temporary directory. */
export async function startS3Server(opts: { timeoutMs?: number; port?: number; dataDir?: string } = {}): Promise<S3Server> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-s3-'));
  mkdirSync(dataDir, { recursive: true });
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  let log = '';
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', MAIN, s3rverPath, dataDir, String(opts.port ?? 0)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const stop = async (stopTimeoutMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver was not ready within ${timeoutMs}ms\n${log}`)), timeoutMs);
      const onData = (d: Buffer): void => {
        log = (log + d.toString()).slice(-LOG_LIMIT);
        const m = /s3rver ready on port (\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited before it was ready (${code ?? signal})\n${log}`));
      });
    });
  } catch (err) {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  const endpoint = `127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    dataDir,
    pid: child.pid ?? 0,
    log: () => log,
    async createBucket(name: string): Promise<void> {
      const client = new S3Client({
        endpoint: `http://${endpoint}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY },
        maxAttempts: 1,
      });
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
    },
    stop,
    async cleanup(stopTimeoutMs?: number): Promise<void> {
      await stop(stopTimeoutMs);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
