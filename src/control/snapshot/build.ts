// Ingestion stage: the pure snapshot builder — (mesh resources, registered workloads) → immutable Snapshot with services and endpoints.
import type { DestinationRule, Gateway, MeshResource, Secret, Service, ServiceEntry, Sidecar, VirtualService, WorkloadEntry } from '../../api/types.js';
import type { MeshConfig } from '../../api/mesh-config.js';
import { buildSnapshot } from '../model/snapshot.js';
import type { ServiceInfo, Snapshot } from '../model/types.js';
import { declaredInstances } from '../registry/endpoints.js';
import { declaredServices, serviceFromResource, servicesFromEntry } from '../registry/services.js';
import type { RegisteredWorkload } from '../registry/types.js';
import { EndpointIndex } from './endpoint-index.js';

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
  /** Kept by the caller across builds so a rebuild recomputes only the endpoints that changed (fresh when absent). */
  endpoints?: EndpointIndex;
}

type ByKind = ReadonlyMap<string, MeshResource[]>;

/** One pass over the resources (tens of thousands of WorkloadEntries), not one per kind. */
function groupByKind(rs: readonly MeshResource[]): ByKind {
  const out = new Map<string, MeshResource[]>();
  for (const r of rs) {
    const list = out.get(r.kind);
    if (list === undefined) out.set(r.kind, [r]);
    else list.push(r);
  }
  return out;
}

function ofKind<K extends MeshResource['kind']>(rs: ByKind, kind: K): Extract<MeshResource, { kind: K }>[] {
  return (rs.get(kind) ?? []) as Extract<MeshResource, { kind: K }>[];
}

// The services a resource defines, once per resource object: unchanged resources keep their ServiceInfo objects,
// so comparing two snapshots' services is mostly identity checks (see changes.ts).
const coreServiceInfo = new WeakMap<Service, ServiceInfo>();
const entryServiceInfo = new WeakMap<ServiceEntry, ServiceInfo[]>();

function memo<K extends object, V>(m: WeakMap<K, V>, k: K, make: (k: K) => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make(k)));
  return v;
}

/** Same inputs, same Snapshot (buildSnapshot sorts everything), so translation output is deterministic. */
export function buildMeshSnapshot(input: MeshInput): Snapshot {
  const rs = groupByKind(input.resources);
  const coreServices: Service[] = ofKind(rs, 'Service');
  const entries: ServiceEntry[] = ofKind(rs, 'ServiceEntry');
  const workloadEntries: WorkloadEntry[] = ofKind(rs, 'WorkloadEntry');

  const services: ServiceInfo[] = [
    ...coreServices.map((s) => memo(coreServiceInfo, s, serviceFromResource)),
    ...entries.flatMap((se) => memo(entryServiceInfo, se, servicesFromEntry)),
  ];
  const declared = declaredServices(input.workloads, new Set(services.map((s) => s.hostname)));
  services.push(...declared);

  const endpoints = input.endpoints ?? new EndpointIndex();
  endpoints.update(input.workloads, workloadEntries);
  const instancesByService = endpoints.instancesByHost([...coreServices, ...entries], declaredInstances(declared, input.workloads));

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
    instancesByService,
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
