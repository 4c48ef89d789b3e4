// HTTP filters: registers envoy.filters.http.csrf.
import { registerHttpFilter } from '../../filter/registry.js';
import { CSRF_TYPE, validateCsrfPolicy, type CsrfPolicy } from './config.js';
import { csrfFilterFactory } from './filter.js';

registerHttpFilter<CsrfPolicy>({
  typeUrl: CSRF_TYPE,
  names: ['envoy.filters.http.csrf', 'envoy.csrf'],
  validate: validateCsrfPolicy,
  perRoute: { [CSRF_TYPE]: validateCsrfPolicy },
  factory: csrfFilterFactory,
});
