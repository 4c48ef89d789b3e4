// HTTP filters: registers envoy.filters.http.dynamic_forward_proxy.
import { registerHttpFilter } from '../../filter/registry.js';
import { DFP_FILTER_TYPE, DFP_PER_ROUTE_TYPE, validateDfpFilter, validateDfpPerRoute, type DfpFilterConfig } from './config.js';
import { dfpFilterFactory } from './filter.js';

registerHttpFilter<DfpFilterConfig>({
  typeUrl: DFP_FILTER_TYPE,
  names: ['envoy.filters.http.dynamic_forward_proxy'],
  validate: validateDfpFilter,
  perRoute: { [DFP_PER_ROUTE_TYPE]: validateDfpPerRoute },
  factory: dfpFilterFactory,
});
