// Network filters: envoy.filters.network.local_ratelimit — a connection that finds the bucket empty is closed.
import type { NetworkFilterFactory } from '../../api.js';
import type { NetworkFilterContext } from '../../registry.js';
import { TokenBucket } from '../../../ratelimit/token-bucket.js';
import type { NetworkLocalRateLimitConfig } from './config.js';

/** Buckets by share_key, so listeners that name the same key share one (as Envoy's singleton). */
const shared = new Map<string, TokenBucket>();

export function networkLocalRateLimitFactory(config: NetworkLocalRateLimitConfig, ctx: NetworkFilterContext): NetworkFilterFactory {
  let bucket: TokenBucket;
  if (config.share_key !== '') {
    bucket = shared.get(config.share_key) ?? new TokenBucket(config.token_bucket);
    shared.set(config.share_key, bucket);
  } else bucket = new TokenBucket(config.token_bucket);
  const limited = ctx.stats.scope('local_rate_limit', ['envoy_local_rate_limit_prefix', config.stat_prefix]).counter('rate_limited');
  return (cb) => ({
    onNewConnection: () => {
      if (!config.enabled || bucket.consume()) return 'continue';
      limited.inc();
      cb.close();
      return 'stop';
    },
  });
}
