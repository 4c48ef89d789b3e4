// Tests the downstream TLS terminator with mesh SVIDs: a client certificate with an empty subject (every SPIFFE SVID
// the mesh CA issues) is accepted and reported (URI SAN, '' subject, DER for XFCC), never a crash of the proxy.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from '../../../src/control/ca/authority.js';
import { generateRoot } from '../../../src/control/ca/root.js';
import { createCsr } from '../../../src/common/pki/csr.js';
import { TlsTerminator, type TlsResult } from '../../../src/proxy/listener/tls-terminator.js';
import { listenerStats } from '../../../src/proxy/listener/listener-stats.js';
import type { DownstreamTlsContext } from '../../../src/proxy/config/types.js';
import { FakeStats } from '../upstream/fake-stats.js';

const ID = (sa: string) => ({ namespace: 'foo', serviceAccount: sa });
let server: { cert: string; key: string };
let client: { cert: string; key: string };
let roots: string;

before(async () => {
  const ca = await CertificateAuthority.open('cluster.local', await generateRoot('cluster.local'));
  const issue = async (sa: string): Promise<{ cert: string; key: string }> => {
    const { keyPem, csrPem } = await createCsr();
    const c = await ca.sign(csrPem, ID(sa), 3600_000);
    roots = c.rootsPem;
    return { cert: c.certChainPem, key: keyPem };
  };
  server = await issue('httpbin');
  client = await issue('sleep');
});

function context(): DownstreamTlsContext {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    require_client_certificate: true,
    common_tls_context: {
      tls_certificates: [{ certificate_chain: server.cert, private_key: server.key }],
      validation_context: { trusted_ca: roots, match_typed_subject_alt_names: [], verify_certificate_spki: [], verify_certificate_hash: [] },
      alpn_protocols: [],
      tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
      tls_certificate_sds_secret_configs: [],
    },
  };
}

describe('TlsTerminator with SVIDs', () => {
  it('accepts a client SVID (empty subject): URI SAN, empty subject, its DER and our own URI SAN are reported', async () => {
    assert.equal(new X509Certificate(client.cert).subject, undefined, 'the premise: Node has no subject for an SVID');
    const term = new TlsTerminator(context(), 5000);
    const stats = listenerStats(new FakeStats(), 'l');
    const got = new Promise<TlsResult>((resolve) => {
      const srv = net.createServer((raw) => term.terminate(raw, stats, (r) => {
        resolve(r);
        r.socket.end('ok');
        srv.close();
      }));
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        const s = tls.connect({ host: '127.0.0.1', port, cert: client.cert, key: client.key, ca: roots, checkServerIdentity: () => undefined });
        s.on('data', () => s.end());
        s.on('error', () => undefined);
      });
    });
    const r = await got;
    assert.deepEqual(r.peerUriSans, ['spiffe://cluster.local/ns/foo/sa/sleep']);
    assert.equal(r.peerSubject, '');
    assert.deepEqual(r.localUriSans, ['spiffe://cluster.local/ns/foo/sa/httpbin']);
    assert.ok(r.peerCertificate?.equals(new X509Certificate(client.cert).raw));
    term.close();
  });
});
