// Upstream clusters: turns a ClusterLoadAssignment into endpoint specs and hosts into a PrioritySet.
import type { ClusterLoadAssignment, LbEndpoint, Locality } from '../config/types.js';
import { NO_LOCALITY, localityKey, type EndpointSpec, type HostImpl } from './host.js';
import type { HostHealth, HostSet, PrioritySet } from './types.js';

export const DEFAULT_OVERPROVISIONING = 140;

/** EDS health_status -> host health (Envoy: UNHEALTHY/DRAINING/TIMEOUT exclude, DEGRADED degrades). */
export function edsHealth(status: LbEndpoint['health_status']): HostHealth {
  switch (status) {
    case 'UNHEALTHY':
    case 'DRAINING':
    case 'TIMEOUT':
      return 'unhealthy';
    case 'DEGRADED':
      return 'degraded';
    default:
      return 'healthy';
  }
}

/**
 * One spec per (endpoint, address). `addressesOf` maps an endpoint to the addresses it stands for
 * (STATIC: itself; STRICT_DNS: its resolved IPs); an empty list drops the endpoint.
 */
export function specsFromAssignment(
  cla: ClusterLoadAssignment,
  addressesOf: (ep: LbEndpoint) => readonly string[],
): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  for (const lle of cla.endpoints) {
    const locality: Locality = lle.locality ?? NO_LOCALITY;
    for (const lbe of lle.lb_endpoints) {
      const sa = lbe.endpoint.address.socket_address;
      for (const address of addressesOf(lbe)) {
        out.push({
          address,
          port: sa.port_value,
          hostname: lbe.endpoint.hostname ?? (address === sa.address ? '' : sa.address),
          weight: Math.max(1, lbe.load_balancing_weight),
          locality,
          localityWeight: lle.load_balancing_weight,
          priority: lle.priority,
          edsHealth: edsHealth(lbe.health_status),
          hcPort: lbe.endpoint.health_check_config?.port_value || undefined,
          hcHostname: lbe.endpoint.health_check_config?.hostname || undefined,
          socketMatch: socketMatchMetadata(lbe),
        });
      }
    }
  }
  return out;
}

/** The endpoint's filter_metadata["envoy.transport_socket_match"], when it is an object. */
export function socketMatchMetadata(lbe: LbEndpoint): Readonly<Record<string, unknown>> | undefined {
  const fm = lbe.metadata?.filter_metadata;
  const v = isObject(fm) ? fm['envoy.transport_socket_match'] : undefined;
  return isObject(v) ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Groups hosts by priority (dense 0..max, gaps become empty sets) and by locality within each. */
export function buildPrioritySet(hosts: Iterable<HostImpl>, overprovisioningFactor: number): PrioritySet {
  const byPriority: HostImpl[][] = [];
  for (const h of hosts) (byPriority[h.priority] ??= []).push(h);
  const sets: HostSet[] = [];
  for (let p = 0; p < byPriority.length; p++) {
    const list = byPriority[p] ?? [];
    const localities = new Map<string, { locality: Locality; weight: number | undefined; hosts: HostImpl[] }>();
    for (const h of list) {
      const k = localityKey(h.locality);
      let entry = localities.get(k);
      if (!entry) localities.set(k, (entry = { locality: h.locality, weight: h.localityWeight, hosts: [] }));
      entry.hosts.push(h);
    }
    sets.push(
      Object.freeze({
        priority: p,
        hosts: Object.freeze(list),
        localities: Object.freeze([...localities.values()].map((l) => Object.freeze({ ...l, hosts: Object.freeze(l.hosts) }))),
        overprovisioningFactor,
      }),
    );
  }
  return Object.freeze(sets);
}
