// E2E: a STRICT sidecar's inbound port admits only valid mesh certificates — one from the mesh CA is served; a
// foreign CA's, an expired and a not-yet-valid one (signed with the mesh CA's own key) fail the handshake.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import tls from 'node:tls';
import { CertificateAuthority } from '../../src/control/ca/authority.js';
import { readCaFiles } from '../../src/control/ca/material.js';
import { generateRoot } from '../../src/control/ca/root.js';
import { createCsr } from '../../src/common/pki/csr.js';
import { startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

const STRICT = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec: {mtls: {mode: STRICT}}
`;

describe('STRICT inbound: which client certificates a sidecar admits', { timeout: 90_000 }, () => {
  let cp: Control;
  let app: Upstream;
  let server: Sidecar;
  let meshCa: CertificateAuthority;
  let roots: string;

  /** One TLS connection with `cert`/`key` to the sidecar's inbound port, then GET /: the status, or the failure. */
  const call = (cert: string, key: string): Promise<string> =>
    new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.inboundPort!, ca: roots, cert, key, checkServerIdentity: () => undefined, ALPNProtocols: ['http/1.1'] });
      let data = '';
      s.on('secureConnect', () => s.write('GET / HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n'));
      s.on('data', (d: Buffer) => (data += d.toString()));
      s.on('error', (e) => resolve(`error: ${e.message}`));
      s.on('close', () => resolve(data === '' ? 'closed without a reply' : (/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? data.slice(0, 40))));
    });

  const certFor = async (ca: CertificateAuthority, now = Date.now()): Promise<{ cert: string; key: string }> => {
    const { keyPem, csrPem } = await createCsr();
    return { cert: (await ca.sign(csrPem, { namespace: 'default', serviceAccount: 'productpage' }, 3600_000, now)).certChainPem, key: keyPem };
  };

  before(async () => {
    cp = await startControl();
    app = await startUpstream('reviews');
    assert.equal((await applyYaml(cp, STRICT)).code, 0);
    server = await startSidecar(cp, { service: 'reviews', labels: 'app=reviews', servicePort: 9080, appPort: app.port, serviceAccount: 'reviews' });
    // the mesh CA's own material, read from the control plane's data dir (what an attacker holding only a stale or
    // early certificate of this CA would have)
    const dir = path.join(cp.dataDir, 'ca');
    meshCa = await CertificateAuthority.open('cluster.local', readCaFiles({ caCert: path.join(dir, 'ca-cert.pem'), caKey: path.join(dir, 'ca-key.pem'), rootCert: path.join(dir, 'root-cert.pem') }));
    roots = meshCa.rootsPem();
    const good = await certFor(meshCa);
    await waitFor(async () => (await call(good.cert, good.key)) === '200', 15_000, 'the STRICT chain serving mesh clients');
  });

  after(async () => {
    await server?.stop();
    await app?.close();
    await cp?.stop();
  });

  it('a valid mesh certificate is served', async () => {
    const c = await certFor(meshCa);
    assert.equal(await call(c.cert, c.key), '200');
  });

  it('a foreign CA, an expired and a not-yet-valid certificate are refused, and no request reaches the app', async () => {
    const before = app.requests.length;
    const foreign = await certFor(await CertificateAuthority.open('cluster.local', await generateRoot('cluster.local')));
    const expired = await certFor(meshCa, Date.now() - 3 * 3600_000);
    const early = await certFor(meshCa, Date.now() + 3 * 3600_000);
    for (const [what, c] of [['foreign CA', foreign], ['expired', expired], ['not yet valid', early]] as const) {
      const r = await call(c.cert, c.key);
      assert.notEqual(r, '200', `${what}: ${r}`);
      assert.doesNotMatch(r, /^\d{3}$/, `${what} got an HTTP answer: ${r}`);
    }
    assert.equal(app.requests.length, before);
  });
});
