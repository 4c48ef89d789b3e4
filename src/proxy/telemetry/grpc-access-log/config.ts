// gRPC access log service: validates envoy.access_loggers.http_grpc / tcp_grpc (extensions.access_loggers.grpc.v3),
// every error with its path. What trellis cannot honour is rejected by name: grpc_stream_retry_policy (our own
// jittered backoff reconnects), google_grpc and GrpcService.retry_policy, custom tags read from metadata.
import { Msg, TYPE_PREFIX, type Ctx, type Raw } from '../../config/reader.js';
import { headerName } from '../../config/common.js';
import { validateCustomTag } from '../../config/tracing.js';
import { validateGrpcService } from '../../ext-authz/grpc-service-config.js';
import type { GrpcServiceTarget } from '../../ext-authz/grpc-client.js';
import type { CustomTagConfig } from '../../tracing/types.js';
import type { AccessLoggerClusterRef } from '../access-logger-registry.js';

export const HTTP_GRPC_TYPE = `${TYPE_PREFIX}envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig`;
export const TCP_GRPC_TYPE = `${TYPE_PREFIX}envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig`;

/** Envoy's defaults (PROTOBUF_GET_MS_OR_DEFAULT(config, buffer_flush_interval, 1000), buffer_size_bytes 16384). */
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
export const DEFAULT_BUFFER_SIZE_BYTES = 16384;

/** extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig with defaults filled (durations in ms). */
export interface CommonGrpcAccessLogConfig {
  log_name: string;
  /**
   * envoy_grpc only. `timeout` is accepted and, as in Envoy, does not bound the stream: Envoy's access log
   * client opens its stream without a deadline (the field bounds unary calls).
   */
  grpc_service: GrpcServiceTarget;
  transport_api_version: 'V3';
  buffer_flush_interval: number;
  /** Soft limit of the batch: reaching it flushes; when the stream cannot take more, entries past it are dropped. */
  buffer_size_bytes: number;
  /**
   * Filter state objects to log by key. Trellis keeps no serializable filter state objects, so none is ever
   * present, and (as Envoy does for a key that is absent) nothing is logged for them.
   */
  filter_state_objects_to_log: string[];
  custom_tags: CustomTagConfig[];
}

export type GrpcAccessLogKind = 'http' | 'tcp';

export interface GrpcAccessLogConfig {
  readonly '@type': string;
  kind: GrpcAccessLogKind;
  common_config: CommonGrpcAccessLogConfig;
  /** Lower-case header names; empty for tcp_grpc. */
  additional_request_headers_to_log: string[];
  additional_response_headers_to_log: string[];
  additional_response_trailers_to_log: string[];
}

function headerList(ctx: Ctx, m: Msg, field: string): string[] {
  return m.list(field, (r, p) => headerName(ctx, r, p));
}

/** ApiVersion: only V3 (Envoy refuses V2 and AUTO for gRPC access logs). Absent is read as V3, as for ads_config. */
function transportVersion(m: Msg): 'V3' {
  if (!m.has('transport_api_version')) return 'V3';
  const v = m.raw('transport_api_version');
  if (v !== 'V3' && v !== 2) m.err('transport_api_version', `${JSON.stringify(v)} is not supported; Envoy removed the V2 and AUTO transport versions, set V3`);
  return 'V3';
}

function commonConfig(ctx: Ctx, raw: unknown, path: string): CommonGrpcAccessLogConfig | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig',
    fields: ['log_name', 'grpc_service', 'transport_api_version', 'buffer_flush_interval', 'buffer_size_bytes', 'filter_state_objects_to_log', 'custom_tags'],
  });
  if (m === undefined) return undefined;
  const logName = m.reqStr('log_name');
  const service = m.require('grpc_service') ? m.msg('grpc_service', (r, p) => validateGrpcService(ctx, r, p)) : undefined;
  const version = transportVersion(m);
  const interval = m.dur('buffer_flush_interval');
  if (interval !== undefined && interval <= 0) m.err('buffer_flush_interval', 'must be greater than 0');
  const size = m.num('buffer_size_bytes', { int: true, min: 0, max: 0xffffffff });
  const out: CommonGrpcAccessLogConfig = {
    log_name: logName,
    grpc_service: service ?? { cluster_name: '', timeout: 0, initial_metadata: [] },
    transport_api_version: version,
    buffer_flush_interval: interval !== undefined && interval > 0 ? interval : DEFAULT_FLUSH_INTERVAL_MS,
    buffer_size_bytes: size ?? DEFAULT_BUFFER_SIZE_BYTES,
    filter_state_objects_to_log: m.strList('filter_state_objects_to_log'),
    custom_tags: m.list('custom_tags', (r, p) => validateCustomTag(ctx, r, p)),
  };
  return logName === '' || service === undefined || ctx.failedBelow(path) ? undefined : out;
}

function validate(ctx: Ctx, body: Raw, path: string, kind: GrpcAccessLogKind): GrpcAccessLogConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: `extensions.access_loggers.grpc.v3.${kind === 'http' ? 'Http' : 'Tcp'}GrpcAccessLogConfig`,
    fields: kind === 'http' ? ['common_config', 'additional_request_headers_to_log', 'additional_response_headers_to_log', 'additional_response_trailers_to_log'] : ['common_config'],
  });
  if (m === undefined) return undefined;
  const common = m.require('common_config') ? m.msg('common_config', (r, p) => commonConfig(ctx, r, p)) : undefined;
  const out: GrpcAccessLogConfig = {
    '@type': kind === 'http' ? HTTP_GRPC_TYPE : TCP_GRPC_TYPE,
    kind,
    common_config: common!,
    additional_request_headers_to_log: headerList(ctx, m, 'additional_request_headers_to_log'),
    additional_response_headers_to_log: headerList(ctx, m, 'additional_response_headers_to_log'),
    additional_response_trailers_to_log: headerList(ctx, m, 'additional_response_trailers_to_log'),
  };
  return common === undefined || ctx.failedBelow(path) ? undefined : out;
}

export const validateHttpGrpcAccessLog = (ctx: Ctx, body: Raw, path: string): GrpcAccessLogConfig | undefined => validate(ctx, body, path, 'http');
export const validateTcpGrpcAccessLog = (ctx: Ctx, body: Raw, path: string): GrpcAccessLogConfig | undefined => validate(ctx, body, path, 'tcp');

export function grpcAccessLogClusters(c: GrpcAccessLogConfig): AccessLoggerClusterRef[] {
  return [{ name: c.common_config.grpc_service.cluster_name, path: 'common_config.grpc_service.envoy_grpc.cluster_name' }];
}
