// Proxy HTTP: jwt_authn decisions — requirements, per-route config, issuer/audience/time/signature checks, Envoy's 401/403 replies.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, NOW_S, expectContinue, expectReply, localProvider, makeKey, sign, type TestKey } from './helpers.js';
import { JWT_PER_ROUTE_TYPE } from '../../../../../src/proxy/http/filters/jwt_authn/config.js';

let es: TestKey;
let rs: TestKey;
let other: TestKey;
let otherRs: TestKey;
before(async () => {
  otherRs = await makeKey('RS256', 'rs-1');
  es = await makeKey('ES256', 'es-1');
  rs = await makeKey('RS256', 'rs-1');
  other = await makeKey('ES256', 'es-1'); // same kid, different key: signatures must fail
});

const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

function twoProviders(rules: unknown[], extra: Record<string, unknown> = {}, bExtra: Record<string, unknown> = {}): Harness {
  return new Harness({
    providers: {
      a: localProvider([es], { issuer: 'https://a.example', from_headers: [{ name: 'x-a', value_prefix: 'Bearer ' }] }),
      b: localProvider([rs], { issuer: 'https://b.example', from_headers: [{ name: 'x-b' }], ...bExtra }),
    },
    rules,
    ...extra,
  });
}

test('jwt_authn: a good ES256 or RS256 token continues; a missing one gets 401 "Jwt is missing" with a bare challenge', async () => {
  const h = new Harness({ providers: { p: localProvider([es, rs]) }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }] });
  for (const k of [es, rs]) {
    const r = expectContinue(await h.run({ headers: bearer(await sign(k, { iss: 'https://issuer.example' })) }));
    assert.equal(r.req.headers.authorization, undefined, 'forward: false removes the token');
  }
  const miss = expectReply(await h.run({ path: '/x?y=1' }), 401, 'Jwt is missing');
  assert.equal(miss.headers['www-authenticate'], 'Bearer realm="http://api.example.com/x?y=1"');
  assert.equal(miss.details, 'jwt_authn_access_denied{Jwt_is_missing}');
  assert.equal(h.stat('allowed'), 2);
  assert.equal(h.stat('denied'), 1);
});

test('jwt_authn: bad signature, unknown kid, wrong issuer and malformed tokens fail with Envoy texts and error="invalid_token"', async () => {
  const h = new Harness({ providers: { p: localProvider([es]) }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }] });
  const forged = await sign(other, { iss: 'https://issuer.example' });
  const r = expectReply(await h.run({ headers: { ...bearer(forged), 'x-forwarded-proto': 'https' } }), 401, 'Jwt verification fails');
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="https://api.example.com/", error="invalid_token"');
  expectReply(await h.run({ headers: bearer(await sign(es, { iss: 'https://issuer.example' }, { kid: 'other' })) }), 401, "Jwks doesn't have key to match kid or alg from Jwt");
  expectReply(await h.run({ headers: bearer(await sign(es, { iss: 'https://evil.example' })) }), 401, 'Jwt issuer is not configured');
  expectReply(await h.run({ headers: bearer('abc') }), 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.x`;
  expectReply(await h.run({ headers: bearer(none) }), 401, 'Jwt header [alg] is not supported');
});

test('jwt_authn: exp and nbf allow 60 s of clock skew by default, clock_skew_seconds changes it', async () => {
  const rules = [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }];
  const h = new Harness({ providers: { p: localProvider([es]) }, rules });
  const at = (claims: Record<string, number>) => sign(es, { iss: 'https://issuer.example', ...claims });
  expectContinue(await h.run({ headers: bearer(await at({ exp: NOW_S - 59 })) }));
  expectReply(await h.run({ headers: bearer(await at({ exp: NOW_S - 61 })) }), 401, 'Jwt is expired');
  expectContinue(await h.run({ headers: bearer(await at({ nbf: NOW_S + 59 })) }));
  expectReply(await h.run({ headers: bearer(await at({ nbf: NOW_S + 61 })) }), 401, 'Jwt not yet valid');
  const tight = new Harness({ providers: { p: localProvider([es], { clock_skew_seconds: 10 }) }, rules });
  expectReply(await tight.run({ headers: bearer(await at({ exp: NOW_S - 30 })) }), 401, 'Jwt is expired');
  const req = new Harness({ providers: { p: localProvider([es], { require_expiration: true }) }, rules });
  const noExp = await new (await import('jose')).SignJWT({ iss: 'https://issuer.example' }).setProtectedHeader({ alg: 'ES256', kid: es.kid }).sign(es.privateKey);
  expectReply(await req.run({ headers: bearer(noExp) }), 401, 'Jwt verification fails');
  const life = new Harness({ providers: { p: localProvider([es], { max_lifetime: '600s' }) }, rules });
  expectReply(await life.run({ headers: bearer(await at({ exp: NOW_S + 3600 })) }), 401, 'Jwt verification fails');
  expectContinue(await life.run({ headers: bearer(await at({ exp: NOW_S + 300 })) }));
});

test('jwt_authn: audiences — 403 when none is allowed; scheme and trailing slash are forgiven; provider_and_audiences overrides', async () => {
  const h = new Harness({
    providers: { p: localProvider([es], { audiences: ['https://api.example.com/'] }) },
    rules: [
      { match: { prefix: '/other' }, requires: { provider_and_audiences: { provider_name: 'p', audiences: ['other'] } } },
      { match: { prefix: '/' }, requires: { provider_name: 'p' } },
    ],
  });
  expectContinue(await h.run({ headers: bearer(await sign(es, { iss: 'https://issuer.example', aud: 'api.example.com' })) }));
  expectContinue(await h.run({ headers: bearer(await sign(es, { iss: 'https://issuer.example', aud: ['x', 'http://api.example.com'] })) }));
  const r = expectReply(await h.run({ headers: bearer(await sign(es, { iss: 'https://issuer.example', aud: 'x' })) }), 403, 'Audiences in Jwt are not allowed');
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="http://api.example.com/", error="invalid_token"');
  expectReply(await h.run({ headers: bearer(await sign(es, { iss: 'https://issuer.example' })) }), 403, 'Audiences in Jwt are not allowed');
  expectContinue(await h.run({ path: '/other', headers: bearer(await sign(es, { iss: 'https://issuer.example', aud: 'other' })) }));
  expectReply(await h.run({ path: '/other', headers: bearer(await sign(es, { iss: 'https://issuer.example', aud: 'api.example.com' })) }), 403, 'Audiences in Jwt are not allowed');
});

test('jwt_authn: subjects restrict the sub claim', async () => {
  const h = new Harness({ providers: { p: localProvider([es], { subjects: { prefix: 'spiffe://example.org/' } }) }, rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }] });
  expectContinue(await h.run({ headers: bearer(await sign(es, { iss: 'https://issuer.example', sub: 'spiffe://example.org/web' })) }));
  expectReply(await h.run({ headers: bearer(await sign(es, { iss: 'https://issuer.example', sub: 'spiffe://evil.org/web' })) }), 401, 'Jwt verification fails');
});

test('jwt_authn: requires_any passes with either provider and reports the meaningful failure', async () => {
  const h = twoProviders([{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'a' }, { provider_name: 'b' }] } } }]);
  const ta = await sign(es, { iss: 'https://a.example' });
  const tb = await sign(rs, { iss: 'https://b.example' });
  expectContinue(await h.run({ headers: { 'x-a': `Bearer ${ta}` } }));
  expectContinue(await h.run({ headers: { 'x-b': tb } }));
  expectReply(await h.run({}), 401, 'Jwt is missing');
  // b's token is expired: that beats a's "missing"
  const old = await sign(rs, { iss: 'https://b.example', exp: NOW_S - 1000 });
  expectReply(await h.run({ headers: { 'x-b': old } }), 401, 'Jwt is expired');
  // a token of a in b's header: b does not know the issuer; "issuer not configured" beats "missing"
  expectReply(await h.run({ headers: { 'x-b': ta } }), 401, 'Jwt issuer is not configured');
});

test('jwt_authn: requires_all needs both tokens; the first failure decides', async () => {
  const h = twoProviders([{ match: { prefix: '/' }, requires: { requires_all: { requirements: [{ provider_name: 'a' }, { provider_name: 'b' }] } } }]);
  const ta = await sign(es, { iss: 'https://a.example' });
  const tb = await sign(rs, { iss: 'https://b.example' });
  const r = expectContinue(await h.run({ headers: { 'x-a': `Bearer ${ta}`, 'x-b': tb } }));
  assert.equal(r.req.headers['x-a'], undefined);
  assert.equal(r.req.headers['x-b'], undefined);
  expectReply(await h.run({ headers: { 'x-a': `Bearer ${ta}` } }), 401, 'Jwt is missing');
  expectReply(await h.run({ headers: { 'x-a': `Bearer ${ta}`, 'x-b': await sign(otherRs, { iss: 'https://b.example' }) } }), 401, 'Jwt verification fails');
});

test('jwt_authn: allow_missing lets requests without a token through but rejects a bad one', async () => {
  const h = twoProviders([{ match: { prefix: '/' }, requires: { allow_missing: {} } }]);
  expectContinue(await h.run({}));
  expectContinue(await h.run({ headers: { 'x-b': await sign(rs, { iss: 'https://b.example' }) } }));
  expectReply(await h.run({ headers: { 'x-b': await sign(otherRs, { iss: 'https://b.example' }) } }), 401, 'Jwt verification fails');
  expectReply(await h.run({ headers: { 'x-b': await sign(rs, { iss: 'https://c.example' }) } }), 401, 'Jwt issuer is not configured');
  // a bad token cannot hide behind a good one
  const good = await sign(es, { iss: 'https://a.example' });
  expectReply(await h.run({ headers: { 'x-a': `Bearer ${good}`, 'x-b': await sign(otherRs, { iss: 'https://b.example' }) } }), 401, 'Jwt verification fails');
});

test('jwt_authn: allow_missing_or_failed lets everything through and records only verified payloads', async () => {
  const h = twoProviders([{ match: { prefix: '/' }, requires: { allow_missing_or_failed: {} } }], {}, { payload_in_metadata: 'b_payload' });
  expectContinue(await h.run({}));
  const bad = expectContinue(await h.run({ headers: { 'x-b': await sign(otherRs, { iss: 'https://b.example' }) } }));
  assert.equal(bad.metadata, undefined);
  const good = expectContinue(await h.run({ headers: { 'x-b': await sign(rs, { iss: 'https://b.example', sub: 's' }) } }));
  assert.equal((good.metadata?.b_payload as { sub: string }).sub, 's');
});

test('jwt_authn: requires_any with allow_missing (provider optional) — absent passes, invalid fails', async () => {
  const h = twoProviders([{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'a' }, { allow_missing: {} }] } } }]);
  expectContinue(await h.run({}));
  expectContinue(await h.run({ headers: { 'x-a': `Bearer ${await sign(es, { iss: 'https://a.example' })}` } }));
  expectReply(await h.run({ headers: { 'x-a': `Bearer ${await sign(other, { iss: 'https://a.example' })}` } }), 401, 'Jwt verification fails');
});

test('jwt_authn: rules — first match wins, a rule without requires skips verification, no match verifies nothing', async () => {
  const h = twoProviders([
    { match: { prefix: '/health' } },
    { match: { path: '/exact', headers: [{ name: 'x-env', string_match: { exact: 'prod' } }] }, requires: { provider_name: 'b' } },
    { match: { safe_regex: { regex: '/api/v[0-9]+/.*' } }, requires: { provider_name: 'a' } },
  ]);
  expectContinue(await h.run({ path: '/health/live' }));
  expectContinue(await h.run({ path: '/exact' })); // header condition not met: no rule
  expectReply(await h.run({ path: '/exact?q=1', headers: { 'x-env': 'prod' } }), 401, 'Jwt is missing');
  expectReply(await h.run({ path: '/api/v2/x?q' }), 401, 'Jwt is missing');
  expectContinue(await h.run({ path: '/api/vx/x' }));
});

test('jwt_authn: per-route config disables the filter or picks a requirement_map entry; an unknown name is 403', async () => {
  const h = twoProviders([{ match: { prefix: '/' }, requires: { provider_name: 'a' } }], { requirement_map: { only_b: { provider_name: 'b' } } });
  expectContinue(await h.run({}, { '@type': JWT_PER_ROUTE_TYPE, disabled: true, requirement_name: '' }));
  expectReply(await h.run({}, { '@type': JWT_PER_ROUTE_TYPE, disabled: false, requirement_name: 'only_b' }), 401, 'Jwt is missing');
  expectContinue(await h.run({ headers: { 'x-b': await sign(rs, { iss: 'https://b.example' }) } }, { '@type': JWT_PER_ROUTE_TYPE, disabled: false, requirement_name: 'only_b' }));
  const r = expectReply(await h.run({}, { '@type': JWT_PER_ROUTE_TYPE, disabled: false, requirement_name: 'zz' }), 403, 'Failed JWT authentication: Wrong requirement_name: zz. It should be one of [only_b]');
  assert.equal(r.headers['www-authenticate'], undefined);
});

test('jwt_authn: strip_failure_response sends the bare status; bypass_cors_preflight lets preflights through', async () => {
  const h = twoProviders([{ match: { prefix: '/' }, requires: { provider_name: 'a' } }], { strip_failure_response: true, bypass_cors_preflight: true });
  const r = expectReply(await h.run({}), 401, '');
  assert.deepEqual(r.headers, {});
  expectContinue(await h.run({ method: 'OPTIONS', headers: { origin: 'https://x', 'access-control-request-method': 'GET' } }));
  assert.equal(h.stat('cors_preflight_bypassed'), 1);
  expectReply(await h.run({ method: 'OPTIONS', headers: { origin: 'https://x' } }), 401, '');
});
