// HTTP tests: the HCM's own header edits — host port stripping, via, add_user_agent, :scheme overwrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendVia, applyHeaderOptions, hcmHeaderOptions, stripHostPort } from '../../../src/proxy/http/hcm-headers.js';
import type { HttpConnectionManager } from '../../../src/proxy/config/types.js';
import type { HeaderMap } from '../../../src/proxy/router/types.js';

test('strip_any_host_port removes any numeric port; strip_matching_host_port only the listener port', () => {
  assert.equal(stripHostPort('example.com:8080', 'any', 10000), 'example.com');
  assert.equal(stripHostPort('example.com:8080', 'matching', 10000), 'example.com:8080');
  assert.equal(stripHostPort('example.com:10000', 'matching', 10000), 'example.com');
  assert.equal(stripHostPort('[::1]:443', 'any', 0), '[::1]');
  assert.equal(stripHostPort('::1', 'any', 0), '::1'); // a bare IPv6 address has no port
  assert.equal(stripHostPort('example.com:http', 'any', 0), 'example.com:http');
  assert.equal(stripHostPort('example.com', 'any', 0), 'example.com');
  assert.equal(stripHostPort('example.com:8080', 'none', 8080), 'example.com:8080');
});

test('property: stripping keeps a prefix of the host, and never leaves a numeric port behind under "any"', () => {
  const host = fc.tuple(fc.constantFrom('a.example', '[::1]', '10.0.0.1', 'x', '::1', 'h:1:2'), fc.option(fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), fc.constantFrom('', 'http', '08'))));
  fc.assert(
    fc.property(host, fc.integer({ min: 1, max: 65535 }), ([h, port], listener) => {
      const raw = port === null ? h : `${h}:${port}`;
      const out = stripHostPort(raw, 'any', listener);
      assert.ok(raw.startsWith(out));
      if (out !== raw) assert.match(raw.slice(out.length), /^:\d+$/);
      const matching = stripHostPort(raw, 'matching', listener);
      if (matching !== raw) assert.equal(Number(raw.slice(matching.length + 1)), listener); // '08' is port 8, as Envoy's atoi reads it
    }),
  );
});

test('appendVia joins with ", "', () => {
  const h: HeaderMap = {};
  appendVia(h, '1.1 edge');
  assert.equal(h.via, '1.1 edge');
  appendVia(h, '1.1 mesh');
  assert.equal(h.via, '1.1 edge, 1.1 mesh');
  const multi: HeaderMap = { via: ['a', 'b'] };
  appendVia(multi, 'c');
  assert.equal(multi.via, 'a, b, c');
});

const hcm = (over: Partial<HttpConnectionManager>): HttpConnectionManager => over as HttpConnectionManager;
const node = { id: 'node-1', cluster: 'frontend' };

test('add_user_agent sets the downstream service cluster and node, and user-agent only when absent', () => {
  const o = hcmHeaderOptions(hcm({ add_user_agent: true }), node);
  const r = { authority: 'a', scheme: 'http' as const, headers: { 'x-envoy-downstream-service-cluster': 'spoofed' } as HeaderMap, conn: { localPort: 1 } };
  applyHeaderOptions(r, o);
  assert.deepEqual(r.headers, { 'x-envoy-downstream-service-cluster': 'frontend', 'user-agent': 'frontend', 'x-envoy-downstream-service-node': 'node-1' });
  const withUa = { ...r, headers: { 'user-agent': 'curl/8' } as HeaderMap };
  applyHeaderOptions(withUa, o);
  assert.equal(withUa.headers['user-agent'], 'curl/8');
  const off = { ...r, headers: {} as HeaderMap };
  applyHeaderOptions(off, hcmHeaderOptions(hcm({}), node));
  assert.deepEqual(off.headers, {});
});

test('strip port updates the authority and the host header; scheme_to_overwrite wins over match_upstream', () => {
  const r = { authority: 'example.com:10000', scheme: 'http' as 'http' | 'https', headers: { host: 'example.com:10000' } as HeaderMap, conn: { localPort: 10000 } };
  const o = hcmHeaderOptions(hcm({ strip_matching_host_port: true, scheme_header_transformation: { scheme_to_overwrite: 'https', match_upstream: true }, via: 'v' }), node);
  applyHeaderOptions(r, o);
  assert.equal(r.authority, 'example.com');
  assert.equal(r.headers.host, 'example.com');
  assert.equal(r.headers.via, 'v');
  assert.equal(r.scheme, 'https');
  assert.equal(o.schemeMatchUpstream, false);
  assert.equal(hcmHeaderOptions(hcm({ scheme_header_transformation: { match_upstream: true } }), node).schemeMatchUpstream, true);
});
