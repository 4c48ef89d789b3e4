// Tests: the span exporter's batching (size and interval, with fake timers), its cap, shutdown flush, and the
// OTLP/HTTP JSON and Zipkin v2 JSON encodings.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import { MAX_QUEUED_SPANS, SpanExporter, type ExportRequest } from '../../../src/proxy/tracing/exporter.js';
import { encodeOtlp, encodeZipkin, type FinishedSpan } from '../../../src/proxy/tracing/span.js';
import type { ClusterManager } from '../../../src/proxy/upstream/types.js';
import type { PoolManager } from '../../../src/proxy/upstream/pool/pool-manager.js';
import type { RuntimeSource } from '../../../src/proxy/runtime-config/snapshot.js';
import type { ZipkinProviderConfig } from '../../../src/proxy/tracing/types.js';

const ZIPKIN: ZipkinProviderConfig = { kind: 'zipkin', collectorCluster: 'zipkin', collectorEndpoint: '/api/v2/spans', traceId128bit: false, sharedSpanContext: true, collectorHostname: '' };

function span(i: number, extra: Partial<FinishedSpan> = {}): FinishedSpan {
  return { traceId: 'a'.repeat(32), spanId: i.toString(16).padStart(16, '0'), name: 'op', kind: 'SERVER', startUs: 1_700_000_000_000_000, durationUs: 1500, tags: { 'http.status_code': '200' }, shared: false, error: false, ...extra };
}

function exporter(answer: 'ok' | 'hold' = 'ok') {
  const stats = new StatsStore();
  const sent: ExportRequest[] = [];
  const pending: ((ok: boolean) => void)[] = [];
  const e = new SpanExporter(ZIPKIN, {
    clusters: {} as ClusterManager,
    pools: {} as PoolManager,
    stats,
    localService: 'front',
    send: (req, done) => {
      sent.push(req);
      if (answer === 'ok') queueMicrotask(() => done(true));
      else pending.push(done);
    },
  });
  const counter = (name: string): number => stats.counter('tracing', 'zipkin', name).value();
  return { e, sent, pending, counter };
}

test('flushes when min_flush_spans (5) are queued, and on the interval (5 s) otherwise', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { e, sent, counter } = exporter();
    for (let i = 1; i <= 4; i++) e.report(span(i));
    assert.equal(sent.length, 0);
    e.report(span(5));
    assert.equal(sent.length, 1, 'five spans: one report');
    assert.equal((JSON.parse(sent[0].body.toString()) as unknown[]).length, 5);
    await new Promise((r) => setImmediate(r)); // the collector answered
    e.report(span(6));
    mock.timers.tick(4999);
    assert.equal(sent.length, 1);
    mock.timers.tick(1);
    assert.equal(sent.length, 2, 'the interval flushed the lone span');
    await new Promise((r) => setImmediate(r));
    assert.equal(counter('timer_flushed'), 1);
    assert.equal(counter('spans_sent'), 6);
    assert.equal(counter('reports_sent'), 2);
    assert.equal(sent[0].path, '/api/v2/spans');
    assert.equal(sent[0].cluster, 'zipkin');
  } finally {
    mock.timers.reset();
  }
});

test('bounded: a stuck collector holds one report in flight and MAX_QUEUED_SPANS queued; the rest is dropped and counted', async () => {
  const { e, sent, pending, counter } = exporter('hold');
  const n = 5 + MAX_QUEUED_SPANS + 100;
  for (let i = 1; i <= n; i++) e.report(span(i));
  assert.equal(sent.length, 1, 'one report in flight');
  assert.equal(counter('spans_dropped'), 100);
  // when it returns, what queued up behind it goes as one batch
  pending[0]!(true);
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 2);
  assert.equal((JSON.parse(sent[1]!.body.toString()) as unknown[]).length, MAX_QUEUED_SPANS);
  pending[1]!(false);
  await new Promise((r) => setImmediate(r));
  assert.equal(counter('reports_failed'), 1);
  assert.equal(counter('spans_dropped'), 100 + MAX_QUEUED_SPANS);
});

test('bounded: with a large min_flush_spans the queue stops at MAX_QUEUED_SPANS', () => {
  const stats = new StatsStore();
  const sent: ExportRequest[] = [];
  const runtime = { snapshot: () => ({ getInteger: (k: string, d: number) => (k === 'tracing.zipkin.min_flush_spans' ? 1_000_000 : d) }) } as unknown as RuntimeSource;
  const e = new SpanExporter(ZIPKIN, { clusters: {} as ClusterManager, pools: {} as PoolManager, stats, runtime, localService: 'f', send: (r) => sent.push(r) });
  for (let i = 1; i <= MAX_QUEUED_SPANS + 10; i++) e.report(span(i));
  assert.equal(stats.counter('tracing', 'zipkin', 'spans_dropped').value(), 10);
  void e.flush();
  assert.equal((JSON.parse(sent[0].body.toString()) as unknown[]).length, MAX_QUEUED_SPANS);
});

test('shutdown flushes once, then drops', async () => {
  const { e, sent, counter } = exporter();
  e.report(span(1));
  await e.close();
  assert.equal(sent.length, 1);
  e.report(span(2));
  assert.equal(counter('spans_dropped'), 1);
});

test('encodings: OTLP JSON ids in hex, nanosecond strings, integer kinds; Zipkin v2 fields', () => {
  const s = span(1, { parentId: 'b'.repeat(16), kind: 'CLIENT', error: true, traceId: 'c'.repeat(16) });
  const otlp = JSON.parse(encodeOtlp([s], 'svc').toString()) as { resourceSpans: { resource: unknown; scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
  assert.deepEqual(otlp.resourceSpans[0].resource, { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] });
  const o = otlp.resourceSpans[0].scopeSpans[0].spans[0];
  assert.equal(o.traceId, '0'.repeat(16) + 'c'.repeat(16), '64-bit ids are widened for OTLP');
  assert.equal(o.parentSpanId, 'b'.repeat(16));
  assert.equal(o.kind, 3);
  assert.equal(o.startTimeUnixNano, '1700000000000000000');
  assert.equal(o.endTimeUnixNano, '1700000000001500000');
  assert.deepEqual(o.status, { code: 2 });
  const z = (JSON.parse(encodeZipkin([{ ...s, shared: true }], 'front').toString()) as Record<string, unknown>[])[0];
  assert.deepEqual(z, { traceId: 'c'.repeat(16), id: s.spanId, parentId: 'b'.repeat(16), name: 'op', kind: 'CLIENT', timestamp: 1_700_000_000_000_000, duration: 1500, localEndpoint: { serviceName: 'front' }, tags: { 'http.status_code': '200' }, shared: true });
});
