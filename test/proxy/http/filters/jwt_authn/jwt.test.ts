// Proxy HTTP: jwt_authn parsing — JWT statuses, JWKS documents, the token LRU; fast-check for both parsers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkTime, parseJwt } from '../../../../../src/proxy/http/filters/jwt_authn/jwt.js';
import { parseJwks, verifySignature } from '../../../../../src/proxy/http/filters/jwt_authn/jwks.js';
import { SignJWT } from 'jose';
import { JwtCache } from '../../../../../src/proxy/http/filters/jwt_authn/jwt-cache.js';
import { Status } from '../../../../../src/proxy/http/filters/jwt_authn/status.js';
import { makeKey } from './helpers.js';

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const jwt = (header: unknown, payload: unknown, sig = 'c2ln'): string => `${b64(header)}.${b64(payload)}.${sig}`;
const H = { alg: 'RS256' };

test('jwt parse: each malformation maps to its Envoy status', () => {
  const cases: [string, Status][] = [
    ['a.b', Status.JwtBadFormat],
    ['a..c', Status.JwtBadFormat],
    ['a.b.c.d', Status.JwtBadFormat],
    [`!!.${b64({})}.x`, Status.JwtHeaderParseErrorBadBase64],
    [`${b64('[1]')}.${b64({})}.x`, Status.JwtHeaderParseErrorBadJson],
    [jwt({}, {}), Status.JwtHeaderBadAlg],
    [jwt({ alg: 'none' }, {}), Status.JwtHeaderNotImplementedAlg],
    [jwt({ alg: 'RS256', kid: 1 }, {}), Status.JwtHeaderBadKid],
    [`${b64(H)}.%%.x`, Status.JwtPayloadParseErrorBadBase64],
    [`${b64(H)}.${b64('nope')}.x`, Status.JwtPayloadParseErrorBadJson],
    [jwt(H, { iss: 1 }), Status.JwtPayloadParseErrorIssNotString],
    [jwt(H, { sub: [] }), Status.JwtPayloadParseErrorSubNotString],
    [jwt(H, { exp: '1' }), Status.JwtPayloadParseErrorExpNotInteger],
    [jwt(H, { nbf: true }), Status.JwtPayloadParseErrorNbfNotInteger],
    [jwt(H, { iat: null }), Status.JwtPayloadParseErrorIatNotInteger],
    [jwt(H, { jti: 2 }), Status.JwtPayloadParseErrorJtiNotString],
    [jwt(H, { aud: [1] }), Status.JwtPayloadParseErrorAudNotString],
    [jwt(H, {}, 'a*b'), Status.JwtSignatureParseErrorBadBase64],
  ];
  for (const [t, want] of cases) assert.equal(parseJwt(t), want, t);
  const ok = parseJwt(jwt({ alg: 'ES256', kid: 'k' }, { iss: 'i', aud: 'a', exp: 10, sub: 's' }));
  assert.ok(typeof ok !== 'string');
  assert.deepEqual([ok.alg, ok.kid, ok.iss, ok.aud, ok.exp, ok.sub], ['ES256', 'k', 'i', ['a'], 10, 's']);
});

test('jwt time: exp/nbf with skew', () => {
  const p = parseJwt(jwt(H, { exp: 100, nbf: 50 }));
  assert.ok(typeof p !== 'string');
  assert.equal(checkTime(p, 100, 0), Status.Ok);
  assert.equal(checkTime(p, 101, 0), Status.JwtExpired);
  assert.equal(checkTime(p, 160, 60), Status.Ok);
  assert.equal(checkTime(p, 49, 0), Status.JwtNotYetValid);
  assert.equal(checkTime(p, 0, 60), Status.Ok);
});

test('jwt parse (property): any string gives a status or a token whose claims have the right types; never throws', () => {
  const seg = fc.oneof(fc.string(), fc.json().map(b64), fc.constantFrom(b64(H), b64({ alg: 'ES256', kid: 'x' })));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.tuple(seg, seg, seg).map((p) => p.join('.'))), (s) => {
      const r = parseJwt(s);
      if (typeof r === 'string') assert.ok(Object.values(Status).includes(r));
      else {
        assert.equal(typeof r.iss, 'string');
        assert.ok(r.aud.every((a) => typeof a === 'string'));
        assert.ok(Number.isInteger(r.exp) && r.exp >= 0);
      }
    }),
    { numRuns: 500 },
  );
});

test('jwks parse: document errors, skipped keys, and usable ES/RS/oct keys', async () => {
  assert.equal(parseJwks('x'), 'Jwks is an invalid JSON');
  assert.equal(parseJwks('{}'), 'Jwks does not have [keys] field');
  assert.equal(parseJwks('{"keys":{}}'), '[keys] in Jwks is not an array');
  assert.equal(parseJwks('{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}'), Status.JwksNoValidKeys);
  const es = await makeKey('ES256', 'e');
  const rs = await makeKey('RS256', 'r');
  const set = parseJwks(JSON.stringify({ keys: [es.jwk, { kty: 'RSA', alg: 'ES256', n: 'x', e: 'AQAB' }, rs.jwk, { kty: 'oct', k: 'c2VjcmV0' }] }));
  assert.ok(typeof set !== 'string');
  assert.deepEqual(set.keys.map((k) => [k.kty, k.kid, k.alg]), [['EC', 'e', 'ES256'], ['RSA', 'r', 'RS256'], ['oct', '', '']]);
});

test('jwks parse (property): arbitrary JSON never throws and yields an error string or at least one key', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.array(fc.dictionary(fc.constantFrom('kty', 'kid', 'alg', 'crv', 'x', 'y', 'n', 'e', 'k'), fc.oneof(fc.string(), fc.constantFrom('EC', 'RSA', 'oct', 'OKP', 'P-256')))).map((keys) => JSON.stringify({ keys }))), (s) => {
      const r = parseJwks(s);
      assert.ok(typeof r === 'string' || r.keys.length > 0);
    }),
    { numRuns: 300 },
  );
});

test('jwt cache: bounded LRU; expired entries and oversized tokens are not served', () => {
  const mk = (t: string, exp = 0): NonNullable<Exclude<ReturnType<typeof parseJwt>, string>> => {
    const p = parseJwt(jwt(H, { exp, t }));
    assert.ok(typeof p !== 'string');
    return p;
  };
  const c = new JwtCache(2, 4096);
  const [a, b, d] = [mk('a'), mk('b'), mk('d')];
  c.insert(a);
  c.insert(b);
  assert.equal(c.lookup(a.token, 0), a); // a is now the most recent
  c.insert(d); // evicts b
  assert.equal(c.count, 2);
  assert.equal(c.lookup(b.token, 0), undefined);
  assert.equal(c.lookup(a.token, 0), a);
  const e = mk('e', 1000);
  c.insert(e);
  assert.equal(c.lookup(e.token, 1059), e);
  assert.equal(c.lookup(e.token, 1061), undefined);
  const small = new JwtCache(10, 10);
  small.insert(a);
  assert.equal(small.count, 0);
});

test('jwks verify: an HS256 token against an oct key; a wrong secret fails, a key with another alg is not eligible', async () => {
  const secret = Buffer.from('a-test-secret-of-32-bytes-length');
  const t = await new SignJWT({ iss: 'i' }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
  const parsed = parseJwt(t);
  assert.ok(typeof parsed !== 'string');
  const set = (k: string, alg?: string) => {
    const j = parseJwks(JSON.stringify({ keys: [{ kty: 'oct', k: Buffer.from(k).toString('base64url'), ...(alg ? { alg } : {}) }] }));
    assert.ok(typeof j !== 'string');
    return j;
  };
  assert.equal(await verifySignature(parsed, set(secret.toString())), Status.Ok);
  assert.equal(await verifySignature(parsed, set('another-secret-of-32-bytes-long!')), Status.JwtVerificationFail);
  assert.equal(await verifySignature(parsed, set(secret.toString(), 'HS512')), Status.JwksKidAlgMismatch);
});
