// Test: virtual host selection in Envoy's order (exact, longest *suffix, longest prefix*, '*'), ports, case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable } from '../../../src/proxy/router/index.js';
import { rc, req, route, vhost } from './fixtures.js';

const table = compileRouteTable(
  rc({
    virtual_hosts: [
      vhost({ name: 'any', domains: ['*'], routes: [route()] }),
      vhost({ name: 'exact', domains: ['www.foo.com'], routes: [route()] }),
      vhost({ name: 'suffix-short', domains: ['*.com'], routes: [route()] }),
      vhost({ name: 'suffix-long', domains: ['*.foo.com'], routes: [route()] }),
      vhost({ name: 'suffix-dash', domains: ['*-bar.foo.com'], routes: [route()] }),
      vhost({ name: 'prefix-short', domains: ['foo.*'], routes: [route()] }),
      vhost({ name: 'prefix-long', domains: ['foo.bar.*'], routes: [route()] }),
      vhost({ name: 'port', domains: ['reviews:9080', 'Reviews.Default'], routes: [route()] }),
      vhost({ name: 'empty', domains: ['no-routes.com'], routes: [] }),
    ],
  }),
);

function pick(authority: string): string | undefined {
  return table.match(req({ authority }))?.virtualHost.name;
}

test('exact domain wins over wildcards', () => {
  assert.equal(pick('www.foo.com'), 'exact');
});

test('longest suffix wildcard wins, and must cover at least one character', () => {
  assert.equal(pick('api.foo.com'), 'suffix-long');
  assert.equal(pick('x-bar.foo.com'), 'suffix-dash');
  assert.equal(pick('other.com'), 'suffix-short');
  assert.equal(pick('.foo.com'), 'suffix-short'); // '*' may not match the empty string
  assert.equal(pick('-bar.foo.com'), 'suffix-long');
});

test('suffix wildcards beat prefix wildcards; longest prefix wins', () => {
  assert.equal(pick('foo.com'), 'suffix-short');
  assert.equal(pick('foo.org'), 'prefix-short');
  assert.equal(pick('foo.bar.org'), 'prefix-long');
  assert.equal(pick('foo.'), 'any');
});

test('falls back to *', () => {
  assert.equal(pick('unknown.org'), 'any');
});

test('matching is case-insensitive on both sides', () => {
  assert.equal(pick('WWW.Foo.COM'), 'exact');
  assert.equal(pick('reviews.default'), 'port');
  assert.equal(pick('API.FOO.COM'), 'suffix-long');
});

test('domains with a port match only as written', () => {
  assert.equal(pick('reviews:9080'), 'port');
  assert.equal(pick('reviews'), 'any');
  assert.equal(pick('reviews:80'), 'any');
});

test('a matched virtual host without a matching route gives null, not another host', () => {
  assert.equal(table.match(req({ authority: 'no-routes.com' })), null);
});

test('no * host: unknown authority gives null', () => {
  const t = compileRouteTable(rc({ virtual_hosts: [vhost({ domains: ['a.com'], routes: [route()] })] }));
  assert.equal(t.match(req({ authority: 'b.com' })), null);
  assert.notEqual(t.match(req({ authority: 'a.com' })), null);
});

test('the match result is the same frozen object each time (no per-request allocation)', () => {
  const a = table.match(req({ authority: 'www.foo.com' }));
  const b = table.match(req({ authority: 'www.foo.com', path: '/other' }));
  assert.equal(a, b);
  assert.ok(Object.isFrozen(a));
});
