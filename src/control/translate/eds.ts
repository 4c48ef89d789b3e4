// Translate stage: EDS — a ClusterLoadAssignment per EDS cluster, endpoints grouped by locality with Istio's locality priorities.
import type { DestinationRule } from '../../api/types.js';
import type { InstanceInfo, ProxyNode, Snapshot } from '../model/types.js';
import { type ClusterSpec, clusterInstances, clusterSpecsByName, outboundClusterSpecs } from './cluster-specs.js';
import { socketAddress } from './envoy.js';
import { ENDPOINT_TYPE, type Generator, type Json, type XdsResource, anyChanged } from './generator.js';
import { applyLocalityLb, groupByLocality } from './locality.js';
import { memoInSnapshot, specKey } from './memo.js';
import { effectivePolicy } from './policy.js';
import { tlsModeMetadata } from './cluster-tls.js';
import { endpointTlsMode } from './peer-authn.js';

/** Only STATIC-resolution services are EDS clusters; DNS ones carry their endpoints inline (see cds.ts). */
export function isEdsCluster(spec: ClusterSpec): boolean {
  return spec.service.resolution === 'STATIC';
}

/** The CLA for one cluster; unhealthy endpoints are left out (Istio's default). */
export function loadAssignment(spec: ClusterSpec, proxy: ProxyNode, snap: Snapshot): Json {
  const policy = effectivePolicy(spec.rule, spec.subset, spec.port.port);
  const healthy = clusterInstances(spec, snap).filter((i) => i.healthy);
  const groups = applyLocalityLb(groupByLocality(healthy), proxy.locality, policy.loadBalancer?.localityLbSetting, policy.outlierDetection !== undefined);
  return {
    '@type': ENDPOINT_TYPE,
    cluster_name: spec.name,
    endpoints: groups.map((g) => ({
      locality: { region: g.locality.region, zone: g.locality.zone, sub_zone: g.locality.subzone },
      lb_endpoints: g.instances.map((i) => {
        const ep: Json = { endpoint: { address: socketAddress(i.address, i.port) }, health_status: 'HEALTHY', load_balancing_weight: Math.max(1, Math.round(i.weight)) };
        // the tlsMode auto-mTLS clusters match on: this endpoint has a sidecar
        const md = tlsModeMetadata(endpointTlsMode(i, snap));
        if (md !== undefined) ep.metadata = md;
        return ep;
      }),
      // always set: grpc-js-xds ignores a locality without a weight
      load_balancing_weight: Math.max(1, g.weight),
      priority: g.priority,
    })),
  };
}

interface Assignment {
  rule: DestinationRule | undefined;
  peers: string;
  cla: Json;
}

/**
 * CLAs by the endpoint list they were built from. An unchanged service keeps its list object from one snapshot to the
 * next (see EndpointIndex), so after an endpoint change only the changed services' CLAs are built (and encoded) again.
 */
const assignments = new WeakMap<readonly InstanceInfo[], Map<string, Assignment>>();
const peerSignatures = new WeakMap<Snapshot, string>();

/** What endpoints' tlsMode depends on besides their own labels: the PeerAuthentications (and which namespace is the mesh's). */
function peerSignature(snap: Snapshot): string {
  let sig = peerSignatures.get(snap);
  if (sig === undefined) peerSignatures.set(snap, (sig = snap.peerAuthentications.length === 0 ? '' : JSON.stringify([snap.rootNamespace, snap.peerAuthentications])));
  return sig;
}

/** loadAssignment shared by every proxy of the same locality that resolves the same DestinationRule for the cluster. */
function memoLoadAssignment(spec: ClusterSpec, proxy: ProxyNode, snap: Snapshot): Json {
  const l = proxy.locality;
  const locality = l === undefined ? '' : `${l.region}/${l.zone}/${l.subzone}`;
  const list = snap.index.instancesByService.get(spec.service.hostname);
  // no endpoints: nothing to keep across snapshots (and no list object to keep it by)
  if (list === undefined) return memoInSnapshot(snap, `eds\n${specKey(spec)}\n${locality}`, () => loadAssignment(spec, proxy, snap));
  let byCluster = assignments.get(list);
  if (byCluster === undefined) assignments.set(list, (byCluster = new Map()));
  const key = `${specKey(spec)}\n${locality}`;
  const peers = peerSignature(snap);
  const hit = byCluster.get(key);
  // the same DestinationRule object: the store hands back the same object until the rule changes
  if (hit !== undefined && hit.rule === spec.rule && hit.peers === peers) return hit.cla;
  const cla = loadAssignment(spec, proxy, snap);
  byCluster.set(key, { rule: spec.rule, peers, cla });
  return cla;
}

export const edsGenerator: Generator = {
  typeUrl: ENDPOINT_TYPE,
  // a workload-level PeerAuthentication DISABLE changes its endpoints' tlsMode
  needsPush: (changed) => anyChanged(changed, ['endpoints', 'WorkloadEntry', 'Service', 'ServiceEntry', 'DestinationRule', 'Sidecar', 'PeerAuthentication']),
  build(proxy: ProxyNode, snap: Snapshot, names?: readonly string[]): XdsResource[] {
    const specs = names !== undefined && names.length > 0 ? clusterSpecsByName(proxy, snap, names) : outboundClusterSpecs(proxy, snap);
    return specs.filter(isEdsCluster).map((spec) => ({ name: spec.name, resource: memoLoadAssignment(spec, proxy, snap) }));
  },
};
