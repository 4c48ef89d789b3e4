// Proxy HTTP: hop-by-hop and Connection-nominated header removal (RFC 9110 §7.6.1) in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionNominated, forwardRequestHeaders, forwardResponseHeaders } from '../../../src/proxy/http/hop-by-hop.js';

test('hop-by-hop: Connection tokens are parsed case-insensitively, empty list members ignored', () => {
  assert.equal(connectionNominated(undefined), null);
  assert.deepEqual([...(connectionNominated(' Close ,, X-Foo,x-bar ') ?? [])], ['close', 'x-foo', 'x-bar']);
  assert.deepEqual([...(connectionNominated(['a', 'B']) ?? [])], ['a', 'b']);
});

test('hop-by-hop: request fields nominated by Connection are dropped with the fixed hop-by-hop set', () => {
  const out = forwardRequestHeaders({
    connection: 'close, X-Foo',
    'x-foo': 'secret',
    'x-keep': '1',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    upgrade: 'foo',
    'transfer-encoding': 'chunked',
    'content-length': '5',
    host: 'a.example',
  });
  assert.deepEqual(out, { 'x-keep': '1' });
});

test('hop-by-hop: TE is reduced to "trailers" even when Connection nominates it', () => {
  assert.deepEqual(forwardRequestHeaders({ connection: 'TE', te: 'trailers, deflate;q=0.5' }), { te: 'trailers' });
  assert.deepEqual(forwardRequestHeaders({ te: 'deflate' }), {});
  assert.deepEqual(forwardRequestHeaders({ te: 'x-trailers-not' }), {}, 'a token containing "trailers" is not "trailers"');
});

test('hop-by-hop: response fields nominated by Connection are dropped, content-length is kept', () => {
  const out = forwardResponseHeaders({ connection: 'x-bar, content-length', 'x-bar': '1', 'content-length': '10', 'x-keep': 'y', 'keep-alive': 'x', 'set-cookie': ['a', 'b'] });
  assert.deepEqual(out, { 'content-length': '10', 'x-keep': 'y', 'set-cookie': ['a', 'b'] });
});
