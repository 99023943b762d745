// The process' root logger: pino to stdout as JSON lines ({level, time, msg, component, …}) or logfmt.
import { writeSync } from 'node:fs';
import { pino } from 'pino';
import type { Logger } from '../../libs/log/index.ts';

export interface LoggingConfig {
  readonly log_level: string;
  readonly log_format: 'json' | 'logfmt';
}

/** Writes synchronously so that the last lines before process.exit() are never lost. */
export function createRootLogger(config: LoggingConfig, fd = 1): Logger {
  const write =
    config.log_format === 'logfmt'
      ? (line: string) => writeSync(fd, toLogfmt(line))
      : (line: string) => writeSync(fd, line);
  return pino(
    {
      level: config.log_level,
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write },
  );
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

/** One pino JSON line as logfmt, keeping level, time, component and msg first. */
export function toLogfmt(line: string): string {
  const rec = JSON.parse(line) as Record<string, unknown>;
  const first = ['level', 'time', 'component', 'msg'];
  const parts: string[] = [];
  for (const k of first) if (rec[k] !== undefined) parts.push(`${k === 'time' ? 'ts' : k}=${logfmtValue(rec[k])}`);
  for (const [k, v] of Object.entries(rec)) if (!first.includes(k)) parts.push(`${k}=${logfmtValue(v)}`);
  return `${parts.join(' ')}\n`;
}
