// Network filters: registers envoy.filters.network.mysql_proxy.
import { registerNetworkFilter } from '../../registry.js';
import { MYSQL_PROXY_TYPE, validateMysqlProxy, type MysqlProxyConfig } from './config.js';
import { mysqlProxyFactory } from './filter.js';

registerNetworkFilter<MysqlProxyConfig>({
  typeUrl: MYSQL_PROXY_TYPE,
  names: ['envoy.filters.network.mysql_proxy'],
  validate: validateMysqlProxy,
  factory: mysqlProxyFactory,
});
