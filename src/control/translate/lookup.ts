// Translate stage: which VirtualService and DestinationRule apply to a host for a given proxy (Istio's precedence rules).
import type { DestinationRule, VirtualService } from '../../api/types.js';
import { fqdn, hostCovers } from '../../api/hosts.js';
import type { ProxyNode, ServiceInfo, Snapshot } from '../model/types.js';
import { exportedTo, labelsMatch } from './scope.js';

/** The reserved gateway name meaning "all sidecars". */
export const MESH_GATEWAY = 'mesh';

/** A gateway reference in a VirtualService ('name' or 'ns/name' or 'mesh') → 'ns/name' (or 'mesh'). */
export function gatewayRef(ref: string, vsNamespace: string): string {
  if (ref === MESH_GATEWAY) return ref;
  return ref.includes('/') ? ref : `${vsNamespace}/${ref}`;
}

/** Is the VS bound to `gateway` ('mesh' or 'ns/name')? An absent gateways list means ['mesh']. */
export function boundTo(vs: VirtualService, gateway: string): boolean {
  const gws = vs.spec.gateways === undefined || vs.spec.gateways.length === 0 ? [MESH_GATEWAY] : vs.spec.gateways;
  return gws.some((g) => gatewayRef(g, vs.metadata.namespace) === gateway);
}

export function resolveHost(host: string, namespace: string, snap: Snapshot): string {
  return fqdn(host, namespace, snap.index.namespaces);
}

/**
 * The VirtualService for a service host as seen by `gateway`: an exact host entry first, else the most
 * specific wildcard covering it; among several, the first by namespace/name (Istio takes the oldest).
 */
export function virtualServiceFor(host: string, gateway: string, proxyNs: string, snap: Snapshot): VirtualService | undefined {
  const usable = (vs: VirtualService): boolean => boundTo(vs, gateway) && exportedTo(vs.spec.exportTo, vs.metadata.namespace, proxyNs);
  const exact = snap.index.virtualServicesByHost.get(host)?.find(usable);
  if (exact !== undefined) return exact;
  for (const pattern of snap.index.virtualServiceWildcards) {
    if (!hostCovers(pattern, host)) continue;
    const vs = snap.index.virtualServicesByHost.get(pattern)?.find(usable);
    if (vs !== undefined) return vs;
  }
  return undefined;
}

/**
 * The DestinationRule for a host (Istio): exported to the proxy, workloadSelector matching it (selector rules only
 * in the proxy's namespace); preference proxy namespace → service namespace → root namespace → any other.
 */
export function destinationRuleFor(host: string, proxy: ProxyNode, snap: Snapshot): DestinationRule | undefined {
  const usable = (dr: DestinationRule): boolean => {
    if (!exportedTo(dr.spec.exportTo, dr.metadata.namespace, proxy.namespace)) return false;
    const sel = dr.spec.workloadSelector;
    return sel === undefined || (dr.metadata.namespace === proxy.namespace && labelsMatch(sel.labels, proxy.labels));
  };
  let candidates = (snap.index.destinationRulesByHost.get(host) ?? []).filter(usable);
  if (candidates.length === 0) {
    for (const pattern of snap.index.destinationRuleWildcards) {
      if (!hostCovers(pattern, host)) continue;
      candidates = (snap.index.destinationRulesByHost.get(pattern) ?? []).filter(usable);
      if (candidates.length > 0) break;
    }
  }
  if (candidates.length <= 1) return candidates[0];
  const svcNs = snap.index.servicesByHost.get(host)?.namespace;
  // a selector-bound rule is more specific than a namespace-wide one
  const rank = (dr: DestinationRule): number =>
    dr.metadata.namespace === proxy.namespace ? (dr.spec.workloadSelector !== undefined ? 0 : 1) : dr.metadata.namespace === svcNs ? 2 : dr.metadata.namespace === snap.rootNamespace ? 3 : 4;
  return [...candidates].sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * The service port a route destination means: the explicit port, else the port being routed if the
 * destination has it, else its only port (Istio's rule), else undefined (no cluster can be named).
 */
export function destinationPort(svc: ServiceInfo | undefined, explicit: number | undefined, routedPort: number | undefined): number | undefined {
  if (explicit !== undefined) return explicit;
  if (svc === undefined) return routedPort;
  if (routedPort !== undefined && svc.ports.some((p) => p.port === routedPort)) return routedPort;
  if (svc.ports.length === 1) return svc.ports[0]?.port;
  return undefined;
}
