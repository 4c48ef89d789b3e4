// Test support: fully-defaulted Envoy-shaped cluster configs and a trivial load balancer for cluster tests.
import type { Cluster, HealthCheck, LbEndpoint, LocalityLbEndpoints, OutlierDetection } from '../../../src/proxy/config/types.js';
import type { LoadBalancer, Picker, PrioritySet } from '../../../src/proxy/upstream/types.js';

export function lbEndpoint(address: string, port: number, extra: Partial<LbEndpoint> = {}): LbEndpoint {
  return { endpoint: { address: { socket_address: { protocol: 'TCP', address, port_value: port } } }, health_status: 'UNKNOWN', load_balancing_weight: 1, ...extra };
}

export function locality(zone: string, endpoints: LbEndpoint[], extra: Partial<LocalityLbEndpoints> = {}): LocalityLbEndpoints {
  return { locality: { region: 'r', zone, sub_zone: '' }, lb_endpoints: endpoints, priority: 0, ...extra };
}

export function clusterConfig(name: string, over: Partial<Cluster> = {}, endpoints: LocalityLbEndpoints[] = []): Cluster {
  return {
    name,
    type: 'STATIC',
    connect_timeout: 5000,
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: name, endpoints, policy: { overprovisioning_factor: 140, drop_overloads: [] } },
    dns_refresh_rate: 5000,
    dns_lookup_family: 'V4_ONLY',
    respect_dns_ttl: false,
    circuit_breakers: { thresholds: [] },
    health_checks: [],
    common_lb_config: { healthy_panic_threshold: 50, locality_weighted_lb_config: false, ignore_new_hosts_until_first_hc: false },
    least_request_lb_config: { choice_count: 2, active_request_bias: 1 },
    ring_hash_lb_config: { minimum_ring_size: 1024, maximum_ring_size: 8388608, hash_function: 'XX_HASH' },
    maglev_lb_config: { table_size: 65537 },
    typed_extension_protocol_options: {},
    per_connection_buffer_limit_bytes: 1048576,
    close_connections_on_host_health_failure: false,
    ignore_health_on_host_removal: false,
    ...over,
  };
}

export function outlierConfig(over: Partial<OutlierDetection> = {}): OutlierDetection {
  return {
    consecutive_5xx: 5,
    consecutive_gateway_failure: 5,
    consecutive_local_origin_failure: 5,
    interval: 10000,
    base_ejection_time: 30000,
    max_ejection_time: 300000,
    max_ejection_percent: 10,
    enforcing_consecutive_5xx: 100,
    enforcing_consecutive_gateway_failure: 0,
    enforcing_consecutive_local_origin_failure: 100,
    enforcing_success_rate: 100,
    success_rate_minimum_hosts: 5,
    success_rate_request_volume: 100,
    success_rate_stdev_factor: 1900,
    enforcing_failure_percentage: 0,
    failure_percentage_threshold: 85,
    failure_percentage_minimum_hosts: 5,
    failure_percentage_request_volume: 50,
    split_external_local_origin_errors: false,
    ...over,
  };
}

export function httpCheck(path: string, over: Partial<HealthCheck> = {}): HealthCheck {
  return {
    timeout: 200,
    interval: 20,
    unhealthy_threshold: 3,
    healthy_threshold: 2,
    no_traffic_interval: 20,
    checker: { kind: 'http', path, expected_statuses: [], request_headers_to_add: [], request_headers_to_remove: [], codec_client_type: 'HTTP1' },
    ...over,
  };
}

/** Picks the first healthy, non-ejected host; records every update for assertions. */
export function fakeLb(updates: PrioritySet[] = []): () => LoadBalancer {
  return () => ({
    update(set: PrioritySet): Picker {
      updates.push(set);
      return {
        pick() {
          for (const hs of set) for (const h of hs.hosts) if (h.health === 'healthy' && !h.ejected) return { kind: 'complete', host: h };
          return { kind: 'fail' };
        },
      };
    },
  });
}

export function waitFor(cond: () => boolean, timeoutMs = 3000, stepMs = 5): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error('waitFor: timed out'));
      setTimeout(tick, stepMs);
    };
    tick();
  });
}
