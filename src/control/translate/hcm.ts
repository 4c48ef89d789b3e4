// Translate stage: the HttpConnectionManager and filter-chain building blocks shared by sidecar, gateway and proxyless listeners.
import { CORS_FILTER, CORS_TYPE, FAULT_FILTER, FAULT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTER_FILTER, ROUTER_TYPE, TCP_PROXY_TYPE, type Json } from './generator.js';
import { socketAddress } from './envoy.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';

/**
 * cors and fault (both configured per route) then router, in Istio's order (a preflight is answered before any fault).
 * grpc-js-xds supports fault and router but not cors, so proxyless listeners get no cors filter.
 */
export function httpFilters(withFault: boolean, withCors = false): Json[] {
  const out: Json[] = [];
  if (withCors) out.push({ name: CORS_FILTER, typed_config: { '@type': CORS_TYPE } });
  if (withFault) out.push({ name: FAULT_FILTER, typed_config: { '@type': FAULT_TYPE } });
  out.push({ name: ROUTER_FILTER, typed_config: { '@type': ROUTER_TYPE } });
  return out;
}

export function rds(routeConfigName: string): Json {
  return { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routeConfigName };
}

export function hcm(statPrefix: string, route: { rds: string } | { inline: Json }, opts: { fault: boolean; cors?: boolean; edge?: boolean }): Json {
  const out: Json = { '@type': HCM_TYPE, stat_prefix: statPrefix, codec_type: 'AUTO' };
  if ('rds' in route) out.rds = rds(route.rds);
  else out.route_config = route.inline;
  out.http_filters = httpFilters(opts.fault, opts.cors === true);
  // at the edge the client address is the peer's; inside the mesh the sidecar trusts the app
  if (opts.edge === true) out.use_remote_address = true;
  return out;
}

export function listener(name: string, address: string, port: number, direction: 'INBOUND' | 'OUTBOUND', filter: Json): Json {
  return {
    '@type': LISTENER_TYPE,
    name,
    address: socketAddress(address, port),
    filter_chains: [{ filters: [filter] }],
    traffic_direction: direction,
  };
}

export function hcmFilter(config: Json): Json {
  return { name: HCM_FILTER, typed_config: config };
}

export function tcpProxyFilter(statPrefix: string, cluster: string): Json {
  return { name: TCP_PROXY_FILTER, typed_config: { '@type': TCP_PROXY_TYPE, stat_prefix: statPrefix, cluster } };
}
