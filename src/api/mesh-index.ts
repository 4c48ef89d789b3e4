// API stage: a read-only index over a set of resources (hosts, services, rules, gateways, workloads) for cross-resource analysis.
import { fqdn, hostCovers, hostsOverlap } from './hosts.js';
import type { DestinationRule, Gateway, MeshResource, Secret, Service, ServiceEntry, Sidecar, VirtualService } from './types.js';

export interface Workload {
  labels: Record<string, string>;
  namespace: string;
  name?: string;
  /** A connected sidecar's own listening ports by role (outbound, inbound, app, admin), when known. */
  ports?: Readonly<Record<string, number>>;
}

export interface MeshIndex {
  namespaces: ReadonlySet<string>;
  /** Service FQDN → Service. */
  services: ReadonlyMap<string, Service>;
  /** ServiceEntry hosts as written (wildcards allowed) with their entry. */
  entryHosts: readonly { host: string; entry: ServiceEntry }[];
  virtualServices: readonly VirtualService[];
  destinationRules: readonly DestinationRule[];
  /** `namespace/name` → Gateway. */
  gateways: ReadonlyMap<string, Gateway>;
  sidecars: readonly Sidecar[];
  /** `namespace/name` → Secret. */
  secrets: ReadonlyMap<string, Secret>;
  /** Registered workloads plus WorkloadEntries; undefined when the caller knows nothing about workloads. */
  workloads?: readonly Workload[];
  /** Resolve a host as written in a resource of `namespace` to its FQDN. */
  resolve(host: string, namespace: string): string;
  /** Is this (FQDN or wildcard) host served by a Service or a ServiceEntry? */
  hostKnown(fqdnHost: string): boolean;
}

export function buildIndex(resources: readonly MeshResource[], workloads?: readonly Workload[]): MeshIndex {
  const namespaces = new Set<string>();
  const services = new Map<string, Service>();
  const entryHosts: { host: string; entry: ServiceEntry }[] = [];
  const virtualServices: VirtualService[] = [];
  const destinationRules: DestinationRule[] = [];
  const gateways = new Map<string, Gateway>();
  const sidecars: Sidecar[] = [];
  const secrets = new Map<string, Secret>();
  const entryWorkloads: Workload[] = [];
  for (const w of workloads ?? []) namespaces.add(w.namespace);
  for (const r of resources) if (r.kind !== 'Secret') namespaces.add(r.metadata.namespace);

  for (const r of resources) {
    const ns = r.metadata.namespace;
    switch (r.kind) {
      case 'Service':
        services.set(`${r.metadata.name}.${ns}.svc.cluster.local`, r);
        break;
      case 'ServiceEntry':
        for (const h of Array.isArray(r.spec.hosts) ? r.spec.hosts : []) if (typeof h === 'string') entryHosts.push({ host: fqdn(h, ns, namespaces), entry: r });
        break;
      case 'VirtualService':
        virtualServices.push(r);
        break;
      case 'DestinationRule':
        destinationRules.push(r);
        break;
      case 'Gateway':
        gateways.set(`${ns}/${r.metadata.name}`, r);
        break;
      case 'WorkloadEntry':
        entryWorkloads.push({ labels: r.spec.labels ?? {}, namespace: ns, name: r.metadata.name });
        break;
      case 'Sidecar':
        sidecars.push(r);
        break;
      case 'Secret':
        secrets.set(`${ns}/${r.metadata.name}`, r);
        break;
    }
  }
  // WorkloadEntries are workloads too; with neither them nor caller-supplied workloads we cannot judge selectors.
  const allWorkloads = workloads || entryWorkloads.length > 0 ? [...(workloads ?? []), ...entryWorkloads] : undefined;

  return {
    namespaces,
    services,
    entryHosts,
    virtualServices,
    destinationRules,
    gateways,
    sidecars,
    secrets,
    workloads: allWorkloads,
    resolve: (host, namespace) => fqdn(host, namespace, namespaces),
    hostKnown: (h) => {
      if (h.startsWith('*')) return [...services.keys()].some((s) => hostCovers(h, s)) || entryHosts.some((e) => hostsOverlap(e.host, h));
      return services.has(h) || entryHosts.some((e) => hostCovers(e.host, h));
    },
  };
}

/** Kubernetes equality-based selection: every selector label present with the same value. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
