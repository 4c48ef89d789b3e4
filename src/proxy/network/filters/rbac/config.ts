// Network filters: envoy.filters.network.rbac config — RBAC rules and shadow rules checked per connection; every policy
// is compiled here so regex problems are reported with their paths. matcher / shadow_matcher are rejected by name.
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import type { RbacConfig } from '../../../rbac/types.js';
import { validateRbac } from '../../../rbac/validate.js';
import { RbacEngine } from '../../../rbac/engine.js';

export const NETWORK_RBAC_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.rbac.v3.RBAC` as const;

export type EnforcementType = 'ONE_TIME_ON_FIRST_BYTE' | 'CONTINUOUS';

export interface NetworkRbacConfig {
  readonly '@type': typeof NETWORK_RBAC_TYPE;
  readonly stat_prefix: string;
  /** Absent: nothing is enforced. Present with no policies: ALLOW denies every connection. */
  readonly rules?: RbacConfig;
  /** Evaluated and counted, never enforced. */
  readonly shadow_rules?: RbacConfig;
  readonly shadow_rules_stat_prefix: string;
  readonly enforcement_type: EnforcementType;
  /** ms to hold a denied connection (reads stopped) before closing it; 0 closes at once. */
  readonly delay_deny: number;
  /** Decide when the connection is handed to the chain (after any TLS handshake) instead of on the first byte. */
  readonly enforce_on_transport_ready: boolean;
}

/** Regexes that pass the validator but not the engine's compiler are reported like any other error. */
function compiles(ctx: Ctx, rules: RbacConfig, path: string): boolean {
  const errs: { path: string; message: string }[] = [];
  RbacEngine.compile(rules, path, errs);
  for (const e of errs) ctx.err(e.path, e.message);
  return errs.length === 0;
}

export function validateNetworkRbac(ctx: Ctx, body: Raw, path: string): NetworkRbacConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.network.rbac.v3.RBAC',
    fields: ['rules', 'shadow_rules', 'shadow_rules_stat_prefix', 'stat_prefix', 'enforcement_type', 'delay_deny', 'enforce_on_transport_ready'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const stat_prefix = m.reqStr('stat_prefix');
  const rules = m.msg('rules', (r, p) => validateRbac(ctx, r, p));
  const shadow = m.msg('shadow_rules', (r, p) => validateRbac(ctx, r, p));
  if (rules !== undefined) compiles(ctx, rules, m.at('rules'));
  if (shadow !== undefined) compiles(ctx, shadow, m.at('shadow_rules'));
  const out: NetworkRbacConfig = {
    '@type': NETWORK_RBAC_TYPE,
    stat_prefix,
    shadow_rules_stat_prefix: m.strOr('shadow_rules_stat_prefix', ''),
    enforcement_type: m.enumOr('enforcement_type', ['ONE_TIME_ON_FIRST_BYTE', 'CONTINUOUS'] as const, 'ONE_TIME_ON_FIRST_BYTE'),
    delay_deny: m.durOr('delay_deny', 0),
    enforce_on_transport_ready: m.boolOr('enforce_on_transport_ready', false),
    ...(rules !== undefined ? { rules } : {}),
    ...(shadow !== undefined ? { shadow_rules: shadow } : {}),
  };
  return ctx.errors.length === before ? out : undefined;
}
