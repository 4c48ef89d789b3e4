// Unit: the control plane's view of mesh metrics — deltas per scrape (resets too), windows, quantiles, golden
// metrics, history and the graph (destination reports preferred, source reports for what never arrived).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshMetrics, quantile } from '../../../src/control/telemetry/mesh-metrics.js';
import { graph, history, stats } from '../../../src/control/telemetry/queries.js';
import type { Sample } from '../../../src/control/telemetry/prom-text.js';

const TD = 'spiffe://cluster.local/ns/default/sa';
function edge(reporter: string, src: string, dst: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    reporter,
    source_workload: src,
    source_workload_namespace: 'default',
    source_principal: `${TD}/${src.split('-')[0]}`,
    source_app: src.split('-')[0]!,
    source_version: src.split('-')[1] ?? 'unknown',
    destination_service: 'reviews.default.svc.cluster.local',
    destination_service_name: 'reviews',
    destination_service_namespace: 'default',
    destination_workload: dst ?? 'unknown',
    destination_workload_namespace: dst === undefined ? 'unknown' : 'default',
    destination_principal: dst === undefined ? 'unknown' : `${TD}/reviews`,
    destination_app: dst === undefined ? 'unknown' : 'reviews',
    destination_version: dst?.split('-')[1] ?? 'unknown',
    request_protocol: 'http',
    connection_security_policy: reporter === 'destination' ? 'mutual_tls' : 'unknown',
    ...extra,
  };
}

/** Cumulative Istio series for `n` requests (`errors` of them 503) all taking `ms`. */
function requests(labels: Record<string, string>, n: number, errors: number, ms: number): Sample[] {
  const out: Sample[] = [
    { name: 'istio_requests_total', labels: { ...labels, response_code: '200' }, value: n - errors },
    { name: 'istio_requests_total', labels: { ...labels, response_code: '503' }, value: errors },
  ];
  for (const le of [1, 5, 10, 25, 50, Infinity]) out.push({ name: 'istio_request_duration_milliseconds_bucket', labels: { ...labels, le: le === Infinity ? '+Inf' : String(le) }, value: ms <= le ? n : 0 });
  return out;
}

test('histogram quantiles interpolate inside a bucket as histogram_quantile does', () => {
  const b = new Map([[10, 50], [20, 100], [Infinity, 100]]);
  assert.equal(quantile(b, 0.5), 10);
  assert.equal(quantile(b, 0.75), 15);
  assert.equal(quantile(new Map(), 0.5), null);
  assert.equal(quantile(new Map([[10, 0], [Infinity, 4]]), 0.5), 10, 'above the last finite bound: that bound');
});

test('rates from counter deltas between scrapes; the first scrape is a baseline; a counter reset counts from zero', () => {
  const m = new MeshMetrics({ intervalMs: 5000, retentionMs: 600_000 });
  const dest = edge('destination', 'productpage-v1', 'reviews-v1');
  m.ingest('p1', requests(dest, 100, 0, 3), 1_000_000);
  m.ingest('p1', requests(dest, 150, 5, 3), 1_005_000);
  m.ingest('p1', requests(dest, 20, 0, 3), 1_010_000); // restarted: 20 new requests
  const [svc] = stats(m, 'service', 60_000, 1_015_000);
  assert.equal(svc?.name, 'reviews');
  // 50 + 20 requests over the 10 s since the first slot
  assert.equal(svc?.requestRate, 7);
  assert.equal(svc?.errorRate, 0.5);
  assert.equal(svc?.successRate, Number((1 - 5 / 70).toFixed(4)));
  assert.equal(svc?.p50Ms, 3, 'interpolated in the 1–5 ms bucket');
  assert.equal(svc?.mtlsRate, 1);
  assert.deepEqual(svc?.workloads, ['reviews-v1']);
});

test('the graph: workload → service → workloads from destination reports; a source-only failure still shows; mTLS and principals', () => {
  const m = new MeshMetrics({ intervalMs: 5000, retentionMs: 600_000 });
  const d1 = edge('destination', 'productpage-v1', 'reviews-v1');
  const d2 = edge('destination', 'productpage-v1', 'reviews-v2');
  const s1 = edge('source', 'productpage-v1', 'reviews-v1');
  const lost = edge('source', 'ratings-v1', undefined, { response_flags: 'UH' });
  const round = (k: number): void => {
    m.ingest('reviews-v1', requests(d1, 10 * k, 0, 2), 1_000_000 + k * 5000);
    m.ingest('reviews-v2', requests(d2, 10 * k, k, 8), 1_000_000 + k * 5000);
    m.ingest('productpage', requests(s1, 10 * k, 0, 3), 1_000_000 + k * 5000);
    m.ingest('ratings', requests(lost, 4 * k, 4 * k, 0.5), 1_000_000 + k * 5000);
  };
  for (let k = 0; k < 4; k++) round(k);
  const g = graph(m, 60_000, 1_020_000);
  assert.deepEqual(g.nodes.map((n) => n.id), ['service:default/reviews', 'workload:default/productpage-v1', 'workload:default/ratings-v1', 'workload:default/reviews-v1', 'workload:default/reviews-v2']);
  const byId = new Map(g.edges.map((e) => [`${e.source}->${e.target}`, e]));
  const front = byId.get('workload:default/productpage-v1->service:default/reviews');
  assert.ok(front !== undefined);
  assert.equal(front.mtls, true);
  assert.equal(front.requestRate, Number((60 / 15).toFixed(3)), 'destination reports only: the source report of the same pair is not counted twice');
  assert.deepEqual(front.destinationPrincipals, [`${TD}/reviews`]);
  assert.equal(byId.get('service:default/reviews->workload:default/reviews-v2')?.successRate, 0.9);
  const failing = byId.get('workload:default/ratings-v1->service:default/reviews');
  assert.equal(failing?.successRate, 0, 'requests that never reached a sidecar are seen from the source');
  assert.equal(failing?.mtls, false);
  assert.equal(history(m, 'workload', 'default', 'reviews-v2', 30_000, 5000, 1_020_000).filter((p) => p.requestRate > 0).length, 3);
});

test('slots older than the retention are dropped; a window covers only its slots', () => {
  const m = new MeshMetrics({ intervalMs: 1000, retentionMs: 10_000 });
  const d = edge('destination', 'a-v1', 'reviews-v1');
  for (let k = 0; k < 50; k++) m.ingest('p', requests(d, k, 0, 1), 1_000_000 + k * 1000);
  assert.ok(m.slots.length <= 11, `${m.slots.length} slots`);
  assert.equal(stats(m, 'service', 5000, 1_049_000)[0]?.requestRate, 1);
});
