// Network filters: envoy.filters.network.local_ratelimit config — a connection token bucket.
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { validateTokenBucket } from '../../../ratelimit/token-bucket-config.js';
import type { TokenBucketConfig } from '../../../ratelimit/token-bucket.js';

export const NETWORK_LOCAL_RATELIMIT_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit` as const;

export interface NetworkLocalRateLimitConfig {
  readonly '@type': typeof NETWORK_LOCAL_RATELIMIT_TYPE;
  readonly stat_prefix: string;
  readonly token_bucket: TokenBucketConfig;
  /** runtime_enabled.default_value (true when unset). */
  readonly enabled: boolean;
  /** Listeners whose filters name the same share_key draw from one bucket. */
  readonly share_key: string;
}

export function validateNetworkLocalRateLimit(ctx: Ctx, body: Raw, path: string): NetworkLocalRateLimitConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.network.local_ratelimit.v3.LocalRateLimit',
    fields: ['stat_prefix', 'token_bucket', 'runtime_enabled', 'share_key'],
  });
  if (m === undefined) return undefined;
  const stat_prefix = m.reqStr('stat_prefix');
  const token_bucket = m.require('token_bucket') ? m.msg('token_bucket', (r, p) => validateTokenBucket(ctx, r, p)) : undefined;
  let enabled = true;
  const re = m.msg('runtime_enabled', (r, p) => {
    const f = Msg.open(ctx, r, p, { type: 'config.core.v3.RuntimeFeatureFlag', fields: ['default_value', 'runtime_key'] });
    if (f === undefined) return undefined;
    f.str('runtime_key');
    return f.boolOr('default_value', true);
  });
  if (re !== undefined) enabled = re;
  if (token_bucket === undefined) return undefined;
  return { '@type': NETWORK_LOCAL_RATELIMIT_TYPE, stat_prefix, token_bucket, enabled, share_key: m.strOr('share_key', '') };
}
