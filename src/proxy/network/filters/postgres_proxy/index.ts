// Network filters: registers envoy.filters.network.postgres_proxy.
import { registerNetworkFilter } from '../../registry.js';
import { POSTGRES_PROXY_TYPE, validatePostgresProxy, type PostgresProxyConfig } from './config.js';
import { postgresProxyFactory } from './filter.js';

registerNetworkFilter<PostgresProxyConfig>({
  typeUrl: POSTGRES_PROXY_TYPE,
  names: ['envoy.filters.network.postgres_proxy'],
  validate: validatePostgresProxy,
  factory: postgresProxyFactory,
});
