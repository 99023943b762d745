// Starts a real redis-server for tests on its own free loopback port, without persistence, and
// can stop and restart it on the same port (an outage). Never the machine's own Redis on 6379.
import { findBinary, startDaemon, type Daemon } from './daemon.ts';

/** The binary: $REDIS_SERVER, else redis-server from PATH, else Debian's /usr/bin/redis-server. */
export const REDIS_SERVER_BIN = findBinary('REDIS_SERVER', 'redis-server', '/usr/bin/redis-server');

export interface RedisServer extends Daemon {
  /** 127.0.0.1:<port>, the same across restarts. */
  readonly endpoint: string;
}

/** Starts `redis-server` on 127.0.0.1:<free port> and waits (at most `timeoutMs`) until it accepts connections. */
export async function startRedisServer(opts: { timeoutMs?: number } = {}): Promise<RedisServer> {
  const d = await startDaemon({
    name: 'redis-server',
    bin: REDIS_SERVER_BIN,
    debianPackage: 'redis-server',
    args: (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes'],
    readyLine: 'Ready to accept connections',
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { ...d, endpoint: `127.0.0.1:${d.port}` };
}
