// HTTP filters: envoy.filters.http.cors config — the (empty) filter config and the per-route CorsPolicy.
import type { CorsConfig, CorsPolicy } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { validateStringMatcher } from '../../../config/matchers.js';
import { validateRuntimeFraction } from '../../../config/common.js';

export const CORS_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.Cors` as const;
export const CORS_POLICY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.cors.v3.CorsPolicy` as const;

export function validateCors(ctx: Ctx, body: Raw, path: string): CorsConfig | undefined {
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.http.cors.v3.Cors', fields: [] });
  return m === undefined ? undefined : { '@type': CORS_TYPE };
}

export function validateCorsPolicy(ctx: Ctx, body: Raw, path: string): CorsPolicy | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.cors.v3.CorsPolicy',
    fields: [
      'allow_origin_string_match', 'allow_methods', 'allow_headers', 'expose_headers', 'max_age', 'allow_credentials', 'allow_private_network_access',
      'forward_not_matching_preflights', 'filter_enabled', 'shadow_enabled',
    ],
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
  const fe = m.msg('filter_enabled', (r, p) => validateRuntimeFraction(ctx, r, p));
  if (fe !== undefined) out.filter_enabled = fe;
  const se = m.msg('shadow_enabled', (r, p) => validateRuntimeFraction(ctx, r, p));
  if (se !== undefined) out.shadow_enabled = se;
  m.bool('allow_private_network_access'); // accepted (type-checked) and ignored
  return out;
}
