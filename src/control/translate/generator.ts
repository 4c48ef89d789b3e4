// Translate stage: the Generator interface every xDS type implements, and the resource type URLs it emits.
import type { ChangeKind, ProxyNode, Snapshot } from '../model/types.js';
import { TYPE_PREFIX } from '../../xds/type-urls.js';

export {
  TYPE_PREFIX,
  LISTENER_TYPE,
  ROUTE_TYPE,
  VIRTUAL_HOST_TYPE,
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  HCM_TYPE,
  ROUTER_TYPE,
  FAULT_TYPE,
  TCP_PROXY_TYPE,
  HTTP_PROTOCOL_OPTIONS_TYPE,
} from '../../xds/type-urls.js';
export const CORS_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.Cors`;
export const CORS_POLICY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.CorsPolicy`;
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
