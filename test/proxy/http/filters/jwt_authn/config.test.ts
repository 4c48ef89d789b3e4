// Proxy HTTP: the jwt_authn config validator — Envoy's JwtAuthentication/PerRouteConfig with every error at its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { validateJwtPerRoute } from '../../../../../src/proxy/http/filters/jwt_authn/config.js';
import { errorsOf, makeKey, localProvider, validate } from './helpers.js';

const remote = { http_uri: { uri: 'https://idp.example/.well-known/jwks.json', cluster: 'jwks', timeout: '1s' } };

test('jwt_authn config: a remote provider gets Envoy defaults (10 min cache, Bearer header), rules keep their requirement', () => {
  const c = validate({
    providers: { p: { issuer: 'https://idp.example', audiences: ['a'], remote_jwks: { ...remote, cache_duration: { seconds: 300 }, async_fetch: {}, retry_policy: {} } } },
    rules: [{ match: { prefix: '/health' } }, { match: { prefix: '/' }, requires: { provider_name: 'p' } }],
  });
  const p = c.providers.p!;
  assert.equal(p.remote_jwks?.cache_duration_ms, 300_000);
  assert.equal(p.remote_jwks?.timeout_ms, 1000);
  assert.deepEqual(p.remote_jwks?.async_fetch, { fast_listener: false, failed_refetch_ms: 1000 });
  assert.deepEqual(p.remote_jwks?.retry, { num_retries: 1, base_ms: 1000, max_ms: 10_000 });
  assert.equal(p.forward, false);
  assert.equal(c.rules[0]!.requires, undefined);
  assert.deepEqual(c.rules[1]!.requires, { kind: 'provider', provider: 'p' });
  const d = validate({ providers: { p: { remote_jwks: remote } } });
  assert.equal(d.providers.p!.remote_jwks?.cache_duration_ms, 600_000);
});

test('jwt_authn config: requirement_name in rules resolves through requirement_map; nested requirements validate', () => {
  const c = validate({
    providers: { a: { remote_jwks: remote }, b: { remote_jwks: remote } },
    requirement_map: {
      either: { requires_any: { requirements: [{ provider_name: 'a' }, { provider_and_audiences: { provider_name: 'b', audiences: ['x'] } }, { allow_missing: {} }] } },
    },
    rules: [{ match: { path: '/x' }, requirement_name: 'either' }],
  });
  assert.equal(c.rules[0]!.requires?.kind, 'any');
});

test('jwt_authn config: errors name their paths', async () => {
  const k = await makeKey('ES256', 'k');
  const cases: [Record<string, unknown>, string][] = [
    [{ providers: { p: { issuer: 'i' } } }, 'jwt.providers["p"].remote_jwks: one of remote_jwks, local_jwks is required'],
    [{ providers: { p: { remote_jwks: remote, local_jwks: { inline_string: '{}' } } } }, 'jwt.providers["p"].local_jwks: only one of remote_jwks, local_jwks may be set'],
    [{ providers: { p: { remote_jwks: { http_uri: { uri: 'x', cluster: 'c', timeout: '1s' } } } } }, 'jwt.providers["p"].remote_jwks.http_uri.uri: "x" is not a valid http(s) URI'],
    [{ providers: { p: { remote_jwks: { http_uri: { uri: 'http://a/j', cluster: 'c' } } } } }, 'jwt.providers["p"].remote_jwks.http_uri.timeout: is required'],
    [{ providers: { p: { local_jwks: { inline_string: '{"keys":[{"kty":"RSA"}]}' } } } }, `jwt.providers["p"].local_jwks: local_jwks: Jwks doesn't have any valid public key`],
    [{ providers: { p: { local_jwks: { inline_string: 'nope' } } } }, 'jwt.providers["p"].local_jwks: local_jwks: Jwks is an invalid JSON'],
    [{ providers: { p: { ...localProvider([k]), failed_status_in_metadata: 'f' } } }, 'jwt.providers["p"].failed_status_in_metadata: failed_status_in_metadata is not supported by trellis'],
    [{ providers: { p: localProvider([k]) }, filter_state_rules: { name: 'x' } }, 'jwt.filter_state_rules: filter_state_rules is not supported by trellis'],
    [{ providers: { p: localProvider([k]) }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'q' } }] }, 'jwt.rules[0].requires.provider_name: required provider "q" is not configured; providers: p'],
    [{ providers: { p: localProvider([k]) }, rules: [{ match: { prefix: '/' }, requirement_name: 'nope' }] }, 'jwt.rules[0].requirement_name: wrong requirement_name "nope"; it should be one of []'],
    [{ providers: { p: localProvider([k]) }, rules: [{ match: { prefix: '/' }, requires: { requires_all: { requirements: [{ provider_name: 'p' }] } } }] }, 'jwt.rules[0].requires.requires_all.requirements: needs at least 2 requirements'],
    [{ providers: { p: localProvider([k]) }, rules: [{ match: { prefix: '/', runtime_fraction: { default_value: { numerator: 1 } } } }] }, 'jwt.rules[0].match.runtime_fraction: runtime_fraction is not supported by trellis in jwt_authn rules'],
    [{ providers: { p: localProvider([k]) }, rules: [{ requires: { provider_name: 'p' } }] }, 'jwt.rules[0].match: is required'],
    [{ providers: { p: localProvider([k]) }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p', allow_missing: {} } }] }, 'jwt.rules[0].requires.allow_missing: only one of provider_name, allow_missing may be set'],
    [{ providers: { p: { ...localProvider([k]), from_headers: [{ name: 'bad header' }] } } }, 'jwt.providers["p"].from_headers[0].name: "bad header" is not a valid header name'],
    [{ providers: { p: { ...localProvider([k]), claim_to_headers: [{ header_name: 'x-sub' }] } } }, 'jwt.providers["p"].claim_to_headers[0].claim_name: is required'],
    [{ providers: { p: { remote_jwks: { ...remote, retry_policy: { retry_on: '5xx' } } } } }, 'jwt.providers["p"].remote_jwks.retry_policy.retry_on: retry_on is not supported by trellis'],
    [{ providers: { p: { remote_jwks: { ...remote, retry_policy: { retry_back_off: { base_interval: '2s', max_interval: '1s' } } } } } }, 'jwt.providers["p"].remote_jwks.retry_policy.retry_back_off.max_interval: must not be less than base_interval (2000ms)'],
    [{ providers: { p: { ...localProvider([k]), isuser: 'x' } } }, 'jwt.providers["p"].isuser: unknown field "isuser"; did you mean "issuer"?'],
  ];
  for (const [raw, want] of cases) assert.ok(errorsOf(raw).includes(want), `want ${want}\n got ${JSON.stringify(errorsOf(raw))}`);
});

test('jwt_authn config: PerRouteConfig needs disabled: true or a requirement_name', () => {
  const ctx = new Ctx(undefined);
  assert.deepEqual(validateJwtPerRoute(ctx, { disabled: true }, 'pr')?.disabled, true);
  assert.equal(validateJwtPerRoute(ctx, { requirement_name: 'r' }, 'pr')?.requirement_name, 'r');
  assert.deepEqual(ctx.errors, []);
  const bad = new Ctx(undefined);
  validateJwtPerRoute(bad, { disabled: false }, 'pr');
  validateJwtPerRoute(bad, {}, 'pr2');
  validateJwtPerRoute(bad, { disabled: true, requirement_name: 'r' }, 'pr3');
  assert.deepEqual(
    bad.errors.map((e) => `${e.path}: ${e.message}`),
    [
      'pr.disabled: must be true (omit the per-route config to keep the filter on)',
      'pr2: one of disabled, requirement_name is required',
      'pr3.requirement_name: only one of disabled, requirement_name may be set',
    ],
  );
});
