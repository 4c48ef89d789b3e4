// ADS tests for SDS: a gateway asking for kubernetes:// names over SotW and Delta gets its namespace's credentials; a Secret update pushes SDS alone (rotation); other namespaces get nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { decodeResource } from '../../../src/xds/codec.js';
import type { XdsNode } from '../../../src/xds/ads-service.js';
import { SECRET_TYPE } from '../../../src/xds/type-urls.js';
import { tempPki, tlsSecretYaml } from '../../fixtures/secrets.js';
import type { TestPki } from '../../fixtures/certs.js';
import { adsClient, delta, sotw } from './ads-client.js';
import { sidecarNode } from './sim-sidecar.js';

const routerNode = (name: string, ns: string): XdsNode => ({ ...sidecarNode(name, '10.1.0.1', { namespace: ns, labels: 'istio=ingressgateway' }), id: `router~10.1.0.1~${name}.${ns}~${ns}.svc.cluster.local` });

describe('SDS over ADS', () => {
  let cp: ControlPlane;
  let pki: TestPki & { cleanup(): void };

  const apply = async (text: string): Promise<void> => {
    const res = await fetch(`http://127.0.0.1:${cp.httpPort}/api/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${cp.adminToken}` }, body: JSON.stringify({ text }) });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    pki = tempPki();
    cp = await startControlPlane({ store: createMemoryStore(), xdsPort: 0, xdsTlsPort: 0, httpPort: 0, debounceMs: 10 });
    await apply(tlsSecretYaml('web', 'istio-system', { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }));
  });
  after(async () => {
    await cp.close();
    await cp.store.close();
    pki.cleanup();
  });

  it('SotW: the named credentials of its namespace; a Secret update pushes the new certificate (SDS only); another namespace gets none', async () => {
    const client = adsClient(cp.xdsPort!);
    const s = sotw(client);
    s.send({ node: routerNode('gw', 'istio-system'), type_url: SECRET_TYPE, resource_names: ['kubernetes://web', 'kubernetes://web-cacert', 'kubernetes://absent'] });
    const first = await s.next();
    const got = first.resources.map((a) => decodeResource(a).json);
    assert.deepEqual(got.map((j) => j.name), ['kubernetes://web', 'kubernetes://web-cacert']);
    assert.equal((got[0]!.tls_certificate as { certificate_chain: { inline_string: string } }).certificate_chain.inline_string, pki.serverCert);
    s.send({ type_url: SECRET_TYPE, resource_names: ['kubernetes://web', 'kubernetes://web-cacert', 'kubernetes://absent'], version_info: first.version_info, response_nonce: first.nonce });

    const rotated = pki.issue('rotated', 'rotated', 'DNS:web.example.com');
    await apply(tlsSecretYaml('web', 'istio-system', { cert: rotated.cert, key: rotated.key, ca: pki.caCert }));
    const pushed = await s.next(5000);
    assert.equal(pushed.type_url, SECRET_TYPE);
    const cert = pushed.resources.map((a) => decodeResource(a).json).find((j) => j.name === 'kubernetes://web');
    assert.equal((cert?.tls_certificate as { certificate_chain: { inline_string: string } }).certificate_chain.inline_string, rotated.cert);
    s.close();

    const other = sotw(client);
    other.send({ node: routerNode('gw2', 'apps'), type_url: SECRET_TYPE, resource_names: ['kubernetes://web', 'kubernetes://web-cacert'] });
    const none = await other.next();
    assert.deepEqual(none.resources ?? [], []);
    other.close();
    client.close();
  });

  it('Delta: subscribed names are answered, unknown ones are not invented', async () => {
    const client = adsClient(cp.xdsPort!);
    const d = delta(client);
    d.send({ node: routerNode('gw3', 'istio-system'), type_url: SECRET_TYPE, resource_names_subscribe: ['kubernetes://web-cacert', 'kubernetes://nope'] });
    const r = await d.next();
    assert.deepEqual((r.resources ?? []).map((x) => x.name), ['kubernetes://web-cacert']);
    d.close();
    client.close();
  });
});
