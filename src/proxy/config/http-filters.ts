// Config stage: validates HCM http_filters (fault, cors, router) and per-route filter overrides.
import type { CorsConfig, CorsPolicy, FaultAbort, FaultConfig, FaultDelay, HttpFilter, HttpFilterConfig, RouterConfig } from './types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX, Unpacked, idx, isObj, join, typeName, unpackAny } from './reader.js';
import { validateFractionalPercent } from './common.js';
import { validateHeaderMatcher, validateStringMatcher } from './matchers.js';

export const FAULT_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.fault.v3.HTTPFault` as const;
export const ROUTER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.router.v3.Router` as const;
export const CORS_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.Cors` as const;
export const CORS_POLICY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.CorsPolicy` as const;
export const FAULT_NAME = 'envoy.filters.http.fault';
export const CORS_NAME = 'envoy.filters.http.cors';
export const ROUTER_NAME = 'envoy.filters.http.router';

/** Filter name -> its config type; legacy names from Envoy's deprecated well-known names. */
const BY_NAME: Record<string, string> = {
  [FAULT_NAME]: FAULT_TYPE,
  'envoy.fault': FAULT_TYPE,
  [CORS_NAME]: CORS_TYPE,
  'envoy.cors': CORS_TYPE,
  [ROUTER_NAME]: ROUTER_TYPE,
  'envoy.router': ROUTER_TYPE,
};

function validateDelay(ctx: Ctx, raw: unknown, path: string): FaultDelay | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.filters.common.fault.v3.FaultDelay', fields: ['fixed_delay', 'header_delay', 'percentage'] });
  if (m === undefined) return undefined;
  const which = m.oneof(['fixed_delay', 'header_delay'], true);
  const out: FaultDelay = {
    header_delay: which === 'header_delay',
    // an unset FractionalPercent is 0/100 in Envoy
    percentage: m.msg('percentage', (r, p) => validateFractionalPercent(ctx, r, p)) ?? 0,
  };
  if (which === 'header_delay') Msg.open(ctx, m.raw('header_delay'), m.at('header_delay'), { type: 'extensions.filters.common.fault.v3.FaultDelay.HeaderDelay', fields: [] });
  const fd = m.dur('fixed_delay');
  if (fd !== undefined) out.fixed_delay = fd;
  return out;
}

function validateAbort(ctx: Ctx, raw: unknown, path: string): FaultAbort | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.filters.http.fault.v3.FaultAbort',
    fields: ['http_status', 'grpc_status', 'header_abort', 'percentage'],
  });
  if (m === undefined) return undefined;
  const which = m.oneof(['http_status', 'grpc_status', 'header_abort'], true);
  const out: FaultAbort = {
    header_abort: which === 'header_abort',
    percentage: m.msg('percentage', (r, p) => validateFractionalPercent(ctx, r, p)) ?? 0,
  };
  if (which === 'header_abort') Msg.open(ctx, m.raw('header_abort'), m.at('header_abort'), { type: 'extensions.filters.http.fault.v3.FaultAbort.HeaderAbort', fields: [] });
  const hs = m.num('http_status', { int: true, min: 200, max: 599 });
  if (hs !== undefined) out.http_status = hs;
  const gs = m.num('grpc_status', { int: true, min: 0, max: 16 });
  if (gs !== undefined) out.grpc_status = gs;
  return out;
}

/** HTTPFault runtime key fields and the global keys Envoy uses when they are unset. */
export const FAULT_RUNTIME_KEYS = {
  delay_percent_runtime: 'fault.http.delay.fixed_delay_percent',
  abort_percent_runtime: 'fault.http.abort.abort_percent',
  delay_duration_runtime: 'fault.http.delay.fixed_duration_ms',
  abort_http_status_runtime: 'fault.http.abort.http_status',
  abort_grpc_status_runtime: 'fault.http.abort.grpc_status',
  max_active_faults_runtime: 'fault.http.max_active_faults',
} as const;

export function validateFault(ctx: Ctx, body: Raw, path: string): FaultConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.fault.v3.HTTPFault',
    fields: ['delay', 'abort', 'upstream_cluster', 'headers', 'downstream_nodes', 'max_active_faults', ...Object.keys(FAULT_RUNTIME_KEYS)],
    // response_rate_limit is not supported, so neither is its runtime key; per-downstream-cluster stats are stats only
    ignored: ['response_rate_limit_percent_runtime', 'disable_downstream_cluster_stats'],
  });
  if (m === undefined) return undefined;
  const out: FaultConfig = {
    '@type': FAULT_TYPE,
    headers: m.list('headers', (r, p) => validateHeaderMatcher(ctx, r, p)),
    downstream_nodes: m.strList('downstream_nodes'),
  };
  for (const f of Object.keys(FAULT_RUNTIME_KEYS) as (keyof typeof FAULT_RUNTIME_KEYS)[]) {
    const k = m.str(f);
    if (k !== undefined && k !== '') out[f] = k;
  }
  const d = m.msg('delay', (r, p) => validateDelay(ctx, r, p));
  if (d !== undefined) out.delay = d;
  const a = m.msg('abort', (r, p) => validateAbort(ctx, r, p));
  if (a !== undefined) out.abort = a;
  const uc = m.str('upstream_cluster');
  if (uc !== undefined) out.upstream_cluster = uc;
  const maf = m.num('max_active_faults', { int: true, min: 0 });
  if (maf !== undefined) out.max_active_faults = maf;
  return out;
}

export function validateRouter(ctx: Ctx, body: Raw, path: string): RouterConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.router.v3.Router',
    fields: ['suppress_envoy_headers', 'start_child_span'],
    ignored: ['dynamic_stats', 'upstream_log', 'upstream_log_options', 'suppress_grpc_request_failure_code_stats'], // stats/logging only
  });
  if (m === undefined) return undefined;
  return {
    '@type': ROUTER_TYPE,
    suppress_envoy_headers: m.boolOr('suppress_envoy_headers', false),
    start_child_span: m.boolOr('start_child_span', false),
  };
}

export function validateCors(ctx: Ctx, body: Raw, path: string): CorsConfig | undefined {
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.http.cors.v3.Cors', fields: [] });
  return m === undefined ? undefined : { '@type': CORS_TYPE };
}

export function validateCorsPolicy(ctx: Ctx, body: Raw, path: string): CorsPolicy | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.cors.v3.CorsPolicy',
    fields: ['allow_origin_string_match', 'allow_methods', 'allow_headers', 'expose_headers', 'max_age', 'allow_credentials', 'allow_private_network_access', 'forward_not_matching_preflights'],
  });
  if (m === undefined) return undefined;
  const out: CorsPolicy = {
    '@type': CORS_POLICY_TYPE,
    allow_origin_string_match: m.list('allow_origin_string_match', (r, p) => validateStringMatcher(ctx, r, p)),
  };
  const am = m.str('allow_methods');
  if (am !== undefined) out.allow_methods = am;
  const ah = m.str('allow_headers');
  if (ah !== undefined) out.allow_headers = ah;
  const eh = m.str('expose_headers');
  if (eh !== undefined) out.expose_headers = eh;
  const ma = m.str('max_age');
  if (ma !== undefined) out.max_age = ma;
  const ac = m.bool('allow_credentials');
  if (ac !== undefined) out.allow_credentials = ac;
  const fwd = m.bool('forward_not_matching_preflights');
  if (fwd !== undefined) out.forward_not_matching_preflights = fwd;
  m.bool('allow_private_network_access'); // accepted (type-checked) and ignored
  return out;
}

function decode(ctx: Ctx, any: Unpacked): HttpFilterConfig | undefined {
  if (any.typeUrl === FAULT_TYPE) return validateFault(ctx, any.body, any.path);
  if (any.typeUrl === CORS_TYPE) return validateCors(ctx, any.body, any.path);
  if (any.typeUrl === ROUTER_TYPE) return validateRouter(ctx, any.body, any.path);
  return undefined;
}

/**
 * Decodes one filter's config. Like Envoy, the `@type` picks the implementation; a well-known `name`
 * must agree with it. Returns undefined (with an error unless `optional`) for filters trellis lacks.
 */
export function decodeHttpFilterConfig(ctx: Ctx, name: string, rawConfig: unknown, path: string, namePath: string, optional: boolean): HttpFilterConfig | undefined {
  const expected = BY_NAME[name];
  if (rawConfig === undefined) {
    if (expected === undefined) {
      if (!optional) ctx.err(namePath, `http filter "${name}" is not supported by trellis; supported: ${FAULT_NAME}, ${CORS_NAME}, ${ROUTER_NAME}`);
      return undefined;
    }
    return decode(ctx, { typeUrl: expected, body: {}, path });
  }
  const any = unpackAny(ctx, rawConfig, path);
  if (any === undefined) return undefined;
  if (any.typeUrl !== FAULT_TYPE && any.typeUrl !== CORS_TYPE && any.typeUrl !== ROUTER_TYPE) {
    if (!optional) ctx.err(join(path, '@type'), `http filter type ${typeName(any.typeUrl)} (filter "${name}") is not supported by trellis; supported: ${FAULT_NAME}, ${CORS_NAME}, ${ROUTER_NAME}`);
    return undefined;
  }
  if (expected !== undefined && expected !== any.typeUrl) {
    ctx.err(join(path, '@type'), `${any.typeUrl} does not match filter name "${name}" (expected ${expected})`);
    return undefined;
  }
  return decode(ctx, any);
}

export function validateHttpFilters(ctx: Ctx, m: Msg): HttpFilter[] {
  const filters = m.list('http_filters', (raw, path): HttpFilter | undefined => {
    const f = Msg.open(ctx, raw, path, {
      type: 'extensions.filters.network.http_connection_manager.v3.HttpFilter',
      fields: ['name', 'typed_config', 'is_optional'],
    });
    if (f === undefined) return undefined;
    const name = f.reqStr('name');
    const optional = f.boolOr('is_optional', false);
    const cfg = decodeHttpFilterConfig(ctx, name, f.raw('typed_config'), f.at('typed_config'), f.at('name'), optional);
    return cfg === undefined ? undefined : { name, typed_config: cfg, is_optional: optional };
  });
  // positions are checked on the raw list so indices in messages match the user's file
  const rawList = m.rawList('http_filters') ?? [];
  const isRouter = (r: unknown): boolean => {
    if (!isObj(r)) return false;
    const tc = r.typed_config ?? r.typedConfig;
    let t = isObj(tc) ? tc['@type'] : undefined;
    if (isObj(tc) && typeof t === 'string' && t.endsWith('.TypedStruct')) t = tc.type_url ?? tc.typeUrl;
    return t === ROUTER_TYPE || (t === undefined && BY_NAME[String(r.name)] === ROUTER_TYPE);
  };
  const last = rawList.length - 1;
  if (rawList.length === 0) m.err('http_filters', `must end with ${ROUTER_NAME}`);
  else if (!isRouter(rawList[last])) m.ctx.err(idx(m.at('http_filters'), last), `the last http filter must be ${ROUTER_NAME}`);
  rawList.forEach((r, i) => {
    if (i !== last && isRouter(r)) m.ctx.err(idx(m.at('http_filters'), i), `${ROUTER_NAME} is terminal and must be the last http filter`);
  });
  return filters;
}

/** typed_per_filter_config: filter name -> override config. */
export function validatePerFilterConfig(m: Msg): Record<string, HttpFilterConfig> {
  return m.map('typed_per_filter_config', (name, raw, path) => {
    const kind = BY_NAME[name];
    if (kind === CORS_TYPE) {
      const any = unpackAny(m.ctx, raw, path);
      if (any === undefined) return undefined;
      if (any.typeUrl !== CORS_POLICY_TYPE) {
        m.ctx.err(join(path, '@type'), `${any.typeUrl} is not a per-route config for "${name}" (expected ${CORS_POLICY_TYPE})`);
        return undefined;
      }
      return validateCorsPolicy(m.ctx, any.body, any.path);
    }
    if (kind !== FAULT_TYPE) {
      m.ctx.err(path, `per-route config for "${name}" is not supported by trellis; supported: ${FAULT_NAME}, ${CORS_NAME}`);
      return undefined;
    }
    return decodeHttpFilterConfig(m.ctx, name, raw, path, path, false);
  });
}
