// Test: route matching — path specifiers, case sensitivity, headers, query parameters, grpc, runtime fraction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable, splitPath } from '../../../src/proxy/router/index.js';
import type { HeaderMatcher, Route, RouteMatch } from '../../../src/proxy/config/types.js';
import type { RouteRequest } from '../../../src/proxy/router/types.js';
import { rc, req, route, vhost } from './fixtures.js';

function tableOf(routes: Route[], random?: () => number) {
  return compileRouteTable(rc({ virtual_hosts: [vhost({ routes })] }), random ? { random } : undefined);
}

function matches(m: Partial<RouteMatch>, r: Partial<RouteRequest>): boolean {
  return tableOf([route({ name: 'r', m })]).match(req(r)) !== null;
}

function hm(h: Partial<HeaderMatcher> & { name: string }): HeaderMatcher {
  return { invert_match: false, treat_missing_header_as_empty: false, ...h };
}

test('splitPath', () => {
  assert.deepEqual(splitPath('/a/b?x=1&y'), { path: '/a/b', query: 'x=1&y' });
  assert.deepEqual(splitPath('/a'), { path: '/a', query: '' });
});

test('first matching route wins, in order', () => {
  const t = tableOf([
    route({ name: 'api', m: { path_specifier: { kind: 'prefix', value: '/api' } } }),
    route({ name: 'all', m: { path_specifier: { kind: 'prefix', value: '/' } } }),
    route({ name: 'never', m: { path_specifier: { kind: 'prefix', value: '/api/v2' } } }),
  ]);
  assert.equal(t.match(req({ path: '/api/v2/x' }))?.route.name, 'api');
  assert.equal(t.match(req({ path: '/web' }))?.route.name, 'all');
});

test('prefix and path ignore the query string', () => {
  const prefix = { path_specifier: { kind: 'prefix', value: '/foo' } } as const;
  assert.ok(matches(prefix, { path: '/foobar?x' }));
  assert.ok(!matches({ path_specifier: { kind: 'prefix', value: '/foo?x' } }, { path: '/foo?x' }));
  const exact = { path_specifier: { kind: 'path', value: '/foo' } } as const;
  assert.ok(matches(exact, { path: '/foo' }));
  assert.ok(matches(exact, { path: '/foo?a=b' }));
  assert.ok(!matches(exact, { path: '/foo/' }));
  assert.ok(!matches(exact, { path: '/fo' }));
});

test('case_sensitive: false folds ASCII for prefix and path', () => {
  assert.ok(!matches({ path_specifier: { kind: 'prefix', value: '/API' } }, { path: '/api/x' }));
  assert.ok(matches({ path_specifier: { kind: 'prefix', value: '/API' }, case_sensitive: false }, { path: '/api/x' }));
  assert.ok(matches({ path_specifier: { kind: 'path', value: '/Foo' }, case_sensitive: false }, { path: '/fOO?q' }));
  assert.ok(!matches({ path_specifier: { kind: 'path', value: '/Foo' }, case_sensitive: false }, { path: '/fOOo' }));
});

test('safe_regex is a full match on the path without query', () => {
  const m = { path_specifier: { kind: 'safe_regex', regex: '/b[io]t' } } as const;
  assert.ok(matches(m, { path: '/bit' }));
  assert.ok(matches(m, { path: '/bot?x=1' }));
  assert.ok(!matches(m, { path: '/bitx' }));
  assert.ok(!matches(m, { path: '/x/bit' }));
  // RE2 syntax: named groups, a leading (?i), \z.
  assert.ok(matches({ path_specifier: { kind: 'safe_regex', regex: '(?i)/(?P<n>[a-z]+)' } }, { path: '/ABC' }));
  assert.ok(matches({ path_specifier: { kind: 'safe_regex', regex: '/a\\z' } }, { path: '/a' }));
});

test('path_separated_prefix matches the prefix exactly or followed by /', () => {
  const m = { path_specifier: { kind: 'path_separated_prefix', value: '/api/dev' } } as const;
  for (const p of ['/api/dev', '/api/dev/', '/api/dev/v1', '/api/dev?param=true']) assert.ok(matches(m, { path: p }), p);
  assert.ok(!matches(m, { path: '/api/developer' }));
  assert.ok(!matches(m, { path: '/api/de' }));
});

test('header string matchers: exact/prefix/suffix/contains/regex, ignore_case', () => {
  const h = (sm: NonNullable<HeaderMatcher['string_match']>, v: string | string[] | undefined) =>
    matches({ headers: [hm({ name: 'x-a', string_match: sm })] }, { headers: { 'x-a': v } });
  assert.ok(h({ kind: 'exact', value: 'Foo', ignore_case: false }, 'Foo'));
  assert.ok(!h({ kind: 'exact', value: 'Foo', ignore_case: false }, 'foo'));
  assert.ok(h({ kind: 'exact', value: 'Foo', ignore_case: true }, 'fOO'));
  assert.ok(h({ kind: 'prefix', value: 'ab', ignore_case: false }, 'abcd'));
  assert.ok(h({ kind: 'prefix', value: 'AB', ignore_case: true }, 'abcd'));
  assert.ok(h({ kind: 'suffix', value: 'cd', ignore_case: false }, 'abcd'));
  assert.ok(!h({ kind: 'suffix', value: 'CD', ignore_case: false }, 'abcd'));
  assert.ok(h({ kind: 'suffix', value: 'CD', ignore_case: true }, 'abcd'));
  assert.ok(h({ kind: 'contains', value: 'bc', ignore_case: false }, 'abcd'));
  assert.ok(h({ kind: 'contains', value: 'BC', ignore_case: true }, 'aBcd'));
  assert.ok(h({ kind: 'safe_regex', regex: '\\d{3}', ignore_case: false }, '123'));
  assert.ok(!h({ kind: 'safe_regex', regex: '\\d{3}', ignore_case: false }, '1234'));
  assert.ok(!h({ kind: 'exact', value: 'x', ignore_case: false }, undefined));
  // Multiple values are joined with ',' before matching.
  assert.ok(h({ kind: 'exact', value: 'a,b', ignore_case: false }, ['a', 'b']));
});

test('invert_match and missing headers', () => {
  const sm = { kind: 'safe_regex', regex: '\\d{3}', ignore_case: false } as const;
  assert.ok(matches({ headers: [hm({ name: 'x', string_match: sm, invert_match: true })] }, { headers: { x: '1234' } }));
  assert.ok(!matches({ headers: [hm({ name: 'x', string_match: sm, invert_match: true })] }, { headers: { x: '123' } }));
  // A missing header is ignored (no match), even when inverted…
  assert.ok(!matches({ headers: [hm({ name: 'x', string_match: sm, invert_match: true })] }, { headers: {} }));
  // …unless treat_missing_header_as_empty: '' does not match \d{3}, so the inverted rule matches.
  assert.ok(
    matches({ headers: [hm({ name: 'x', string_match: sm, invert_match: true, treat_missing_header_as_empty: true })] }, {}),
  );
  const empty = { kind: 'safe_regex', regex: '^$', ignore_case: false } as const;
  assert.ok(matches({ headers: [hm({ name: 'x', string_match: empty, treat_missing_header_as_empty: true })] }, {}));
});

test('present_match and the default present match', () => {
  const present = (p: boolean | undefined, inv: boolean, v: string | undefined) =>
    matches({ headers: [hm({ name: 'x', ...(p === undefined ? {} : { present_match: p }), invert_match: inv })] }, { headers: { x: v } });
  assert.ok(present(true, false, 'v'));
  assert.ok(!present(true, false, undefined));
  assert.ok(present(false, false, undefined));
  assert.ok(!present(false, false, 'v'));
  assert.ok(present(true, true, undefined));
  assert.ok(!present(true, true, 'v'));
  assert.ok(present(undefined, false, ''));
  assert.ok(!present(undefined, false, undefined));
});

test('range_match is [start, end) over base-10 integers', () => {
  const r = (v: string) => matches({ headers: [hm({ name: 'x', range_match: { start: -10, end: 0 } })] }, { headers: { x: v } });
  assert.ok(r('-1'));
  assert.ok(r('-10'));
  assert.ok(!r('0'));
  assert.ok(!r('somestring'));
  assert.ok(!r('-1.5'));
  assert.ok(!r('-1somestring'));
  assert.ok(!r(''));
  assert.ok(!matches({ headers: [hm({ name: 'x', range_match: { start: -10, end: 0 }, invert_match: true })] }, { headers: { x: '-1' } }));
});

test('pseudo-headers :method, :authority and :path can be matched', () => {
  const post = { kind: 'exact', value: 'POST', ignore_case: false } as const;
  assert.ok(matches({ headers: [hm({ name: ':method', string_match: post })] }, { method: 'POST' }));
  assert.ok(!matches({ headers: [hm({ name: ':method', string_match: post })] }, { method: 'GET' }));
  const host = { kind: 'suffix', value: '.com', ignore_case: false } as const;
  assert.ok(matches({ headers: [hm({ name: ':authority', string_match: host })] }, { authority: 'a.com' }));
});

test('query parameters: string_match on decoded value, present_match', () => {
  const q = (qp: RouteMatch['query_parameters'], path: string) => matches({ query_parameters: qp }, { path });
  const exact = { kind: 'exact', value: 'a b', ignore_case: false } as const;
  assert.ok(q([{ name: 'v', string_match: exact }], '/x?u=1&v=a%20b'));
  assert.ok(!q([{ name: 'v', string_match: exact }], '/x?v=ab'));
  assert.ok(!q([{ name: 'v', string_match: exact }], '/x'));
  assert.ok(q([{ name: 'debug', present_match: true }], '/x?debug'));
  assert.ok(q([{ name: 'debug', present_match: true }], '/x?a=1&debug=0'));
  assert.ok(!q([{ name: 'debug', present_match: true }], '/x?debugger=1'));
  assert.ok(q([{ name: 'debug' }], '/x?debug=1'));
  // First value counts.
  assert.ok(q([{ name: 'v', string_match: { kind: 'exact', value: '1', ignore_case: false } }], '/x?v=1&v=2'));
  assert.ok(q([{ name: 'a b', present_match: true }], '/x?a%20b=1'));
});

test('grpc: only application/grpc and application/grpc+codec', () => {
  assert.ok(matches({ grpc: true }, { headers: { 'content-type': 'application/grpc' } }));
  assert.ok(matches({ grpc: true }, { headers: { 'content-type': 'application/grpc+proto' } }));
  assert.ok(!matches({ grpc: true }, { headers: { 'content-type': 'application/grpc-web' } }));
  assert.ok(!matches({ grpc: true }, { headers: { 'content-type': 'application/json' } }));
  assert.ok(!matches({ grpc: true }, {}));
});

test('runtime_fraction draws once per request against the fraction', () => {
  let v = 0.3;
  const t = tableOf(
    [
      route({ name: 'quarter', m: { runtime_fraction: { fraction: 0.25 } } }),
      route({ name: 'half', m: { runtime_fraction: { fraction: 0.5 } } }),
      route({ name: 'rest' }),
    ],
    () => v,
  );
  assert.equal(t.match(req())?.route.name, 'half');
  v = 0.1;
  assert.equal(t.match(req())?.route.name, 'quarter');
  v = 0.7;
  assert.equal(t.match(req())?.route.name, 'rest');
});

test('invalid regexes are compile errors naming the field', async () => {
  const { tryCompileRouteTable } = await import('../../../src/proxy/router/index.js');
  const r = tryCompileRouteTable(rc({ virtual_hosts: [vhost({ routes: [route({ m: { path_specifier: { kind: 'safe_regex', regex: '(' } } })] })] }));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errors[0]!.path, 'virtual_hosts[0].routes[0].match.safe_regex.regex');
  // RE2 has no back-references: refused even though JS RegExp would run it.
  const br = tryCompileRouteTable(rc({ virtual_hosts: [vhost({ routes: [route({ m: { path_specifier: { kind: 'safe_regex', regex: '/(a)\\1' } } })] })] }));
  assert.equal(br.ok, false);
  if (!br.ok) assert.match(br.errors[0]!.message, /^invalid RE2 regex "\/\(a\)\\\\1": .*back-references/);
});

test('a catastrophic safe_regex header matcher answers in linear time', () => {
  const t = tableOf([
    route({ name: 'evil', m: { headers: [hm({ name: 'x-a', string_match: { kind: 'safe_regex', regex: '^(a+)+$', ignore_case: false } })] } }),
    route({ name: 'rest' }),
  ]);
  const t0 = performance.now();
  assert.equal(t.match(req({ headers: { 'x-a': `${'a'.repeat(40)}!` } }))?.route.name, 'rest');
  assert.ok(performance.now() - t0 < 100, `took ${performance.now() - t0} ms`);
  assert.equal(t.match(req({ headers: { 'x-a': 'a'.repeat(40) } }))?.route.name, 'evil');
});
