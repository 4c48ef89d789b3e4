// Network filters: registers envoy.filters.network.rbac.
import { registerNetworkFilter } from '../../registry.js';
import { NETWORK_RBAC_TYPE, validateNetworkRbac, type NetworkRbacConfig } from './config.js';
import { networkRbacFactory } from './filter.js';

registerNetworkFilter<NetworkRbacConfig>({
  typeUrl: NETWORK_RBAC_TYPE,
  names: ['envoy.filters.network.rbac'],
  validate: validateNetworkRbac,
  factory: networkRbacFactory,
});
