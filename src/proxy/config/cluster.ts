// Config stage: validates a Cluster (discovery type, endpoints, LB policy, breakers, health checks, TLS, HTTP options).
import { isIP } from 'node:net';
import type { Cluster, ClusterFilter, HttpProtocolOptions, LbPolicy, TransportSocketMatch } from './types.js';
import { Ctx, Msg, join, typeName, unpackAny } from './reader.js';
import { METADATA_EXCHANGE_TYPE, validateMetadataExchange } from '../network/filters/metadata_exchange/config.js';
import { clusterLoadAssignment } from './endpoint.js';
import { validateHealthCheck } from './health-check.js';
import { type SecretRef, validateTransportSocket } from './tls.js';
import {
  HTTP_OPTIONS_KEY,
  HTTP_OPTIONS_TYPE,
  circuitBreakers,
  commonLbConfig,
  coreHttpOptions,
  leastRequestConfig,
  maglevConfig,
  outlierDetection,
  ringHashConfig,
  upstreamHttp2,
  upstreamHttpProtocolOptions,
  validateHttpProtocolOptions,
} from './cluster-policies.js';
import type { Refs } from './refs.js';
import { validateClusterType } from './dfp-cluster.js';

const TYPES = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'] as const;
const LB_POLICIES: readonly LbPolicy[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV', 'CLUSTER_PROVIDED'];
const LEGACY_HTTP = ['common_http_protocol_options', 'http_protocol_options', 'http2_protocol_options', 'max_requests_per_connection', 'upstream_http_protocol_options'] as const;
/** What Envoy's DFP cluster sets when the cluster has no upstream_http_protocol_options of its own. */
const DFP_DEFAULT_UPSTREAM_OPTIONS = { auto_sni: true, auto_san_validation: true };

/** The deprecated cluster-level HTTP option fields, folded into the typed HttpProtocolOptions shape. */
function legacyHttpOptions(m: Msg, dfp: boolean): HttpProtocolOptions | undefined {
  if (!LEGACY_HTTP.some((f) => m.has(f)) && !dfp) return undefined;
  const ctx = m.ctx;
  const common = m.msg('common_http_protocol_options', (r, p) => coreHttpOptions(ctx, r, p)) ?? {};
  const mrpc = m.num('max_requests_per_connection', { int: true, min: 1 });
  if (mrpc !== undefined) common.max_requests_per_connection = mrpc;
  if (m.has('http_protocol_options')) Msg.open(ctx, m.raw('http_protocol_options'), m.at('http_protocol_options'), { type: 'config.core.v3.Http1ProtocolOptions', fields: [] });
  const h2 = m.msg('http2_protocol_options', (r, p) => upstreamHttp2(ctx, r, p));
  const out: HttpProtocolOptions = {
    '@type': HTTP_OPTIONS_TYPE,
    upstream_protocol: h2 !== undefined ? 'HTTP2' : 'HTTP1',
    common_http_protocol_options: common,
    http2_protocol_options: h2 ?? {},
  };
  const upstream = m.msg('upstream_http_protocol_options', (r, p) => upstreamHttpProtocolOptions(ctx, r, p)) ?? (dfp ? { ...DFP_DEFAULT_UPSTREAM_OPTIONS } : undefined);
  if (upstream !== undefined) out.upstream_http_protocol_options = upstream;
  return out;
}

/** Validates a Cluster; static secret references are added to `refs`. */
export function cluster(ctx: Ctx, raw: unknown, path: string, refs: Refs): Cluster | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.cluster.v3.Cluster',
    fields: [
      'name', 'type', 'cluster_type', 'eds_cluster_config', 'connect_timeout', 'lb_policy', 'load_assignment', 'dns_refresh_rate', 'dns_lookup_family',
      'respect_dns_ttl', 'circuit_breakers', 'outlier_detection', 'health_checks', 'common_lb_config', 'least_request_lb_config',
      'ring_hash_lb_config', 'maglev_lb_config', 'round_robin_lb_config', 'transport_socket', 'transport_socket_matches', 'typed_extension_protocol_options',
      'per_connection_buffer_limit_bytes', 'close_connections_on_host_health_failure', 'ignore_health_on_host_removal', 'filters', ...LEGACY_HTTP,
    ],
    // stats naming, metadata, and DNS/connection tuning that leave routing and security unchanged
    ignored: [
      'alt_stat_name', 'metadata', 'track_cluster_stats', 'track_timeout_budgets', 'cleanup_interval', 'dns_failure_refresh_rate',
      'use_tcp_for_dns_lookups', 'upstream_connection_options', 'wait_for_warm_on_init',
    ],
  });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  const discovery = m.oneof(['type', 'cluster_type'], false);
  const type = m.enumOr('type', TYPES, 'STATIC');
  const clusterType = discovery === 'cluster_type' ? m.msg('cluster_type', (r, p) => validateClusterType(ctx, r, p)) : undefined;
  const dfp = clusterType !== undefined;
  const lb = m.enumOr('lb_policy', LB_POLICIES, 'ROUND_ROBIN');
  const out: Cluster = {
    name,
    type,
    connect_timeout: m.durOr('connect_timeout', 5000),
    lb_policy: lb,
    dns_refresh_rate: m.durOr('dns_refresh_rate', 5000),
    dns_lookup_family: m.enumOr('dns_lookup_family', ['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'], 'AUTO'),
    respect_dns_ttl: m.boolOr('respect_dns_ttl', false),
    circuit_breakers: m.msg('circuit_breakers', (r, p) => circuitBreakers(ctx, r, p)) ?? { thresholds: [] },
    health_checks: m.list('health_checks', (r, p) => validateHealthCheck(ctx, r, p)),
    common_lb_config: commonLbConfig(ctx, m.raw('common_lb_config') ?? {}, m.at('common_lb_config')),
    least_request_lb_config: leastRequestConfig(ctx, m.raw('least_request_lb_config') ?? {}, m.at('least_request_lb_config')),
    ring_hash_lb_config: ringHashConfig(ctx, m.raw('ring_hash_lb_config') ?? {}, m.at('ring_hash_lb_config')),
    maglev_lb_config: maglevConfig(ctx, m.raw('maglev_lb_config') ?? {}, m.at('maglev_lb_config')),
    typed_extension_protocol_options: {},
    per_connection_buffer_limit_bytes: m.numOr('per_connection_buffer_limit_bytes', 1048576, { int: true, min: 0 }),
    close_connections_on_host_health_failure: m.boolOr('close_connections_on_host_health_failure', false) && notSupported(m, 'close_connections_on_host_health_failure'),
    ignore_health_on_host_removal: m.boolOr('ignore_health_on_host_removal', false),
  };
  if (m.has('filters')) out.filters = m.list('filters', (r, p) => clusterFilter(ctx, r, p));
  if (m.has('connect_timeout') && out.connect_timeout <= 0) m.err('connect_timeout', 'must be greater than 0');
  if (m.has('round_robin_lb_config')) Msg.open(ctx, m.raw('round_robin_lb_config'), m.at('round_robin_lb_config'), { type: 'config.cluster.v3.Cluster.RoundRobinLbConfig', fields: [] });
  // a per-policy config for another policy is almost certainly a mistake (Envoy rejects the mismatch)
  const policyConfigs: [string, LbPolicy][] = [
    ['least_request_lb_config', 'LEAST_REQUEST'],
    ['ring_hash_lb_config', 'RING_HASH'],
    ['maglev_lb_config', 'MAGLEV'],
    ['round_robin_lb_config', 'ROUND_ROBIN'],
  ];
  for (const [field, policy] of policyConfigs) {
    if (m.has(field) && lb !== policy) m.err(field, `${field} only applies to lb_policy ${policy}, but lb_policy is ${lb}`);
  }
  if (m.has('load_assignment')) {
    const cla = m.msg('load_assignment', (r, p) => clusterLoadAssignment(ctx, r, p, name));
    if (cla !== undefined) out.load_assignment = cla;
  }
  const eps = (out.load_assignment?.endpoints ?? []).flatMap((l, li) => l.lb_endpoints.map((e, ei) => ({ e, at: `${m.at('load_assignment')}.endpoints[${li}].lb_endpoints[${ei}]` })));
  switch (type) {
    case 'STATIC':
      for (const { e, at } of eps) {
        const a = e.endpoint.address.socket_address.address;
        if (isIP(a) === 0) ctx.err(`${at}.endpoint.address.socket_address.address`, `STATIC clusters need IP addresses, got "${a}" (use type STRICT_DNS for host names)`);
      }
      break;
    case 'STRICT_DNS':
    case 'LOGICAL_DNS':
      if (!m.has('load_assignment')) m.err('load_assignment', `a ${type} cluster needs load_assignment with the host names to resolve`);
      else if (type === 'LOGICAL_DNS' && (eps.length !== 1 || (out.load_assignment?.endpoints.length ?? 0) !== 1)) {
        m.err('load_assignment', `LOGICAL_DNS clusters must have exactly one locality with exactly one endpoint (found ${eps.length} endpoints)`);
      }
      break;
    case 'EDS': {
      if (!m.require('eds_cluster_config')) break;
      const eds = m.msg('eds_cluster_config', (r, p) => {
        const e = Msg.open(ctx, r, p, { type: 'config.cluster.v3.Cluster.EdsClusterConfig', fields: ['eds_config', 'service_name'] });
        if (e === undefined) return undefined;
        if (e.require('eds_config')) {
          e.msg('eds_config', (cr, cp) => {
            const c = Msg.open(ctx, cr, cp, { type: 'config.core.v3.ConfigSource', fields: ['ads', 'resource_api_version'], ignored: ['initial_fetch_timeout'] });
            c?.enumOr('resource_api_version', ['V3'], 'V3');
            if (c !== undefined && !c.has('ads')) ctx.err(cp, 'only eds_config {ads: {}} is supported by trellis');
            return undefined;
          });
        }
        const sn = e.str('service_name');
        return sn === undefined ? {} : { service_name: sn };
      });
      if (eds !== undefined) out.eds_cluster_config = eds;
      break;
    }
    case 'ORIGINAL_DST':
      if (m.has('load_assignment')) m.err('load_assignment', 'ORIGINAL_DST clusters must not have a load_assignment');
      break;
  }
  if (type === 'ORIGINAL_DST' && lb !== 'CLUSTER_PROVIDED') m.err('lb_policy', `ORIGINAL_DST clusters need lb_policy CLUSTER_PROVIDED, got ${lb}`);
  if (discovery === 'cluster_type') {
    if (lb !== 'CLUSTER_PROVIDED') m.err('lb_policy', `lb_policy ${lb} is not valid for cluster_type envoy.clusters.dynamic_forward_proxy; only CLUSTER_PROVIDED is allowed`);
    if (m.has('load_assignment')) m.err('load_assignment', 'a dynamic_forward_proxy cluster takes its hosts from the DNS cache, not a load_assignment');
  } else if (type !== 'ORIGINAL_DST' && lb === 'CLUSTER_PROVIDED') {
    m.err('lb_policy', `CLUSTER_PROVIDED is only valid for ORIGINAL_DST and dynamic_forward_proxy clusters (type is ${type})`);
  }
  if (type !== 'EDS' && m.has('eds_cluster_config')) m.err('eds_cluster_config', `only applies to type EDS (type is ${type})`);
  const od = m.msg('outlier_detection', (r, p) => outlierDetection(ctx, r, p));
  if (od !== undefined) out.outlier_detection = od;
  const ts = m.msg('transport_socket', (r, p) => validateTransportSocket(ctx, r, p, 'upstream', refs.secrets));
  if (ts !== undefined) out.transport_socket = ts;
  const matches = m.list('transport_socket_matches', (r, p) => transportSocketMatch(ctx, r, p, refs.secrets));
  if (matches.length > 0) out.transport_socket_matches = matches;
  const typed = m.map('typed_extension_protocol_options', (k, r, p) => {
    if (k !== HTTP_OPTIONS_KEY) {
      ctx.err(p, `protocol options "${k}" are not supported by trellis; supported: ${HTTP_OPTIONS_KEY}`);
      return undefined;
    }
    return validateHttpProtocolOptions(ctx, r, p);
  });
  const legacy = legacyHttpOptions(m, dfp && typed[HTTP_OPTIONS_KEY] === undefined);
  if (typed[HTTP_OPTIONS_KEY] !== undefined && legacy !== undefined) {
    m.err('typed_extension_protocol_options', `cannot be combined with the deprecated cluster fields ${LEGACY_HTTP.filter((f) => m.has(f)).join(', ')}`);
  }
  const http = typed[HTTP_OPTIONS_KEY] ?? legacy;
  if (http !== undefined) out.typed_extension_protocol_options.http = http;
  // Envoy: ALPN needs a transport socket that speaks it; auto_config over plaintext is a config failure
  if (http?.upstream_protocol === 'AUTO' && out.transport_socket === undefined && !ctx.failedAt(m.at('transport_socket'))) {
    ctx.err(`${m.at('typed_extension_protocol_options')}["${HTTP_OPTIONS_KEY}"].auto_config`, `ALPN (auto_config) needs a TLS transport_socket; cluster ${name} is plaintext (use explicit_http_config instead)`);
  }
  // every host may get any of the sockets, so every one of them must speak ALPN (as Envoy checks all matches)
  const plainMatch = matches.findIndex((t) => t.transport_socket === undefined);
  if (http?.upstream_protocol === 'AUTO' && plainMatch >= 0) {
    ctx.err(`${m.at('transport_socket_matches')}[${plainMatch}].transport_socket`, `ALPN (auto_config) needs TLS on every transport socket of cluster ${name}; match "${matches[plainMatch]!.name}" is plaintext (use explicit_http_config instead)`);
  }
  if (clusterType !== undefined) {
    out.cluster_type = clusterType;
    const opts = http?.upstream_http_protocol_options;
    if (!clusterType.allow_insecure_cluster_options && (opts === undefined || !opts.auto_sni || !opts.auto_san_validation)) {
      m.err('cluster_type', 'a dynamic_forward_proxy cluster must have upstream_http_protocol_options auto_sni and auto_san_validation true unless allow_insecure_cluster_options is set');
    }
  }
  return out;
}

/** One transport_socket_matches entry: a name (for stats), the metadata it needs, and the socket (absent = plaintext). */
function transportSocketMatch(ctx: Ctx, raw: unknown, path: string, secrets: SecretRef[]): TransportSocketMatch | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.cluster.v3.Cluster.TransportSocketMatch', fields: ['name', 'match', 'transport_socket'] });
  if (m === undefined) return undefined;
  const out: TransportSocketMatch = { name: m.reqStr('name'), match: m.struct('match') ?? {} };
  const ts = m.msg('transport_socket', (r, p) => validateTransportSocket(ctx, r, p, 'upstream', secrets));
  if (ts !== undefined) out.transport_socket = ts;
  return out;
}

/** An upstream network filter: Istio's metadata exchange only (other upstream filters would change the bytes sent). */
function clusterFilter(ctx: Ctx, raw: unknown, path: string): ClusterFilter | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.cluster.v3.Filter', fields: ['name', 'typed_config'] });
  if (m === undefined || !m.require('typed_config')) return undefined;
  const name = m.reqStr('name');
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  if (any.typeUrl !== METADATA_EXCHANGE_TYPE) {
    ctx.err(join(m.at('typed_config'), '@type'), `upstream network filter ${typeName(any.typeUrl)} (filter "${name}") is not supported by trellis; supported: istio.metadata_exchange`);
    return undefined;
  }
  const cfg = validateMetadataExchange(ctx, any.body, any.path);
  return cfg === undefined ? undefined : { name, typed_config: cfg };
}

/** A known Envoy switch Trellis does not implement: set to true it is an error, never a silent no-op. */
function notSupported(m: Msg, field: string): false {
  m.err(field, `${field}: true is not supported by trellis`);
  return false;
}
