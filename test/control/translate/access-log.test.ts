// Translate tests: access logs from the mesh config (accessLogFile/Encoding/Format) and Telemetry accessLogging — Istio's
// default text and JSON formats, custom formats, CEL filters, per-mode disabling, HCMs and tcp_proxy; the proxy accepts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode } from '../../../src/control/model/builders.js';
import { ISTIO_JSON_FORMAT, ISTIO_TEXT_FORMAT, accessLogsFor } from '../../../src/control/translate/access-log.js';
import { LISTENER_TYPE, type XdsResource } from '../../../src/control/translate/generator.js';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { BOOKINFO, BOOKINFO_INSTANCES, assertProxyAccepts, get, snapshotFromYaml, meshFromYaml } from './helpers.js';
import '../../all-filters.js';

const MONGO = `
apiVersion: v1
kind: Service
metadata: {name: mongodb, namespace: default}
spec: {ports: [{name: tcp, port: 27017}]}
---
`;

const mesh = meshFromYaml;

const reviews = proxyNode({ serviceName: 'reviews', servicePort: 9080, appPort: 9081, labels: { app: 'reviews', version: 'v1' } });
const ratings = proxyNode({ serviceName: 'ratings', servicePort: 9080, appPort: 9081, labels: { app: 'ratings' } });

/** Every access_log list in the listeners, by the filter that carries it. */
function logsOf(out: readonly XdsResource[]): { listener: string; filter: string; logs: unknown[] }[] {
  const found: { listener: string; filter: string; logs: unknown[] }[] = [];
  for (const r of out) {
    const chains = [...((r.resource.filter_chains as unknown[] | undefined) ?? []), ...(r.resource.default_filter_chain ? [r.resource.default_filter_chain] : [])];
    for (const c of chains) {
      for (const f of (get(c, 'filters') as { name: string; typed_config?: { access_log?: unknown[] } }[] | undefined) ?? []) {
        if (f.typed_config?.access_log !== undefined) found.push({ listener: r.name, filter: f.name, logs: f.typed_config.access_log });
      }
    }
  }
  return found;
}

test("mesh accessLogFile: Istio's text format on every HCM and tcp_proxy, inbound and outbound; none without it", () => {
  const snap = snapshotFromYaml(MONGO + BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: mesh('accessLogFile: /dev/stdout\n') });
  const out = ldsGenerator.build(reviews, snap);
  assertProxyAccepts(LISTENER_TYPE, out);
  const mongo = ldsGenerator.build(proxyNode({ serviceName: 'mongodb', servicePort: 27017, appPort: 27018, labels: { app: 'mongodb' } }), snap);
  assertProxyAccepts(LISTENER_TYPE, mongo);
  const found = [...logsOf(out), ...logsOf(mongo)];
  assert.ok(found.some((f) => f.listener === 'inbound'), 'inbound logs');
  assert.ok(found.some((f) => f.filter === 'envoy.filters.network.tcp_proxy'), 'the mongodb tcp_proxy logs');
  assert.ok(found.some((f) => f.listener === 'outbound' && f.filter === 'envoy.filters.network.http_connection_manager'));
  for (const f of found) {
    assert.deepEqual(f.logs, [
      { name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/dev/stdout', log_format: { text_format_source: { inline_string: ISTIO_TEXT_FORMAT } } } },
    ]);
  }
  const none = snapshotFromYaml(MONGO + BOOKINFO, BOOKINFO_INSTANCES, 'v1');
  assert.deepEqual(logsOf(ldsGenerator.build(reviews, none)), []);
});

test('accessLogEncoding JSON: Istio\'s JSON labels, or the accessLogFormat given as JSON; a text accessLogFormat gets its newline', () => {
  const json = snapshotFromYaml(BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: mesh('accessLogFile: /tmp/a.log\naccessLogEncoding: JSON\n') });
  assert.deepEqual(get(accessLogsFor(reviews, json, 'SERVER', 'http')[0], 'typed_config', 'log_format'), { json_format: ISTIO_JSON_FORMAT });
  const custom = snapshotFromYaml(BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: mesh('accessLogFile: /tmp/a.log\naccessLogEncoding: JSON\naccessLogFormat: \'{"code": "%RESPONSE_CODE%"}\'\n') });
  assert.deepEqual(get(accessLogsFor(reviews, custom, 'SERVER', 'http')[0], 'typed_config', 'log_format'), { json_format: { code: '%RESPONSE_CODE%' } });
  const text = snapshotFromYaml(BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: mesh('accessLogFile: /tmp/a.log\naccessLogFormat: "%RESPONSE_CODE% %DOWNSTREAM_PEER_URI_SAN%"\n') });
  assert.deepEqual(get(accessLogsFor(reviews, text, 'SERVER', 'http')[0], 'typed_config', 'log_format'), { text_format_source: { inline_string: '%RESPONSE_CODE% %DOWNSTREAM_PEER_URI_SAN%\n' } });
});

test('Telemetry accessLogging: a provider with labels, a CEL filter, disabled for one workload and one mode', () => {
  const m = mesh('extensionProviders:\n- name: json-file\n  envoyFileAccessLog: {path: /tmp/json.log, logFormat: {labels: {code: "%RESPONSE_CODE%", peer: "%DOWNSTREAM_PEER_URI_SAN%"}}}\n');
  const tel = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  accessLogging:
  - providers: [{name: json-file}]
    filter: {expression: "response.code >= 400"}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: ratings-quiet, namespace: default}
spec:
  selector: {matchLabels: {app: ratings}}
  accessLogging:
  - providers: [{name: json-file}]
    match: {mode: CLIENT}
    disabled: true
---
`;
  const snap = snapshotFromYaml(BOOKINFO + tel, BOOKINFO_INSTANCES, 'v1', { mesh: m });
  const out = ldsGenerator.build(reviews, snap);
  assertProxyAccepts(LISTENER_TYPE, out);
  const log = accessLogsFor(reviews, snap, 'CLIENT', 'http')[0];
  assert.deepEqual(get(log, 'typed_config', 'log_format'), { json_format: { code: '%RESPONSE_CODE%', peer: '%DOWNSTREAM_PEER_URI_SAN%' } });
  assert.deepEqual(get(log, 'filter'), {
    extension_filter: {
      name: 'envoy.access_loggers.extension_filters.cel',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression: 'response.code >= 400' },
    },
  });
  assert.equal(accessLogsFor(ratings, snap, 'CLIENT', 'http').length, 0, 'ratings: client logs off');
  assert.equal(accessLogsFor(ratings, snap, 'SERVER', 'http').length, 1, 'ratings: server logs stay');
});

test('envoyHttpAls on HCMs and envoyTcpAls on tcp_proxy: Envoy gRPC loggers to the provider service cluster; an unknown service is left out', () => {
  const ALS = `apiVersion: v1
kind: Service
metadata: {name: als, namespace: observability}
spec: {ports: [{name: grpc, port: 9000}]}
---
`;
  const m = mesh(`extensionProviders:
- name: http-als
  envoyHttpAls: {service: als.observability.svc.cluster.local, port: 9000, logName: http-log, additionalRequestHeadersToLog: [x-user]}
- name: tcp-als
  envoyTcpAls: {service: als.observability.svc.cluster.local, port: 9000}
- name: lost-als
  envoyHttpAls: {service: nowhere.observability.svc.cluster.local, port: 9000}
defaultProviders: {accessLogging: [http-als, tcp-als, lost-als]}
`);
  const snap = snapshotFromYaml(ALS + MONGO + BOOKINFO, BOOKINFO_INSTANCES, 'v1', { mesh: m });
  const cluster = 'outbound|9000||als.observability.svc.cluster.local';
  const http = accessLogsFor(reviews, snap, 'SERVER', 'http');
  assert.deepEqual(http, [
    {
      name: 'envoy.access_loggers.http_grpc',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
        common_config: { log_name: 'http-log', grpc_service: { envoy_grpc: { cluster_name: cluster } }, transport_api_version: 'V3' },
        additional_request_headers_to_log: ['x-user'],
      },
    },
  ]);
  const tcp = accessLogsFor(reviews, snap, 'SERVER', 'tcp');
  assert.deepEqual(tcp.map((l) => [l.name, get(l, 'typed_config', 'common_config', 'log_name')]), [['envoy.access_loggers.tcp_grpc', 'tcp_envoy_accesslog']]);
  const mongo = ldsGenerator.build(proxyNode({ serviceName: 'mongodb', servicePort: 27017, appPort: 27018, labels: { app: 'mongodb' } }), snap);
  assertProxyAccepts(LISTENER_TYPE, [...ldsGenerator.build(reviews, snap), ...mongo]);
});
