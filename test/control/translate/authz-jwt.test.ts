// Translate tests: RequestAuthentication → jwt_authn ahead of the rbac filters — providers with Istio's requirement (any
// provider or none), JWKS inlined from the control plane's fetch (or a key nobody holds until then), token locations and outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../all-filters.js';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { proxyNode } from '../../../src/control/model/builders.js';
import { LISTENER_TYPE, type Json } from '../../../src/control/translate/generator.js';
import { UNREACHABLE_JWKS } from '../../../src/control/translate/authz-jwt.js';
import { assertProxyAccepts, byName, snapshotFromYaml } from './helpers.js';
import { httpFiltersOf } from './authz-sim.js';

const JWKS = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', kid: 'a', x: 'DNrtxd_2I34rH9qWjTZCVlVQ3qa0rq-Ti3tdVwhQI7Y', y: 'i_FB--6XEjMGhKVW2pxhO9M8xzzwmTLCzf-fT_UeYJ8' }] });

const yaml = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt-example, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://idp.example/jwks.json
    audiences: [app]
    fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
    fromParams: [tok]
    forwardOriginalToken: true
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders: [{header: x-jwt-sub, claim: sub}]
    spaceDelimitedClaims: [roles]
  - issuer: inline.example
    jwks: '${JWKS}'
  - issuer: broken.example
    jwks: '{"keys": [{"kty": "EC"}]}'
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: foo}
spec: {rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]}
`;

const httpbin = proxyNode({ namespace: 'foo', serviceName: 'httpbin', servicePort: 8000, appPort: 18000, labels: { app: 'httpbin' } });

function filters(jwks: ReadonlyMap<string, string>): Json[] {
  const out = ldsGenerator.build(httpbin, snapshotFromYaml(yaml, [], 'v1', { jwks }));
  assertProxyAccepts(LISTENER_TYPE, out);
  return httpFiltersOf(byName(out, 'inbound').resource);
}

test('jwt_authn comes before rbac; every provider or no token (allow_missing); Istio fields mapped', () => {
  const f = filters(new Map([['https://idp.example/jwks.json', JWKS]]));
  assert.deepEqual(f.map((x) => x.name), ['envoy.filters.http.jwt_authn', 'envoy.filters.http.rbac', 'istio.stats', 'envoy.filters.http.router']);
  const cfg = f[0]!.typed_config as Json;
  const providers = cfg.providers as Record<string, Json>;
  const names = Object.keys(providers);
  assert.deepEqual(names, ['origins-foo-jwt-example-0', 'origins-foo-jwt-example-1', 'origins-foo-jwt-example-2']);
  assert.deepEqual(cfg.rules, [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [...names.map((provider_name) => ({ provider_name })), { allow_missing: {} }] } } }]);
  assert.equal(cfg.bypass_cors_preflight, true);
  assert.deepEqual(providers[names[0]!], {
    issuer: 'testing@secure.istio.io',
    local_jwks: { inline_string: JWKS },
    forward: true,
    payload_in_metadata: 'payload',
    normalize_payload_in_metadata: { space_delimited_claims: ['scope', 'permission', 'roles'] },
    audiences: ['app'],
    from_headers: [{ name: 'x-jwt', value_prefix: 'Bearer ' }],
    from_params: ['tok'],
    forward_payload_header: 'x-jwt-payload',
    claim_to_headers: [{ header_name: 'x-jwt-sub', claim_name: 'sub' }],
  });
  assert.equal((providers[names[1]!]!.local_jwks as Json).inline_string, JWKS, 'inline jwks as written');
  assert.equal((providers[names[2]!]!.local_jwks as Json).inline_string, UNREACHABLE_JWKS, 'a set the proxy would refuse: tokens fail instead of the listener');
});

test('a JWKS the control plane has not fetched is a key nobody holds: tokens get 401, requests without one go on', () => {
  const providers = (filters(new Map())[0]!.typed_config as Json).providers as Record<string, Json>;
  assert.equal((providers['origins-foo-jwt-example-0']!.local_jwks as Json).inline_string, UNREACHABLE_JWKS);
});

test('a workload no RequestAuthentication selects gets no jwt_authn', () => {
  const out = ldsGenerator.build(proxyNode({ namespace: 'foo', serviceName: 'other', servicePort: 80, appPort: 81, labels: { app: 'other' } }), snapshotFromYaml(yaml));
  assert.deepEqual(httpFiltersOf(byName(out, 'inbound').resource).map((x) => x.name), ['envoy.filters.http.rbac', 'istio.stats', 'envoy.filters.http.router']);
});
