// HTTP filters: registers envoy.filters.http.ext_authz.
import { registerHttpFilter } from '../../filter/registry.js';
import { validateExtAuthz, validateExtAuthzPerRoute } from './config.js';
import { extAuthzFilterFactory } from './filter.js';
import { EXT_AUTHZ_PER_ROUTE_TYPE, EXT_AUTHZ_TYPE, type ExtAuthzConfig } from './types.js';

registerHttpFilter<ExtAuthzConfig>({
  typeUrl: EXT_AUTHZ_TYPE,
  names: ['envoy.filters.http.ext_authz', 'envoy.ext_authz'],
  validate: validateExtAuthz,
  perRoute: { [EXT_AUTHZ_PER_ROUTE_TYPE]: validateExtAuthzPerRoute },
  factory: extAuthzFilterFactory,
});
