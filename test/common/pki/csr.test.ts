// Tests the hand-written PKCS#10 CSR: openssl verifies its self-signature and reads its SAN; the mesh CA accepts it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createCsr } from '../../../src/common/pki/csr.js';
import { CertificateAuthority } from '../../../src/control/ca/authority.js';
import { generateRoot } from '../../../src/control/ca/root.js';

const openssl = (csrPem: string): string => execFileSync('openssl', ['req', '-noout', '-verify', '-text'], { input: csrPem, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

describe('createCsr', () => {
  it('makes a P-256 key and a CSR openssl verifies, with the SPIFFE id as URI SAN when given', async () => {
    const { keyPem, csrPem } = await createCsr('spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(createPrivateKey(keyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const text = openssl(csrPem);
    assert.match(text, /ecdsa-with-SHA256/);
    assert.match(text, /URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews/);
    assert.doesNotMatch(openssl((await createCsr()).csrPem), /Subject Alternative Name/);
  });

  it('is signed by the mesh CA for the caller\'s identity, to the CSR\'s key', async () => {
    const ca = await CertificateAuthority.open('cluster.local', await generateRoot('cluster.local'));
    const { keyPem, csrPem } = await createCsr();
    const issued = await ca.sign(csrPem, { namespace: 'shop', serviceAccount: 'cart' });
    const leaf = new X509Certificate(issued.certChainPem);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(keyPem)));
    assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/shop/sa/cart');
  });
});
