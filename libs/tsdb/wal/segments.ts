// On-disk layout shared by the WAL writer, reader and checkpoint: page and fragment constants,
// segment and checkpoint directory names, and the WAL's error classes.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PAGE_SIZE = 32 * 1024;
export const FRAGMENT_HEADER_SIZE = 7;
export const DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024;

/** Low 3 bits of a fragment's type byte. */
export const FragmentType = { PageTerm: 0, Full: 1, First: 2, Middle: 3, Last: 4 } as const;
export type FragmentType = (typeof FragmentType)[keyof typeof FragmentType];

export const SNAPPY_MASK = 1 << 3;
export const ZSTD_MASK = 1 << 4;
export const RESERVED_MASK = 0xe0;

export const CHECKPOINT_PREFIX = 'checkpoint.';
export const CHECKPOINT_TMP_SUFFIX = '.tmp';

/** A WAL segment file or checkpoint directory is named by its index with 8 digits. */
export function formatIndex(i: number): string {
  return String(i).padStart(8, '0');
}

export function segmentName(dir: string, i: number): string {
  return join(dir, formatIndex(i));
}

export interface SegmentRef {
  dir: string;
  index: number;
}

/** Segment indexes in `dir`, ascending. Throws when they are not sequential (a segment is missing). */
export function listSegments(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync(dir)) if (/^\d+$/.test(name)) out.push(Number(name));
  out.sort((a, b) => a - b);
  for (let i = 1; i < out.length; i++) {
    if (out[i] !== out[i - 1]! + 1) {
      throw new Error(`WAL segments in ${dir} are not sequential: ${out[i - 1]} is followed by ${out[i]}`);
    }
  }
  return out;
}

export function checkpointDirName(walDir: string, index: number): string {
  return join(walDir, CHECKPOINT_PREFIX + formatIndex(index));
}

/** Completed checkpoints in `walDir` (not `.tmp` ones), ascending by index. */
export function listCheckpoints(walDir: string): { dir: string; index: number }[] {
  const out: { dir: string; index: number }[] = [];
  for (const name of readdirSync(walDir)) {
    const m = /^checkpoint\.(\d+)$/.exec(name);
    if (m) out.push({ dir: join(walDir, name), index: Number(m[1]) });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The most recent checkpoint of the WAL in `walDir`, or undefined if there is none. */
export function lastCheckpoint(walDir: string): { dir: string; index: number } | undefined {
  const cps = listCheckpoints(walDir);
  return cps[cps.length - 1];
}

/**
 * The WAL is damaged at `segment` in `dir`. `offset` is where the last complete record before
 * the damage ends: truncating the segment there repairs it. `at` is where the damage was found.
 */
export class CorruptionError extends Error {
  override readonly name = 'CorruptionError';
  readonly code = 'wal_corruption';

  constructor(
    readonly dir: string,
    readonly segment: number,
    readonly offset: number,
    readonly at: number,
    readonly detail: string,
  ) {
    super(`WAL corruption in segment ${segmentName(dir, segment)} at offset ${at}: ${detail}`);
  }
}

/** A valid record we cannot read (compressed by a Prometheus with WAL compression enabled). */
export class UnsupportedRecordError extends Error {
  override readonly name = 'UnsupportedRecordError';
  readonly code = 'wal_unsupported_record';

  constructor(
    readonly dir: string,
    readonly segment: number,
    readonly at: number,
    readonly compression: 'snappy' | 'zstd',
  ) {
    super(
      `WAL segment ${segmentName(dir, segment)} holds a ${compression}-compressed record at offset ${at}; ` +
        'compressed WAL records are not supported (disable WAL compression in the writer, or let Prometheus replay it)',
    );
  }
}
