// Translate stage: Istio route destinations → cluster names, weighted_clusters and consistent-hash policies.
import type { ConsistentHashLB, Destination, HTTPRouteDestination } from '../../api/types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { headerOptions, istioDuration } from './envoy.js';
import type { Json } from './generator.js';
import { destinationPort, destinationRuleFor, resolveHost } from './lookup.js';
import { outboundClusterName } from './names.js';
import { effectivePolicy } from './policy.js';

export interface DestContext {
  proxy: ProxyNode;
  snap: Snapshot;
  /** Namespace short destination hosts resolve in (the VirtualService's). */
  namespace: string;
  /** The service port being routed (sidecar/proxyless), undefined at a gateway. */
  port: number | undefined;
}

export interface ResolvedDest {
  cluster: string;
  host: string;
  port: number;
  subset: string;
}

/** A destination → its cluster: host resolved in the VS namespace, port by Istio's rule (explicit, routed, or only port). */
export function resolveDestination(d: Destination, ctx: DestContext): ResolvedDest {
  const host = resolveHost(d.host, ctx.namespace, ctx.snap);
  const svc = ctx.snap.index.servicesByHost.get(host);
  // a multi-port destination without a port cannot be resolved by Istio either; its first port is the least surprising
  const port = destinationPort(svc, d.port?.number, ctx.port) ?? svc?.ports[0]?.port ?? ctx.port ?? 80;
  const subset = d.subset ?? '';
  return { cluster: outboundClusterName(port, subset, host), host, port, subset };
}

function hashPolicyJson(ch: ConsistentHashLB): Json[] {
  if (ch.httpHeaderName !== undefined) return [{ header: { header_name: ch.httpHeaderName } }];
  if (ch.httpCookie !== undefined) {
    const c: Json = { name: ch.httpCookie.name };
    const ttl = istioDuration(ch.httpCookie.ttl);
    if (ttl !== undefined) c.ttl = ttl;
    if (ch.httpCookie.path !== undefined) c.path = ch.httpCookie.path;
    return [{ cookie: c }];
  }
  if (ch.useSourceIp === true) return [{ connection_properties: { source_ip: true } }];
  if (ch.httpQueryParameterName !== undefined) return [{ query_parameter: { name: ch.httpQueryParameterName } }];
  return [];
}

/** The DestinationRule consistentHash of a destination's cluster as route hash_policy (empty when not consistent-hashed). */
export function hashPolicy(d: ResolvedDest, ctx: DestContext): Json[] {
  const dr = destinationRuleFor(d.host, ctx.proxy, ctx.snap);
  const ch = effectivePolicy(dr, d.subset, d.port).loadBalancer?.consistentHash;
  return ch === undefined ? [] : hashPolicyJson(ch);
}

/** The four header-edit lists of an Istio Headers block (`set` overwrites, `add` appends). */
export function headerEdits(h: HTTPRouteDestination['headers']): Json {
  const out: Json = {};
  const reqAdd = [...headerOptions(h?.request?.set, 'OVERWRITE_IF_EXISTS_OR_ADD'), ...headerOptions(h?.request?.add, 'APPEND_IF_EXISTS_OR_ADD')];
  if (reqAdd.length > 0) out.request_headers_to_add = reqAdd;
  if ((h?.request?.remove?.length ?? 0) > 0) out.request_headers_to_remove = (h?.request?.remove ?? []).map((s) => s.toLowerCase());
  const resAdd = [...headerOptions(h?.response?.set, 'OVERWRITE_IF_EXISTS_OR_ADD'), ...headerOptions(h?.response?.add, 'APPEND_IF_EXISTS_OR_ADD')];
  if (resAdd.length > 0) out.response_headers_to_add = resAdd;
  if ((h?.response?.remove?.length ?? 0) > 0) out.response_headers_to_remove = (h?.response?.remove ?? []).map((s) => s.toLowerCase());
  return out;
}

/**
 * `route:` destinations → {cluster} or {weighted_clusters}, plus the hash policy when every destination agrees.
 * Weight-0 destinations are dropped when others carry weight; if none has a weight, they share equally.
 * `headers` carries per-destination header edits to merge into the route when there is only one destination.
 */
export function clusterSpecifier(dests: readonly HTTPRouteDestination[], ctx: DestContext): { spec: Json; hash: Json[]; headers: Json } {
  const resolved = dests.map((d) => ({ d, r: resolveDestination(d.destination, ctx) }));
  const total = resolved.reduce((s, x) => s + (x.d.weight ?? 0), 0);
  const live = total === 0 ? resolved.map((x) => ({ ...x, w: 1 })) : resolved.filter((x) => (x.d.weight ?? 0) > 0).map((x) => ({ ...x, w: x.d.weight ?? 0 }));
  const hashes = live.map((x) => JSON.stringify(hashPolicy(x.r, ctx)));
  const hash = hashes.every((h) => h === hashes[0]) && live[0] !== undefined ? hashPolicy(live[0].r, ctx) : [];
  const only = live[0];
  if (live.length === 1 && only !== undefined) return { spec: { cluster: only.r.cluster }, hash, headers: headerEdits(only.d.headers) };
  return {
    spec: { weighted_clusters: { clusters: live.map((x) => ({ name: x.r.cluster, weight: x.w, ...headerEdits(x.d.headers) })) } },
    hash,
    headers: {},
  };
}
