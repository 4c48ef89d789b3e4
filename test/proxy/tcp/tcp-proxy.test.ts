// Tests for tcp_proxy with real sockets: echo, backpressure, half-close, weighted clusters, retries, idle timeout, TLS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { Cluster, TcpProxy, UpstreamTlsContext } from '../../../src/proxy/config/types.js';
import { TcpProxyFilter } from '../../../src/proxy/tcp/tcp-proxy.js';
import { CircuitBreakersImpl } from '../../../src/proxy/upstream/circuit-breakers.js';
import { ListenerManager } from '../../../src/proxy/listener/listener-manager.js';
import { makeTestPki, type TestPki } from '../../fixtures/certs.js';
import { downstreamTls, listener, tcpChain, tcpProxy } from '../listener/builders.js';
import { clusterConfig, FakeCluster, FakeClusterManager, FakeStats, fakeHost } from './fakes.js';

const servers: net.Server[] = [];
let dir: string;
let pki: TestPki;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'trellis-tcp-'));
  pki = makeTestPki(dir);
});
after(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** Echoes with an optional tag before each chunk; ends its side when the client half-closes. */
function echoServer(tag = '', opts: { tls?: tls.TlsOptions } = {}): Promise<number> {
  const onConn = (s: net.Socket): void => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => s.write(tag ? Buffer.concat([Buffer.from(tag), d]) : d));
    s.on('end', () => s.end('<bye>'));
  };
  return listen(opts.tls ? tls.createServer({ ...opts.tls, allowHalfOpen: true }, onConn) : net.createServer({ allowHalfOpen: true }, onConn));
}

async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** A front listener handing every connection to the proxy, as the listener would. */
async function front(proxy: TcpProxyFilter): Promise<number> {
  return listen(
    net.createServer({ allowHalfOpen: true }, (s) =>
      proxy.handleConnection(s, { remoteAddress: '', remotePort: 0, localAddress: '', localPort: 0, listenerName: 'l', filterChainName: 'c' }),
    ),
  );
}

/** Sends `data`, half-closes, and collects everything until the proxy closes. */
function roundTrip(port: number, data: Buffer | string, halfClose = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => c.end()); // the proxy finished: close our side too
    c.on('error', reject);
    c.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    c.write(data);
    if (halfClose) c.end();
  });
}

function setup(clusters: { name: string; ports: number[]; config?: Cluster }[], cfg: TcpProxy, random?: () => number) {
  const stats = new FakeStats();
  const fc = clusters.map(
    (c) => new FakeCluster(c.name, c.ports.map((p) => fakeHost('127.0.0.1', p)), stats.scope('cluster', ['envoy_cluster_name', c.name]), c.config),
  );
  const proxy = new TcpProxyFilter(cfg, { clusterManager: new FakeClusterManager(fc), stats, random });
  return { stats, clusters: fc, proxy };
}

test('echoes through, half-close carries the FIN both ways, large payloads flow with backpressure', async () => {
  const up = await echoServer();
  const { stats, proxy } = setup([{ name: 'echo', ports: [up] }], tcpProxy('echo_tcp', { kind: 'cluster', name: 'echo' }));
  const port = await front(proxy);
  assert.equal(await roundTrip(port, 'hello'), 'hello<bye>');
  const big = Buffer.alloc(4 * 1024 * 1024, 'x');
  const got = await roundTrip(port, big);
  assert.equal(got.length, big.length + '<bye>'.length);
  assert.equal(stats.get('tcp.echo_tcp.downstream_cx_total'), 2);
  assert.equal(stats.get('cluster.echo.upstream_cx_total'), 2);
  assert.equal(stats.get('tcp.echo_tcp.downstream_cx_rx_bytes_total'), 5 + big.length);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stats.get('cluster.echo.upstream_cx_active'), 0);
  assert.equal(proxy.activeConnections(), 0);
});

test('weighted clusters are picked by weight', async () => {
  const a = await echoServer('A');
  const b = await echoServer('B');
  const rolls = [0.1, 0.3, 0.5, 0.9, 0.2];
  const { proxy } = setup(
    [
      { name: 'a', ports: [a] },
      { name: 'b', ports: [b] },
    ],
    tcpProxy('w', { kind: 'weighted_clusters', clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] }),
    () => rolls.shift() ?? 0,
  );
  const port = await front(proxy);
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) seen.push((await roundTrip(port, '.'))[0]!);
  // weights 1:3 -> rolls below 0.25 go to a
  assert.deepEqual(seen, ['A', 'B', 'B', 'B', 'A']);
});

test('connect failures are reported and retried up to max_connect_attempts; no route closes', async () => {
  const dead = await deadPort();
  const live = await echoServer();
  const { stats, clusters, proxy } = setup([{ name: 'c', ports: [dead, live] }], tcpProxy('r', { kind: 'cluster', name: 'c' }, { max_connect_attempts: 2 }));
  assert.equal(await roundTrip(await front(proxy), 'hi'), 'hi<bye>');
  assert.equal(stats.get('cluster.c.upstream_cx_connect_fail'), 1);
  assert.deepEqual(clusters[0]!.reports.map((r) => [r.host.port, r.localFailure]), [[dead, 'connect-failure']]);
  assert.equal(clusters[0]!.hosts[0]!.stats.cx_connect_fail, 1);

  const once = setup([{ name: 'c', ports: [dead, live] }], tcpProxy('r1', { kind: 'cluster', name: 'c' }));
  assert.equal(await roundTrip(await front(once.proxy), 'hi', false), '');
  assert.equal(once.stats.get('cluster.c.upstream_cx_connect_attempts_exceeded'), 1);

  const none = setup([], tcpProxy('nr', { kind: 'cluster', name: 'missing' }));
  assert.equal(await roundTrip(await front(none.proxy), 'hi', false), '');
  assert.equal(none.stats.get('tcp.nr.downstream_cx_no_route'), 1);
});

test('max_connections overflow closes the connection and counts upstream_cx_overflow once', async () => {
  const up = await echoServer();
  const { stats, clusters, proxy } = setup([{ name: 'b', ports: [up] }], tcpProxy('cb', { kind: 'cluster', name: 'b' }));
  const cluster = clusters[0]!;
  const breakers = new CircuitBreakersImpl(
    [{ priority: 'DEFAULT', max_connections: 1, max_pending_requests: 1, max_requests: 1, max_retries: 1, track_remaining: false }],
    cluster.stats,
  );
  Object.defineProperty(cluster, 'breakers', { value: breakers });
  assert.equal(breakers.tryOpenConnection(), true); // the one allowed connection is taken
  assert.equal(await roundTrip(await front(proxy), 'hi', false), '');
  assert.equal(stats.get('cluster.b.upstream_cx_overflow'), 1);
});

test('idle_timeout closes a silent connection', async () => {
  const up = await echoServer();
  const { stats, proxy } = setup([{ name: 'e', ports: [up] }], tcpProxy('idle', { kind: 'cluster', name: 'e' }, { idle_timeout: 150 }));
  const port = await front(proxy);
  const started = Date.now();
  // traffic keeps it open past one timeout period, then silence closes it
  const c = net.connect({ host: '127.0.0.1', port });
  let echoed = '';
  c.on('data', (d: Buffer) => (echoed += d.toString()));
  const ping = setInterval(() => c.write('p'), 50);
  await new Promise((r) => setTimeout(r, 300));
  clearInterval(ping);
  assert.equal(c.destroyed, false);
  await new Promise<void>((r) => c.once('close', () => r()));
  assert.ok(Date.now() - started >= 400, 'closed only after 150 ms of silence');
  assert.ok(echoed.length >= 4);
  assert.equal(stats.get('tcp.idle.idle_timeout'), 1);
});

test('upstream TLS with trusted CA and SAN matcher; a SAN mismatch counts as a connect failure', async () => {
  const up = await echoServer('', { tls: { cert: pki.serverCert, key: pki.serverKey } });
  const tlsCtx = (san: string): UpstreamTlsContext => ({
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    allow_renegotiation: false,
    common_tls_context: {
      tls_certificates: [],
      validation_context: {
        trusted_ca: pki.caCert,
        match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { kind: 'exact', value: san, ignore_case: false } }],
        verify_certificate_spki: [],
        verify_certificate_hash: [],
      },
      alpn_protocols: [],
      tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
      tls_certificate_sds_secret_configs: [],
    },
  });
  const cluster = (san: string): Cluster => clusterConfig('t', { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: tlsCtx(san) } });
  const ok = setup([{ name: 't', ports: [up], config: cluster('server.example.com') }], tcpProxy('tls', { kind: 'cluster', name: 't' }));
  assert.equal(await roundTrip(await front(ok.proxy), 'secret'), 'secret<bye>');
  const bad = setup([{ name: 't', ports: [up], config: cluster('evil.example.com') }], tcpProxy('tls2', { kind: 'cluster', name: 't' }));
  assert.equal(await roundTrip(await front(bad.proxy), 'secret', false), '');
  assert.equal(bad.stats.get('cluster.t.upstream_cx_connect_fail'), 1);
});

test('through the ListenerManager: TLS terminated downstream, tcp_proxy to a plain upstream', async () => {
  const up = await echoServer();
  const stats = new FakeStats();
  const cm = new FakeClusterManager([new FakeCluster('echo', [fakeHost('127.0.0.1', up)], stats.scope('cluster', ['envoy_cluster_name', 'echo']))]);
  const lm = new ListenerManager({
    stats,
    clusterManager: cm,
    createHttpHandler: () => {
      throw new Error('no HTTP here');
    },
  });
  const chain = tcpChain('tcp', tcpProxy('front', { kind: 'cluster', name: 'echo' }));
  chain.transport_socket = { name: 'envoy.transport_sockets.tls', typed_config: downstreamTls(pki) };
  await lm.update([listener('tcp', [chain])]);
  const port = lm.addresses()[0]!.port;
  const got = await new Promise<string>((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port, ca: pki.caCert, servername: 'localhost', allowHalfOpen: true } as tls.ConnectionOptions, () => {
      c.write('over tls');
      c.end();
    });
    let d = '';
    c.on('data', (x: Buffer) => (d += x.toString()));
    c.on('close', () => resolve(d));
    c.on('error', reject);
  });
  assert.equal(got, 'over tls<bye>');
  assert.equal(stats.get('tcp.front.downstream_cx_total'), 1);
  await lm.close();
});
