// Test: path/host rewrites and redirect Location computation (examples from Envoy's route docs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable } from '../../../src/proxy/router/index.js';
import type { RedirectAction, Route, RouteAction, RouteMatch } from '../../../src/proxy/config/types.js';
import type { CompiledRouteAction, RouteRequest } from '../../../src/proxy/router/types.js';
import { rc, req, route, vhost } from './fixtures.js';

function actionFor(m: Partial<RouteMatch>, a: Partial<RouteAction>, path: string): CompiledRouteAction {
  const t = compileRouteTable(rc({ virtual_hosts: [vhost({ routes: [route({ m, a })] })] }));
  const act = t.match(req({ path }))?.route.action;
  if (act?.kind !== 'route') throw new Error(`no route action for ${path}`);
  return act.route;
}

function routeAction(m: Partial<RouteMatch>, a: Partial<RouteAction>): CompiledRouteAction {
  return actionFor(m, a, '/');
}

function rewrite(m: Partial<RouteMatch>, a: Partial<RouteAction>, path: string): string {
  return actionFor(m, a, path).rewritePath(path);
}

test('prefix_rewrite replaces the matched prefix and keeps the query', () => {
  const m = { path_specifier: { kind: 'prefix', value: '/v1' } } as const;
  assert.equal(rewrite(m, { prefix_rewrite: '/v2' }, '/v1/users?x=1'), '/v2/users?x=1');
  assert.equal(rewrite(m, { prefix_rewrite: '/' }, '/v1'), '/');
  // Case-insensitive routes replace the request's own characters.
  assert.equal(rewrite({ ...m, case_sensitive: false }, { prefix_rewrite: '/v2' }, '/V1/a'), '/v2/a');
});

test('prefix_rewrite on path and path_separated_prefix routes', () => {
  assert.equal(rewrite({ path_specifier: { kind: 'path', value: '/old' } }, { prefix_rewrite: '/new' }, '/old?q=1'), '/new?q=1');
  const sep = { path_specifier: { kind: 'path_separated_prefix', value: '/api/dev' } } as const;
  assert.equal(rewrite(sep, { prefix_rewrite: '/x' }, '/api/dev/v1?a'), '/x/v1?a');
  assert.equal(rewrite(sep, { prefix_rewrite: '/x' }, '/api/dev'), '/x');
});

test('prefix_rewrite on a regex route replaces the whole path but keeps the query', () => {
  assert.equal(rewrite({ path_specifier: { kind: 'safe_regex', regex: '/a/.*' } }, { prefix_rewrite: '/b' }, '/a/c?d'), '/b?d');
});

test('regex_rewrite: Envoy doc examples', () => {
  const all = { path_specifier: { kind: 'prefix', value: '/' } } as const;
  const rr = (pattern: string, substitution: string, p: string) => rewrite(all, { regex_rewrite: { pattern, substitution } }, p);
  assert.equal(rr('^/service/([^/]+)(/.*)$', '\\2/instance/\\1', '/service/foo/v1/api'), '/v1/api/instance/foo');
  assert.equal(rr('one', 'two', '/xxx/one/yyy/one/zzz'), '/xxx/two/yyy/two/zzz');
  assert.equal(rr('^(.*?)one(.*)$', '\\1two\\2', '/xxx/one/yyy/one/zzz'), '/xxx/two/yyy/one/zzz');
  assert.equal(rr('(?i)/xxx/', '/yyy/', '/aaa/XxX/bbb'), '/aaa/yyy/bbb');
  // Query is preserved and not part of the subject; $ and a digit after a group are literal.
  assert.equal(rr('^/a/(\\d+)$', '/b/\\12$', '/a/7?x=/a/1'), '/b/72$?x=/a/1');
  // RE2::GlobalReplace: no second, empty match where `.*` ended (JS's replace would give "/b/b").
  assert.equal(rr('.*', '/b', '/a?q'), '/b?q');
  assert.equal(rr('a*', '-', '/baa'), '-/-b-');
  // Linear time on a pattern that backtracks exponentially in JS.
  const t0 = performance.now();
  assert.equal(rr('(a+)+$', 'x', `/${'a'.repeat(40)}!`), `/${'a'.repeat(40)}!`);
  assert.ok(performance.now() - t0 < 100, `took ${performance.now() - t0} ms`);
});

test('host rewrites: literal, header, path_regex, auto', () => {
  const lit = routeAction({}, { host_rewrite: { kind: 'literal', value: 'up.internal' } });
  assert.equal(lit.rewriteHost(req()), 'up.internal');
  assert.equal(lit.autoHostRewrite, false);
  const hdr = routeAction({}, { host_rewrite: { kind: 'header', header: 'X-Host' } });
  assert.equal(hdr.rewriteHost(req({ headers: { 'x-host': 'h.example' } })), 'h.example');
  assert.equal(hdr.rewriteHost(req({ headers: { 'x-host': '' } })), undefined);
  assert.equal(hdr.rewriteHost(req()), undefined);
  const re = routeAction({}, { host_rewrite: { kind: 'path_regex', pattern: '^/([^/]+)/.+$', substitution: '\\1' } });
  assert.equal(re.rewriteHost(req({ path: '/envoyproxy.io/some/path?x=1' })), 'envoyproxy.io');
  // Envoy's doc example uses ^/(.+)/.+$ and claims envoyproxy.io, but RE2's greedy (.+) (like JS) takes envoyproxy.io/some.
  const doc = routeAction({}, { host_rewrite: { kind: 'path_regex', pattern: '^/(.+)/.+$', substitution: '\\1' } });
  assert.equal(doc.rewriteHost(req({ path: '/envoyproxy.io/some/path' })), 'envoyproxy.io/some');
  const auto = routeAction({}, { host_rewrite: { kind: 'auto' } });
  assert.equal(auto.autoHostRewrite, true);
  assert.equal(auto.rewriteHost(req()), undefined);
  assert.equal(routeAction({}, {}).rewriteHost(req()), undefined);
});

function redirect(routes: Route[], r: Partial<RouteRequest>): { location: string; status: number } {
  const t = compileRouteTable(rc({ virtual_hosts: [vhost({ routes })] }));
  const a = t.match(req(r))!.route.action;
  if (a.kind !== 'redirect') throw new Error('not a redirect');
  return { location: a.location(req(r)), status: a.status };
}

function rd(d: Partial<RedirectAction>, m: Partial<RouteMatch> = {}): Route {
  return route({ m, action: { kind: 'redirect', redirect: { https_redirect: false, response_code: 301, strip_query: false, ...d } } });
}

test('https_redirect keeps host and path, drops :80 but keeps other ports', () => {
  assert.deepEqual(redirect([rd({ https_redirect: true })], { authority: 'example.com', path: '/foo?x=1' }), {
    location: 'https://example.com/foo?x=1',
    status: 301,
  });
  assert.equal(redirect([rd({ https_redirect: true })], { authority: 'example.com:80', path: '/a' }).location, 'https://example.com/a');
  assert.equal(redirect([rd({ https_redirect: true })], { authority: 'example.com:8080', path: '/a' }).location, 'https://example.com:8080/a');
  assert.equal(
    redirect([rd({ scheme_redirect: 'http' })], { authority: 'example.com:443', path: '/a', scheme: 'https' }).location,
    'http://example.com/a',
  );
  assert.equal(redirect([rd({ https_redirect: true })], { authority: '[::1]:80', path: '/a' }).location, 'https://[::1]/a');
});

test('host, port, path redirects and strip_query', () => {
  assert.equal(redirect([rd({ host_redirect: 'new.com' })], { authority: 'old.com:8080', path: '/a' }).location, 'http://new.com/a');
  assert.equal(redirect([rd({ port_redirect: 8443 })], { authority: 'old.com:80', path: '/a' }).location, 'http://old.com:8443/a');
  assert.equal(
    redirect([rd({ host_redirect: 'new.com', port_redirect: 8443, response_code: 302 })], { path: '/a' }).location,
    'http://new.com:8443/a',
  );
  assert.equal(redirect([rd({ path_redirect: '/new' })], { path: '/old?x=1' }).location, 'http://example.com/new?x=1');
  assert.equal(redirect([rd({ path_redirect: '/new', strip_query: true })], { path: '/old?x=1' }).location, 'http://example.com/new');
  // A query in path_redirect replaces the request's and survives strip_query.
  assert.equal(redirect([rd({ path_redirect: '/new?y=2', strip_query: true })], { path: '/old?x=1' }).location, 'http://example.com/new?y=2');
  assert.equal(redirect([rd({ strip_query: true })], { path: '/keep?x=1' }).location, 'http://example.com/keep');
  assert.equal(redirect([rd({ response_code: 308 })], { path: '/a' }).status, 308);
});

test('redirect prefix_rewrite: Envoy doc example', () => {
  const routes = [
    rd({ prefix_rewrite: '/' }, { path_specifier: { kind: 'prefix', value: '/prefix/' } }),
    rd({ prefix_rewrite: '/' }, { path_specifier: { kind: 'prefix', value: '/prefix' } }),
  ];
  assert.equal(redirect(routes, { path: '/prefix' }).location, 'http://example.com/');
  assert.equal(redirect(routes, { path: '/prefix/etc?q' }).location, 'http://example.com/etc?q');
});

test('redirect regex_rewrite keeps the query unless stripped', () => {
  const r = rd({ regex_rewrite: { pattern: '^/old/(.*)$', substitution: '/new/\\1' } });
  assert.equal(redirect([r], { path: '/old/x?y=1' }).location, 'http://example.com/new/x?y=1');
  const s = rd({ regex_rewrite: { pattern: '^/old/(.*)$', substitution: '/new/\\1' }, strip_query: true });
  assert.equal(redirect([s], { path: '/old/x?y=1' }).location, 'http://example.com/new/x');
});

test('direct_response', () => {
  const t = compileRouteTable(
    rc({ virtual_hosts: [vhost({ routes: [route({ action: { kind: 'direct_response', direct_response: { status: 418, body: 'teapot' } } })] })] }),
  );
  assert.deepEqual(t.match(req())!.route.action, { kind: 'direct_response', status: 418, body: 'teapot' });
});
