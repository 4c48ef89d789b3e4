// HTTP filters: local_ratelimit's limiter — a default token bucket plus one bucket per configured descriptor,
// consulted with the descriptors a request produced (Envoy's LocalRateLimiterImpl rules).
import { TokenBucket, type TokenBucketConfig } from '../../../ratelimit/token-bucket.js';
import type { Descriptor } from '../../../router/rate-limit.js';
import { descriptorKey, type LocalRateLimitDescriptor } from './config.js';

export interface LimitResult {
  readonly allowed: boolean;
  /** The bucket the x-ratelimit-* headers describe: the one that refused, else the strictest matched, else the default. */
  readonly bucket: TokenBucket | undefined;
}

interface DescriptorBucket {
  readonly bucket: TokenBucket;
  /** Tokens per millisecond: matched descriptors are consumed strictest first, as Envoy sorts them. */
  readonly rate: number;
  /** Position in the config, to keep equal rates in config order. */
  readonly index: number;
}

function rateOf(c: TokenBucketConfig): number {
  return c.tokens_per_fill / c.fill_interval;
}

export class LocalRateLimiter {
  private readonly defaultBucket: TokenBucket | undefined;
  private readonly byKey = new Map<string, DescriptorBucket>();

  constructor(
    defaultBucket: TokenBucketConfig | undefined,
    descriptors: readonly LocalRateLimitDescriptor[],
    private readonly alwaysConsumeDefault: boolean,
    now: () => number = Date.now,
  ) {
    this.defaultBucket = defaultBucket === undefined ? undefined : new TokenBucket(defaultBucket, now);
    descriptors.forEach((d, index) => {
      this.byKey.set(descriptorKey(d.entries), { bucket: new TokenBucket(d.token_bucket, now), rate: rateOf(d.token_bucket), index });
    });
  }

  get hasDescriptors(): boolean {
    return this.byKey.size > 0;
  }

  /**
   * One request: every matched descriptor's bucket gives a token (strictest first; the first that cannot refuses the
   * request, and the ones after it keep theirs), then the default bucket unless a descriptor matched and
   * always_consume_default_token_bucket is off. No default bucket means no default limit.
   */
  requestAllowed(request: readonly Descriptor[]): LimitResult {
    let matched: DescriptorBucket[] | undefined;
    if (this.byKey.size > 0) {
      for (const d of request) {
        const b = this.byKey.get(descriptorKey(d));
        if (b !== undefined && !(matched ??= []).includes(b)) matched.push(b);
      }
      if (matched !== undefined && matched.length > 1) matched.sort((a, b) => a.rate - b.rate || a.index - b.index);
    }
    if (matched !== undefined) {
      for (const d of matched) if (!d.bucket.consume()) return { allowed: false, bucket: d.bucket };
    }
    const strictest = matched?.[0]?.bucket;
    if (matched === undefined || this.alwaysConsumeDefault) {
      const def = this.defaultBucket;
      if (def !== undefined && !def.consume()) return { allowed: false, bucket: def };
      return { allowed: true, bucket: strictest ?? def };
    }
    return { allowed: true, bucket: strictest };
  }
}
