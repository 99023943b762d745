// Coalescing of byte-range reads: ranges closer than a gap are fetched as one read, because an
// object-store request costs far more than the bytes in between.

/** A byte range [start, end) of an object. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** One read covering several requested ranges. */
export interface RangeGroup extends ByteRange {
  /** Indexes into the requested ranges. */
  readonly members: number[];
}

/** Groups `ranges` (any order) into reads: a range starting at most `maxGap` bytes after the current read's end joins it. */
export function coalesceRanges(ranges: readonly ByteRange[], maxGap: number): RangeGroup[] {
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a]!.start - ranges[b]!.start);
  const out: { start: number; end: number; members: number[] }[] = [];
  for (const i of order) {
    const r = ranges[i]!;
    const last = out[out.length - 1];
    if (last !== undefined && r.start - last.end <= maxGap) {
      last.end = Math.max(last.end, r.end);
      last.members.push(i);
    } else out.push({ start: r.start, end: r.end, members: [i] });
  }
  return out;
}

/** Reads of one object at offset/length; counted by the caller. */
export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

/** At most this many reads of one call in flight. */
const READ_CONCURRENCY = 8;

/**
 * The bytes of each requested range (views into the coalesced reads, possibly shorter than asked
 * where the object ends). Reads run with bounded concurrency.
 */
export async function readRanges(read: RangeReader, ranges: readonly ByteRange[], maxGap: number): Promise<Uint8Array[]> {
  const groups = coalesceRanges(ranges, maxGap);
  const out = new Array<Uint8Array>(ranges.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const g = groups[next++]!;
      const buf = await read(g.start, g.end - g.start);
      for (const i of g.members) {
        const r = ranges[i]!;
        out[i] = buf.subarray(Math.min(r.start - g.start, buf.length), Math.min(r.end - g.start, buf.length));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, groups.length) }, worker));
  return out;
}
