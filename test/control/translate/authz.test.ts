// Translate tests: AuthorizationPolicy → rbac filters on the sidecar inbound and gateway listeners, judged by the proxy's own
// RBAC engine: Istio's order (CUSTOM, DENY, ALLOW), selection, principals/namespaces, TCP dropping, paths and conditions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { proxyNode } from '../../../src/control/model/builders.js';
import { LISTENER_TYPE, type Json } from '../../../src/control/translate/generator.js';
import { DEFAULT_MESH_CONFIG, parseMeshConfig, type MeshConfig } from '../../../src/api/mesh-config.js';
import { assertProxyAccepts, byName, snapshotFromYaml } from './helpers.js';
import '../../all-filters.js';
import { decide, httpFiltersOf, networkFiltersOf, shadowMatch, type Req } from './authz-sim.js';

const SERVICES = `
apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: default}
spec: {ports: [{name: http, port: 9080}], selector: {app: productpage}}
---
apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: foo}
spec: {ports: [{name: tcp, port: 9000}, {name: tcp-other, port: 9001}], selector: {app: tcp-echo}}
---
apiVersion: v1
kind: Service
metadata: {name: ext-authz, namespace: foo}
spec: {ports: [{name: http, port: 8000}, {name: grpc, port: 9000}], selector: {app: ext-authz}}
`;

const productpage = proxyNode({ serviceName: 'productpage', servicePort: 9080, appPort: 19080, labels: { app: 'productpage' } });
const tcpEcho = proxyNode({ namespace: 'foo', serviceName: 'tcp-echo', servicePort: 9000, appPort: 19000, labels: { app: 'tcp-echo' } });

function inbound(yaml: string, proxy = productpage, mesh: MeshConfig = DEFAULT_MESH_CONFIG): Json {
  const snap = snapshotFromYaml(`${SERVICES}---\n${yaml}`, [], 'v1', { mesh, trustDomain: mesh.trustDomain ?? 'cluster.local' });
  const out = ldsGenerator.build(proxy, snap);
  assertProxyAccepts(LISTENER_TYPE, out);
  return byName(out, 'inbound').resource;
}

const sleep = 'spiffe://cluster.local/ns/default/sa/sleep';

describe('HTTP authorization on the sidecar inbound listener', () => {
  test('no policy: no rbac filter at all; allow-nothing denies everything; allow-all lets everything in', () => {
    assert.deepEqual(httpFiltersOf(inbound('')).map((f) => f.name), ['istio.stats', 'envoy.filters.http.router'], 'only stats and the router');
    const nothing = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: default}
spec: {}
`));
    assert.deepEqual(nothing.map((f) => f.name), ['envoy.filters.http.rbac', 'istio.stats', 'envoy.filters.http.router']);
    assert.equal(decide(nothing, {}), 'deny');
    const all = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-all, namespace: default}
spec: {rules: [{}]}
`));
    assert.equal(decide(all, { method: 'DELETE', path: '/x' }), 'allow');
  });

  test("Istio's HTTP task: allow GET to productpage only, from the default namespace's sleep", () => {
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: default}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: productpage-viewer, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]
    to: [{operation: {methods: ["GET"]}}]
`));
    assert.equal(decide(f, { method: 'GET', peer: sleep }), 'allow');
    assert.equal(decide(f, { method: 'POST', peer: sleep }), 'deny');
    assert.equal(decide(f, { method: 'GET', peer: 'spiffe://cluster.local/ns/default/sa/other' }), 'deny');
    assert.equal(decide(f, { method: 'GET' }), 'deny', 'plaintext has no principal');
  });

  test('DENY is checked before ALLOW; a selector that does not match leaves the workload alone', () => {
    const yaml = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-all, namespace: default}
spec: {rules: [{}]}
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: default}
spec:
  action: DENY
  rules: [{to: [{operation: {paths: ["/admin*"], notMethods: ["OPTIONS"]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: other-app, namespace: default}
spec: {selector: {matchLabels: {app: reviews}}}
`;
    const f = httpFiltersOf(inbound(yaml));
    assert.deepEqual(f.map((x) => (x.typed_config as Json).rules !== undefined ? ((x.typed_config as Json).rules as Json).action : x.name), ['DENY', 'ALLOW', 'istio.stats', 'envoy.filters.http.router']);
    assert.equal(decide(f, { path: '/admin/users' }), 'deny');
    assert.equal(decide(f, { path: '/admin/users', method: 'OPTIONS' }), 'allow');
    assert.equal(decide(f, { path: '/productpage' }), 'allow');
  });

  test('namespaces, notNamespaces, serviceAccounts, trust domain aliases and cluster.local', () => {
    const mesh = parseMeshConfig('trustDomain: prod.example\ntrustDomainAliases: [old.example]', 'm.yaml');
    assert.ok(mesh.ok);
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: default}
spec:
  rules:
  - from: [{source: {namespaces: ["foo*"], notNamespaces: ["foo-test"]}}]
  - from: [{source: {serviceAccounts: ["bar/api"]}}]
  - from: [{source: {principals: ["cluster.local/ns/ops/sa/admin"]}}]
`, productpage, mesh.ok ? mesh.value : DEFAULT_MESH_CONFIG));
    assert.equal(decide(f, { peer: 'spiffe://prod.example/ns/foo-prod/sa/x' }), 'allow');
    assert.equal(decide(f, { peer: 'spiffe://prod.example/ns/foo-test/sa/x' }), 'deny');
    assert.equal(decide(f, { peer: 'spiffe://prod.example/ns/bar/sa/api' }), 'allow');
    assert.equal(decide(f, { peer: 'spiffe://prod.example/ns/bar/sa/api2' }), 'deny');
    assert.equal(decide(f, { peer: 'spiffe://prod.example/ns/ops/sa/admin' }), 'allow', 'cluster.local means this mesh');
    assert.equal(decide(f, { peer: 'spiffe://old.example/ns/ops/sa/admin' }), 'allow', 'an alias is the same mesh');
    assert.equal(decide(f, { peer: 'spiffe://evil.example/ns/ops/sa/admin' }), 'deny');
  });

  test('hosts (any port, case-insensitive), paths with prefix/suffix/presence and {*}/{**} templates', () => {
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: default}
spec:
  rules:
  - to: [{operation: {hosts: ["bookinfo.example.com"], paths: ["/api/{*}/items/{**}", "*.css", "/exact"]}}]
`));
    const host = 'BookInfo.example.com:8080';
    assert.equal(decide(f, { host, path: '/api/v1/items/' }), 'allow');
    assert.equal(decide(f, { host, path: '/api/v1/items/a/b?q=1' }), 'allow');
    assert.equal(decide(f, { host, path: '/api/v1/x/items/a' }), 'deny', '{*} is one segment');
    assert.equal(decide(f, { host, path: '/api//items/a' }), 'deny', '{*} is not empty');
    assert.equal(decide(f, { host, path: '/site/main.css' }), 'allow');
    assert.equal(decide(f, { host, path: '/exact' }), 'allow');
    assert.equal(decide(f, { host, path: '/exact/more' }), 'deny');
    assert.equal(decide(f, { host: 'other.example.com', path: '/exact' }), 'deny');
  });

  test('ports are decided on the inbound listener (it serves the service port, reached at the app port)', () => {
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: default}
spec:
  rules:
  - to: [{operation: {ports: ["9080"]}}]
    from: [{source: {ipBlocks: ["10.0.0.0/8"], notIpBlocks: ["10.9.9.9"]}}]
`));
    assert.equal(decide(f, { sourceIp: '10.1.2.3' }), 'allow');
    assert.equal(decide(f, { sourceIp: '10.9.9.9' }), 'deny');
    assert.equal(decide(f, { sourceIp: '192.168.1.1' }), 'deny');
    const other = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: default}
spec: {rules: [{to: [{operation: {ports: ["8080"]}}]}]}
`));
    assert.equal(decide(other, {}), 'deny');
  });

  test('when: request.headers, request.auth.claims (nested, lists), audiences, presenter, principal with "/" in the issuer', () => {
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: default}
spec:
  rules:
  - from: [{source: {requestPrincipals: ["https://issuer.example/a/sub-1", "testing@secure.istio.io/*"]}}]
    when:
    - {key: "request.headers[X-Version]", values: ["v2*"]}
    - {key: "request.auth.claims[groups]", values: ["group1"]}
    - {key: "request.auth.claims[nested][level]", notValues: ["low"]}
    - {key: request.auth.audiences, values: ["app"]}
`));
    const jwt = { iss: 'https://issuer.example/a', sub: 'sub-1', groups: ['group0', 'group1'], nested: { level: 'high' }, aud: 'app' };
    const ok: Req = { headers: { 'x-version': 'v2.1' }, jwt };
    assert.equal(decide(f, ok), 'allow');
    assert.equal(decide(f, { ...ok, jwt: { ...jwt, iss: 'https://issuer.example', sub: 'a/sub-1' } }), 'allow', 'the "/" may be in sub');
    assert.equal(decide(f, { ...ok, jwt: { ...jwt, sub: 'sub-2' } }), 'deny');
    assert.equal(decide(f, { ...ok, jwt: { ...jwt, iss: 'testing@secure.istio.io', sub: 'anyone' } }), 'allow');
    assert.equal(decide(f, { ...ok, jwt: { ...jwt, groups: 'group1' } }), 'allow', 'a string claim');
    assert.equal(decide(f, { ...ok, jwt: { ...jwt, groups: ['group2'] } }), 'deny');
    assert.equal(decide(f, { ...ok, jwt: { ...jwt, nested: { level: 'low' } } }), 'deny');
    assert.equal(decide(f, { ...ok, jwt: { ...jwt, aud: ['other', 'app'] } }), 'allow');
    assert.equal(decide(f, { ...ok, headers: { 'x-version': 'v1' } }), 'deny');
    assert.equal(decide(f, { headers: ok.headers }), 'deny', 'no token, no request principal');
  });

  test('requestPrincipals "*" requires a verified token; notRequestPrincipals "*" denies one without', () => {
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: default}
spec: {rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]}
`));
    assert.equal(decide(f, { jwt: { iss: 'i', sub: 's' } }), 'allow');
    assert.equal(decide(f, {}), 'deny');
    const d = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-no-jwt, namespace: default}
spec: {action: DENY, rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]}
`));
    assert.equal(decide(d, {}), 'deny');
    assert.equal(decide(d, { jwt: { iss: 'i', sub: 's' } }), 'allow');
  });

  test('AUDIT is a LOG rule and dry-run policies are shadow rules: neither decides', () => {
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: audit, namespace: default}
spec: {action: AUDIT, rules: [{to: [{operation: {paths: ["/user/profile/*"]}}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: dry, namespace: default, annotations: {istio.io/dry-run: "true"}}
spec: {action: DENY, rules: [{to: [{operation: {paths: ["/headers"]}}]}]}
`));
    assert.equal(decide(f, { path: '/headers' }), 'allow');
    assert.equal(decide(f, { path: '/user/profile/1' }), 'allow');
    assert.equal(shadowMatch(f, { path: '/headers' }), 'ns[default]-policy[dry]-rule[0]');
    const audit = f.find((x) => ((x.typed_config as Json).rules as Json | undefined)?.action === 'LOG');
    assert.ok(audit !== undefined, 'AUDIT becomes action LOG');
  });

  test('root-namespace policies apply mesh-wide, with their selector matched in every namespace', () => {
    const f = httpFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: global-deny, namespace: istio-system}
spec: {action: DENY, selector: {matchLabels: {app: productpage}}, rules: [{to: [{operation: {methods: ["DELETE"]}}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: other-namespace, namespace: foo}
spec: {}
`));
    assert.equal(decide(f, { method: 'DELETE' }), 'deny');
    assert.equal(decide(f, { method: 'GET' }), 'allow', 'the foo policy does not select a default workload');
  });
});

describe('TCP authorization (network rbac before tcp_proxy)', () => {
  const tcpTask = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules:
  - to: [{operation: {ports: ["9000", "9001"]}}]
`;
  test("Istio's TCP task: allow ports 9000/9001; an HTTP-only field drops the ALLOW rule; DENY keeps its TCP part", () => {
    const l = inbound(tcpTask, tcpEcho);
    const f = networkFiltersOf(l);
    assert.deepEqual(f.map((x) => x.name), ['istio.metadata_exchange', 'envoy.filters.network.rbac', 'istio.stats', 'envoy.filters.network.tcp_proxy'], 'authorization before the stats, as Istio orders them');
    assert.equal(decide(f, {}, false), 'allow');
    const http = networkFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  rules: [{to: [{operation: {methods: ["GET"], ports: ["9000"]}}]}]
`, tcpEcho));
    assert.equal(decide(http, {}, false), 'deny', 'the rule needs HTTP: dropped, nothing allows');
    const deny = networkFiltersOf(inbound(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: DENY
  rules: [{to: [{operation: {methods: ["GET"], ports: ["9000"]}}]}]
`, tcpEcho));
    assert.equal(decide(deny, {}, false), 'deny', 'DENY widens: the method is ignored, port 9000 matches');
  });
});

describe('CUSTOM (ext_authz)', () => {
  const mesh = parseMeshConfig(`
extensionProviders:
- name: sample-ext-authz-http
  envoyExtAuthzHttp: {service: ext-authz.foo.svc.cluster.local, port: "8000", includeRequestHeadersInCheck: ["x-ext-authz"]}
- name: missing-service
  envoyExtAuthzGrpc: {service: nope.foo.svc.cluster.local, port: 9000}
`, 'mesh.yaml');
  assert.ok(mesh.ok);
  const custom = (provider: string): string => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  action: CUSTOM
  provider: {name: ${provider}}
  rules: [{to: [{operation: {paths: ["/headers"]}}]}]
`;
  test('the marker rbac (shadow rules) comes first, then ext_authz enabled by its metadata, both before DENY/ALLOW', () => {
    const f = httpFiltersOf(inbound(custom('sample-ext-authz-http'), productpage, mesh.ok ? mesh.value : DEFAULT_MESH_CONFIG));
    assert.deepEqual(f.map((x) => x.name), ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz', 'istio.stats', 'envoy.filters.http.router']);
    assert.equal(shadowMatch(f, { path: '/headers' }), 'istio-ext-authz-ns[default]-policy[ext-authz]-rule[0]');
    assert.equal(shadowMatch(f, { path: '/ip' }), undefined);
    const ext = f[1]!.typed_config as Json;
    assert.deepEqual(ext.filter_enabled_metadata, {
      filter: 'envoy.filters.http.rbac',
      path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }],
      value: { string_match: { prefix: 'istio-ext-authz-' } },
    });
    assert.deepEqual((ext.http_service as Json).server_uri, { uri: 'http://ext-authz.foo.svc.cluster.local:8000', cluster: 'outbound|8000||ext-authz.foo.svc.cluster.local', timeout: '600s' });
  });

  test('every provider option reaches an ext_authz config the proxy accepts (HTTP and gRPC)', () => {
    const full = parseMeshConfig(`
extensionProviders:
- name: http-full
  envoyExtAuthzHttp:
    service: foo/ext-authz.foo.svc.cluster.local
    port: 8000
    timeout: 1.5s
    pathPrefix: /check
    failOpen: true
    statusOnError: "503"
    includeRequestHeadersInCheck: ["x-ext-authz", "x-user-*"]
    includeAdditionalHeadersInCheck: {x-from: mesh}
    includeRequestBodyInCheck: {maxRequestBytes: 4096, allowPartialMessage: true}
    headersToUpstreamOnAllow: ["x-ext-authz-check-*"]
    headersToDownstreamOnDeny: ["*-result", "content-type"]
    headersToDownstreamOnAllow: ["set-cookie"]
- name: grpc-full
  envoyExtAuthzGrpc: {service: ext-authz.foo.svc.cluster.local, port: 9000, timeout: 2s, includeRequestBodyInCheck: {maxRequestBytes: 100, packAsBytes: true}}
`, 'mesh.yaml');
    assert.ok(full.ok, full.ok ? '' : JSON.stringify(full.errors));
    for (const p of ['http-full', 'grpc-full']) {
      const f = httpFiltersOf(inbound(custom(p), productpage, full.ok ? full.value : DEFAULT_MESH_CONFIG));
      assert.deepEqual(f.map((x) => x.name), ['envoy.filters.http.rbac', 'envoy.filters.http.ext_authz', 'istio.stats', 'envoy.filters.http.router'], p);
    }
  });

  test('a provider that cannot be served (unknown, no such service) fails closed: deny-all', () => {
    for (const p of ['undefined-provider', 'missing-service']) {
      const f = httpFiltersOf(inbound(custom(p), productpage, mesh.ok ? mesh.value : DEFAULT_MESH_CONFIG));
      assert.equal(decide(f, { path: '/ip' }), 'deny', p);
    }
  });
});

describe('gateways', () => {
  test('a policy selecting the gateway goes into its HCM; ports compare with destination_port; numTrustedProxies sets xff hops', () => {
    const mesh = parseMeshConfig('defaultConfig: {gatewayTopology: {numTrustedProxies: 1}}', 'm.yaml');
    assert.ok(mesh.ok);
    const snap = snapshotFromYaml(`${SERVICES}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ingress-policy, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  rules:
  - from: [{source: {remoteIpBlocks: ["203.0.113.0/24"]}}]
    to: [{operation: {ports: ["8080"]}}]
`, [], 'v1', { mesh: mesh.ok ? mesh.value : DEFAULT_MESH_CONFIG });
    const gw = proxyNode({ type: 'router', namespace: 'istio-system', labels: { istio: 'ingressgateway' } });
    const out = ldsGenerator.build(gw, snap);
    assertProxyAccepts(LISTENER_TYPE, out);
    const l = byName(out, '0.0.0.0_8080').resource;
    const hcm = ((l.filter_chains as Json[])[0]!.filters as Json[])[0]!.typed_config as Json;
    assert.equal(hcm.xff_num_trusted_hops, 1);
    const f = hcm.http_filters as Json[];
    assert.equal(decide(f, { remoteIp: '203.0.113.7', port: 8080 }), 'allow');
    assert.equal(decide(f, { remoteIp: '198.51.100.1', port: 8080 }), 'deny');
    assert.equal(decide(f, { remoteIp: '203.0.113.7', port: 9090 }), 'deny');
  });
});
