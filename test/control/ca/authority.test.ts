// Tests the mesh CA: SVIDs from CSRs (the caller's identity, never the CSR's), checked field by field, by `openssl verify`,
// in a real mTLS handshake, and with an organisation's intermediate from cacerts files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { CertificateAuthority, CsrError } from '../../../src/control/ca/authority.js';
import { createCsr } from '../../../src/common/pki/csr.js';
import { pemBlocks, readCaFiles, type CaMaterial } from '../../../src/control/ca/material.js';
import { generateRoot } from '../../../src/control/ca/root.js';

const REVIEWS = { namespace: 'default', serviceAccount: 'reviews' };
let dir: string;
let root: CaMaterial;
let ca: CertificateAuthority;
const logs: string[] = [];

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-ca-'));
  root = await generateRoot('cluster.local');
  ca = await CertificateAuthority.open('cluster.local', root, (m) => logs.push(m));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the mesh CA', () => {
  it('issues an X.509 SVID for the identity it is told, whatever the CSR claims', async () => {
    const { keyPem, csrPem } = await createCsr('spiffe://evil.example/ns/kube-system/sa/admin');
    const t0 = Date.now();
    const issued = await ca.sign(csrPem, REVIEWS);
    const leaf = new X509Certificate(pemBlocks(issued.certChainPem)[0]!);
    assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(issued.spiffeId, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(leaf.ca, false);
    assert.equal(leaf.publicKey.asymmetricKeyType, 'ec');
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(leaf.checkPrivateKey(createPrivateKey(keyPem)), 'issued to the CSR key');
    assert.ok(leaf.verify(new X509Certificate(root.certPem).publicKey), 'signed by the root');
    const lifetime = Date.parse(leaf.validTo) - t0;
    assert.ok(Math.abs(lifetime - 24 * 3600_000) < 120_000, `24 h, got ${lifetime} ms`);
    assert.ok(Date.parse(leaf.validFrom) < t0, 'valid from a little before issuance (clock skew)');
    assert.deepEqual(leaf.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.equal(pemBlocks(issued.certChainPem).length, 1, 'a root never travels in the chain');
    assert.ok(logs.some((l) => l.includes(`issued spiffe://cluster.local/ns/default/sa/reviews serial ${issued.serial}`)));
    assert.ok(!logs.some((l) => l.includes('PRIVATE KEY')));
  });

  it('remembers the newest SVID per identity (the dashboard shows its expiry), none for an identity that never asked', async () => {
    const { csrPem } = await createCsr();
    const first = await ca.sign(csrPem, REVIEWS, 3600_000, Date.now());
    const second = await ca.sign(csrPem, REVIEWS, 7200_000, Date.now());
    const rec = ca.lastIssuedTo(REVIEWS);
    assert.equal(rec?.serial, second.serial);
    assert.notEqual(rec?.serial, first.serial);
    assert.equal(rec?.expiresAt.getTime(), second.expiresAt.getTime());
    assert.equal(rec?.spiffeId, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(ca.lastIssuedTo({ namespace: 'default', serviceAccount: 'nobody' }), undefined);
  });

  it('openssl verify accepts the SVID against the root and shows the SPIFFE SAN and the extensions', async () => {
    const { csrPem } = await createCsr('spiffe://cluster.local/ns/default/sa/reviews');
    const issued = await ca.sign(csrPem, REVIEWS);
    const leaf = write('leaf.pem', issued.certChainPem);
    const rootFile = write('root.pem', ca.rootsPem());
    assert.match(openssl(['verify', '-CAfile', rootFile, leaf]), /leaf\.pem: OK/);
    const text = openssl(['x509', '-in', leaf, '-noout', '-text']);
    assert.match(text, /X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /X509v3 Authority Key Identifier/);
    assert.match(openssl(['x509', '-in', rootFile, '-noout', '-text']), /CA:TRUE[\s\S]*Certificate Sign, CRL Sign/);
  });

  it('refuses a CSR whose signature does not verify, or that does not parse, and counts each', async () => {
    const before = { csr: ca.metrics.csrCount, ok: ca.metrics.successCertIssuance, err: ca.metrics.csrParsingErrors };
    const { csrPem } = await createCsr('spiffe://cluster.local/ns/default/sa/reviews');
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] = der[der.length - 5]! ^ 0xff; // inside the signature
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(ca.sign(forged, REVIEWS), CsrError);
    await assert.rejects(ca.sign('not a csr', REVIEWS), CsrError);
    await assert.rejects(ca.sign(csrPem, { namespace: 'Default', serviceAccount: 'x/y' }), CsrError);
    assert.equal(ca.metrics.csrCount, before.csr + 3);
    assert.equal(ca.metrics.successCertIssuance, before.ok);
    assert.equal(ca.metrics.csrParsingErrors, before.err + 3);
    assert.match(ca.metrics.render(), /citadel_server_csr_count \d+\n[\s\S]*citadel_server_root_cert_expiry_timestamp \d{10}/);
  });

  it('SVIDs authenticate both ends of an mTLS handshake; another CA\'s and an expired certificate are refused', async () => {
    const server = await svid(ca, { namespace: 'default', serviceAccount: 'ratings' });
    const client = await svid(ca, REVIEWS);
    const other = await CertificateAuthority.open('cluster.local', await generateRoot('cluster.local'));
    const foreign = await svid(other, REVIEWS);
    const expired = await svid(ca, REVIEWS, Date.now() - 3 * 24 * 3600_000);
    const roots = ca.rootsPem();
    const srv = tls.createServer({ cert: server.cert, key: server.key, ca: roots, requestCert: true, rejectUnauthorized: true }, (s) => {
      s.end(String((s.getPeerCertificate() as { subjectaltname?: string }).subjectaltname));
    });
    srv.on('tlsClientError', () => {});
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const dial = (c: { cert: string; key: string }): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, cert: c.cert, key: c.key, ca: roots, checkServerIdentity: (_h, cert) => (cert.subjectaltname === 'URI:spiffe://cluster.local/ns/default/sa/ratings' ? undefined : new Error('wrong server')) });
        let data = '';
        s.on('data', (d: Buffer) => (data += d.toString()));
        // TLS 1.3: a client learns of the server's refusal after its own handshake, as an alert or a bare close
        s.on('error', (e: Error) => resolve(`refused: ${e.message}`));
        s.on('close', () => resolve(data === '' ? 'refused: closed' : data));
        void reject;
      });
    try {
      assert.equal(await dial(client), 'URI:spiffe://cluster.local/ns/default/sa/reviews');
      assert.match(await dial(foreign), /^refused/);
      assert.match(await dial(expired), /^refused/);
    } finally {
      srv.close();
    }
  });

  it('signs with an organisation intermediate from cacerts files: leaf, intermediate, root verify with openssl', async () => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root-key.pem']);
    openssl(['req', '-x509', '-new', '-key', 'root-key.pem', '-subj', '/O=Example/CN=Example Root', '-days', '30', '-out', 'org-root.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'int-key-ec.pem']);
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', 'int-key-ec.pem', '-out', 'ca-key.pem']);
    openssl(['req', '-new', '-key', 'ca-key.pem', '-subj', '/O=Example/CN=Mesh Intermediate', '-out', 'int.csr']);
    write('int-ext.cnf', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    openssl(['x509', '-req', '-in', 'int.csr', '-CA', 'org-root.pem', '-CAkey', 'root-key.pem', '-CAcreateserial', '-days', '30', '-extfile', 'int-ext.cnf', '-out', 'ca-cert.pem']);
    write('cert-chain.pem', fs.readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8') + fs.readFileSync(path.join(dir, 'org-root.pem'), 'utf8'));
    const material = readCaFiles({ caCert: path.join(dir, 'ca-cert.pem'), caKey: path.join(dir, 'ca-key.pem'), rootCert: path.join(dir, 'org-root.pem'), certChain: path.join(dir, 'cert-chain.pem') });
    const org = await CertificateAuthority.open('example.org', material);
    const { csrPem } = await createCsr('spiffe://example.org/ns/shop/sa/cart');
    const issued = await org.sign(csrPem, { namespace: 'shop', serviceAccount: 'cart' });
    const blocks = pemBlocks(issued.certChainPem);
    assert.equal(blocks.length, 2, 'leaf then intermediate');
    write('org-leaf.pem', blocks[0]!);
    write('org-chain.pem', blocks[1]!);
    assert.match(openssl(['verify', '-CAfile', 'org-root.pem', '-untrusted', 'org-chain.pem', 'org-leaf.pem']), /org-leaf\.pem: OK/);
    assert.equal(new X509Certificate(blocks[0]!).subjectAltName, 'URI:spiffe://example.org/ns/shop/sa/cart');
    // a key that is not the certificate's, a root that does not sign it: refused at start, with the file named
    assert.throws(() => readCaFiles({ caCert: path.join(dir, 'ca-cert.pem'), caKey: path.join(dir, 'root-key.pem'), rootCert: path.join(dir, 'org-root.pem') }), /--ca-key .* is not the key of --ca-cert/);
    assert.throws(() => readCaFiles({ caCert: path.join(dir, 'ca-cert.pem'), caKey: path.join(dir, 'ca-key.pem'), rootCert: write('wrong-root.pem', root.certPem) }), /does not reach --root-cert/);
  });
});

async function svid(authority: CertificateAuthority, id: { namespace: string; serviceAccount: string }, now?: number): Promise<{ cert: string; key: string }> {
  const { keyPem, csrPem } = await createCsr(`spiffe://cluster.local/ns/${id.namespace}/sa/${id.serviceAccount}`);
  const issued = await authority.sign(csrPem, id, 3600_000, now);
  return { cert: issued.certChainPem, key: keyPem };
}
