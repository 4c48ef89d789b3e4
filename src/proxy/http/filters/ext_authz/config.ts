// HTTP filters: envoy.filters.http.ext_authz config — ExtAuthz and ExtAuthzPerRoute validated once, every error with its path.
import type { ConfigError } from '../../../../common/result.js';
import type { HeaderValueOption, StringMatcher } from '../../../config/types.js';
import { Ctx, Msg, Raw } from '../../../config/reader.js';
import { headerName, validateRuntimeFraction } from '../../../config/common.js';
import { validateStringMatcher } from '../../../config/matchers.js';
import { validateHttpStatus } from '../../../config/http-status.js';
import { validateMetadataMatcher } from '../../../rbac/validate-matchers.js';
import { CompiledStringMatcher } from '../../../router/string-matcher.js';
import { compileHeaderMutation } from '../../../router/header-mutation.js';
import { GRPC_DEFAULT_TIMEOUT_MS, validateGrpcService } from '../../../ext-authz/grpc-service-config.js';
import {
  EXT_AUTHZ_PER_ROUTE_TYPE,
  EXT_AUTHZ_TYPE,
  type BufferSettings,
  type CheckSettings,
  type ExtAuthzConfig,
  type ExtAuthzPerRoute,
  type GrpcAuthzService,
  type HttpAuthzService,
} from './types.js';

const T = 'extensions.filters.http.ext_authz.v3';

/** type.matcher.v3.ListStringMatcher; regexes are compiled here too so RE2 errors surface with the config. */
function validateListStringMatcher(ctx: Ctx, raw: unknown, path: string): StringMatcher[] | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.matcher.v3.ListStringMatcher', fields: ['patterns'] });
  if (m === undefined) return undefined;
  if (!m.require('patterns')) return undefined;
  const patterns = m.list('patterns', (r, p) => {
    const sm = validateStringMatcher(ctx, r, p);
    if (sm === undefined) return undefined;
    const errs: ConfigError[] = [];
    new CompiledStringMatcher(sm, p, errs);
    for (const e of errs) ctx.err(e.path, e.message);
    return errs.length === 0 ? sm : undefined;
  });
  if (Array.isArray(m.raw('patterns')) && (m.raw('patterns') as unknown[]).length === 0) m.err('patterns', 'must have at least one pattern');
  return patterns;
}

function validateBufferSettings(ctx: Ctx, raw: unknown, path: string): BufferSettings | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${T}.BufferSettings`, fields: ['max_request_bytes', 'allow_partial_message', 'pack_as_bytes'] });
  if (m === undefined) return undefined;
  if (!m.require('max_request_bytes')) return undefined;
  const max = m.num('max_request_bytes', { int: true, gt: 0, max: 0xffffffff });
  if (max === undefined) return undefined;
  return { max_request_bytes: max, allow_partial_message: m.boolOr('allow_partial_message', false), pack_as_bytes: m.boolOr('pack_as_bytes', false) };
}

/** config.core.v3.HeaderValue list of authorization_request.headers_to_add: set on the check, replacing the client's. */
function validateHeadersToAdd(ctx: Ctx, m: Msg): HeaderValueOption[] {
  const out = m.list('headers_to_add', (r, p): HeaderValueOption | undefined => {
    const h = Msg.open(ctx, r, p, { type: 'config.core.v3.HeaderValue', fields: ['key', 'value'] });
    if (h === undefined || !h.require('key')) return undefined;
    const key = headerName(ctx, h.raw('key'), h.at('key'));
    if (key === undefined) return undefined;
    return { header: { key, value: h.strOr('value', '') }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', keep_empty_value: false };
  });
  // %FORMATTER% errors are compile errors: find them now, with the config's paths.
  const errs: ConfigError[] = [];
  compileHeaderMutation(out, [], m.path, 'headers_to_add', errs);
  for (const e of errs) ctx.err(e.path, e.message);
  return out;
}

function validateHttpService(ctx: Ctx, raw: unknown, path: string): HttpAuthzService | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: `${T}.HttpService`,
    fields: ['server_uri', 'path_prefix', 'authorization_request', 'authorization_response'],
  });
  if (m === undefined) return undefined;
  if (!m.require('server_uri')) return undefined;
  const uri = m.msg('server_uri', (r, p) => {
    const u = Msg.open(ctx, r, p, { type: 'config.core.v3.HttpUri', fields: ['uri', 'cluster', 'timeout'] });
    if (u === undefined) return undefined;
    const out = { uri: u.reqStr('uri'), cluster: u.reqStr('cluster'), timeout: u.require('timeout') ? (u.dur('timeout') ?? 0) : 0 };
    return out.uri === '' || out.cluster === '' || !u.has('timeout') ? undefined : out;
  });
  const prefix = m.strOr('path_prefix', '');
  if (prefix !== '' && !prefix.startsWith('/')) m.err('path_prefix', 'must start with "/"');
  const out: HttpAuthzService = { kind: 'http', server_uri: uri ?? { uri: '', cluster: '', timeout: 0 }, path_prefix: prefix, headers_to_add: [] };
  m.msg('authorization_request', (r, p) => {
    const q = Msg.open(ctx, r, p, { type: `${T}.AuthorizationRequest`, fields: ['allowed_headers', 'headers_to_add'] });
    if (q === undefined) return undefined;
    const ah = q.msg('allowed_headers', (rr, pp) => validateListStringMatcher(ctx, rr, pp));
    if (ah !== undefined) out.allowed_headers = ah;
    out.headers_to_add = validateHeadersToAdd(ctx, q);
    return true;
  });
  m.msg('authorization_response', (r, p) => {
    const fields = [
      'allowed_upstream_headers',
      'allowed_upstream_headers_to_append',
      'allowed_client_headers',
      'allowed_client_headers_on_success',
      'dynamic_metadata_from_headers',
    ] as const;
    const q = Msg.open(ctx, r, p, { type: `${T}.AuthorizationResponse`, fields });
    if (q === undefined) return undefined;
    for (const f of fields) {
      const list = q.msg(f, (rr, pp) => validateListStringMatcher(ctx, rr, pp));
      if (list !== undefined) out[f] = list;
    }
    return true;
  });
  return uri === undefined ? undefined : out;
}

function validateGrpcAuthzService(ctx: Ctx, raw: unknown, path: string): GrpcAuthzService | undefined {
  const t = validateGrpcService(ctx, raw, path);
  return t === undefined ? undefined : { kind: 'grpc', ...t };
}

/** A boolean field trellis supports only at its default (false); true would change what the check carries. */
function falseOnly(m: Msg, name: string, why: string): void {
  if (m.bool(name) === true) m.err(name, `${name}: true is not supported by trellis (${why})`);
}

export function validateExtAuthz(ctx: Ctx, body: Raw, path: string): ExtAuthzConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: `${T}.ExtAuthz`,
    // Left out on purpose (rejected by name, they change what is authorized or what the service sees):
    // decoder_header_mutation_rules, typed_metadata_context_namespaces,
    // route_metadata_context_namespaces, route_typed_metadata_context_namespaces, bootstrap_metadata_labels_key.
    fields: [
      'grpc_service', 'http_service', 'transport_api_version', 'failure_mode_allow', 'failure_mode_allow_header_add',
      'with_request_body', 'clear_route_cache', 'status_on_error', 'validate_mutations', 'metadata_context_namespaces',
      'filter_enabled', 'filter_enabled_metadata', 'deny_at_disable', 'include_peer_certificate', 'stat_prefix', 'allowed_headers', 'disallowed_headers',
      'include_tls_session', 'encode_raw_headers', 'enable_dynamic_metadata_ingestion', 'max_denied_response_body_bytes',
      'enforce_response_header_limits',
    ],
    // observability only
    ignored: ['charge_cluster_response_stats', 'filter_metadata', 'emit_filter_state_stats'],
  });
  if (m === undefined) return undefined;
  const which = m.oneof(['grpc_service', 'http_service'], true);
  const service =
    which === 'grpc_service'
      ? m.msg('grpc_service', (r, p) => validateGrpcAuthzService(ctx, r, p))
      : which === 'http_service'
        ? m.msg('http_service', (r, p) => validateHttpService(ctx, r, p))
        : undefined;
  if (m.enumOr('transport_api_version', ['AUTO', 'V2', 'V3'], 'AUTO') === 'V2') m.err('transport_api_version', 'only V3 (or AUTO) is supported');
  falseOnly(m, 'include_peer_certificate', 'the peer certificate is not kept after the handshake');
  falseOnly(m, 'encode_raw_headers', 'headers are sent joined, as with the default');
  falseOnly(m, 'enforce_response_header_limits', 'response header limits are not enforced on added headers');
  const out: ExtAuthzConfig = {
    '@type': EXT_AUTHZ_TYPE,
    service: service ?? { kind: 'grpc', cluster_name: '', timeout: GRPC_DEFAULT_TIMEOUT_MS, initial_metadata: [] },
    failure_mode_allow: m.boolOr('failure_mode_allow', false),
    failure_mode_allow_header_add: m.boolOr('failure_mode_allow_header_add', false),
    clear_route_cache: m.boolOr('clear_route_cache', false),
    status_on_error: m.msg('status_on_error', (r, p) => validateHttpStatus(ctx, r, p)) ?? 403,
    validate_mutations: m.boolOr('validate_mutations', false),
    metadata_context_namespaces: m.strList('metadata_context_namespaces'),
    stat_prefix: m.strOr('stat_prefix', ''),
    include_tls_session: m.boolOr('include_tls_session', false),
    enable_dynamic_metadata_ingestion: m.boolOr('enable_dynamic_metadata_ingestion', true),
    max_denied_response_body_bytes: m.numOr('max_denied_response_body_bytes', 0, { int: true, min: 0, max: 0xffffffff }),
  };
  const wb = m.msg('with_request_body', (r, p) => validateBufferSettings(ctx, r, p));
  if (wb !== undefined) out.with_request_body = wb;
  const fe = m.msg('filter_enabled', (r, p) => validateRuntimeFraction(ctx, r, p));
  if (fe !== undefined) out.filter_enabled = fe;
  const fem = m.msg('filter_enabled_metadata', (r, p) => validateMetadataMatcher(ctx, r, p));
  if (fem !== undefined) out.filter_enabled_metadata = fem;
  const dad = m.msg('deny_at_disable', (r, p) => {
    const f = Msg.open(ctx, r, p, { type: 'config.core.v3.RuntimeFeatureFlag', fields: ['default_value', 'runtime_key'] });
    if (f === undefined || !f.require('default_value')) return undefined;
    return { default_value: f.boolOr('default_value', false), runtime_key: f.strOr('runtime_key', '') };
  });
  if (dad !== undefined) out.deny_at_disable = dad;
  const ah = m.msg('allowed_headers', (r, p) => validateListStringMatcher(ctx, r, p));
  if (ah !== undefined) out.allowed_headers = ah;
  const dh = m.msg('disallowed_headers', (r, p) => validateListStringMatcher(ctx, r, p));
  if (dh !== undefined) out.disallowed_headers = dh;
  if (ah !== undefined && service?.kind === 'http' && service.allowed_headers !== undefined) {
    m.err('allowed_headers', 'allowed_headers and http_service.authorization_request.allowed_headers cannot both be set');
  }
  return service === undefined ? undefined : out;
}

function validateCheckSettings(ctx: Ctx, raw: unknown, path: string): CheckSettings | undefined {
  // grpc_service / http_service (a per-route authorization service) are rejected by name.
  const m = Msg.open(ctx, raw, path, { type: `${T}.CheckSettings`, fields: ['context_extensions', 'disable_request_body_buffering', 'with_request_body'] });
  if (m === undefined) return undefined;
  const out: CheckSettings = {
    context_extensions: m.map('context_extensions', (_k, v, p) => {
      if (typeof v === 'string') return v;
      ctx.err(p, 'expected a string');
      return undefined;
    }),
    disable_request_body_buffering: m.boolOr('disable_request_body_buffering', false),
  };
  const wb = m.msg('with_request_body', (r, p) => validateBufferSettings(ctx, r, p));
  if (wb !== undefined) out.with_request_body = wb;
  if (out.disable_request_body_buffering && m.has('with_request_body')) m.err('with_request_body', 'only one of disable_request_body_buffering and with_request_body may be set');
  return out;
}

export function validateExtAuthzPerRoute(ctx: Ctx, body: Raw, path: string): ExtAuthzPerRoute | undefined {
  const m = Msg.open(ctx, body, path, { type: `${T}.ExtAuthzPerRoute`, fields: ['disabled', 'check_settings'] });
  if (m === undefined) return undefined;
  const which = m.oneof(['disabled', 'check_settings'], true);
  if (which === undefined) return undefined;
  const out: ExtAuthzPerRoute = { '@type': EXT_AUTHZ_PER_ROUTE_TYPE, disabled: m.boolOr('disabled', false) };
  if (which === 'check_settings') {
    const cs = m.msg('check_settings', (r, p) => validateCheckSettings(ctx, r, p));
    if (cs === undefined) return undefined;
    out.check_settings = cs;
  }
  return out;
}
