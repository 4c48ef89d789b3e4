// Model stage: builds an immutable Snapshot (sorted inputs plus lookup indexes) from services, instances and Istio resources.
import type { AuthorizationPolicy, DestinationRule, Gateway, PeerAuthentication, RequestAuthentication, Secret, Sidecar, Telemetry, VirtualService } from '../../api/types.js';
import { fqdn, isWildcard } from '../../api/hosts.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from '../../api/mesh-config.js';
import type { InstanceInfo, ServiceInfo, Snapshot, SnapshotIndex } from './types.js';

export interface SnapshotInput {
  version: string;
  rootNamespace?: string;
  trustDomain?: string;
  mesh?: MeshConfig;
  trustBundlePem?: string;
  services?: readonly ServiceInfo[];
  instances?: readonly InstanceInfo[];
  /** Instances already grouped by service hostname, each list sorted (instead of `instances`; see EndpointIndex). */
  instancesByService?: ReadonlyMap<string, readonly InstanceInfo[]>;
  virtualServices?: readonly VirtualService[];
  destinationRules?: readonly DestinationRule[];
  gateways?: readonly Gateway[];
  sidecars?: readonly Sidecar[];
  peerAuthentications?: readonly PeerAuthentication[];
  secrets?: readonly Secret[];
  authorizationPolicies?: readonly AuthorizationPolicy[];
  requestAuthentications?: readonly RequestAuthentication[];
  telemetries?: readonly Telemetry[];
  jwks?: ReadonlyMap<string, string>;
}

export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

const byKey = <T extends { metadata: { namespace: string; name: string } }>(a: T, b: T): number =>
  cmp(a.metadata.namespace, b.metadata.namespace) || cmp(a.metadata.name, b.metadata.name);

export function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

/** Istio's endpoint order within a service: by service port, address, port. */
export const byEndpoint = (a: InstanceInfo, b: InstanceInfo): number =>
  cmp(a.servicePort, b.servicePort) || cmp(a.address, b.address) || cmp(a.port, b.port);

/** All instances sorted by (service, servicePort, address, port), and by service: from a flat list or from lists grouped and sorted already. */
function instanceIndex(input: SnapshotInput): { instances: InstanceInfo[]; instancesByService: Map<string, readonly InstanceInfo[]> } {
  const instancesByService = new Map<string, readonly InstanceInfo[]>();
  if (input.instancesByService !== undefined) {
    for (const host of [...input.instancesByService.keys()].sort(cmp)) instancesByService.set(host, input.instancesByService.get(host)!);
  } else {
    const grouped = new Map<string, InstanceInfo[]>();
    for (const i of input.instances ?? []) push(grouped, i.service, i);
    for (const host of [...grouped.keys()].sort(cmp)) instancesByService.set(host, grouped.get(host)!.sort(byEndpoint));
  }
  const instances: InstanceInfo[] = [];
  for (const list of instancesByService.values()) for (const i of list) instances.push(i);
  return { instances, instancesByService };
}

/**
 * Sorts every input (so translation output does not depend on arrival order) and precomputes the indexes.
 * Duplicate service hostnames keep the first after sorting by (origin Service before ServiceEntry, namespace).
 */
export function buildSnapshot(input: SnapshotInput): Snapshot {
  const namespaces = new Set<string>();
  const services = [...(input.services ?? [])].sort(
    (a, b) => cmp(a.hostname, b.hostname) || cmp(a.origin, b.origin) || cmp(a.namespace, b.namespace),
  );
  const servicesByHost = new Map<string, ServiceInfo>();
  for (const s of services) {
    namespaces.add(s.namespace);
    if (!servicesByHost.has(s.hostname)) servicesByHost.set(s.hostname, s);
  }
  const uniqueServices = [...servicesByHost.values()];

  const { instances, instancesByService } = instanceIndex(input);

  const virtualServices = [...(input.virtualServices ?? [])].sort(byKey);
  const destinationRules = [...(input.destinationRules ?? [])].sort(byKey);
  const gateways = [...(input.gateways ?? [])].sort(byKey);
  const sidecars = [...(input.sidecars ?? [])].sort(byKey);
  for (const r of [...virtualServices, ...destinationRules, ...gateways, ...sidecars]) namespaces.add(r.metadata.namespace);

  const virtualServicesByHost = new Map<string, VirtualService[]>();
  for (const vs of virtualServices) {
    const seen = new Set<string>();
    for (const h of vs.spec.hosts ?? []) {
      const host = fqdn(h, vs.metadata.namespace, namespaces);
      if (!seen.has(host)) push(virtualServicesByHost, host, vs);
      seen.add(host);
    }
  }
  const delegateVirtualServices = new Map<string, VirtualService>();
  for (const vs of virtualServices) {
    if ((vs.spec.hosts ?? []).length === 0) delegateVirtualServices.set(`${vs.metadata.namespace}/${vs.metadata.name}`, vs);
  }
  const destinationRulesByHost = new Map<string, DestinationRule[]>();
  for (const dr of destinationRules) push(destinationRulesByHost, fqdn(dr.spec.host, dr.metadata.namespace, namespaces), dr);
  const sidecarsByNamespace = new Map<string, Sidecar[]>();
  for (const sc of sidecars) push(sidecarsByNamespace, sc.metadata.namespace, sc);
  const peerAuthentications = [...(input.peerAuthentications ?? [])].sort(byKey);
  const peerAuthenticationsByNamespace = new Map<string, PeerAuthentication[]>();
  for (const pa of peerAuthentications) push(peerAuthenticationsByNamespace, pa.metadata.namespace, pa);
  const gatewaysByName = new Map<string, Gateway>();
  for (const gw of gateways) gatewaysByName.set(`${gw.metadata.namespace}/${gw.metadata.name}`, gw);
  // secrets do not join `namespaces`: they must not change how short host names resolve
  const secrets = [...(input.secrets ?? [])].sort(byKey);
  const secretsByName = new Map<string, Secret>(secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));

  const wildcards = (m: ReadonlyMap<string, unknown>): string[] =>
    [...m.keys()].filter(isWildcard).sort((a, b) => b.length - a.length || cmp(a, b));
  const index: SnapshotIndex = {
    servicesByHost,
    instancesByService,
    virtualServicesByHost,
    destinationRulesByHost,
    delegateVirtualServices,
    virtualServiceWildcards: wildcards(virtualServicesByHost),
    destinationRuleWildcards: wildcards(destinationRulesByHost),
    sidecarsByNamespace,
    gatewaysByName,
    secretsByName,
    namespaces,
    peerAuthenticationsByNamespace,
  };
  return Object.freeze({
    version: input.version,
    rootNamespace: input.rootNamespace ?? DEFAULT_ROOT_NAMESPACE,
    trustDomain: input.trustDomain ?? DEFAULT_TRUST_DOMAIN,
    mesh: input.mesh ?? DEFAULT_MESH_CONFIG,
    trustBundlePem: input.trustBundlePem ?? '',
    services: Object.freeze(uniqueServices),
    instances: Object.freeze(instances),
    virtualServices: Object.freeze(virtualServices),
    destinationRules: Object.freeze(destinationRules),
    gateways: Object.freeze(gateways),
    sidecars: Object.freeze(sidecars),
    peerAuthentications: Object.freeze(peerAuthentications),
    secrets: Object.freeze(secrets),
    authorizationPolicies: Object.freeze([...(input.authorizationPolicies ?? [])].sort(byKey)),
    requestAuthentications: Object.freeze([...(input.requestAuthentications ?? [])].sort(byKey)),
    telemetries: Object.freeze([...(input.telemetries ?? [])].sort(byKey)),
    jwks: input.jwks ?? new Map(),
    index,
  });
}
