// HTTP filters: envoy.filters.http.local_ratelimit config — LocalRateLimit (filter and per-route) validated once,
// every error with its path; header lists are compiled here so a bad %FORMAT% is reported with the config.
import type { HeaderValueOption, HttpFilterConfig, RuntimeFractionalPercent } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { validateHeaderValueOption, validateRuntimeFraction } from '../../../config/common.js';
import { validateHttpStatus } from '../../../config/http-status.js';
import { validateTokenBucket } from '../../../ratelimit/token-bucket-config.js';
import type { TokenBucketConfig } from '../../../ratelimit/token-bucket.js';
import type { DescriptorEntry } from '../../../router/rate-limit.js';
import { compileHeaderMutation } from '../../../router/header-mutation.js';
import type { Errors } from '../../../router/compile-errors.js';

export const LOCAL_RATELIMIT_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit` as const;

export interface LocalRateLimitDescriptor {
  entries: readonly DescriptorEntry[];
  token_bucket: TokenBucketConfig;
}

export interface LocalRateLimitConfig extends HttpFilterConfig {
  readonly '@type': typeof LOCAL_RATELIMIT_TYPE;
  stat_prefix: string;
  /** The status of a rate-limited reply: default 429, and 429 for anything below 400 (Envoy). */
  status: number;
  /** Absent on the filter: only descriptors (or per-route configs) limit. Required per route. */
  token_bucket?: TokenBucketConfig;
  /** Absent: 0% (the filter does nothing), as in Envoy. */
  filter_enabled?: RuntimeFractionalPercent;
  filter_enforced?: RuntimeFractionalPercent;
  request_headers_to_add_when_not_enforced: HeaderValueOption[];
  response_headers_to_add: HeaderValueOption[];
  descriptors: LocalRateLimitDescriptor[];
  /** Only route rate_limits of this stage make descriptors. */
  stage: number;
  local_rate_limit_per_downstream_connection: boolean;
  enable_x_ratelimit_headers: 'OFF' | 'DRAFT_VERSION_03';
  vh_rate_limits: 'OVERRIDE' | 'INCLUDE' | 'IGNORE';
  /** Default true: the default bucket is consumed even when a descriptor matched. */
  always_consume_default_token_bucket: boolean;
  /** gRPC requests get RESOURCE_EXHAUSTED instead of UNAVAILABLE. */
  rate_limited_as_resource_exhausted: boolean;
}

function validateEntry(ctx: Ctx, raw: unknown, path: string): DescriptorEntry | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.common.ratelimit.v3.RateLimitDescriptor.Entry', fields: ['key', 'value'] });
  if (m === undefined) return undefined;
  const key = m.reqStr('key');
  const value = m.reqStr('value');
  return key === '' || value === '' ? undefined : { key, value };
}

function validateDescriptor(ctx: Ctx, raw: unknown, path: string): LocalRateLimitDescriptor | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.common.ratelimit.v3.LocalRateLimitDescriptor', fields: ['entries', 'token_bucket'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const entries = m.require('entries') ? m.list('entries', (r, p) => validateEntry(ctx, r, p)) : [];
  if (m.has('entries') && entries.length === 0 && ctx.errors.length === before) m.err('entries', 'must list at least one entry');
  const bucket = m.require('token_bucket') ? m.msg('token_bucket', (r, p) => validateTokenBucket(ctx, r, p)) : undefined;
  return bucket === undefined || ctx.errors.length !== before ? undefined : { entries, token_bucket: bucket };
}

function headerList(m: Msg, name: string): HeaderValueOption[] {
  const before = m.ctx.errors.length;
  const list = m.list(name, (r, p) => validateHeaderValueOption(m.ctx, r, p));
  if (list.length > 10) m.err(name, `lists ${list.length} headers; at most 10 are allowed`);
  if (m.ctx.errors.length === before) {
    const errs: Errors = [];
    compileHeaderMutation(list, [], m.path, name, errs);
    for (const e of errs) m.ctx.err(e.path, e.message);
  }
  return list;
}

/** The key under which two descriptors are the same (ordered entries), for duplicate checks and bucket lookup. */
export function descriptorKey(entries: readonly DescriptorEntry[]): string {
  return JSON.stringify(entries.map((e) => [e.key, e.value]));
}

function validate(ctx: Ctx, body: Raw, path: string, perRoute: boolean): LocalRateLimitConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
    // local_cluster_rate_limit, rate_limits (filter-level actions) and max_dynamic_descriptors are left out:
    // rejected by name.
    fields: [
      'stat_prefix',
      'status',
      'token_bucket',
      'filter_enabled',
      'filter_enforced',
      'request_headers_to_add_when_not_enforced',
      'response_headers_to_add',
      'descriptors',
      'stage',
      'local_rate_limit_per_downstream_connection',
      'enable_x_ratelimit_headers',
      'vh_rate_limits',
      'always_consume_default_token_bucket',
      'rate_limited_as_resource_exhausted',
    ],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const status = m.msg('status', (r, p) => validateHttpStatus(ctx, r, p)) ?? 429;
  const out: LocalRateLimitConfig = {
    '@type': LOCAL_RATELIMIT_TYPE,
    stat_prefix: m.reqStr('stat_prefix'),
    status: status < 400 ? 429 : status,
    request_headers_to_add_when_not_enforced: headerList(m, 'request_headers_to_add_when_not_enforced'),
    response_headers_to_add: headerList(m, 'response_headers_to_add'),
    descriptors: m.list('descriptors', (r, p) => validateDescriptor(ctx, r, p)),
    stage: m.numOr('stage', 0, { int: true, min: 0, max: 10 }),
    local_rate_limit_per_downstream_connection: m.boolOr('local_rate_limit_per_downstream_connection', false),
    enable_x_ratelimit_headers: m.enumOr('enable_x_ratelimit_headers', ['OFF', 'DRAFT_VERSION_03'], 'OFF'),
    vh_rate_limits: m.enumOr('vh_rate_limits', ['OVERRIDE', 'INCLUDE', 'IGNORE'], 'OVERRIDE'),
    always_consume_default_token_bucket: m.boolOr('always_consume_default_token_bucket', true),
    rate_limited_as_resource_exhausted: m.boolOr('rate_limited_as_resource_exhausted', false),
  };
  const tb = m.msg('token_bucket', (r, p) => validateTokenBucket(ctx, r, p));
  if (tb !== undefined) out.token_bucket = tb;
  else if (perRoute && !m.has('token_bucket')) m.err('token_bucket', 'is required in a per-route config (it is the route\'s own bucket)');
  const fe = m.msg('filter_enabled', (r, p) => validateRuntimeFraction(ctx, r, p));
  if (fe !== undefined) out.filter_enabled = fe;
  const ff = m.msg('filter_enforced', (r, p) => validateRuntimeFraction(ctx, r, p));
  if (ff !== undefined) out.filter_enforced = ff;
  // Envoy refills descriptor buckets on the default bucket's timer, so their intervals must be multiples of it.
  const seen = new Set<string>();
  // (indices line up with the config only when every descriptor was valid)
  if (ctx.errors.length === before) out.descriptors.forEach((d, i) => {
    const at = `${m.at('descriptors')}[${i}]`;
    if (tb !== undefined && d.token_bucket.fill_interval % tb.fill_interval !== 0) {
      ctx.err(`${at}.token_bucket.fill_interval`, `${d.token_bucket.fill_interval}ms is not a multiple of token_bucket.fill_interval (${tb.fill_interval}ms)`);
    }
    const k = descriptorKey(d.entries);
    if (seen.has(k)) ctx.err(`${at}.entries`, `duplicate descriptor ${d.entries.map((e) => `${e.key}=${e.value}`).join(', ')}`);
    seen.add(k);
  });
  return ctx.errors.length === before ? out : undefined;
}

export function validateLocalRateLimit(ctx: Ctx, body: Raw, path: string): LocalRateLimitConfig | undefined {
  return validate(ctx, body, path, false);
}

export function validateLocalRateLimitPerRoute(ctx: Ctx, body: Raw, path: string): LocalRateLimitConfig | undefined {
  return validate(ctx, body, path, true);
}
