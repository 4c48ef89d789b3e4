// E2E: the HCM's own request/response edits in a real `trellis proxy` — via, add_user_agent, strip_any/matching_host_port,
// path_with_escaped_slashes_action (reject, redirect, forward) and scheme_header_transformation (overwrite, match_upstream).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { makeTestPki, type TestPki } from '../fixtures/certs.js';
import { H2_UPSTREAM, adminGet, hcmListener, request, startH2Upstream, startProxy, startUpstream, staticCluster, type H2Upstream, type RunningProxy, type Upstream } from './harness.js';

const UP_TLS_CTX = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

let echo: Upstream;
let h2: H2Upstream;
let h2Tls: http2.Http2SecureServer;
let h2TlsPort: number;
let pki: TestPki;
let dir: string;
let proxy: RunningProxy;
const schemes: { upstream: string; scheme: string }[] = [];

function routes(cluster: string, extra: object[] = []): object {
  return { name: cluster, virtual_hosts: [{ name: 'vh', domains: ['example.com', 'localhost'], routes: [...extra, { match: { prefix: '/' }, route: { cluster } }] }] };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-hcm-'));
  pki = makeTestPki(dir);
  echo = await startUpstream('echo', (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('via', '1.1 origin');
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  h2 = await startH2Upstream((req, res) => {
    schemes.push({ upstream: 'h2', scheme: req.scheme });
    res.end('ok');
  });
  h2Tls = http2.createSecureServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    schemes.push({ upstream: 'h2tls', scheme: req.scheme });
    res.end('ok');
  });
  await new Promise<void>((r) => h2Tls.listen(0, '127.0.0.1', r));
  h2TlsPort = (h2Tls.address() as { port: number }).port;
  const tlsCluster = {
    ...staticCluster('h2tls', [h2TlsPort], H2_UPSTREAM),
    transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UP_TLS_CTX, sni: 'localhost', common_tls_context: { alpn_protocols: ['h2'] } } },
  };
  proxy = await startProxy({
    node: { id: 'edge-7', cluster: 'edge-gateway' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        hcmListener('headers', { routeConfig: routes('echo'), hcm: { via: '1.1 trellis', add_user_agent: true, strip_any_host_port: true } }),
        hcmListener('matching', { routeConfig: routes('echo'), hcm: { strip_matching_host_port: true } }),
        hcmListener('reject', { routeConfig: routes('echo'), hcm: { path_with_escaped_slashes_action: 'REJECT_REQUEST' } }),
        hcmListener('redirect', { routeConfig: routes('echo'), hcm: { path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT', normalize_path: true } }),
        hcmListener('forward', { routeConfig: routes('echo'), hcm: { path_with_escaped_slashes_action: 'UNESCAPE_AND_FORWARD' } }),
        hcmListener('overwrite', { routeConfig: routes('h2'), hcm: { scheme_header_transformation: { scheme_to_overwrite: 'https' } } }),
        hcmListener('upstream_tls', { routeConfig: routes('h2tls'), hcm: { scheme_header_transformation: { match_upstream: true } } }),
        hcmListener('plain_tls', { routeConfig: routes('h2tls') }),
      ],
      clusters: [staticCluster('echo', [echo.port]), staticCluster('h2', [h2.port], H2_UPSTREAM), tlsCluster],
    },
  });
});

after(async () => {
  await proxy?.stop();
  await echo?.close();
  await h2?.close();
  await new Promise<void>((r) => h2Tls.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

const port = (name: string): number => proxy.listeners.get(name)!;
const seen = (body: string): { url: string; headers: http.IncomingHttpHeaders } => JSON.parse(body) as { url: string; headers: http.IncomingHttpHeaders };

test('via is appended to the request and the response; add_user_agent names the bootstrap node', async () => {
  const r = await request(port('headers'), { path: '/v', headers: { via: '1.0 client-proxy' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.via, '1.1 origin, 1.1 trellis');
  const up = seen(r.body).headers;
  assert.equal(up.via, '1.0 client-proxy, 1.1 trellis');
  assert.equal(up['x-envoy-downstream-service-cluster'], 'edge-gateway');
  assert.equal(up['x-envoy-downstream-service-node'], 'edge-7');
  assert.equal(up['user-agent'], 'edge-gateway');
  const withUa = seen((await request(port('headers'), { headers: { 'user-agent': 'curl/8.0' } })).body).headers;
  assert.equal(withUa['user-agent'], 'curl/8.0');
  // a local reply gets via too
  const nr = await request(port('headers'), { host: 'unknown.test' });
  assert.equal(nr.status, 404);
  assert.equal(nr.headers.via, '1.1 trellis');
});

test('strip_any_host_port lets example.com:8443 match domain example.com and sends the host without the port', async () => {
  const r = await request(port('headers'), { host: 'example.com:8443' });
  assert.equal(r.status, 200);
  assert.equal(seen(r.body).headers.host, 'example.com');
});

test('strip_matching_host_port strips only the listener port', async () => {
  const own = await request(port('matching'), { host: `example.com:${port('matching')}` });
  assert.equal(own.status, 200);
  assert.equal(seen(own.body).headers.host, 'example.com');
  const other = await request(port('matching'), { host: 'example.com:1' });
  assert.equal(other.status, 404); // the vhost has no example.com:1
});

test('REJECT_REQUEST answers 400 to %2F in the path (not in the query) and counts it', async () => {
  assert.equal((await request(port('reject'), { path: '/a%2Fb' })).status, 400);
  assert.equal((await request(port('reject'), { path: '/a%5cb' })).status, 400);
  const q = await request(port('reject'), { path: '/a/b?next=%2Fx' });
  assert.equal(q.status, 200);
  const stats = (await adminGet(proxy.adminPort, '/stats?filter=failed_path_normalization')).body;
  assert.match(stats, /http\.reject\.downstream_rq_failed_path_normalization: 2/);
});

test('UNESCAPE_AND_REDIRECT answers 307 to the unescaped, normalized path; gRPC gets 400 instead', async () => {
  const r = await request(port('redirect'), { path: '/public%2F..%2Fadmin?x=1' });
  assert.equal(r.status, 307);
  assert.equal(r.headers.location, '/admin?x=1');
  const g = await request(port('redirect'), { path: '/svc%2FMethod', method: 'POST', headers: { 'content-type': 'application/grpc' }, body: Buffer.alloc(5) });
  assert.equal(g.headers['grpc-status'], '13');
  assert.equal((await request(port('redirect'), { path: '/plain' })).status, 200);
});

test('UNESCAPE_AND_FORWARD sends the unescaped path upstream', async () => {
  const r = await request(port('forward'), { path: '/a%2Fb%2fc?q=%2F' });
  assert.equal(r.status, 200);
  assert.equal(seen(r.body).url, '/a/b/c?q=%2F');
});

test('scheme_to_overwrite sets :scheme upstream; match_upstream makes it follow the upstream TLS', async () => {
  schemes.length = 0;
  assert.equal((await request(port('overwrite'))).status, 200);
  assert.equal((await request(port('upstream_tls'))).status, 200);
  assert.equal((await request(port('plain_tls'))).status, 200);
  assert.deepEqual(schemes, [
    { upstream: 'h2', scheme: 'https' },
    { upstream: 'h2tls', scheme: 'https' },
    { upstream: 'h2tls', scheme: 'http' }, // without match_upstream the downstream scheme goes on
  ]);
});
