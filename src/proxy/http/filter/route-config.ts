// HTTP filters: route-level filter config — the FilterConfig wrapper that disables or enables a filter per route.
import type { HttpFilterConfig } from '../../config/types.js';

/** envoy.config.route.v3.FilterConfig: a per-route wrapper that can disable or enable a filter. */
export const FILTER_CONFIG_TYPE = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
export interface RouteFilterConfig extends HttpFilterConfig {
  readonly '@type': typeof FILTER_CONFIG_TYPE;
  readonly disabled: boolean;
  readonly config?: HttpFilterConfig;
}

export function isRouteFilterConfig(c: HttpFilterConfig | undefined): c is RouteFilterConfig {
  return c !== undefined && c['@type'] === FILTER_CONFIG_TYPE;
}

/** The filter-specific per-route config, with a FilterConfig wrapper taken off. */
export function routeConfigOf(c: HttpFilterConfig | undefined): HttpFilterConfig | undefined {
  return isRouteFilterConfig(c) ? c.config : c;
}

