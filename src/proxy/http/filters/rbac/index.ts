// HTTP filters: registers envoy.filters.http.rbac.
import { registerHttpFilter } from '../../filter/registry.js';
import { RBAC_PER_ROUTE_TYPE, RBAC_TYPE, validateHttpRbac, validateHttpRbacPerRoute, type HttpRbacConfig } from './config.js';
import { rbacFilterFactory } from './filter.js';

registerHttpFilter<HttpRbacConfig>({
  typeUrl: RBAC_TYPE,
  names: ['envoy.filters.http.rbac'],
  validate: validateHttpRbac,
  perRoute: { [RBAC_PER_ROUTE_TYPE]: validateHttpRbacPerRoute },
  factory: rbacFilterFactory,
});
