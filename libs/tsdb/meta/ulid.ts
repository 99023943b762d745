// ULIDs name blocks: 26 Crockford base32 characters, a 48-bit millisecond timestamp then 80
// random bits (https://github.com/ulid/spec), sortable by creation time.

import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DECODE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    t[ALPHABET.charCodeAt(i)] = i;
    t[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  return t;
})();
const MAX_TIME = 2 ** 48 - 1;
const ULID_LEN = 26;
const TIME_LEN = 10;

/** A new ULID for `timeMs` (default now), with 80 bits from the system CSPRNG. Not monotonic within a millisecond. */
export function newULID(timeMs: number = Date.now()): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_TIME) throw new RangeError(`ULID time ${timeMs} out of range [0, 2^48)`);
  const chars = new Array<string>(ULID_LEN);
  let t = timeMs;
  for (let i = TIME_LEN - 1; i >= 0; i--) {
    chars[i] = ALPHABET[t % 32]!;
    t = Math.floor(t / 32);
  }
  // 16 characters of 5 random bits each: exactly 80 random bits.
  const rnd = randomFillSync(new Uint8Array(ULID_LEN - TIME_LEN));
  for (let i = 0; i < rnd.length; i++) chars[TIME_LEN + i] = ALPHABET[rnd[i]! & 31]!;
  return chars.join('');
}

/** Whether `s` is a well-formed ULID (case-insensitive, as oklog/ulid parses). */
export function isULID(s: string): boolean {
  if (s.length !== ULID_LEN) return false;
  for (let i = 0; i < ULID_LEN; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || DECODE[c]! < 0) return false;
  }
  // The first character carries only the top 3 bits of the 128-bit value.
  return DECODE[s.charCodeAt(0)]! <= 7;
}

/** The millisecond timestamp of a ULID; throws on a malformed one. */
export function ulidTime(ulid: string): number {
  if (!isULID(ulid)) throw new Error(`invalid ULID ${JSON.stringify(ulid)}`);
  let t = 0;
  for (let i = 0; i < TIME_LEN; i++) t = t * 32 + DECODE[ulid.charCodeAt(i)]!;
  return t;
}
