import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import { formatPrometheus } from '../../../src/proxy/telemetry/stats-format.js';
import { FULL_SHAPE, ISTIO_LABELS, IstioSeriesTable, LABEL_INDEX } from '../../../src/proxy/telemetry/istio-metrics.js';
import type { Counter, Histogram } from '../../../src/proxy/telemetry/stats.js';

function values(over: Partial<Record<string, string>>): string[] {
  return ISTIO_LABELS.map((l) => over[l] ?? 'unknown');
}

test('a label set resolves once to a store counter exported as istio_requests_total with Istio labels', () => {
  const store = new StatsStore();
  const t = new IstioSeriesTable<Counter>(store, 'istio_requests_total', 'counter', FULL_SHAPE, 10, store.counter('istio_stats', 'series_overflow'));
  const v = values({ reporter: 'destination', source_workload: 'productpage-v1', response_code: '200', connection_security_policy: 'mutual_tls' });
  const c = t.get(v, []);
  c.inc();
  assert.equal(t.get(v, []), c);
  t.get(v, []).inc();
  const text = formatPrometheus(store.snapshot());
  assert.match(text, /^istio_requests_total\{reporter="destination",source_workload="productpage-v1",.*response_code="200".*connection_security_policy="mutual_tls"\} 2$/m);
  assert.doesNotMatch(text, /envoy_istio_requests_total/);
});

test('past the cap, new label sets fold into one overflow series and are counted', () => {
  const store = new StatsStore();
  const over = store.counter('istio_stats', 'series_overflow');
  const t = new IstioSeriesTable<Counter>(store, 'istio_requests_total', 'counter', FULL_SHAPE, 3, over);
  for (let i = 0; i < 10; i++) t.get(values({ response_code: String(200 + i) }), []).inc();
  assert.equal(t.size(), 3);
  assert.equal(over.value(), 7);
  assert.match(formatPrometheus(store.snapshot()), /response_code="overflow".* 7$/m);
});

test('a shape that removes tags keys series without them; histograms use Envoy buckets', () => {
  const store = new StatsStore();
  const keep = FULL_SHAPE.keep.filter((i) => i !== LABEL_INDEX.response_code);
  const t = new IstioSeriesTable<Histogram>(store, 'istio_request_duration_milliseconds', 'histogram', { drop: false, keep, extra: ['host'] }, 10, store.counter('o'));
  t.get(values({ response_code: '200' }), ['a.example']).record(3);
  t.get(values({ response_code: '503' }), ['a.example']).record(700);
  assert.equal(t.size(), 1);
  const text = formatPrometheus(store.snapshot());
  assert.match(text, /istio_request_duration_milliseconds_bucket\{[^}]*host="a.example",le="5"\} 1/);
  assert.match(text, /istio_request_duration_milliseconds_count\{[^}]*\} 2/);
  assert.doesNotMatch(text, /response_code=/);
});
