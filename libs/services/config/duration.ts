// Prometheus durations ("2h", "1h30m", "15s", "500ms") as integer milliseconds, both ways.

const UNITS = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
] as const;

// Units must appear in this order, each at most once, as in Prometheus' model.ParseDuration.
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds for a Prometheus duration, or undefined if `s` is not one. "0" is allowed. */
export function parseDuration(s: string): number | undefined {
  if (s === '0') return 0;
  if (s === '') return undefined;
  const m = DURATION_RE.exec(s);
  if (!m) return undefined;
  let ms = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const g = m[i + 1];
    if (g !== undefined) ms += Number(g) * UNITS[i]![1];
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest Prometheus spelling of `ms` ("1h30m"); "0s" for zero. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
