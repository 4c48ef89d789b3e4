// Network filters: registers envoy.filters.network.ext_authz.
import { registerNetworkFilter } from '../../registry.js';
import { NETWORK_EXT_AUTHZ_TYPE, validateNetworkExtAuthz, type NetworkExtAuthzConfig } from './config.js';
import { networkExtAuthzFactory } from './filter.js';

registerNetworkFilter<NetworkExtAuthzConfig>({
  typeUrl: NETWORK_EXT_AUTHZ_TYPE,
  names: ['envoy.filters.network.ext_authz', 'envoy.ext_authz'],
  validate: validateNetworkExtAuthz,
  factory: networkExtAuthzFactory,
});
