// Translate stage: the HttpConnectionManager and filter-chain building blocks shared by sidecar, gateway and proxyless listeners.
import { CORS_FILTER, CORS_TYPE, FAULT_FILTER, FAULT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTER_FILTER, ROUTER_TYPE, TCP_PROXY_TYPE, type Json } from './generator.js';
import { socketAddress } from './envoy.js';
import { withIstioStats, type IstioStats } from './istio-stats.js';

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

/**
 * Bounds for listeners that face the network (sidecar inbound, gateways), after Envoy's edge best practices:
 * a request head must arrive within 10 s and stay within 100 fields / 60 KiB, idle streams end after 5 min,
 * idle connections after 1 h, and one HTTP/2 connection holds at most 100 streams with bounded windows.
 */
export const NETWORK_FACING_LIMITS: Json = {
  request_headers_timeout: '10s',
  max_request_headers_kb: 60,
  stream_idle_timeout: '300s',
  common_http_protocol_options: { idle_timeout: '3600s', max_headers_count: 100 },
  http2_protocol_options: { max_concurrent_streams: 100, initial_stream_window_size: 65536, initial_connection_window_size: 1048576 },
};

export function hcm(statPrefix: string, route: { rds: string } | { inline: Json }, opts: { fault: boolean; cors?: boolean; edge?: boolean; networkFacing?: boolean; stats?: IstioStats }): Json {
  const out: Json = { '@type': HCM_TYPE, stat_prefix: statPrefix, codec_type: 'AUTO' };
  if ('rds' in route) out.rds = rds(route.rds);
  else out.route_config = route.inline;
  out.http_filters = withIstioStats(httpFilters(opts.fault, opts.cors === true), opts.stats);
  // at the edge the client address is the peer's; inside the mesh the sidecar trusts the app
  if (opts.edge === true) out.use_remote_address = true;
  if (opts.networkFacing === true || opts.edge === true) Object.assign(out, structuredClone(NETWORK_FACING_LIMITS));
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
