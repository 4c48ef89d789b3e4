// Test: RouteTable.trace — the router's own matching with reasons (what `trellis explain` prints), agreeing with match().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRouteTable } from '../../../src/proxy/router/index.js';
import { rc, req, route, vhost } from './fixtures.js';

const table = compileRouteTable(
  rc({
    virtual_hosts: [
      vhost({
        name: 'reviews',
        domains: ['reviews', 'reviews:9080'],
        routes: [
          route({ name: 'jason', m: { path_specifier: { kind: 'prefix', value: '/' }, headers: [{ name: 'end-user', invert_match: false, treat_missing_header_as_empty: false, string_match: { kind: 'exact', value: 'jason', ignore_case: false } }] } }),
          route({ name: 'api', m: { path_specifier: { kind: 'path', value: '/api' } } }),
          route({ name: 'canary', m: { path_specifier: { kind: 'prefix', value: '/' }, runtime_fraction: { fraction: 0.1, runtime_key: '' } } }),
          route({ name: 'rest', m: { path_specifier: { kind: 'prefix', value: '/' } } }),
          route({ name: 'after', m: { path_specifier: { kind: 'prefix', value: '/' } } }),
        ],
      }),
    ],
  }),
);

test('each route up to the one taken, with the first condition that failed', () => {
  const t = table.trace(req({ authority: 'reviews:9080', path: '/reviews/0', headers: { 'end-user': 'bob' } }));
  assert.equal(t.virtualHost?.name, 'reviews');
  assert.deepEqual(
    t.steps.map((s) => [s.route.name, s.mismatch, s.fraction]),
    [
      ['jason', 'header end-user does not match (end-user: "bob")', undefined],
      ['api', 'path "/reviews/0" is not path "/api"', undefined],
      ['canary', undefined, 0.1],
      ['rest', undefined, undefined],
    ],
  );
  assert.deepEqual(table.trace(req({ authority: 'ratings', path: '/' })), { steps: [] });
});

test('trace agrees with match: the first step without a mismatch or fraction is the route match() takes (property)', () => {
  const noCanary = compileRouteTable(rc({ virtual_hosts: [vhost({ name: 'v', domains: ['*'], routes: [route({ name: 'a', m: { path_specifier: { kind: 'prefix', value: '/a' } } }), route({ name: 'b', m: { path_specifier: { kind: 'path', value: '/b' } } })] })] }));
  fc.assert(
    fc.property(fc.constantFrom('/', '/a', '/ab', '/b', '/b?x', '/c', '/A'), (path) => {
      const r = req({ authority: 'x', path });
      const taken = noCanary.trace(r).steps.find((s) => s.mismatch === undefined)?.route.name;
      assert.equal(taken, noCanary.match(r)?.route.name);
    }),
  );
});
