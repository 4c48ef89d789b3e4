// Translate stage: the Host-header forms (virtual host domains) under which a sidecar's app can address a service port.
import { CLUSTER_DOMAIN } from '../../api/types.js';
import type { ServiceInfo, ServicePortInfo } from '../model/types.js';
import { isHttpProtocol } from './cluster-policy.js';

/** The first HTTP-family port in the service's declared order: the one a Host header without a port means. */
export function primaryHttpPort(svc: ServiceInfo): ServicePortInfo | undefined {
  return svc.ports.find((p) => isHttpProtocol(p.protocol));
}

/**
 * Domains for one service port, as the app may write the Host (or absolute-form authority):
 * `reviews.default.svc.cluster.local`, `reviews.default.svc`, `reviews.default`, and `reviews` when the proxy is in the
 * service's namespace (as Kubernetes DNS resolves it), each with `:port`; the port-less forms only for the primary HTTP port.
 */
export function serviceDomains(svc: ServiceInfo, port: ServicePortInfo, proxyNamespace: string): string[] {
  const bare = primaryHttpPort(svc)?.port === port.port;
  return serviceNames(svc, proxyNamespace).flatMap((n) => (bare ? [n, `${n}:${port.port}`] : [`${n}:${port.port}`]));
}

/** The port-less names of a service as Kubernetes DNS resolves them for a proxy in `proxyNamespace` (FQDN first). */
export function serviceNames(svc: ServiceInfo, proxyNamespace: string): string[] {
  const names = [svc.hostname];
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  if (svc.hostname.endsWith(suffix)) {
    const base = svc.hostname.slice(0, -suffix.length); // name.namespace
    names.push(`${base}.svc`, base);
    if (svc.namespace === proxyNamespace) names.push(svc.name);
  }
  return names;
}
