// ADS tests for SDS: a gateway that proved its identity (15012) gets its namespace's kubernetes:// credentials over SotW and Delta; a
// Secret update pushes SDS alone (rotation); another namespace gets none; the plaintext port never serves a credential.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { decodeResource, type Any } from '../../../src/xds/codec.js';
import { SECRET_TYPE } from '../../../src/xds/type-urls.js';
import { tempPki, tlsSecretYaml } from '../../fixtures/secrets.js';
import type { TestPki } from '../../fixtures/certs.js';
import { adsClient, sotw } from './ads-client.js';
import { authedDelta, authedSotw, provenNode } from './authed-stream.js';

const decoded = (resources: readonly unknown[] | undefined): Record<string, unknown>[] => (resources ?? []).map((a) => decodeResource(a as Any).json);

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

  const NAMES = ['kubernetes://web', 'kubernetes://web-cacert', 'kubernetes://absent'];

  it('SotW, proven identity: the named credentials of its namespace; a Secret update pushes the new certificate; another namespace gets none', async () => {
    const s = await authedSotw(cp, provenNode('gw', 'istio-system'), { type_url: SECRET_TYPE, resource_names: NAMES });
    const first = await s.next();
    const got = decoded(first.resources);
    assert.deepEqual(got.map((j) => j.name), ['kubernetes://web', 'kubernetes://web-cacert']);
    assert.equal((got[0]!.tls_certificate as { certificate_chain: { inline_string: string } }).certificate_chain.inline_string, pki.serverCert);
    s.send({ type_url: SECRET_TYPE, resource_names: NAMES, version_info: first.version_info, response_nonce: first.nonce });

    const rotated = pki.issue('rotated', 'rotated', 'DNS:web.example.com');
    await apply(tlsSecretYaml('web', 'istio-system', { cert: rotated.cert, key: rotated.key, ca: pki.caCert }));
    const pushed = await s.next();
    assert.equal(pushed.type_url, SECRET_TYPE);
    const cert = decoded(pushed.resources).find((j) => j.name === 'kubernetes://web');
    assert.equal((cert?.tls_certificate as { certificate_chain: { inline_string: string } }).certificate_chain.inline_string, rotated.cert);
    s.close();

    const other = await authedSotw(cp, provenNode('gw2', 'apps'), { type_url: SECRET_TYPE, resource_names: NAMES });
    assert.deepEqual(decoded((await other.next()).resources), []);
    other.close();
  });

  it('Delta, proven identity: subscribed names are answered, unknown ones are not invented', async () => {
    const d = await authedDelta(cp, provenNode('gw3', 'istio-system'), { type_url: SECRET_TYPE, resource_names_subscribe: ['kubernetes://web-cacert', 'kubernetes://nope'] });
    const r = await d.next();
    assert.deepEqual((r.resources ?? []).map((x) => x.name), ['kubernetes://web-cacert']);
    d.close();
  });

  it('the plaintext port (no proven identity) never serves a credential, whatever namespace the node claims', async () => {
    const client = adsClient(cp.xdsPort!);
    const s = sotw(client);
    s.send({ node: provenNode('liar', 'istio-system'), type_url: SECRET_TYPE, resource_names: NAMES });
    assert.deepEqual(decoded((await s.next()).resources), []);
    s.close();
    client.close();
  });
});
