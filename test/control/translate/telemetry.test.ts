// Unit: the Telemetry resolver — mesh defaults, then root namespace, namespace and workload Telemetry, per mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMeshConfig } from '../../../src/api/mesh-config.js';
import { validateResource } from '../../../src/api/validate.js';
import { proxyNode } from '../../../src/control/model/builders.js';
import { resolveTelemetry } from '../../../src/control/translate/telemetry.js';
import { parseYaml, snapshotFromYaml, meshFromYaml } from './helpers.js';

const MESH = `
accessLogFile: /dev/stdout
defaultConfig:
  tracing: {sampling: 10, zipkin: {address: zipkin.istio-system:9411}, custom_tags: {team: {literal: {value: mesh}}}}
extensionProviders:
- name: otel
  opentelemetry: {service: otel.observability.svc.cluster.local, port: 4318, http: {path: /v1/traces, timeout: 2s}}
- name: als
  envoyHttpAls: {service: als.observability.svc.cluster.local, port: 9001, logName: mesh}
- name: json-file
  envoyFileAccessLog: {path: /tmp/access.json, logFormat: {labels: {code: "%RESPONSE_CODE%"}}}
`;

const mesh = (text = MESH) => meshFromYaml(text);

const telemetry = (ns: string, name: string, spec: string): string => `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: ${name}, namespace: ${ns}}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
---
`;

test('with no Telemetry the mesh config decides: accessLogFile logs everything, the zipkin address traces at its sampling, prometheus is on', () => {
  const snap = snapshotFromYaml('', [], 'v1', { mesh: mesh() });
  const r = resolveTelemetry(snap, proxyNode());
  const logs = r.accessLogs('SERVER');
  assert.deepEqual(logs.map((l) => [l.provider.name, l.provider.kind]), [['envoy', 'envoyFileAccessLog']]);
  const t = r.tracing('CLIENT');
  assert.equal(t?.provider.kind, 'zipkin');
  assert.equal(t?.provider.service, 'zipkin.istio-system.svc.cluster.local');
  assert.equal(t?.samplingPercent, 10);
  assert.deepEqual(t?.customTags, { team: { literal: { value: 'mesh' } } });
  assert.equal(r.metrics('SERVER').enabled, true);
  // an empty mesh config: nothing but metrics
  const bare = resolveTelemetry(snapshotFromYaml(''), proxyNode());
  assert.equal(bare.tracing('CLIENT'), undefined);
  assert.deepEqual(bare.accessLogs('CLIENT'), []);
  assert.equal(bare.metrics('CLIENT').enabled, true);
});

test('namespace and workload Telemetry override the root namespace, field by field, per mode', () => {
  const yaml =
    telemetry('istio-system', 'mesh-default', `
tracing: [{providers: [{name: otel}], randomSamplingPercentage: 1}]
accessLogging: [{providers: [{name: als}]}]`) +
    telemetry('shop', 'ns', `
tracing: [{randomSamplingPercentage: 50, customTags: {ns: {header: {name: x-ns}}}}]
accessLogging: [{providers: [{name: envoy}], disabled: true}]`) +
    telemetry('shop', 'reviews', `
selector: {matchLabels: {app: reviews}}
tracing: [{match: {mode: SERVER}, randomSamplingPercentage: 100}]
accessLogging: [{providers: [{name: als}], filter: {expression: "response.code >= 400"}}]
metrics: [{overrides: [{match: {metric: REQUEST_COUNT, mode: CLIENT}, tagOverrides: {request_protocol: {operation: REMOVE}}}, {match: {metric: ALL_METRICS, mode: SERVER}, disabled: true}]}]`);
  for (const r of parseYaml(yaml)) assert.deepEqual(validateResource(r), []);
  const snap = snapshotFromYaml(yaml, [], 'v1', { mesh: mesh() });
  const other = resolveTelemetry(snap, proxyNode({ namespace: 'shop', labels: { app: 'ratings' } }));
  assert.equal(other.tracing('CLIENT')?.provider.name, 'otel', 'the root namespace picks the provider');
  assert.equal(other.tracing('CLIENT')?.samplingPercent, 50, 'the namespace sets the sampling');
  assert.deepEqual(Object.keys(other.tracing('CLIENT')?.customTags ?? {}), ['ns'], 'a field set by the namespace replaces the mesh one');
  assert.deepEqual(other.accessLogs('CLIENT').map((l) => l.provider.name), ['als'], 'the mesh file log is off in shop; ALS stays');

  const reviews = resolveTelemetry(snap, proxyNode({ namespace: 'shop', labels: { app: 'reviews' } }));
  assert.equal(reviews.tracing('SERVER')?.samplingPercent, 100);
  assert.equal(reviews.tracing('CLIENT')?.samplingPercent, 50, 'a SERVER match leaves the client side alone');
  assert.deepEqual(reviews.accessLogs('SERVER').map((l) => [l.provider.name, l.filterExpression]), [['als', 'response.code >= 400']]);
  assert.deepEqual(reviews.metrics('CLIENT').overrides, [{ metric: 'REQUEST_COUNT', mode: 'CLIENT', tagOverrides: { request_protocol: { operation: 'REMOVE' } } }]);
  assert.deepEqual(reviews.metrics('SERVER').overrides, [{ metric: 'ALL_METRICS', mode: 'SERVER', disabled: true, tagOverrides: {} }]);

  const elsewhere = resolveTelemetry(snap, proxyNode({ namespace: 'other', labels: { app: 'reviews' } }));
  assert.equal(elsewhere.tracing('CLIENT')?.samplingPercent, 1, 'another namespace gets only the mesh-wide Telemetry');
});

test('metrics entries for a non-prometheus provider do not touch prometheus; defaultProviders.metrics: [] turns it off', () => {
  const snap = snapshotFromYaml('', [], 'v1', { mesh: mesh('defaultProviders: {metrics: []}') });
  assert.equal(resolveTelemetry(snap, proxyNode()).metrics('SERVER').enabled, false);
});

test('Telemetry validation: one tracing provider, UPSERT needs a value, targetRef refused, unknown fields by name', () => {
  const bad = parseYaml(
    telemetry('shop', 'bad', `
tracing: [{providers: [{name: a}, {name: b}], randomSamplingPercentage: 101}]
metrics: [{overrides: [{tagOverrides: {x: {operation: UPSERT}, y: {operation: REMOVE, value: "1"}}}]}]
accessLogging: [{filter: {}}, {filter: {expression: "response.code >="}}, {filter: {expression: "status >= 400"}}]
bogus: 1`),
  );
  const msgs = validateResource(bad[0]!).map((e) => `${e.field}: ${e.message}`);
  for (const want of ['spec.tracing[0].providers', 'spec.tracing[0].randomSamplingPercentage', 'tagOverrides.x.value', 'tagOverrides.y.value', 'spec.accessLogging[0].filter.expression', 'spec.accessLogging[1].filter.expression: invalid CEL', 'spec.accessLogging[2].filter.expression: CEL expression reads "status"', 'spec.bogus']) {
    assert.ok(msgs.some((m) => m.includes(want)), `${want} in ${msgs.join('\n')}`);
  }
});

test('telemetry providers are checked field by field; unserved tracers are refused by name', () => {
  const r = parseMeshConfig(`
extensionProviders:
- name: ls
  lightstep: {address: x:1}
- name: z
  zipkin: {service: zipkin.default.svc.cluster.local, port: 9411, traceContextOption: USE_B3_WITH_W3C_PROPAGATION}
- name: f
  envoyFileAccessLog: {logFormat: {text: "%RESPONSE_CODE%", labels: {}}}
- name: o
  envoyOtelAls: {service: otel.default.svc.cluster.local, port: 4317}
`, 'mesh.yaml');
  assert.equal(r.ok, false);
  const msgs = r.ok ? '' : r.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
  assert.match(msgs, /lightstep is not supported by trellis/);
  assert.match(msgs, /traceContextOption is not supported by trellis/);
  assert.match(msgs, /envoyFileAccessLog\.path: required/);
  assert.match(msgs, /only one of text and labels/);
  assert.match(msgs, /envoyOtelAls\) are not supported by trellis/);
});

test('Telemetry metrics reach istio.stats: ALL_METRICS disabled leaves the filter out, tag overrides become its metrics config', async () => {
  const { statsFor } = await import('../../../src/control/translate/istio-stats.js');
  const yaml =
    telemetry('shop', 'off', 'metrics: [{overrides: [{match: {metric: ALL_METRICS, mode: SERVER}, disabled: true}]}]') +
    telemetry('shop', 'tags', `
selector: {matchLabels: {app: reviews}}
metrics: [{overrides: [{match: {metric: REQUEST_COUNT}, tagOverrides: {request_protocol: {operation: REMOVE}, host: {value: "request.host"}}}]}]`);
  const snap = snapshotFromYaml(yaml);
  const ratings = proxyNode({ namespace: 'shop', labels: { app: 'ratings' } });
  assert.equal(statsFor(ratings, snap, 'SERVER'), undefined, 'inbound metrics off: no filter, no exchange');
  assert.deepEqual(statsFor(ratings, snap, 'CLIENT'), { mode: 'CLIENT', metrics: [] });
  const reviews = proxyNode({ namespace: 'shop', labels: { app: 'reviews' } });
  assert.deepEqual(statsFor(reviews, snap, 'CLIENT')?.metrics, [{ name: 'requests_total', tags_to_remove: ['request_protocol'], dimensions: { host: 'request.host' } }]);
  const bad = parseYaml(telemetry('shop', 'bad', 'metrics: [{overrides: [{tagOverrides: {x: {value: "request.size > 10"}}}]}]'));
  assert.match(validateResource(bad[0]!).map((e) => e.message).join('\n'), /unsupported CEL expression "request.size > 10"/);
});
