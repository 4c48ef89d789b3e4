// gRPC access log service config: envoy.access_loggers.http_grpc / tcp_grpc in a bootstrap — defaults, the fields
// trellis honours, and every refusal named by its path (unsupported fields, V2/AUTO transport, unknown cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../../src/proxy/config/index.js';
import type { ExtensionAccessLog, HttpConnectionManager, TcpProxy } from '../../../../src/proxy/config/types.js';
import type { GrpcAccessLogConfig } from '../../../../src/proxy/telemetry/grpc-access-log/config.js';
import { HCM, base, errorsOf, set } from '../../config/helpers.js';
import '../../../all-filters.js';

const HTTP_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig';
const TCP_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig';

function httpAls(extra: Record<string, unknown> = {}, common: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'envoy.access_loggers.http_grpc',
    typed_config: {
      '@type': HTTP_TYPE,
      common_config: { log_name: 'mesh', grpc_service: { envoy_grpc: { cluster_name: 'b' } }, transport_api_version: 'V3', ...common },
      ...extra,
    },
  };
}

function parse(logs: unknown[], mutate: (b: Record<string, unknown>) => void = () => {}) {
  const b = set(base(), `${HCM}.access_log`, logs);
  mutate(b);
  const r = parseBootstrap(b, { baseDir: '/' });
  if (!r.ok) return { errors: errorsOf(r).map((e) => `${e.path}: ${e.message}`), logs: [] as ExtensionAccessLog[] };
  const hcm = r.value.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager;
  return { errors: [] as string[], logs: hcm.access_log as ExtensionAccessLog[] };
}

const AL = `${HCM}.access_log[0].typed_config`;

test('http_grpc: Envoy defaults (1 s flush interval, 16 KiB buffer), header names lower-cased, custom tags', () => {
  const { errors, logs } = parse([
    httpAls(
      { additional_request_headers_to_log: ['X-User', ':authority'], additional_response_headers_to_log: ['content-type'], additional_response_trailers_to_log: ['grpc-status'] },
      { custom_tags: [{ tag: 'zone', literal: { value: 'z1' } }, { tag: 'who', request_header: { name: 'x-user', default_value: 'anon' } }], filter_state_objects_to_log: ['wasm.downstream_peer'] },
    ),
  ]);
  assert.deepEqual(errors, []);
  const c = logs[0]!.typed_config as GrpcAccessLogConfig;
  assert.equal(logs[0]!.name, 'envoy.access_loggers.http_grpc');
  assert.equal(c['@type'], HTTP_TYPE);
  assert.equal(c.kind, 'http');
  assert.equal(c.common_config.log_name, 'mesh');
  assert.equal(c.common_config.grpc_service.cluster_name, 'b');
  assert.equal(c.common_config.buffer_flush_interval, 1000);
  assert.equal(c.common_config.buffer_size_bytes, 16384);
  assert.equal(c.common_config.transport_api_version, 'V3');
  assert.deepEqual(c.additional_request_headers_to_log, ['x-user', ':authority']);
  assert.deepEqual(c.additional_response_trailers_to_log, ['grpc-status']);
  assert.deepEqual(c.common_config.filter_state_objects_to_log, ['wasm.downstream_peer']);
  assert.deepEqual(c.common_config.custom_tags, [
    { tag: 'zone', kind: 'literal', value: 'z1' },
    { tag: 'who', kind: 'request_header', name: 'x-user', defaultValue: 'anon' },
  ]);
});

test('http_grpc: buffer settings, authority and the deprecated logger name', () => {
  const log = httpAls({}, { buffer_flush_interval: '0.25s', buffer_size_bytes: { value: 0 }, grpc_service: { envoy_grpc: { cluster_name: 'b', authority: 'als.example' }, timeout: '3s' } });
  log.name = 'envoy.http_grpc_access_log';
  const { errors, logs } = parse([log]);
  assert.deepEqual(errors, []);
  const c = (logs[0]!.typed_config as GrpcAccessLogConfig).common_config;
  assert.equal(c.buffer_flush_interval, 250);
  assert.equal(c.buffer_size_bytes, 0);
  assert.equal(c.grpc_service.authority, 'als.example');
});

test('transport_api_version left out is read as V3 (Envoy refuses AUTO; trellis speaks only V3 anyway, as for ads_config)', () => {
  const { errors, logs } = parse([httpAls({}, { transport_api_version: undefined })]);
  assert.deepEqual(errors, []);
  assert.equal((logs[0]!.typed_config as GrpcAccessLogConfig).common_config.transport_api_version, 'V3');
});

test('tcp_grpc in a tcp_proxy: accepted; its HTTP-only fields are unknown there', () => {
  const tcp = (typed: Record<string, unknown>) => (b: Record<string, unknown>) =>
    set(b, 'static_resources.listeners[1]', {
      name: 'tcp',
      address: { socket_address: { address: '127.0.0.1', port_value: 10001 } },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.tcp_proxy',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                stat_prefix: 't',
                cluster: 'a',
                access_log: [{ name: 'envoy.access_loggers.tcp_grpc', typed_config: { '@type': TCP_TYPE, ...typed } }],
              },
            },
          ],
        },
      ],
    });
  const good = parseBootstrap(tcp({ common_config: { log_name: 'tcp', grpc_service: { envoy_grpc: { cluster_name: 'b' } } } })(base()), { baseDir: '/' });
  assert.ok(good.ok, JSON.stringify(errorsOf(good)));
  const tp = good.value.static_resources.listeners[1]!.filter_chains[0]!.filters[0]!.typed_config as TcpProxy;
  assert.equal(((tp.access_log[0] as ExtensionAccessLog).typed_config as GrpcAccessLogConfig).kind, 'tcp');
  const bad = parseBootstrap(tcp({ common_config: { log_name: 'tcp', grpc_service: { envoy_grpc: { cluster_name: 'b' } } }, additional_request_headers_to_log: ['x'] })(base()), { baseDir: '/' });
  assert.deepEqual(
    errorsOf(bad).map((e) => e.path),
    ['static_resources.listeners[1].filter_chains[0].filters[0].typed_config.access_log[0].typed_config.additional_request_headers_to_log'],
  );
});

test('every refusal names its field', () => {
  const cases: [unknown, string, RegExp][] = [
    [httpAls({}, { log_name: '' }), `${AL}.common_config.log_name`, /required|empty/],
    [httpAls({}, { grpc_service: undefined }), `${AL}.common_config.grpc_service`, /required/],
    [httpAls({}, { grpc_stream_retry_policy: { num_retries: 3 } }), `${AL}.common_config.grpc_stream_retry_policy`, /not supported by trellis/],
    [httpAls({}, { grpc_service: { google_grpc: { target_uri: 'x:1', stat_prefix: 'g' } } }), `${AL}.common_config.grpc_service.google_grpc`, /not supported by trellis/],
    [httpAls({}, { grpc_service: { envoy_grpc: { cluster_name: 'b', retry_policy: {} } } }), `${AL}.common_config.grpc_service.envoy_grpc.retry_policy`, /not supported by trellis/],
    [httpAls({}, { transport_api_version: 'V2' }), `${AL}.common_config.transport_api_version`, /V3/],
    [httpAls({}, { transport_api_version: 'AUTO' }), `${AL}.common_config.transport_api_version`, /V3/],
    [httpAls({}, { buffer_flush_interval: '0s' }), `${AL}.common_config.buffer_flush_interval`, /greater than 0/],
    [httpAls({}, { buffer_size_bytes: -1 }), `${AL}.common_config.buffer_size_bytes`, /./],
    [httpAls({}, { custom_tags: [{ tag: 'm', metadata: { kind: { request: {} } } }] }), `${AL}.common_config.custom_tags[0].metadata`, /not supported by trellis/],
    [httpAls({ additional_request_headers_to_log: ['bad header'] }), `${AL}.additional_request_headers_to_log[0]`, /not a valid header name/],
    [httpAls({}, { log_nmae: 'x' }), `${AL}.common_config.log_nmae`, /did you mean "log_name"/],
    [httpAls({}, { grpc_service: { envoy_grpc: { cluster_name: 'nope' } } }), `${AL}.common_config.grpc_service.envoy_grpc.cluster_name`, /unknown cluster "nope".*static cluster/],
    [{ name: 'envoy.access_loggers.tcp_grpc', typed_config: (httpAls().typed_config as object) }, `${AL}.@type`, /does not match access logger name/],
  ];
  for (const [log, path, re] of cases) {
    const { errors } = parse([log]);
    const hit = errors.find((e) => e.startsWith(`${path}: `));
    assert.ok(hit !== undefined && re.test(hit), `${path} ~ ${re}: got ${JSON.stringify(errors)}`);
  }
});

test('the logger cluster must be a static cluster even when CDS is configured (Envoy: Unknown gRPC client cluster)', () => {
  const { errors } = parse([httpAls({}, { grpc_service: { envoy_grpc: { cluster_name: 'from_cds' } } })], (b) => {
    set(b, 'dynamic_resources', { cds_config: { path_config_source: { path: '/dev/null' } } });
  });
  assert.ok(errors.some((e) => e.startsWith(`${AL}.common_config.grpc_service.envoy_grpc.cluster_name: unknown cluster "from_cds"`)), JSON.stringify(errors));
});

test('admin.access_log takes only the formatted loggers (the admin server has no cluster manager)', () => {
  const b = base();
  set(b, 'admin', { address: { socket_address: { address: '127.0.0.1', port_value: 0 } }, access_log: [httpAls()] });
  const r = parseBootstrap(b, { baseDir: '/' });
  assert.deepEqual(
    errorsOf(r).map((e) => e.path),
    ['admin.access_log[0].typed_config.@type'],
  );
});

test('unsupported loggers list the gRPC ones among the supported', () => {
  const { errors } = parse([{ name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig' } }]);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /supported: .*envoy\.access_loggers\.http_grpc, envoy\.access_loggers\.tcp_grpc/);
});

