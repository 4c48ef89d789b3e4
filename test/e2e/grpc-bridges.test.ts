// E2E: envoy.filters.http.grpc_web and envoy.filters.http.grpc_http1_bridge in a real `trellis proxy`, in front of a
// real @grpc/grpc-js server on an HTTP/2 cluster; the gRPC-Web and HTTP/1.1 requests are built by hand on plain sockets.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { H2_UPSTREAM, ROUTER_FILTER, hcmListener, multiBootstrap, startProxy, staticCluster, type RunningProxy } from './harness.js';

const PROTO = `
syntax = "proto3";
package test;
message Msg { string text = 1; int32 n = 2; }
service Echo {
  rpc Unary(Msg) returns (Msg);
  rpc Stream(Msg) returns (stream Msg);
  rpc Fail(Msg) returns (Msg);
}
`;

interface Msg {
  text: string;
  n: number;
}
interface MethodDef {
  requestSerialize(m: Msg): Buffer;
  responseDeserialize(b: Buffer): Msg;
}

let dir: string;
let server: grpc.Server;
let proxy: RunningProxy;
let unary: MethodDef;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-grpc-web-'));
  fs.writeFileSync(path.join(dir, 'test.proto'), PROTO);
  const def = protoLoader.loadSync(path.join(dir, 'test.proto'), { keepCase: true, defaults: true });
  const pkg = (grpc.loadPackageDefinition(def) as unknown as { test: { Echo: { service: grpc.ServiceDefinition } } }).test;
  unary = pkg.Echo.service.Unary as unknown as MethodDef;
  server = new grpc.Server();
  server.addService(pkg.Echo.service, {
    Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const md = new grpc.Metadata();
      md.set('x-server-header', 'hdr');
      call.sendMetadata(md);
      const trailer = new grpc.Metadata();
      trailer.set('x-server-trailer', `saw ${call.request.text}`);
      cb(null, { text: `unary ${call.request.text}`, n: call.request.n + 1 }, trailer);
    },
    Stream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      for (let i = 0; i < call.request.n; i++) call.write({ text: `item ${i}`, n: i });
      call.end();
    },
    Fail: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      cb({ code: grpc.status.NOT_FOUND, details: 'no such widget' });
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const routeConfig = { virtual_hosts: [{ name: 'grpc', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'grpc' } }] }] };
  proxy = await startProxy(
    multiBootstrap(
      [
        hcmListener('web', {
          routeConfig,
          httpFilters: [{ name: 'envoy.filters.http.grpc_web', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb' } }, ROUTER_FILTER],
        }),
        hcmListener('bridge', {
          routeConfig,
          httpFilters: [
            {
              name: 'envoy.filters.http.grpc_http1_bridge',
              typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.grpc_http1_bridge.v3.Config', upgrade_protobuf_to_grpc: true, ignore_query_parameters: true },
            },
            ROUTER_FILTER,
          ],
        }),
      ],
      [staticCluster('grpc', [grpcPort], H2_UPSTREAM)],
    ),
  );
});

after(async () => {
  await proxy?.stop();
  server?.forceShutdown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function port(name: string): number {
  return proxy.listeners.get(name)!;
}

function frame(payload: Buffer, flags = 0): Buffer {
  const h = Buffer.alloc(5);
  h[0] = flags;
  h.writeUInt32BE(payload.length, 1);
  return Buffer.concat([h, payload]);
}

/** Splits a gRPC(-Web) body into its frames. */
function frames(body: Buffer): { flags: number; payload: Buffer }[] {
  const out: { flags: number; payload: Buffer }[] = [];
  let i = 0;
  while (i + 5 <= body.length) {
    const len = body.readUInt32BE(i + 1);
    out.push({ flags: body[i], payload: body.subarray(i + 5, i + 5 + len) });
    i += 5 + len;
  }
  assert.equal(i, body.length, 'the body is whole frames');
  return out;
}

/** Parses a gRPC-Web trailer block (name:value CRLF lines). */
function trailerMap(payload: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of payload.toString().split('\r\n')) {
    if (line === '') continue;
    const c = line.indexOf(':');
    out[line.slice(0, c)] = line.slice(c + 1);
  }
  return out;
}

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function post(p: number, target: string, headers: http.OutgoingHttpHeaders, body: Buffer | string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p, path: target, method: 'POST', headers: { host: 'grpc.local', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('grpc-web binary: a hand-built unary call over HTTP/1.1 gets its message, headers and a 0x80 trailer frame', async () => {
  const body = frame(unary.requestSerialize({ text: 'hi', n: 41 }));
  const r = await post(port('web'), '/test.Echo/Unary', { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', 'content-length': body.length }, body);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/grpc-web+proto');
  assert.equal(r.headers['x-server-header'], 'hdr');
  const [msg, trailer, ...rest] = frames(r.body);
  assert.equal(rest.length, 0);
  assert.equal(msg.flags, 0);
  assert.deepEqual(unary.responseDeserialize(msg.payload), { text: 'unary hi', n: 42 });
  assert.equal(trailer.flags, 0x80);
  const t = trailerMap(trailer.payload);
  assert.equal(t['grpc-status'], '0');
  assert.equal(t['x-server-trailer'], 'saw hi');
});

test('grpc-web text: a base64 request and a base64 answer (server streaming, three messages, then trailers)', async () => {
  const body = Buffer.from(frame(unary.requestSerialize({ text: 'go', n: 3 })).toString('base64'));
  const r = await post(port('web'), '/test.Echo/Stream', { 'content-type': 'application/grpc-web-text', accept: 'application/grpc-web-text' }, body);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/grpc-web-text+proto');
  const decoded = Buffer.from(r.body.toString(), 'base64');
  const fs3 = frames(decoded);
  assert.deepEqual(fs3.slice(0, 3).map((f) => unary.responseDeserialize(f.payload)), [0, 1, 2].map((i) => ({ text: `item ${i}`, n: i })));
  assert.equal(fs3[3].flags, 0x80);
  assert.equal(trailerMap(fs3[3].payload)['grpc-status'], '0');
});

test('grpc-web: a failing call reports grpc-status 5 and its message (trailer frame or trailers-only headers)', async () => {
  const body = frame(unary.requestSerialize({ text: 'x', n: 0 }));
  const r = await post(port('web'), '/test.Echo/Fail', { 'content-type': 'application/grpc-web' }, body);
  assert.equal(r.status, 200);
  const trailer = r.body.length > 0 ? trailerMap(frames(r.body).at(-1)!.payload) : (r.headers as Record<string, string>);
  assert.equal(trailer['grpc-status'], '5');
  assert.equal(decodeURIComponent(trailer['grpc-message']), 'no such widget');
});

test('grpc-web text: malformed base64 is refused before it reaches the server', async () => {
  const r = await post(port('web'), '/test.Echo/Unary', { 'content-type': 'application/grpc-web-text' }, 'AAA$AAAA');
  assert.equal(r.status, 200, 'a gRPC-Web client reads the error from grpc-status');
  assert.equal(r.headers['grpc-status'], '13');
  assert.equal(decodeURIComponent(String(r.headers['grpc-message'])), 'Bad gRPC-web request, invalid base64 data.');
});

test('grpc_http1_bridge: an HTTP/1.1 gRPC call gets grpc-status as a header and a content-length; the query is dropped', async () => {
  const body = frame(unary.requestSerialize({ text: 'bridge', n: 1 }));
  const r = await post(port('bridge'), '/test.Echo/Unary?trace=1', { 'content-type': 'application/grpc' }, body);
  assert.equal(r.status, 200);
  assert.equal(r.headers['grpc-status'], '0');
  assert.equal(r.headers['content-length'], String(r.body.length));
  assert.equal(r.headers['transfer-encoding'], undefined);
  const [msg] = frames(r.body);
  assert.deepEqual(unary.responseDeserialize(msg.payload), { text: 'unary bridge', n: 2 });
});

test('grpc_http1_bridge: a failed call (trailers-only from grpc-js) is HTTP 503 with grpc-status and grpc-message headers', async () => {
  const r = await post(port('bridge'), '/test.Echo/Fail', { 'content-type': 'application/grpc' }, frame(unary.requestSerialize({ text: '', n: 0 })));
  assert.equal(r.status, 503);
  assert.equal(r.headers['grpc-status'], '5');
  assert.equal(decodeURIComponent(String(r.headers['grpc-message'])), 'no such widget');
});

test('grpc_http1_bridge: upgrade_protobuf_to_grpc sends a raw protobuf body as gRPC and answers with the raw reply', async () => {
  const raw = unary.requestSerialize({ text: 'proto', n: 9 });
  const r = await post(port('bridge'), '/test.Echo/Unary', { 'content-type': 'application/x-protobuf', 'content-length': raw.length }, raw);
  assert.equal(r.status, 200);
  assert.equal(r.headers['grpc-status'], '0');
  assert.deepEqual(unary.responseDeserialize(r.body), { text: 'unary proto', n: 10 });
  assert.equal(r.headers['content-length'], String(r.body.length));
});
