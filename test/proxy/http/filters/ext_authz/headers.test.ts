// Proxy HTTP: ext_authz header allow-listing — what the check carries, and which service headers go where (HTTP service).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HeaderKeyMatcher, checkHeaderMap, type RequestView } from '../../../../../src/proxy/http/filters/ext_authz/check-request.js';
import { HttpServiceConfig } from '../../../../../src/proxy/http/filters/ext_authz/http-service.js';
import type { HttpAuthzService } from '../../../../../src/proxy/http/filters/ext_authz/types.js';
import type { HeaderFormatContext } from '../../../../../src/proxy/router/types.js';

const REQ: RequestView = {
  method: 'POST',
  path: '/a/b?c=d',
  authority: 'shop.example',
  scheme: 'https',
  headers: { host: 'shop.example', authorization: 'Bearer x', cookie: ['a=1', 'b=2'], 'x-user': 'u', 'x-envoy-auth-partial-body': 'forged', connection: 'keep-alive' },
};
const FMT: HeaderFormatContext = { downstreamRemoteAddress: '10.0.0.9:1234', downstreamLocalAddress: '10.0.0.1:80', requestHeaders: {}, protocol: 'HTTP/1.1' };
const exact = (...names: string[]) => names.map((value) => ({ kind: 'exact' as const, value, ignore_case: false }));

function service(over: Partial<HttpAuthzService> = {}): HttpAuthzService {
  return { kind: 'http', server_uri: { uri: 'http://a', cluster: 'authz', timeout: 100 }, path_prefix: '', headers_to_add: [], ...over };
}

test('check header map: pseudo-headers first, repeats joined with ",", host and a client partial-body header never sent', () => {
  const all = checkHeaderMap(REQ, undefined, undefined);
  assert.deepEqual(Object.keys(all).slice(0, 4), [':authority', ':method', ':path', ':scheme']);
  assert.equal(all[':path'], '/a/b?c=d');
  assert.equal(all.cookie, 'a=1,b=2');
  assert.equal(all.host, undefined);
  assert.equal(all['x-envoy-auth-partial-body'], undefined);
  assert.equal(all['x-user'], 'u');
});

test('check header map: allowed_headers keeps only matches; disallowed_headers wins over allowed', () => {
  const allow = new HeaderKeyMatcher([{ kind: 'prefix', value: 'x-', ignore_case: false }, ...exact('authorization')]);
  assert.deepEqual(checkHeaderMap(REQ, allow, undefined), { authorization: 'Bearer x', 'x-user': 'u' });
  const deny = new HeaderKeyMatcher(exact('authorization', ':path'));
  const m = checkHeaderMap(REQ, undefined, deny);
  assert.equal(m.authorization, undefined);
  assert.equal(m[':path'], undefined);
  assert.equal(checkHeaderMap(REQ, allow, deny).authorization, undefined);
});

test('check header map: property — every key it returns is allowed, not denied, and carries the request value', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  fc.assert(
    fc.property(fc.dictionary(name, fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 }))), fc.array(name, { maxLength: 4 }), fc.array(name, { maxLength: 4 }), (headers, allowed, denied) => {
      const allow = allowed.length > 0 ? new HeaderKeyMatcher(exact(...allowed)) : undefined;
      const deny = denied.length > 0 ? new HeaderKeyMatcher(exact(...denied)) : undefined;
      const out = checkHeaderMap({ ...REQ, headers }, allow, deny);
      for (const [k, v] of Object.entries(out)) {
        if (allow !== undefined) assert.ok(allowed.includes(k));
        assert.ok(!denied.includes(k));
        if (!k.startsWith(':')) {
          const src = headers[k];
          assert.equal(v, Array.isArray(src) ? src.join(',') : src);
        }
      }
    }),
  );
});

test('HTTP service request: same method, path_prefix + path, defaults (authorization, host) plus allow-listed headers, headers_to_add overwrites', () => {
  const cfg = new HttpServiceConfig(
    service({
      path_prefix: '/authz',
      allowed_headers: exact('x-user', 'connection'),
      headers_to_add: [{ header: { key: 'x-user', value: 'from-proxy %DOWNSTREAM_REMOTE_ADDRESS%' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', keep_empty_value: false }],
    }),
    undefined,
  );
  const headers = checkHeaderMap(REQ, cfg.requestHeaders, undefined);
  assert.deepEqual(Object.keys(headers).sort(), [':authority', ':method', ':path', 'authorization', 'connection', 'x-user']);
  const req = cfg.request(headers, undefined, FMT);
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/authz/a/b?c=d');
  assert.equal(req.authority, 'shop.example');
  assert.deepEqual(req.headers, { authorization: 'Bearer x', 'x-user': 'from-proxy 10.0.0.9:1234' }, 'hop-by-hop dropped, headers_to_add replaced the client value');
  assert.equal(req.body, undefined);
  assert.deepEqual(cfg.request(headers, Buffer.from('abc'), FMT).body, Buffer.from('abc'));
});

test('HTTP service answer: 200 allows with upstream (set / append), on-success client headers, metadata and headers-to-remove', () => {
  const cfg = new HttpServiceConfig(
    service({
      allowed_upstream_headers: exact('x-user'),
      allowed_upstream_headers_to_append: exact('x-tags'),
      allowed_client_headers_on_success: exact('x-trace'),
      dynamic_metadata_from_headers: exact('x-user'),
    }),
    undefined,
  );
  const r = cfg.answer({ status: 200, headers: { 'x-user': 'alice', 'x-tags': 't1', 'x-trace': 'abc', 'x-other': 'no', 'x-envoy-auth-headers-to-remove': 'Cookie, x-a', connection: 'close' }, body: Buffer.alloc(0), trailers: undefined });
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  assert.deepEqual(r.headersToSet, [['x-user', 'alice']]);
  assert.deepEqual(r.headersToAppend, [['x-tags', 't1']]);
  assert.deepEqual(r.responseHeadersToAdd, [['x-trace', 'abc']]);
  assert.deepEqual(r.headersToRemove, ['cookie', 'x-a']);
  assert.deepEqual(r.dynamicMetadata, { 'x-user': 'alice' });
});

test('HTTP service answer: other statuses deny — every header but host by default, else the list plus location / www-authenticate', () => {
  const res = { status: 302, headers: { location: '/login', host: 'authz', 'x-a': '1', 'set-cookie': ['s=1', 't=2'], 'content-length': '4', 'transfer-encoding': 'chunked' }, body: Buffer.from('gone'), trailers: undefined };
  const all = new HttpServiceConfig(service(), undefined).answer(res);
  assert.deepEqual(all, { kind: 'denied', status: 302, headers: [['location', '/login'], ['x-a', '1'], ['set-cookie', 's=1'], ['set-cookie', 't=2']], body: 'gone' });
  const listed = new HttpServiceConfig(service({ allowed_client_headers: exact('x-a') }), undefined).answer(res);
  assert.deepEqual(listed.kind === 'denied' && listed.headers, [['location', '/login'], ['x-a', '1']]);
  assert.equal(new HttpServiceConfig(service(), undefined).answer({ ...res, status: 503 }).kind, 'error');
});
