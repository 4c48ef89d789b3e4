// E2E: a `trellis proxy -c` cluster with transport_socket_matches sends mTLS (client certificate, server SAN checked,
// SNI) to the endpoint whose metadata says tlsMode istio and plaintext to the other — over HTTP and tcp_proxy alike.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { makeTestPki, type TestCert, type TestPki } from '../fixtures/certs.js';
import { hcmListener, multiBootstrap, request, startProxy, startUpstream, type RunningProxy, type Upstream } from './harness.js';

const UP_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const SNI = 'outbound_.80_._.svc.example';

let dir: string;
let pki: TestPki;
let clientCert: TestCert;
let secure: https.Server;
let securePort: number;
const secureSeen: { servername: string | false | null; peerUri: string }[] = [];
let plain: Upstream;
let proxy: RunningProxy;

function endpoint(port: number, meta?: object): object {
  return { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } }, ...(meta ? { metadata: { filter_metadata: { 'envoy.transport_socket_match': meta } } } : {}) };
}

function mixedCluster(name: string): object {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [endpoint(securePort, { tlsMode: 'istio' }), endpoint(plain.port)] }] },
    transport_socket_matches: [
      {
        name: 'tlsMode-istio',
        match: { tlsMode: 'istio' },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': UP_TLS,
            sni: SNI,
            common_tls_context: {
              tls_certificates: [{ certificate_chain: { filename: clientCert.certPath }, private_key: { filename: clientCert.keyPath } }],
              validation_context: {
                trusted_ca: { filename: pki.caCertPath },
                match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'server.example.com' } }],
              },
            },
          },
        },
      },
      { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer' } },
    ],
  };
}

/** One HTTP/1.1 request written through the tcp_proxy listener; resolves with the whole raw response. */
function rawGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /tcp HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('cluster transport_socket_matches (real proxy)', () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsm-e2e-'));
    pki = makeTestPki(dir);
    clientCert = pki.issue('spiffe-client', 'client', 'URI:spiffe://cluster.local/ns/default/sa/sleep');
    secure = https.createServer({ cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const s = req.socket as tls.TLSSocket;
      secureSeen.push({ servername: s.servername, peerUri: s.getPeerCertificate().subjectaltname ?? '' });
      res.setHeader('x-upstream', 'secure');
      res.end('secure');
    });
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    securePort = (secure.address() as net.AddressInfo).port;
    plain = await startUpstream('plain');
    const route = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'mixed' } }] }] };
    const tcpListener = {
      name: 'tcp',
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'tcp', cluster: 'mixed_tcp' } }] }],
    };
    proxy = await startProxy(multiBootstrap([hcmListener('http', { routeConfig: route }), tcpListener], [mixedCluster('mixed'), mixedCluster('mixed_tcp')]));
  });
  after(async () => {
    await proxy?.stop();
    secure?.closeAllConnections();
    await new Promise<void>((r) => (secure ? secure.close(() => r()) : r()));
    await plain?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('HTTP: the tlsMode-istio endpoint gets mTLS with the SNI and client certificate, the other endpoint plaintext', async () => {
    const port = proxy.listeners.get('http')!;
    const replies = await Promise.all([0, 1, 2, 3].map(() => request(port)));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200]);
    assert.deepEqual(replies.map((r) => r.headers['x-upstream']).sort(), ['plain', 'plain', 'secure', 'secure']);
    assert.ok(secureSeen.length >= 2);
    for (const s of secureSeen) {
      assert.equal(s.servername, SNI);
      assert.match(s.peerUri, /URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep/);
    }
    assert.equal(plain.requests.length, 2);
  });

  it('tcp_proxy: connections follow the same per-endpoint sockets', async () => {
    const port = proxy.listeners.get('tcp')!;
    const before = secureSeen.length;
    const outs = [await rawGet(port), await rawGet(port)];
    assert.ok(outs.every((o) => o.startsWith('HTTP/1.1 200')), outs.join('\n---\n'));
    assert.deepEqual(outs.map((o) => (o.includes('x-upstream: secure') ? 'secure' : 'plain')).sort(), ['plain', 'secure']);
    assert.equal(secureSeen.length, before + 1);
    assert.equal(secureSeen.at(-1)!.servername, SNI);
  });
});
