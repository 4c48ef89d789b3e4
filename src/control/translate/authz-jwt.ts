// Translate stage: RequestAuthentication jwtRules → one envoy.filters.http.jwt_authn filter — a provider per rule with its JWKS
// inlined (the control plane fetched jwksUri), and Istio's requirement: any provider's token, or none (a bad token is 401).
import type { JWTRule, RequestAuthentication } from '../../api/types.js';
import type { Snapshot } from '../model/types.js';
import { TYPE_PREFIX, type Json } from './generator.js';
import { JWT_PAYLOAD_KEY } from './authz-identity.js';
import { parseJwks } from '../../proxy/http/filters/jwt_authn/jwks.js';

export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_AUTHN_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication`;

/**
 * Stands in for a JWKS the control plane could not fetch (yet): a P-256 public key whose private half was thrown away, so
 * every token fails verification (401) while requests without one pass on to authorization — Istio's fail-closed choice.
 */
export const UNREACHABLE_JWKS = JSON.stringify({
  keys: [{ kty: 'EC', crv: 'P-256', kid: 'trellis-jwks-unavailable', x: 'DNrtxd_2I34rH9qWjTZCVlVQ3qa0rq-Ti3tdVwhQI7Y', y: 'i_FB--6XEjMGhKVW2pxhO9M8xzzwmTLCzf-fT_UeYJ8' }],
});

/** Istio treats these claims as space-delimited lists always (scope="a b" matches "a"). */
const SPACE_DELIMITED = ['scope', 'permission'];

/** The key a rule's fetched JWKS is kept under: its jwksUri, or `oidc:<issuer>` for OpenID discovery. */
export function jwksKey(rule: JWTRule): string | undefined {
  if (rule.jwks !== undefined && rule.jwks !== '') return undefined;
  const uri = rule.jwksUri ?? rule.jwks_uri;
  if (uri !== undefined && uri !== '') return uri;
  return rule.issuer !== undefined && rule.issuer !== '' ? `oidc:${rule.issuer}` : undefined;
}

const usable = new Map<string, boolean>();

/** An inline JWKS the proxy would refuse must not cost the whole listener (a NACK): its tokens are refused instead. */
function inlineJwks(text: string): string {
  let ok = usable.get(text);
  if (ok === undefined) {
    ok = typeof parseJwks(text) !== 'string';
    if (usable.size > 256) usable.clear();
    usable.set(text, ok);
  }
  return ok ? text : UNREACHABLE_JWKS;
}

function provider(rule: JWTRule, snap: Snapshot): Json {
  const key = jwksKey(rule);
  const jwks = key === undefined ? inlineJwks(rule.jwks!) : (snap.jwks.get(key) ?? UNREACHABLE_JWKS);
  const p: Json = {
    issuer: rule.issuer ?? '',
    local_jwks: { inline_string: jwks },
    forward: rule.forwardOriginalToken === true,
    payload_in_metadata: JWT_PAYLOAD_KEY,
    normalize_payload_in_metadata: { space_delimited_claims: [...new Set([...SPACE_DELIMITED, ...(rule.spaceDelimitedClaims ?? [])])] },
  };
  if ((rule.audiences ?? []).length > 0) p.audiences = [...rule.audiences!];
  // no locations given: Envoy's defaults are Istio's (Authorization: Bearer, then the access_token parameter)
  if ((rule.fromHeaders ?? []).length > 0) p.from_headers = rule.fromHeaders!.map((h) => ({ name: h.name, value_prefix: h.prefix ?? '' }));
  if ((rule.fromParams ?? []).length > 0) p.from_params = [...rule.fromParams!];
  if ((rule.fromCookies ?? []).length > 0) p.from_cookies = [...rule.fromCookies!];
  if (rule.outputPayloadToHeader !== undefined && rule.outputPayloadToHeader !== '') p.forward_payload_header = rule.outputPayloadToHeader;
  if ((rule.outputClaimToHeaders ?? []).length > 0) p.claim_to_headers = rule.outputClaimToHeaders!.map((c) => ({ header_name: c.header, claim_name: c.claim }));
  return p;
}

/** The jwt_authn filter for these policies (snapshot order), or undefined when they have no rules. */
export function jwtAuthnFilter(policies: readonly RequestAuthentication[], snap: Snapshot): Json | undefined {
  const providers: Json = {};
  for (const ra of policies) {
    (ra.spec.jwtRules ?? []).forEach((rule, i) => {
      providers[`origins-${ra.metadata.namespace}-${ra.metadata.name}-${i}`] = provider(rule, snap);
    });
  }
  const names = Object.keys(providers);
  if (names.length === 0) return undefined;
  const requires = { requires_any: { requirements: [...names.map((provider_name) => ({ provider_name })), { allow_missing: {} }] } };
  return {
    name: JWT_AUTHN_FILTER,
    typed_config: { '@type': JWT_AUTHN_TYPE, providers, rules: [{ match: { prefix: '/' }, requires }], bypass_cors_preflight: true },
  };
}
