// Admin: renders ClusterStatus as Envoy's /clusters text (`name::host::stat::value`) and ?format=json (admin.v3.Clusters).
import type { ClusterStatus, HostStatus } from './cluster-status.js';

function hostAddr(h: HostStatus): string {
  return h.address.includes(':') ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`;
}

const COUNTERS = ['cx_connect_fail', 'cx_total', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total'] as const;
const GAUGES = ['cx_active', 'rq_active'] as const;

export function formatClustersText(clusters: readonly ClusterStatus[]): string {
  const out: string[] = [];
  for (const c of clusters) {
    const n = c.name;
    out.push(`${n}::observability_name::${c.observabilityName}`);
    if (c.outlier) {
      out.push(
        `${n}::outlier::success_rate_average::${c.outlier.successRateAverage}`,
        `${n}::outlier::success_rate_ejection_threshold::${c.outlier.successRateEjectionThreshold}`,
        `${n}::outlier::local_origin_success_rate_average::-1`,
        `${n}::outlier::local_origin_success_rate_ejection_threshold::-1`,
      );
    }
    for (const b of c.circuitBreakers) {
      const p = b.priority === 'HIGH' ? 'high_priority' : 'default_priority';
      out.push(
        `${n}::${p}::max_connections::${b.max_connections}`,
        `${n}::${p}::max_pending_requests::${b.max_pending_requests}`,
        `${n}::${p}::max_requests::${b.max_requests}`,
        `${n}::${p}::max_retries::${b.max_retries}`,
      );
    }
    out.push(`${n}::added_via_api::${c.addedViaApi}`);
    for (const h of c.hosts) {
      const pre = `${n}::${hostAddr(h)}`;
      // Envoy prints the per-host stats sorted by name.
      const stats = Object.entries(h.stats).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [k, v] of stats) out.push(`${pre}::${k}::${v}`);
      out.push(
        `${pre}::hostname::${h.hostname}`,
        `${pre}::health_flags::${h.healthFlags}`,
        `${pre}::weight::${h.weight}`,
        `${pre}::region::${h.locality.region}`,
        `${pre}::zone::${h.locality.zone}`,
        `${pre}::sub_zone::${h.locality.sub_zone}`,
        `${pre}::canary::false`,
        `${pre}::priority::${h.priority}`,
        `${pre}::success_rate::${h.successRate}`,
        `${pre}::local_origin_success_rate::-1`,
      );
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** admin.v3.Clusters in proto3 JSON (uint64 counters as strings). */
export function clustersJson(clusters: readonly ClusterStatus[]): unknown {
  return {
    cluster_statuses: clusters.map((c) => ({
      name: c.name,
      observability_name: c.observabilityName,
      added_via_api: c.addedViaApi,
      circuit_breakers: {
        thresholds: c.circuitBreakers.map((b) => ({ ...b })),
      },
      ...(c.outlier && c.outlier.successRateEjectionThreshold >= 0
        ? { success_rate_ejection_threshold: { value: c.outlier.successRateEjectionThreshold } }
        : {}),
      host_statuses: c.hosts.map((h) => ({
        address: { socket_address: { address: h.address, port_value: h.port } },
        stats: [
          ...COUNTERS.map((k) => ({ name: k, value: String(h.stats[k]) })),
          ...GAUGES.map((k) => ({ type: 'GAUGE', name: k, value: String(h.stats[k]) })),
        ],
        health_status: {
          eds_health_status: h.edsHealthStatus,
          ...(h.failedActiveHealthCheck ? { failed_active_health_check: true } : {}),
          ...(h.failedOutlierCheck ? { failed_outlier_check: true } : {}),
        },
        ...(h.successRate >= 0 ? { success_rate: { value: h.successRate } } : {}),
        weight: h.weight,
        hostname: h.hostname,
        priority: h.priority,
        locality: h.locality,
      })),
    })),
  };
}
