// Proxy HTTP: jwt_authn token locations, forwarding (payload, claims, metadata) and removal; fast-check for the request parsers.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, expectContinue, expectReply, localProvider, makeKey, sign, type TestKey } from './helpers.js';
import { parseCookies, removeQueryParam, tokenAfter } from '../../../../../src/proxy/http/filters/jwt_authn/extractor.js';
import { findQueryParam } from '../../../../../src/proxy/router/query-matcher.js';

let key: TestKey;
before(async () => {
  key = await makeKey('ES256', 'k1');
});

const rule = [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }];
const tok = (claims: Record<string, unknown> = {}): Promise<string> => sign(key, { iss: 'https://issuer.example', sub: 'alice', ...claims });

test('jwt_authn extraction: default locations are Authorization: Bearer and ?access_token', async () => {
  const h = new Harness({ providers: { p: localProvider([key]) }, rules: rule });
  const t = await tok();
  expectContinue(await h.run({ headers: { authorization: `Bearer ${t}` } }));
  const q = expectContinue(await h.run({ path: `/x?a=1&access_token=${t}&b=2` }));
  assert.equal(q.req.path, '/x?a=1&b=2', 'forward: false drops the parameter');
  expectReply(await h.run({ headers: { authorization: `Basic ${t}` } }), 401, 'Jwt is missing');
  expectReply(await h.run({ headers: { 'x-token': t } }), 401, 'Jwt is missing');
});

test('jwt_authn extraction: from_headers with and without prefix, from_params and from_cookies replace the defaults', async () => {
  const h = new Harness({
    providers: {
      p: localProvider([key], {
        from_headers: [{ name: 'x-jwt' }, { name: 'x-auth', value_prefix: 'Token ' }],
        from_params: ['jwt'],
        from_cookies: ['session'],
      }),
    },
    rules: rule,
  });
  const t = await tok();
  const a = expectContinue(await h.run({ headers: { 'x-jwt': t } }));
  assert.equal(a.req.headers['x-jwt'], undefined);
  expectContinue(await h.run({ headers: { 'x-auth': `Token ${t}` } }));
  expectContinue(await h.run({ path: `/?jwt=${t}` }));
  const c = expectContinue(await h.run({ headers: { cookie: `a=b; session=${t}; c=d` } }));
  assert.equal(c.req.headers.cookie, `a=b; session=${t}; c=d`, 'cookies are never removed (as in Envoy)');
  expectReply(await h.run({ headers: { authorization: `Bearer ${t}` } }), 401, 'Jwt is missing');
  expectReply(await h.run({ path: `/?access_token=${t}` }), 401, 'Jwt is missing');
});

test('jwt_authn extraction: forward keeps the token; every token present must verify', async () => {
  const h = new Harness({ providers: { p: localProvider([key], { forward: true, from_headers: [{ name: 'x-jwt' }], from_params: ['jwt'] }) }, rules: rule });
  const t = await tok();
  const r = expectContinue(await h.run({ path: `/?jwt=${t}`, headers: { 'x-jwt': t } }));
  assert.equal(r.req.headers['x-jwt'], t);
  assert.equal(r.req.path, `/?jwt=${t}`);
  expectReply(await h.run({ path: '/?jwt=garbage', headers: { 'x-jwt': t } }), 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
});

test('jwt_authn forwarding: payload header (base64url, optionally padded), claims to headers, metadata; spoofed headers are dropped', async () => {
  const h = new Harness({
    providers: {
      p: localProvider([key], {
        forward_payload_header: 'x-jwt-payload',
        claim_to_headers: [
          { header_name: 'x-sub', claim_name: 'sub' },
          { header_name: 'x-tenant', claim_name: 'org.tenant' },
          { header_name: 'x-level', claim_name: 'level' },
          { header_name: 'x-admin', claim_name: 'admin' },
          { header_name: 'x-list', claim_name: 'roles' },
        ],
        payload_in_metadata: 'my_payload',
        header_in_metadata: 'my_header',
        normalize_payload_in_metadata: { space_delimited_claims: ['scope'] },
      }),
    },
    rules: rule,
  });
  const t = await tok({ org: { tenant: 't1' }, level: 3, admin: true, roles: ['a'], scope: 'read  write' });
  const r = expectContinue(await h.run({ headers: { authorization: `Bearer ${t}`, 'x-jwt-payload': 'forged', 'x-sub': 'mallory', 'x-list': 'x' } }));
  const payloadB64 = t.split('.')[1]!;
  assert.equal(r.req.headers['x-jwt-payload'], payloadB64);
  assert.equal(JSON.parse(Buffer.from(payloadB64, 'base64url').toString()).sub, 'alice');
  assert.equal(r.req.headers['x-sub'], 'alice');
  assert.equal(r.req.headers['x-tenant'], 't1');
  assert.equal(r.req.headers['x-level'], '3');
  assert.equal(r.req.headers['x-admin'], 'true');
  assert.equal(r.req.headers['x-list'], undefined, 'lists are not copied, and the client value is gone');
  const md = r.metadata as { my_payload: { sub: string; scope: string[] }; my_header: { alg: string; kid: string } };
  assert.equal(md.my_payload.sub, 'alice');
  assert.deepEqual(md.my_payload.scope, ['read', 'write']);
  assert.deepEqual([md.my_header.alg, md.my_header.kid], ['ES256', 'k1']);

  const padded = new Harness({ providers: { p: localProvider([key], { forward_payload_header: 'x-p', pad_forward_payload_header: true }) }, rules: rule });
  const pr = expectContinue(await padded.run({ headers: { authorization: `Bearer ${t}` } }));
  const v = pr.req.headers['x-p'] as string;
  assert.equal(v.length % 4, 0);
  assert.equal(v.replace(/=+$/, ''), payloadB64);
});

test('jwt_authn forwarding: clear_route_cache clears the route when claims were copied', async () => {
  const h = new Harness({ providers: { p: localProvider([key], { clear_route_cache: true, claim_to_headers: [{ header_name: 'x-sub', claim_name: 'sub' }] }) }, rules: rule });
  assert.equal(expectContinue(await h.run({ headers: { authorization: `Bearer ${await tok()}` } })).routeCleared, true);
});

test('jwt_authn extraction: tokenAfter takes the run of JWT characters after the prefix', () => {
  assert.equal(tokenAfter('Bearer a.b.c', 7), 'a.b.c');
  assert.equal(tokenAfter('Bearer   a.b.c, other', 7), 'a.b.c');
  assert.equal(tokenAfter('Bearer ', 7), 'Bearer ');
});

test('jwt_authn extraction (property): tokenAfter returns the value or a non-empty run of base64url/dot characters', () => {
  fc.assert(
    fc.property(fc.string(), fc.nat(40), (v, from) => {
      const t = tokenAfter(v, Math.min(from, v.length));
      assert.ok(t === v || (t.length > 0 && /^[A-Za-z0-9_.-]+$/.test(t) && v.includes(t)));
    }),
  );
});

test('jwt_authn extraction (property): removeQueryParam drops exactly the named pairs and keeps the rest in order', () => {
  const key = fc.stringMatching(/^[a-z_]{1,6}$/);
  const value = fc.stringMatching(/^[A-Za-z0-9._-]{0,8}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), key, (pairs, name) => {
      const path = pairs.length === 0 ? '/p' : `/p?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
      const out = removeQueryParam(path, name);
      const kept = pairs.filter(([k]) => k !== name);
      assert.equal(out, kept.length === 0 ? '/p' : `/p?${kept.map(([k, v]) => `${k}=${v}`).join('&')}`);
      const q = out.indexOf('?');
      assert.equal(q < 0 ? undefined : findQueryParam(out, q + 1, name, true), undefined);
    }),
  );
});

test('jwt_authn extraction (property): parseCookies finds the first value of each wanted cookie and never throws', () => {
  fc.assert(
    fc.property(fc.array(fc.string(), { maxLength: 3 }), (lines) => {
      const m = parseCookies({ cookie: lines }, new Map([['a', 1]]));
      assert.ok(m.size <= 1);
    }),
  );
  const name = fc.stringMatching(/^[a-z]{1,5}$/);
  const value = fc.stringMatching(/^[A-Za-z0-9._-]{1,10}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 5 }), (pairs) => {
      const header = pairs.map(([k, v]) => `${k}=${v}`).join('; ');
      const wanted = new Map(pairs.map(([k]) => [k, 1]));
      const m = parseCookies({ cookie: header }, wanted);
      for (const [k] of pairs) assert.equal(m.get(k), pairs.find(([kk]) => kk === k)![1]);
    }),
  );
});
