// API: the Istio MeshConfig of `trellis control --mesh-config` — applied, ignored and refused fields, errors with field and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ApiError } from '../../src/api/errors.js';
import { DEFAULT_MESH_CONFIG, parseMeshConfig, reconcileTrustDomain } from '../../src/api/mesh-config.js';

const good = `
trustDomain: example.org
trustDomainAliases: [old.example.org]
rootNamespace: mesh-root
enableTracing: true
accessLogFile: /dev/stdout
extensionProviders:
- name: ext-authz-http
  envoyExtAuthzHttp:
    service: ext-authz.foo.svc.cluster.local
    port: "8000"
    timeout: 2s
    pathPrefix: /check
    failOpen: true
    statusOnError: "503"
    includeRequestHeadersInCheck: ["x-ext-authz", "x-user-*"]
    includeAdditionalHeadersInCheck: {X-From: mesh}
    headersToUpstreamOnAllow: ["x-ext-authz-check-result"]
    headersToDownstreamOnDeny: ["*-result"]
- name: ext-authz-grpc
  envoyExtAuthzGrpc: {service: foo/ext-authz.example.com, port: 9000}
- name: zipkin
  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
defaultProviders: {tracing: [zipkin]}
outboundTrafficPolicy: {mode: REGISTRY_ONLY}
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}
  tracing: {zipkin: {address: zipkin:9411}}
  gatewayTopology: {numTrustedProxies: 2}
`;

test('applied fields reach the MeshConfig; ext_authz providers get Istio defaults; the rest is listed as ignored', () => {
  const r = parseMeshConfig(good, 'mesh.yaml');
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors, null, 1));
  const m = r.value;
  assert.equal(m.trustDomain, 'example.org');
  assert.deepEqual(m.trustDomainAliases, ['old.example.org']);
  assert.equal(m.rootNamespace, 'mesh-root');
  assert.equal(m.numTrustedProxies, 2);
  assert.equal(m.outboundTrafficPolicy, 'REGISTRY_ONLY');
  const [http, grpc] = m.extAuthzProviders;
  assert.deepEqual(
    { ...http },
    {
      name: 'ext-authz-http', kind: 'http', host: 'ext-authz.foo.svc.cluster.local', port: 8000, timeoutMs: 2000, failOpen: true,
      statusOnError: 503, clearRouteCache: false, pathPrefix: '/check',
      includeRequestHeadersInCheck: [{ exact: 'x-ext-authz' }, { prefix: 'x-user-' }],
      includeAdditionalHeadersInCheck: { 'x-from': 'mesh' },
      headersToUpstreamOnAllow: [{ exact: 'x-ext-authz-check-result' }],
      headersToDownstreamOnDeny: [{ suffix: '-result' }],
      headersToDownstreamOnAllow: [],
    },
  );
  assert.equal(grpc?.kind, 'grpc');
  assert.equal(grpc?.host, 'ext-authz.example.com');
  assert.equal(grpc?.namespace, 'foo');
  assert.equal(grpc?.timeoutMs, 600_000, "Istio's default timeout");
  assert.deepEqual(m.telemetryProviders, [
    { name: 'zipkin', kind: 'zipkin', service: 'zipkin.istio-system.svc.cluster.local', port: 9411, maxTagLength: 256, enable64bitTraceId: false, path: '/api/v2/spans' },
  ]);
  assert.deepEqual(m.telemetry.defaultProviders, { tracing: ['zipkin'], accessLogging: [] });
  assert.deepEqual(m.telemetry.tracing.zipkinAddress, { host: 'zipkin', port: 9411 });
  assert.equal(m.telemetry.enableTracing, true);
  assert.equal(m.telemetry.accessLogFile, '/dev/stdout');
  const ignored = m.ignored.map((i) => i.field).sort();
  assert.deepEqual(ignored, ['defaultConfig.discoveryAddress', 'defaultConfig.proxyMetadata']);
});

test('refused and unknown fields name the file, the field, the reason and the line', () => {
  const text = ['connectTimeout: 5s', 'outboundTrafficPolicy:', '  mode: ALLOW_ANY', 'defaultConfig:', '  proxyHeaders: {}', '  bogus: 1', 'enableAutoMtls: false', 'extensionProviders:', '- name: a', '  sds: {name: x}', 'nope: 1'].join('\n');
  const r = parseMeshConfig(text, 'bad.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const lines = r.errors.map((e) => `${e.path}: ${e.message}`);
  const want: [string, RegExp][] = [
    ['connectTimeout', /not supported by trellis .*\(bad\.yaml:1\)$/],
    ['outboundTrafficPolicy.mode', /ALLOW_ANY is not supported by trellis .*\(bad\.yaml:3\)$/],
    ['defaultConfig.proxyHeaders', /not supported by trellis .*\(bad\.yaml:5\)$/],
    ['defaultConfig.bogus', /unknown field "bogus" in ProxyConfig \(bad\.yaml:6\)$/],
    ['enableAutoMtls', /enableAutoMtls: false is not supported by trellis \(auto mTLS is always on/],
    ['extensionProviders[0].sds', /sds is not supported by trellis/],
    ['nope', /unknown field "nope" in MeshConfig \(bad\.yaml:11\)$/],
  ];
  for (const [field, re] of want) {
    const hit = lines.find((l) => l.startsWith(`MeshConfig bad.yaml: ${field}: `));
    assert.ok(hit !== undefined && re.test(hit), `${field}: ${hit ?? lines.join('\n')}`);
  }
});

test('provider problems: missing service and port, bad timeout, duplicate names, dangling default provider', () => {
  const text = `
extensionProviders:
- name: a
  envoyExtAuthzHttp: {pathPrefix: check, timeout: 1x, statusOnError: "99", headersToUpstreamOnAllow: [""]}
- name: a
  envoyExtAuthzGrpc: {service: "not a host", port: 70000, pathPrefix: /x}
defaultProviders: {accessLogging: [missing]}
`;
  const r = parseMeshConfig(text, 'p.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const fields = (r.errors as ApiError[]).map((e) => e.field).sort();
  assert.deepEqual(fields, [
    'defaultProviders.accessLogging[0]',
    'extensionProviders[0].envoyExtAuthzHttp.headersToUpstreamOnAllow[0]',
    'extensionProviders[0].envoyExtAuthzHttp.pathPrefix',
    'extensionProviders[0].envoyExtAuthzHttp.port',
    'extensionProviders[0].envoyExtAuthzHttp.service',
    'extensionProviders[0].envoyExtAuthzHttp.statusOnError',
    'extensionProviders[0].envoyExtAuthzHttp.timeout',
    'extensionProviders[1].envoyExtAuthzGrpc.pathPrefix',
    'extensionProviders[1].envoyExtAuthzGrpc.port',
    'extensionProviders[1].envoyExtAuthzGrpc.service',
    'extensionProviders[1].name',
  ]);
});

test("Istio's istio ConfigMap (data.mesh) and an IstioOperator's spec.meshConfig are read too", () => {
  const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |-\n    rootNamespace: cm-root\n    bogus: 1\n`;
  const r = parseMeshConfig(cm, 'cm.yaml');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors[0]!.message, /unknown field "bogus" in MeshConfig \(cm\.yaml data\.mesh:2\)/);
  const op = `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    rootNamespace: op-root\n    trustDomain: BAD\n`;
  const o = parseMeshConfig(op, 'op.yaml');
  assert.equal(o.ok, false);
  if (!o.ok) assert.equal(o.errors[0]!.path, 'MeshConfig op.yaml: spec.meshConfig.trustDomain');
  const ok = parseMeshConfig(`kind: IstioOperator\nspec:\n  meshConfig: {rootNamespace: op-root}\n`, 'op.yaml');
  assert.ok(ok.ok && ok.value.rootNamespace === 'op-root');
});

test('an empty file is the default mesh config; invalid YAML is an error with its line', () => {
  const e = parseMeshConfig('', 'empty.yaml');
  assert.ok(e.ok);
  if (e.ok) assert.deepEqual({ ...e.value }, { ...DEFAULT_MESH_CONFIG });
  const bad = parseMeshConfig('a: [1,\n', 'y.yaml');
  assert.equal(bad.ok, false);
});

test('--trust-domain and trustDomain must agree when both are given', () => {
  const mesh = { ...DEFAULT_MESH_CONFIG, trustDomain: 'a.org' };
  assert.deepEqual(reconcileTrustDomain(undefined, mesh), { trustDomain: 'a.org' });
  assert.deepEqual(reconcileTrustDomain('a.org', mesh), { trustDomain: 'a.org' });
  assert.match(reconcileTrustDomain('b.org', mesh).error ?? '', /disagrees/);
  assert.deepEqual(reconcileTrustDomain('b.org', DEFAULT_MESH_CONFIG), { trustDomain: 'b.org' });
  assert.deepEqual(reconcileTrustDomain(undefined, DEFAULT_MESH_CONFIG), {});
});

test('a value whose toString is not a function is reported, not thrown on (found by the property below)', () => {
  const r = parseMeshConfig('{"rootNamespace":{"toString":""}}', 'f.yaml');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.errors.map((e) => e.message).join('\n'), /is not a valid namespace/);
});

test('property: any YAML text gives a result or errors, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json().map((j) => j)), (text) => {
      const r = parseMeshConfig(text, 'f.yaml');
      assert.ok(r.ok || r.errors.length > 0);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('trustDomain', 'rootNamespace', 'extensionProviders', 'defaultConfig', 'outboundTrafficPolicy', 'x'), fc.anything()), (obj) => {
      const r = parseMeshConfig(JSON.stringify(obj), 'f.json');
      assert.ok(r.ok || (r.errors as ApiError[]).every((e) => e.resource === 'MeshConfig f.json'));
    }),
    { numRuns: 300 },
  );
});
