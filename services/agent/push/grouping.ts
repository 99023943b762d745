// The grouping key of a push, from the URL path after /metrics: `job/<job>{/<name>/<value>}`,
// where a `@base64` suffix on `job` or a label name marks its value as URL-safe base64 (RFC 4648
// §5, padding optional; a lone `=` is the empty value), as the Pushgateway reads it.
import { isValidLabelName } from '../../../libs/model/index.ts';
import { PushError, PushErrorReason } from './errors.ts';

const BASE64_SUFFIX = '@base64';
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A group's labels, sorted by name. Empty values are kept: they tell groups apart. */
export interface GroupingKey {
  readonly labels: readonly (readonly [name: string, value: string])[];
  /** Canonical text of the labels, the group's identity. */
  readonly id: string;
}

function decodeBase64(what: string, s: string): string {
  const trimmed = s.replace(/=+$/, '');
  // A 4n+1 long text cannot be base64 (Go's decoder refuses it too).
  if (!BASE64URL.test(trimmed) || trimmed.length % 4 === 1) {
    throw new PushError(PushErrorReason.InvalidGroupingKey, `invalid base64 encoding for ${what}: ${JSON.stringify(s)}`);
  }
  try {
    return UTF8.decode(Buffer.from(trimmed, 'base64url'));
  } catch {
    throw new PushError(PushErrorReason.InvalidGroupingKey, `base64 value of ${what} is not valid UTF-8`);
  }
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new PushError(PushErrorReason.InvalidGroupingKey, `invalid URL encoding in path segment ${JSON.stringify(s)}`);
  }
}

/**
 * Reads the path after `/metrics/` (raw, not yet URL-decoded, without the query string). Each
 * segment is URL-decoded on its own, so `%2F` stays inside a value.
 */
export function parseGroupingKey(rawPath: string): GroupingKey {
  const parts = rawPath.split('/');
  // A trailing slash adds nothing, as in the Pushgateway.
  if (parts.length > 2 && parts[parts.length - 1] === '') parts.pop();
  const head = decodeSegment(parts[0] ?? '');
  if (head !== 'job' && head !== `job${BASE64_SUFFIX}`) {
    throw new PushError(PushErrorReason.InvalidGroupingKey, 'the path must start with /metrics/job/<job>');
  }
  let job = decodeSegment(parts[1] ?? '');
  if (head !== 'job') job = decodeBase64('the job name', job);
  if (job === '') throw new PushError(PushErrorReason.MissingJob, 'job name is required');
  const rest = parts.slice(2);
  if (rest.length % 2 !== 0) {
    throw new PushError(PushErrorReason.InvalidGroupingKey, `odd number of components in label string ${JSON.stringify(`/${rest.join('/')}`)}`);
  }
  // Later pairs win, and the job from the path wins over a `job` pair, as in the Pushgateway.
  const labels = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const rawName = decodeSegment(rest[i]!);
    const base64 = rawName.endsWith(BASE64_SUFFIX);
    const name = base64 ? rawName.slice(0, -BASE64_SUFFIX.length) : rawName;
    if (!isValidLabelName(name) || name.startsWith('__')) {
      throw new PushError(PushErrorReason.InvalidGroupingKey, `improper label name ${JSON.stringify(name)}`);
    }
    let value = decodeSegment(rest[i + 1]!);
    if (base64) value = decodeBase64(`label ${name}`, value);
    // An empty plain segment is what `//` leaves; the Pushgateway's router would have collapsed it.
    else if (value === '') {
      throw new PushError(PushErrorReason.InvalidGroupingKey, `empty value for label ${name}: encode it as ${name}${BASE64_SUFFIX}/=`);
    }
    labels.set(name, value);
  }
  labels.set('job', job);
  const sorted = [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels: sorted, id: sorted.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(',') };
}
