// HTTP filters: registers envoy.filters.http.cors.
import type { CorsConfig } from '../../../config/types.js';
import { registerHttpFilter } from '../../filter/registry.js';
import { CORS_POLICY_TYPE, CORS_TYPE, validateCors, validateCorsPolicy } from './config.js';
import { corsFilterFactory } from './filter.js';

registerHttpFilter<CorsConfig>({
  typeUrl: CORS_TYPE,
  names: ['envoy.filters.http.cors', 'envoy.cors'],
  validate: validateCors,
  perRoute: { [CORS_POLICY_TYPE]: validateCorsPolicy },
  factory: corsFilterFactory,
});
