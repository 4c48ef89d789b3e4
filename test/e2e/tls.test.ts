// E2E: `trellis proxy -c` terminates TLS (files, ALPN h2, mTLS with SPIFFE SANs), mixes TLS and plaintext on one port, picks chains by SNI, and originates TLS upstream.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { makeTestPki, type TestCert, type TestPki } from '../fixtures/certs.js';
import {
  adminGet,
  fileAccessLog,
  hcmListener,
  multiBootstrap,
  promValue,
  readLines,
  request,
  startProxy,
  startUpstream,
  staticCluster,
  tempFile,
  waitFor,
  type Reply,
  type RunningProxy,
  type Upstream,
} from './harness.js';

const TLS_CTX = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UP_TLS_CTX = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

let dir: string;
let pki: TestPki;
let certA: TestCert;
let certB: TestCert;
let otherClient: TestCert;
let upstreamCert: TestCert;
let ups: Upstream[] = [];
let httpsUp: https.Server;
let httpsUpPort: number;
const httpsUpSeen: { servername: string | false | null; path: string }[] = [];
let proxy: RunningProxy;
let accessLogPath: string;

function downstreamTls(cert: { certPath: string; keyPath: string }, extra: { alpn?: string[]; requireClient?: boolean; sans?: object[] } = {}): object {
  const common: Record<string, unknown> = {
    tls_certificates: [{ certificate_chain: { filename: cert.certPath }, private_key: { filename: cert.keyPath } }],
  };
  if (extra.alpn) common.alpn_protocols = extra.alpn;
  if (extra.requireClient || extra.sans) {
    common.validation_context = { trusted_ca: { filename: pki.caCertPath }, ...(extra.sans ? { match_typed_subject_alt_names: extra.sans } : {}) };
  }
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': TLS_CTX, common_tls_context: common, ...(extra.requireClient ? { require_client_certificate: true } : {}) },
  };
}

function hcm(statPrefix: string, routeConfig: object, accessLog?: object[]): object {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: statPrefix,
      route_config: routeConfig,
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
      ...(accessLog ? { access_log: accessLog } : {}),
    },
  };
}

const toCluster = (name: string, cluster: string): object => ({
  name,
  virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }],
});

const addr = { socket_address: { address: '127.0.0.1', port_value: 0 } };
const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };

function upstreamTlsCluster(name: string, sanExact: string): object {
  return staticCluster(name, [httpsUpPort], {
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': UP_TLS_CTX,
        sni: 'server.example.com',
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: pki.caCertPath },
            match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: sanExact } }],
          },
        },
      },
    },
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-tls-e2e-'));
  pki = makeTestPki(dir);
  certA = pki.issue('a', 'a.example.com', 'DNS:a.example.com');
  certB = pki.issue('b', 'b.example.com', 'DNS:b.example.com');
  otherClient = pki.issue('other', 'other', 'URI:spiffe://cluster.local/ns/default/sa/other');
  upstreamCert = pki.issue('upstream', 'upstream', 'DNS:server.example.com');
  ups = await Promise.all(['a', 'b'].map((n) => startUpstream(n)));
  httpsUp = https.createServer({ cert: upstreamCert.cert, key: upstreamCert.key }, (req, res) => {
    httpsUpSeen.push({ servername: (req.socket as tls.TLSSocket).servername, path: req.url ?? '' });
    res.setHeader('x-upstream', 'https-up');
    res.end(`secure ${req.url}`);
  });
  await new Promise<void>((r) => httpsUp.listen(0, '127.0.0.1', r));
  httpsUpPort = (httpsUp.address() as net.AddressInfo).port;
  accessLogPath = tempFile('access.log');

  const sans = [{ san_type: 'URI', matcher: { exact: pki.clientSpiffeId } }];
  const listeners = [
    // HTTPS from certificate files, offering h2 and http/1.1 by ALPN
    { name: 'https', address: addr, filter_chains: [{ filters: [hcm('https', toCluster('r_https', 'a'))], transport_socket: downstreamTls({ certPath: pki.serverCertPath, keyPath: pki.serverKeyPath }, { alpn: ['h2', 'http/1.1'] }) }] },
    // mTLS: only the SPIFFE identity of the client cert is admitted
    { name: 'mtls', address: addr, filter_chains: [{ filters: [hcm('mtls', toCluster('r_mtls', 'a'))], transport_socket: downstreamTls({ certPath: pki.serverCertPath, keyPath: pki.serverKeyPath }, { requireClient: true, sans }) }] },
    // mTLS with both the certificate and the client CA named through SDS (static secrets)
    {
      name: 'sds_static',
      address: addr,
      filter_chains: [
        {
          filters: [hcm('sds_static', toCluster('r_sds_static', 'b'))],
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: {
              '@type': TLS_CTX,
              require_client_certificate: true,
              common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'server_cert' }], validation_context_sds_secret_config: { name: 'client_ca' } },
            },
          },
        },
      ],
    },
    // one port: TLS chain -> a, plaintext chain -> b
    {
      name: 'mixed',
      address: addr,
      listener_filters: [TLS_INSPECTOR],
      filter_chains: [
        { name: 'tls', filter_chain_match: { transport_protocol: 'tls' }, filters: [hcm('mixed_tls', toCluster('r_mixed_tls', 'a'))], transport_socket: downstreamTls({ certPath: pki.serverCertPath, keyPath: pki.serverKeyPath }) },
        { name: 'plain', filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [hcm('mixed_plain', toCluster('r_mixed_plain', 'b'))] },
      ],
    },
    // SNI: a.example.com -> cert a, cluster a; b.example.com -> cert b, cluster b
    {
      name: 'sni',
      address: addr,
      listener_filters: [TLS_INSPECTOR],
      filter_chains: [
        { name: 'sni_a', filter_chain_match: { server_names: ['a.example.com'] }, filters: [hcm('sni_a', toCluster('r_sni_a', 'a'))], transport_socket: downstreamTls(certA) },
        { name: 'sni_b', filter_chain_match: { server_names: ['b.example.com'] }, filters: [hcm('sni_b', toCluster('r_sni_b', 'b'))], transport_socket: downstreamTls(certB) },
      ],
    },
    // plaintext in, TLS out
    hcmListener('origin', {
      routeConfig: {
        name: 'r_origin',
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            routes: [
              { match: { prefix: '/good' }, route: { cluster: 'up_tls_good' } },
              { match: { prefix: '/bad' }, route: { cluster: 'up_tls_bad' } },
            ],
          },
        ],
      },
      hcm: { access_log: [fileAccessLog(accessLogPath, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER%\n')] },
    }),
  ];
  const bootstrap = multiBootstrap(listeners, [
    staticCluster('a', [ups[0].port]),
    staticCluster('b', [ups[1].port]),
    upstreamTlsCluster('up_tls_good', 'server.example.com'),
    upstreamTlsCluster('up_tls_bad', 'not-the-server.example.com'),
  ]) as { static_resources: Record<string, unknown> };
  bootstrap.static_resources.secrets = [
    { name: 'server_cert', tls_certificate: { certificate_chain: { filename: pki.serverCertPath }, private_key: { filename: pki.serverKeyPath } } },
    { name: 'client_ca', validation_context: { trusted_ca: { filename: pki.caCertPath } } },
  ];
  proxy = await startProxy(bootstrap);
});

after(async () => {
  await proxy?.stop();
  await Promise.all(ups.map((u) => u.close()));
  httpsUp?.closeAllConnections();
  await new Promise<void>((r) => (httpsUp ? httpsUp.close(() => r()) : r()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (accessLogPath) fs.rmSync(path.dirname(accessLogPath), { recursive: true, force: true });
});

interface TlsReply extends Reply {
  peerCert: tls.PeerCertificate;
  alpn: string | false | null;
  authorized: boolean;
}

/** HTTPS/1.1 GET; the client trusts only the test CA and checks the server name (hostname verification on). */
function httpsGet(port: number, opts: { servername?: string; cert?: string; key?: string; path?: string } = {}): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions & tls.ConnectionOptions = {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        servername: opts.servername ?? 'localhost',
        headers: { host: opts.servername ?? 'localhost' },
        ca: pki.caCert,
        cert: opts.cert,
        key: opts.key,
        agent: false,
        rejectUnauthorized: true,
        ALPNProtocols: ['http/1.1'],
    };
    const req = https.request(
      options,
      (res) => {
        const sock = res.socket as tls.TLSSocket;
        const peerCert = sock.getPeerCertificate();
        const alpn = sock.alpnProtocol;
        const authorized = sock.authorized;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), peerCert, alpn, authorized }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Raw TLS exchange: handshake, send an HTTP/1.1 request, report what came back before the close (or the error). */
function tlsExchange(port: number, opts: { cert?: string; key?: string }): Promise<{ handshake: boolean; data: string; error?: string }> {
  return new Promise((resolve) => {
    let handshake = false;
    let data = '';
    let done = false;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ handshake, data, error });
    };
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCert, cert: opts.cert, key: opts.key, ALPNProtocols: ['http/1.1'] }, () => {
      handshake = true;
      s.write('GET / HTTP/1.1\r\nhost: localhost\r\n\r\n');
    });
    s.on('data', (c: Buffer) => (data += c.toString()));
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    s.on('close', () => finish());
    const t = setTimeout(() => finish('timeout'), 5000);
  });
}

test('HTTPS from certificate files: the client verifies the server cert against the CA', async () => {
  const port = proxy.listeners.get('https')!;
  const r = await httpsGet(port);
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-upstream'], 'a');
  assert.equal(r.authorized, true);
  assert.equal(r.peerCert.subject.CN, 'server');
  assert.match(r.peerCert.subjectaltname ?? '', /DNS:localhost/);
  assert.equal(r.alpn, 'http/1.1');
  // the upstream sees the request came in over TLS
  assert.equal(ups[0].requests.at(-1)!.headers['x-forwarded-proto'], 'https');
  // a plaintext request on the TLS port gets no HTTP answer
  const plain = await request(port).then(
    (x) => `HTTP ${x.status}`,
    (e: NodeJS.ErrnoException) => e.code ?? 'error',
  );
  assert.doesNotMatch(plain, /^HTTP 200/);
  // a client that does not trust our CA refuses the handshake
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost' }, () => resolve(s));
      s.on('error', reject);
    }),
    /self[- ]signed|unable to (verify|get local issuer)/i,
  );
});

test('ALPN h2: HTTP/2 over TLS with http2.connect(https://…)', async () => {
  const port = proxy.listeners.get('https')!;
  const session = http2.connect(`https://localhost:${port}`, { ca: pki.caCert });
  try {
    const reply = await new Promise<{ status: number; upstream: string; body: string }>((resolve, reject) => {
      const req = session.request({ ':path': '/h2-check', ':method': 'GET' });
      let status = 0;
      let upstream = '';
      let body = '';
      req.on('response', (h) => {
        status = Number(h[':status']);
        upstream = String(h['x-upstream']);
      });
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => resolve({ status, upstream, body }));
      req.on('error', reject);
      req.end();
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.upstream, 'a');
    assert.equal(reply.body, 'a GET /h2-check 0');
    assert.equal((session.socket as tls.TLSSocket).alpnProtocol, 'h2');
  } finally {
    session.close();
  }
  const h2 = await promValue(proxy.adminPort, 'envoy_http_downstream_rq_http2_total', { envoy_http_conn_manager_prefix: 'https' });
  assert.ok((h2 ?? 0) >= 1, `http2 requests counted: ${h2}`);
});

test('mTLS: require_client_certificate + SPIFFE URI SAN match', async () => {
  const port = proxy.listeners.get('mtls')!;
  // the right identity passes
  const ok = await httpsGet(port, { cert: pki.clientCert, key: pki.clientKey });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['x-upstream'], 'a');

  // no client certificate: the handshake fails, no HTTP response
  const none = await tlsExchange(port, {});
  assert.doesNotMatch(none.data, /HTTP\/1\.1/);
  assert.ok(none.error !== undefined || none.data === '', JSON.stringify(none));
  await assert.rejects(httpsGet(port));

  // a CA-signed cert with another SPIFFE id: rejected
  const other = await tlsExchange(port, { cert: otherClient.cert, key: otherClient.key });
  assert.equal(other.data, '', JSON.stringify(other));
  await assert.rejects(httpsGet(port, { cert: otherClient.cert, key: otherClient.key }));

  // a self-signed cert carrying the right SAN: untrusted, rejected
  const forged = pki.selfSigned('forged', 'client', `URI:${pki.clientSpiffeId}`);
  await assert.rejects(httpsGet(port, { cert: forged.cert, key: forged.key }));

  // the listener counted the failures under Envoy's names
  const prom = (await adminGet(proxy.adminPort, '/stats')).body;
  const mtlsStat = (name: string): number => {
    const re = new RegExp(`^listener\\.127\\.0\\.0\\.1_${port}\\.ssl\\.${name}: (\\d+)$`, 'm');
    const m = re.exec(prom);
    return m === null ? -1 : Number(m[1]);
  };
  assert.ok(mtlsStat('fail_verify_san') >= 2, prom);
  assert.ok(mtlsStat('handshake') >= 1, prom);
});

test('static secrets named through SDS: the listener serves their certificate and verifies clients with their CA', async () => {
  const port = proxy.listeners.get('sds_static')!;
  const ok = await httpsGet(port, { cert: pki.clientCert, key: pki.clientKey });
  assert.equal(ok.status, 200);
  assert.equal(ok.authorized, true);
  assert.equal(ok.peerCert.subject.CN, 'server');
  assert.equal(ok.headers['x-upstream'], 'b');
  await assert.rejects(httpsGet(port), 'no client certificate: refused');
});

test('tls_inspector: one port serves TLS and plaintext on two filter chains', async () => {
  const port = proxy.listeners.get('mixed')!;
  const viaTls = await httpsGet(port);
  assert.equal(viaTls.status, 200);
  assert.equal(viaTls.headers['x-upstream'], 'a');
  assert.equal(viaTls.authorized, true);
  const plain = await request(port);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['x-upstream'], 'b');
  // and again interleaved, to show the choice is per connection
  const [t2, p2] = await Promise.all([httpsGet(port, { path: '/again' }), request(port, { path: '/again' })]);
  assert.equal(t2.headers['x-upstream'], 'a');
  assert.equal(p2.headers['x-upstream'], 'b');
});

test('SNI picks the filter chain (certificate and cluster)', async () => {
  const port = proxy.listeners.get('sni')!;
  const a = await httpsGet(port, { servername: 'a.example.com' });
  assert.equal(a.status, 200);
  assert.equal(a.headers['x-upstream'], 'a');
  assert.equal(a.peerCert.subject.CN, 'a.example.com');
  const b = await httpsGet(port, { servername: 'b.example.com' });
  assert.equal(b.status, 200);
  assert.equal(b.headers['x-upstream'], 'b');
  assert.equal(b.peerCert.subject.CN, 'b.example.com');
  // an unknown name matches no chain: the connection is closed
  await assert.rejects(httpsGet(port, { servername: 'c.example.com' }));
  const nfc = await promValue(proxy.adminPort, 'envoy_listener_no_filter_chain_match', { envoy_listener_address: `127.0.0.1_${port}` });
  assert.ok((nfc ?? 0) >= 1, `no_filter_chain_match = ${nfc}`);
});

test('upstream TLS: SNI, trusted CA and SAN match; a SAN mismatch is a connection failure (503 UF)', async () => {
  const port = proxy.listeners.get('origin')!;
  const good = await request(port, { path: '/good/x' });
  assert.equal(good.status, 200, good.body);
  assert.equal(good.body, 'secure /good/x');
  assert.equal(httpsUpSeen.at(-1)!.servername, 'server.example.com');

  const seenBefore = httpsUpSeen.length;
  const bad = await request(port, { path: '/bad/x' });
  assert.equal(bad.status, 503);
  assert.match(bad.body, /connection failure|TLS/i);
  assert.equal(httpsUpSeen.length, seenBefore, 'no request may reach an upstream whose certificate failed verification');
  const fails = await promValue(proxy.adminPort, 'envoy_cluster_upstream_cx_connect_fail', { envoy_cluster_name: 'up_tls_bad' });
  assert.ok((fails ?? 0) >= 1, `upstream_cx_connect_fail = ${fails}`);
  const lines = (await waitFor(() => {
    const l = readLines(accessLogPath);
    return l.length >= 2 ? l : undefined;
  }, 5000, 'access log lines'))!;
  assert.ok(lines.includes('/good/x 200 - up_tls_good'), lines.join('\n'));
  assert.ok(lines.includes('/bad/x 503 UF up_tls_bad'), lines.join('\n'));
});
