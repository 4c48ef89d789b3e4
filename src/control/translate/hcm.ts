// Translate stage: the HttpConnectionManager and filter-chain building blocks shared by sidecar, gateway and proxyless listeners.
import { FAULT_FILTER, FAULT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTER_FILTER, ROUTER_TYPE, TCP_PROXY_TYPE, type Json } from './generator.js';
import { socketAddress } from './envoy.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';

/** fault (configured per route) then router: the chain Istio gives outbound traffic and grpc-js-xds supports. */
export function httpFilters(withFault: boolean): Json[] {
  const router: Json = { name: ROUTER_FILTER, typed_config: { '@type': ROUTER_TYPE } };
  return withFault ? [{ name: FAULT_FILTER, typed_config: { '@type': FAULT_TYPE } }, router] : [router];
}

export function rds(routeConfigName: string): Json {
  return { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routeConfigName };
}

export function hcm(statPrefix: string, route: { rds: string } | { inline: Json }, opts: { fault: boolean; edge?: boolean }): Json {
  const out: Json = { '@type': HCM_TYPE, stat_prefix: statPrefix, codec_type: 'AUTO' };
  if ('rds' in route) out.rds = rds(route.rds);
  else out.route_config = route.inline;
  out.http_filters = httpFilters(opts.fault);
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
