// Deterministic test records: record i carries i in its first 4 bytes, then bytes derived from i,
// with sizes spread from a few bytes to several pages so that fragments and rotations are exercised.

const PAGE = 32 * 1024;

export function fixtureSize(i: number): number {
  const k = (i * 2654435761) >>> 0;
  // Mostly small records, every 16th spans several pages.
  return i % 16 === 15 ? 4 + (k % (3 * PAGE)) : 4 + (k % 700);
}

export function fixtureRecord(i: number): Uint8Array {
  const n = fixtureSize(i);
  const b = new Uint8Array(n);
  b[0] = i >>> 24;
  b[1] = i >>> 16;
  b[2] = i >>> 8;
  b[3] = i;
  let x = (i * 1103515245 + 12345) >>> 0;
  for (let j = 4; j < n; j++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    b[j] = x >>> 24;
  }
  return b;
}

export function fixtureIndex(rec: Uint8Array): number {
  return ((rec[0]! << 24) | (rec[1]! << 16) | (rec[2]! << 8) | rec[3]!) >>> 0;
}
