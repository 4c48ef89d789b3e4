// Ingestion stage: the pure snapshot builder — (mesh resources, registered workloads) → immutable Snapshot with services and endpoints.
import type { DestinationRule, Gateway, MeshResource, Secret, Service, ServiceEntry, Sidecar, VirtualService, WorkloadEntry } from '../../api/types.js';
import type { MeshConfig } from '../../api/mesh-config.js';
import { buildSnapshot } from '../model/snapshot.js';
import type { InstanceInfo, ServiceInfo, Snapshot } from '../model/types.js';
import { type EndpointSource, declaredInstances, entryInstances, serviceInstances, sourceFromEntry, sourceFromWorkload } from '../registry/endpoints.js';
import { declaredServices, serviceFromResource, servicesFromEntry } from '../registry/services.js';
import type { RegisteredWorkload } from '../registry/types.js';

export interface MeshInput {
  resources: readonly MeshResource[];
  workloads: readonly RegisteredWorkload[];
  /** Opaque, e.g. `<store revision>.<registry generation>`. */
  version: string;
  rootNamespace?: string;
  trustDomain?: string;
  mesh?: MeshConfig;
  /** Fetched JWKS by jwksUri (see JwksResolver). */
  jwks?: ReadonlyMap<string, string>;
  trustBundlePem?: string;
}

function ofKind<K extends MeshResource['kind']>(rs: readonly MeshResource[], kind: K): Extract<MeshResource, { kind: K }>[] {
  return rs.filter((r): r is Extract<MeshResource, { kind: K }> => r.kind === kind);
}

/** Same inputs, same Snapshot (buildSnapshot sorts everything), so translation output is deterministic. */
export function buildMeshSnapshot(input: MeshInput): Snapshot {
  const rs = input.resources;
  const coreServices: Service[] = ofKind(rs, 'Service');
  const entries: ServiceEntry[] = ofKind(rs, 'ServiceEntry');
  const workloadEntries: WorkloadEntry[] = ofKind(rs, 'WorkloadEntry');

  const services: ServiceInfo[] = [...coreServices.map(serviceFromResource), ...entries.flatMap(servicesFromEntry)];
  const declared = declaredServices(input.workloads, new Set(services.map((s) => s.hostname)));
  services.push(...declared);

  const sources: EndpointSource[] = input.workloads.map(sourceFromWorkload);
  for (const we of workloadEntries) {
    const s = sourceFromEntry(we);
    if (s !== undefined) sources.push(s);
  }
  const instances: InstanceInfo[] = [
    ...coreServices.flatMap((s) => serviceInstances(s, sources, input.workloads)),
    ...entries.flatMap((se) => entryInstances(se, sources)),
    ...declaredInstances(declared, input.workloads),
  ];

  const virtualServices: VirtualService[] = ofKind(rs, 'VirtualService');
  const destinationRules: DestinationRule[] = ofKind(rs, 'DestinationRule');
  const gateways: Gateway[] = ofKind(rs, 'Gateway');
  const sidecars: Sidecar[] = ofKind(rs, 'Sidecar');
  const peerAuthentications = ofKind(rs, 'PeerAuthentication');
  const secrets: Secret[] = ofKind(rs, 'Secret');
  return buildSnapshot({
    version: input.version,
    ...(input.rootNamespace !== undefined ? { rootNamespace: input.rootNamespace } : {}),
    ...(input.trustDomain !== undefined ? { trustDomain: input.trustDomain } : {}),
    ...(input.mesh !== undefined ? { mesh: input.mesh } : {}),
    ...(input.trustBundlePem !== undefined ? { trustBundlePem: input.trustBundlePem } : {}),
    services,
    instances,
    virtualServices,
    destinationRules,
    gateways,
    sidecars,
    peerAuthentications,
    secrets,
    authorizationPolicies: ofKind(rs, 'AuthorizationPolicy'),
    requestAuthentications: ofKind(rs, 'RequestAuthentication'),
    telemetries: ofKind(rs, 'Telemetry'),
    ...(input.jwks !== undefined ? { jwks: input.jwks } : {}),
  });
}
