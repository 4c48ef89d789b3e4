// Tests: the HCM tracer — parent context continued or started, the caller's sampling decision kept, Zipkin's
// shared span, route decorator and sampling overrides, and the span's Envoy/Istio/custom tags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import { HcmTracer } from '../../../src/proxy/tracing/tracer.js';
import type { SpanExporter } from '../../../src/proxy/tracing/exporter.js';
import type { FinishedSpan } from '../../../src/proxy/tracing/span.js';
import type { HcmTracingConfig, TracingProviderConfig } from '../../../src/proxy/tracing/types.js';
import type { ActiveStream } from '../../../src/proxy/http/active-stream.js';
import type { HeaderMap } from '../../../src/proxy/router/types.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const OTEL: TracingProviderConfig = { kind: 'opentelemetry', cluster: 'otel', path: '/v1/traces', authority: 'otel', timeoutMs: 1000, headers: [], serviceName: 'svc' };
const ZIPKIN: TracingProviderConfig = { kind: 'zipkin', collectorCluster: 'z', collectorEndpoint: '/api/v2/spans', traceId128bit: false, sharedSpanContext: true, collectorHostname: '' };

function cfg(extra: Partial<HcmTracingConfig> = {}): HcmTracingConfig {
  return { clientSampling: 100, randomSampling: 100, overallSampling: 100, customTags: [], maxPathTagLength: 256, verbose: false, spawnUpstreamSpan: false, ...extra };
}

function tracer(provider: TracingProviderConfig, direction: 'INBOUND' | 'OUTBOUND', c = cfg()) {
  const spans: FinishedSpan[] = [];
  const exporter = { report: (s: FinishedSpan) => spans.push(s) } as unknown as SpanExporter;
  const node = { id: 'sidecar~1', cluster: 'reviews', metadata: { NAMESPACE: 'default', MESH_ID: 'm1', LABELS: { app: 'reviews', version: 'v2' } } };
  return { t: new HcmTracer(c, provider, exporter, direction, node, new StatsStore(), () => 0.5), spans };
}

function stream(headers: HeaderMap, extra: Record<string, unknown> = {}): ActiveStream {
  return {
    headers,
    requestId: '00000000-1111-4222-8333-444444444444',
    clientIp: '10.1.2.3',
    path: '/api/items?id=1',
    originalPath: '/api/items?id=1',
    authority: 'reviews:9080',
    method: 'GET',
    scheme: 'http',
    startTime: 1_700_000_000_000,
    startHr: performance.now(),
    route: null,
    ds: { protocol: 'HTTP/1.1' },
    responseCode: 503,
    flags: ['UF'],
    bytesReceived: 3,
    bytesSent: 19,
    upstreamCluster: 'outbound|9080||ratings',
    upstreamHost: '10.0.0.9:9080',
    ...extra,
  } as unknown as ActiveStream;
}

test('W3C: continues the parent, injects its own span as the parent upstream, tags the span', () => {
  const { t, spans } = tracer(OTEL, 'INBOUND', cfg({ customTags: [{ tag: 'user', kind: 'request_header', name: 'x-user', defaultValue: 'anon' }, { tag: 'lit', kind: 'literal', value: 'x' }] }));
  const h: HeaderMap = { traceparent: `00-${T}-${S}-01`, 'user-agent': 'curl' };
  const s = stream(h);
  const span = t.start(s);
  assert.equal(span.ctx.traceId, T);
  assert.equal(span.parentId, S);
  assert.equal(h.traceparent, `00-${T}-${span.ctx.spanId}-01`);
  t.finish(span, s);
  const f = spans[0]!;
  assert.equal(f.kind, 'SERVER');
  assert.equal(f.name, 'reviews:9080/api/items');
  assert.equal(f.startUs, 1_700_000_000_000_000);
  assert.deepEqual(
    { ...f.tags },
    {
      component: 'proxy',
      node_id: 'sidecar~1',
      'istio.canonical_service': 'reviews',
      'istio.canonical_revision': 'v2',
      'istio.mesh_id': 'm1',
      'istio.namespace': 'default',
      lit: 'x',
      'http.url': 'http://reviews:9080/api/items?id=1',
      'http.method': 'GET',
      'http.protocol': 'HTTP/1.1',
      'http.status_code': '503',
      response_flags: 'UF',
      'guid:x-request-id': s.requestId,
      request_size: '3',
      response_size: '19',
      'peer.address': '10.1.2.3',
      upstream_cluster: 'outbound|9080||ratings',
      'upstream_cluster.name': 'outbound|9080||ratings',
      user_agent: 'curl',
      downstream_cluster: '-',
      upstream_address: '10.0.0.9:9080',
      user: 'anon',
      error: 'true',
    },
  );
});

test("the caller's decision wins: a parent with sampled=0 is not reported (but still propagated)", () => {
  const { t, spans } = tracer(OTEL, 'OUTBOUND');
  const h: HeaderMap = { traceparent: `00-${T}-${S}-00` };
  const s = stream(h);
  const span = t.start(s);
  t.finish(span, s);
  assert.equal(spans.length, 0);
  assert.match(h.traceparent as string, new RegExp(`^00-${T}-[0-9a-f]{16}-00$`));
});

test('no parent: a new trace, sampled by random_sampling; the decision is marked in x-request-id', () => {
  const { t } = tracer(ZIPKIN, 'OUTBOUND', cfg({ randomSampling: 0 }));
  const h: HeaderMap = {};
  const s = stream(h);
  const span = t.start(s);
  assert.equal(span.ctx.sampled, false);
  assert.equal(h['x-b3-sampled'], '0');
  assert.match(h['x-b3-traceid'] as string, /^[0-9a-f]{16}$/, '64-bit trace ids unless trace_id_128bit');
  assert.equal(s.requestId[14], '4');
  // a route's override turns it on
  const h2: HeaderMap = {};
  const s2 = stream(h2, { route: { tracing: { randomSampling: 100, customTags: [] }, decorator: { operation: 'get-items', propagate: true } } });
  const span2 = t.start(s2);
  assert.equal(span2.ctx.sampled, true);
  assert.equal(span2.name, 'get-items');
  assert.equal(h2['x-envoy-decorator-operation'], 'get-items');
  assert.equal(s2.requestId[14], '9');
});

test('Zipkin shared span context: an inbound server span reports under the caller span id; outbound gets a child', () => {
  const { t } = tracer(ZIPKIN, 'INBOUND');
  const h: HeaderMap = { b3: `${T}-${S}-1-${'a'.repeat(16)}` };
  const span = t.start(stream(h));
  assert.equal(span.ctx.spanId, S);
  assert.equal(span.parentId, 'a'.repeat(16));
  assert.equal(span.shared, true);
  assert.equal(h.b3, undefined, 'single header replaced by multi-header');
  assert.equal(h['x-b3-spanid'], S);
  const out = tracer(ZIPKIN, 'OUTBOUND').t.start(stream({ 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }));
  assert.notEqual(out.ctx.spanId, S);
  assert.equal(out.parentId, S);
});

test('request_id_extension: use_request_id_for_trace_sampling false ignores a sampled x-request-id; pack_trace_reason false leaves it alone', () => {
  const spans: FinishedSpan[] = [];
  const exporter = { report: (s: FinishedSpan) => spans.push(s) } as unknown as SpanExporter;
  const node = { id: 'sidecar~1', cluster: 'reviews', metadata: {} };
  const marked = '00000000-1111-9222-8333-444444444444'; // version nibble 9: Envoy's "sampled" mark
  const make = (useRequestId: boolean, pack: boolean) => new HcmTracer(cfg({ randomSampling: 0 }), ZIPKIN, exporter, 'INBOUND', node, new StatsStore(), () => 0.5, useRequestId, pack);
  assert.equal(make(true, true).start(stream({}, { requestId: marked })).ctx.sampled, true, 'by default the mark in x-request-id samples');
  const s = stream({}, { requestId: marked });
  assert.equal(make(false, true).start(s).ctx.sampled, false, 'the mark no longer decides');
  assert.equal(s.requestId[14], '4', 'the decision is still packed for the next hops');
  const kept = stream({}, { requestId: marked });
  make(false, false).start(kept);
  assert.equal(kept.requestId, marked, 'pack_trace_reason false: x-request-id untouched');
});
