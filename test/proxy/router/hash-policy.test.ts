// Test: hash_policy — determinism, each source, rotate-left-1 XOR combination, terminal, and the vhost fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable } from '../../../src/proxy/router/index.js';
import { xxhash64 } from '../../../src/common/hash.js';
import type { HashPolicy } from '../../../src/proxy/config/types.js';
import type { CompiledRouteAction } from '../../../src/proxy/router/types.js';
import { rc, req, route, vhost } from './fixtures.js';

const M64 = (1n << 64n) - 1n;
const rotl1 = (h: bigint) => ((h << 1n) | (h >> 63n)) & M64;

function hashAction(hp: HashPolicy[], vhHash: HashPolicy[] = []): CompiledRouteAction {
  const t = compileRouteTable(rc({ virtual_hosts: [vhost({ hash_policy: vhHash, routes: [route({ a: { hash_policy: hp } })] })] }));
  const a = t.match(req())!.route.action;
  if (a.kind !== 'route') throw new Error('not a route');
  return a.route;
}

const header = (name: string, terminal = false): HashPolicy => ({ policy: { kind: 'header', header_name: name }, terminal });
const cookie = (name: string): HashPolicy => ({ policy: { kind: 'cookie', name }, terminal: false });
const ip = (terminal = false): HashPolicy => ({ policy: { kind: 'connection_properties', source_ip: true }, terminal });
const query = (name: string): HashPolicy => ({ policy: { kind: 'query_parameter', name }, terminal: false });

test('single header policy is xxHash64 of the value; deterministic', () => {
  const a = hashAction([header('x-user')]);
  const r = req({ headers: { 'x-user': 'alice' } });
  assert.equal(a.hash(r, ''), xxhash64('alice'));
  assert.equal(a.hash(r, ''), a.hash(req({ headers: { 'x-user': 'alice' } }), '9.9.9.9'));
  assert.notEqual(a.hash(req({ headers: { 'x-user': 'bob' } }), ''), xxhash64('alice'));
  assert.equal(a.hash(req(), ''), undefined);
});

test('multi-valued headers hash independently of order', () => {
  const a = hashAction([header('x-k')]);
  assert.equal(a.hash(req({ headers: { 'x-k': ['b', 'a'] } }), ''), xxhash64('ab'));
  assert.equal(a.hash(req({ headers: { 'x-k': ['a', 'b'] } }), ''), xxhash64('ab'));
});

test(':authority and :path headers come from the request', () => {
  assert.equal(hashAction([header(':authority')]).hash(req({ authority: 'h.com' }), ''), xxhash64('h.com'));
  assert.equal(hashAction([header(':path')]).hash(req({ path: '/p?q' }), ''), xxhash64('/p?q'));
});

test('cookie, source ip and query parameter sources', () => {
  assert.equal(hashAction([cookie('sid')]).hash(req({ headers: { cookie: 'a=1; sid="xyz"; b=2' } }), ''), xxhash64('xyz'));
  assert.equal(hashAction([cookie('sid')]).hash(req({ headers: { cookie: ['a=1', 'sid=v'] } }), ''), xxhash64('v'));
  assert.equal(hashAction([cookie('sid')]).hash(req({ headers: { cookie: 'sidx=1' } }), ''), undefined);
  assert.equal(hashAction([ip()]).hash(req(), '10.0.0.1'), xxhash64('10.0.0.1'));
  assert.equal(hashAction([ip()]).hash(req(), ''), undefined);
  // Query values are hashed as sent (not decoded).
  assert.equal(hashAction([query('u')]).hash(req({ path: '/x?a=1&u=a%20b' }), ''), xxhash64('a%20b'));
  assert.equal(hashAction([query('u')]).hash(req({ path: '/x' }), ''), undefined);
});

test('policies combine as rotl1(previous) XOR next; missing values are skipped', () => {
  const a = hashAction([header('x-a'), header('x-b'), ip()]);
  const r = req({ headers: { 'x-a': 'A', 'x-b': 'B' } });
  const want = rotl1(rotl1(xxhash64('A')) ^ xxhash64('B')) ^ xxhash64('1.1.1.1');
  assert.equal(a.hash(r, '1.1.1.1'), want);
  // Same value twice does not cancel out.
  assert.notEqual(hashAction([header('x-a'), header('x-a')]).hash(r, ''), 0n);
  // Missing x-a: only x-b and ip contribute.
  assert.equal(a.hash(req({ headers: { 'x-b': 'B' } }), '1.1.1.1'), rotl1(xxhash64('B')) ^ xxhash64('1.1.1.1'));
});

test('terminal stops once a hash exists', () => {
  const a = hashAction([header('x-a', true), ip()]);
  assert.equal(a.hash(req({ headers: { 'x-a': 'A' } }), '1.1.1.1'), xxhash64('A'));
  // Terminal policy without a value does not stop evaluation.
  assert.equal(a.hash(req(), '1.1.1.1'), xxhash64('1.1.1.1'));
});

test('virtual host hash_policy applies when the route has none', () => {
  assert.equal(hashAction([], [ip()]).hash(req(), '2.2.2.2'), xxhash64('2.2.2.2'));
  assert.equal(hashAction([header('x-a')], [ip()]).hash(req(), '2.2.2.2'), undefined);
});
