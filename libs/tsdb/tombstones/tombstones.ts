// A block's tombstones file (format v1): deleted time intervals per series ref.
// magic <4b> | version <1b> | (ref <uvarint64>, mint <varint64>, maxt <varint64>)* | CRC32C <4b>,
// the CRC covering the entries but not the version byte (Prometheus' quirk, kept for compatibility).

import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../encoding/index.ts';

export const TOMBSTONES_FILENAME = 'tombstones';
export const MAGIC_TOMBSTONE = 0x0130ba30;
export const TOMBSTONE_FORMAT_V1 = 1;

/** A closed interval [mint, maxt] of deleted samples, in ms. */
export interface Interval {
  mint: number;
  maxt: number;
}

/** Deleted intervals per series ref; each list sorted and non-overlapping. */
export type Tombstones = Map<number, Interval[]>;

export class TombstonesError extends Error {
  override readonly name = 'TombstonesError';
}

// Timestamps are int64 on disk. Prometheus uses MinInt64/MaxInt64 for "since/until forever",
// which are not safe integers: they read as -2^63 / 2^63, and anything at or beyond those
// (including ±Infinity) writes back as MinInt64 / MaxInt64.
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

function toInt64(v: number): bigint {
  if (Number.isNaN(v)) throw new TombstonesError('tombstone time is NaN');
  if (v <= -(2 ** 63)) return MIN_INT64;
  if (v >= 2 ** 63) return MAX_INT64;
  if (!Number.isInteger(v)) throw new TombstonesError(`tombstone time ${v} is not an integer`);
  return BigInt(v);
}

/**
 * Adds `n` to sorted, non-overlapping `ivs` in place, merging overlapping and adjacent
 * intervals (time is discrete, so [1,2] and [3,4] become [1,4]), as Prometheus' Intervals.Add.
 */
export function addInterval(ivs: Interval[], n: Interval): Interval[] {
  let lo = 0;
  while (lo < ivs.length && ivs[lo]!.maxt < n.mint - 1) lo++;
  let hi = lo;
  while (hi < ivs.length && ivs[hi]!.mint <= n.maxt + 1) hi++;
  if (lo === hi) {
    ivs.splice(lo, 0, { mint: n.mint, maxt: n.maxt });
    return ivs;
  }
  const merged = { mint: Math.min(n.mint, ivs[lo]!.mint), maxt: Math.max(n.maxt, ivs[hi - 1]!.maxt) };
  ivs.splice(lo, hi - lo, merged);
  return ivs;
}

/** The file's bytes; series in ascending ref order so the output is deterministic. */
export function encodeTombstones(t: Tombstones): Uint8Array {
  const parts: number[] = [0x01, 0x30, 0xba, 0x30, TOMBSTONE_FORMAT_V1];
  const refs = [...t.keys()].sort((a, b) => a - b);
  for (const ref of refs) {
    if (!Number.isSafeInteger(ref) || ref < 0) throw new TombstonesError(`invalid series ref ${ref}`);
    for (const iv of t.get(ref)!) {
      putUvarint(parts, BigInt(ref));
      putVarint(parts, toInt64(iv.mint));
      putVarint(parts, toInt64(iv.maxt));
    }
  }
  const b = new Uint8Array(parts.length + 4);
  b.set(parts);
  const crc = crc32c(b, 5, parts.length);
  new DataView(b.buffer).setUint32(parts.length, crc, false);
  return b;
}

/** Parses the file's bytes, verifying magic, version and checksum. */
export function decodeTombstones(b: Uint8Array): Tombstones {
  if (b.length < 5 + 4) throw new TombstonesError(`tombstones file too small (${b.length} bytes)`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic !== MAGIC_TOMBSTONE) throw new TombstonesError(`invalid magic number ${magic.toString(16)}`);
  const end = b.length - 4;
  if (crc32c(b, 5, end) !== dv.getUint32(end, false)) throw new TombstonesError('checksum did not match');
  if (b[4] !== TOMBSTONE_FORMAT_V1) throw new TombstonesError(`invalid tombstone format ${b[4]!.toString(16)}`);
  const t: Tombstones = new Map();
  const pos = { off: 5 };
  while (pos.off < end) {
    const ref = Number(getUvarint(b, pos, end));
    const mint = Number(zigzag(getUvarint(b, pos, end)));
    const maxt = Number(zigzag(getUvarint(b, pos, end)));
    let ivs = t.get(ref);
    if (ivs === undefined) t.set(ref, (ivs = []));
    addInterval(ivs, { mint, maxt });
  }
  return t;
}

/** Reads `<dir>/tombstones`; a missing file means no tombstones, as in Prometheus. */
export async function readTombstones(dir: string): Promise<Tombstones> {
  const path = join(dir, TOMBSTONES_FILENAME);
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  try {
    return decodeTombstones(b);
  } catch (e) {
    if (e instanceof TombstonesError) throw new TombstonesError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Writes `<dir>/tombstones` atomically (tmp file, fsync, rename). Returns the size in bytes. */
export async function writeTombstones(dir: string, t: Tombstones): Promise<number> {
  const path = join(dir, TOMBSTONES_FILENAME);
  const tmp = path + '.tmp';
  const bytes = encodeTombstones(t);
  const f = await open(tmp, 'w');
  try {
    await f.writeFile(bytes);
    await f.sync();
  } catch (e) {
    await f.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await f.close();
  await rename(tmp, path);
  // Persist the rename itself.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return bytes.length;
}

function putUvarint(out: number[], v: bigint): void {
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function putVarint(out: number[], v: bigint): void {
  putUvarint(out, v >= 0n ? v << 1n : (-v << 1n) - 1n);
}

function getUvarint(b: Uint8Array, pos: { off: number }, end: number): bigint {
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos.off >= end) throw new TombstonesError(`truncated varint at offset ${pos.off}`);
    const c = b[pos.off++]!;
    v |= BigInt(c & 0x7f) << shift;
    if (c < 0x80) return v;
    shift += 7n;
  }
  throw new TombstonesError(`varint overflow at offset ${pos.off}`);
}

function zigzag(u: bigint): bigint {
  return u & 1n ? -((u + 1n) >> 1n) : u >> 1n;
}
