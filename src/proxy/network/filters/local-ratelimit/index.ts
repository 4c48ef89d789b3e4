// Network filters: registers envoy.filters.network.local_ratelimit.
import { registerNetworkFilter } from '../../registry.js';
import { NETWORK_LOCAL_RATELIMIT_TYPE, validateNetworkLocalRateLimit, type NetworkLocalRateLimitConfig } from './config.js';
import { networkLocalRateLimitFactory } from './filter.js';

registerNetworkFilter<NetworkLocalRateLimitConfig>({
  typeUrl: NETWORK_LOCAL_RATELIMIT_TYPE,
  names: ['envoy.filters.network.local_ratelimit'],
  validate: validateNetworkLocalRateLimit,
  factory: networkLocalRateLimitFactory,
});
