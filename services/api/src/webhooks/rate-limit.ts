/** How many requests a receiver takes in a burst, and how fast its allowance comes back. */
export interface BucketOptions {
  /** Requests allowed at once (the bucket's size). */
  capacity: number;
  /** Requests added back per second. */
  refillPerSecond: number;
}

/** The default: bursts of 20, then one request a second per receiver. */
export const DEFAULT_BUCKET: BucketOptions = { capacity: 20, refillPerSecond: 1 };

/**
 * In-process token buckets, one per key (a receiver's path, or its path for failed authentications). Each replica of the api counts on its
 * own: the limit keeps a noisy sender from flooding the poller, it is not an exact quota.
 */
export class TokenBuckets {
  readonly #opts: BucketOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: BucketOptions = DEFAULT_BUCKET, now: () => number = Date.now) {
    this.#opts = opts;
    this.#now = now;
  }

  /** Takes one token for `key`; false when none is left. */
  take(key: string): boolean {
    const b = this.#refilled(key);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** True when `key` has a token left, taking none. */
  has(key: string): boolean {
    return this.#refilled(key).tokens >= 1;
  }

  #refilled(key: string): { tokens: number; at: number } {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: this.#opts.capacity, at: now };
    b.tokens = Math.min(this.#opts.capacity, b.tokens + ((now - b.at) / 1000) * this.#opts.refillPerSecond);
    b.at = now;
    this.#buckets.set(key, b);
    return b;
  }
}
