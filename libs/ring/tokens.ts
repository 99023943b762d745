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
