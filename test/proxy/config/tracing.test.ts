// Config: Envoy's tracing — HCM `tracing` (zipkin, opentelemetry, sampling, custom tags), bootstrap `tracing.http`,
// route `tracing` and `decorator`; unsupported tracers and fields rejected by name, with their paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/index.js';
import type { HttpConnectionManager } from '../../../src/proxy/config/types.js';
import { HCM, R0, base, errorsOf, set } from './helpers.js';
import '../../all-filters.js';

const ZIPKIN = {
  name: 'envoy.tracers.zipkin',
  typed_config: { '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig', collector_cluster: 'b', collector_endpoint: '/api/v2/spans', collector_endpoint_version: 'HTTP_JSON' },
};
const OTEL = {
  name: 'envoy.tracers.opentelemetry',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
    http_service: { http_uri: { uri: 'http://otel-collector:4318/v1/traces', cluster: 'b', timeout: '0.25s' }, request_headers_to_add: [{ header: { key: 'x-token', value: 't' } }] },
    service_name: 'front-proxy',
  },
};

function parse(mutate: (b: Record<string, unknown>) => Record<string, unknown>) {
  const r = parseBootstrap(mutate(base()), { baseDir: '/' });
  if (!r.ok) return { errors: errorsOf(r).map((e) => `${e.path}: ${e.message}`) };
  return { value: r.value, hcm: r.value.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager, errors: [] as string[] };
}

test('HCM tracing with the zipkin provider, sampling and custom tags', () => {
  const { hcm, errors } = parse((b) =>
    set(b, `${HCM}.tracing`, {
      provider: ZIPKIN,
      random_sampling: { value: 12.5 },
      custom_tags: [
        { tag: 'lit', literal: { value: 'v' } },
        { tag: 'env', environment: { name: 'POD', default_value: 'none' } },
        { tag: 'hdr', request_header: { name: 'X-User', default_value: '-' } },
      ],
      max_path_tag_length: 64,
      verbose: true,
    }),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(hcm!.tracing, {
    clientSampling: 100,
    randomSampling: 12.5,
    overallSampling: 100,
    customTags: [
      { tag: 'lit', kind: 'literal', value: 'v' },
      { tag: 'env', kind: 'environment', name: 'POD', defaultValue: 'none' },
      { tag: 'hdr', kind: 'request_header', name: 'x-user', defaultValue: '-' },
    ],
    maxPathTagLength: 64,
    verbose: true,
    spawnUpstreamSpan: false,
    provider: { kind: 'zipkin', collectorCluster: 'b', collectorEndpoint: '/api/v2/spans', traceId128bit: false, sharedSpanContext: true, collectorHostname: '' },
  });
});

test('opentelemetry over http_service; bootstrap tracing.http as the default provider', () => {
  const { hcm, value, errors } = parse((b) => set(set(b, `${HCM}.tracing`, {}), 'tracing', { http: OTEL }));
  assert.deepEqual(errors, []);
  assert.equal(hcm!.tracing!.provider, undefined);
  assert.deepEqual(value!.tracing, { kind: 'opentelemetry', cluster: 'b', path: '/v1/traces', authority: 'otel-collector:4318', timeoutMs: 250, headers: [['x-token', 't']], serviceName: 'front-proxy' });
});

test('unsupported tracers, gRPC export, proto encoding and metadata tags are rejected by name with their paths', () => {
  const cases: [string, unknown, RegExp][] = [
    ['tracing.provider', { name: 'envoy.tracers.datadog', typed_config: { '@type': 'type.googleapis.com/envoy.config.trace.v3.DatadogConfig', collector_cluster: 'b', service_name: 's' } }, /tracing\.provider\.typed_config: tracer envoy\.tracers\.datadog .*not supported/],
    ['tracing.provider', { ...OTEL, typed_config: { '@type': OTEL.typed_config['@type'], grpc_service: { envoy_grpc: { cluster_name: 'b' } } } }, /typed_config\.grpc_service: OTLP over gRPC is not supported by trellis; use http_service/],
    ['tracing.provider', { ...ZIPKIN, typed_config: { ...ZIPKIN.typed_config, collector_endpoint_version: 'HTTP_PROTO' } }, /collector_endpoint_version: HTTP_PROTO is not supported/],
    ['tracing.provider', { ...ZIPKIN, typed_config: { ...ZIPKIN.typed_config, split_spans_for_request: true } }, /typed_config\.split_spans_for_request: split_spans_for_request is not supported by trellis/],
    ['tracing.provider', { ...ZIPKIN, typed_config: { '@type': ZIPKIN.typed_config['@type'], collector_cluster: 'b' } }, /typed_config\.collector_endpoint: is required/],
    ['tracing.custom_tags', [{ tag: 'm', metadata: { kind: { route: {} }, metadata_key: { key: 'k' } } }], /tracing\.custom_tags\[0\]\.metadata: metadata is not supported by trellis/],
    ['tracing.random_sampling', { value: 101 }, /tracing\.random_sampling/],
    ['tracing.samplin', 1, /unknown field "samplin"/],
  ];
  for (const [field, value, re] of cases) {
    const { errors } = parse((b) => set(b, `${HCM}.${field}`, value));
    assert.ok(errors.some((e) => re.test(e)), `${field}: ${errors.join('\n')}`);
  }
});

test('route tracing overrides and decorator', () => {
  const { value, errors } = parse((b) =>
    set(set(b, `${R0}.tracing`, { random_sampling: { numerator: 5, denominator: 'TEN_THOUSAND' }, custom_tags: [{ tag: 't', literal: { value: '1' } }] }), `${R0}.decorator`, { operation: 'checkout' }),
  );
  assert.deepEqual(errors, []);
  const hcm = value!.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager;
  const rc = hcm.route_specifier.kind === 'route_config' ? hcm.route_specifier.route_config : undefined;
  const route = rc!.virtual_hosts[0].routes[0];
  assert.deepEqual(route.decorator, { operation: 'checkout', propagate: true });
  assert.deepEqual(route.tracing, { randomSampling: 0.05, customTags: [{ tag: 't', kind: 'literal', value: '1' }] });
  const bad = parse((b) => set(b, `${R0}.decorator`, {}));
  assert.ok(bad.errors.some((e) => /routes\[0\]\.decorator\.operation: is required/.test(e)), bad.errors.join('\n'));
});
