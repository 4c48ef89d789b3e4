// HTTP filters: registers envoy.filters.http.local_ratelimit.
import { registerHttpFilter } from '../../filter/registry.js';
import { LOCAL_RATELIMIT_TYPE, validateLocalRateLimit, validateLocalRateLimitPerRoute, type LocalRateLimitConfig } from './config.js';
import { localRateLimitFilterFactory } from './filter.js';

registerHttpFilter<LocalRateLimitConfig>({
  typeUrl: LOCAL_RATELIMIT_TYPE,
  names: ['envoy.filters.http.local_ratelimit'],
  validate: validateLocalRateLimit,
  perRoute: { [LOCAL_RATELIMIT_TYPE]: validateLocalRateLimitPerRoute },
  factory: localRateLimitFilterFactory,
});
