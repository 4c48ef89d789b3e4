// Registry stage: the services of the mesh (pure) — core Services, ServiceEntry hosts, and services workloads declare that no resource defines.
import { CLUSTER_DOMAIN, type Service, type ServiceEntry, type ServicePort } from '../../api/types.js';
import { protocolFromPortName } from '../model/builders.js';
import type { Resolution, ServiceInfo, ServicePortInfo } from '../model/types.js';
import type { RegisteredWorkload } from './types.js';

export function serviceHostname(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** Only TCP is proxied (Istio captures TCP only): UDP and SCTP ports get no cluster, so kube-dns' 53/UDP cannot collide with 53/TCP. */
export function proxiedPort(p: ServicePort): boolean {
  return (p.protocol ?? 'TCP') === 'TCP';
}

/** A core Service: STATIC (endpoints from the registry), or DNS to its externalName for type ExternalName. */
export function serviceFromResource(s: Service): ServiceInfo {
  const ports: ServicePortInfo[] = (s.spec.ports ?? []).filter(proxiedPort).map((p) => ({
    name: p.name ?? '',
    port: p.port,
    protocol: protocolFromPortName(p.name, p.appProtocol),
  }));
  const external = s.spec.type === 'ExternalName' && s.spec.externalName !== undefined;
  return {
    hostname: serviceHostname(s.metadata.name, s.metadata.namespace),
    namespace: s.metadata.namespace,
    name: s.metadata.name,
    ports,
    resolution: external ? 'DNS' : 'STATIC',
    origin: 'Service',
    meshExternal: false,
  };
}

/** Istio's ServiceEntry defaults: resolution NONE, location MESH_EXTERNAL. */
export function entryResolution(se: ServiceEntry): Resolution {
  return se.spec.resolution ?? 'NONE';
}

/** One ServiceInfo per host of the entry (hosts are FQDNs or wildcards, as written). */
export function servicesFromEntry(se: ServiceEntry): ServiceInfo[] {
  const ports: ServicePortInfo[] = (se.spec.ports ?? []).map((p) => ({
    name: p.name ?? '',
    port: p.number,
    protocol: protocolFromPortName(p.protocol ?? p.name),
  }));
  return se.spec.hosts.map((host) => {
    const info: ServiceInfo = {
      hostname: host.toLowerCase(),
      namespace: se.metadata.namespace,
      name: se.metadata.name,
      ports,
      resolution: entryResolution(se),
      origin: 'ServiceEntry',
      meshExternal: se.spec.location !== 'MESH_INTERNAL',
    };
    if (se.spec.exportTo !== undefined) info.exportTo = [...se.spec.exportTo];
    if (se.spec.subjectAltNames !== undefined && se.spec.subjectAltNames.length > 0) info.subjectAltNames = [...se.spec.subjectAltNames];
    return info;
  });
}

/**
 * Services that workloads declare (`trellis proxy --service reviews --service-port 9080`) and no Service or
 * ServiceEntry defines. Trellis has no Kubernetes to create the Service object, so a proxy's own declaration is
 * enough to make its service routable; the port is HTTP (what the proxy's inbound side assumes too).
 * Ports of all workloads declaring the same service are merged.
 */
export function declaredServices(workloads: readonly RegisteredWorkload[], known: ReadonlySet<string>): ServiceInfo[] {
  const byHost = new Map<string, { name: string; namespace: string; ports: Set<number> }>();
  for (const w of workloads) {
    if (w.serviceName === undefined || w.servicePort === undefined) continue;
    const host = declaredHost(w);
    if (known.has(host)) continue;
    let e = byHost.get(host);
    if (e === undefined) {
      const [name = host, ns] = host.split('.');
      e = { name, namespace: host.endsWith(`.svc.${CLUSTER_DOMAIN}`) && ns !== undefined ? ns : w.namespace, ports: new Set() };
      byHost.set(host, e);
    }
    e.ports.add(w.servicePort);
  }
  return [...byHost].map(([hostname, e]) => ({
    hostname,
    namespace: e.namespace,
    name: e.name,
    ports: [...e.ports].sort((a, b) => a - b).map((port) => ({ name: `http-${port}`, port, protocol: 'HTTP' as const })),
    resolution: 'STATIC' as const,
    origin: 'Service' as const,
    meshExternal: false,
  }));
}

/** The FQDN a workload's TRELLIS_SERVICE names: `reviews` (own namespace), `reviews.prod`, `reviews.prod.svc`, or an FQDN. */
export function declaredHost(w: RegisteredWorkload): string {
  const name = (w.serviceName ?? '').toLowerCase();
  const labels = name.split('.');
  if (labels.length === 1) return serviceHostname(name, w.namespace);
  if (labels.length === 2) return `${name}.svc.${CLUSTER_DOMAIN}`;
  if (labels.length === 3 && labels[2] === 'svc') return `${name}.${CLUSTER_DOMAIN}`;
  return name;
}
