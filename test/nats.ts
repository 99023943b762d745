// Starts a real nats-server with JetStream for tests: its own free loopback port and store dir,
// bounded waits, and restarts on the same port and store (as a crashed and rescheduled server).
// Never the machine's own server on 4222: each test gets a server nobody else writes to.
import { findBinary, startDaemon, type Daemon } from './daemon.ts';

/** The binary: $NATS_SERVER, else nats-server from PATH, else Debian's /usr/sbin/nats-server (not on every PATH). */
export const NATS_SERVER_BIN = findBinary('NATS_SERVER', 'nats-server', '/usr/sbin/nats-server');

export interface NatsServer extends Daemon {
  /** nats://127.0.0.1:<port>, the same across restarts. */
  readonly url: string;
  /** The JetStream store dir, kept across restarts. */
  readonly storeDir: string;
}

/**
 * Starts `nats-server -js -a 127.0.0.1 -p <free port> -sd <tmpdir>` and waits (at most
 * `timeoutMs`) for "Server is ready", which it logs once JetStream is up.
 */
export async function startNatsServer(opts: { timeoutMs?: number } = {}): Promise<NatsServer> {
  const d = await startDaemon({
    name: 'nats-server',
    bin: NATS_SERVER_BIN,
    debianPackage: 'nats-server',
    args: (port, dir) => ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir],
    readyLine: 'Server is ready',
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { ...d, url: `nats://127.0.0.1:${d.port}`, storeDir: d.dir };
}
