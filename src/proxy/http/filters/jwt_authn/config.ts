// HTTP filters: envoy.filters.http.jwt_authn config — validates JwtAuthentication and PerRouteConfig, every error with its path.
import type { HttpFilterConfig, RouteMatch, StringMatcher } from '../../../config/types.js';
import { Ctx, Msg, TYPE_PREFIX, describe, join } from '../../../config/reader.js';
import { headerName, readDataSource } from '../../../config/common.js';
import { validateStringMatcher } from '../../../config/matchers.js';
import { validateRouteMatch } from '../../../config/route-match.js';
import { parseJwks } from './jwks.js';

export const JWT_AUTHN_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication` as const;
export const JWT_PER_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig` as const;

const T = 'extensions.filters.http.jwt_authn.v3.';

/** Envoy's default JWKS cache lifetime (RemoteJwks.cache_duration). */
export const DEFAULT_CACHE_DURATION_MS = 600_000;
/** JwksAsyncFetch.failed_refetch_duration default. */
export const DEFAULT_FAILED_REFETCH_MS = 1_000;
/** JwtCacheConfig defaults: entries, and the longest token kept. */
export const DEFAULT_JWT_CACHE_SIZE = 100;
export const DEFAULT_JWT_CACHE_MAX_TOKEN = 4096;

export interface JwtHeaderLocation {
  readonly name: string;
  readonly value_prefix: string;
}

export interface ClaimToHeader {
  readonly header_name: string;
  readonly claim_name: string;
}

export interface RemoteJwksConfig {
  readonly uri: string;
  readonly cluster: string;
  readonly timeout_ms: number;
  readonly cache_duration_ms: number;
  /** Fetch when the filter is built and refresh in the background, instead of on the first request. */
  readonly async_fetch?: { readonly fast_listener: boolean; readonly failed_refetch_ms: number };
  /** core RetryPolicy: extra attempts after a failed fetch, with jittered exponential backoff. */
  readonly retry?: { readonly num_retries: number; readonly base_ms: number; readonly max_ms: number };
}

export interface JwtProviderConfig {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly subjects?: StringMatcher;
  readonly require_expiration: boolean;
  readonly max_lifetime_ms?: number;
  readonly remote_jwks?: RemoteJwksConfig;
  /** The key set's text (already checked to hold at least one usable key). */
  readonly local_jwks?: string;
  readonly forward: boolean;
  readonly from_headers: readonly JwtHeaderLocation[];
  readonly from_params: readonly string[];
  readonly from_cookies: readonly string[];
  readonly forward_payload_header: string;
  readonly pad_forward_payload_header: boolean;
  readonly payload_in_metadata: string;
  readonly header_in_metadata: string;
  readonly space_delimited_claims: readonly string[];
  /** 0 = Envoy's default of 60 s. */
  readonly clock_skew_seconds: number;
  readonly jwt_cache?: { readonly size: number; readonly max_token_size: number };
  readonly claim_to_headers: readonly ClaimToHeader[];
  readonly clear_route_cache: boolean;
}

export type JwtRequirement =
  | { readonly kind: 'provider'; readonly provider: string; readonly audiences?: readonly string[] }
  | { readonly kind: 'any'; readonly requirements: readonly JwtRequirement[] }
  | { readonly kind: 'all'; readonly requirements: readonly JwtRequirement[] }
  | { readonly kind: 'allow_missing_or_failed' }
  | { readonly kind: 'allow_missing' }
  /** An empty JwtRequirement: nothing is verified. */
  | { readonly kind: 'none' };

export interface RequirementRule {
  readonly match: RouteMatch;
  /** Absent = requests matching the rule are not verified. */
  readonly requires?: JwtRequirement;
}

export interface JwtAuthnConfig extends HttpFilterConfig {
  readonly '@type': typeof JWT_AUTHN_TYPE;
  readonly providers: Readonly<Record<string, JwtProviderConfig>>;
  readonly rules: readonly RequirementRule[];
  readonly requirement_map: Readonly<Record<string, JwtRequirement>>;
  readonly bypass_cors_preflight: boolean;
  readonly strip_failure_response: boolean;
}

export interface JwtPerRouteConfig extends HttpFilterConfig {
  readonly '@type': typeof JWT_PER_ROUTE_TYPE;
  readonly disabled: boolean;
  readonly requirement_name: string;
}

function optHeader(ctx: Ctx, m: Msg, field: string): string {
  const raw = m.raw(field);
  if (raw === undefined || raw === '') return '';
  return headerName(ctx, raw, m.at(field)) ?? '';
}

function validateJwtHeader(ctx: Ctx, raw: unknown, path: string): JwtHeaderLocation | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${T}JwtHeader`, fields: ['name', 'value_prefix'] });
  if (m === undefined) return undefined;
  if (!m.require('name')) return undefined;
  const name = headerName(ctx, m.raw('name'), m.at('name'));
  return name === undefined ? undefined : { name, value_prefix: m.strOr('value_prefix', '') };
}

function validateClaimToHeader(ctx: Ctx, raw: unknown, path: string): ClaimToHeader | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${T}JwtClaimToHeader`, fields: ['header_name', 'claim_name'] });
  if (m === undefined) return undefined;
  if (!m.require('header_name')) return undefined;
  const header_name = headerName(ctx, m.raw('header_name'), m.at('header_name'));
  const claim_name = m.reqStr('claim_name');
  return header_name === undefined || claim_name === '' ? undefined : { header_name, claim_name };
}

function validateRetry(ctx: Ctx, raw: unknown, path: string): RemoteJwksConfig['retry'] {
  // retry_on, retry_priority and host predicates would change which failures are retried and where: not implemented.
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.RetryPolicy', fields: ['retry_back_off', 'num_retries'] });
  if (m === undefined) return undefined;
  // Envoy: one retry when num_retries is omitted; backoff base 1 s and max 10x base by default.
  const num_retries = m.numOr('num_retries', 1, { int: true, min: 0, max: 10 });
  let base_ms = 1000;
  let max_ms: number | undefined;
  const b = m.msg('retry_back_off', (r, p) => Msg.open(ctx, r, p, { type: 'config.core.v3.BackoffStrategy', fields: ['base_interval', 'max_interval'] }));
  if (b !== undefined) {
    if (b.require('base_interval')) {
      const v = b.dur('base_interval');
      if (v !== undefined && v < 1) b.err('base_interval', 'must be at least 1ms');
      else if (v !== undefined) base_ms = v;
    }
    const mx = b.dur('max_interval');
    if (mx !== undefined) {
      if (mx <= 0) b.err('max_interval', 'must be greater than 0');
      else if (mx < base_ms) b.err('max_interval', `must not be less than base_interval (${base_ms}ms)`);
      else max_ms = mx;
    }
  }
  return { num_retries, base_ms, max_ms: max_ms ?? base_ms * 10 };
}

function validateRemoteJwks(ctx: Ctx, raw: unknown, path: string): RemoteJwksConfig | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${T}RemoteJwks`, fields: ['http_uri', 'cache_duration', 'async_fetch', 'retry_policy'] });
  if (m === undefined) return undefined;
  if (!m.require('http_uri')) return undefined;
  const u = m.msg('http_uri', (r, p) => Msg.open(ctx, r, p, { type: 'config.core.v3.HttpUri', fields: ['uri', 'cluster', 'timeout'] }));
  if (u === undefined) return undefined;
  const uri = u.reqStr('uri');
  if (uri !== '') {
    let ok = false;
    try {
      const url = new URL(uri);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
    } catch {
      ok = false;
    }
    if (!ok) u.err('uri', `"${uri}" is not a valid http(s) URI`);
  }
  const cluster = u.reqStr('cluster');
  const timeout_ms = u.require('timeout') ? u.dur('timeout') : undefined;
  const cache = m.dur('cache_duration');
  if (cache !== undefined && cache < 1) m.err('cache_duration', 'must be at least 1ms');
  const out: { -readonly [K in keyof RemoteJwksConfig]: RemoteJwksConfig[K] } = {
    uri,
    cluster,
    timeout_ms: timeout_ms ?? 0,
    cache_duration_ms: cache !== undefined && cache >= 1 ? cache : DEFAULT_CACHE_DURATION_MS,
  };
  const af = m.msg('async_fetch', (r, p) => Msg.open(ctx, r, p, { type: `${T}JwksAsyncFetch`, fields: ['fast_listener', 'failed_refetch_duration'] }));
  if (af !== undefined) out.async_fetch = { fast_listener: af.boolOr('fast_listener', false), failed_refetch_ms: af.durOr('failed_refetch_duration', DEFAULT_FAILED_REFETCH_MS) };
  const retry = m.msg('retry_policy', (r, p) => validateRetry(ctx, r, p));
  if (retry !== undefined) out.retry = retry;
  return uri === '' || cluster === '' || timeout_ms === undefined ? undefined : out;
}

function validateLocalJwks(ctx: Ctx, raw: unknown, path: string): string | undefined {
  const text = readDataSource(ctx, raw, path);
  if (text === undefined) return undefined;
  // Envoy only logs a bad local key set and then fails every request; refusing the config says why up front.
  const parsed = parseJwks(text);
  if (typeof parsed === 'string') {
    ctx.err(path, `local_jwks: ${parsed}`);
    return undefined;
  }
  return text;
}

function validateProvider(ctx: Ctx, raw: unknown, path: string): JwtProviderConfig | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: `${T}JwtProvider`,
    // failed_status_in_metadata (read by other filters' decisions) is not implemented and is rejected by name.
    fields: [
      'issuer', 'audiences', 'subjects', 'require_expiration', 'max_lifetime', 'remote_jwks', 'local_jwks', 'forward',
      'from_headers', 'from_params', 'from_cookies', 'forward_payload_header', 'pad_forward_payload_header',
      'payload_in_metadata', 'normalize_payload_in_metadata', 'header_in_metadata', 'clock_skew_seconds',
      'jwt_cache_config', 'claim_to_headers', 'clear_route_cache',
    ],
  });
  if (m === undefined) return undefined;
  const errs = ctx.errors.length;
  const which = m.oneof(['remote_jwks', 'local_jwks'], true, 'remote_jwks');
  const out: { -readonly [K in keyof JwtProviderConfig]: JwtProviderConfig[K] } = {
    issuer: m.strOr('issuer', ''),
    audiences: m.strList('audiences'),
    require_expiration: m.boolOr('require_expiration', false),
    forward: m.boolOr('forward', false),
    from_headers: m.list('from_headers', (r, p) => validateJwtHeader(ctx, r, p)),
    from_params: m.strList('from_params'),
    from_cookies: m.strList('from_cookies'),
    forward_payload_header: optHeader(ctx, m, 'forward_payload_header'),
    pad_forward_payload_header: m.boolOr('pad_forward_payload_header', false),
    payload_in_metadata: m.strOr('payload_in_metadata', ''),
    header_in_metadata: m.strOr('header_in_metadata', ''),
    space_delimited_claims: [],
    clock_skew_seconds: m.numOr('clock_skew_seconds', 0, { int: true, min: 0, max: 4294967295 }),
    claim_to_headers: m.list('claim_to_headers', (r, p) => validateClaimToHeader(ctx, r, p)),
    clear_route_cache: m.boolOr('clear_route_cache', false),
  };
  const subjects = m.msg('subjects', (r, p) => validateStringMatcher(ctx, r, p));
  if (subjects !== undefined) out.subjects = subjects;
  const ml = m.dur('max_lifetime');
  if (ml !== undefined) out.max_lifetime_ms = ml;
  const np = m.msg('normalize_payload_in_metadata', (r, p) => Msg.open(ctx, r, p, { type: `${T}JwtProvider.NormalizePayload`, fields: ['space_delimited_claims'] }));
  if (np !== undefined) out.space_delimited_claims = np.strList('space_delimited_claims');
  const jc = m.msg('jwt_cache_config', (r, p) => Msg.open(ctx, r, p, { type: `${T}JwtCacheConfig`, fields: ['jwt_cache_size', 'jwt_max_token_size'] }));
  if (jc !== undefined) {
    // 0 means unset in proto3: the defaults apply. The size is capped so a typo cannot exhaust memory.
    const size = jc.numOr('jwt_cache_size', 0, { int: true, min: 0, max: 1_000_000 });
    const max = jc.numOr('jwt_max_token_size', 0, { int: true, min: 0, max: 1_048_576 });
    out.jwt_cache = { size: size || DEFAULT_JWT_CACHE_SIZE, max_token_size: max || DEFAULT_JWT_CACHE_MAX_TOKEN };
  }
  if (which === 'remote_jwks') {
    const r = m.msg('remote_jwks', (rr, p) => validateRemoteJwks(ctx, rr, p));
    if (r !== undefined) out.remote_jwks = r;
  } else if (which === 'local_jwks') {
    const l = m.msg('local_jwks', (rr, p) => validateLocalJwks(ctx, rr, p));
    if (l !== undefined) out.local_jwks = l;
  }
  return ctx.errors.length === errs ? out : undefined;
}

function validateEmpty(ctx: Ctx, raw: unknown, path: string): void {
  Msg.open(ctx, raw, path, { type: 'google.protobuf.Empty', fields: [] });
}

/** JwtRequirement; provider names are checked against `providers` (Envoy: "Required provider ['x'] is not configured."). */
function validateRequirement(ctx: Ctx, raw: unknown, path: string, providers: ReadonlySet<string>): JwtRequirement | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: `${T}JwtRequirement`,
    fields: ['provider_name', 'provider_and_audiences', 'requires_any', 'requires_all', 'allow_missing_or_failed', 'allow_missing'],
  });
  if (m === undefined) return undefined;
  const known = (name: string, at: string): boolean => {
    if (providers.has(name)) return true;
    ctx.err(at, `required provider "${name}" is not configured; providers: ${[...providers].sort().join(', ') || '(none)'}`);
    return false;
  };
  const which = m.oneof(['provider_name', 'provider_and_audiences', 'requires_any', 'requires_all', 'allow_missing_or_failed', 'allow_missing'], false);
  switch (which) {
    case 'provider_name': {
      const name = m.reqStr('provider_name');
      return name !== '' && known(name, m.at('provider_name')) ? { kind: 'provider', provider: name } : undefined;
    }
    case 'provider_and_audiences': {
      const pa = m.msg(which, (r, p) => Msg.open(ctx, r, p, { type: `${T}ProviderWithAudiences`, fields: ['provider_name', 'audiences'] }));
      if (pa === undefined) return undefined;
      const name = pa.reqStr('provider_name');
      const audiences = pa.strList('audiences');
      return name !== '' && known(name, pa.at('provider_name')) ? { kind: 'provider', provider: name, audiences } : undefined;
    }
    case 'requires_any':
    case 'requires_all': {
      const list = m.msg(which, (r, p) => Msg.open(ctx, r, p, { type: `${T}${which === 'requires_any' ? 'JwtRequirementOrList' : 'JwtRequirementAndList'}`, fields: ['requirements'] }));
      if (list === undefined) return undefined;
      const raws = list.raw('requirements');
      if (!Array.isArray(raws) || raws.length < 2) {
        list.err('requirements', Array.isArray(raws) || raws === undefined ? 'needs at least 2 requirements' : `expected a list, got ${describe(raws)}`);
        return undefined;
      }
      const errs = ctx.errors.length;
      const requirements = list.list('requirements', (r, p) => validateRequirement(ctx, r, p, providers));
      if (ctx.errors.length !== errs) return undefined;
      return { kind: which === 'requires_any' ? 'any' : 'all', requirements };
    }
    case 'allow_missing_or_failed':
    case 'allow_missing':
      validateEmpty(ctx, m.raw(which), m.at(which));
      return { kind: which };
    default:
      return { kind: 'none' };
  }
}

function validateRule(ctx: Ctx, raw: unknown, path: string, providers: ReadonlySet<string>, names: ReadonlyMap<string, JwtRequirement>): RequirementRule | undefined {
  const m = Msg.open(ctx, raw, path, { type: `${T}RequirementRule`, fields: ['match', 'requires', 'requirement_name'] });
  if (m === undefined) return undefined;
  if (!m.require('match')) return undefined;
  const rawMatch = m.raw('match');
  // Envoy's jwt_authn rules look at the path, headers and query only; a rule that silently ignored a
  // runtime fraction or gRPC condition would verify more (or fewer) requests than written.
  for (const f of ['runtime_fraction', 'runtimeFraction', 'grpc']) {
    if (typeof rawMatch === 'object' && rawMatch !== null && f in rawMatch) ctx.err(join(m.at('match'), f), `${f} is not supported by trellis in jwt_authn rules`);
  }
  const match = m.msg('match', (r, p) => validateRouteMatch(ctx, r, p));
  const which = m.oneof(['requires', 'requirement_name'], false);
  let requires: JwtRequirement | undefined;
  if (which === 'requires') requires = m.msg('requires', (r, p) => validateRequirement(ctx, r, p, providers));
  else if (which === 'requirement_name') {
    const name = m.reqStr('requirement_name');
    requires = names.get(name);
    if (name !== '' && requires === undefined) m.err('requirement_name', `wrong requirement_name "${name}"; it should be one of [${[...names.keys()].sort().join(',')}]`);
  }
  if (match === undefined) return undefined;
  return requires === undefined || requires.kind === 'none' ? { match } : { match, requires };
}

export function validateJwtAuthn(ctx: Ctx, body: Record<string, unknown>, path: string): JwtAuthnConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: `${T}JwtAuthentication`,
    // filter_state_rules needs filter state from other filters, which trellis does not have: rejected by name.
    fields: ['providers', 'rules', 'bypass_cors_preflight', 'requirement_map', 'strip_failure_response'],
  });
  if (m === undefined) return undefined;
  const errs = ctx.errors.length;
  const providers = m.map('providers', (_k, r, p) => validateProvider(ctx, r, p));
  const rawProviders = m.raw('providers');
  const names = new Set(typeof rawProviders === 'object' && rawProviders !== null ? Object.keys(rawProviders) : []);
  const requirement_map = m.map('requirement_map', (_k, r, p) => validateRequirement(ctx, r, p, names));
  const byName = new Map(Object.entries(requirement_map));
  const rules = m.list('rules', (r, p) => validateRule(ctx, r, p, names, byName));
  const out: JwtAuthnConfig = {
    '@type': JWT_AUTHN_TYPE,
    providers,
    rules,
    requirement_map,
    bypass_cors_preflight: m.boolOr('bypass_cors_preflight', false),
    strip_failure_response: m.boolOr('strip_failure_response', false),
  };
  return ctx.errors.length === errs ? out : undefined;
}

export function validateJwtPerRoute(ctx: Ctx, body: Record<string, unknown>, path: string): JwtPerRouteConfig | undefined {
  const m = Msg.open(ctx, body, path, { type: `${T}PerRouteConfig`, fields: ['disabled', 'requirement_name'] });
  if (m === undefined) return undefined;
  const which = m.oneof(['disabled', 'requirement_name'], true);
  if (which === 'disabled') {
    if (m.bool('disabled') !== true) {
      m.err('disabled', 'must be true (omit the per-route config to keep the filter on)');
      return undefined;
    }
    return { '@type': JWT_PER_ROUTE_TYPE, disabled: true, requirement_name: '' };
  }
  if (which === 'requirement_name') {
    const name = m.reqStr('requirement_name');
    return name === '' ? undefined : { '@type': JWT_PER_ROUTE_TYPE, disabled: false, requirement_name: name };
  }
  return undefined;
}
