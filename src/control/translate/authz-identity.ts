// Translate stage: who a request comes from, as RBAC principals — the peer's SPIFFE certificate (principals, namespaces, service
// accounts, trust domains) and the request's verified JWT (request principals, audiences, presenter, claims from jwt_authn metadata).
import type { Json } from './generator.js';
import { andI, orI, quote, stringMatch } from './authz-match.js';

/** Where jwt_authn puts a verified token's payload (payload_in_metadata of every provider trellis generates). */
export const JWT_METADATA_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

/** The mesh's own trust domains: an identity in any of them is the same workload (Istio's trustDomainAliases). */
export interface TrustDomains {
  readonly local: string;
  readonly aliases: readonly string[];
}

function authenticated(match: Json): Json {
  return { authenticated: { principal_name: match } };
}

/** A segment pattern (exact, `p*`, `*s`, `*`) as RE2 inside one SPIFFE path segment. */
function segment(v: string): string {
  if (v === '*') return '[^/]+';
  if (v.length > 1 && v.endsWith('*')) return `${quote(v.slice(0, -1))}[^/]*`;
  if (v.length > 1 && v.startsWith('*')) return `[^/]*${quote(v.slice(1))}`;
  return quote(v);
}

/**
 * `principals`/`source.principal`: `<td>/ns/<ns>/sa/<sa>` against the peer certificate's URI SAN `spiffe://…`. A principal in
 * the local trust domain, an alias, or `cluster.local` (Istio's placeholder for "this mesh") matches in each of them.
 */
export function principal(v: string, td: TrustDomains): Json {
  if (!v.includes('*')) {
    const slash = v.indexOf('/');
    const domain = slash > 0 ? v.slice(0, slash) : '';
    const mine = [td.local, ...td.aliases];
    if (slash > 0 && (mine.includes(domain) || domain === 'cluster.local')) {
      const rest = v.slice(slash);
      return orI([...new Set(mine)].map((d) => authenticated({ exact: `spiffe://${d}${rest}` })));
    }
  }
  return authenticated(stringMatch(v, { prefix: 'spiffe://' }));
}

/** `namespaces`/`source.namespace`: the namespace segment of the peer's SPIFFE ID. */
export function namespace(v: string): Json {
  return authenticated({ safe_regex: { regex: `spiffe://[^/]+/ns/${segment(v)}/sa/[^/]+` } });
}

/** `serviceAccounts`/`source.serviceAccount`: `ns/sa`, or `sa` in the policy's namespace. */
export function serviceAccount(v: string, policyNamespace: string): Json {
  const slash = v.indexOf('/');
  const ns = slash >= 0 ? v.slice(0, slash) : policyNamespace;
  const sa = slash >= 0 ? v.slice(slash + 1) : v;
  return authenticated({ safe_regex: { regex: `spiffe://[^/]+/ns/${quote(ns)}/sa/${quote(sa)}` } });
}

/** `trustDomains`: the trust domain of the peer's SPIFFE ID. */
export function trustDomain(v: string): Json {
  return authenticated({ safe_regex: { regex: `spiffe://${segment(v)}/.*` } });
}

function jwtValue(path: readonly string[], value: Json): Json {
  return { metadata: { filter: JWT_METADATA_FILTER, path: [JWT_PAYLOAD_KEY, ...path].map((key) => ({ key })), value } };
}

function claimString(path: readonly string[], match: Json): Json {
  return jwtValue(path, { string_match: match });
}

function present(path: readonly string[]): Json {
  return jwtValue(path, { present_match: true });
}

/** A claim that may be a string or a list of strings (aud, groups, scope split by jwt_authn). */
export function claim(path: readonly string[], v: string): Json {
  const m = stringMatch(v);
  return jwtValue(path, { or_match: { value_matchers: [{ string_match: m }, { list_match: { one_of: { string_match: m } } }] } });
}

/**
 * `requestPrincipals`/`request.auth.principal`: Istio's `<iss>/<sub>`. jwt_authn keeps iss and sub apart, and both may hold
 * '/', so the value is matched as the alternatives of where the separating '/' can be — exactly the concatenation's match.
 */
export function requestPrincipal(v: string): Json {
  if (v === '*') return andI([present(['iss']), present(['sub'])]);
  const splits = (s: string): number[] => [...s].flatMap((c, i) => (c === '/' ? [i] : []));
  if (v.length > 1 && v.endsWith('*')) {
    const p = v.slice(0, -1);
    const alts = [andI([claimString(['iss'], { prefix: p }), present(['sub'])])];
    for (const k of splits(p)) {
      if (k === 0) continue;
      const rest = p.slice(k + 1);
      alts.push(andI([claimString(['iss'], { exact: p.slice(0, k) }), rest === '' ? present(['sub']) : claimString(['sub'], { prefix: rest })]));
    }
    return orI(alts);
  }
  if (v.length > 1 && v.startsWith('*')) {
    const s = v.slice(1);
    const alts = [andI([present(['iss']), claimString(['sub'], { suffix: s })])];
    for (const k of splits(s)) {
      const head = s.slice(0, k);
      alts.push(andI([head === '' ? present(['iss']) : claimString(['iss'], { suffix: head }), claimString(['sub'], { exact: s.slice(k + 1) })]));
    }
    return orI(alts);
  }
  const alts = splits(v)
    .filter((k) => k > 0)
    .map((k) => andI([claimString(['iss'], { exact: v.slice(0, k) }), claimString(['sub'], { exact: v.slice(k + 1) })]));
  // no '/' after the first character: no token can carry this principal
  return alts.length > 0 ? orI(alts) : { not_id: { any: true } };
}

/** `request.auth.claims[a][b]` (or `claims[a.b]`-free nested form) → the claim's path. */
export function claimPath(key: string): string[] {
  const inner = key.slice('request.auth.claims'.length);
  const out: string[] = [];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(inner)) !== null) out.push(m[1]!);
  return out;
}
