// Translate stage: what a proxy may see — exportTo visibility and Sidecar egress scoping of services.
import type { Sidecar } from '../../api/types.js';
import { fqdn, hostCovers } from '../../api/hosts.js';
import type { ProxyNode, ServiceInfo, Snapshot } from '../model/types.js';

/** Istio exportTo: absent or '*' = everywhere, '.' = own namespace, '~' = nowhere, else the listed namespaces. */
export function exportedTo(exportTo: readonly string[] | undefined, resourceNs: string, proxyNs: string): boolean {
  if (exportTo === undefined || exportTo.length === 0) return true;
  for (const e of exportTo) {
    if (e === '*' || e === proxyNs || (e === '.' && resourceNs === proxyNs)) return true;
  }
  return false;
}

export function labelsMatch(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/**
 * The Sidecar that applies to a proxy (Istio's order): one in its namespace whose workloadSelector matches,
 * else the selector-less one in its namespace, else the selector-less one in the root namespace.
 */
export function sidecarFor(proxy: ProxyNode, snap: Snapshot): Sidecar | undefined {
  const own = snap.index.sidecarsByNamespace.get(proxy.namespace) ?? [];
  const selected = own.find((s) => s.spec.workloadSelector !== undefined && labelsMatch(s.spec.workloadSelector.labels, proxy.labels));
  if (selected !== undefined) return selected;
  const nsDefault = own.find((s) => s.spec.workloadSelector === undefined);
  if (nsDefault !== undefined) return nsDefault;
  return (snap.index.sidecarsByNamespace.get(snap.rootNamespace) ?? []).find((s) => s.spec.workloadSelector === undefined);
}

/** Does one egress `ns/dnsName` entry cover the service? (`*` any, `.` the proxy's namespace, `~` none.) */
function egressHostCovers(entry: string, svc: ServiceInfo, proxyNs: string, snap: Snapshot): boolean {
  const slash = entry.indexOf('/');
  const ns = slash === -1 ? '*' : entry.slice(0, slash);
  const dns = slash === -1 ? entry : entry.slice(slash + 1);
  if (ns === '~') return false;
  if (ns !== '*' && (ns === '.' ? proxyNs : ns) !== svc.namespace) return false;
  if (dns === '*') return true;
  const resolvedNs = ns === '*' || ns === '.' ? proxyNs : ns;
  return hostCovers(fqdn(dns, resolvedNs, snap.index.namespaces), svc.hostname);
}

/** The services one egress listener's hosts import for a proxy (exportTo respected), in snapshot order. */
export function egressListenerServices(hosts: readonly string[], proxy: ProxyNode, snap: Snapshot): ServiceInfo[] {
  return snap.services.filter((svc) => exportedTo(svc.exportTo, svc.namespace, proxy.namespace) && hosts.some((h) => egressHostCovers(h, svc, proxy.namespace, snap)));
}

/**
 * The services a proxy receives routes, clusters and endpoints for, in snapshot order. Only sidecars are
 * scoped by a Sidecar resource (egress hosts of all egress listeners united: port-bound egress listeners need
 * their clusters too); routers and proxyless clients see every exported service.
 */
export function visibleServices(proxy: ProxyNode, snap: Snapshot): ServiceInfo[] {
  const sidecar = proxy.type === 'sidecar' ? sidecarFor(proxy, snap) : undefined;
  const hosts = sidecar?.spec.egress?.flatMap((e) => e.hosts);
  return snap.services.filter((svc) => {
    if (!exportedTo(svc.exportTo, svc.namespace, proxy.namespace)) return false;
    if (hosts === undefined) return true;
    return hosts.some((h) => egressHostCovers(h, svc, proxy.namespace, snap));
  });
}

/**
 * The services on the sidecar's catch-all `outbound` listener: those the egress listeners without a port import
 * (Istio's catch-all egress listener); none when every egress listener has a port. No Sidecar = every visible one.
 */
export function outboundListenerServices(proxy: ProxyNode, snap: Snapshot): ServiceInfo[] {
  const egress = proxy.type === 'sidecar' ? sidecarFor(proxy, snap)?.spec.egress : undefined;
  if (egress === undefined) return visibleServices(proxy, snap);
  return egressListenerServices(egress.filter((e) => e.port === undefined).flatMap((e) => e.hosts), proxy, snap);
}
