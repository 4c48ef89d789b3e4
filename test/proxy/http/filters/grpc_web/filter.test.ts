// Proxy HTTP filters: grpc_web through the real filter manager — request rewriting, text decoding, trailer frames,
// base64 responses, trailers-only answers, non-gRPC upstream answers and config validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { grpcWebFilterFactory } from '../../../../../src/proxy/http/filters/grpc_web/filter.js';
import { validateGrpcWeb } from '../../../../../src/proxy/http/filters/grpc_web/config.js';
import type { ResponseHead } from '../../../../../src/proxy/http/filter/api.js';
import { FilterHarness } from '../filter-harness.js';

function frame(msg: string, flags = 0): Buffer {
  const m = Buffer.from(msg);
  const h = Buffer.alloc(5);
  h[0] = flags;
  h.writeUInt32BE(m.length, 1);
  return Buffer.concat([h, m]);
}

function web(headers: Record<string, string>): FilterHarness {
  return new FilterHarness('POST', '/pkg.Svc/Call', headers).install(grpcWebFilterFactory());
}

test('grpc-web: a binary request becomes gRPC upstream (content type, te, grpc-accept-encoding, no content-length)', () => {
  const h = web({ 'content-type': 'application/grpc-web+proto', 'content-length': '10', 'x-grpc-web': '1' }).sendRequest(false);
  assert.deepEqual(h.up.headers, { 'content-type': 'application/grpc', te: 'trailers', 'grpc-accept-encoding': 'identity,deflate,gzip', 'x-grpc-web': '1' });
  h.sendRequestData(frame('hi'), true);
  assert.deepEqual(h.upstreamBody(), frame('hi'));
});

test('grpc-web: the response keeps its messages and ends with a 0x80 trailer frame instead of trailers', () => {
  const h = web({ 'content-type': 'application/grpc-web' }).sendRequest(false).sendRequestData(frame('q'), true);
  h.respond(200, { 'content-type': 'application/grpc', 'content-length': '7' }, false, true);
  assert.equal(h.down.head?.headers['content-type'], 'application/grpc-web+proto');
  assert.equal(h.down.head?.headers['content-length'], undefined);
  assert.equal(h.down.head?.wantTrailers, false);
  h.respondData(frame('answer'), false).respondTrailers({ 'grpc-status': '0', 'grpc-message': '' });
  assert.equal(h.down.ended, true);
  assert.equal(h.down.trailers, undefined);
  const trailer = 'grpc-status:0\r\ngrpc-message:\r\n';
  assert.deepEqual(h.downstreamBody(), Buffer.concat([frame('answer'), frame(trailer, 0x80)]));
});

test('grpc-web-text: base64 request decoded in 4-character groups; base64 response per frame, trailers included', () => {
  const h = web({ 'content-type': 'application/grpc-web-text', accept: 'application/grpc-web-text' }).sendRequest(false);
  const text = frame('hello').toString('base64');
  h.sendRequestData(Buffer.from(text.slice(0, 5)), false).sendRequestData(Buffer.from(text.slice(5)), true);
  assert.deepEqual(h.upstreamBody(), frame('hello'));
  assert.equal(h.up.ended, true);
  h.respond(200, { 'content-type': 'application/grpc' });
  assert.equal(h.down.head?.headers['content-type'], 'application/grpc-web-text+proto');
  const out = frame('world');
  h.respondData(out.subarray(0, 3), false).respondData(out.subarray(3), false).respondTrailers({ 'grpc-status': '0' });
  assert.equal(h.downstreamBody().toString(), out.toString('base64') + frame('grpc-status:0\r\n', 0x80).toString('base64'));
});

test('grpc-web-text: invalid base64 or a body that does not end on a group is answered 400', () => {
  const h = web({ 'content-type': 'application/grpc-web-text' }).sendRequest(false).sendRequestData('AAA$', false);
  assert.deepEqual(h.replies.map((r) => [r.status, r.body, r.opts?.details]), [[400, 'Bad gRPC-web request, invalid base64 data.', 'grpc_base_64_decode_failed']]);
  const h2 = web({ 'content-type': 'application/grpc-web-text' }).sendRequest(false).sendRequestData('AAAAAA', true);
  assert.equal(h2.replies[0].opts?.details, 'grpc_base_64_decode_failed_bad_size');
});

test('grpc-web: a trailers-only gRPC answer passes as headers with the gRPC-Web content type', () => {
  const h = web({ 'content-type': 'application/grpc-web+proto' }).sendRequest(true);
  h.respond(200, { 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'nope' }, true);
  assert.equal(h.down.headersEnded, true);
  assert.equal(h.down.head?.headers['grpc-status'], '5');
  assert.equal(h.down.head?.headers['content-type'], 'application/grpc-web+proto');
});

test('grpc-web: a non-gRPC upstream answer becomes grpc-status (from the HTTP status) and grpc-message (its body)', async () => {
  const h = web({ 'content-type': 'application/grpc-web+proto' }).sendRequest(true);
  h.respond(503, { 'content-type': 'text/plain', 'content-length': '12' });
  assert.equal(h.down.head, undefined, 'held until the body is known');
  h.respondData('no upstream', false).respondData('!', true);
  await new Promise<void>((r) => queueMicrotask(r));
  const head = h.down.head as ResponseHead | undefined; // (set by the continue above)
  assert.equal(head?.status, 503);
  assert.equal(head?.headers['grpc-status'], '14');
  assert.equal(head?.headers['grpc-message'], 'no upstream!');
  assert.equal(head?.headers['content-length'], '0');
  assert.equal(h.down.headersEnded, true);
  assert.equal(h.downstreamBody().length, 0);
});

test('grpc-web: other content types pass untouched', () => {
  const h = web({ 'content-type': 'application/grpc' }).sendRequest(false);
  assert.equal(h.up.headers?.te, undefined);
  h.respond(200, { 'content-type': 'application/grpc' }, false, true);
  assert.equal(h.down.head?.headers['content-type'], 'application/grpc');
  const h2 = web({ 'content-type': 'application/grpc-web+proto; charset=x' }).sendRequest(false);
  assert.equal(h2.up.headers?.['content-type'], 'application/grpc-web+proto; charset=x', 'Envoy matches the content type exactly');
});

test('grpc-web config: no fields', () => {
  const ctx = new Ctx(undefined);
  assert.deepEqual(validateGrpcWeb(ctx, {}, 'g'), { '@type': 'type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb' });
  validateGrpcWeb(ctx, { text: true }, 'g');
  assert.deepEqual(ctx.errors.map((e) => e.path), ['g.text']);
});
