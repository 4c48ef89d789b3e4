// Unit: metrics across replicas — an export survives JSON and the parser unchanged; merging two replicas' exports of
// disjoint proxies answers exactly as one control plane scraping both would; any JSON from a peer parses or is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EDGE_LABELS, MeshMetrics } from '../../../src/control/telemetry/mesh-metrics.js';
import { EXPORT_LIMITS, MergedMetrics, exportMetrics, parseMetricsExport, type MetricsExport } from '../../../src/control/telemetry/metrics-export.js';
import { graph, history, stats } from '../../../src/control/telemetry/queries.js';
import type { Sample } from '../../../src/control/telemetry/prom-text.js';

const OPTS = { intervalMs: 1000, retentionMs: 60_000 };
const T0 = 1_700_000_000_000;

function labels(reporter: string, src: string, extra: Record<string, string> = {}): Record<string, string> {
  const l: Record<string, string> = {};
  for (const k of EDGE_LABELS) l[k] = 'unknown';
  return { ...l, reporter, source_workload: src, source_workload_namespace: 'default', destination_service_name: 'reviews', destination_service_namespace: 'default', destination_workload: 'reviews-v1', destination_workload_namespace: 'default', request_protocol: 'http', connection_security_policy: reporter === 'destination' ? 'mutual_tls' : 'unknown', ...extra };
}

function series(l: Record<string, string>, n: number, ms: number, tcp = 0): Sample[] {
  const out: Sample[] = [{ name: 'istio_requests_total', labels: { ...l, response_code: '200' }, value: n }];
  for (const le of [5, 25, Infinity]) out.push({ name: 'istio_request_duration_milliseconds_bucket', labels: { ...l, le: le === Infinity ? '+Inf' : String(le) }, value: ms <= le ? n : 0 });
  if (tcp > 0) out.push({ name: 'istio_tcp_connections_opened_total', labels: l, value: tcp });
  return out;
}

/** Proxy scrapes: [proxy id, samples at T0, samples at T0+1.5 s, samples at T0+2.5 s]. */
const SCRAPES: Array<[string, Sample[], Sample[], Sample[]]> = [
  ['client', series(labels('source', 'client'), 0, 3), series(labels('source', 'client'), 10, 3), series(labels('source', 'client'), 25, 3)],
  ['reviews', series(labels('destination', 'client'), 0, 20, 1), series(labels('destination', 'client'), 10, 20, 2), series(labels('destination', 'client'), 25, 20, 4)],
];

function scrape(m: MeshMetrics, ids: readonly string[]): void {
  for (const [i, t] of [T0, T0 + 1500, T0 + 2500].entries()) for (const [id, ...at] of SCRAPES) if (ids.includes(id)) m.ingest(id, at[i]!, t);
}

test('two replicas merged answer as one control plane scraping both proxies', () => {
  const one = new MeshMetrics(OPTS);
  scrape(one, ['client', 'reviews']);
  const a = new MeshMetrics(OPTS);
  scrape(a, ['client']);
  const b = new MeshMetrics(OPTS);
  scrape(b, ['reviews']);
  const now = T0 + 3000;
  const viaJson = (m: MeshMetrics): MetricsExport => {
    const parsed = parseMetricsExport(JSON.parse(JSON.stringify(exportMetrics(m, 60_000, now))));
    assert.ok(typeof parsed !== 'string', parsed as string);
    return parsed;
  };
  const merged = new MergedMetrics(OPTS, [viaJson(a), viaJson(b)]);
  assert.deepEqual(stats(merged, 'service', 60_000, now), stats(one, 'service', 60_000, now));
  assert.deepEqual(stats(merged, 'workload', 60_000, now), stats(one, 'workload', 60_000, now));
  assert.deepEqual(graph(merged, 60_000, now), graph(one, 60_000, now));
  assert.deepEqual(history(merged, 'service', 'default', 'reviews', 10_000, 1000, now), history(one, 'service', 'default', 'reviews', 10_000, 1000, now));
  // and the merge is not trivially equal: either replica alone answers differently
  assert.notDeepEqual(stats(a, 'service', 60_000, now), stats(one, 'service', 60_000, now));
  assert.equal(stats(one, 'service', 60_000, now)[0]!.tcpOpenConnections, 4);
});

test('an export is refused with the field that is wrong', () => {
  const good = exportMetrics(new MeshMetrics(OPTS), 60_000, T0);
  assert.equal(parseMetricsExport(null), 'the export is not an object');
  assert.equal(parseMetricsExport({ ...good, intervalMs: 0 }), 'intervalMs is not positive');
  assert.equal(parseMetricsExport({ ...good, slots: [{ t: 1, edges: [{ labels: {} }] }] }), 'slots[0].edges[0].labels.reporter is not a string');
  assert.equal(parseMetricsExport({ ...good, bounds: ['+Inf', 'NaN'] }), 'bounds[1] is not a histogram bound');
  assert.match(parseMetricsExport({ ...good, slots: new Array(EXPORT_LIMITS.slots + 1).fill({ t: 0, edges: [] }) }) as string, /^slots has 10001 entries, more than 10000$/);
});

test('property: any JSON a peer sends parses into an export or is refused with a reason, never throws', () => {
  const edgeArb = fc.record({
    labels: fc.oneof(fc.constant(labels('source', 'x')), fc.dictionary(fc.constantFrom(...EDGE_LABELS), fc.oneof(fc.string(), fc.integer()))),
    requests: fc.oneof(fc.nat(), fc.double(), fc.string()),
    errors: fc.nat(),
    buckets: fc.array(fc.tuple(fc.oneof(fc.constant('+Inf'), fc.double(), fc.string()), fc.oneof(fc.nat(), fc.double()))),
    tcpBytes: fc.nat(),
    tcpOpened: fc.nat(),
    tcpClosed: fc.nat(),
  });
  const exportArb = fc.record({ intervalMs: fc.oneof(fc.nat(), fc.double()), bounds: fc.array(fc.oneof(fc.constant('+Inf'), fc.double())), slots: fc.array(fc.record({ t: fc.nat(), edges: fc.array(edgeArb, { maxLength: 3 }) }), { maxLength: 3 }), open: fc.array(fc.record({ labels: fc.constant(labels('destination', 'y')), open: fc.double() }), { maxLength: 2 }) });
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), exportArb), (v) => {
      const r = parseMetricsExport(v);
      if (typeof r === 'string') return;
      // what parses merges: every count is finite and the merged view answers queries
      const merged = new MergedMetrics(OPTS, [r]);
      stats(merged, 'service', 60_000, T0);
      graph(merged, 60_000, T0);
    }),
    { numRuns: 500 },
  );
});
