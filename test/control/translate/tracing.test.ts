// Translate tests: HCM `tracing` from mesh providers and Telemetry — zipkin and OTLP/HTTP to outbound|port||FQDN,
// sampling, Istio's and custom tags, per mode; omitted when the collector is not a registered service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode } from '../../../src/control/model/builders.js';
import { LISTENER_TYPE } from '../../../src/control/translate/generator.js';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { hcmTracing } from '../../../src/control/translate/tracing.js';
import { BOOKINFO, BOOKINFO_INSTANCES, assertProxyAccepts, byName, get, snapshotFromYaml, meshFromYaml } from './helpers.js';
import '../../all-filters.js';

const COLLECTORS = `
apiVersion: v1
kind: Service
metadata: {name: zipkin, namespace: istio-system}
spec: {ports: [{name: http, port: 9411}]}
---
apiVersion: v1
kind: Service
metadata: {name: otel, namespace: observability}
spec: {ports: [{name: http, port: 4318}]}
---
`;

const mesh = meshFromYaml;

const reviews = proxyNode({ serviceName: 'reviews', servicePort: 9080, appPort: 9081, labels: { app: 'reviews', version: 'v1' } });

test("Istio's defaults (enableTracing + defaultConfig.tracing.zipkin): zipkin on both listeners, proxy accepts it", () => {
  const m = mesh('enableTracing: true\ndefaultConfig:\n  tracing: {sampling: 5, zipkin: {address: zipkin.istio-system:9411}, custom_tags: {team: {literal: {value: a}}}}\n');
  const snap = snapshotFromYaml(COLLECTORS + BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: m });
  const out = ldsGenerator.build(reviews, snap);
  assertProxyAccepts(LISTENER_TYPE, out);
  const ob = get(byName(out, 'outbound').resource, 'filter_chains', 0, 'filters', 0, 'typed_config', 'tracing');
  assert.deepEqual(get(ob, 'provider', 'typed_config', 'collector_cluster'), 'outbound|9411||zipkin.istio-system.svc.cluster.local');
  assert.deepEqual(get(ob, 'random_sampling'), { value: 5 });
  const tags = get(ob, 'custom_tags') as { tag: string; literal?: { value: string } }[];
  assert.deepEqual(tags.map((t) => [t.tag, t.literal?.value]), [
    ['istio.canonical_service', 'reviews'],
    ['istio.canonical_revision', 'v1'],
    ['istio.namespace', 'default'],
    ['team', 'a'],
  ]);
  const inbound = byName(out, 'inbound').resource;
  const chains = get(inbound, 'filter_chains') as unknown[];
  assert.ok(chains.some((_c, i) => get(inbound, 'filter_chains', i, 'filters', 0, 'typed_config', 'tracing') !== undefined), 'inbound HCM traces too');
});

test('Telemetry selects the opentelemetry provider over OTLP/HTTP with its sampling, per mode', () => {
  const m = mesh('extensionProviders:\n- name: otel\n  opentelemetry: {service: otel.observability.svc.cluster.local, port: 4318, http: {path: /v1/traces, timeout: 2s}}\n');
  const tel = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing:
  - providers: [{name: otel}]
    randomSamplingPercentage: 25
    customTags: {user: {header: {name: x-user, defaultValue: anon}}}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: no-client, namespace: default}
spec:
  tracing:
  - match: {mode: CLIENT}
    disableSpanReporting: true
---
`;
  const snap = snapshotFromYaml(COLLECTORS + BOOKINFO + tel, BOOKINFO_INSTANCES, 'v1', { mesh: m });
  const server = hcmTracing(reviews, snap, 'SERVER');
  assert.deepEqual(get(server, 'provider', 'typed_config', 'http_service', 'http_uri'), { uri: 'http://otel.observability.svc.cluster.local:4318/v1/traces', cluster: 'outbound|4318||otel.observability.svc.cluster.local', timeout: '2s' });
  assert.equal(get(server, 'provider', 'typed_config', 'service_name'), 'reviews.default');
  assert.deepEqual(get(server, 'random_sampling'), { value: 25 });
  assert.deepEqual((get(server, 'custom_tags') as unknown[]).at(-1), { tag: 'user', request_header: { name: 'x-user', default_value: 'anon' } });
  assert.equal(hcmTracing(reviews, snap, 'CLIENT'), undefined, 'span reporting disabled for CLIENT');
  assertProxyAccepts(LISTENER_TYPE, ldsGenerator.build(reviews, snap));
});

test('a provider whose service is not registered, or OTLP over gRPC, is left out', () => {
  const m = mesh('enableTracing: true\ndefaultConfig:\n  tracing: {sampling: 100, zipkin: {address: zipkin.istio-system:9411}}\n');
  const snap = snapshotFromYaml(BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: m });
  assert.equal(hcmTracing(reviews, snap, 'CLIENT'), undefined);
  const g = mesh('extensionProviders:\n- name: otel\n  opentelemetry: {service: otel.observability.svc.cluster.local, port: 4318}\ndefaultProviders: {tracing: [otel]}\n');
  const snap2 = snapshotFromYaml(COLLECTORS + BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: g });
  assert.equal(hcmTracing(reviews, snap2, 'CLIENT'), undefined);
});

test('Telemetry useRequestIdForTraceSampling: false adds the UUID request id extension that turns it off', () => {
  const m = mesh('enableTracing: true\ndefaultConfig:\n  tracing: {sampling: 5, zipkin: {address: zipkin.istio-system:9411}}\n');
  const tel = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing:
  - useRequestIdForTraceSampling: false
---
`;
  const on = snapshotFromYaml(COLLECTORS + BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: m });
  assert.equal(get(byName(ldsGenerator.build(reviews, on), 'outbound').resource, 'filter_chains', 0, 'filters', 0, 'typed_config', 'request_id_extension'), undefined);
  const off = snapshotFromYaml(COLLECTORS + BOOKINFO + tel, BOOKINFO_INSTANCES, 'v1', { mesh: m });
  const out = ldsGenerator.build(reviews, off);
  assertProxyAccepts(LISTENER_TYPE, out);
  assert.deepEqual(get(byName(out, 'outbound').resource, 'filter_chains', 0, 'filters', 0, 'typed_config', 'request_id_extension'), {
    typed_config: { '@type': 'type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', use_request_id_for_trace_sampling: false },
  });
});
