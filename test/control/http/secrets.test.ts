// HTTP API tests for secrets: every route of the API (with and without the admin token) never returns key material; ?showSecrets=true needs the token; diffs say a value changed without showing it; logs and error replies are scrubbed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiDeps } from '../../../src/control/http/deps.js';
import { buildRouter } from '../../../src/control/http/server.js';
import { redactDeep, redactDiffEntry, REDACTED_CHANGED } from '../../../src/control/http/secret-redaction.js';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { decodeResource } from '../../../src/xds/codec.js';
import { LISTENER_TYPE, SECRET_TYPE } from '../../../src/xds/type-urls.js';
import { adsClient, sotw, until } from '../xds/ads-client.js';
import { SimSidecar, sidecarNode } from '../xds/sim-sidecar.js';
import { authedSotw, provenNode } from '../xds/authed-stream.js';
import { assertNoMaterial, tempPki, tlsSecretYaml } from '../../fixtures/secrets.js';
import type { TestPki } from '../../fixtures/certs.js';

const GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE, credentialName: web-cert}
`;

interface Res {
  status: number;
  text: string;
}

describe('secrets are never returned by a read of the HTTP API unless the admin asks', () => {
  let cp: ControlPlane;
  let base: string;
  let pki: TestPki & { cleanup(): void };
  let second: { cert: string; key: string };
  let material: Record<string, string>;
  let gateway: SimSidecar;
  const logs: string[] = [];

  async function call(method: string, path: string, opts: { body?: unknown; token?: boolean } = {}): Promise<Res> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token !== false) headers.authorization = `Bearer ${cp.adminToken}`;
    const res = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) });
    return { status: res.status, text: await res.text() };
  }

  before(async () => {
    pki = tempPki();
    const rotated = pki.issue('server2', 'server-2', 'DNS:web.example.com');
    second = { cert: rotated.cert, key: rotated.key };
    material = { 'first key': pki.serverKey, 'second key': second.key };
    cp = await startControlPlane({ store: createMemoryStore(), xdsPort: 0, xdsTlsPort: 0, httpPort: 0, debounceMs: 10, log: (m) => logs.push(m) });
    base = `http://127.0.0.1:${cp.httpPort}`;
    const first = tlsSecretYaml('web-cert', 'istio-system', { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert });
    assert.equal((await call('POST', '/api/v1/apply', { body: { text: first + '---' + GATEWAY } })).status, 200);
    const rotate = tlsSecretYaml('web-cert', 'istio-system', { cert: second.cert, key: second.key, ca: pki.caCert }, 'stringData');
    assert.equal((await call('POST', '/api/v1/apply', { body: { text: rotate } })).status, 200);
    gateway = new SimSidecar(cp.xdsPort!, { ...sidecarNode('gw', '10.0.0.9', { namespace: 'istio-system', labels: 'istio=ingressgateway' }), id: 'router~10.0.0.9~gw.istio-system~istio-system.svc.cluster.local' });
    await until(() => gateway.acked.has(LISTENER_TYPE), 5000);
  });

  after(async () => {
    gateway?.close();
    await cp?.close();
    await cp?.store.close();
    pki?.cleanup();
  });

  it('get and list show the keys of a Secret with every value "<redacted>"; stringData was folded into data', async () => {
    for (const path of ['/api/v1/resources/Secret/istio-system/web-cert', '/api/v1/resources?kind=secret&namespace=istio-system', '/api/v1/resources']) {
      for (const token of [true, false]) {
        const r = await call('GET', path, { token });
        assert.equal(r.status, 200, `${path}: ${r.text}`);
        assertNoMaterial(r.text, material, path);
        const body = JSON.parse(r.text) as unknown;
        const secret = (Array.isArray(body) ? body.find((x: { kind: string }) => x.kind === 'Secret') : body) as { data: Record<string, string>; stringData?: unknown };
        assert.deepEqual(secret.data, { 'tls.crt': '<redacted>', 'tls.key': '<redacted>', 'ca.crt': '<redacted>' });
        assert.equal(secret.stringData, undefined);
      }
    }
  });

  it('?showSecrets=true without the admin token is 401, a bad value 400; with the token the values are shown (base64, as applied)', async () => {
    const path = '/api/v1/resources/Secret/istio-system/web-cert?showSecrets=true';
    const denied = await call('GET', path, { token: false });
    assert.equal(denied.status, 401);
    assertNoMaterial(denied.text, material, 'the 401');
    const wrong = await fetch(base + path, { headers: { authorization: 'Bearer not-the-token' } });
    assert.equal(wrong.status, 401);
    assert.equal((await call('GET', '/api/v1/resources/Secret/istio-system/web-cert?showSecrets=yes')).status, 400);
    const shown = JSON.parse((await call('GET', path)).text) as { data: Record<string, string> };
    assert.equal(Buffer.from(shown.data['tls.key']!, 'base64').toString(), second.key.trimEnd() + '\n');
    const listed = JSON.parse((await call('GET', '/api/v1/resources?kind=Secret&namespace=istio-system&showSecrets=true')).text) as { data: Record<string, string> }[];
    assert.equal(Buffer.from(listed[0]!.data['tls.crt']!, 'base64').toString(), second.cert.trimEnd() + '\n');
  });

  it('diff marks a rotated value "<redacted> (changed)" and shows the values only to the admin who asks', async () => {
    const r = await call('GET', '/api/v1/diff?from=1&to=2', { token: false });
    assert.equal(r.status, 200);
    assertNoMaterial(r.text, material, 'diff');
    const [entry] = JSON.parse(r.text) as { key: string; before: { data: Record<string, string> }; after: { data: Record<string, string> } }[];
    assert.equal(entry?.key, 'Secret/istio-system/web-cert');
    assert.deepEqual(entry?.before.data, { 'tls.crt': '<redacted>', 'tls.key': '<redacted>', 'ca.crt': '<redacted>' });
    assert.deepEqual(entry?.after.data, { 'tls.crt': REDACTED_CHANGED, 'tls.key': REDACTED_CHANGED, 'ca.crt': '<redacted>' });
    assert.equal((await call('GET', '/api/v1/diff?from=1&to=2&showSecrets=true', { token: false })).status, 401);
    assert.match((await call('GET', '/api/v1/diff?from=1&to=2&showSecrets=true')).text, /"tls.key":"LS0t/);
  });

  it('every route of the API, with and without the admin token, returns no key material (reads, analyze, refused writes, NACK errors in proxy status)', async () => {
    // a proxy NACK quoting the key it refused ends up in proxy status and the log: both must be scrubbed
    const stream = sotw(adsClient(cp.xdsPort!));
    stream.send({ node: { ...sidecarNode('nacker', '10.0.0.8', { namespace: 'istio-system' }), id: 'router~10.0.0.8~nacker.istio-system~istio-system.svc.cluster.local' }, type_url: LISTENER_TYPE, resource_names: [] });
    const first = await stream.next();
    stream.send({ type_url: LISTENER_TYPE, response_nonce: first.nonce, error_detail: { code: 3, message: `bad key ${pki.serverKey}` } });
    await until(() => logs.some((l) => l.includes('NACKed')), 3000);
    // a proxy that was sent the key over SDS: its views must still not show it
    const node = provenNode('sds', 'istio-system');
    const sdsId = node.id;
    const sds = await authedSotw(cp, node, { type_url: SECRET_TYPE, resource_names: ['kubernetes://web-cert'] });
    const sent = await sds.next();
    assert.match(JSON.stringify(sent.resources.map((a) => decodeResource(a).json)), /BEGIN EC PRIVATE KEY/, 'the proxy itself gets the key');

    const routes = buildRouter({} as ApiDeps).list();
    const secretText = tlsSecretYaml('other', 'istio-system', { cert: pki.serverCert, key: pki.serverKey });
    const mismatched = tlsSecretYaml('bad', 'istio-system', { cert: pki.serverCert, key: second.key });
    const swept = new Set<string>();
    for (const { method, pattern } of routes) {
      const paths =
        pattern === '/api/v1/proxies/:id/config/:type'
          ? ['router~10.0.0.9~gw.istio-system~istio-system.svc.cluster.local', sdsId].flatMap((id) => ['listeners', 'routes', 'clusters', 'endpoints', 'all', 'secrets'].map((t) => `/api/v1/proxies/${encodeURIComponent(id)}/config/${t}`))
          : [pattern.replace(':kind', 'Secret').replace(':namespace', 'istio-system').replace(':name', 'web-cert') + (pattern === '/api/v1/diff' ? '?from=0' : '')];
      const bodies: unknown[] =
        method === 'GET'
          ? [undefined]
          : pattern === '/api/v1/apply'
            ? [{ text: secretText, dryRun: true }, { text: mismatched }, `{"text": "${pki.serverKey.slice(40, 90)}`]
            : pattern === '/api/v1/analyze'
              ? [{ text: mismatched }, { text: secretText }, {}]
              : pattern === '/api/v1/delete'
                ? [{ text: secretText }]
                : pattern === '/api/v1/rollback'
                  ? [{ to: 999 }]
                  : [{ namespace: 'istio-system', serviceAccount: 'gw' }];
      for (const path of paths) {
        for (const body of bodies) {
          for (const token of [true, false]) {
            const r = await call(method, path, { body, token });
            assert.ok(r.status < 500, `${method} ${path}: ${r.status} ${r.text.slice(0, 200)}`);
            assert.ok(r.text.length > 0, `${method} ${path}: empty reply`);
            assertNoMaterial(r.text, material, `${method} ${path} (token: ${token})`);
          }
        }
      }
      swept.add(`${method} ${pattern}`);
    }
    assert.equal(swept.size, routes.length);
    assert.ok(routes.length >= 12, `only ${routes.length} routes found`);
    // the NACK was visible (scrubbed) in proxy status, and logged without the key
    const status = (await call('GET', '/api/v1/proxies', { token: false })).text;
    assert.match(status, /bad key \[private key redacted\]/);
    assertNoMaterial(logs.join('\n'), material, 'control plane log');
    assert.ok(logs.some((l) => l.includes('bad key [private key redacted]')), logs.join('\n'));
    stream.close();
    sds.close();
  });

  it('a body that is not JSON is refused without quoting it', async () => {
    const r = await call('POST', '/api/v1/apply', { body: `${pki.serverKey.slice(30, 200)}` });
    assert.equal(r.status, 400);
    assert.match(r.text, /request body is not valid JSON/);
    assertNoMaterial(r.text, material, 'malformed JSON reply');
  });
});

describe('secret redaction helpers', () => {
  it('redactDeep: Secrets and Envoy inline private keys anywhere, file paths kept, untouched values not copied', () => {
    const listener = { name: 'l', filter_chains: [{ transport_socket: { typed_config: { common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: 'KEY' } }, { private_key: { filename: '/k.pem' } }] } } } }] };
    const out = redactDeep({ resources: [listener, { kind: 'Secret', data: { a: 'QQ==' } }] }) as { resources: [typeof listener, { data: Record<string, string> }] };
    const certs = out.resources[0].filter_chains[0]!.transport_socket.typed_config.common_tls_context.tls_certificates;
    assert.deepEqual(certs[0], { certificate_chain: { inline_string: 'CERT' }, private_key: { inline_string: '[redacted]' } });
    assert.deepEqual(certs[1], { private_key: { filename: '/k.pem' } });
    assert.deepEqual(out.resources[1].data, { a: '<redacted>' });
    const plain = { a: [1, { b: 'c' }] };
    assert.equal(redactDeep(plain), plain);
  });

  it('redactDiffEntry: a new key and an unchanged one read "<redacted>", a changed one "<redacted> (changed)"', () => {
    const e = redactDiffEntry({ key: 'k', before: { kind: 'Secret', data: { a: 'QQ==', b: 'Qg==' } }, after: { kind: 'Secret', data: { a: 'QQ==', b: 'Qw==', c: 'RA==' } } });
    assert.deepEqual((e.after as { data: unknown }).data, { a: '<redacted>', b: REDACTED_CHANGED, c: '<redacted>' });
    assert.deepEqual((e.before as { data: unknown }).data, { a: '<redacted>', b: '<redacted>' });
  });
});
