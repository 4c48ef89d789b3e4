// HTTP filters: registers envoy.filters.http.jwt_authn.
import { registerHttpFilter } from '../../filter/registry.js';
import { JWT_AUTHN_TYPE, JWT_PER_ROUTE_TYPE, validateJwtAuthn, validateJwtPerRoute, type JwtAuthnConfig } from './config.js';
import { jwtAuthnFilterFactory } from './filter.js';

registerHttpFilter<JwtAuthnConfig>({
  typeUrl: JWT_AUTHN_TYPE,
  names: ['envoy.filters.http.jwt_authn'],
  validate: validateJwtAuthn,
  perRoute: { [JWT_PER_ROUTE_TYPE]: validateJwtPerRoute },
  factory: jwtAuthnFilterFactory,
});
