// Translate stage: access logs of a proxy's listeners, from the resolved Telemetry (mesh accessLogFile/Encoding/Format,
// extensionProviders, Telemetry accessLogging with its CEL filter) — on every HCM and tcp_proxy, per direction.
import type { FileAccessLogProvider, GrpcAccessLogProvider } from '../../api/telemetry-types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { TYPE_PREFIX, type Json } from './generator.js';
import { HCM_FILTER, TCP_PROXY_FILTER } from './hcm.js';
import { isJson, mapFilterChains } from './listener-chains.js';
import { resolveTelemetry, type ResolvedAccessLog, type TelemetryMode } from './telemetry.js';
import { collectorCluster } from './tracing.js';

/** Istio's default text format (Envoy's, plus response details, the transport failure, addresses, SNI and route). */
export const ISTIO_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
  '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** Istio's default JSON format (accessLogEncoding: JSON): the same fields, one key each. */
export const ISTIO_JSON_FORMAT: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  route_name: '%ROUTE_NAME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER_RAW%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
};

const LOGGERS = `${TYPE_PREFIX}envoy.extensions.access_loggers.`;

/** The provider's format: its text (a newline added, as Istio does) or labels, else Istio's default for the encoding. */
function logFormat(p: FileAccessLogProvider): Json {
  const text = p.format?.text;
  if (text !== undefined && text !== '') return { text_format_source: { inline_string: text.endsWith('\n') ? text : `${text}\n` } };
  const labels = p.format?.labels;
  if (labels !== undefined && Object.keys(labels).length > 0) return { json_format: structuredClone(labels) as Json };
  return p.encoding === 'JSON' ? { json_format: { ...ISTIO_JSON_FORMAT } } : { text_format_source: { inline_string: ISTIO_TEXT_FORMAT } };
}

function fileLog(p: FileAccessLogProvider): Json {
  return { name: 'envoy.access_loggers.file', typed_config: { '@type': `${LOGGERS}file.v3.FileAccessLog`, path: p.path, log_format: logFormat(p) } };
}

function grpcLog(p: GrpcAccessLogProvider, cluster: string): Json {
  const http = p.kind === 'envoyHttpAls';
  const common: Json = {
    log_name: p.logName !== '' ? p.logName : http ? 'http_envoy_accesslog' : 'tcp_envoy_accesslog',
    grpc_service: { envoy_grpc: { cluster_name: cluster } },
    transport_api_version: 'V3',
  };
  if (p.filterStateObjectsToLog.length > 0) common.filter_state_objects_to_log = [...p.filterStateObjectsToLog];
  const config: Json = { '@type': `${LOGGERS}grpc.v3.${http ? 'Http' : 'Tcp'}GrpcAccessLogConfig`, common_config: common };
  if (http) {
    if (p.additionalRequestHeadersToLog.length > 0) config.additional_request_headers_to_log = [...p.additionalRequestHeadersToLog];
    if (p.additionalResponseHeadersToLog.length > 0) config.additional_response_headers_to_log = [...p.additionalResponseHeadersToLog];
    if (p.additionalResponseTrailersToLog.length > 0) config.additional_response_trailers_to_log = [...p.additionalResponseTrailersToLog];
  }
  return { name: http ? 'envoy.access_loggers.http_grpc' : 'envoy.access_loggers.tcp_grpc', typed_config: config };
}

function celFilter(expression: string): Json {
  return {
    extension_filter: {
      name: 'envoy.access_loggers.extension_filters.cel',
      typed_config: { '@type': `${LOGGERS}filters.cel.v3.ExpressionFilter`, expression },
    },
  };
}

/** One Envoy access_log entry for `log` on an HCM (http) or tcp_proxy (tcp), or undefined when it does not apply there. */
function accessLog(log: ResolvedAccessLog, on: 'http' | 'tcp', proxy: ProxyNode, snap: Snapshot): Json | undefined {
  const p = log.provider;
  let out: Json | undefined;
  if (p.kind === 'envoyFileAccessLog') out = fileLog(p);
  else if ((p.kind === 'envoyHttpAls' && on === 'http') || (p.kind === 'envoyTcpAls' && on === 'tcp')) {
    const c = collectorCluster(p, proxy, snap);
    if (!('error' in c)) out = grpcLog(p, c.cluster);
  }
  if (out !== undefined && log.filterExpression !== undefined) out.filter = celFilter(log.filterExpression);
  return out;
}

/** The access_log list for an HCM or tcp_proxy of this proxy in `mode` ([] = none). */
export function accessLogsFor(proxy: ProxyNode, snap: Snapshot, mode: TelemetryMode, on: 'http' | 'tcp'): Json[] {
  const out: Json[] = [];
  for (const log of resolveTelemetry(snap, proxy).accessLogs(mode)) {
    const j = accessLog(log, on, proxy, snap);
    if (j !== undefined) out.push(j);
  }
  return out;
}

/** Which Telemetry mode a listener is in: a sidecar's inbound listener is SERVER; outbound and gateways are CLIENT (Istio). */
function modeOf(listener: Json, proxy: ProxyNode): TelemetryMode {
  return proxy.type === 'sidecar' && listener.traffic_direction === 'INBOUND' ? 'SERVER' : 'CLIENT';
}

/** The listener with access_log set on every HCM and tcp_proxy, when the proxy logs in the listener's direction. */
export function withAccessLogs(listener: Json, proxy: ProxyNode, snap: Snapshot): Json {
  const mode = modeOf(listener, proxy);
  const http = accessLogsFor(proxy, snap, mode, 'http');
  const tcp = accessLogsFor(proxy, snap, mode, 'tcp');
  if (http.length === 0 && tcp.length === 0) return listener;
  return mapFilterChains(listener, (chain) => {
    if (!Array.isArray(chain.filters)) return chain;
    const filters = chain.filters.filter(isJson).map((f) => {
      const logs = f.name === HCM_FILTER ? http : f.name === TCP_PROXY_FILTER ? tcp : [];
      if (logs.length === 0 || !isJson(f.typed_config)) return f;
      return { ...f, typed_config: { ...f.typed_config, access_log: structuredClone(logs) } };
    });
    return { ...chain, filters };
  });
}
