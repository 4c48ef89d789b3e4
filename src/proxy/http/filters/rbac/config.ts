// HTTP filters: envoy.filters.http.rbac config — RBAC (rules, shadow_rules, stat prefixes) and RBACPerRoute,
// validated once; every policy is also compiled here so regex problems are reported with their paths.
import type { HttpFilterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import type { RbacConfig } from '../../../rbac/types.js';
import { validateRbac } from '../../../rbac/validate.js';
import { RbacEngine } from '../../../rbac/engine.js';

export const RBAC_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.rbac.v3.RBAC` as const;
export const RBAC_PER_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.rbac.v3.RBACPerRoute` as const;

/** The RBAC message without its @type (as nested in RBACPerRoute). */
export interface HttpRbacSettings {
  /** Absent: nothing is enforced. Present with no policies: ALLOW denies everything. */
  rules?: RbacConfig;
  /** Evaluated and counted, never enforced. */
  shadow_rules?: RbacConfig;
  rules_stat_prefix: string;
  shadow_rules_stat_prefix: string;
  track_per_rule_stats: boolean;
}

export interface HttpRbacConfig extends HttpFilterConfig, HttpRbacSettings {
  readonly '@type': typeof RBAC_TYPE;
}

export interface HttpRbacPerRoute extends HttpFilterConfig {
  readonly '@type': typeof RBAC_PER_ROUTE_TYPE;
  /** Absent: RBAC is off for the route (Envoy's RBACPerRoute without rbac). */
  rbac?: HttpRbacSettings;
}

/** Regexes that pass the validator but not the engine's compiler are reported like any other error. */
function compiles(ctx: Ctx, rules: RbacConfig | undefined, path: string): boolean {
  if (rules === undefined) return true;
  const errs: { path: string; message: string }[] = [];
  RbacEngine.compile(rules, path, errs);
  for (const e of errs) ctx.err(e.path, e.message);
  return errs.length === 0;
}

function validateSettings(ctx: Ctx, body: unknown, path: string): HttpRbacSettings | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.rbac.v3.RBAC',
    // matcher / shadow_matcher (the xDS matcher tree) are left out: rejected by name
    fields: ['rules', 'rules_stat_prefix', 'shadow_rules', 'shadow_rules_stat_prefix', 'track_per_rule_stats'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const out: HttpRbacSettings = {
    rules_stat_prefix: m.strOr('rules_stat_prefix', ''),
    shadow_rules_stat_prefix: m.strOr('shadow_rules_stat_prefix', ''),
    track_per_rule_stats: m.boolOr('track_per_rule_stats', false),
  };
  const rules = m.msg('rules', (r, p) => validateRbac(ctx, r, p));
  if (rules !== undefined && compiles(ctx, rules, m.at('rules'))) out.rules = rules;
  const shadow = m.msg('shadow_rules', (r, p) => validateRbac(ctx, r, p));
  if (shadow !== undefined && compiles(ctx, shadow, m.at('shadow_rules'))) out.shadow_rules = shadow;
  return ctx.errors.length === before ? out : undefined;
}

export function validateHttpRbac(ctx: Ctx, body: Raw, path: string): HttpRbacConfig | undefined {
  const s = validateSettings(ctx, body, path);
  return s === undefined ? undefined : { '@type': RBAC_TYPE, ...s };
}

export function validateHttpRbacPerRoute(ctx: Ctx, body: Raw, path: string): HttpRbacPerRoute | undefined {
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.http.rbac.v3.RBACPerRoute', fields: ['rbac'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const rbac = m.msg('rbac', (r, p) => validateSettings(ctx, r, p));
  if (ctx.errors.length !== before) return undefined;
  return rbac === undefined ? { '@type': RBAC_PER_ROUTE_TYPE } : { '@type': RBAC_PER_ROUTE_TYPE, rbac };
}
