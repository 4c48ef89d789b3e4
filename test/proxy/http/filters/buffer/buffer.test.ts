// Proxy HTTP filters: envoy.filters.http.buffer — the whole body before the upstream request, content-length for a
// body that had none, 413 past max_request_bytes (also above the HCM's 1 MiB), BufferPerRoute, config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, configErrors, filterRig } from '../filter-rig.js';
import '../../../../all-filters.js';

const buffer = (max: unknown): object => ({ name: 'envoy.filters.http.buffer', typed_config: { '@type': `${TYPE}buffer.v3.Buffer`, max_request_bytes: max } });
const perRoute = (prefix: string, cfg: object): object => ({
  match: { prefix },
  route: { cluster: 'a' },
  typed_per_filter_config: { 'envoy.filters.http.buffer': { '@type': `${TYPE}buffer.v3.BufferPerRoute`, ...cfg } },
});

test('buffer: nothing goes upstream until the body ends; then the whole body, with a content-length', () => {
  const rig = filterRig({ filters: [buffer(100)] });
  const r = rig.request({ method: 'POST', body: true });
  r.send('hello ');
  r.send('world');
  assert.equal(rig.upstreams.length, 0);
  r.send('', true);
  assert.equal(rig.upstreams.length, 1);
  const up = rig.upstreams[0]!;
  assert.equal(up.head.contentLength, 11, 'announced upstream as content-length, not chunked');
  assert.equal(up.body, 'hello world');
  assert.equal(up.ended, true);
});

test('buffer: a request that already has a content-length keeps it; a header-only request passes at once', () => {
  const rig = filterRig({ filters: [buffer(100)] });
  const r = rig.request({ method: 'POST', body: true, headers: { 'content-length': '3' } });
  r.send('abc', true);
  assert.equal(rig.upstreams[0]!.head.contentLength, 3);
  rig.request();
  assert.equal(rig.upstreams.length, 2);
});

test('buffer: past max_request_bytes the request is answered 413 and never reaches the upstream', () => {
  const rig = filterRig({ filters: [buffer(10)] });
  const r = rig.request({ method: 'POST', body: true });
  r.send('123456');
  r.send('7890X');
  assert.equal(r.status, 413);
  assert.equal(r.body, 'Payload Too Large');
  assert.equal(rig.upstreams.length, 0);
});

test('buffer: max_request_bytes above the connection manager\'s 1 MiB buffer limit is honoured (setDecoderBufferLimit)', () => {
  const rig = filterRig({ filters: [buffer(3 * 1024 * 1024)] });
  const r = rig.request({ method: 'POST', body: true });
  const chunk = 'x'.repeat(512 * 1024);
  for (let i = 0; i < 4; i++) r.send(chunk); // 2 MiB held
  assert.equal(r.status, 0, 'no 413 at 1 MiB');
  r.send('', true);
  assert.equal(rig.upstreams[0]!.head.contentLength, 2 * 1024 * 1024);
});

test('buffer: BufferPerRoute disables the filter for a route or sets its own limit', () => {
  const rig = filterRig({
    filters: [buffer(10)],
    virtualHost: { routes: [perRoute('/stream', { disabled: true }), perRoute('/big', { buffer: { max_request_bytes: 1000 } }), { match: { prefix: '/' }, route: { cluster: 'a' } }] },
  });
  const streamed = rig.request({ method: 'POST', path: '/stream', body: true });
  streamed.send('0123456789abcdef');
  assert.equal(rig.upstreams.length, 1, 'streamed before the body ended');
  assert.equal(rig.upstreams[0]!.head.contentLength, -1);
  const big = rig.request({ method: 'POST', path: '/big', body: true });
  big.send('0123456789abcdef', true);
  assert.equal(big.status, 0);
  assert.equal(rig.upstreams[1]!.head.contentLength, 16);
});

test('buffer config: max_request_bytes is required and > 0; BufferPerRoute needs one of disabled (true) or buffer', () => {
  const f = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
  const msgs = (filters: object[], vh: object = {}): string[] => configErrors(filters, vh).map((e) => `${e.path}: ${e.message}`);
  assert.deepEqual(msgs([{ name: 'envoy.filters.http.buffer', typed_config: { '@type': `${TYPE}buffer.v3.Buffer` } }]), [`${f}.max_request_bytes: is required`]);
  assert.deepEqual(msgs([buffer(0)]), [`${f}.max_request_bytes: 0 is out of range; must be in 1–4294967295`]);
  const r = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.buffer"]';
  assert.deepEqual(msgs([buffer(10)], { routes: [perRoute('/', { disabled: false })] }), [`${r}.disabled: must be true (leave the field out to keep the filter on)`]);
  assert.deepEqual(msgs([buffer(10)], { routes: [perRoute('/', {})] }), [`${r}: one of disabled, buffer is required`]);
  assert.deepEqual(msgs([buffer(10)], { routes: [perRoute('/', { disabled: true, buffer: { max_request_bytes: 1 } })] }), [`${r}.buffer: only one of disabled, buffer may be set`]);
});
