// HTTP filters: registers envoy.filters.http.fault.
import type { FaultConfig } from '../../../config/types.js';
import { registerHttpFilter } from '../../filter/registry.js';
import { FAULT_TYPE, validateFault } from './config.js';
import { faultFilterFactory } from './filter.js';

registerHttpFilter<FaultConfig>({
  typeUrl: FAULT_TYPE,
  names: ['envoy.filters.http.fault', 'envoy.fault'],
  validate: validateFault,
  perRoute: { [FAULT_TYPE]: validateFault },
  factory: faultFilterFactory,
});
