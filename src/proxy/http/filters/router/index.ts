// HTTP filters: registers envoy.filters.http.router, the terminal filter.
import type { RouterConfig } from '../../../config/types.js';
import { registerHttpFilter } from '../../filter/registry.js';
import { ROUTER_TYPE, validateRouter } from './config.js';
import { routerFilterFactory } from './router-filter.js';

registerHttpFilter<RouterConfig>({
  typeUrl: ROUTER_TYPE,
  names: ['envoy.filters.http.router', 'envoy.router'],
  validate: validateRouter,
  terminal: true,
  factory: routerFilterFactory,
});
