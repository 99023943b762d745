// Token generation: random uint32 tokens, unique across the ring, sorted.

const MAX_TOKEN = 0x1_0000_0000;

/** `n` new tokens not in `taken`, sorted ascending. `random` returns [0, 1) (Math.random by default). */
export function generateTokens(n: number, taken: ReadonlySet<number>, random: () => number = Math.random): number[] {
  const out = new Set<number>();
  while (out.size < n) {
    const t = Math.floor(random() * MAX_TOKEN) >>> 0;
    if (!taken.has(t)) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/** FNV-1a (32 bits) of a string: the ring key of a tenant id, a metric name, … */
export function stringToken(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
