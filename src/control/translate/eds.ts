// Translate stage: EDS — a ClusterLoadAssignment per EDS cluster, endpoints grouped by locality with Istio's locality priorities.
import type { ProxyNode, Snapshot } from '../model/types.js';
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

/** loadAssignment shared by every proxy of the same locality that resolves the same DestinationRule for the cluster. */
function memoLoadAssignment(spec: ClusterSpec, proxy: ProxyNode, snap: Snapshot): Json {
  const l = proxy.locality;
  const key = `eds\n${specKey(spec)}\n${l === undefined ? '' : `${l.region}/${l.zone}/${l.subzone}`}`;
  return memoInSnapshot(snap, key, () => loadAssignment(spec, proxy, snap));
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
