// Starts a real redis-server for tests on its own free loopback port, without persistence, and
// can stop and restart it on the same port (an outage). Never the machine's own Redis on 6379.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The binary: $REDIS_SERVER, else redis-server from PATH, else Debian's /usr/bin/redis-server. */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER ?? findRedisServer();

function findRedisServer(): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return dirs.some((d) => existsSync(join(d, 'redis-server'))) ? 'redis-server' : '/usr/bin/redis-server';
}

export interface RedisServer {
  /** 127.0.0.1:<port>, the same across restarts. */
  readonly endpoint: string;
  readonly port: number;
  log(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  cleanup(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const LOG_LIMIT = 64 * 1024;

/** Starts `redis-server` on 127.0.0.1:<free port> and waits (at most `timeoutMs`) until it accepts connections. */
export async function startRedisServer(opts: { timeoutMs?: number } = {}): Promise<RedisServer> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'strata-redis-'));
  let log = '';
  let child: ChildProcess | undefined;

  const launch = (port: number): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes'];
    const p = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`redis-server on port ${port} was not ready within ${timeoutMs}ms\n${log}`));
      }, timeoutMs);
      const onData = (d: Buffer): void => {
        log = (log + d.toString()).slice(-LOG_LIMIT);
        if (!ready && log.includes('Ready to accept connections')) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      p.stdout?.on('data', onData);
      p.stderr?.on('data', onData);
      p.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${REDIS_SERVER_BIN} (install Debian's redis-server package, as .ci/run does): ${err.message}`));
      });
      p.on('exit', (code, signal) => {
        if (ready) return;
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${port} exited before it was ready (${code ?? signal})\n${log}`));
      });
    });
  };

  const stop = async (stopTimeoutMs = 10_000): Promise<void> => {
    const p = child;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };

  // Another process may take the port between freePort() and the bind: try a few.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch(port);
      break;
    } catch (err) {
      await stop();
      if (attempt === 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    log: () => log,
    stop,
    restart: async () => {
      await stop();
      await launch(port);
    },
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
