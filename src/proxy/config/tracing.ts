// Config stage: validates Envoy's tracing config — HCM `tracing`, bootstrap `tracing.http`, route `tracing` and `decorator`.
import type { CustomTagConfig, HcmTracingConfig, OtelProviderConfig, RouteDecorator, RouteTracingConfig, TracingProviderConfig, ZipkinProviderConfig } from '../tracing/types.js';
import { Ctx, Msg, TYPE_PREFIX, typeName, unpackAny } from './reader.js';
import { headerName, readPercent, validateFractionalPercent, validateHeaderValueOption } from './common.js';

const ZIPKIN_TYPE = `${TYPE_PREFIX}envoy.config.trace.v3.ZipkinConfig`;
const OTEL_TYPE = `${TYPE_PREFIX}envoy.config.trace.v3.OpenTelemetryConfig`;
const PROVIDERS: Readonly<Record<string, string>> = {
  'envoy.tracers.zipkin': ZIPKIN_TYPE,
  'envoy.tracers.opentelemetry': OTEL_TYPE,
};

function zipkin(ctx: Ctx, m: Msg): ZipkinProviderConfig | undefined {
  const cluster = m.reqStr('collector_cluster');
  const endpoint = m.reqStr('collector_endpoint');
  const version = m.enumOr('collector_endpoint_version', ['DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE', 'HTTP_JSON', 'HTTP_PROTO', 'GRPC'], 'HTTP_JSON');
  if (version !== 'HTTP_JSON') m.err('collector_endpoint_version', `${version} is not supported by trellis; use HTTP_JSON (Zipkin v2 JSON)`);
  if (endpoint !== '' && !endpoint.startsWith('/')) m.err('collector_endpoint', 'must be a path starting with "/"');
  if (cluster === '' || endpoint === '') return undefined;
  void ctx;
  return {
    kind: 'zipkin',
    collectorCluster: cluster,
    collectorEndpoint: endpoint,
    traceId128bit: m.boolOr('trace_id_128bit', false),
    sharedSpanContext: m.boolOr('shared_span_context', true),
    collectorHostname: m.strOr('collector_hostname', ''),
  };
}

function otel(ctx: Ctx, m: Msg): OtelProviderConfig | undefined {
  if (m.has('grpc_service')) {
    m.err('grpc_service', 'OTLP over gRPC is not supported by trellis; use http_service (OTLP/HTTP JSON, path /v1/traces)');
    return undefined;
  }
  const serviceName = m.strOr('service_name', 'unknown_service:envoy');
  const detectors = m.rawList('resource_detectors');
  if (detectors !== undefined && detectors.length > 0) m.err('resource_detectors', 'resource_detectors is not supported by trellis');
  if (!m.require('http_service')) return undefined;
  return m.msg('http_service', (raw, path) => {
    const h = Msg.open(ctx, raw, path, { type: 'config.core.v3.HttpService', fields: ['http_uri', 'request_headers_to_add'] });
    if (h === undefined || !h.require('http_uri')) return undefined;
    const headers = h.list('request_headers_to_add', (r, p) => validateHeaderValueOption(ctx, r, p)).map((o) => [o.header.key, o.header.value] as const);
    return h.msg('http_uri', (ur, up): OtelProviderConfig | undefined => {
      const u = Msg.open(ctx, ur, up, { type: 'config.core.v3.HttpUri', fields: ['uri', 'cluster', 'timeout'] });
      if (u === undefined) return undefined;
      const uri = u.reqStr('uri');
      const cluster = u.reqStr('cluster');
      const timeoutMs = u.dur('timeout');
      if (timeoutMs === undefined) u.err('timeout', 'is required');
      let target: URL | undefined;
      try {
        target = new URL(uri);
      } catch {
        if (uri !== '') u.err('uri', `"${uri}" is not a URL`);
      }
      if (target === undefined || cluster === '' || timeoutMs === undefined) return undefined;
      return {
        kind: 'opentelemetry',
        cluster,
        path: target.pathname === '/' ? '/v1/traces' : target.pathname + target.search,
        authority: target.host,
        timeoutMs,
        headers,
        serviceName,
      };
    });
  });
}

/** config.trace.v3.Tracing.Http: {name, typed_config} of a supported tracer. */
export function validateTracingProvider(ctx: Ctx, raw: unknown, path: string): TracingProviderConfig | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.trace.v3.Tracing.Http', fields: ['name', 'typed_config'] });
  if (m === undefined) return undefined;
  const name = m.strOr('name', '');
  if (!m.require('typed_config')) return undefined;
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  const known = PROVIDERS[name];
  if (any.typeUrl !== ZIPKIN_TYPE && any.typeUrl !== OTEL_TYPE) {
    ctx.err(m.at('typed_config'), `tracer ${name || typeName(any.typeUrl)} (${typeName(any.typeUrl)}) is not supported by trellis; supported: envoy.tracers.zipkin, envoy.tracers.opentelemetry`);
    return undefined;
  }
  if (known !== undefined && known !== any.typeUrl) m.err('name', `${name} does not take ${typeName(any.typeUrl)}`);
  if (any.typeUrl === ZIPKIN_TYPE) {
    const z = Msg.open(ctx, any.body, any.path, {
      type: 'config.trace.v3.ZipkinConfig',
      fields: ['collector_cluster', 'collector_endpoint', 'trace_id_128bit', 'shared_span_context', 'collector_endpoint_version', 'collector_hostname'],
    });
    return z === undefined ? undefined : zipkin(ctx, z);
  }
  const o = Msg.open(ctx, any.body, any.path, {
    type: 'config.trace.v3.OpenTelemetryConfig',
    fields: ['grpc_service', 'http_service', 'service_name', 'resource_detectors'],
    // exporter tuning and resource attributes: observability only
    ignored: ['max_cache_size', 'set_telemetry_sdk_resource_attributes', 'set_service_name_resource_attribute', 'set_instrumentation_scope'],
  });
  return o === undefined ? undefined : otel(ctx, o);
}

/** Bootstrap `tracing`: only `http` (the default provider of HCMs whose tracing names none). */
export function validateBootstrapTracing(ctx: Ctx, raw: unknown, path: string): TracingProviderConfig | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.trace.v3.Tracing', fields: ['http'] });
  return m?.msg('http', (r, p) => validateTracingProvider(ctx, r, p));
}

/** type.tracing.v3.CustomTag (literal, environment, request_header; metadata is rejected by name). */
export function validateCustomTag(ctx: Ctx, raw: unknown, path: string): CustomTagConfig | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.tracing.v3.CustomTag', fields: ['tag', 'literal', 'environment', 'request_header'] });
  if (m === undefined) return undefined;
  const tag = m.reqStr('tag');
  const kind = m.oneof(['literal', 'environment', 'request_header'], true, 'type');
  if (kind === 'literal') {
    const l = Msg.open(ctx, m.raw('literal'), m.at('literal'), { type: 'type.tracing.v3.CustomTag.Literal', fields: ['value'] });
    return l === undefined || tag === '' ? undefined : { tag, kind, value: l.reqStr('value') };
  }
  if (kind === 'environment' || kind === 'request_header') {
    const type = kind === 'environment' ? 'type.tracing.v3.CustomTag.Environment' : 'type.tracing.v3.CustomTag.Header';
    const e = Msg.open(ctx, m.raw(kind), m.at(kind), { type, fields: ['name', 'default_value'] });
    if (e === undefined) return undefined;
    const name = kind === 'request_header' ? (e.require('name') ? headerName(ctx, e.raw('name'), e.at('name')) : undefined) : e.reqStr('name');
    if (name === undefined || name === '' || tag === '') return undefined;
    return { tag, kind, name, defaultValue: e.strOr('default_value', '') };
  }
  return undefined;
}

/** HttpConnectionManager.Tracing. */
export function validateHcmTracing(ctx: Ctx, raw: unknown, path: string): HcmTracingConfig | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing',
    fields: ['client_sampling', 'random_sampling', 'overall_sampling', 'verbose', 'max_path_tag_length', 'custom_tags', 'provider', 'spawn_upstream_span'],
    // deprecated: the span kind comes from the listener's traffic_direction
    ignored: ['operation_name'],
  });
  if (m === undefined) return undefined;
  const pct = (name: string): number => m.msg(name, (r, p) => readPercent(ctx, r, p)) ?? 100;
  const out: HcmTracingConfig = {
    clientSampling: pct('client_sampling'),
    randomSampling: pct('random_sampling'),
    overallSampling: pct('overall_sampling'),
    customTags: m.list('custom_tags', (r, p) => validateCustomTag(ctx, r, p)),
    maxPathTagLength: m.numOr('max_path_tag_length', 256, { int: true, min: 0 }),
    verbose: m.boolOr('verbose', false),
    spawnUpstreamSpan: m.boolOr('spawn_upstream_span', false),
  };
  const provider = m.msg('provider', (r, p) => validateTracingProvider(ctx, r, p));
  if (provider !== undefined) out.provider = provider;
  return out;
}

/** config.route.v3.Tracing (FractionalPercent overrides, kept as percents). */
export function validateRouteTracing(ctx: Ctx, raw: unknown, path: string): RouteTracingConfig | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.Tracing', fields: ['client_sampling', 'random_sampling', 'overall_sampling', 'custom_tags'] });
  if (m === undefined) return undefined;
  const out: RouteTracingConfig = { customTags: m.list('custom_tags', (r, p) => validateCustomTag(ctx, r, p)) };
  for (const [field, key] of [['client_sampling', 'clientSampling'], ['random_sampling', 'randomSampling'], ['overall_sampling', 'overallSampling']] as const) {
    const f = m.msg(field, (r, p) => validateFractionalPercent(ctx, r, p));
    if (f !== undefined) out[key] = f * 100;
  }
  return out;
}

export function validateDecorator(ctx: Ctx, raw: unknown, path: string): RouteDecorator | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.Decorator', fields: ['operation', 'propagate'] });
  if (m === undefined) return undefined;
  const operation = m.reqStr('operation');
  return operation === '' ? undefined : { operation, propagate: m.boolOr('propagate', true) };
}
