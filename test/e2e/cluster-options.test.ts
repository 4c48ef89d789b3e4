// E2E: cluster options in a real `trellis proxy` — auto_config (ALPN picks h2 or HTTP/1.1 over TLS), auto_sni and
// auto_san_validation from the request host, the deprecated match_subject_alt_names, mirrors by cluster_header,
// health checks at no_traffic_healthy_interval, and a bootstrap with cluster_manager.load_stats_config.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { makeTestPki, type TestPki } from '../fixtures/certs.js';
import { adminGet, httpBootstrap, request, startProxy, startUpstream, staticCluster, waitFor, type RunningProxy, type Upstream } from './harness.js';

const UP_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

let dir: string;
let pki: TestPki;
let h2Server: http2.Http2SecureServer;
let h1Server: https.Server;
let main: Upstream;
let shadow: Upstream;
let healthy: Upstream;
let failing: Upstream;
let proxy: RunningProxy;
let port: number;
const sniSeen: string[] = [];

function listen(s: { listen(p: number, h: string, cb: () => void): unknown; address(): unknown }): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

/** Answers with the HTTP version and the SNI the connection came with. */
function whoami(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  const sni = String((req.socket as TLSSocket).servername ?? '-');
  sniSeen.push(sni);
  res.end(`${req.httpVersion} ${sni}`);
}

function tlsSocket(common: object, sni?: string): object {
  return { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UP_TLS, ...(sni !== undefined ? { sni } : {}), common_tls_context: common } };
}

function httpOptions(o: object): object {
  return { typed_extension_protocol_options: { [KEY]: { '@type': `type.googleapis.com/${KEY}`, ...o } } };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-clopt-'));
  pki = makeTestPki(dir);
  h2Server = http2.createSecureServer({ cert: pki.serverCert, key: pki.serverKey, allowHTTP1: true }, whoami);
  h1Server = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, whoami);
  const h2Port = await listen(h2Server);
  const h1Port = await listen(h1Server);
  main = await startUpstream('main');
  shadow = await startUpstream('shadow');
  healthy = await startUpstream('healthy');
  failing = await startUpstream('failing', (_req, res) => {
    res.statusCode = 503;
    res.end();
  });
  const trusted = { validation_context: { trusted_ca: { filename: pki.caCertPath } } };
  const bootstrap = httpBootstrap({
    clusters: [
      { ...staticCluster('auto_h2', [h2Port]), transport_socket: tlsSocket({}), ...httpOptions({ auto_config: {} }) },
      { ...staticCluster('auto_h1', [h1Port]), transport_socket: tlsSocket({}), ...httpOptions({ auto_config: {} }) },
      {
        ...staticCluster('by_host', [h1Port]),
        transport_socket: tlsSocket(trusted),
        ...httpOptions({ explicit_http_config: { http_protocol_options: {} }, upstream_http_protocol_options: { auto_sni: true, auto_san_validation: true } }),
      },
      { ...staticCluster('san_ok', [h1Port]), transport_socket: tlsSocket({ validation_context: { ...trusted.validation_context, match_subject_alt_names: [{ exact: 'server.example.com' }] } }, 'server.example.com') },
      { ...staticCluster('san_bad', [h1Port]), transport_socket: tlsSocket({ validation_context: { ...trusted.validation_context, match_subject_alt_names: [{ exact: 'nope.example' }] } }, 'server.example.com') },
      staticCluster('main', [main.port]),
      staticCluster('shadow', [shadow.port]),
      staticCluster('lrs', [main.port]),
      staticCluster('hc', [healthy.port, failing.port], {
        health_checks: [
          {
            timeout: '1s',
            interval: '30s',
            no_traffic_interval: '0.05s',
            no_traffic_healthy_interval: '60s',
            unhealthy_threshold: 1,
            healthy_threshold: 1,
            http_health_check: { path: '/healthz' },
          },
        ],
      }),
    ],
    routeConfig: {
      name: 'r',
      virtual_hosts: [
        {
          name: 'all',
          domains: ['*'],
          routes: [
            { match: { prefix: '/auto-h2' }, route: { cluster: 'auto_h2' } },
            { match: { prefix: '/auto-h1' }, route: { cluster: 'auto_h1' } },
            { match: { prefix: '/by-host' }, route: { cluster: 'by_host' } },
            { match: { prefix: '/san-ok' }, route: { cluster: 'san_ok' } },
            { match: { prefix: '/san-bad' }, route: { cluster: 'san_bad' } },
            { match: { prefix: '/mirror' }, route: { cluster: 'main', request_mirror_policies: [{ cluster_header: 'x-shadow-to' }] } },
          ],
        },
      ],
    },
  }) as Record<string, unknown>;
  bootstrap.cluster_manager = { load_stats_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'lrs' } }] } };
  proxy = await startProxy(bootstrap);
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  for (const u of [main, shadow, healthy, failing]) await u?.close();
  h2Server?.close();
  h1Server?.closeAllConnections();
  h1Server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function counter(name: string): Promise<number> {
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec((await adminGet(proxy.adminPort, `/stats?filter=${name}`)).body);
  return m === null ? 0 : Number(m[1]);
}

test('auto_config: a server offering h2 by ALPN is spoken to in HTTP/2, an HTTP/1.1-only one in HTTP/1.1', async () => {
  const a = await Promise.all([request(port, { path: '/auto-h2' }), request(port, { path: '/auto-h2' })]);
  for (const r of a) assert.match(r.body, /^2\.0 /);
  const b = await request(port, { path: '/auto-h1' });
  assert.equal(b.status, 200);
  assert.match(b.body, /^1\.1 /);
  assert.equal(await counter('cluster.auto_h2.upstream_cx_http2_total'), 1);
  assert.equal(await counter('cluster.auto_h1.upstream_cx_http1_total'), 1);
});

test('auto_sni sends the request host as SNI; auto_san_validation accepts only a certificate for that host', async () => {
  sniSeen.length = 0;
  const a = await request(port, { path: '/by-host', host: 'server.example.com:10443' });
  assert.equal(a.status, 200);
  assert.equal(a.body, '1.1 server.example.com');
  const b = await request(port, { path: '/by-host', host: 'localhost' });
  assert.equal(b.body, '1.1 localhost'); // another host name: another connection, with its own SNI
  const bad = await request(port, { path: '/by-host', host: 'evil.example' });
  assert.equal(bad.status, 503); // the certificate has no SAN for evil.example
  assert.deepEqual(sniSeen, ['server.example.com', 'localhost']);
});

test('match_subject_alt_names (deprecated, untyped) accepts a matching SAN and refuses others', async () => {
  const ok = await request(port, { path: '/san-ok' });
  assert.equal(ok.status, 200);
  const bad = await request(port, { path: '/san-bad' });
  assert.equal(bad.status, 503);
});

test('request_mirror_policies cluster_header: the request names the shadow cluster; none or an unknown one means no shadow', async () => {
  await request(port, { path: '/mirror/1', headers: { 'x-shadow-to': 'shadow' } });
  await waitFor(() => shadow.requests.some((r) => r.url === '/mirror/1'), 5000, 'the shadow request');
  assert.equal(shadow.requests.find((r) => r.url === '/mirror/1')?.headers.host, 'example.com-shadow');
  await request(port, { path: '/mirror/2' });
  await request(port, { path: '/mirror/3', headers: { 'x-shadow-to': 'no-such-cluster' } });
  await request(port, { path: '/mirror/4', headers: { 'x-shadow-to': 'shadow' } });
  await waitFor(() => shadow.requests.some((r) => r.url === '/mirror/4'), 5000, 'the fourth shadow request');
  assert.deepEqual(shadow.requests.map((r) => r.url).filter((u) => u?.startsWith('/mirror')), ['/mirror/1', '/mirror/4']);
  assert.equal(main.requests.filter((r) => r.url?.startsWith('/mirror')).length, 4);
});

test('without traffic, a failing host is checked every no_traffic_interval but a healthy one waits no_traffic_healthy_interval', async () => {
  await waitFor(() => failing.requests.length >= 10, 10000, 'ten checks of the failing host');
  assert.ok(healthy.requests.length <= 2, `healthy host checked ${healthy.requests.length} times`);
});

test('a bootstrap with cluster_manager.load_stats_config starts and serves (no load reports are sent)', async () => {
  assert.equal((await request(port, { path: '/mirror/x' })).status, 200);
  assert.equal(main.requests.some((r) => r.url === '/'), false);
});
