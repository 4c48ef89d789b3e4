// E2E: gRPC (@grpc/grpc-js) through a real `trellis proxy`: unary, streaming, metadata, trailers, statuses, gRPC local replies, retries.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { H2_UPSTREAM, hcmListener, multiBootstrap, request, startProxy, staticCluster, type RunningProxy } from './harness.js';

const PROTO = `
syntax = "proto3";
package test;
message Msg { string text = 1; int32 n = 2; }
service Echo {
  rpc Unary(Msg) returns (Msg);
  rpc Stream(Msg) returns (stream Msg);
  rpc Bidi(stream Msg) returns (stream Msg);
  rpc Fail(Msg) returns (Msg);
  rpc Slow(Msg) returns (Msg);
  rpc Flaky(Msg) returns (Msg);
}
service Dead { rpc Unary(Msg) returns (Msg); }
service Nowhere { rpc Unary(Msg) returns (Msg); }
`;

interface Msg {
  text: string;
  n: number;
}
type ClientCtor = new (address: string, creds: grpc.ChannelCredentials) => grpc.Client;

let dir: string;
let server: grpc.Server;
let proxy: RunningProxy;
let port: number;
let Echo: ClientCtor;
let Dead: ClientCtor;
let Nowhere: ClientCtor;
const flakyCalls = new Map<string, number>();
const clients: grpc.Client[] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-grpc-'));
  const file = path.join(dir, 'test.proto');
  fs.writeFileSync(file, PROTO);
  const def = protoLoader.loadSync(file, { keepCase: true, defaults: true });
  const pkg = (grpc.loadPackageDefinition(def) as unknown as { test: Record<string, ClientCtor & { service: grpc.ServiceDefinition }> }).test;
  Echo = pkg.Echo;
  Dead = pkg.Dead;
  Nowhere = pkg.Nowhere;

  server = new grpc.Server();
  server.addService(pkg.Echo.service, {
    Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const md = new grpc.Metadata();
      md.set('x-server-header', 'hdr');
      call.sendMetadata(md);
      const trailer = new grpc.Metadata();
      trailer.set('x-server-trailer', `echo:${String(call.metadata.get('x-client')[0] ?? '')}`);
      cb(null, { text: `unary ${call.request.text}`, n: call.request.n + 1 }, trailer);
    },
    Stream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      for (let i = 0; i < call.request.n; i++) call.write({ text: `item ${i}`, n: i });
      const t = new grpc.Metadata();
      t.set('x-count', String(call.request.n));
      call.end(t);
    },
    Bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => call.write({ text: m.text.toUpperCase(), n: m.n * 2 }));
      call.on('end', () => call.end());
    },
    Fail: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      cb({ code: grpc.status.NOT_FOUND, details: 'no such thing: widget-7' });
    },
    Slow: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const t = setTimeout(() => cb(null, { text: 'late', n: 0 }), 2000);
      call.on('cancelled', () => clearTimeout(t));
    },
    Flaky: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const key = call.request.text;
      const n = (flakyCalls.get(key) ?? 0) + 1;
      flakyCalls.set(key, n);
      if (n <= call.request.n) cb({ code: grpc.status.UNAVAILABLE, details: `try ${n} unavailable` });
      else cb(null, { text: `ok after ${n}`, n });
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  const routes = [
    { match: { prefix: '/test.Echo/Slow' }, route: { cluster: 'grpc', timeout: '0.3s' } },
    { match: { prefix: '/test.Echo/Flaky' }, route: { cluster: 'grpc', retry_policy: { retry_on: 'unavailable', num_retries: 3 } } },
    { match: { prefix: '/test.Echo/', grpc: {} }, route: { cluster: 'grpc' } },
    { match: { prefix: '/test.Echo/' }, direct_response: { status: 200, body: { inline_string: 'not grpc' } } },
    { match: { prefix: '/test.Dead/' }, route: { cluster: 'dead' } },
    { match: { prefix: '/test.Empty/' }, route: { cluster: 'empty' } },
  ];
  const fault = {
    name: 'envoy.filters.http.fault',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      headers: [{ name: 'x-fault', string_match: { exact: 'abort' } }],
      abort: { grpc_status: 9, percentage: { numerator: 100, denominator: 'HUNDRED' } },
    },
  };
  const router = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
  proxy = await startProxy(
    multiBootstrap(
      [hcmListener('grpc', { routeConfig: { name: 'grpc', virtual_hosts: [{ name: 'all', domains: ['*'], routes }] }, httpFilters: [fault, router] })],
      [
        staticCluster('grpc', [grpcPort], H2_UPSTREAM),
        staticCluster('dead', [1], H2_UPSTREAM),
        { name: 'empty', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'empty', endpoints: [] }, ...H2_UPSTREAM },
      ],
    ),
  );
  port = proxy.listeners.get('grpc')!;
});

after(async () => {
  for (const c of clients) c.close();
  await proxy?.stop();
  await new Promise<void>((r) => (server ? server.tryShutdown(() => r()) : r()));
  server?.forceShutdown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function client(Ctor: ClientCtor = Echo): grpc.Client & Record<string, (...args: unknown[]) => unknown> {
  const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  clients.push(c);
  return c as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
}

interface UnaryResult {
  err: grpc.ServiceError | null;
  res?: Msg;
  headers?: grpc.Metadata;
  status?: grpc.StatusObject;
}

function unary(c: grpc.Client & Record<string, (...args: unknown[]) => unknown>, method: string, req: Msg, md = new grpc.Metadata(), deadlineMs = 5000): Promise<UnaryResult> {
  return new Promise((resolve) => {
    const out: UnaryResult = { err: null };
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) resolve(out);
    };
    const call = c[method](req, md, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res?: Msg) => {
      out.err = err;
      out.res = res;
      done();
    }) as grpc.ClientUnaryCall;
    call.on('metadata', (m: grpc.Metadata) => (out.headers = m));
    call.on('status', (s: grpc.StatusObject) => {
      out.status = s;
      done();
    });
  });
}

test('unary call through the proxy: request/response, metadata both ways, response trailers', async () => {
  const c = client();
  const md = new grpc.Metadata();
  md.set('x-client', 'abc');
  const r = await unary(c, 'Unary', { text: 'hello', n: 41 }, md);
  assert.equal(r.err, null);
  assert.deepEqual(r.res, { text: 'unary hello', n: 42 });
  assert.equal(r.headers?.get('x-server-header')[0], 'hdr');
  assert.equal(r.status?.code, grpc.status.OK);
  assert.equal(r.status?.metadata.get('x-server-trailer')[0], 'echo:abc');
  // many calls multiplexed on the client's one connection
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => unary(c, 'Unary', { text: `m${i}`, n: i })));
  many.forEach((m, i) => assert.deepEqual(m.res, { text: `unary m${i}`, n: i + 1 }));
});

test('server-streaming call: every message and the trailers arrive', async () => {
  const c = client();
  const got: Msg[] = [];
  const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
    const call = c.Stream({ text: '', n: 200 }) as grpc.ClientReadableStream<Msg>;
    call.on('data', (m: Msg) => got.push(m));
    call.on('status', resolve);
    call.on('error', reject);
  });
  assert.equal(status.code, grpc.status.OK);
  assert.equal(status.metadata.get('x-count')[0], '200');
  assert.equal(got.length, 200);
  assert.deepEqual(got[199], { text: 'item 199', n: 199 });
});

test('bidirectional streaming call: messages interleave both ways', async () => {
  const c = client();
  const call = c.Bidi() as grpc.ClientDuplexStream<Msg, Msg>;
  const replies: Msg[] = [];
  const next = (): Promise<Msg> => new Promise((r) => call.once('data', r));
  for (let i = 0; i < 5; i++) {
    const p = next();
    call.write({ text: `ping${i}`, n: i });
    replies.push(await p); // each reply comes back before the next request is sent
  }
  const status = new Promise<grpc.StatusObject>((r) => call.on('status', r));
  call.end();
  assert.equal((await status).code, grpc.status.OK);
  assert.deepEqual(replies.map((m) => m.text), ['PING0', 'PING1', 'PING2', 'PING3', 'PING4']);
  assert.deepEqual(replies.map((m) => m.n), [0, 2, 4, 6, 8]);
});

test('a non-OK status from the server reaches the client with its message', async () => {
  const r = await unary(client(), 'Fail', { text: 'x', n: 0 });
  assert.equal(r.err?.code, grpc.status.NOT_FOUND);
  assert.equal(r.err?.details, 'no such thing: widget-7');
});

test('the grpc: {} route match only takes gRPC requests', async () => {
  const r = await unary(client(), 'Unary', { text: 'g', n: 0 });
  assert.equal(r.res?.text, 'unary g');
  const plain = await request(port, { path: '/test.Echo/Unary', method: 'POST', body: 'x', headers: { 'content-type': 'application/json' } });
  assert.equal(plain.status, 200);
  assert.equal(plain.body, 'not grpc');
});

test('no route: the proxy answers gRPC UNIMPLEMENTED (12)', async () => {
  const r = await unary(client(Nowhere), 'Unary', { text: 'x', n: 0 });
  assert.equal(r.err?.code, grpc.status.UNIMPLEMENTED);
});

test('connection failure and no healthy upstream: gRPC UNAVAILABLE (14)', async () => {
  const dead = await unary(client(Dead), 'Unary', { text: 'x', n: 0 });
  assert.equal(dead.err?.code, grpc.status.UNAVAILABLE);
  assert.match(String(dead.err?.details), /connection failure/);
  // A cluster with no endpoints at all: /test.Empty/ has no service, so call it by path.
  const c = client();
  const empty = await new Promise<grpc.ServiceError | null>((resolve) => {
    c.makeUnaryRequest(
      '/test.Empty/Unary',
      (m: Msg) => Buffer.from(JSON.stringify(m)),
      (b: Buffer) => JSON.parse(b.toString()) as Msg,
      { text: '', n: 0 },
      (err: grpc.ServiceError | null) => resolve(err),
    );
  });
  assert.equal(empty?.code, grpc.status.UNAVAILABLE);
  assert.match(String(empty?.details), /no healthy upstream/);
});

test('route timeout: the client sees UNAVAILABLE "upstream request timeout" (Envoy maps its 504 to 14)', async () => {
  const t0 = Date.now();
  const r = await unary(client(), 'Slow', { text: 'x', n: 0 });
  assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
  assert.equal(r.err?.details, 'upstream request timeout');
  assert.ok(Date.now() - t0 < 1500, 'the route timeout (0.3 s) answered, not the server');
});

test('fault abort with grpc_status answers that status', async () => {
  const md = new grpc.Metadata();
  md.set('x-fault', 'abort');
  const r = await unary(client(), 'Unary', { text: 'x', n: 0 }, md);
  assert.equal(r.err?.code, grpc.status.FAILED_PRECONDITION);
  assert.equal(r.err?.details, 'fault filter abort');
});

test('retry_on unavailable retries a gRPC UNAVAILABLE until it succeeds', async () => {
  const r = await unary(client(), 'Flaky', { text: 'k1', n: 2 });
  assert.equal(r.err, null);
  assert.deepEqual(r.res, { text: 'ok after 3', n: 3 });
  assert.equal(flakyCalls.get('k1'), 3);
  // More failures than retries: the last UNAVAILABLE is what the client sees.
  const r2 = await unary(client(), 'Flaky', { text: 'k2', n: 10 });
  assert.equal(r2.err?.code, grpc.status.UNAVAILABLE);
  assert.equal(flakyCalls.get('k2'), 4);
});
