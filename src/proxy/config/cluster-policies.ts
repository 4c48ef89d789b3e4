// Config stage: validates a cluster's policy blocks (circuit breakers, outlier detection, LB configs, upstream HTTP options).
import type { CircuitBreakerThresholds, Cluster, HttpProtocolOptions, OutlierDetection } from './types.js';
import { Ctx, Msg, TYPE_PREFIX, isObj, join, readNum, typeName, unpackAny } from './reader.js';
import { headerName, readPercent } from './common.js';
import { HTTP2_TUNING } from './hcm.js';

export const HTTP_OPTIONS_TYPE = `${TYPE_PREFIX}envoy.extensions.upstreams.http.v3.HttpProtocolOptions` as const;
export const HTTP_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function thresholds(ctx: Ctx, raw: unknown, path: string): CircuitBreakerThresholds | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.cluster.v3.CircuitBreakers.Thresholds',
    fields: ['priority', 'max_connections', 'max_pending_requests', 'max_requests', 'max_retries', 'retry_budget', 'track_remaining'],
  });
  if (m === undefined) return undefined;
  const u32 = { int: true, min: 0, max: 4294967295 };
  const out: CircuitBreakerThresholds = {
    priority: m.enumOr('priority', ['DEFAULT', 'HIGH'], 'DEFAULT'),
    max_connections: m.numOr('max_connections', 1024, u32),
    max_pending_requests: m.numOr('max_pending_requests', 1024, u32),
    max_requests: m.numOr('max_requests', 1024, u32),
    max_retries: m.numOr('max_retries', 3, u32),
    track_remaining: m.boolOr('track_remaining', false),
  };
  const rb = m.msg('retry_budget', (r, p) => {
    const b = Msg.open(ctx, r, p, { type: 'config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget', fields: ['budget_percent', 'min_retry_concurrency'] });
    if (b === undefined) return undefined;
    return {
      budget_percent: readPercent(ctx, b.raw('budget_percent') ?? 20, b.at('budget_percent')) ?? 20,
      min_retry_concurrency: b.numOr('min_retry_concurrency', 3, u32),
    };
  });
  if (rb !== undefined) out.retry_budget = rb;
  return out;
}

export function circuitBreakers(ctx: Ctx, raw: unknown, path: string): Cluster['circuit_breakers'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.cluster.v3.CircuitBreakers', fields: ['thresholds'] });
  const list = m?.list('thresholds', (r, p) => thresholds(ctx, r, p)) ?? [];
  const seen = new Set<string>();
  list.forEach((t, i) => {
    if (seen.has(t.priority)) ctx.err(`${join(path, 'thresholds')}[${i}].priority`, `duplicate thresholds for priority ${t.priority}`);
    seen.add(t.priority);
  });
  return { thresholds: list };
}

export function outlierDetection(ctx: Ctx, raw: unknown, path: string): OutlierDetection | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.cluster.v3.OutlierDetection',
    fields: [
      'consecutive_5xx', 'consecutive_gateway_failure', 'consecutive_local_origin_failure', 'interval', 'base_ejection_time', 'max_ejection_time',
      'max_ejection_percent', 'enforcing_consecutive_5xx', 'enforcing_consecutive_gateway_failure', 'enforcing_consecutive_local_origin_failure',
      'enforcing_success_rate', 'success_rate_minimum_hosts', 'success_rate_request_volume', 'success_rate_stdev_factor',
      'enforcing_failure_percentage', 'failure_percentage_threshold', 'failure_percentage_minimum_hosts', 'failure_percentage_request_volume',
      'split_external_local_origin_errors',
    ],
  });
  if (m === undefined) return undefined;
  const u = { int: true, min: 0 };
  const pct = { int: true, min: 0, max: 100 };
  const out: OutlierDetection = {
    consecutive_5xx: m.numOr('consecutive_5xx', 5, u),
    consecutive_gateway_failure: m.numOr('consecutive_gateway_failure', 5, u),
    consecutive_local_origin_failure: m.numOr('consecutive_local_origin_failure', 5, u),
    interval: m.durOr('interval', 10000),
    base_ejection_time: m.durOr('base_ejection_time', 30000),
    max_ejection_time: m.durOr('max_ejection_time', 300000),
    max_ejection_percent: m.numOr('max_ejection_percent', 10, pct),
    enforcing_consecutive_5xx: m.numOr('enforcing_consecutive_5xx', 100, pct),
    enforcing_consecutive_gateway_failure: m.numOr('enforcing_consecutive_gateway_failure', 0, pct),
    enforcing_consecutive_local_origin_failure: m.numOr('enforcing_consecutive_local_origin_failure', 100, pct),
    enforcing_success_rate: m.numOr('enforcing_success_rate', 100, pct),
    success_rate_minimum_hosts: m.numOr('success_rate_minimum_hosts', 5, u),
    success_rate_request_volume: m.numOr('success_rate_request_volume', 100, u),
    success_rate_stdev_factor: m.numOr('success_rate_stdev_factor', 1900, u),
    enforcing_failure_percentage: m.numOr('enforcing_failure_percentage', 0, pct),
    failure_percentage_threshold: m.numOr('failure_percentage_threshold', 85, pct),
    failure_percentage_minimum_hosts: m.numOr('failure_percentage_minimum_hosts', 5, u),
    failure_percentage_request_volume: m.numOr('failure_percentage_request_volume', 50, u),
    split_external_local_origin_errors: m.boolOr('split_external_local_origin_errors', false),
  };
  if (out.interval <= 0) m.err('interval', 'must be greater than 0');
  if (out.max_ejection_time < out.base_ejection_time && m.has('max_ejection_time')) {
    m.err('max_ejection_time', `must be at least base_ejection_time (${out.base_ejection_time}ms)`);
  }
  return out;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}

export function leastRequestConfig(ctx: Ctx, raw: unknown, path: string): Cluster['least_request_lb_config'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.cluster.v3.Cluster.LeastRequestLbConfig', fields: ['choice_count', 'active_request_bias'] });
  const out = { choice_count: 2, active_request_bias: 1.0 };
  if (m === undefined) return out;
  out.choice_count = m.numOr('choice_count', 2, { int: true, min: 2 });
  // core.v3.RuntimeDouble {default_value, runtime_key}; a bare number is accepted too
  const bias = m.raw('active_request_bias');
  if (bias !== undefined) {
    const v = isObj(bias) ? bias.default_value ?? bias.defaultValue : bias;
    const at = isObj(bias) ? join(m.at('active_request_bias'), 'default_value') : m.at('active_request_bias');
    if (isObj(bias)) Msg.open(ctx, bias, m.at('active_request_bias'), { type: 'config.core.v3.RuntimeDouble', fields: ['default_value', 'runtime_key'] });
    out.active_request_bias = readNum(ctx, v ?? 1, at, { min: 0 }) ?? 1;
  }
  return out;
}

export function ringHashConfig(ctx: Ctx, raw: unknown, path: string): Cluster['ring_hash_lb_config'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.cluster.v3.Cluster.RingHashLbConfig', fields: ['minimum_ring_size', 'maximum_ring_size', 'hash_function'] });
  const out: Cluster['ring_hash_lb_config'] = { minimum_ring_size: 1024, maximum_ring_size: 8388608, hash_function: 'XX_HASH' };
  if (m === undefined) return out;
  out.minimum_ring_size = m.numOr('minimum_ring_size', 1024, { int: true, min: 1, max: 8388608 });
  out.maximum_ring_size = m.numOr('maximum_ring_size', 8388608, { int: true, min: 1, max: 8388608 });
  out.hash_function = m.enumOr('hash_function', ['XX_HASH', 'MURMUR_HASH_2'], 'XX_HASH');
  if (out.minimum_ring_size > out.maximum_ring_size) m.err('minimum_ring_size', `minimum_ring_size ${out.minimum_ring_size} exceeds maximum_ring_size ${out.maximum_ring_size}`);
  return out;
}

export function maglevConfig(ctx: Ctx, raw: unknown, path: string): Cluster['maglev_lb_config'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.cluster.v3.Cluster.MaglevLbConfig', fields: ['table_size'] });
  const size = m?.numOr('table_size', 65537, { int: true, min: 1, max: 5000011 }) ?? 65537;
  if (!isPrime(size)) m?.err('table_size', `${size} is not a prime number; Maglev needs a prime table size (default 65537)`);
  return { table_size: size };
}

export function commonLbConfig(ctx: Ctx, raw: unknown, path: string): Cluster['common_lb_config'] {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.cluster.v3.Cluster.CommonLbConfig',
    fields: ['healthy_panic_threshold', 'locality_weighted_lb_config', 'ignore_new_hosts_until_first_hc'],
    ignored: ['update_merge_window'], // batching of host updates
  });
  const out = { healthy_panic_threshold: 50, locality_weighted_lb_config: false, ignore_new_hosts_until_first_hc: false };
  if (m === undefined) return out;
  const hpt = m.raw('healthy_panic_threshold');
  if (hpt !== undefined) out.healthy_panic_threshold = readPercent(ctx, hpt, m.at('healthy_panic_threshold')) ?? 50;
  if (m.has('locality_weighted_lb_config')) {
    Msg.open(ctx, m.raw('locality_weighted_lb_config'), m.at('locality_weighted_lb_config'), { type: 'config.cluster.v3.Cluster.CommonLbConfig.LocalityWeightedLbConfig', fields: [] });
    out.locality_weighted_lb_config = true;
  }
  out.ignore_new_hosts_until_first_hc = m.boolOr('ignore_new_hosts_until_first_hc', false);
  return out;
}

/** The pieces shared by the typed HttpProtocolOptions and the deprecated cluster-level fields. */
export function coreHttpOptions(ctx: Ctx, raw: unknown, path: string): HttpProtocolOptions['common_http_protocol_options'] {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.HttpProtocolOptions',
    fields: ['idle_timeout', 'max_requests_per_connection', 'max_connection_duration', 'max_headers_count'],
  });
  const out: HttpProtocolOptions['common_http_protocol_options'] = {};
  if (m === undefined) return out;
  const a = m.dur('idle_timeout');
  if (a !== undefined) out.idle_timeout = a;
  const b = m.num('max_requests_per_connection', { int: true, min: 1 });
  if (b !== undefined) out.max_requests_per_connection = b;
  const c = m.dur('max_connection_duration');
  if (c !== undefined) out.max_connection_duration = c;
  const h = m.num('max_headers_count', { int: true, min: 1 });
  if (h !== undefined) out.max_headers_count = h;
  return out;
}

export function upstreamHttp2(ctx: Ctx, raw: unknown, path: string): HttpProtocolOptions['http2_protocol_options'] {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.core.v3.Http2ProtocolOptions',
    fields: ['max_concurrent_streams'],
    // window sizes tune flow control only
    ignored: [...HTTP2_TUNING, 'initial_stream_window_size', 'initial_connection_window_size'],
  });
  const out: HttpProtocolOptions['http2_protocol_options'] = {};
  const v = m?.num('max_concurrent_streams', { int: true, min: 1, max: 2147483647 });
  if (v !== undefined) out.max_concurrent_streams = v;
  return out;
}

function upstreamHttp1(ctx: Ctx, raw: unknown, path: string): void {
  Msg.open(ctx, raw, path, { type: 'config.core.v3.Http1ProtocolOptions', fields: [] });
}

function protocolPick(ctx: Ctx, raw: unknown, path: string, type: string, explicit: boolean): Pick<HttpProtocolOptions, 'upstream_protocol' | 'http2_protocol_options'> | undefined {
  const m = Msg.open(ctx, raw, path, { type, fields: ['http_protocol_options', 'http2_protocol_options'] });
  if (m === undefined) return undefined;
  if (explicit) {
    const which = m.oneof(['http_protocol_options', 'http2_protocol_options'], true);
    if (which === 'http_protocol_options') upstreamHttp1(ctx, m.raw(which), m.at(which));
    if (which === 'http2_protocol_options') return { upstream_protocol: 'HTTP2', http2_protocol_options: upstreamHttp2(ctx, m.raw(which), m.at(which)) };
    return { upstream_protocol: 'HTTP1', http2_protocol_options: {} };
  }
  if (m.has('http_protocol_options')) upstreamHttp1(ctx, m.raw('http_protocol_options'), m.at('http_protocol_options'));
  const h2 = m.msg('http2_protocol_options', (r, p) => upstreamHttp2(ctx, r, p)) ?? {};
  return { upstream_protocol: 'USE_DOWNSTREAM', http2_protocol_options: h2 };
}

export function validateHttpProtocolOptions(ctx: Ctx, raw: unknown, path: string): HttpProtocolOptions | undefined {
  const any = unpackAny(ctx, raw, path);
  if (any === undefined) return undefined;
  if (any.typeUrl !== HTTP_OPTIONS_TYPE) {
    ctx.err(join(path, '@type'), `${typeName(any.typeUrl)} does not match key ${HTTP_OPTIONS_KEY}`);
    return undefined;
  }
  const m = Msg.open(ctx, any.body, any.path, {
    type: 'extensions.upstreams.http.v3.HttpProtocolOptions',
    fields: ['common_http_protocol_options', 'upstream_http_protocol_options', 'explicit_http_config', 'use_downstream_protocol_config', 'auto_config'],
  });
  if (m === undefined) return undefined;
  let pick: ReturnType<typeof protocolPick>;
  switch (m.oneof(['explicit_http_config', 'use_downstream_protocol_config', 'auto_config'], true)) {
    case 'auto_config':
      pick = autoConfig(ctx, m.raw('auto_config'), m.at('auto_config'));
      break;
    case 'explicit_http_config':
      pick = protocolPick(ctx, m.raw('explicit_http_config'), m.at('explicit_http_config'), 'extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig', true);
      break;
    case 'use_downstream_protocol_config':
      pick = protocolPick(ctx, m.raw('use_downstream_protocol_config'), m.at('use_downstream_protocol_config'), 'extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig', false);
      break;
  }
  const upstream = m.msg('upstream_http_protocol_options', (r, p) => upstreamHttpProtocolOptions(ctx, r, p));
  if (pick === undefined) return undefined;
  const out: HttpProtocolOptions = {
    '@type': HTTP_OPTIONS_TYPE,
    ...pick,
    common_http_protocol_options: m.msg('common_http_protocol_options', (r, p) => coreHttpOptions(ctx, r, p)) ?? {},
  };
  if (upstream !== undefined) out.upstream_http_protocol_options = upstream;
  return out;
}

/** AutoHttpConfig: HTTP/2 or HTTP/1.1 as ALPN picks per connection (HTTP/3 and its alternate-protocols cache are not implemented). */
function autoConfig(ctx: Ctx, raw: unknown, path: string): Pick<HttpProtocolOptions, 'upstream_protocol' | 'http2_protocol_options'> | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.upstreams.http.v3.HttpProtocolOptions.AutoHttpConfig', fields: ['http_protocol_options', 'http2_protocol_options'] });
  if (m === undefined) return undefined;
  if (m.has('http_protocol_options')) upstreamHttp1(ctx, m.raw('http_protocol_options'), m.at('http_protocol_options'));
  return { upstream_protocol: 'AUTO', http2_protocol_options: m.msg('http2_protocol_options', (r, p) => upstreamHttp2(ctx, r, p)) ?? {} };
}

/** core.v3.UpstreamHttpProtocolOptions: SNI and SAN checks from the request's host (or override_auto_sni_header). */
export function upstreamHttpProtocolOptions(ctx: Ctx, raw: unknown, path: string): HttpProtocolOptions['upstream_http_protocol_options'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.UpstreamHttpProtocolOptions', fields: ['auto_sni', 'auto_san_validation', 'override_auto_sni_header'] });
  if (m === undefined) return undefined;
  const out: NonNullable<HttpProtocolOptions['upstream_http_protocol_options']> = {
    auto_sni: m.boolOr('auto_sni', false),
    auto_san_validation: m.boolOr('auto_san_validation', false),
  };
  const h = m.str('override_auto_sni_header');
  if (h !== undefined && h !== '') {
    const name = headerName(ctx, h, m.at('override_auto_sni_header'));
    if (name !== undefined) out.override_auto_sni_header = name;
  }
  return out;
}
