// E2E: a real `trellis proxy` set up like Envoy's dynamic forward proxy example (DFP filter + DFP cluster sharing one
// DNS cache) forwarding to localhost:<port> backends, auto SNI/SAN over TLS, and CONNECT terminated into TCP tunnels.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ROUTER_FILTER, adminGet, deadPort, hcmListener, multiBootstrap, rawExchange, request, startProxy, type RunningProxy } from './harness.js';
import { makeTestPki } from '../fixtures/certs.js';

const DFP_FILTER = 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig';
const DFP_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig';
const DFP_CLUSTER = 'type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig';
const CARES = 'type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig';
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

const servers: { close(): unknown }[] = [];
let proxy: RunningProxy;
let port: number; // DFP + CONNECT listener
let tlsPort: number; // DFP over TLS, CONNECT enabled but no CONNECT route
let noConnectPort: number; // CONNECT not enabled anywhere
let backendA: number;
let backendB: number;
let echo: number;
let tlsGood: number;
let tlsWrongName: number;

/** An HTTP backend that answers with what it saw (name, method, target, Host, TLS server name). */
async function backend(name: string, tls?: { cert: string; key: string }): Promise<number> {
  const handler: http.RequestListener = (req, res) => {
    req.resume();
    req.on('end', () => {
      const sni = (req.socket as Partial<TLSSocket>).servername;
      res.setHeader('x-upstream', name);
      res.end(`${name} ${req.method} ${req.url} host=${req.headers.host}${sni !== undefined ? ` sni=${sni}` : ''}`);
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ close: () => (server.closeAllConnections(), server.close()) });
  return (server.address() as net.AddressInfo).port;
}

function dnsCache(name: string): object {
  // Envoy's example names the c-ares resolver; trellis accepts it without options and asks the system resolver.
  return { name, dns_lookup_family: 'V4_ONLY', typed_dns_resolver_config: { name: 'envoy.network.dns_resolver.cares', typed_config: { '@type': CARES } } };
}

function dfpFilter(cache: string): object {
  return { name: 'envoy.filters.http.dynamic_forward_proxy', typed_config: { '@type': DFP_FILTER, dns_cache_config: dnsCache(cache) } };
}

function dfpCluster(name: string, cache: string, extra: object = {}): object {
  return {
    name,
    connect_timeout: '1s',
    lb_policy: 'CLUSTER_PROVIDED',
    cluster_type: { name: 'envoy.clusters.dynamic_forward_proxy', typed_config: { '@type': DFP_CLUSTER, dns_cache_config: dnsCache(cache) } },
    ...extra,
  };
}

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-dfp-'));
  const pki = makeTestPki(dir);
  const other = pki.issue('other', 'other', 'DNS:other.example');
  backendA = await backend('a');
  backendB = await backend('b');
  tlsGood = await backend('tls', { cert: pki.serverCert, key: pki.serverKey }); // SANs localhost, 127.0.0.1
  tlsWrongName = await backend('tls-other', { cert: other.cert, key: other.key });
  const echoServer = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echoServer.listen(0, '127.0.0.1', r));
  echo = (echoServer.address() as net.AddressInfo).port;
  servers.push(echoServer);

  const connectRoute = { match: { connect_matcher: {} }, route: { cluster: 'dynamic_forward_proxy_cluster', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } };
  proxy = await startProxy(
    multiBootstrap(
      [
        hcmListener('proxy', {
          routeConfig: {
            name: 'local_route',
            virtual_hosts: [
              {
                // CONNECT turned off for this one target by its route, though the connection manager allows CONNECT
                name: 'blocked',
                domains: ['blocked.example:443'],
                routes: [{ match: { connect_matcher: {} }, route: { cluster: 'dynamic_forward_proxy_cluster', upgrade_configs: [{ upgrade_type: 'CONNECT', enabled: false }] } }],
              },
              {
                name: 'local_service',
                domains: ['*'],
                routes: [
                  connectRoute,
                  {
                    match: { prefix: '/force-host-rewrite' },
                    route: { cluster: 'dynamic_forward_proxy_cluster' },
                    typed_per_filter_config: { 'envoy.filters.http.dynamic_forward_proxy': { '@type': DFP_PER_ROUTE, host_rewrite_literal: `localhost:${backendB}` } },
                  },
                  { match: { prefix: '/' }, route: { cluster: 'dynamic_forward_proxy_cluster' } },
                ],
              },
            ],
          },
          httpFilters: [dfpFilter('dynamic_forward_proxy_cache_config'), ROUTER_FILTER],
          hcm: { upgrade_configs: [{ upgrade_type: 'CONNECT' }] },
        }),
        hcmListener('tls-proxy', {
          routeConfig: { name: 'tls_route', virtual_hosts: [{ name: 'tls', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'dfp_tls' } }] }] },
          httpFilters: [dfpFilter('tls_cache'), ROUTER_FILTER],
          hcm: { upgrade_configs: [{ upgrade_type: 'CONNECT' }] },
        }),
        hcmListener('no-connect', {
          routeConfig: { name: 'plain', virtual_hosts: [{ name: 'plain', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'dynamic_forward_proxy_cluster' } }] }] },
          httpFilters: [dfpFilter('dynamic_forward_proxy_cache_config'), ROUTER_FILTER],
        }),
      ],
      [
        dfpCluster('dynamic_forward_proxy_cluster', 'dynamic_forward_proxy_cache_config'),
        dfpCluster('dfp_tls', 'tls_cache', {
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: { '@type': UPSTREAM_TLS, common_tls_context: { validation_context: { trusted_ca: { filename: pki.caCertPath } } } },
          },
        }),
      ],
    ),
  );
  port = proxy.listeners.get('proxy')!;
  tlsPort = proxy.listeners.get('tls-proxy')!;
  noConnectPort = proxy.listeners.get('no-connect')!;
});

after(async () => {
  await proxy?.stop();
  for (const s of servers) s.close();
});

test('dfp: the Host header names the upstream, resolved through the DNS cache', async () => {
  const r = await request(port, { path: '/hello', host: `localhost:${backendA}` });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, `a GET /hello host=localhost:${backendA}`);
  const again = await request(port, { path: '/again', host: `LOCALHOST:${backendA}` });
  assert.equal(again.body, `a GET /again host=LOCALHOST:${backendA}`);
  const b = await request(port, { path: '/b', host: `localhost:${backendB}` });
  assert.equal(b.body, `b GET /b host=localhost:${backendB}`);
  const stats = (await adminGet(proxy.adminPort, '/stats')).body;
  assert.match(stats, /^dns_cache\.dynamic_forward_proxy_cache_config\.host_added: 2$/m, 'one entry per host:port, whatever the case');
  assert.match(stats, /^dns_cache\.dynamic_forward_proxy_cache_config\.dns_query_attempt: 2$/m);
  assert.match(stats, /^cluster\.dynamic_forward_proxy_cluster\.membership_total: 2$/m);
});

test('dfp: an absolute-form request (a client using the proxy as its HTTP proxy) goes to the URL authority', async () => {
  const res = await rawExchange(port, `GET http://localhost:${backendB}/abs?x=1 HTTP/1.1\r\nHost: localhost:${backendB}\r\nConnection: close\r\n\r\n`);
  assert.match(res.data, /^HTTP\/1\.1 200 /);
  assert.ok(res.data.endsWith(`b GET /abs?x=1 host=localhost:${backendB}`), res.data);
});

test('dfp: per-route host_rewrite_literal replaces the authority before the lookup and upstream', async () => {
  const r = await request(port, { path: '/force-host-rewrite', host: `localhost:${backendA}` });
  assert.equal(r.body, `b GET /force-host-rewrite host=localhost:${backendB}`);
});

test('dfp over TLS: auto_sni sends the request host as SNI, auto_san_validation checks the certificate against it', async () => {
  const ok = await request(tlsPort, { path: '/s', host: `localhost:${tlsGood}` });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.body, `tls GET /s host=localhost:${tlsGood} sni=localhost`);
  // The CA signed this one too, but for other.example only: not valid for "localhost".
  const bad = await request(tlsPort, { path: '/s', host: `localhost:${tlsWrongName}` });
  assert.equal(bad.status, 503);
  assert.match(bad.body, /upstream connect error/);
});

/** Opens a CONNECT tunnel over HTTP/1.1; resolves with the response head and the socket (positioned after it). */
function connectTunnel(p: number, target: string, early = ''): Promise<{ head: string; socket: net.Socket; rest: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(p, '127.0.0.1', () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${early}`));
    let got = '';
    const onData = (c: Buffer): void => {
      got += c.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ head: got.slice(0, end), socket, rest: got.slice(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed before a response head: ${JSON.stringify(got)}`)));
  });
}

/** Reads from a tunnel socket until `want` bytes arrived (after `already`). */
function readUntil(socket: net.Socket, want: string, already = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = already;
    if (got.length >= want.length) return resolve(got);
    const t = setTimeout(() => reject(new Error(`timed out with ${JSON.stringify(got)}`)), 3000);
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.length >= want.length) {
        clearTimeout(t);
        resolve(got);
      }
    });
  });
}

test('CONNECT (HTTP/1.1): 200, then bytes tunnel to a loopback TCP echo server, including bytes sent with the head', async () => {
  const { head, socket, rest } = await connectTunnel(port, `127.0.0.1:${echo}`, 'early|');
  try {
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(head, /content-length|transfer-encoding/i, 'a tunnel has no HTTP framing');
    socket.write('ping|');
    assert.equal(await readUntil(socket, 'early|ping|', rest), 'early|ping|');
    // the client half-closes: the upstream gets the FIN, the echo server closes, the tunnel ends
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.end();
    await closed;
  } finally {
    socket.destroy();
  }
});

test('CONNECT by name: the DFP filter resolves localhost before the tunnel opens', async () => {
  const { head, socket, rest } = await connectTunnel(port, `localhost:${echo}`);
  try {
    assert.match(head, /^HTTP\/1\.1 200 /);
    socket.write('by-name');
    assert.equal(await readUntil(socket, 'by-name', rest), 'by-name');
  } finally {
    socket.destroy();
  }
});

test('CONNECT (HTTP/2): a plain CONNECT stream becomes a tunnel', async () => {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ':method': 'CONNECT', ':authority': `127.0.0.1:${echo}` });
    const status = await new Promise<number>((resolve, reject) => {
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
    });
    assert.equal(status, 200);
    stream.write('over-h2');
    const got = await new Promise<string>((resolve) => {
      let s = '';
      stream.on('data', (c: Buffer) => {
        s += c.toString();
        if (s.length >= 7) resolve(s);
      });
    });
    assert.equal(got, 'over-h2');
    stream.close();
  } finally {
    session.destroy();
  }
});

test('CONNECT refused: 404 without a CONNECT route, 403 where CONNECT is not enabled (HCM or route), 400 without a port, 503 when the target refuses', async () => {
  const noRoute = await rawExchange(tlsPort, `CONNECT 127.0.0.1:${echo} HTTP/1.1\r\nHost: 127.0.0.1:${echo}\r\n\r\n`);
  assert.match(noRoute.data, /^HTTP\/1\.1 404 /);
  assert.ok(noRoute.closed);
  const notEnabled = await rawExchange(noConnectPort, `CONNECT 127.0.0.1:${echo} HTTP/1.1\r\nHost: 127.0.0.1:${echo}\r\n\r\n`);
  assert.match(notEnabled.data, /^HTTP\/1\.1 403 /);
  const routeOff = await rawExchange(port, 'CONNECT blocked.example:443 HTTP/1.1\r\nHost: blocked.example:443\r\n\r\n');
  assert.match(routeOff.data, /^HTTP\/1\.1 403 /);
  const badTarget = await rawExchange(port, `CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assert.match(badTarget.data, /^HTTP\/1\.1 400 /, 'a CONNECT target needs a port');
  const dead = await deadPort();
  const refused = await rawExchange(port, `CONNECT 127.0.0.1:${dead} HTTP/1.1\r\nHost: 127.0.0.1:${dead}\r\n\r\n`);
  assert.match(refused.data, /^HTTP\/1\.1 503 /);
  // GET on a plain HTTP listener still works next to all this
  const plain = await request(noConnectPort, { path: '/p', host: `localhost:${backendA}` });
  assert.equal(plain.body, `a GET /p host=localhost:${backendA}`);
});
