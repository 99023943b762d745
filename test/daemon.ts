// Starts a server binary for tests (nats-server, redis-server, …): its own free loopback port and
// directory, bounded waits for the line it logs when ready, and stop/restart on the same port and
// directory (an outage and a rescheduled server). Never the machine's own instance.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** `$<env>`, else `name` when it is on PATH, else `fallback` (a Debian path not on every PATH). */
export function findBinary(env: string, name: string, fallback: string): string {
  const fromEnv = process.env[env];
  if (fromEnv) return fromEnv;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return dirs.some((d) => existsSync(join(d, name))) ? name : fallback;
}

/** A port that was free a moment ago: the OS picks it, we release it for the server to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface DaemonOptions {
  /** For messages, e.g. "nats-server". */
  readonly name: string;
  readonly bin: string;
  /** Debian's package, named when the binary cannot run. */
  readonly debianPackage: string;
  readonly args: (port: number, dir: string) => string[];
  /** What it logs once it serves. */
  readonly readyLine: string;
  readonly timeoutMs?: number;
}

export interface Daemon {
  readonly port: number;
  /** Its own directory, kept across restarts. */
  readonly dir: string;
  /** What it logged, across restarts (for failure messages). */
  log(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it is ready. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  cleanup(): Promise<void>;
}

const LOG_LIMIT = 64 * 1024;

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const dir = mkdtempSync(join(tmpdir(), `strata-${opts.name.replace(/-server$/, '')}-`));
  let log = '';
  let child: ChildProcess | undefined;

  const launch = (port: number): Promise<void> => {
    const p = spawn(opts.bin, opts.args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`${opts.name} on port ${port} was not ready within ${timeoutMs}ms\n${log}`));
      }, timeoutMs);
      const onData = (d: Buffer): void => {
        log = (log + d.toString()).slice(-LOG_LIMIT);
        if (!ready && log.includes(opts.readyLine)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      p.stdout?.on('data', onData);
      p.stderr?.on('data', onData);
      p.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${opts.bin} (install Debian's ${opts.debianPackage} package, as .ci/run does): ${err.message}`));
      });
      p.on('exit', (code, signal) => {
        if (ready) return;
        clearTimeout(timer);
        reject(new Error(`${opts.name} on port ${port} exited before it was ready (${code ?? signal})\n${log}`));
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
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  return {
    port,
    dir,
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
