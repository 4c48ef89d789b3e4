// HTTP filters: envoy.filters.http.health_check config — HealthCheck validated once, every error with its path.
import type { HeaderMatcher, HttpFilterConfig, Millis } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { readPercent } from '../../../config/common.js';
import { validateHeaderMatcher } from '../../../config/matchers.js';

export const HEALTH_CHECK_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.health_check.v3.HealthCheck` as const;

export interface HealthCheckConfig extends HttpFilterConfig {
  readonly '@type': typeof HEALTH_CHECK_TYPE;
  /** true: health checks go upstream (answered locally only while failing or from the cache). */
  pass_through_mode: boolean;
  /** Pass-through mode: how long an upstream answer is reused; 0 = never. */
  cache_time: Millis;
  /** Non-pass-through mode: cluster name -> minimum % (truncated to an integer) of healthy or degraded hosts. */
  cluster_min_healthy_percentages: Record<string, number>;
  /** What makes a request a health check; all must match (none: every request is one, as in Envoy). */
  headers: HeaderMatcher[];
}

export function validateHealthCheck(ctx: Ctx, body: Raw, path: string): HealthCheckConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.health_check.v3.HealthCheck',
    fields: ['pass_through_mode', 'cache_time', 'cluster_min_healthy_percentages', 'headers'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const passThrough = m.require('pass_through_mode') ? m.bool('pass_through_mode') : undefined;
  const out: HealthCheckConfig = {
    '@type': HEALTH_CHECK_TYPE,
    pass_through_mode: passThrough ?? false,
    cache_time: m.durOr('cache_time', 0),
    // the proto's note: 12.50% is taken as 12%
    cluster_min_healthy_percentages: m.map('cluster_min_healthy_percentages', (_k, r, p) => {
      const v = readPercent(ctx, r, p);
      return v === undefined ? undefined : Math.trunc(v);
    }),
    headers: m.list('headers', (r, p) => validateHeaderMatcher(ctx, r, p)),
  };
  return ctx.errors.length === before ? out : undefined;
}
