// Starts a real nats-server with JetStream for tests: its own free loopback port and store dir,
// bounded waits, and restarts on the same port and store (as a crashed and rescheduled server).
// Never the machine's own server on 4222: each test gets a server nobody else writes to.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The binary: $NATS_SERVER, else nats-server from PATH, else Debian's /usr/sbin/nats-server (not on every PATH). */
export const NATS_SERVER_BIN = process.env.NATS_SERVER ?? findNatsServer();

function findNatsServer(): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return dirs.some((d) => existsSync(join(d, 'nats-server'))) ? 'nats-server' : '/usr/sbin/nats-server';
}

export interface NatsServer {
  /** nats://127.0.0.1:<port>, the same across restarts. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** What the server logged, across restarts (for failure messages). */
  log(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. The store dir is kept. */
  stop(timeoutMs?: number): Promise<void>;
  /** Starts it again on the same port and store dir; resolves once it is ready. */
  restart(): Promise<void>;
  /** Stops it and removes the store dir. */
  cleanup(): Promise<void>;
}

/** A port that was free a moment ago: the OS picks it, we release it for nats-server to take. */
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

/**
 * Starts `nats-server -js -a 127.0.0.1 -p <free port> -sd <tmpdir>` and waits (at most
 * `timeoutMs`) for "Server is ready", which it logs once JetStream is up.
 */
export async function startNatsServer(opts: { timeoutMs?: number } = {}): Promise<NatsServer> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const storeDir = mkdtempSync(join(tmpdir(), 'strata-nats-'));
  let log = '';
  let child: ChildProcess | undefined;

  const launch = (port: number): Promise<void> => {
    const p = spawn(NATS_SERVER_BIN, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`nats-server on port ${port} was not ready within ${timeoutMs}ms\n${log}`));
      }, timeoutMs);
      const onData = (d: Buffer): void => {
        log = (log + d.toString()).slice(-LOG_LIMIT);
        if (!ready && log.includes('Server is ready')) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      p.stdout?.on('data', onData);
      p.stderr?.on('data', onData);
      p.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${NATS_SERVER_BIN} (install Debian's nats-server package, as .ci/run does): ${err.message}`));
      });
      p.on('exit', (code, signal) => {
        if (ready) return;
        clearTimeout(timer);
        reject(new Error(`nats-server on port ${port} exited before it was ready (${code ?? signal})\n${log}`));
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

  // Another process may take the port between freePort() and the server's bind: try a few.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch(port);
      break;
    } catch (err) {
      await stop();
      if (attempt === 3) {
        rmSync(storeDir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    log: () => log,
    stop,
    restart: async () => {
      await stop();
      await launch(port);
    },
    cleanup: async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
