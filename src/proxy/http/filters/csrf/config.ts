// HTTP filters: envoy.filters.http.csrf config — CsrfPolicy (the filter's and the per-route one), validated once.
import type { HttpFilterConfig, RuntimeFractionalPercent, StringMatcher } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { validateRuntimeFraction } from '../../../config/common.js';
import { validateStringMatcher } from '../../../config/matchers.js';

export const CSRF_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.csrf.v3.CsrfPolicy` as const;

export interface CsrfPolicy extends HttpFilterConfig {
  readonly '@type': typeof CSRF_TYPE;
  /** Share of requests checked and enforced. */
  filter_enabled: RuntimeFractionalPercent;
  /** Share of requests checked and counted only (when filter_enabled is off for them); absent = none. */
  shadow_enabled?: RuntimeFractionalPercent;
  /** Source origins accepted besides the request's own host. */
  additional_origins: StringMatcher[];
}

export function validateCsrfPolicy(ctx: Ctx, body: Raw, path: string): CsrfPolicy | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.csrf.v3.CsrfPolicy',
    fields: ['filter_enabled', 'shadow_enabled', 'additional_origins'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const enabled = m.require('filter_enabled') ? m.msg('filter_enabled', (r, p) => validateRuntimeFraction(ctx, r, p)) : undefined;
  const shadow = m.msg('shadow_enabled', (r, p) => validateRuntimeFraction(ctx, r, p));
  const origins = m.list('additional_origins', (r, p) => validateStringMatcher(ctx, r, p));
  if (enabled === undefined || ctx.errors.length !== before) return undefined;
  return { '@type': CSRF_TYPE, filter_enabled: enabled, ...(shadow !== undefined ? { shadow_enabled: shadow } : {}), additional_origins: origins };
}
