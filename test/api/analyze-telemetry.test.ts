// API: analyze on Telemetry — two selector-less Telemetries in a namespace (IST0160), two selecting one workload (IST0159),
// and providers that cannot be served: undefined, or a collector that is no known service (TRL0007).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, formatMessage } from '../../src/api/analyze.js';
import { parseMeshConfig } from '../../src/api/mesh-config.js';
import { parseResources } from '../../src/api/parse.js';

const tel = (name: string, spec: string, ns = 'shop'): string => `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n---\n`;

const yaml =
  `apiVersion: v1\nkind: Service\nmetadata: {name: otel, namespace: obs}\nspec: {ports: [{name: http, port: 4318}]}\n---\n` +
  tel('a', '{accessLogging: [{providers: [{name: envoy}]}]}') +
  tel('b', '{tracing: [{providers: [{name: otel}]}]}') +
  tel('c', '{selector: {matchLabels: {app: reviews}}, tracing: [{providers: [{name: zipkin}]}]}') +
  tel('d', '{selector: {matchLabels: {version: v1}}, accessLogging: [{providers: [{name: nope}]}]}') +
  tel('e', '{metrics: [{providers: [{name: prometheus}]}]}', 'other');

test('Telemetry analyzers: IST0160, IST0159, and TRL0007 for undefined providers and unknown collectors', () => {
  const mesh = parseMeshConfig(
    'extensionProviders:\n- {name: otel, opentelemetry: {service: otel.obs.svc.cluster.local, port: 4318, http: {}}}\n- {name: zipkin, zipkin: {service: zipkin.obs.svc.cluster.local, port: 9411}}\n',
    'mesh.yaml',
  );
  assert.ok(mesh.ok);
  const rs = parseResources(yaml);
  assert.ok(rs.ok);
  const lines = analyze(rs.value, [{ namespace: 'shop', name: 'reviews-v1', labels: { app: 'reviews', version: 'v1' } }], mesh.value).map(formatMessage);
  const has = (re: RegExp): void => assert.ok(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`);
  has(/Error \[IST0160\] \(Telemetry shop\/a\) The Telemetries a, b in namespace "shop" have no workload selector/);
  has(/Error \[IST0159\] \(Telemetry shop\/c\) .*select the same workload reviews-v1/);
  has(/Warning \[TRL0007\] \(Telemetry shop\/a\) provider "envoy" is not defined/);
  has(/Warning \[TRL0007\] \(Telemetry shop\/c\) provider "zipkin": its collector zipkin.obs.svc.cluster.local is not in the service registry/);
  has(/Warning \[TRL0007\] \(Telemetry shop\/d\) provider "nope" is not defined/);
  assert.ok(!lines.some((l) => l.includes('shop/b') && l.includes('TRL0007')), 'otel is defined and its collector is a Service');
  assert.ok(!lines.some((l) => l.includes('other/e')), 'prometheus is built in');
});

test('TRL0007: an opentelemetry tracing provider without http (OTLP over gRPC) is said to send nothing', () => {
  const mesh = parseMeshConfig('extensionProviders:\n- {name: otel-grpc, opentelemetry: {service: otel.obs.svc.cluster.local, port: 4317}}\n', 'mesh.yaml');
  assert.ok(mesh.ok);
  const rs = parseResources(`apiVersion: v1\nkind: Service\nmetadata: {name: otel, namespace: obs}\nspec: {ports: [{name: grpc, port: 4317}]}\n---\n` + tel('t', '{tracing: [{providers: [{name: otel-grpc}]}]}'));
  assert.ok(rs.ok);
  const lines = analyze(rs.value, [], mesh.value).map(formatMessage);
  assert.ok(lines.some((l) => /Warning \[TRL0007\] \(Telemetry shop\/t\) provider "otel-grpc": OTLP over gRPC is not supported by trellis; set opentelemetry.http/.test(l)), lines.join('\n'));
});
