// Structured logging (pino). Libraries take a `Logger` and default to `nopLogger`.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({ level: opts.level ?? 'info', base: opts.name ? { component: opts.name } : {} });
}

export const nopLogger: Logger = pino({ enabled: false });
