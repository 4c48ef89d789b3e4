// E2E: envoy.access_loggers.http_grpc / tcp_grpc from a real `trellis proxy` to a real @grpc/grpc-js
// AccessLogService (Envoy's als.proto): HTTP and TCP entries, one stream shared by the listeners naming the same
// logger, logging that resumes after the service is killed and restarted, and servers that are slow (never read),
// flood the response or speak garbage — requests are answered as fast as without a logger, drops are counted.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http2 from 'node:http2';
import { AlsServer } from './als-server.js';
import { H2_UPSTREAM, hcmListener, request, requestMany, startProxy, startUpstream, staticCluster, waitFor, type RunningProxy, type Upstream, adminStat } from './harness.js';

const HTTP_ALS = 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig';
const TCP_ALS = 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** An HTTP/2 server that takes each stream and never reads it: the proxy's writes hit flow control. */
async function startSilentH2(): Promise<{ port: number; close(): void; streams: () => number }> {
  let streams = 0;
  const server = http2.createServer();
  server.on('stream', (s) => {
    streams++;
    s.pause();
  });
  server.on('session', (sess) => sess.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, streams: () => streams, close: () => server.close() };
}

/** An HTTP/2 server that answers each stream with a megabyte of junk instead of a gRPC response. */
async function startFloodH2(): Promise<{ port: number; close(): void; streams: () => number }> {
  let streams = 0;
  const server = http2.createServer();
  server.on('stream', (s) => {
    streams++;
    s.on('error', () => {});
    s.respond({ ':status': 200, 'content-type': 'application/grpc' });
    const junk = Buffer.alloc(64 * 1024, 0xab);
    for (let i = 0; i < 16 && !s.destroyed; i++) s.write(junk);
  });
  server.on('session', (sess) => sess.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close(), streams: () => streams };
}

/** A TCP server that answers anything with garbage and hangs up. */
async function startGarbage(): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.end(Buffer.from('HTTP/1.1 200 OK\r\n\r\nthis is not http/2 at all \x00\xff\xfe'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

function httpAls(logName: string, cluster: string, common: object = {}, extra: object = {}): object {
  return {
    name: 'envoy.access_loggers.http_grpc',
    typed_config: {
      '@type': HTTP_ALS,
      common_config: { log_name: logName, grpc_service: { envoy_grpc: { cluster_name: cluster } }, transport_api_version: 'V3', buffer_flush_interval: '0.05s', ...common },
      ...extra,
    },
  };
}

const ROUTES = { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' }, name: 'to-backend' }] }] };
const HEADERS = { additional_request_headers_to_log: ['x-user'], additional_response_headers_to_log: ['x-upstream'] };

let backend: Upstream;
let proxy: RunningProxy;
const als = new AlsServer();
let silent: Awaited<ReturnType<typeof startSilentH2>>;
let flood: Awaited<ReturnType<typeof startFloodH2>>;
let garbage: Awaited<ReturnType<typeof startGarbage>>;

before(async () => {
  backend = await startUpstream('backend');
  await als.start();
  silent = await startSilentH2();
  flood = await startFloodH2();
  garbage = await startGarbage();
  const tcpListener = {
    name: 'tcp',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: {
              '@type': TCP_PROXY,
              stat_prefix: 'tcp',
              cluster: 'backend',
              access_log: [{ name: 'envoy.access_loggers.tcp_grpc', typed_config: { '@type': TCP_ALS, common_config: { log_name: 'tcp-log', grpc_service: { envoy_grpc: { cluster_name: 'als' } }, transport_api_version: 'V3', buffer_flush_interval: '0.05s' } } }],
            },
          },
        ],
      },
    ],
  };
  // a 2 KiB batch: the servers that never read fill it after a handful of entries
  const small = { buffer_size_bytes: 2048 };
  proxy = await startProxy({
    node: { id: 'als-e2e-node', cluster: 'e2e' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        hcmListener('web', { routeConfig: ROUTES, hcm: { access_log: [httpAls('web-log', 'als', {}, HEADERS)] } }),
        hcmListener('web2', { routeConfig: ROUTES, hcm: { access_log: [httpAls('web-log', 'als', {}, HEADERS)] } }),
        hcmListener('plain', { routeConfig: ROUTES }),
        hcmListener('slow', { routeConfig: ROUTES, hcm: { access_log: [httpAls('slow-log', 'als_silent', small)] } }),
        hcmListener('flood', { routeConfig: ROUTES, hcm: { access_log: [httpAls('flood-log', 'als_flood', small)] } }),
        hcmListener('garbage', { routeConfig: ROUTES, hcm: { access_log: [httpAls('garbage-log', 'als_garbage', small)] } }),
        tcpListener,
      ],
      clusters: [
        staticCluster('backend', [backend.port]),
        staticCluster('als', [als.port], H2_UPSTREAM),
        staticCluster('als_silent', [silent.port], H2_UPSTREAM),
        staticCluster('als_flood', [flood.port], H2_UPSTREAM),
        staticCluster('als_garbage', [garbage.port], H2_UPSTREAM),
      ],
    },
  });
});

after(async () => {
  await proxy?.stop();
  await backend?.close();
  als.kill();
  silent?.close();
  flood?.close();
  garbage?.close();
});

function port(name: string): number {
  return proxy.listeners.get(name)!;
}

function stat(name: string): Promise<number> {
  return adminStat(proxy.adminPort, name);
}

test('HTTP requests reach the service as HTTPAccessLogEntry, on one stream for both listeners, after the node identifier', async () => {
  const r1 = await request(port('web'), { path: '/a?x=1', headers: { 'x-user': 'alice', 'user-agent': 'e2e/1' }, host: 'shop.example' });
  const r2 = await request(port('web2'), { path: '/b', method: 'POST', body: 'hello', headers: { 'x-user': 'bob' } });
  assert.equal(r1.status, 200);
  assert.equal(r2.status, 200);
  const got = (await waitFor(() => (als.http('web-log').length >= 2 ? als.http('web-log') : undefined), 5000, 'two HTTP entries'))!;
  assert.equal(new Set(got.map((g) => g.stream)).size, 1, 'one stream carries both listeners');
  const id = als.identifiers().find((i) => i.log_name === 'web-log')!;
  assert.equal(id.node.id, 'als-e2e-node');
  assert.equal(id.node.cluster, 'e2e');
  const a = got.find((g) => g.entry.request.path === '/a?x=1')!.entry;
  assert.equal(a.request.authority, 'shop.example');
  assert.equal(a.request.request_method, 'GET');
  assert.equal(a.request.user_agent, 'e2e/1');
  assert.deepEqual(a.request.request_headers, { 'x-user': 'alice' });
  assert.equal(a.response.response_code.value, 200);
  assert.deepEqual(a.response.response_headers, { 'x-upstream': 'backend' });
  assert.equal(a.protocol_version, 'HTTP11');
  assert.equal(a.common_properties.upstream_cluster, 'backend');
  assert.equal(a.common_properties.route_name, 'to-backend');
  assert.equal(a.common_properties.upstream_remote_address.socket_address.port_value, backend.port);
  assert.equal(a.common_properties.downstream_local_address.socket_address.port_value, port('web'));
  assert.ok(a.common_properties.start_time.seconds > 1_600_000_000);
  const b = got.find((g) => g.entry.request.path === '/b')!.entry;
  assert.equal(b.request.request_method, 'POST');
  assert.equal(b.request.request_body_bytes, 5);
  assert.ok((await stat('access_logs.grpc_access_log.logs_written')) >= 2);
});

test('a TCP connection reaches the service as TCPAccessLogEntry with its byte counts', async () => {
  const reply = await new Promise<string>((resolve, reject) => {
    const s = net.connect(port('tcp'), '127.0.0.1', () => s.write('GET /tcp HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 200/);
  const got = (await waitFor(() => als.tcp('tcp-log')[0], 5000, 'a TCP entry'))!;
  const c = got.entry.connection_properties;
  assert.ok(c.received_bytes > 30, JSON.stringify(c));
  assert.equal(c.sent_bytes, reply.length);
  assert.equal(got.entry.common_properties.upstream_cluster, 'backend');
  assert.equal(got.entry.common_properties.access_log_type, 'TcpConnectionEnd');
});

test('the service killed and restarted on its port: requests are never held, logging resumes on a new stream', async () => {
  const before = als.http('web-log').length;
  const oldStreams = new Set(als.http('web-log').map((g) => g.stream));
  const alsPort = als.port;
  als.kill();
  // while it is down the proxy answers as usual
  for (let i = 0; i < 5; i++) assert.equal((await request(port('web'), { path: `/down-${i}` })).status, 200);
  await als.start(alsPort);
  await waitFor(
    async () => {
      await request(port('web'), { path: '/after-restart' });
      return als.http('web-log').some((g) => g.entry.request.path === '/after-restart');
    },
    20000,
    'an entry after the restart',
    200,
  );
  const fresh = als.http('web-log').filter((g) => !oldStreams.has(g.stream));
  assert.ok(fresh.length > 0);
  assert.ok(als.http('web-log').length > before);
  // the new stream begins with the identifier again
  assert.ok(als.identifiers().filter((i) => i.log_name === 'web-log').length >= 2);
});

test('slow, flooding and garbage-speaking services never slow requests; what cannot be sent is dropped and counted', async () => {
  const time = async (listener: string, n: number): Promise<number[]> => {
    const ms: number[] = [];
    await requestMany(n, 8, async (i) => {
      const t0 = performance.now();
      const r = await request(port(listener), { path: `/${listener}/${i}`, headers: { 'x-pad': 'p'.repeat(400) } });
      ms.push(performance.now() - t0);
      assert.equal(r.status, 200);
      return r;
    });
    return ms.sort((a, b) => a - b);
  };
  const droppedBefore = await stat('access_logs.grpc_access_log.logs_dropped');
  const base = await time('plain', 200);
  const slow = await time('slow', 400);
  const flooded = await time('flood', 200);
  const garbled = await time('garbage', 200);
  const p99 = (a: number[]): number => a[Math.floor(a.length * 0.99)]!;
  const report = { plainP99: p99(base), slowP99: p99(slow), floodP99: p99(flooded), garbageP99: p99(garbled) };
  // a logger that waited for its server would take the server's time (forever, for the silent one)
  for (const [k, v] of Object.entries(report)) assert.ok(v < 1000, `${k} = ${v.toFixed(1)} ms`);
  assert.ok(silent.streams() >= 1, 'the silent server was reached');
  // the flood is cut after 64 KiB and the stream reopened; the garbage speaker's connections fail and are retried
  await waitFor(() => flood.streams() >= 2, 5000, 'a new stream after the flood was cut');
  await waitFor(async () => (await stat('cluster.als_garbage.upstream_cx_total')) >= 2, 5000, 'a reconnect to the garbage speaker');
  await waitFor(async () => (await stat('access_logs.grpc_access_log.logs_dropped')) > droppedBefore, 5000, 'drops counted');
  // the proxy is alive and still logging to the good service
  await request(port('web'), { path: '/still-alive' });
  await waitFor(() => als.http('web-log').some((g) => g.entry.request.path === '/still-alive'), 5000, 'logging to the good service');
  console.log(`# p99 latency ms: ${JSON.stringify(Object.fromEntries(Object.entries(report).map(([k, v]) => [k, Number(v.toFixed(2))])))}`);
});
