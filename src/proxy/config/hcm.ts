// Config stage: validates the envoy.filters.network.http_connection_manager filter config.
import type { HttpConnectionManager, RouteConfiguration } from './types.js';
import { validateXfcc } from './xfcc.js';
import { Ctx, Msg, Raw, TYPE_PREFIX, join, typeName, unpackAny } from './reader.js';
import { validateAccessLog } from './access-log.js';
import { validateAdsConfigSource } from './common.js';
import { validateHttpFilters } from './http-filters.js';
import { validateLocalReplyConfig } from './local-reply.js';
import { routeConfiguration } from './route.js';
import { validateHcmTracing } from './tracing.js';
import type { ClusterRef } from './route-action.js';

export const HCM_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager` as const;

/** Route clusters of an inline route config, to be checked against static clusters (Envoy's validate_clusters). */
export interface InlineRouteRefs {
  refs: ClusterRef[];
  validateClusters: boolean;
}

type H = HttpConnectionManager;

function commonHttpOptions(ctx: Ctx, raw: unknown, path: string): H['common_http_protocol_options'] {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.HttpProtocolOptions',
    fields: ['idle_timeout', 'max_connection_duration', 'max_headers_count', 'max_stream_duration'],
  });
  const out: H['common_http_protocol_options'] = {};
  if (m === undefined) return out;
  const a = m.dur('idle_timeout');
  if (a !== undefined) out.idle_timeout = a;
  const b = m.dur('max_connection_duration');
  if (b !== undefined) out.max_connection_duration = b;
  const c = m.num('max_headers_count', { int: true, min: 1 });
  if (c !== undefined) out.max_headers_count = c;
  const d = m.dur('max_stream_duration');
  if (d !== undefined) out.max_stream_duration = d;
  return out;
}

/** Tuning knobs of HTTP/2 that do not change request semantics. */
export const HTTP2_TUNING = [
  'hpack_table_size',
  'max_outbound_frames',
  'max_outbound_control_frames',
  'max_consecutive_inbound_frames_with_empty_payload',
  'max_inbound_priority_frames_per_stream',
  'max_inbound_window_update_frames_per_data_frame_sent',
  'connection_keepalive',
  'use_oghttp2_codec',
];

export function http2Options(ctx: Ctx, raw: unknown, path: string): H['http2_protocol_options'] {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.Http2ProtocolOptions',
    fields: ['max_concurrent_streams', 'initial_stream_window_size', 'initial_connection_window_size'],
    ignored: HTTP2_TUNING,
  });
  const out: H['http2_protocol_options'] = {};
  if (m === undefined) return out;
  const a = m.num('max_concurrent_streams', { int: true, min: 1, max: 2147483647 });
  if (a !== undefined) out.max_concurrent_streams = a;
  const b = m.num('initial_stream_window_size', { int: true, min: 65535, max: 2147483647 });
  if (b !== undefined) out.initial_stream_window_size = b;
  const c = m.num('initial_connection_window_size', { int: true, min: 65535, max: 2147483647 });
  if (c !== undefined) out.initial_connection_window_size = c;
  return out;
}

export function http1Options(ctx: Ctx, raw: unknown, path: string): H['http_protocol_options'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.Http1ProtocolOptions', fields: ['accept_http_10'] });
  return { accept_http_10: m?.boolOr('accept_http_10', false) ?? false };
}

function upgradeConfig(ctx: Ctx, raw: unknown, path: string): { upgrade_type: string; enabled: boolean } | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig', fields: ['upgrade_type', 'enabled'] });
  if (m === undefined) return undefined;
  return { upgrade_type: m.reqStr('upgrade_type').toLowerCase(), enabled: m.boolOr('enabled', true) };
}

function rds(ctx: Ctx, raw: unknown, path: string): string | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.filters.network.http_connection_manager.v3.Rds', fields: ['config_source', 'route_config_name'] });
  if (m === undefined) return undefined;
  if (m.require('config_source')) m.msg('config_source', (r, p) => validateAdsConfigSource(ctx, r, p));
  return m.reqStr('route_config_name');
}

const ESCAPED_SLASHES_ACTIONS = ['IMPLEMENTATION_SPECIFIC_DEFAULT', 'KEEP_UNCHANGED', 'REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT', 'UNESCAPE_AND_FORWARD'] as const;

function schemeTransformation(ctx: Ctx, raw: unknown, path: string): H['scheme_header_transformation'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.SchemeHeaderTransformation', fields: ['scheme_to_overwrite', 'match_upstream'] });
  if (m === undefined) return undefined;
  const out: NonNullable<H['scheme_header_transformation']> = { match_upstream: m.boolOr('match_upstream', false) };
  const s = m.str('scheme_to_overwrite');
  if (s === 'http' || s === 'https') out.scheme_to_overwrite = s;
  else if (s !== undefined) m.err('scheme_to_overwrite', `must be "http" or "https", got ${JSON.stringify(s)}`);
  return out;
}

const UUID_REQUEST_ID = 'type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig';

/** RequestIDExtension: the UUID one (Envoy's only one) and its two tracing switches. */
function requestIdExtension(ctx: Ctx, raw: unknown, path: string): H['request_id_extension'] {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.filters.network.http_connection_manager.v3.RequestIDExtension', fields: ['typed_config'] });
  if (m === undefined || !m.require('typed_config')) return undefined;
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  if (any.typeUrl !== UUID_REQUEST_ID) {
    ctx.err(join(m.at('typed_config'), '@type'), `request id extension ${typeName(any.typeUrl)} is not supported by trellis; supported: ${typeName(UUID_REQUEST_ID)}`);
    return undefined;
  }
  const u = Msg.open(ctx, any.body, any.path, { type: 'extensions.request_id.uuid.v3.UuidRequestIdConfig', fields: ['pack_trace_reason', 'use_request_id_for_trace_sampling'] });
  if (u === undefined) return undefined;
  return { pack_trace_reason: u.boolOr('pack_trace_reason', true), use_request_id_for_trace_sampling: u.boolOr('use_request_id_for_trace_sampling', true) };
}

export function validateHcm(ctx: Ctx, body: Raw, path: string, inline: InlineRouteRefs[]): HttpConnectionManager | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    fields: [
      'codec_type', 'stat_prefix', 'rds', 'route_config', 'http_filters', 'common_http_protocol_options', 'http_protocol_options',
      'http2_protocol_options', 'server_name', 'server_header_transformation', 'stream_idle_timeout', 'request_timeout',
      'request_headers_timeout', 'max_request_headers_kb', 'drain_timeout', 'access_log', 'use_remote_address', 'xff_num_trusted_hops', 'skip_xff_append',
      'via', 'generate_request_id', 'preserve_external_request_id', 'upgrade_configs', 'normalize_path', 'merge_slashes',
      'local_reply_config', 'add_user_agent', 'scheme_header_transformation', 'strip_matching_host_port', 'strip_any_host_port',
      'path_with_escaped_slashes_action', 'forward_client_cert_details', 'set_current_client_cert_details', 'tracing',
      'request_id_extension',
    ],
    // observability only, or timing of connection close
    ignored: ['access_log_flush_interval', 'flush_access_log_on_new_request', 'access_log_options', 'delayed_close_timeout'],
  });
  if (m === undefined) return undefined;
  const statPrefix = m.reqStr('stat_prefix');
  let routeSpec: H['route_specifier'] | undefined;
  switch (m.oneof(['route_config', 'rds'], true)) {
    case 'route_config': {
      const refs: ClusterRef[] = [];
      const rc = m.msg('route_config', (r, p) => routeConfiguration(ctx, r, p, refs));
      if (rc !== undefined) {
        routeSpec = { kind: 'route_config', route_config: rc.config };
        inline.push({ refs, validateClusters: rc.validateClusters ?? true });
      }
      break;
    }
    case 'rds': {
      const name = m.msg('rds', (r, p) => rds(ctx, r, p));
      if (name !== undefined && name !== '') routeSpec = { kind: 'rds', route_config_name: name };
      break;
    }
  }
  const out: HttpConnectionManager = {
    '@type': HCM_TYPE,
    codec_type: m.enumOr('codec_type', ['AUTO', 'HTTP1', 'HTTP2'], 'AUTO'),
    stat_prefix: statPrefix,
    route_specifier: routeSpec ?? { kind: 'route_config', route_config: emptyRouteConfig() },
    http_filters: validateHttpFilters(ctx, m),
    use_remote_address: m.boolOr('use_remote_address', false),
    xff_num_trusted_hops: m.numOr('xff_num_trusted_hops', 0, { int: true, min: 0 }),
    skip_xff_append: m.boolOr('skip_xff_append', false),
    generate_request_id: m.boolOr('generate_request_id', true),
    preserve_external_request_id: m.boolOr('preserve_external_request_id', false),
    stream_idle_timeout: m.durOr('stream_idle_timeout', 300000),
    request_timeout: m.durOr('request_timeout', 0),
    request_headers_timeout: m.durOr('request_headers_timeout', 0),
    max_request_headers_kb: m.numOr('max_request_headers_kb', 60, { int: true, min: 1, max: 8192 }),
    drain_timeout: m.durOr('drain_timeout', 5000),
    common_http_protocol_options: m.msg('common_http_protocol_options', (r, p) => commonHttpOptions(ctx, r, p)) ?? {},
    http_protocol_options: m.msg('http_protocol_options', (r, p) => http1Options(ctx, r, p)) ?? { accept_http_10: false },
    http2_protocol_options: m.msg('http2_protocol_options', (r, p) => http2Options(ctx, r, p)) ?? {},
    upgrade_configs: m.list('upgrade_configs', (r, p) => upgradeConfig(ctx, r, p)),
    server_name: m.strOr('server_name', 'envoy'),
    server_header_transformation: m.enumOr('server_header_transformation', ['OVERWRITE', 'APPEND_IF_ABSENT', 'PASS_THROUGH'], 'OVERWRITE'),
    access_log: m.list('access_log', (r, p) => validateAccessLog(ctx, r, p)),
    normalize_path: m.boolOr('normalize_path', false),
    merge_slashes: m.boolOr('merge_slashes', false),
  };
  const via = m.str('via');
  if (via !== undefined && /[\r\n\0]/.test(via)) m.err('via', 'must be a valid header value (no CR, LF or NUL)');
  else if (via !== undefined) out.via = via;
  const lrc = m.msg('local_reply_config', (r, p) => validateLocalReplyConfig(ctx, r, p));
  if (lrc !== undefined) out.local_reply_config = lrc;
  if (m.boolOr('add_user_agent', false)) out.add_user_agent = true;
  const sht = m.msg('scheme_header_transformation', (r, p) => schemeTransformation(ctx, r, p));
  if (sht !== undefined) out.scheme_header_transformation = sht;
  const stripMatching = m.boolOr('strip_matching_host_port', false);
  const stripAny = m.boolOr('strip_any_host_port', false);
  if (stripMatching && stripAny) m.err('strip_any_host_port', 'only one of strip_matching_host_port and strip_any_host_port can be set');
  else if (stripMatching) out.strip_matching_host_port = true;
  else if (stripAny) out.strip_any_host_port = true;
  const esc = m.enumOpt('path_with_escaped_slashes_action', ESCAPED_SLASHES_ACTIONS);
  if (esc !== undefined) out.path_with_escaped_slashes_action = esc;
  const tracing = m.msg('tracing', (r, p) => validateHcmTracing(ctx, r, p));
  if (tracing !== undefined) out.tracing = tracing;
  const rid = m.msg('request_id_extension', (r, p) => requestIdExtension(ctx, r, p));
  if (rid !== undefined) out.request_id_extension = rid;
  validateXfcc(ctx, m, out);
  return out;
}

function emptyRouteConfig(): RouteConfiguration {
  return {
    name: '',
    virtual_hosts: [],
    request_headers_to_add: [],
    request_headers_to_remove: [],
    response_headers_to_add: [],
    response_headers_to_remove: [],
    internal_only_headers: [],
  };
}
