// HTTP API: services known only from registered workloads (a sidecar's --service with no Service applied), shown as
// read-only core Services so `get svc` lists them and `analyze` resolves their hosts, as Istio's registry would.
import type { MeshResource, Service } from '../../api/types.js';
import type { Snapshot } from '../model/types.js';

/** Marks a Service that no one applied: it exists while workloads that declare it are registered. */
export const REGISTRY_ORIGIN_ANNOTATION = 'trellis.io/origin';

/** The snapshot's services no stored Service backs (the declared ones), as Service resources in `namespace` (all when undefined). */
export function registeredServices(snap: Snapshot, stored: readonly { kind: string; metadata: { name: string; namespace?: string } }[], namespace?: string): Service[] {
  const storedKeys = new Set(stored.filter((r) => r.kind === 'Service').map((r) => `${r.metadata.namespace ?? 'default'}/${r.metadata.name}`));
  return snap.services
    .filter((s) => s.origin === 'Service' && !storedKeys.has(`${s.namespace}/${s.name}`) && (namespace === undefined || s.namespace === namespace))
    .map((s) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, namespace: s.namespace, annotations: { [REGISTRY_ORIGIN_ANNOTATION]: 'registered workloads' } },
      spec: { ports: s.ports.map((p) => ({ name: p.name, port: p.port })) },
    }));
}

/** `resources` plus the registered-only Services their keys do not already hold. */
export function withRegisteredServices(resources: MeshResource[], snap: Snapshot): MeshResource[] {
  return [...resources, ...registeredServices(snap, resources)];
}
