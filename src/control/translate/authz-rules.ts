// Translate stage: one AuthorizationPolicy rule → an Envoy RBAC policy (permissions from `to` and `when`, principals from `from`
// and `when`), for HTTP or for TCP, where HTTP-only fields drop an ALLOW rule and are left out of a DENY/AUDIT one, as Istio does.
import type { AuthzCondition, AuthzOperation, AuthzRule, AuthzSource } from '../../api/types.js';
import type { Json } from './generator.js';
import { ANY, andI, andP, cidr, hasTemplate, header, hostMatch, notI, notP, orI, orP, pathTemplateRegex, stringMatch } from './authz-match.js';
import { type TrustDomains, claim, claimPath, namespace, principal, requestPrincipal, serviceAccount, trustDomain } from './authz-identity.js';

/** What the rbac filter sees: an HTTP request or a TCP connection, and what a port condition compares with. */
export interface RuleContext {
  tcp: boolean;
  /** DENY/AUDIT widen (skip HTTP-only fields on TCP); ALLOW narrows (drops the rule). */
  widen: boolean;
  /**
   * Sidecar inbound: the listener serves one workload port (the service port, reached at the app port), so a port
   * condition is decided here. Gateways: undefined, compared per connection with destination_port.
   */
  ports?: ReadonlySet<number>;
  policyNamespace: string;
  trustDomains: TrustDomains;
}

/** Thrown inside a rule that cannot apply on TCP: the ALLOW rule is dropped. */
class HttpOnly extends Error {}

/** A field's values ORed, its not-values NOTed: `undefined` when the field is HTTP-only on TCP and the policy widens. */
type Leaf = (v: string) => Json | 'http';

function field(values: readonly string[] | undefined, notValues: readonly string[] | undefined, leaf: Leaf, or: (ps: Json[]) => Json, not: (p: Json) => Json, ctx: RuleContext): Json[] {
  const out: Json[] = [];
  for (const [list, negate] of [[values, false], [notValues, true]] as const) {
    if (list === undefined || list.length === 0) continue;
    const leaves = list.map(leaf);
    if (leaves.includes('http')) {
      if (!ctx.widen) throw new HttpOnly();
      continue;
    }
    const m = or(leaves as Json[]);
    out.push(negate ? not(m) : m);
  }
  return out;
}

const perm = (vals: readonly string[] | undefined, nots: readonly string[] | undefined, leaf: Leaf, ctx: RuleContext): Json[] => field(vals, nots, leaf, orP, notP, ctx);
const prin = (vals: readonly string[] | undefined, nots: readonly string[] | undefined, leaf: Leaf, ctx: RuleContext): Json[] => field(vals, nots, leaf, orI, notI, ctx);

/** A port: decided statically on a sidecar's inbound listener, else destination_port. */
function portLeaf(ctx: RuleContext): Leaf {
  return (v) => {
    const n = Number(v);
    if (ctx.ports === undefined) return { destination_port: n };
    return ctx.ports.has(n) ? ANY : { not_rule: ANY };
  };
}

function httpOnly<T extends Json>(ctx: RuleContext, f: (v: string) => T): Leaf {
  return (v) => (ctx.tcp ? 'http' : f(v));
}

function operation(op: AuthzOperation, ctx: RuleContext): Json {
  return andP([
    ...perm(op.hosts, op.notHosts, httpOnly(ctx, (v) => header(':authority', hostMatch(v))), ctx),
    ...perm(op.ports, op.notPorts, portLeaf(ctx), ctx),
    ...perm(op.methods, op.notMethods, httpOnly(ctx, (v) => header(':method', stringMatch(v))), ctx),
    ...perm(op.paths, op.notPaths, httpOnly(ctx, (v) => ({ url_path: { path: hasTemplate(v) ? { safe_regex: { regex: pathTemplateRegex(v) } } : stringMatch(v) } })), ctx),
  ]);
}

function source(src: AuthzSource, ctx: RuleContext): Json {
  const td = ctx.trustDomains;
  return andI([
    ...prin(src.principals, src.notPrincipals, (v) => principal(v, td), ctx),
    ...prin(src.requestPrincipals, src.notRequestPrincipals, httpOnly(ctx, requestPrincipal), ctx),
    ...prin(src.namespaces, src.notNamespaces, namespace, ctx),
    ...prin(src.serviceAccounts, src.notServiceAccounts, (v) => serviceAccount(v, ctx.policyNamespace), ctx),
    ...prin(src.ipBlocks, src.notIpBlocks, (v) => ({ direct_remote_ip: cidr(v) }), ctx),
    ...prin(src.remoteIpBlocks, src.notRemoteIpBlocks, (v) => ({ remote_ip: cidr(v) }), ctx),
    ...prin(src.trustDomains, src.notTrustDomains, trustDomain, ctx),
  ]);
}

/** `experimental.envoy.filters.<x>[<key>]`: a list value under the filter's dynamic metadata (Istio's form). */
function envoyFilterMetadata(key: string, v: string): Json {
  const open = key.indexOf('[');
  const filter = key.slice('experimental.'.length, open);
  const path = key.slice(open + 1, -1);
  return { metadata: { filter, path: [{ key: path }], value: { list_match: { one_of: { string_match: stringMatch(v) } } } } };
}

/** A `when` condition: its permission part and its principal part (one of them is ANY). */
function condition(c: AuthzCondition, ctx: RuleContext): { p: Json[]; i: Json[] } {
  const k = c.key;
  const vals = c.values;
  const nots = c.notValues;
  const none = { p: [] as Json[], i: [] as Json[] };
  if (k.startsWith('request.headers[') || k.startsWith('request.experimental.inline.headers[')) {
    const name = k.slice(k.indexOf('[') + 1, -1).toLowerCase();
    return { ...none, i: prin(vals, nots, httpOnly(ctx, (v) => header(name, stringMatch(v))), ctx) };
  }
  if (k.startsWith('request.auth.claims[')) return { ...none, i: prin(vals, nots, httpOnly(ctx, (v) => claim(claimPath(k), v)), ctx) };
  if (k.startsWith('experimental.envoy.filters.')) return { ...none, p: perm(vals, nots, (v) => envoyFilterMetadata(k, v), ctx) };
  switch (k) {
    case 'source.ip':
      return { ...none, i: prin(vals, nots, (v) => ({ direct_remote_ip: cidr(v) }), ctx) };
    case 'remote.ip':
      return { ...none, i: prin(vals, nots, (v) => ({ remote_ip: cidr(v) }), ctx) };
    case 'source.namespace':
      return { ...none, i: prin(vals, nots, namespace, ctx) };
    case 'source.principal':
      return { ...none, i: prin(vals, nots, (v) => principal(v, ctx.trustDomains), ctx) };
    case 'source.serviceAccount':
      return { ...none, i: prin(vals, nots, (v) => serviceAccount(v, ctx.policyNamespace), ctx) };
    case 'request.auth.principal':
      return { ...none, i: prin(vals, nots, httpOnly(ctx, requestPrincipal), ctx) };
    case 'request.auth.audiences':
      return { ...none, i: prin(vals, nots, httpOnly(ctx, (v) => claim(['aud'], v)), ctx) };
    case 'request.auth.presenter':
      return { ...none, i: prin(vals, nots, httpOnly(ctx, (v) => claim(['azp'], v)), ctx) };
    case 'destination.ip':
      return { ...none, p: perm(vals, nots, (v) => ({ destination_ip: cidr(v) }), ctx) };
    case 'destination.port':
      return { ...none, p: perm(vals, nots, portLeaf(ctx), ctx) };
    case 'connection.sni':
      return { ...none, p: perm(vals, nots, (v) => ({ requested_server_name: stringMatch(v) }), ctx) };
    default:
      // validation refuses every other key; an unknown one must never widen an ALLOW
      if (!ctx.widen) throw new HttpOnly();
      return none;
  }
}

/** The rule as an RBAC policy, or undefined when it cannot apply here (an ALLOW rule with HTTP-only fields on TCP). */
export function rulePolicy(rule: AuthzRule, ctx: RuleContext): Json | undefined {
  try {
    const froms = (rule.from ?? []).map((f) => source(f.source ?? {}, ctx));
    const tos = (rule.to ?? []).map((t) => operation(t.operation ?? {}, ctx));
    const conds = (rule.when ?? []).map((c) => condition(c, ctx));
    const permissions = andP([...(tos.length > 0 ? [orP(tos)] : []), ...conds.flatMap((c) => c.p)]);
    const principals = andI([...(froms.length > 0 ? [orI(froms)] : []), ...conds.flatMap((c) => c.i)]);
    return { permissions: [permissions], principals: [principals] };
  } catch (e) {
    if (e instanceof HttpOnly) return undefined;
    throw e;
  }
}
