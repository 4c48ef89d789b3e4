// CLI `trellis explain`: the receiving sidecar's half — which inbound filter chain the connection lands on (mTLS
// mode), and every authorization filter on it evaluated by the proxy's own RBAC engine against the request and the
// caller's identity, policy by policy. Pure: the destination's xDS, the caller and the request in.
import type { FilterChain, HttpConnectionManager, Listener } from '../../proxy/config/types.js';
import { RbacEngine } from '../../proxy/rbac/engine.js';
import type { RbacAttributes } from '../../proxy/rbac/attributes.js';
import type { RbacConfig } from '../../proxy/rbac/types.js';
import type { HttpRbacConfig } from '../../proxy/http/filters/rbac/config.js';
import type { RouteRequest } from '../../proxy/router/types.js';
import { CUSTOM_STAT_PREFIX } from '../../control/translate/authz-custom.js';
import type { ProxyXds } from './xds-view.js';

export interface PolicyVerdict {
  /** `AuthorizationPolicy NS/NAME rule I` for Istio's policy names, else the RBAC policy name. */
  policy: string;
  matched: boolean;
}

export interface AuthzStep {
  filter: string;
  action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  dryRun: boolean;
  policies: PolicyVerdict[];
  /** What this filter does to the request. */
  outcome: 'allowed' | 'denied' | 'logged' | 'ext_authz decides' | 'not applicable';
}

export interface InboundTrace {
  listener?: string;
  /** Istio's mode as the chains show it: STRICT (mTLS only), PERMISSIVE (both), DISABLE (plaintext only). */
  mode?: 'STRICT' | 'PERMISSIVE' | 'DISABLE';
  chain?: string;
  /** Why the connection is refused before any request is read (the caller's TLS does not fit any chain). */
  refused?: string;
  steps: AuthzStep[];
  allowed: boolean;
  notes: string[];
}

/** `ns[default]-policy[deny-x]-rule[0]` → `AuthorizationPolicy default/deny-x rule 0`. */
export function policyLabel(name: string): string {
  const m = /^(?:istio-ext-authz-)?ns\[([^\]]*)\]-policy\[([^\]]*)\]-rule\[(\d+)\]$/.exec(name);
  return m === null ? name : `AuthorizationPolicy ${m[1]}/${m[2]} rule ${m[3]}`;
}

const hcmOf = (c: FilterChain): HttpConnectionManager | undefined => {
  const f = c.filters.find((x) => x.name === 'envoy.filters.network.http_connection_manager')?.typed_config;
  return f !== undefined && 'http_filters' in f ? f : undefined;
};

/** Each policy on its own, so every one gets a verdict (the engine reports only the first that matches). */
function verdicts(rules: RbacConfig, attrs: RbacAttributes): PolicyVerdict[] {
  return Object.keys(rules.policies)
    .sort()
    .map((name) => ({
      policy: policyLabel(name),
      matched: RbacEngine.compileValidated({ action: rules.action, policies: { [name]: rules.policies[name]! } }, 'rules').matchingPolicy(attrs) !== undefined,
    }));
}

function rbacStep(filter: string, cfg: HttpRbacConfig, attrs: RbacAttributes, customMatched: { value: boolean }): AuthzStep | undefined {
  if (cfg.shadow_rules !== undefined && cfg.shadow_rules_stat_prefix === CUSTOM_STAT_PREFIX) {
    // Istio's CUSTOM marker: its shadow rules say which requests the ext_authz filter after it must ask about
    const policies = verdicts(cfg.shadow_rules, attrs);
    customMatched.value = policies.some((p) => p.matched);
    return { filter, action: 'CUSTOM', dryRun: false, policies, outcome: customMatched.value ? 'ext_authz decides' : 'not applicable' };
  }
  const rules = cfg.rules ?? cfg.shadow_rules;
  if (rules === undefined) return undefined;
  const dryRun = cfg.rules === undefined;
  const action = rules.action === 'LOG' ? 'AUDIT' : rules.action;
  const decision = RbacEngine.compileValidated(rules, 'rules').evaluate(attrs);
  const outcome = action === 'AUDIT' ? 'logged' : decision.allowed || dryRun ? 'allowed' : 'denied';
  return { filter, action, dryRun, policies: verdicts(rules, attrs), outcome };
}

export function traceInbound(xds: ProxyXds, inboundPort: number, callerTls: boolean, callerIdentity: string | undefined, req: RouteRequest): InboundTrace {
  const trace: InboundTrace = { steps: [], allowed: false, notes: [] };
  const listener: Listener | undefined = xds.listeners
    .map((l) => l.value)
    .find((l) => l.traffic_direction === 'INBOUND' && l.address.socket_address.port_value === inboundPort) ?? xds.listeners.map((l) => l.value).find((l) => l.name === 'inbound');
  if (listener === undefined) {
    trace.refused = `no inbound listener on port ${inboundPort}: the connection is refused`;
    return trace;
  }
  trace.listener = listener.name;
  const chains = [...listener.filter_chains, ...(listener.default_filter_chain !== undefined ? [listener.default_filter_chain] : [])].filter((c) => hcmOf(c) !== undefined);
  const tls = chains.filter((c) => c.transport_socket !== undefined);
  const plain = chains.filter((c) => c.transport_socket === undefined);
  trace.mode = tls.length > 0 && plain.length > 0 ? 'PERMISSIVE' : tls.length > 0 ? 'STRICT' : 'DISABLE';
  const chain = (callerTls ? tls : plain)[0];
  if (chain === undefined) {
    trace.refused = callerTls
      ? 'the caller speaks mTLS but this sidecar accepts only plaintext (PeerAuthentication DISABLE): the connection fails'
      : 'the caller sends plaintext but this sidecar accepts only mTLS (PeerAuthentication STRICT): the connection is reset';
    return trace;
  }
  trace.chain = chain.name;
  const attrs: RbacAttributes = {
    request: req,
    sourceIp: '127.0.0.1',
    directRemoteIp: '127.0.0.1',
    remoteIp: '127.0.0.1',
    destinationIp: '127.0.0.1',
    destinationPort: inboundPort,
    ...(callerTls ? { tls: { peerUriSans: callerIdentity !== undefined ? [callerIdentity] : [] } } : {}),
  };
  const customMatched = { value: false };
  let allowed = true;
  for (const f of hcmOf(chain)!.http_filters) {
    const type = f.typed_config['@type'];
    if (type.endsWith('.rbac.v3.RBAC')) {
      const step = rbacStep(f.name, f.typed_config as HttpRbacConfig, attrs, customMatched);
      if (step === undefined) continue;
      trace.steps.push(step);
      if (step.outcome === 'denied') {
        allowed = false;
        break;
      }
    } else if (type.endsWith('.ext_authz.v3.ExtAuthz') && customMatched.value) {
      trace.notes.push('a CUSTOM policy applies: the external authorizer decides, which explain cannot ask');
    } else if (type.endsWith('.jwt_authn.v3.JwtAuthentication')) {
      trace.notes.push('RequestAuthentication applies: tokens are not verified here, so rules on requestPrincipals see none');
    }
  }
  trace.allowed = allowed;
  return trace;
}
