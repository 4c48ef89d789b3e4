// Translate stage: Istio CorsPolicy → the per-route CorsPolicy of envoy.filters.http.cors.
import type { CorsPolicy, StringMatch } from '../../api/types.js';
import { parseDuration } from '../../api/duration.js';
import { CORS_POLICY_TYPE, type Json } from './generator.js';

function originMatcher(m: StringMatch): Json | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return undefined;
}

/**
 * The typed_per_filter_config entry value, or undefined when no origin is allowed and unmatched preflights are
 * forwarded (the policy could change nothing). IGNORE (Istio) = forward_not_matching_preflights false (Envoy).
 */
export function corsConfig(c: CorsPolicy | undefined): Json | undefined {
  if (c === undefined) return undefined;
  const origins: Json[] = [];
  for (const m of c.allowOrigins ?? []) {
    const j = originMatcher(m);
    if (j !== undefined) origins.push(j);
  }
  for (const o of c.allowOrigin ?? []) origins.push({ exact: o });
  const ignoreUnmatched = c.unmatchedPreflights === 'IGNORE';
  if (origins.length === 0 && !ignoreUnmatched) return undefined;
  const out: Json = { '@type': CORS_POLICY_TYPE, allow_origin_string_match: origins };
  if (ignoreUnmatched) out.forward_not_matching_preflights = false;
  if ((c.allowMethods?.length ?? 0) > 0) out.allow_methods = c.allowMethods!.join(',');
  if ((c.allowHeaders?.length ?? 0) > 0) out.allow_headers = c.allowHeaders!.join(',');
  if ((c.exposeHeaders?.length ?? 0) > 0) out.expose_headers = c.exposeHeaders!.join(',');
  if (c.maxAge !== undefined) {
    const ms = parseDuration(c.maxAge);
    if (ms !== undefined) out.max_age = String(Math.floor(ms / 1000));
  }
  if (c.allowCredentials !== undefined) out.allow_credentials = c.allowCredentials;
  return out;
}
