// HTTP filters: registers envoy.filters.http.health_check.
import { registerHttpFilter } from '../../filter/registry.js';
import { HEALTH_CHECK_TYPE, validateHealthCheck, type HealthCheckConfig } from './config.js';
import { healthCheckFilterFactory } from './filter.js';

registerHttpFilter<HealthCheckConfig>({
  typeUrl: HEALTH_CHECK_TYPE,
  names: ['envoy.filters.http.health_check', 'envoy.health_check'],
  validate: validateHealthCheck,
  factory: healthCheckFilterFactory,
});
