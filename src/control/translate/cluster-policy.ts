// Translate stage: a merged DestinationRule policy → Envoy Cluster fields (LB, circuit breakers, outlier detection, HTTP protocol options).
import type { ConnectionPoolSettings, LoadBalancerSettings, OutlierDetection } from '../../api/types.js';
import { parseDuration } from '../../api/duration.js';
import type { PortProtocol } from '../model/types.js';
import { durationJson, istioDuration } from './envoy.js';
import { HTTP_PROTOCOL_OPTIONS_TYPE, type Json } from './generator.js';
import type { EffectivePolicy } from './policy.js';

/** Istio's mesh-wide connectTimeout default. */
export const DEFAULT_CONNECT_TIMEOUT = '10s';
const MAX_U32 = 4294967295;
const HTTP_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export function isHttpProtocol(p: PortProtocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC';
}

export function isH2Protocol(p: PortProtocol): boolean {
  return p === 'HTTP2' || p === 'GRPC';
}

/** lb_policy and its config. Istio's default is LEAST_REQUEST; grpc-js-xds only knows ROUND_ROBIN and RING_HASH. */
function loadBalancing(lb: LoadBalancerSettings | undefined, proxyless: boolean): Json {
  const ch = lb?.consistentHash;
  if (ch !== undefined) {
    if (ch.maglev !== undefined && !proxyless) {
      return ch.maglev.tableSize !== undefined ? { lb_policy: 'MAGLEV', maglev_lb_config: { table_size: ch.maglev.tableSize } } : { lb_policy: 'MAGLEV' };
    }
    const min = ch.ringHash?.minimumRingSize ?? ch.minimumRingSize;
    return min !== undefined ? { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: min } } : { lb_policy: 'RING_HASH' };
  }
  if (proxyless) return { lb_policy: 'ROUND_ROBIN' };
  switch (lb?.simple) {
    case 'ROUND_ROBIN':
      return { lb_policy: 'ROUND_ROBIN' };
    case 'RANDOM':
      return { lb_policy: 'RANDOM' };
    // PASSTHROUGH is refused at apply (no original destination without iptables)
    default:
      return { lb_policy: 'LEAST_REQUEST' };
  }
}

/** connectionPool → one DEFAULT-priority threshold; unset limits are Istio's "unlimited" (MaxUint32). */
function circuitBreakers(cp: ConnectionPoolSettings | undefined): Json {
  return {
    thresholds: [
      {
        max_connections: cp?.tcp?.maxConnections ?? MAX_U32,
        max_pending_requests: cp?.http?.http1MaxPendingRequests ?? MAX_U32,
        max_requests: cp?.http?.http2MaxRequests ?? MAX_U32,
        max_retries: cp?.http?.maxRetries ?? MAX_U32,
        track_remaining: true,
      },
    ],
  };
}

/** Istio's outlier translation: success-rate ejection off; a consecutive-error count of 0 disables that detector. */
function outlierDetection(od: OutlierDetection): Json {
  const out: Json = { enforcing_success_rate: 0 };
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = od.consecutive5xxErrors;
    out.enforcing_consecutive_5xx = od.consecutive5xxErrors > 0 ? 100 : 0;
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = od.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = od.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  const interval = istioDuration(od.interval);
  if (interval !== undefined) out.interval = interval;
  const base = istioDuration(od.baseEjectionTime);
  if (base !== undefined) out.base_ejection_time = base;
  if (od.maxEjectionPercent !== undefined && od.maxEjectionPercent > 0) out.max_ejection_percent = od.maxEjectionPercent;
  if (od.splitExternalLocalOriginErrors === true) {
    out.split_external_local_origin_errors = true;
    if ((od.consecutiveLocalOriginFailures ?? 0) > 0) {
      out.consecutive_local_origin_failure = od.consecutiveLocalOriginFailures ?? 0;
      out.enforcing_consecutive_local_origin_failure = 100;
    }
  }
  return out;
}

/** typed HttpProtocolOptions: h2 for HTTP2/GRPC ports (or h2UpgradePolicy UPGRADE), plus pool limits. Undefined when nothing to say. */
function httpProtocolOptions(protocol: PortProtocol, cp: ConnectionPoolSettings | undefined): Json | undefined {
  if (!isHttpProtocol(protocol)) return undefined;
  const http = cp?.http;
  const common: Json = {};
  const idle = istioDuration(http?.idleTimeout);
  if (idle !== undefined) common.idle_timeout = idle;
  if (http?.maxRequestsPerConnection !== undefined && http.maxRequestsPerConnection > 0) common.max_requests_per_connection = http.maxRequestsPerConnection;
  const mcd = istioDuration(cp?.tcp?.maxConnectionDuration);
  if (mcd !== undefined) common.max_connection_duration = mcd;
  const h2 = isH2Protocol(protocol) || http?.h2UpgradePolicy === 'UPGRADE';
  const h2opts: Json = http?.maxConcurrentStreams !== undefined ? { max_concurrent_streams: http.maxConcurrentStreams } : {};
  if (!h2 && http?.useClientProtocol !== true && Object.keys(common).length === 0) return undefined;
  const out: Json = { '@type': HTTP_PROTOCOL_OPTIONS_TYPE };
  if (Object.keys(common).length > 0) out.common_http_protocol_options = common;
  if (http?.useClientProtocol === true) out.use_downstream_protocol_config = { http_protocol_options: {}, http2_protocol_options: h2opts };
  else out.explicit_http_config = h2 ? { http2_protocol_options: h2opts } : { http_protocol_options: {} };
  return out;
}

/** Sets the policy-derived fields on `cluster` (in a fixed order, so output bytes are stable). */
export function applyClusterPolicy(cluster: Json, policy: EffectivePolicy, protocol: PortProtocol, proxyless: boolean): void {
  const cp = policy.connectionPool;
  const ct = parseDuration(cp?.tcp?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT);
  cluster.connect_timeout = durationJson(ct !== undefined && ct > 0 ? ct : 10_000);
  Object.assign(cluster, loadBalancing(policy.loadBalancer, proxyless));
  cluster.circuit_breakers = circuitBreakers(cp);
  const od = policy.outlierDetection;
  const common: Json = {};
  if (od !== undefined) {
    cluster.outlier_detection = outlierDetection(od);
    // Istio sets the panic threshold from minHealthPercent even when unset (0 = panic mode off)
    common.healthy_panic_threshold = { value: od.minHealthPercent ?? 0 };
  }
  if ((policy.loadBalancer?.localityLbSetting?.distribute?.length ?? 0) > 0 && policy.loadBalancer?.localityLbSetting?.enabled !== false) {
    common.locality_weighted_lb_config = {};
  }
  if (Object.keys(common).length > 0) cluster.common_lb_config = common;
  const ka = cp?.tcp?.tcpKeepalive;
  if (ka !== undefined && !proxyless) {
    const tk: Json = {};
    if (ka.probes !== undefined) tk.keepalive_probes = ka.probes;
    const t = ka.time !== undefined ? parseDuration(ka.time) : undefined;
    if (t !== undefined) tk.keepalive_time = Math.max(1, Math.round(t / 1000));
    const i = ka.interval !== undefined ? parseDuration(ka.interval) : undefined;
    if (i !== undefined) tk.keepalive_interval = Math.max(1, Math.round(i / 1000));
    cluster.upstream_connection_options = { tcp_keepalive: tk };
  }
  const hpo = httpProtocolOptions(protocol, cp);
  if (hpo !== undefined) cluster.typed_extension_protocol_options = { [HTTP_OPTIONS_KEY]: hpo };
}
