// Translate stage: VirtualService `tcp` routes — the first rule whose match applies → a tcp_proxy cluster or weighted split.
import type { RouteDestination, TCPRoute, VirtualService } from '../../api/types.js';
import { type DestContext, clusterSpecifier } from './destinations.js';
import type { Json } from './generator.js';
import { type MatchScope, matchApplies } from './match.js';

/**
 * The first tcp rule of `vs` that applies at `scope` (Istio: first match wins). A rule without match blocks
 * always applies; otherwise one of its blocks must (port, sourceLabels, sourceNamespace and gateways are
 * the same proxy-scope conditions as an HTTP match, so the HTTP check is reused).
 */
export function tcpRouteFor(vs: VirtualService, scope: MatchScope): TCPRoute | undefined {
  return (vs.spec.tcp ?? []).find((r) => r.match === undefined || r.match.length === 0 || r.match.some((m) => matchApplies(m, scope)));
}

/**
 * Destinations → `{cluster}` or `{weighted_clusters}` for tcp_proxy (weight-0 destinations dropped, no weights =
 * equal shares), resolved like HTTP destinations; hash policies and header edits do not exist at L4.
 */
export function l4ClusterSpec(dests: readonly RouteDestination[], ctx: DestContext): Json {
  return clusterSpecifier(dests, ctx).spec;
}

/** The tcp_proxy cluster spec of the first applicable rule of `vs`, or undefined when no rule applies. */
export function tcpRouteSpec(vs: VirtualService | undefined, scope: MatchScope, ctx: DestContext): Json | undefined {
  const rule = vs !== undefined ? tcpRouteFor(vs, scope) : undefined;
  return rule?.route !== undefined && rule.route.length > 0 ? l4ClusterSpec(rule.route, ctx) : undefined;
}
