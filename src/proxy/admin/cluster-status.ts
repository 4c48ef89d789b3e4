// Admin: a plain, JSON-able picture of every cluster and host (what /clusters prints), taken from a ClusterManager.
import type { CircuitBreakerThresholds, Locality } from '../config/types.js';
import { HostImpl } from '../upstream/host.js';
import type { ClusterManager, Host, UpstreamCluster } from '../upstream/types.js';

export interface HostStatus {
  address: string;
  port: number;
  hostname: string;
  weight: number;
  priority: number;
  locality: Locality;
  /** Envoy's health_flags text: 'healthy' or e.g. '/failed_active_hc/failed_outlier_check'. */
  healthFlags: string;
  /** EDS health_status as Envoy's admin JSON reports it (HEALTHY, UNHEALTHY, DEGRADED). */
  edsHealthStatus: 'HEALTHY' | 'UNHEALTHY' | 'DEGRADED';
  failedActiveHealthCheck: boolean;
  failedOutlierCheck: boolean;
  ejected: boolean;
  stats: {
    cx_total: number;
    cx_active: number;
    cx_connect_fail: number;
    rq_total: number;
    rq_timeout: number;
    rq_success: number;
    rq_error: number;
    rq_active: number;
  };
  /** Percent, -1 when not computed (as Envoy prints it). */
  successRate: number;
}

export interface CircuitBreakerStatus {
  priority: 'DEFAULT' | 'HIGH';
  max_connections: number;
  max_pending_requests: number;
  max_requests: number;
  max_retries: number;
}

export interface ClusterStatus {
  name: string;
  observabilityName: string;
  addedViaApi: boolean;
  circuitBreakers: CircuitBreakerStatus[];
  /** Outlier detection summary, -1 when not enough data (or no detector). */
  outlier: { successRateAverage: number; successRateEjectionThreshold: number } | undefined;
  hosts: HostStatus[];
}

/** Envoy's defaults when a priority has no thresholds entry. */
function breakers(thresholds: readonly CircuitBreakerThresholds[]): CircuitBreakerStatus[] {
  return (['DEFAULT', 'HIGH'] as const).map((priority) => {
    const t = thresholds.find((x) => x.priority === priority);
    return {
      priority,
      max_connections: t?.max_connections ?? 1024,
      max_pending_requests: t?.max_pending_requests ?? 1024,
      max_requests: t?.max_requests ?? 1024,
      max_retries: t?.max_retries ?? 3,
    };
  });
}

/** Mirrors Envoy's HostUtility::healthFlagsToString order: active HC flags, outlier, then EDS. */
function hostHealth(host: Host, activeHc: boolean): Pick<HostStatus, 'healthFlags' | 'edsHealthStatus' | 'failedActiveHealthCheck' | 'failedOutlierCheck'> {
  let hcFailed = false;
  let hcDegraded = false;
  let eds = host.health;
  if (host instanceof HostImpl) {
    hcFailed = host.hc?.failed ?? false;
    hcDegraded = host.hc?.degraded ?? false;
    eds = host.edsHealth;
  } else if (activeHc) {
    // Without the breakdown, a checked cluster's unhealthy host is blamed on the health checker.
    hcFailed = host.health === 'unhealthy';
    hcDegraded = host.health === 'degraded';
    eds = 'healthy';
  }
  let flags = '';
  if (hcFailed) flags += '/failed_active_hc';
  if (hcDegraded) flags += '/degraded_active_hc';
  if (host.ejected) flags += '/failed_outlier_check';
  if (eds === 'unhealthy') flags += '/failed_eds_health';
  if (eds === 'degraded') flags += '/degraded_eds_health';
  return {
    healthFlags: flags === '' ? 'healthy' : flags,
    edsHealthStatus: eds === 'unhealthy' ? 'UNHEALTHY' : eds === 'degraded' ? 'DEGRADED' : 'HEALTHY',
    failedActiveHealthCheck: hcFailed,
    failedOutlierCheck: host.ejected,
  };
}

/** Every host of a cluster: the implementation's full list when it has one (hosts kept for HC), else the priority set. */
function hostsOf(c: UpstreamCluster): readonly Host[] {
  const withHosts = c as UpstreamCluster & { hosts?: () => readonly Host[] };
  if (typeof withHosts.hosts === 'function') return withHosts.hosts();
  return c.prioritySet().flatMap((set) => set.hosts);
}

export function hostStatus(host: Host, activeHc: boolean): HostStatus {
  return {
    address: host.address,
    port: host.port,
    hostname: host.hostname,
    weight: host.weight,
    priority: host.priority,
    locality: { region: host.locality.region, zone: host.locality.zone, sub_zone: host.locality.sub_zone },
    ...hostHealth(host, activeHc),
    ejected: host.ejected,
    stats: {
      cx_total: host.stats.cx_total,
      cx_active: host.stats.cx_active,
      cx_connect_fail: host.stats.cx_connect_fail,
      rq_total: host.stats.rq_total,
      rq_timeout: host.stats.rq_timeout,
      rq_success: host.stats.rq_success,
      rq_error: host.stats.rq_error,
      rq_active: host.activeRequests,
    },
    successRate: -1,
  };
}

/** Snapshot for /clusters; plain data so a worker can send it to the primary. */
export function clusterStatusFrom(manager: ClusterManager, dynamicClusters?: ReadonlySet<string>): ClusterStatus[] {
  return manager.all().map((c) => {
    const activeHc = c.config.health_checks.length > 0;
    return {
      name: c.name,
      observabilityName: c.name,
      addedViaApi: dynamicClusters?.has(c.name) ?? false,
      circuitBreakers: breakers(c.config.circuit_breakers.thresholds),
      outlier: c.config.outlier_detection ? { successRateAverage: -1, successRateEjectionThreshold: -1 } : undefined,
      hosts: hostsOf(c).map((h) => hostStatus(h, activeHc)),
    };
  });
}

/**
 * One picture from several workers' (`--concurrency N`): per-host counters and gauges are summed, as
 * Envoy's /clusters sums its worker threads; everything else is taken from the first worker that has the host.
 */
export function mergeClusterStatuses(perWorker: readonly (readonly ClusterStatus[])[]): ClusterStatus[] {
  const out: ClusterStatus[] = [];
  const clusters = new Map<string, { status: ClusterStatus; hosts: Map<string, HostStatus> }>();
  for (const list of perWorker) {
    for (const c of list) {
      let m = clusters.get(c.name);
      if (m === undefined) {
        m = { status: { ...c, hosts: [] }, hosts: new Map() };
        clusters.set(c.name, m);
        out.push(m.status);
      }
      for (const h of c.hosts) {
        const key = `${h.address}|${h.port}|${h.priority}`;
        const have = m.hosts.get(key);
        if (have === undefined) {
          const copy = { ...h, stats: { ...h.stats } };
          m.hosts.set(key, copy);
          m.status.hosts.push(copy);
        } else {
          for (const k of Object.keys(have.stats) as (keyof HostStatus['stats'])[]) have.stats[k] += h.stats[k];
        }
      }
    }
  }
  return out;
}
