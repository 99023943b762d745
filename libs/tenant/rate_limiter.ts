// A token bucket per tenant (Mimir's local ingestion rate limiter): `rate` tokens per second up
// to `burst`; a request takes as many tokens as it has samples, or is refused whole.

interface Bucket {
  tokens: number;
  last: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /**
   * Takes `n` tokens from the tenant's bucket at time `now` (ms) if it holds that many.
   * A request larger than the burst can never pass, as in Mimir.
   */
  allow(tenant: string, n: number, rate: number, burst: number, now: number): boolean {
    let b = this.buckets.get(tenant);
    if (!b) {
      b = { tokens: burst, last: now };
      this.buckets.set(tenant, b);
    }
    b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.last) * rate) / 1000);
    b.last = now;
    if (n > b.tokens) return false;
    b.tokens -= n;
    return true;
  }
}
