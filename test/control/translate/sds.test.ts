// Translate tests: SDS — kubernetes://<name> (certificate + key) and kubernetes://<name>-cacert (trusted CA) served only from the asking proxy's namespace, never as a wildcard.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode } from '../../../src/control/model/builders.js';
import { sdsGenerator } from '../../../src/control/translate/sds.js';
import { typesToPush } from '../../../src/control/snapshot/changes.js';
import { SECRET_TYPE } from '../../../src/xds/type-urls.js';
import { tempPki, tlsSecretYaml } from '../../fixtures/secrets.js';
import type { TestPki } from '../../fixtures/certs.js';
import { assertProxyAccepts, get, snapshotFromYaml } from './helpers.js';

let pki: TestPki & { cleanup(): void };
before(() => (pki = tempPki()));
after(() => pki.cleanup());

const gw = (namespace: string) => proxyNode({ type: 'router', namespace, labels: { istio: 'ingressgateway' }, verified: true });

describe('SDS generator', () => {
  const snap = () =>
    snapshotFromYaml(
      [
        tlsSecretYaml('web', 'istio-system', { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }),
        tlsSecretYaml('generic', 'istio-system', { cert: pki.clientCert, key: pki.clientKey }, 'generic'),
        tlsSecretYaml('generic-cacert', 'istio-system', { ca: pki.caCert }, 'generic'),
        tlsSecretYaml('other', 'apps', { cert: pki.serverCert, key: pki.serverKey }),
        tlsSecretYaml('noca', 'istio-system', { cert: pki.serverCert, key: pki.serverKey }),
        tlsSecretYaml('noca-cacert', 'istio-system', { cert: pki.clientCert, key: pki.clientKey }),
      ].join('---\n'),
    );

  it('a certificate secret: tls_certificate with the chain and the key; its -cacert: validation_context from the same secret ca.crt', () => {
    const out = sdsGenerator.build(gw('istio-system'), snap(), ['kubernetes://web', 'kubernetes://web-cacert']);
    assertProxyAccepts(SECRET_TYPE, out);
    assert.deepEqual(out.map((r) => r.name), ['kubernetes://web', 'kubernetes://web-cacert']);
    assert.equal(get(out[0]!.resource, 'tls_certificate', 'certificate_chain', 'inline_string'), pki.serverCert);
    assert.equal(get(out[0]!.resource, 'tls_certificate', 'private_key', 'inline_string'), pki.serverKey);
    assert.equal(get(out[0]!.resource, 'validation_context'), undefined);
    assert.equal(get(out[1]!.resource, 'validation_context', 'trusted_ca', 'inline_string'), pki.caCert);
    assert.equal(get(out[1]!.resource, 'tls_certificate'), undefined);
  });

  it("Istio's generic keys, a separate <name>-cacert secret preferred over the base one's CA; a -cacert secret without a CA serves nothing", () => {
    const out = sdsGenerator.build(gw('istio-system'), snap(), ['kubernetes://generic', 'kubernetes://generic-cacert', 'kubernetes://noca-cacert']);
    assertProxyAccepts(SECRET_TYPE, out);
    assert.deepEqual(out.map((r) => r.name), ['kubernetes://generic', 'kubernetes://generic-cacert']);
    assert.equal(get(out[0]!.resource, 'tls_certificate', 'certificate_chain', 'inline_string'), pki.clientCert);
    assert.equal(get(out[1]!.resource, 'validation_context', 'trusted_ca', 'inline_string'), pki.caCert);
  });

  it("only the proxy's own namespace: a secret of another namespace, an unknown name, a non-credential name or an empty subscription get nothing", () => {
    const s = snap();
    assert.deepEqual(sdsGenerator.build(gw('istio-system'), s, ['kubernetes://other', 'kubernetes://missing', 'default', 'ROOTCA', 'web']), []);
    assert.deepEqual(sdsGenerator.build(gw('apps'), s, ['kubernetes://web', 'kubernetes://web-cacert']), []);
    assert.deepEqual(sdsGenerator.build(gw('apps'), s, ['kubernetes://other']).map((r) => r.name), ['kubernetes://other']);
    assert.deepEqual(sdsGenerator.build(gw('istio-system'), s, []), []);
    assert.deepEqual(sdsGenerator.build(gw('istio-system'), s), []);
    // a sidecar in the namespace is served too (DestinationRule credentialName), by the same rule
    assert.equal(sdsGenerator.build(proxyNode({ namespace: 'apps', verified: true }), s, ['kubernetes://other']).length, 1);
  });

  it('a proxy that proved no identity (the plaintext port) gets no credential, whatever namespace it claims', () => {
    assert.deepEqual(sdsGenerator.build(proxyNode({ type: 'router', namespace: 'istio-system' }), snap(), ['kubernetes://web', 'kubernetes://web-cacert']), []);
  });

  it('ROOTCA (the mesh roots) beside the credentials, by name', () => {
    const s = snapshotFromYaml(tlsSecretYaml('web', 'istio-system', { cert: pki.serverCert, key: pki.serverKey }));
    const withRoots = { ...s, trustBundlePem: pki.caCert };
    const out = sdsGenerator.build(gw('istio-system'), withRoots, ['ROOTCA', 'kubernetes://web']);
    assertProxyAccepts(SECRET_TYPE, out);
    assert.deepEqual(out.map((r) => r.name), ['ROOTCA', 'kubernetes://web']);
    assert.equal(get(out[0]!.resource, 'validation_context', 'trusted_ca', 'inline_string'), pki.caCert);
  });

  it('a Secret change pushes SDS only; other changes do not push SDS', () => {
    assert.deepEqual(typesToPush(new Set(['Secret'])), [SECRET_TYPE]);
    assert.ok(!typesToPush(new Set(['Gateway', 'VirtualService', 'endpoints'])).includes(SECRET_TYPE));
  });
});
