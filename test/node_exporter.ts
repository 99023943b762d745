// Starts a real prometheus-node-exporter (Debian's package) for the agent's acceptance tests on its
// own free loopback port, with a textfile-collector directory the test fills with fixed metrics.
import { findBinary, startDaemon, type Daemon } from './daemon.ts';

export const NODE_EXPORTER_BIN = findBinary('NODE_EXPORTER', 'prometheus-node-exporter', '/usr/bin/prometheus-node-exporter');

export interface NodeExporter extends Daemon {
  /** 127.0.0.1:<port>, a scrape target. */
  readonly address: string;
  /** `--collector.textfile.directory`: `*.prom` files written here are exposed on the next scrape. */
  readonly textfileDir: string;
}

export async function startNodeExporter(opts: { timeoutMs?: number } = {}): Promise<NodeExporter> {
  let textfileDir = '';
  const d = await startDaemon({
    name: 'node-exporter',
    bin: NODE_EXPORTER_BIN,
    debianPackage: 'prometheus-node-exporter',
    args: (port, dir) => {
      textfileDir = dir;
      // Collectors that read hardware or systemd only add noise and time on a test machine.
      return [`--web.listen-address=127.0.0.1:${port}`, `--collector.textfile.directory=${dir}`, '--no-collector.systemd', '--no-collector.hwmon', '--no-collector.thermal_zone'];
    },
    readyLine: 'Listening on',
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { ...d, address: `127.0.0.1:${d.port}`, textfileDir };
}
