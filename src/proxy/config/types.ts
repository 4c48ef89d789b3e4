// Proxy config model: the validated form of Envoy v3 resources that every proxy component compiles from.
//
// Conventions (so a reader of Envoy's API reference can read these types):
// - field names are Envoy's proto field names in snake_case, nesting is Envoy's;
// - google.protobuf.Duration fields hold a number of milliseconds (`'1.5s'` -> 1500);
// - wrapper types (UInt32Value, BoolValue, …) are unwrapped to plain numbers/booleans;
// - `typed_config` Any messages are replaced by the decoded, validated message for their `@type`;
// - enums are their string names; the validator fills Envoy's defaults where this file says `default`.
// The same model is produced from a YAML/JSON bootstrap and (later) from xDS protobufs.

import type { MetadataExchangeConfig } from '../network/filters/metadata_exchange/config.js';
import type { HcmTracingConfig, RouteDecorator, RouteTracingConfig, TracingProviderConfig } from '../tracing/types.js';
import type { RateLimitPolicy } from './rate-limit.js';
import type { UdpListenerSpec } from '../udp/types.js';

export type Millis = number;

// ---------------------------------------------------------------- core
export interface SocketAddress {
  protocol: 'TCP' | 'UDP'; // default TCP
  address: string;
  port_value: number;
  resolver_name?: string;
}
export interface Address {
  socket_address: SocketAddress;
}

export interface HeaderValue {
  key: string; // lower-cased by the validator
  value: string;
}
export type HeaderAppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';
export interface HeaderValueOption {
  header: HeaderValue;
  /** Resolved from `append_action` or the deprecated `append` bool. default APPEND_IF_EXISTS_OR_ADD */
  append_action: HeaderAppendAction;
  keep_empty_value: boolean;
}

export interface Locality {
  region: string;
  zone: string;
  sub_zone: string;
}

export interface RuntimeFractionalPercent {
  /** numerator / denominator as a fraction in [0,1], computed by the validator. */
  fraction: number;
  runtime_key?: string;
}

export interface Node {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  locality?: Locality;
}

// ---------------------------------------------------------------- matchers
export type StringMatcher =
  | { kind: 'exact'; value: string; ignore_case: boolean }
  | { kind: 'prefix'; value: string; ignore_case: boolean }
  | { kind: 'suffix'; value: string; ignore_case: boolean }
  | { kind: 'contains'; value: string; ignore_case: boolean }
  | { kind: 'safe_regex'; regex: string; ignore_case: boolean };

export interface HeaderMatcher {
  name: string; // lower-cased
  /** exactly one of these, or none (then it is a present match) */
  string_match?: StringMatcher;
  present_match?: boolean;
  range_match?: { start: number; end: number };
  invert_match: boolean;
  treat_missing_header_as_empty: boolean;
}

export interface QueryParameterMatcher {
  name: string;
  string_match?: StringMatcher;
  present_match?: boolean;
}

export interface CidrRange {
  address_prefix: string;
  prefix_len: number;
}

export interface SubjectAltNameMatcher {
  san_type: 'EMAIL' | 'DNS' | 'URI' | 'IP_ADDRESS';
  matcher: StringMatcher;
}

// ---------------------------------------------------------------- routes
export interface RouteMatch {
  path_specifier:
    | { kind: 'prefix'; value: string }
    | { kind: 'path'; value: string }
    | { kind: 'safe_regex'; regex: string }
    | { kind: 'path_separated_prefix'; value: string }
    /** connect_matcher {}: CONNECT requests only (the only way an HTTP/1.1 CONNECT, which has no path, matches). */
    | { kind: 'connect_matcher' };
  case_sensitive: boolean; // default true
  headers: HeaderMatcher[];
  query_parameters: QueryParameterMatcher[];
  /** `grpc: {}` present: only requests with content-type application/grpc* match. */
  grpc: boolean;
  runtime_fraction?: RuntimeFractionalPercent;
}

export interface RetryBackOff {
  base_interval: Millis;
  max_interval: Millis; // default 10 × base_interval
}

export interface RetryPolicy {
  /** Split from Envoy's comma-separated `retry_on` string, validated against known conditions. */
  retry_on: string[];
  num_retries: number; // default 1
  per_try_timeout?: Millis;
  per_try_idle_timeout?: Millis;
  retry_back_off?: RetryBackOff; // Envoy's default is base 25ms, max 250ms
  retriable_status_codes: number[];
  retriable_headers: HeaderMatcher[];
  retriable_request_headers: HeaderMatcher[];
  host_selection_retry_max_attempts: number; // default 1
  /** From `retry_host_predicate` envoy.retry_host_predicates.previous_hosts */
  retry_previous_hosts: boolean;
}

export interface HashPolicy {
  policy:
    | { kind: 'header'; header_name: string }
    | { kind: 'cookie'; name: string; ttl?: Millis; path?: string }
    | { kind: 'connection_properties'; source_ip: boolean }
    | { kind: 'query_parameter'; name: string }
    | { kind: 'filter_state'; key: string };
  terminal: boolean;
}

export interface RequestMirrorPolicy {
  /** '' when the cluster comes from cluster_header. */
  cluster: string;
  /** The request header naming the cluster (lower-cased); no header or no such cluster = no shadow. */
  cluster_header?: string;
  disable_shadow_host_suffix_append?: boolean;
  runtime_fraction?: RuntimeFractionalPercent; // absent = 100%
  trace_sampled?: boolean;
}

export interface ClusterWeight {
  name: string;
  weight: number;
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
  host_rewrite_literal?: string;
}

export interface WeightedCluster {
  clusters: ClusterWeight[];
  total_weight?: number; // deprecated in Envoy; if set, must equal the sum
}

export interface RegexRewrite {
  pattern: string;
  substitution: string;
}

export interface RouteAction {
  cluster_specifier:
    | { kind: 'cluster'; name: string }
    | { kind: 'weighted_clusters'; weighted: WeightedCluster }
    | { kind: 'cluster_header'; header: string };
  prefix_rewrite?: string;
  regex_rewrite?: RegexRewrite;
  host_rewrite?:
    | { kind: 'literal'; value: string }
    | { kind: 'auto' }
    | { kind: 'header'; header: string }
    | { kind: 'path_regex'; pattern: string; substitution: string };
  timeout: Millis; // default 15000; 0 = no timeout
  idle_timeout?: Millis;
  retry_policy?: RetryPolicy;
  request_mirror_policies: RequestMirrorPolicy[];
  hash_policy: HashPolicy[];
  max_stream_duration?: { max_stream_duration?: Millis; grpc_timeout_header_max?: Millis };
  /** Envoy: upgrade_configs (e.g. websocket) per route; `connect_config` (CONNECT only) = terminate CONNECT into raw TCP. */
  upgrade_configs: { upgrade_type: string; enabled: boolean; connect_config?: Record<string, never> }[];
  /** Descriptors for the local rate limit filter. */
  rate_limits?: RateLimitPolicy[];
}

export interface RedirectAction {
  scheme_redirect?: string;
  https_redirect: boolean;
  host_redirect?: string;
  port_redirect?: number;
  path_redirect?: string;
  prefix_rewrite?: string;
  regex_rewrite?: RegexRewrite;
  /** HTTP status: MOVED_PERMANENTLY 301 (default), FOUND 302, SEE_OTHER 303, TEMPORARY_REDIRECT 307, PERMANENT_REDIRECT 308 */
  response_code: number;
  strip_query: boolean;
}

export interface DirectResponseAction {
  status: number;
  body?: string; // from body.inline_string / inline_bytes (decoded) / filename (read at load)
}

export interface Route {
  name: string;
  match: RouteMatch;
  action:
    | { kind: 'route'; route: RouteAction }
    | { kind: 'redirect'; redirect: RedirectAction }
    | { kind: 'direct_response'; direct_response: DirectResponseAction };
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
  /** typed_per_filter_config, decoded per filter name (e.g. fault overrides). */
  typed_per_filter_config: Record<string, HttpFilterConfig>;
  /** metadata.filter_metadata by filter name (read by the Lua filter's handle:metadata()). */
  metadata?: Record<string, Record<string, unknown>>;
  /** Span operation name for this route. */
  decorator?: RouteDecorator;
  /** Per-route tracing sampling overrides and tags. */
  tracing?: RouteTracingConfig;
}

export interface VirtualHost {
  name: string;
  domains: string[];
  routes: Route[];
  require_tls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
  retry_policy?: RetryPolicy;
  hash_policy: HashPolicy[];
  typed_per_filter_config: Record<string, HttpFilterConfig>;
  /** Descriptors for the local rate limit filter (used when the route has none, by default). */
  rate_limits?: RateLimitPolicy[];
}

export interface RouteConfiguration {
  name: string;
  virtual_hosts: VirtualHost[];
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
  internal_only_headers: string[];
  /** VHDS (only in a RouteConfiguration from RDS over delta ADS): more virtual hosts arrive as VirtualHost resources. */
  vhds?: { config_source: 'ads' };
}

// ---------------------------------------------------------------- HTTP filters
export interface FaultDelay {
  fixed_delay?: Millis;
  header_delay: boolean; // `header_delay: {}` -> delay from x-envoy-fault-delay-request
  percentage: number; // fraction in [0,1]
}
export interface FaultAbort {
  http_status?: number;
  grpc_status?: number;
  header_abort: boolean; // `header_abort: {}` -> from x-envoy-fault-abort-request(-grpc)
  percentage: number; // fraction in [0,1]
}
export interface FaultConfig {
  '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
  delay?: FaultDelay;
  abort?: FaultAbort;
  upstream_cluster?: string;
  headers: HeaderMatcher[];
  downstream_nodes: string[];
  max_active_faults?: number;
  /** Runtime keys that override the values above; unset means Envoy's global key (fault.http.…, see FAULT_RUNTIME_KEYS). */
  delay_percent_runtime?: string; // default fault.http.delay.fixed_delay_percent
  abort_percent_runtime?: string; // default fault.http.abort.abort_percent
  delay_duration_runtime?: string; // default fault.http.delay.fixed_duration_ms
  abort_http_status_runtime?: string; // default fault.http.abort.http_status
  abort_grpc_status_runtime?: string; // default fault.http.abort.grpc_status
  max_active_faults_runtime?: string; // default fault.http.max_active_faults
}
export interface RouterConfig {
  '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
  suppress_envoy_headers: boolean;
  start_child_span: boolean;
}
/** envoy.filters.http.cors: the filter itself has no settings; the policy is per route / virtual host. */
export interface CorsConfig {
  '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
}
/** Per-route / per-virtual-host CORS policy (typed_per_filter_config of the cors filter). */
export interface CorsPolicy {
  '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
  allow_origin_string_match: StringMatcher[];
  allow_methods?: string;
  allow_headers?: string;
  expose_headers?: string;
  max_age?: string;
  allow_credentials?: boolean;
  /** Envoy's default true: a preflight from an origin that does not match goes upstream; false answers it locally. */
  forward_not_matching_preflights?: boolean;
  /** Share of requests the policy is enforced for; absent = all. */
  filter_enabled?: RuntimeFractionalPercent;
  /** Share of the requests filter_enabled leaves out whose origin is checked and counted, without enforcing. */
  shadow_enabled?: RuntimeFractionalPercent;
}
/** A validated filter config: each filter type (src/proxy/http/filters/) defines its own shape. */
export interface HttpFilterConfig {
  readonly '@type': string;
}

export interface HttpFilter {
  name: string;
  typed_config: HttpFilterConfig;
  is_optional: boolean;
  /** Off unless a route enables it through typed_per_filter_config. */
  disabled: boolean;
}

// ---------------------------------------------------------------- network filters
export interface HttpConnectionManager {
  '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
  codec_type: 'AUTO' | 'HTTP1' | 'HTTP2';
  stat_prefix: string;
  route_specifier: { kind: 'route_config'; route_config: RouteConfiguration } | { kind: 'rds'; route_config_name: string };
  http_filters: HttpFilter[];
  /** The UUID request id extension's switches (both default true): x-request-id carries and decides the trace reason. */
  request_id_extension?: { pack_trace_reason: boolean; use_request_id_for_trace_sampling: boolean };
  /** Envoy's HCM `tracing`: spans are made only when it is present. */
  tracing?: HcmTracingConfig;
  use_remote_address: boolean;
  xff_num_trusted_hops: number;
  skip_xff_append: boolean;
  generate_request_id: boolean; // default true
  preserve_external_request_id: boolean;
  stream_idle_timeout: Millis; // default 300000; 0 disables
  request_timeout: Millis; // default 0 (disabled)
  request_headers_timeout: Millis; // default 0
  max_request_headers_kb: number; // default 60 (KiB), 1..8192; also bounds request trailers
  drain_timeout: Millis; // default 5000
  common_http_protocol_options: { idle_timeout?: Millis; max_connection_duration?: Millis; max_headers_count?: number; max_stream_duration?: Millis };
  http_protocol_options: { accept_http_10: boolean };
  http2_protocol_options: { max_concurrent_streams?: number; initial_stream_window_size?: number; initial_connection_window_size?: number };
  upgrade_configs: { upgrade_type: string; enabled: boolean }[];
  server_name: string; // default 'envoy'
  server_header_transformation: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  access_log: AccessLog[];
  normalize_path: boolean;
  merge_slashes: boolean;
  via?: string;
  local_reply_config?: LocalReplyConfig;
  /** x-envoy-downstream-service-cluster/-node and user-agent from the bootstrap node. default false */
  add_user_agent?: boolean;
  scheme_header_transformation?: { scheme_to_overwrite?: 'http' | 'https'; match_upstream: boolean };
  /** At most one of the two is true. */
  strip_matching_host_port?: boolean;
  strip_any_host_port?: boolean;
  /** x-forwarded-client-cert handling; absent = SANITIZE (the header is removed). */
  forward_client_cert_details?: 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';
  /** What APPEND_FORWARD / SANITIZE_SET write about the client certificate besides By and Hash (chain is not supported). */
  set_current_client_cert_details?: { subject: boolean; cert: boolean; dns: boolean; uri: boolean };
  /** default IMPLEMENTATION_SPECIFIC_DEFAULT (= KEEP_UNCHANGED) */
  path_with_escaped_slashes_action?: 'IMPLEMENTATION_SPECIFIC_DEFAULT' | 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_REDIRECT' | 'UNESCAPE_AND_FORWARD';
}

// ---------------------------------------------------------------- access log filters, local replies
export type ComparisonOp = 'EQ' | 'GE' | 'LE';
/** config.accesslog.v3.AccessLogFilter (the kinds trellis evaluates; the others are rejected by name). */
export type AccessLogFilter =
  | { kind: 'status_code' | 'duration'; op: ComparisonOp; default_value: number; runtime_key: string }
  | { kind: 'not_health_check' }
  | { kind: 'runtime'; runtime_key: string; numerator: number; denominator: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION'; use_independent_randomness: boolean }
  | { kind: 'and' | 'or'; filters: AccessLogFilter[] }
  | { kind: 'header'; header: HeaderMatcher }
  /** Envoy's short flags; empty = any flag at all. */
  | { kind: 'response_flag'; flags: string[] }
  | { kind: 'grpc_status'; statuses: number[]; exclude: boolean }
  /** extension_filter envoy.access_loggers.extension_filters.cel: a CEL expression over Envoy's attributes. */
  | { kind: 'cel'; expression: string };

/** core.v3.SubstitutionFormatString as a local reply body format. */
export interface SubstitutionFormat {
  format: { kind: 'text'; text: string } | { kind: 'json'; json: Record<string, unknown> };
  omit_empty_values: boolean;
  /** default text/plain for text, application/json for JSON */
  content_type: string;
}

export interface ResponseMapper {
  filter: AccessLogFilter;
  status_code?: number;
  body?: string;
  body_format_override?: SubstitutionFormat;
  headers_to_add: HeaderValueOption[];
}

export interface LocalReplyConfig {
  mappers: ResponseMapper[];
  body_format?: SubstitutionFormat;
}

export interface TcpProxy {
  '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
  stat_prefix: string;
  cluster_specifier: { kind: 'cluster'; name: string } | { kind: 'weighted_clusters'; clusters: { name: string; weight: number }[] };
  idle_timeout: Millis; // default 3600000; 0 disables
  max_connect_attempts: number; // default 1
  access_log: AccessLog[];
}

/** The terminal filters, or a registered non-terminal one (src/proxy/network/filters/). */
export type NetworkFilterConfig = HttpConnectionManager | TcpProxy | { readonly '@type': string };

export interface NetworkFilter {
  name: string;
  typed_config: NetworkFilterConfig;
}

/** config.accesslog.v3.AccessLog: a built-in formatted logger, or a registered extension logger (gRPC ALS). */
export type AccessLog = FormattedAccessLog | ExtensionAccessLog;

export interface FormattedAccessLog {
  name: string;
  /** Only entries this filter passes are written. */
  filter?: AccessLogFilter;
  /** envoy.access_loggers.file (path) or envoy.access_loggers.stdout / stderr */
  sink: { kind: 'file'; path: string } | { kind: 'stdout' } | { kind: 'stderr' };
  /** text format string (Envoy command operators like %RESPONSE_CODE%) or JSON format. */
  format: { kind: 'text'; text: string } | { kind: 'json'; json: Record<string, unknown> };
}

/** An access logger from the registry (src/proxy/telemetry/access-logger-registry.ts), its typed_config validated by it. */
export interface ExtensionAccessLog {
  name: string;
  filter?: AccessLogFilter;
  typed_config: { readonly '@type': string };
}

// ---------------------------------------------------------------- TLS
export interface TlsCertificate {
  certificate_chain: string; // PEM, read from filename or inline_string at load
  private_key: string;
}

export interface CertificateValidationContext {
  trusted_ca?: string; // PEM
  /** system_root_certs: {} — verify against the runtime's bundled public roots when there is no trusted_ca. */
  system_root_certs?: true;
  match_typed_subject_alt_names: SubjectAltNameMatcher[];
  verify_certificate_spki: string[];
  verify_certificate_hash: string[];
}

export interface CommonTlsContext {
  tls_certificates: TlsCertificate[];
  validation_context?: CertificateValidationContext;
  alpn_protocols: string[];
  tls_params: {
    tls_minimum_protocol_version: 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';
    tls_maximum_protocol_version: 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';
    cipher_suites: string[];
    ecdh_curves: string[];
  };
  /** SDS references left after static secrets are put in place (none in an accepted config until SDS is subscribed to). */
  tls_certificate_sds_secret_configs: { name: string }[];
  /** With validation_context also set, this is a combined_validation_context: the secret is merged over that default. */
  validation_context_sds_secret_config?: { name: string };
}

export interface DownstreamTlsContext {
  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
  common_tls_context: CommonTlsContext;
  require_client_certificate: boolean;
}

export interface UpstreamTlsContext {
  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
  common_tls_context: CommonTlsContext;
  sni?: string;
  allow_renegotiation: boolean;
}

export interface TransportSocket<T> {
  name: string; // envoy.transport_sockets.tls
  typed_config: T;
}

/** One entry of a cluster's transport_socket_matches: endpoints whose socket-match metadata contains `match` use its socket. */
export interface TransportSocketMatch {
  name: string;
  /** Key/values the endpoint's filter_metadata["envoy.transport_socket_match"] must contain ({} matches every endpoint). */
  match: Record<string, unknown>;
  /** undefined: raw_buffer (plaintext). */
  transport_socket?: TransportSocket<UpstreamTlsContext>;
}

// ---------------------------------------------------------------- listeners
export interface FilterChainMatch {
  destination_port?: number;
  prefix_ranges: CidrRange[];
  direct_source_prefix_ranges: CidrRange[];
  source_type: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  source_prefix_ranges: CidrRange[];
  source_ports: number[];
  server_names: string[];
  transport_protocol?: string; // 'raw_buffer' | 'tls'
  application_protocols: string[];
}

export interface FilterChain {
  name: string;
  filter_chain_match?: FilterChainMatch;
  filters: NetworkFilter[];
  transport_socket?: TransportSocket<DownstreamTlsContext>;
  transport_socket_connect_timeout?: Millis;
}

export interface ListenerFilter {
  name: string; // envoy.filters.listener.tls_inspector | envoy.filters.listener.http_inspector | envoy.filters.listener.original_dst
  kind: 'tls_inspector' | 'http_inspector' | 'original_dst';
}

export interface Listener {
  name: string;
  address: Address;
  filter_chains: FilterChain[];
  default_filter_chain?: FilterChain;
  listener_filters: ListenerFilter[];
  listener_filters_timeout: Millis; // default 15000
  continue_on_listener_filters_timeout: boolean;
  per_connection_buffer_limit_bytes: number; // default 1 MiB
  use_original_dst: boolean;
  traffic_direction: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
  stat_prefix?: string;
  /** Set on UDP listeners (address protocol UDP), which have no filter chains: the udp_proxy that serves them. */
  udp?: UdpListenerSpec;
}

// ---------------------------------------------------------------- clusters
export interface LbEndpoint {
  endpoint: {
    address: Address;
    hostname?: string;
    health_check_config?: { port_value?: number; hostname?: string };
  };
  health_status: 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';
  load_balancing_weight: number; // default 1
  metadata?: Record<string, unknown>;
}

export interface LocalityLbEndpoints {
  locality?: Locality;
  lb_endpoints: LbEndpoint[];
  load_balancing_weight?: number; // absent = locality weighting off for this locality
  priority: number; // default 0
}

export interface ClusterLoadAssignment {
  cluster_name: string;
  endpoints: LocalityLbEndpoints[];
  policy: {
    overprovisioning_factor: number; // default 140
    drop_overloads: { category: string; fraction: number }[];
  };
}

export interface CircuitBreakerThresholds {
  priority: 'DEFAULT' | 'HIGH';
  max_connections: number; // default 1024
  max_pending_requests: number; // default 1024
  max_requests: number; // default 1024
  max_retries: number; // default 3
  retry_budget?: { budget_percent: number; min_retry_concurrency: number };
  track_remaining: boolean;
}

export interface OutlierDetection {
  consecutive_5xx: number; // default 5
  consecutive_gateway_failure: number; // default 5
  consecutive_local_origin_failure: number; // default 5
  interval: Millis; // default 10000
  base_ejection_time: Millis; // default 30000
  max_ejection_time: Millis; // default 300000
  max_ejection_percent: number; // default 10
  enforcing_consecutive_5xx: number; // default 100
  enforcing_consecutive_gateway_failure: number; // default 0
  enforcing_consecutive_local_origin_failure: number; // default 100
  enforcing_success_rate: number; // default 100
  success_rate_minimum_hosts: number; // default 5
  success_rate_request_volume: number; // default 100
  success_rate_stdev_factor: number; // default 1900 (divided by 1000)
  enforcing_failure_percentage: number; // default 0
  failure_percentage_threshold: number; // default 85
  failure_percentage_minimum_hosts: number; // default 5
  failure_percentage_request_volume: number; // default 50
  split_external_local_origin_errors: boolean;
}

export interface HealthCheck {
  timeout: Millis;
  interval: Millis;
  initial_jitter?: Millis;
  interval_jitter?: Millis;
  unhealthy_threshold: number;
  healthy_threshold: number;
  no_traffic_interval: Millis; // default 60000
  /** For hosts passing health checks while the cluster has no traffic; default no_traffic_interval. */
  no_traffic_healthy_interval?: Millis;
  unhealthy_interval?: Millis;
  healthy_edge_interval?: Millis;
  unhealthy_edge_interval?: Millis;
  checker:
    | {
        kind: 'http';
        host?: string;
        path: string;
        /** ranges [start, end) as Envoy's Int64Range; default [[200, 201)] */
        expected_statuses: { start: number; end: number }[];
        request_headers_to_add: HeaderValueOption[];
        request_headers_to_remove: string[];
        codec_client_type: 'HTTP1' | 'HTTP2';
      }
    | { kind: 'tcp'; send?: Buffer; receive: Buffer[] };
}

export interface HttpProtocolOptions {
  '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
  /** explicit_http_config http_protocol_options / http2_protocol_options, use_downstream_protocol_config, or auto_config (ALPN) */
  upstream_protocol: 'HTTP1' | 'HTTP2' | 'USE_DOWNSTREAM' | 'AUTO';
  upstream_http_protocol_options?: { auto_sni: boolean; auto_san_validation: boolean; override_auto_sni_header?: string };
  common_http_protocol_options: { idle_timeout?: Millis; max_requests_per_connection?: number; max_connection_duration?: Millis; max_headers_count?: number };
  http2_protocol_options: { max_concurrent_streams?: number };
}

export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

/** extensions.common.dynamic_forward_proxy.v3.DnsCacheConfig, with Envoy's defaults filled in. */
export interface DnsCacheConfig {
  name: string;
  dns_lookup_family: DnsLookupFamily; // default AUTO
  dns_refresh_rate: Millis; // default 60 s, >= 1 ms
  /** dns_failure_refresh_rate.base_interval: the retry delay after a failed lookup (default dns_refresh_rate). */
  dns_failure_refresh_rate?: Millis;
  host_ttl: Millis; // default 5 min
  max_hosts: number; // default 1024
  /** dns_cache_circuit_breaker.max_pending_requests: requests waiting on a lookup (default 1024). */
  max_pending_requests: number;
  /** 0 = no timeout of our own; default 5 s. */
  dns_query_timeout: Millis;
  preresolve_hostnames: { address: string; port: number }[];
}

/** cluster_type envoy.clusters.dynamic_forward_proxy: hosts come from the shared DNS cache, one per request authority. */
export interface DfpClusterType {
  name: 'envoy.clusters.dynamic_forward_proxy';
  dns_cache_config: DnsCacheConfig;
  allow_insecure_cluster_options: boolean;
  /** Accepted; connections are never coalesced across hosts here (each authority keeps its own pool). */
  allow_coalesced_connections: boolean;
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED';

export interface Cluster {
  name: string;
  type: 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
  /** Set instead of `type` (a proto oneof); `type` then stays STATIC with no endpoints. */
  cluster_type?: DfpClusterType;
  eds_cluster_config?: { service_name?: string };
  connect_timeout: Millis; // default 5000
  lb_policy: LbPolicy;
  load_assignment?: ClusterLoadAssignment;
  dns_refresh_rate: Millis; // default 5000
  dns_lookup_family: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
  respect_dns_ttl: boolean;
  circuit_breakers: { thresholds: CircuitBreakerThresholds[] };
  outlier_detection?: OutlierDetection;
  health_checks: HealthCheck[];
  common_lb_config: {
    healthy_panic_threshold: number; // percent, default 50
    locality_weighted_lb_config: boolean;
    ignore_new_hosts_until_first_hc: boolean;
  };
  least_request_lb_config: { choice_count: number; active_request_bias: number }; // defaults 2, 1.0
  ring_hash_lb_config: { minimum_ring_size: number; maximum_ring_size: number; hash_function: 'XX_HASH' | 'MURMUR_HASH_2' }; // 1024, 8388608
  maglev_lb_config: { table_size: number }; // default 65537
  transport_socket?: TransportSocket<UpstreamTlsContext>;
  /** Per-endpoint transport sockets, first match wins; hosts no entry matches (or all, when absent) use transport_socket. */
  transport_socket_matches?: TransportSocketMatch[];
  typed_extension_protocol_options: { http?: HttpProtocolOptions };
  per_connection_buffer_limit_bytes: number; // default 1 MiB
  close_connections_on_host_health_failure: boolean;
  ignore_health_on_host_removal: boolean;
  /** Upstream network filters: Istio's metadata exchange is the one trellis runs (on tcp_proxy's upstream connections). */
  filters?: ClusterFilter[];
}

export interface ClusterFilter {
  name: string;
  typed_config: MetadataExchangeConfig;
}

// ---------------------------------------------------------------- bootstrap
/**
 * Where LDS / CDS come from: the ADS stream; a file holding a DiscoveryResponse (`path`, or path_config_source with an
 * optional watched_directory; resolved against the bootstrap's directory); or the type's own gRPC service.
 */
export type XdsConfigSource =
  | { ads: true }
  | { path: string; watched_directory?: string }
  | { api_config_source: { api_type: 'GRPC' | 'DELTA_GRPC'; cluster_name: string; transport_api_version: 'V3' } };

export interface Admin {
  address?: Address;
  access_log: AccessLog[];
}

export interface Bootstrap {
  node: Node;
  /** Bootstrap `tracing.http`: the provider of HCMs whose `tracing` names none. */
  tracing?: TracingProviderConfig;
  admin?: Admin;
  static_resources: {
    listeners: Listener[];
    clusters: Cluster[];
    secrets: { name: string; tls_certificate?: TlsCertificate; validation_context?: CertificateValidationContext }[];
  };
  dynamic_resources?: {
    ads_config?: { api_type: 'GRPC' | 'DELTA_GRPC'; cluster_name: string; transport_api_version: 'V3' };
    lds_config?: XdsConfigSource;
    cds_config?: XdsConfigSource;
  };
  stats_flush_interval?: Millis;
  /** cluster_manager.load_stats_config: validated and kept; trellis sends no load reports (LRS). */
  cluster_manager?: { load_stats_config?: { api_type: 'GRPC' | 'DELTA_GRPC'; cluster_name: string } };
  overload_manager?: unknown;
  /** Also what the deprecated `runtime` field is translated to (Envoy's fixed base/root/override/admin layering). */
  layered_runtime?: LayeredRuntime;
}

// ---------------------------------------------------------------- runtime
/** A static_layer leaf: a scalar, or a FractionalPercent written as an object. */
export type RuntimeStaticValue = string | number | boolean | { numerator?: number | string; denominator?: string | number };
export interface RuntimeDiskLayer {
  symlink_root: string;
  subdirectory: string;
  append_service_cluster: boolean;
}
export interface RuntimeLayer {
  name: string;
  layer_specifier:
    /** `values`: the static_layer Struct flattened to dotted keys (nesting is the runtime's key path). */
    | { kind: 'static_layer'; static_layer: Record<string, unknown>; values: Record<string, RuntimeStaticValue> }
    | { kind: 'disk_layer'; disk_layer: RuntimeDiskLayer }
    | { kind: 'admin_layer' };
}
export interface LayeredRuntime {
  layers: RuntimeLayer[];
}
