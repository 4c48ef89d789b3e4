// Proxy HTTP filters: grpc_http1_bridge through the real filter manager — trailers folded into headers, 503 on failure,
// the protobuf upgrade (framing the request, unframing the response), query stripping, HTTP/2 left alone, config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { grpcHttp1BridgeFilterFactory } from '../../../../../src/proxy/http/filters/grpc_http1_bridge/filter.js';
import { validateGrpcHttp1Bridge, type GrpcHttp1BridgeConfig } from '../../../../../src/proxy/http/filters/grpc_http1_bridge/config.js';
import { FilterHarness } from '../filter-harness.js';

function config(raw: object = {}): GrpcHttp1BridgeConfig {
  const ctx = new Ctx(undefined);
  const c = validateGrpcHttp1Bridge(ctx, raw as Record<string, unknown>, 'b');
  assert.deepEqual(ctx.errors, []);
  return c!;
}

function frame(msg: string): Buffer {
  const m = Buffer.from(msg);
  const h = Buffer.alloc(5);
  h.writeUInt32BE(m.length, 1);
  return Buffer.concat([h, m]);
}

function bridge(raw: object, path: string, headers: Record<string, string>): FilterHarness {
  return new FilterHarness('POST', path, headers).install(grpcHttp1BridgeFilterFactory(config(raw)));
}

test('bridge: an HTTP/1.1 gRPC response is held whole; grpc-status/-message become headers with a content-length', () => {
  const h = bridge({}, '/pkg.Svc/M', { 'content-type': 'application/grpc' }).sendRequest(false).sendRequestData(frame('q'), true);
  assert.deepEqual(h.upstreamBody(), frame('q'), 'a gRPC body passes as it is');
  h.respond(200, { 'content-type': 'application/grpc' }, false, true).respondData(frame('answer'), false);
  assert.equal(h.down.head === undefined, true, 'held until the trailers');
  h.respondTrailers({ 'grpc-status': '0', 'grpc-message': 'fine' });
  assert.equal(h.down.head?.status, 200);
  assert.equal(h.down.head?.headers['grpc-status'], '0');
  assert.equal(h.down.head?.headers['grpc-message'], 'fine');
  assert.equal(h.down.head?.headers['content-length'], String(frame('answer').length));
  assert.deepEqual(h.downstreamBody(), frame('answer'));
});

test('bridge: a trailers-only failure is a 503 as well; a trailers-only success stays 200', () => {
  const h = bridge({}, '/pkg.Svc/M', { 'content-type': 'application/grpc' }).sendRequest(true);
  h.respond(200, { 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'gone' }, true);
  assert.equal(h.down.head?.status, 503);
  const ok = bridge({}, '/pkg.Svc/M', { 'content-type': 'application/grpc' }).sendRequest(true);
  ok.respond(200, { 'content-type': 'application/grpc', 'grpc-status': '0' }, true);
  assert.equal(ok.down.head?.status, 200);
});

test('bridge: a failing gRPC status turns the HTTP status into 503', () => {
  const h = bridge({}, '/pkg.Svc/M', { 'content-type': 'application/grpc+proto' }).sendRequest(true);
  h.respond(200, { 'content-type': 'application/grpc' }).respondTrailers({ 'grpc-status': '7', 'grpc-message': 'denied' });
  assert.equal(h.down.head?.status, 503);
  assert.equal(h.down.head?.headers['grpc-status'], '7');
  assert.equal(h.down.head?.headers['content-length'], '0');
});

test('bridge: upgrade_protobuf_to_grpc frames an x-protobuf request and strips the frame from the answer', () => {
  const h = bridge({ upgrade_protobuf_to_grpc: true }, '/pkg.Svc/M?x=1', { 'content-type': 'application/x-protobuf', 'content-length': '6' });
  h.sendRequest(false).sendRequestData('pro', false).sendRequestData('tob', true);
  assert.equal(h.up.headers?.['content-type'], 'application/grpc');
  assert.equal(h.up.headers?.['content-length'], undefined);
  assert.deepEqual(h.upstreamBody(), frame('protob'));
  assert.equal(h.request.path, '/pkg.Svc/M?x=1', 'the query stays unless ignore_query_parameters');
  const reply = frame('reply!');
  h.respond(200, { 'content-type': 'application/grpc' }).respondData(reply.subarray(0, 3), false).respondData(reply.subarray(3), false).respondTrailers({ 'grpc-status': '0' });
  assert.equal(h.downstreamBody().toString(), 'reply!');
  assert.equal(h.down.head?.headers['content-length'], '6');
});

test('bridge: ignore_query_parameters drops the query of bridged requests only', () => {
  const h = bridge({ ignore_query_parameters: true }, '/pkg.Svc/M?debug=1', { 'content-type': 'application/grpc' }).sendRequest(true);
  assert.equal(h.request.path, '/pkg.Svc/M');
  const other = bridge({ ignore_query_parameters: true }, '/page?debug=1', { 'content-type': 'text/html' }).sendRequest(true);
  assert.equal(other.request.path, '/page?debug=1');
});

test('bridge: HTTP/2 clients and non-gRPC requests pass through; an over-limit upgraded body is 413', () => {
  const h = bridge({}, '/pkg.Svc/M', { 'content-type': 'application/grpc' });
  h.ds.protocol = 'HTTP/2';
  h.sendRequest(true).respond(200, { 'content-type': 'application/grpc' }, false, true).respondData(frame('x'), false);
  assert.equal(h.down.head?.headers['content-length'], undefined);
  assert.deepEqual(h.downstreamBody(), frame('x'));
  const big = bridge({ upgrade_protobuf_to_grpc: true }, '/pkg.Svc/M', { 'content-type': 'application/x-protobuf' });
  big.bufferLimit = 8;
  big.sendRequest(false).sendRequestData('0123456789', false);
  assert.equal(big.replies[0].status, 413);
});

test('bridge config: both booleans, unknown fields rejected with their path', () => {
  assert.deepEqual(config({ upgradeProtobufToGrpc: true }), { '@type': 'type.googleapis.com/envoy.extensions.filters.http.grpc_http1_bridge.v3.Config', upgrade_protobuf_to_grpc: true, ignore_query_parameters: false });
  const ctx = new Ctx(undefined);
  validateGrpcHttp1Bridge(ctx, { ignore_query_parameters: 'sure' }, 'b');
  assert.deepEqual(ctx.errors.map((e) => `${e.path}: ${e.message}`), ['b.ignore_query_parameters: expected a boolean, got string "sure"']);
});
