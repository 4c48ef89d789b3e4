// Translate stage: a proxy's AuthorizationPolicies and RequestAuthentications as filters, in Istio's order — jwt_authn, then
// CUSTOM (rbac shadow marker + ext_authz), DENY, AUDIT and ALLOW rbac filters for HTTP; DENY, AUDIT and ALLOW network rbac for TCP.
import type { AuthorizationPolicy, AuthzAction } from '../../api/types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { TYPE_PREFIX, type Json } from './generator.js';
import { type RuleContext, rulePolicy } from './authz-rules.js';
import { authorizationPoliciesFor, isDryRun, requestAuthenticationsFor } from './authz-select.js';
import { CUSTOM_POLICY_PREFIX, CUSTOM_STAT_PREFIX, customProvider, extAuthzFilter } from './authz-custom.js';
import { jwtAuthnFilter } from './authz-jwt.js';

export const HTTP_RBAC_FILTER = 'envoy.filters.http.rbac';
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';
const HTTP_RBAC_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.rbac.v3.RBAC`;
const NETWORK_RBAC_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.rbac.v3.RBAC`;

/** Where the filters go: an HCM or a TCP chain, and whether ports are decided statically (a sidecar's one inbound port). */
export interface AuthzSite {
  tcp: boolean;
  ports?: ReadonlySet<number>;
}

/** Istio's RBAC policy names, so stats and `enforced_effective_policy_id` say which rule matched. */
function policyName(p: AuthorizationPolicy, i: number): string {
  return `ns[${p.metadata.namespace}]-policy[${p.metadata.name}]-rule[${i}]`;
}

function ruleContext(p: AuthorizationPolicy, site: AuthzSite, widen: boolean, snap: Snapshot): RuleContext {
  return {
    tcp: site.tcp,
    widen,
    ...(site.ports !== undefined ? { ports: site.ports } : {}),
    policyNamespace: p.metadata.namespace,
    trustDomains: { local: snap.trustDomain, aliases: snap.mesh.trustDomainAliases },
  };
}

/** The RBAC policies of these AuthorizationPolicies, one per rule that applies at this site. */
function rbacPolicies(policies: readonly AuthorizationPolicy[], site: AuthzSite, snap: Snapshot, namePrefix = ''): Json {
  const out: Json = {};
  for (const p of policies) {
    const widen = (p.spec.action ?? 'ALLOW') !== 'ALLOW';
    (p.spec.rules ?? []).forEach((rule, i) => {
      const rp = rulePolicy(rule, ruleContext(p, site, widen, snap));
      if (rp !== undefined) out[namePrefix + policyName(p, i)] = rp;
    });
  }
  return out;
}

function byAction(policies: readonly AuthorizationPolicy[], action: AuthzAction): { enforced: AuthorizationPolicy[]; dryRun: AuthorizationPolicy[] } {
  const mine = policies.filter((p) => (p.spec.action ?? 'ALLOW') === action);
  return { enforced: mine.filter((p) => !isDryRun(p)), dryRun: mine.filter(isDryRun) };
}

/** rules + shadow_rules for one action; undefined when nothing of that action applies. */
function actionRules(policies: readonly AuthorizationPolicy[], action: 'ALLOW' | 'DENY' | 'AUDIT', site: AuthzSite, snap: Snapshot): Json | undefined {
  const { enforced, dryRun } = byAction(policies, action);
  if (enforced.length === 0 && dryRun.length === 0) return undefined;
  const envoyAction = action === 'AUDIT' ? 'LOG' : action;
  const out: Json = {};
  // an ALLOW policy whose rules all dropped (or that has none) still denies everything it selects
  if (enforced.length > 0) out.rules = { action: envoyAction, policies: rbacPolicies(enforced, site, snap) };
  if (dryRun.length > 0) {
    out.shadow_rules = { action: envoyAction, policies: rbacPolicies(dryRun, site, snap) };
    out.shadow_rules_stat_prefix = `istio_dry_run_${action.toLowerCase()}_`;
  }
  return out;
}

const DENY_ALL: Json = { action: 'ALLOW', policies: {} };

function httpRbac(cfg: Json): Json {
  return { name: HTTP_RBAC_FILTER, typed_config: { '@type': HTTP_RBAC_TYPE, ...cfg } };
}

function networkRbac(cfg: Json): Json {
  return { name: NETWORK_RBAC_FILTER, typed_config: { '@type': NETWORK_RBAC_TYPE, stat_prefix: 'tcp.', ...cfg } };
}

/** CUSTOM: the marker rbac filter and ext_authz, or — when the provider cannot be served — a deny-all rbac filter. */
function customFilters(policies: readonly AuthorizationPolicy[], site: AuthzSite, snap: Snapshot): Json[] {
  const custom = policies.filter((p) => p.spec.action === 'CUSTOM' && !isDryRun(p));
  if (custom.length === 0) return [];
  const found = customProvider(custom, snap);
  // ext_authz over TCP needs the network filter's enable-by-metadata, which trellis does not have: fail closed
  if ('error' in found || site.tcp) return [site.tcp ? networkRbac({ rules: DENY_ALL }) : httpRbac({ rules: DENY_ALL })];
  const marker = { shadow_rules: { action: 'ALLOW', policies: rbacPolicies(custom, site, snap, CUSTOM_POLICY_PREFIX) }, shadow_rules_stat_prefix: CUSTOM_STAT_PREFIX };
  return [httpRbac(marker), extAuthzFilter(found.provider)];
}

/** HTTP filters to insert before the router of an HCM of this proxy (none when no policy applies). */
export function httpSecurityFilters(proxy: ProxyNode, snap: Snapshot, site: AuthzSite): Json[] {
  const out: Json[] = [];
  const jwt = jwtAuthnFilter(requestAuthenticationsFor(proxy, snap), snap);
  if (jwt !== undefined) out.push(jwt);
  const policies = authorizationPoliciesFor(proxy, snap);
  out.push(...customFilters(policies, site, snap));
  for (const action of ['DENY', 'AUDIT', 'ALLOW'] as const) {
    const cfg = actionRules(policies, action, site, snap);
    if (cfg !== undefined) out.push(httpRbac(cfg));
  }
  return out;
}

/** Network filters to insert before tcp_proxy on a TCP chain of this proxy. */
export function networkSecurityFilters(proxy: ProxyNode, snap: Snapshot, site: AuthzSite): Json[] {
  const policies = authorizationPoliciesFor(proxy, snap);
  const out = customFilters(policies, site, snap);
  for (const action of ['DENY', 'AUDIT', 'ALLOW'] as const) {
    const cfg = actionRules(policies, action, site, snap);
    if (cfg !== undefined) out.push(networkRbac(cfg));
  }
  return out;
}
