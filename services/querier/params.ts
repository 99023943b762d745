// Request parameters of the Prometheus HTTP API, parsed as Prometheus' web/api/v1 parses them:
// times as unix seconds or RFC3339, durations as seconds or Prometheus durations, and `limit`.
// Errors carry Prometheus' messages; the handler adds the `invalid parameter "x": ` prefix.

import { goQuote } from '../../libs/model/index.ts';
import { parseDuration as parsePromDuration } from '../../libs/services/index.ts';

export class ParamError extends Error {
  override readonly name = 'ParamError';
}

/**
 * Prometheus' defaults for open time ranges (web/api/v1 MinTime/MaxTime), in ms. As doubles they
 * are rounded, which is harmless: they only bound ranges.
 */
export const MIN_TIME = (-9223372036854775808n / 1000n + 62135596801n) * 1000n;
export const MAX_TIME = (9223372036854775807n / 1000n - 62135596801n) * 1000n + 999n;
export const MIN_TIME_MS = Number(MIN_TIME);
export const MAX_TIME_MS = Number(MAX_TIME);
// How Go prints them in RFC3339 (years beyond 9999): clients send these strings back.
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

// Go's strconv.ParseFloat in base 10: no whitespace, no underscores; inf/infinity/nan in any case.
const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^(?:[+-]?(?:inf|infinity)|nan)$/i;

/** A float as Go's strconv.ParseFloat reads it, or undefined (also for out-of-range values). */
export function parseGoFloat(s: string): number | undefined {
  if (DECIMAL_FLOAT.test(s)) {
    const f = Number(s);
    // Go reports a range error for finite text that overflows.
    return Number.isFinite(f) ? f : undefined;
  }
  if (SPECIAL_FLOAT.test(s)) {
    const l = s.toLowerCase();
    return l === 'nan' ? NaN : l.startsWith('-') ? -Infinity : Infinity;
  }
  return undefined;
}

// RFC3339 with optional fractional seconds, as Go's time.Parse(time.RFC3339Nano) accepts it.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Milliseconds since the epoch for an RFC3339 timestamp, or undefined. Sub-millisecond digits are truncated. */
export function parseRFC3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, min, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return undefined;
  const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > dim || hour > 23 || min > 59 || sec > 59) return undefined;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  // Fractions are floored to milliseconds, as timestamp.FromTime does with nanoseconds.
  const frac = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  return d.getTime() + frac - offset;
}

/** Go's math.Round: half away from zero. */
function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Prometheus' parseTime: unix seconds (float, millisecond precision) or RFC3339; ms since the epoch. */
export function parseTime(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined && Number.isFinite(f)) {
    const whole = Math.trunc(f);
    return whole * 1000 + goRound((f - whole) * 1000);
  }
  const t = parseRFC3339(s);
  if (t !== undefined) return t;
  if (s === MIN_TIME_FORMATTED) return MIN_TIME_MS;
  if (s === MAX_TIME_FORMATTED) return MAX_TIME_MS;
  throw new ParamError(`cannot parse ${goQuote(s)} to a valid timestamp`);
}

/** Prometheus' parseTimeParam: the default when absent or empty. */
export function parseTimeParam(value: string | undefined, name: string, def: number): number {
  if (value === undefined || value === '') return def;
  try {
    return parseTime(value);
  } catch (e) {
    if (e instanceof ParamError) throw new ParamError(`invalid time value for '${name}': ${e.message}`);
    throw e;
  }
}

const MAX_INT64_NS = 9223372036854775807;

/**
 * Prometheus' parseDuration: float seconds or a Prometheus duration ("5m", "1h30m"), in ms. The
 * result keeps sub-millisecond precision (Go keeps nanoseconds); callers round where they need to.
 */
export function parseDuration(s: string): number {
  const f = parseGoFloat(s);
  if (f !== undefined && !Number.isNaN(f)) {
    const ns = f * 1e9;
    if (ns > MAX_INT64_NS || ns < -MAX_INT64_NS) {
      throw new ParamError(`cannot parse ${goQuote(s)} to a valid duration. It overflows int64`);
    }
    // Go truncates to whole nanoseconds.
    return Math.trunc(ns) / 1e6;
  }
  const d = parsePromDuration(s);
  if (d !== undefined) return d;
  throw new ParamError(`cannot parse ${goQuote(s)} to a valid duration`);
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Go's strconv.Atoi on a 64-bit platform, with its error messages. */
export function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new ParamError(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > INT64_MAX || n < INT64_MIN) throw new ParamError(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return Number(n);
}

/** Prometheus' parseLimitParam: 0 (no limit) when absent; non-negative otherwise. */
export function parseLimit(s: string | undefined): number {
  if (s === undefined || s === '') return 0;
  const n = atoi(s);
  if (n < 0) throw new ParamError('limit must be non-negative');
  return n;
}
