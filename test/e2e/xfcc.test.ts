// E2E: x-forwarded-client-cert through a real `trellis proxy -c`: a header a client sends is removed by default
// (SANITIZE), and an mTLS listener with APPEND_FORWARD tells the upstream who the client is (By, Hash, Subject, URI).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { makeTestPki, type TestCert, type TestPki } from '../fixtures/certs.js';
import { hcmListener, multiBootstrap, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';

const DOWN_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
let dir: string;
let pki: TestPki;
let serverCert: TestCert;
let clientCert: TestCert;
let echo: Upstream;
let proxy: RunningProxy;

const route = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'echo' } }] }] };

describe('x-forwarded-client-cert (real proxy)', () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfcc-e2e-'));
    pki = makeTestPki(dir);
    serverCert = pki.issue('httpbin', 'httpbin', 'URI:spiffe://cluster.local/ns/foo/sa/httpbin');
    clientCert = pki.issue('sleep', 'sleep', 'URI:spiffe://cluster.local/ns/foo/sa/sleep');
    echo = await startUpstream('echo', (req, res) => res.end(JSON.stringify({ xfcc: req.headers['x-forwarded-client-cert'] ?? null })));
    // Istio's sidecar inbound settings, on a listener that requires a client certificate
    const mtls = hcmListener('mtls', {
      routeConfig: route,
      hcm: { forward_client_cert_details: 'APPEND_FORWARD', set_current_client_cert_details: { subject: true, uri: true, dns: true } },
    }) as { filter_chains: Record<string, unknown>[] };
    mtls.filter_chains[0]!.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': DOWN_TLS,
        require_client_certificate: true,
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { filename: serverCert.certPath }, private_key: { filename: serverCert.keyPath } }],
          validation_context: { trusted_ca: { filename: pki.caCertPath } },
        },
      },
    };
    proxy = await startProxy(multiBootstrap([hcmListener('plain', { routeConfig: route }), mtls], [staticCluster('echo', [echo.port])]));
  });
  after(async () => {
    await proxy?.stop();
    await echo?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a plaintext client cannot forge it: the default (SANITIZE) removes it', async () => {
    const r = await request(proxy.listeners.get('plain')!, { headers: { 'x-forwarded-client-cert': 'By=spiffe://evil;URI=spiffe://cluster.local/ns/foo/sa/admin' } });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { xfcc: null });
  });

  it('over mTLS with APPEND_FORWARD the upstream learns the verified client: By, Hash, Subject, URI', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: proxy.listeners.get('mtls')!, path: '/', ca: pki.caCert, cert: clientCert.cert, key: clientCert.key, servername: 'localhost', checkServerIdentity: () => undefined, headers: { 'x-forwarded-client-cert': 'By=upstream-hop;Hash=00' } },
        (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const hash = createHash('sha256').update(new X509Certificate(clientCert.cert).raw).digest('hex');
    const subject = new X509Certificate(clientCert.cert).subject.split('\n').reverse().join(',');
    assert.deepEqual(JSON.parse(body), { xfcc: `By=upstream-hop;Hash=00,By=spiffe://cluster.local/ns/foo/sa/httpbin;Hash=${hash};Subject="${subject}";URI=spiffe://cluster.local/ns/foo/sa/sleep` });
  });
});
