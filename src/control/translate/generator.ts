// Translate stage: the Generator interface every xDS type implements, and the resource type URLs it emits.
import type { ChangeKind, ProxyNode, Snapshot } from '../model/types.js';

export const TYPE_PREFIX = 'type.googleapis.com/';
export const LISTENER_TYPE = `${TYPE_PREFIX}envoy.config.listener.v3.Listener`;
export const ROUTE_TYPE = `${TYPE_PREFIX}envoy.config.route.v3.RouteConfiguration`;
export const CLUSTER_TYPE = `${TYPE_PREFIX}envoy.config.cluster.v3.Cluster`;
export const ENDPOINT_TYPE = `${TYPE_PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`;

export const HCM_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
export const ROUTER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.router.v3.Router`;
export const FAULT_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.fault.v3.HTTPFault`;
export const CORS_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.Cors`;
export const CORS_POLICY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.CorsPolicy`;
export const TCP_PROXY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`;
export const HTTP_PROTOCOL_OPTIONS_TYPE = `${TYPE_PREFIX}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`;
export const PREVIOUS_HOSTS_TYPE = `${TYPE_PREFIX}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate`;

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';
export const ROUTER_FILTER = 'envoy.filters.http.router';

/** A proto-JSON object (snake_case fields, '@type' on Any values). */
export type Json = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | Json;

/** One xDS resource: its name (cluster_name for a ClusterLoadAssignment) and its proto-JSON with '@type'. */
export interface XdsResource {
  name: string;
  resource: Json;
}

/**
 * One per xDS type. `build` is pure: same (proxy, snapshot, names) → same resources, in a stable order.
 * `names` restricts the answer to those resource names (as an xDS subscription does); absent = all.
 */
export interface Generator {
  readonly typeUrl: string;
  needsPush(changed: ReadonlySet<ChangeKind | string>): boolean;
  build(proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[];
}

export function anyChanged(changed: ReadonlySet<string>, kinds: readonly ChangeKind[]): boolean {
  for (const k of kinds) if (changed.has(k)) return true;
  return false;
}

/** Keeps the resources whose name was asked for (all when `names` is absent or empty, i.e. a wildcard). */
export function filterNames(resources: XdsResource[], names: readonly string[] | undefined): XdsResource[] {
  if (names === undefined || names.length === 0) return resources;
  const want = new Set(names);
  return resources.filter((r) => want.has(r.name));
}
