// Rate limiting: Envoy's local token bucket — starts full, refills `tokensPerFill` every `fillIntervalMs`
// up to `maxTokens`; refills are computed from the clock on use, so an idle bucket costs no timer.
export interface TokenBucketConfig {
  max_tokens: number;
  tokens_per_fill: number;
  fill_interval: number; // ms
}

export class TokenBucket {
  private tokens: number;
  private lastFill: number;

  constructor(
    readonly config: TokenBucketConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = config.max_tokens;
    this.lastFill = now();
  }

  /** Takes `n` tokens if there are that many; false = rate limited. */
  consume(n = 1): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens left now (for x-ratelimit-remaining). */
  remaining(): number {
    this.refill();
    return this.tokens;
  }

  /** Milliseconds until the next fill (for x-ratelimit-reset). */
  msUntilFill(): number {
    this.refill();
    return Math.max(0, this.lastFill + this.config.fill_interval - this.now());
  }

  private refill(): void {
    const c = this.config;
    const t = this.now();
    const fills = Math.floor((t - this.lastFill) / c.fill_interval);
    if (fills <= 0) return;
    this.lastFill += fills * c.fill_interval;
    this.tokens = Math.min(c.max_tokens, this.tokens + fills * c.tokens_per_fill);
  }
}
