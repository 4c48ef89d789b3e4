// RBAC engine: Envoy's semantics for every permission and principal kind, nesting, and ALLOW / DENY / LOG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrs, engine, onePolicy, req } from './helpers.js';
import { rbacDeniedDetails } from '../../../src/proxy/rbac/engine.js';

/** Whether permission `perm` matches `a` (an ALLOW policy with principal any). */
function perm(p: object, a = attrs()): boolean {
  return onePolicy('ALLOW', [p]).evaluate(a).allowed;
}
/** Whether principal `id` matches `a` (an ALLOW policy with permission any). */
function princ(id: object, a = attrs()): boolean {
  return onePolicy('ALLOW', [{ any: true }], [id]).evaluate(a).allowed;
}

test('rbac actions: ALLOW allows iff a policy matches, DENY denies iff one does, LOG always allows and hints', () => {
  const match = attrs({ request: req({ method: 'POST' }) });
  const miss = attrs();
  const p = [{ header: { name: ':method', string_match: { exact: 'POST' } } }];
  assert.deepEqual(onePolicy('ALLOW', p).evaluate(match), { allowed: true, matchedPolicy: 'p', logHint: undefined });
  assert.deepEqual(onePolicy('ALLOW', p).evaluate(miss), { allowed: false, matchedPolicy: undefined, logHint: undefined });
  assert.deepEqual(onePolicy('DENY', p).evaluate(match), { allowed: false, matchedPolicy: 'p', logHint: undefined });
  assert.deepEqual(onePolicy('DENY', p).evaluate(miss), { allowed: true, matchedPolicy: undefined, logHint: undefined });
  assert.deepEqual(onePolicy('LOG', p).evaluate(match), { allowed: true, matchedPolicy: 'p', logHint: true });
  assert.deepEqual(onePolicy('LOG', p).evaluate(miss), { allowed: true, matchedPolicy: undefined, logHint: false });
});

test('rbac actions: no policies — ALLOW denies everything, DENY allows everything; action defaults to ALLOW', () => {
  assert.equal(engine({ action: 'ALLOW', policies: {} }).evaluate(attrs()).allowed, false);
  assert.equal(engine({ action: 'DENY' }).evaluate(attrs()).allowed, true);
  assert.equal(engine({}).action, 'ALLOW');
});

test('rbac policies: evaluated in lexicographic order of name; a policy needs a permission AND a principal', () => {
  const e = engine({
    action: 'DENY',
    policies: {
      zeta: { permissions: [{ any: true }], principals: [{ any: true }] },
      alpha: { permissions: [{ url_path: { path: { prefix: '/a' } } }], principals: [{ any: true }] },
      beta: { permissions: [{ any: true }], principals: [{ remote_ip: { address_prefix: '1.2.3.4', prefix_len: 32 } }] },
    },
  });
  assert.equal(e.evaluate(attrs({ request: req({ path: '/a/x' }) })).matchedPolicy, 'alpha');
  assert.equal(e.evaluate(attrs({ request: req({ path: '/b' }) })).matchedPolicy, 'zeta');
  assert.equal(e.evaluate(attrs({ request: req({ path: '/b' }), remoteIp: '1.2.3.4' })).matchedPolicy, 'beta');
  // permission matches but no principal does -> the policy does not match
  const both = engine({ action: 'ALLOW', policies: { p: { permissions: [{ any: true }], principals: [{ header: { name: 'x-user', present_match: true } }] } } });
  assert.equal(both.evaluate(attrs()).allowed, false);
  assert.equal(both.evaluate(attrs({ request: req({ headers: { 'x-user': 'a' } }) })).allowed, true);
});

test('rbac permission header: pseudo-headers :method, :path (with query), :authority; joined values; invert', () => {
  assert.equal(perm({ header: { name: ':method', string_match: { exact: 'GET' } } }), true);
  assert.equal(perm({ header: { name: ':path', string_match: { exact: '/a?x=1' } } }, attrs({ request: req({ path: '/a?x=1' }) })), true);
  assert.equal(perm({ header: { name: ':path', string_match: { exact: '/a' } } }, attrs({ request: req({ path: '/a?x=1' }) })), false);
  assert.equal(perm({ header: { name: ':authority', string_match: { suffix: '.com' } } }), true);
  const multi = attrs({ request: req({ headers: { 'x-role': ['a', 'b'] } }) });
  assert.equal(perm({ header: { name: 'x-role', string_match: { exact: 'a,b' } } }, multi), true);
  assert.equal(perm({ header: { name: 'x-role', exact_match: 'a' } }, multi), false);
  assert.equal(perm({ header: { name: 'x-role', present_match: true, invert_match: true } }), true);
  assert.equal(perm({ header: { name: 'x-role', present_match: true, invert_match: true } }, multi), false);
  assert.equal(perm({ header: { name: 'x-n', range_match: { start: 1, end: 5 } } }, attrs({ request: req({ headers: { 'x-n': '4' } }) })), true);
});

test('rbac permission url_path: the path without query and fragment; ignore_case', () => {
  const p = { url_path: { path: { exact: '/admin' } } };
  assert.equal(perm(p, attrs({ request: req({ path: '/admin?token=1' }) })), true);
  assert.equal(perm(p, attrs({ request: req({ path: '/admin#frag' }) })), true);
  assert.equal(perm(p, attrs({ request: req({ path: '/admin/x' }) })), false);
  assert.equal(perm({ url_path: { path: { prefix: '/ADMIN', ignore_case: true } } }, attrs({ request: req({ path: '/admin/x?y' }) })), true);
  assert.equal(perm({ url_path: { path: { safe_regex: { regex: '/v[0-9]+/.*' } } } }, attrs({ request: req({ path: '/v2/items?q' }) })), true);
});

test('rbac permission destination_ip / destination_port / destination_port_range', () => {
  assert.equal(perm({ destination_ip: { address_prefix: '192.168.0.0', prefix_len: 16 } }), true);
  assert.equal(perm({ destination_ip: { address_prefix: '192.168.2.0', prefix_len: 24 } }), false);
  assert.equal(perm({ destination_ip: { address_prefix: '::1', prefix_len: 128 } }, attrs({ destinationIp: '::1' })), true);
  assert.equal(perm({ destination_ip: { address_prefix: '127.0.0.1', prefix_len: 32 } }, attrs({ destinationIp: '::ffff:127.0.0.1' })), true);
  assert.equal(perm({ destination_port: 8080 }), true);
  assert.equal(perm({ destination_port: 80 }), false);
  assert.equal(perm({ destination_port_range: { start: 8000, end: 8080 } }), false, 'end is exclusive');
  assert.equal(perm({ destination_port_range: { start: 8080, end: 8081 } }), true);
});

test('rbac permission requested_server_name: the SNI, or "" without one', () => {
  assert.equal(perm({ requested_server_name: { exact: 'api.example.com' } }, attrs({ sni: 'api.example.com' })), true);
  assert.equal(perm({ requested_server_name: { exact: 'api.example.com' } }), false);
  assert.equal(perm({ requested_server_name: { exact: '' } }), true);
});

test('rbac permission metadata / sourced_metadata: the value at filter+path, by kind; invert', () => {
  const md = attrs({
    dynamicMetadata: {
      'envoy.filters.http.jwt_authn': { payload: { sub: 'alice', admin: true, level: 3, groups: ['dev', 'ops'], nothing: null, nested: { k: 'v' } } },
    },
  });
  const m = (path: string[], value: object, invert = false): object => ({
    metadata: { filter: 'envoy.filters.http.jwt_authn', path: path.map((key) => ({ key })), value, invert },
  });
  assert.equal(perm(m(['payload', 'sub'], { string_match: { exact: 'alice' } }), md), true);
  assert.equal(perm(m(['payload', 'sub'], { string_match: { exact: 'bob' } }), md), false);
  assert.equal(perm(m(['payload', 'sub'], { string_match: { exact: 'bob' } }, true), md), true);
  assert.equal(perm(m(['payload', 'admin'], { bool_match: true }), md), true);
  assert.equal(perm(m(['payload', 'admin'], { string_match: { exact: 'true' } }), md), false, 'kinds do not convert');
  assert.equal(perm(m(['payload', 'level'], { double_match: { exact: 3 } }), md), true);
  assert.equal(perm(m(['payload', 'level'], { double_match: { range: { start: 1, end: 3 } } }), md), false);
  assert.equal(perm(m(['payload', 'level'], { double_match: { range: { start: 3, end: 4 } } }), md), true);
  assert.equal(perm(m(['payload', 'nested'], { present_match: true }), md), true);
  assert.equal(perm(m(['payload', 'missing'], { present_match: true }), md), false);
  assert.equal(perm(m(['payload', 'missing'], { present_match: true }, true), md), true);
  assert.equal(perm(m(['payload', 'sub', 'deeper'], { present_match: true }), md), false, 'a string has no keys');
  assert.equal(perm(m(['payload', 'nothing'], { null_match: {} }), md), true);
  assert.equal(perm(m(['payload', 'missing'], { null_match: {} }), md), false);
  assert.equal(perm(m(['payload', 'groups'], { list_match: { one_of: { string_match: { exact: 'ops' } } } }), md), true);
  assert.equal(perm(m(['payload', 'groups'], { or_match: { value_matchers: [{ bool_match: true }, { list_match: { one_of: { string_match: { prefix: 'd' } } } }] } }), md), true);
  assert.equal(perm(m(['payload', 'sub'], { string_match: { exact: 'alice' } })), false, 'no dynamic metadata');
  const sourced = { sourced_metadata: { metadata_matcher: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key: 'sub' }], value: { string_match: { prefix: 'al' } } } } };
  assert.equal(perm(sourced, md), true);
  assert.equal(princ({ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key: 'admin' }], value: { bool_match: true } } }, md), true);
});

test('rbac and_rules / or_rules / not_rule nest', () => {
  const post = attrs({ request: req({ method: 'POST', path: '/admin/x' }) });
  const get = attrs({ request: req({ method: 'GET', path: '/admin/x' }) });
  const rule = {
    and_rules: {
      rules: [
        { url_path: { path: { prefix: '/admin' } } },
        { not_rule: { or_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'GET' } } }, { header: { name: ':method', string_match: { exact: 'HEAD' } } }] } } },
      ],
    },
  };
  assert.equal(perm(rule, post), true);
  assert.equal(perm(rule, get), false);
  assert.equal(perm({ not_rule: { not_rule: rule } }, post), true);
  assert.equal(perm({ or_rules: { rules: [{ destination_port: 1 }, rule] } }, post), true);
  assert.equal(perm({ and_rules: { rules: [{ destination_port: 1 }, rule] } }, post), false);
});

test('rbac principal authenticated: TLS only; principal_name against URI SANs, then DNS SANs, then the subject', () => {
  const plain = attrs();
  const tlsNoCert = attrs({ tls: { peerUriSans: [] } });
  const spiffe = attrs({ tls: { peerUriSans: ['spiffe://cluster.local/ns/default/sa/web'], peerSubject: 'CN=web,O=acme' } });
  const dns = attrs({ tls: { peerUriSans: [], peerDnsSans: ['web.acme.internal'], peerSubject: 'CN=other' } });
  assert.equal(princ({ authenticated: {} }, plain), false);
  assert.equal(princ({ authenticated: {} }, tlsNoCert), true);
  const byUri = { authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/default/sa/web' } } };
  assert.equal(princ(byUri, spiffe), true);
  assert.equal(princ(byUri, plain), false);
  assert.equal(princ(byUri, tlsNoCert), false);
  assert.equal(princ({ authenticated: { principal_name: { exact: 'CN=web,O=acme' } } }, spiffe), true, 'subject after the SANs');
  assert.equal(princ({ authenticated: { principal_name: { suffix: '.acme.internal' } } }, dns), true);
  assert.equal(princ({ authenticated: { principal_name: { exact: '' } } }, tlsNoCert), true, 'no certificate: empty subject');
});

test('rbac principal source_ip / direct_remote_ip / remote_ip read different addresses', () => {
  const a = attrs({ sourceIp: '10.1.1.1', directRemoteIp: '10.2.2.2', remoteIp: '203.0.113.9' });
  const cidr = (ip: string, len: number): object => ({ address_prefix: ip, prefix_len: len });
  assert.equal(princ({ source_ip: cidr('10.1.0.0', 16) }, a), true);
  assert.equal(princ({ direct_remote_ip: cidr('10.1.0.0', 16) }, a), false);
  assert.equal(princ({ direct_remote_ip: cidr('10.2.0.0', 16) }, a), true);
  assert.equal(princ({ remote_ip: cidr('203.0.113.0', 24) }, a), true);
  assert.equal(princ({ remote_ip: cidr('10.0.0.0', 8) }, a), false);
  assert.equal(princ({ remote_ip: cidr('0.0.0.0', 0) }, a), true, 'prefix_len 0 matches every IPv4 address');
  assert.equal(princ({ remote_ip: cidr('0.0.0.0', 0) }, attrs({ remoteIp: '::1' })), false, 'but not IPv6');
  assert.equal(princ({ remote_ip: cidr('10.0.0.0', 8) }, attrs({ remoteIp: 'not-an-ip' })), false);
});

test('rbac principal header / url_path / and_ids / or_ids / not_id', () => {
  const a = attrs({ request: req({ path: '/p?q', headers: { 'x-team': 'red' } }) });
  assert.equal(princ({ header: { name: 'x-team', string_match: { exact: 'red' } } }, a), true);
  assert.equal(princ({ url_path: { path: { exact: '/p' } } }, a), true);
  assert.equal(princ({ and_ids: { ids: [{ any: true }, { not_id: { header: { name: 'x-team', present_match: true } } }] } }, a), false);
  assert.equal(princ({ or_ids: { ids: [{ not_id: { any: true } }, { url_path: { path: { prefix: '/' } } }] } }, a), true);
  assert.equal(princ({ not_id: { not_id: { any: true } } }, a), true);
});

test('rbac without a request (network RBAC): headers are an empty map, url_path never matches', () => {
  const l4 = attrs({ request: undefined });
  assert.equal(perm({ header: { name: ':method', string_match: { exact: 'GET' } } }, l4), false);
  assert.equal(perm({ header: { name: 'x-a', present_match: true, invert_match: true } }, l4), true);
  assert.equal(perm({ header: { name: 'x-a', present_match: false } }, l4), true);
  assert.equal(perm({ url_path: { path: { prefix: '/' } } }, l4), false);
  assert.equal(princ({ url_path: { path: { prefix: '/' } } }, l4), false);
  assert.equal(perm({ destination_port: 8080 }, l4), true);
});

test('rbac denial details name the policy (whitespace -> _) or none', () => {
  assert.equal(rbacDeniedDetails('deny admin'), 'rbac_access_denied_matched_policy[deny_admin]');
  assert.equal(rbacDeniedDetails(undefined), 'rbac_access_denied_matched_policy[none]');
});
