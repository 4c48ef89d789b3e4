// API: AuthorizationPolicy and RequestAuthentication — security.istio.io v1/v1beta1 envelopes, Istio's webhook rules, and the
// fields trellis refuses by name (targetRef), through the one admission path apply and analyze share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadResources } from '../../src/api/load.js';
import { admitResources } from '../../src/api/admission.js';
import { ORIGINAL_API_VERSION_ANNOTATION } from '../../src/api/types.js';
import { conditionKeyError, pathTemplateError } from '../../src/api/validate-security.js';

function errors(yaml: string): string[] {
  const r = loadResources(yaml, 'p.yaml');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

const ap = (spec: string, apiVersion = 'security.istio.io/v1'): string => `apiVersion: ${apiVersion}\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n${spec}\n`;

test('v1 and v1beta1 are accepted and stored as v1 (the written version kept); networking groups are refused', () => {
  const r = loadResources(ap('  {}', 'security.istio.io/v1beta1'));
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.value[0]!.apiVersion, 'security.istio.io/v1');
    assert.equal(r.value[0]!.metadata.annotations?.[ORIGINAL_API_VERSION_ANNOTATION], 'security.istio.io/v1beta1');
  }
  assert.match(errors(ap('  {}', 'networking.istio.io/v1')).join('\n'), /unsupported apiVersion "networking.istio.io\/v1" for kind AuthorizationPolicy \(accepted: security.istio.io\/v1, security.istio.io\/v1beta1\)/);
  assert.match(errors('apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: x}\n').join('\n'), /WasmPlugin \(extensions.istio.io\) is an Istio kind trellis does not serve yet/);
});

test("Istio's AuthorizationPolicy rules: actions, provider, empty from/to/source/operation, values, IPs, ports, paths, keys", () => {
  const cases: [string, RegExp][] = [
    ['  action: CUSTOM\n  provider: {name: x}', /spec\.rules: CUSTOM action without `rules` is meaningless/],
    ['  action: CUSTOM\n  rules: [{}]', /spec\.provider\.name: `provider\.name` must not be empty/],
    ['  action: DENY', /spec\.rules: DENY action without `rules`/],
    ['  provider: {name: x}\n  rules: [{}]', /spec\.provider: `provider` must not be with non CUSTOM action, found ALLOW/],
    ['  action: CUSTOM\n  provider: {name: x}\n  rules: [{from: [{source: {principals: [a]}}]}]', /principals: From\.Principals is currently not supported with CUSTOM action/],
    ['  action: CUSTOM\n  provider: {name: x}\n  rules: [{when: [{key: "request.auth.claims[iss]", values: [a]}]}]', /when\[0\]\.key: request\.auth\.claims\[iss\] is currently not supported with CUSTOM action/],
    ['  action: BLOCK\n  rules: [{}]', /spec\.action: invalid value "BLOCK"/],
    ['  rules: [{from: []}]', /spec\.rules\[0\]\.from: `from` must not be empty/],
    ['  rules: [{from: [{source: {}}]}]', /spec\.rules\[0\]\.from\[0\]\.source: `from\.source` must not be empty/],
    ['  rules: [{to: [{operation: {}}]}]', /spec\.rules\[0\]\.to\[0\]\.operation: `to\.operation` must not be empty/],
    ['  rules: [{from: [{source: {principals: [""]}}]}]', /principals\[0\]: empty value not allowed/],
    ['  rules: [{from: [{source: {ipBlocks: ["10.0.0.0/33", "x"]}}]}]', /ipBlocks\[0\]: bad CIDR range \(10\.0\.0\.0\/33\)[\s\S]*ipBlocks\[1\]: bad IP address \(x\)/],
    ['  rules: [{from: [{source: {serviceAccounts: ["a/b/c"], namespaces: [n]}}]}]', /cannot set serviceAccounts with namespaces or principals[\s\S]*serviceAccounts\[0\]: expected format/],
    ['  rules: [{to: [{operation: {ports: ["http"]}}]}]', /ports\[0\]: bad port \(http\)/],
    ['  rules: [{to: [{operation: {paths: ["/{**}/foo/{*}", "/foo/{*}.txt", "/*/baz/{*}"]}}]}]', /paths\[0\]: .*\{\*\*\} is not the last operator[\s\S]*paths\[1\]: .*beyond a supported path template[\s\S]*paths\[2\]/],
    ['  rules: [{when: [{key: destination.namespace, values: [a]}]}]', /replaced by the metadata\.namespace/],
    ['  rules: [{when: [{key: request.regex.headers, values: [a]}]}]', /unknown attribute: request\.regex\.headers/],
    ['  rules: [{when: [{key: source.ip}]}]', /at least one of `values` or `notValues` must be set for key source\.ip/],
    ['  selector: {matchLabels: {app: "a*"}}\n  targetRef: {kind: Gateway, name: g}\n  rules: [{}]', /wildcard is not supported in selector[\s\S]*only one of targetRefs or selector can be set/],
  ];
  for (const [spec, want] of cases) assert.match(errors(ap(spec)).join('\n'), want, spec);
  // Istio's examples are valid
  assert.deepEqual(errors(ap('  action: ALLOW\n  rules:\n  - from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}, {source: {namespaces: ["test"]}}]\n    to: [{operation: {methods: ["GET"], paths: ["/info*"]}}, {operation: {methods: ["POST"], paths: ["/data"]}}]\n    when: [{key: "request.auth.claims[iss]", values: ["https://accounts.google.com"]}]')), []);
});

test('targetRef is refused by name at apply (valid Istio, not served)', () => {
  const r = admitResources(ap('  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]\n  rules: [{}]'), 'p.yaml');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'), /AuthorizationPolicy foo\/p: spec\.targetRefs: targetRefs is not supported by trellis yet \(Gateway API and waypoint attachment/);
});

const ra = (rules: string): string => `apiVersion: security.istio.io/v1beta1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: foo}\nspec:\n  jwtRules:\n${rules}\n`;

test("Istio's RequestAuthentication rules: issuer or jwksUri, URL scheme, jwks parses, locations and claim headers", () => {
  const cases: [string, RegExp][] = [
    ['  - {audiences: [""]}', /audiences\[0\]: audience must be non-empty string[\s\S]*issuer: issuer or jwksUri must be non-empty string/],
    ['  - {issuer: a, jwksUri: "ftp://x/jwks"}', /jwksUri: url must have scheme http:\/\/ or https:\/\//],
    ['  - {issuer: a, jwksUri: "https://x/jwks", jwks: "{}"}', /only one of jwks or jwksUri can be set/],
    ['  - {issuer: a, jwks: "not json"}', /jwks: jwks parse error/],
    ['  - {issuer: a, fromHeaders: [{name: ""}], fromParams: [""], fromCookies: [""]}', /fromHeaders\[0\]\.name: location header name must be non-empty[\s\S]*fromParams\[0\]: location query[\s\S]*fromCookies\[0\]: cookie name/],
    ['  - {issuer: a, outputClaimToHeaders: [{header: "x y", claim: c}, {header: x, claim: ""}]}', /header: invalid header name "x y"[\s\S]*outputClaimToHeaders\[1\]: outputClaimToHeaders header and claim value must be non-empty/],
    ['  - {issuer: a, timeout: 5}', /timeout: expected a string/],
    ['  - {issuer: a, timeout: 0.5ms}', /timeout: /],
  ];
  for (const [rules, want] of cases) assert.match(errors(ra(rules)).join('\n'), want, rules);
  assert.deepEqual(errors(ra('  - issuer: "testing@secure.istio.io"\n    jwksUri: "https://raw.githubusercontent.com/istio/istio/release-1.24/security/tools/jwt/samples/jwks.json"\n    forwardOriginalToken: true\n    outputClaimToHeaders: [{header: x-jwt-sub, claim: sub}]')), []);
});

test('property: path template check and condition keys never throw', () => {
  fc.assert(
    fc.property(fc.string(), fc.array(fc.string(), { maxLength: 3 }), (s, values) => {
      pathTemplateError(s);
      conditionKeyError(s, values);
    }),
    { numRuns: 500 },
  );
});
