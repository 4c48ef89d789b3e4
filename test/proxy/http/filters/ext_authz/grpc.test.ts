// Proxy HTTP: ext_authz over gRPC — framing (property tests), the CheckRequest/CheckResponse codec against
// @grpc/proto-loader's own serializers, and how a CheckResponse or a failed call becomes an answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as protoLoader from '@grpc/proto-loader';
import { includeDirs } from '../../../../../src/xds/proto-files.js';
import { frameGrpcMessage, unframeUnaryGrpc } from '../../../../../src/proxy/ext-authz/grpc-frame.js';
import { authzCodec, type CheckResponseView } from '../../../../../src/proxy/ext-authz/grpc-codec.js';
import { answerFromCheckResponse } from '../../../../../src/proxy/http/filters/ext_authz/grpc-answer.js';
import { answerFromGrpcExchange } from '../../../../../src/proxy/http/filters/ext_authz/grpc-service.js';
import type { CheckAttributes } from '../../../../../src/proxy/http/filters/ext_authz/check-request.js';

test('gRPC frame: round trip, and any bytes either unframe to one message or to an error (never throw)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (msg) => assert.deepEqual(unframeUnaryGrpc(frameGrpcMessage(msg)), Buffer.from(msg))));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const r = unframeUnaryGrpc(Buffer.from(bytes));
      if (typeof r !== 'string') assert.equal(r.length + 5, bytes.length, 'a message only when the frame is exactly the body');
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.nat(), (msg, cut) => {
      const f = frameGrpcMessage(msg);
      assert.equal(typeof unframeUnaryGrpc(f.subarray(0, cut % f.length)), 'string', 'truncated');
      assert.equal(typeof unframeUnaryGrpc(Buffer.concat([f, Buffer.from([0])])), 'string', 'trailing bytes');
    }),
  );
  const compressed = frameGrpcMessage(Buffer.from('x'));
  compressed[0] = 1;
  assert.match(String(unframeUnaryGrpc(compressed)), /compressed/);
});

const pkg = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', { keepCase: true, includeDirs: includeDirs(), longs: Number, enums: String, defaults: false });
const check = (pkg['envoy.service.auth.v3.Authorization'] as protoLoader.ServiceDefinition).Check;

const ATTRS: CheckAttributes = {
  source: { address: '10.1.2.3', port: 5555, principal: 'spiffe://td/ns/a/sa/b', service: 'front' },
  destination: { address: '10.0.0.1', port: 8080, principal: '', service: '' },
  timeMs: 1_700_000_000_123,
  http: {
    id: '7',
    method: 'PUT',
    headers: { ':path': '/x', 'x-a': 'b' },
    path: '/x',
    host: 'h.example',
    scheme: 'http',
    size: 3,
    protocol: 'HTTP/2',
    body: Buffer.from([0xff, 0x00, 0x41]),
    bodyAsBytes: true,
  },
  contextExtensions: { tier: 'gold' },
  metadataContext: { 'envoy.filters.http.jwt_authn': { sub: 'u1', n: 2, ok: true, list: ['a', null], nested: { k: 'v' } } },
  tlsSni: 'h.example',
};

test('codec: our CheckRequest decodes with the reference (proto-loader) deserializer', () => {
  const codec = authzCodec();
  const decoded = check.requestDeserialize(Buffer.from(codec.encodeCheckRequest(ATTRS))) as { attributes: Record<string, any> };
  const a = decoded.attributes;
  assert.deepEqual(a.source.address.socket_address, { address: '10.1.2.3', port_value: 5555 });
  assert.equal(a.source.principal, 'spiffe://td/ns/a/sa/b');
  assert.equal(a.source.service, 'front');
  assert.equal(a.destination.address.socket_address.port_value, 8080);
  assert.deepEqual(a.request.time, { seconds: 1_700_000_000, nanos: 123_000_000 });
  assert.deepEqual(a.request.http.headers, { ':path': '/x', 'x-a': 'b' });
  assert.equal(a.request.http.method, 'PUT');
  assert.equal(a.request.http.size, 3);
  assert.deepEqual(Buffer.from(a.request.http.raw_body), Buffer.from([0xff, 0x00, 0x41]), 'pack_as_bytes → raw_body');
  assert.equal(a.request.http.body, undefined);
  assert.deepEqual(a.context_extensions, { tier: 'gold' });
  assert.equal(a.tls_session.sni, 'h.example');
  // (google.protobuf.Value members are camelCase in protobufjs' bundled struct.proto, which proto-loader uses too)
  const s = a.metadata_context.filter_metadata['envoy.filters.http.jwt_authn'].fields;
  assert.equal(s.sub.stringValue, 'u1');
  assert.equal(s.n.numberValue, 2);
  assert.equal(s.ok.boolValue, true);
  assert.deepEqual(s.list.listValue.values.map((v: Record<string, unknown>) => v.stringValue ?? v.nullValue), ['a', 'NULL_VALUE']);
  assert.equal(s.nested.structValue.fields.k.stringValue, 'v');
  const text = check.requestDeserialize(Buffer.from(codec.encodeCheckRequest({ ...ATTRS, http: { ...ATTRS.http!, body: Buffer.from('héllo'), bodyAsBytes: false } }))) as {
    attributes: { request: { http: { body: string } } };
  };
  assert.equal(text.attributes.request.http.body, 'héllo');
});

test('codec: a reference-encoded CheckResponse decodes to its view', () => {
  const codec = authzCodec();
  const bytes = check.responseSerialize({
    status: { code: 0 },
    ok_response: {
      headers: [{ header: { key: 'X-User', value: 'bob' } }, { header: { key: 'x-add', value: '2' }, append: { value: true } }],
      headers_to_remove: ['x-drop'],
      response_headers_to_add: [{ header: { key: 'x-r', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS' }],
      query_parameters_to_set: [{ key: 'k', value: 'v' }],
      query_parameters_to_remove: ['q'],
    },
    dynamic_metadata: { fields: { user: { stringValue: 'bob' }, level: { numberValue: 3 } } },
  });
  const v = codec.decodeCheckResponse(bytes);
  assert.deepEqual(v, {
    code: 0,
    ok: {
      headers: [
        { key: 'x-user', value: 'bob', appendAction: 0 },
        { key: 'x-add', value: '2', append: true, appendAction: 0 },
      ],
      headersToRemove: ['x-drop'],
      responseHeadersToAdd: [{ key: 'x-r', value: '1', appendAction: 3 }],
      queryParametersToSet: [{ key: 'k', value: 'v' }],
      queryParametersToRemove: ['q'],
    },
    dynamicMetadata: { user: 'bob', level: 3 },
  });
  const denied = codec.decodeCheckResponse(check.responseSerialize({ status: { code: 7 }, denied_response: { status: { code: 'Unauthorized' }, body: 'no' } }));
  assert.deepEqual(denied, { code: 7, denied: { status: 401, headers: [], body: 'no' } });
});

test('CheckResponse → answer: OK edits with Envoy append semantics; non-OK denies (403 unless denied_response says)', () => {
  const view: CheckResponseView = {
    code: 0,
    ok: {
      headers: [
        { key: 'x-set', value: '1', appendAction: 0 },
        { key: 'x-app', value: '2', append: true, appendAction: 0 },
        { key: 'x-false', value: '3', append: false, appendAction: 0 },
      ],
      headersToRemove: ['X-Gone'],
      responseHeadersToAdd: [
        { key: 'r-add', value: 'a', appendAction: 0 },
        { key: 'r-absent', value: 'b', appendAction: 1 },
        { key: 'r-set', value: 'c', appendAction: 2 },
        { key: 'r-over', value: 'd', appendAction: 3 },
        { key: 'r-legacy', value: 'e', append: false, appendAction: 0 },
      ],
      queryParametersToSet: [{ key: 'k', value: 'v' }],
      queryParametersToRemove: ['q'],
    },
  };
  const ok = answerFromCheckResponse(view);
  assert.equal(ok.kind, 'ok');
  if (ok.kind !== 'ok') return;
  assert.deepEqual(ok.headersToSet, [['x-set', '1'], ['x-false', '3']]);
  assert.deepEqual(ok.headersToAppend, [['x-app', '2']]);
  assert.deepEqual(ok.headersToRemove, ['x-gone']);
  assert.deepEqual(ok.responseHeadersToAdd, [['r-add', 'a']]);
  assert.deepEqual(ok.responseHeadersToAddIfAbsent, [['r-absent', 'b']]);
  assert.deepEqual(ok.responseHeadersToSet, [['r-set', 'c'], ['r-legacy', 'e']]);
  assert.deepEqual(ok.responseHeadersToOverwriteIfExists, [['r-over', 'd']]);
  assert.deepEqual(ok.queryParametersToSet, [['k', 'v']]);
  assert.equal(ok.dynamicMetadata, undefined);
  assert.deepEqual(answerFromCheckResponse({ code: 16 }), { kind: 'denied', status: 403, headers: [], body: '' });
  assert.deepEqual(
    answerFromCheckResponse({ code: 7, denied: { status: 0, headers: [{ key: 'a', value: '1', appendAction: 0 }, { key: 'b', value: '2', append: true, appendAction: 0 }], body: 'x' }, dynamicMetadata: { m: 1 } }),
    { kind: 'denied', status: 403, headers: [['a', '1']], body: 'x', dynamicMetadata: { m: 1 } },
  );
  // the deprecated ok_response.dynamic_metadata wins over the outer one
  const md = answerFromCheckResponse({ code: 0, ok: { ...view.ok!, dynamicMetadata: { inner: 1 } }, dynamicMetadata: { outer: 1 } });
  assert.deepEqual(md.kind === 'ok' && md.dynamicMetadata, { inner: 1 });
});

test('Check exchange → answer: transport failures, HTTP errors, grpc-status (trailers or trailers-only) are errors', () => {
  const codec = authzCodec();
  const okBody = frameGrpcMessage(check.responseSerialize({ status: { code: 0 } }));
  const res = (over: object) => ({ status: 200, headers: {}, body: okBody, trailers: { 'grpc-status': '0' }, ...over });
  assert.equal(answerFromGrpcExchange(codec, null, res({})).kind, 'ok');
  assert.equal(answerFromGrpcExchange(codec, 'connect-failure', undefined).kind, 'error');
  assert.equal(answerFromGrpcExchange(codec, 'timeout', undefined).kind, 'error');
  assert.equal(answerFromGrpcExchange(codec, null, res({ status: 503 })).kind, 'error');
  assert.equal(answerFromGrpcExchange(codec, null, res({ trailers: undefined })).kind, 'error', 'no grpc-status at all');
  assert.equal(answerFromGrpcExchange(codec, null, res({ trailers: undefined, headers: { 'grpc-status': '14' }, body: Buffer.alloc(0) })).kind, 'error');
  assert.equal(answerFromGrpcExchange(codec, null, res({ body: Buffer.from([0, 0, 0, 0, 9, 1]) })).kind, 'error', 'truncated message');
  assert.equal(answerFromGrpcExchange(codec, null, res({ body: frameGrpcMessage(Buffer.from([0xff, 0xff, 0xff])) })).kind, 'error', 'undecodable');
});
