// Telemetry tests: stat naming (flat and Prometheus), snapshots, merge, histograms and the /stats output formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import { flatName, promName } from '../../../src/proxy/telemetry/stat-name.js';
import { BUCKET_BOUNDS, estimateQuantile } from '../../../src/proxy/telemetry/histogram.js';
import { Re2 } from '../../../src/common/re2.js';
import { formatPrometheus, formatStatsJson, formatStatsText, selectStats } from '../../../src/proxy/telemetry/stats-format.js';
import type { StatsSnapshot } from '../../../src/proxy/telemetry/stats-snapshot.js';

function find(snap: StatsSnapshot, kind: 'counters' | 'gauges', name: string): number | undefined {
  return snap[kind].find((s) => flatName(s.segments) === name)?.value;
}

test('flat and Prometheus names for nested scopes and tags', () => {
  const store = new StatsStore();
  const web = store.scope('cluster', ['envoy_cluster_name', 'web']);
  web.counter('upstream_rq', ['envoy_response_code', '200']).inc(3);
  web.counter('upstream_rq_xx', ['envoy_response_code_class', '2']).inc();
  web.counter('health_check', 'attempt').inc();
  const l = store.scope('listener', ['envoy_listener_address', '0.0.0.0_10000']).scope('http', ['envoy_http_conn_manager_prefix', 'ingress']);
  l.counter('downstream_rq_xx', ['envoy_response_code_class', '5']).inc(2);
  const snap = store.snapshot();
  assert.equal(find(snap, 'counters', 'cluster.web.upstream_rq_200'), 3);
  assert.equal(find(snap, 'counters', 'cluster.web.upstream_rq_2xx'), 1);
  assert.equal(find(snap, 'counters', 'cluster.web.health_check.attempt'), 1);
  assert.equal(find(snap, 'counters', 'listener.0.0.0.0_10000.http.ingress.downstream_rq_5xx'), 2);

  assert.deepEqual(promName(['cluster', ['envoy_cluster_name', 'web'], 'upstream_rq', ['envoy_response_code', '200']]), {
    name: 'envoy_cluster_upstream_rq',
    labels: [
      ['envoy_cluster_name', 'web'],
      ['envoy_response_code', '200'],
    ],
  });
  assert.equal(promName(['cluster', ['envoy_cluster_name', 'web'], 'circuit_breakers', 'default', 'cx_open']).name, 'envoy_cluster_circuit_breakers_default_cx_open');
  assert.equal(promName(['cluster', ['envoy_cluster_name', 'a.b-c'], 'x.y']).name, 'envoy_cluster_x_y');
  assert.equal(flatName(['upstream_rq', ['envoy_response_code_class', '4']]), 'upstream_rq_4xx');
});

test('same name returns the same stat; counters and gauges count', () => {
  const store = new StatsStore();
  const a = store.scope('http', ['envoy_http_conn_manager_prefix', 'in']).counter('downstream_rq_total');
  const b = store.counter('http', ['envoy_http_conn_manager_prefix', 'in'], 'downstream_rq_total');
  assert.equal(a, b);
  a.inc();
  b.inc(2);
  assert.equal(a.value(), 3);
  const g = store.gauge('server', 'live');
  g.set(5);
  g.add(2);
  g.sub(3);
  assert.equal(g.value(), 4);
  const unused = store.gauge('never');
  assert.equal(unused.value(), 0);
  const used = selectStats(store.snapshot(), { usedOnly: true });
  assert.deepEqual(used.gauges.map((s) => flatName(s.segments)), ['server.live']);
});

test('histogram buckets, sum, count and quantiles', () => {
  const store = new StatsStore();
  const h = store.histogram('rq_time');
  for (const v of [0.2, 0.5, 3, 7, 7, 40, 99, 4000000]) h.record(v);
  const hs = store.snapshot().histograms[0];
  assert.equal(hs.count, 8);
  assert.equal(hs.sum, 0.2 + 0.5 + 3 + 7 + 7 + 40 + 99 + 4000000);
  assert.equal(hs.buckets.length, BUCKET_BOUNDS.length + 1);
  assert.equal(hs.buckets[0], 2); // 0.2 and 0.5 (le 0.5)
  assert.equal(hs.buckets[2], 1); // 3 (le 5)
  assert.equal(hs.buckets[3], 2); // 7, 7 (le 10)
  assert.equal(hs.buckets[5], 1); // 40 (le 50)
  assert.equal(hs.buckets[6], 1); // 99 (le 100)
  assert.equal(hs.buckets[BUCKET_BOUNDS.length], 1); // overflow
  assert.equal(estimateQuantile(hs, 0), 0.2);
  assert.equal(estimateQuantile(hs, 1), 4000000);
  const p50 = estimateQuantile(hs, 0.5); // rank 4 falls in the (5,10] bucket
  assert.ok(p50 > 5 && p50 <= 10, `p50=${p50}`);
  let last = -Infinity;
  for (const q of [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1]) {
    const v = estimateQuantile(hs, q);
    assert.ok(v >= last, `quantiles must not decrease (${q})`);
    last = v;
  }
  // A single value: every quantile is that value.
  const one = new StatsStore();
  one.histogram('x').record(42);
  const os = one.snapshot().histograms[0];
  for (const q of [0, 0.5, 0.99, 1]) assert.equal(estimateQuantile(os, q), 42);
});

test('merge adds counters, gauges and histogram buckets across workers', () => {
  const w1 = new StatsStore();
  const w2 = new StatsStore();
  for (const [w, n] of [
    [w1, 2],
    [w2, 5],
  ] as const) {
    const c = w.scope('cluster', ['envoy_cluster_name', 'web']);
    c.counter('upstream_rq_total').inc(n);
    c.gauge('upstream_cx_active').set(n);
    c.histogram('upstream_rq_time').record(n);
  }
  w2.counter('only_in_w2').inc();
  const merged = StatsStore.merge(JSON.parse(JSON.stringify([w1.snapshot(), w2.snapshot()])) as StatsSnapshot[]);
  assert.equal(find(merged, 'counters', 'cluster.web.upstream_rq_total'), 7);
  assert.equal(find(merged, 'gauges', 'cluster.web.upstream_cx_active'), 7);
  assert.equal(find(merged, 'counters', 'only_in_w2'), 1);
  const h = merged.histograms[0];
  assert.equal(h.count, 2);
  assert.equal(h.sum, 7);
  assert.equal(h.min, 2);
  assert.equal(h.max, 5);
  assert.equal(h.buckets[2], 2); // both le 5
  // The formatters still work on a merged (JSON round-tripped) snapshot.
  assert.match(formatPrometheus(merged), /envoy_cluster_upstream_rq_total\{envoy_cluster_name="web"\} 7/);
});

test('/stats text: sorted name: value lines, histograms as Envoy quantile summaries', () => {
  const store = new StatsStore();
  store.counter('b', 'second').inc(2);
  store.counter('a', 'first').inc(1);
  store.gauge('a', 'gauge').set(9);
  store.histogram('h', 'empty');
  store.histogram('h', 'time').record(3);
  const text = formatStatsText(store.snapshot());
  const lines = text.trimEnd().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['a.first: 1', 'a.gauge: 9', 'b.second: 2']);
  assert.equal(lines[3], 'h.empty: No recorded values');
  assert.match(lines[4], /^h\.time: P0\(nan,3\) P25\(nan,3\) P50\(nan,3\) P75\(nan,3\) P90\(nan,3\) P95\(nan,3\) P99\(nan,3\) P99\.5\(nan,3\) P99\.9\(nan,3\) P100\(nan,3\)$/);
  const filtered = formatStatsText(selectStats(store.snapshot(), { filter: Re2.mustCompile('^a\\.') }));
  assert.equal(filtered, 'a.first: 1\na.gauge: 9\n');
});

test('/stats?format=json has stats and histograms with supported_quantiles', () => {
  const store = new StatsStore();
  store.counter('c').inc(4);
  store.histogram('h').record(10);
  const j = JSON.parse(formatStatsJson(store.snapshot())) as { stats: Record<string, unknown>[] };
  assert.deepEqual(j.stats[0], { name: 'c', value: 4 });
  const hist = j.stats[1].histograms as { supported_quantiles: number[]; computed_quantiles: { name: string; values: { cumulative: number }[] }[] };
  assert.deepEqual(hist.supported_quantiles, [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100]);
  assert.equal(hist.computed_quantiles[0].name, 'h');
  assert.equal(hist.computed_quantiles[0].values[2].cumulative, 10);
});

/** A tiny text-format 0.0.4 parser: every line is a TYPE comment or `name{labels} value`. */
function parseProm(text: string): { types: Map<string, string>; samples: { name: string; labels: Record<string, string>; value: number }[] } {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    if (t) {
      assert.ok(!types.has(t[1]), `second TYPE line for ${t[1]}`);
      types.set(t[1], t[2]);
      current = t[1];
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3] !== undefined) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      let lm: RegExpExecArray | null;
      while ((lm = re.exec(m[3])) !== null) {
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
        consumed = re.lastIndex;
        if (lm[3] === '') break;
      }
      assert.equal(consumed, m[3].length, `bad labels: ${m[3]}`);
    }
    const base = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(m[1] === current || (types.get(current) === 'histogram' && base === current), `sample ${m[1]} outside its family ${current}`);
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return { types, samples };
}

test('Prometheus output parses: one TYPE per family, labels escaped, cumulative histogram buckets', () => {
  const store = new StatsStore();
  for (const name of ['web', 'api', 'we"ird\\na\nme']) {
    const c = store.scope('cluster', ['envoy_cluster_name', name]);
    c.counter('upstream_rq_total').inc(name.length);
    c.counter('upstream_rq', ['envoy_response_code', '200']).inc();
    c.gauge('membership_healthy').set(1);
    c.histogram('upstream_rq_time').record(7);
    c.histogram('upstream_rq_time').record(700);
  }
  store.counter('server', 'x-y').inc();
  const text = formatPrometheus(store.snapshot());
  const { types, samples } = parseProm(text);
  assert.equal(types.get('envoy_cluster_upstream_rq_total'), 'counter');
  assert.equal(types.get('envoy_cluster_upstream_rq'), 'counter');
  assert.equal(types.get('envoy_cluster_membership_healthy'), 'gauge');
  assert.equal(types.get('envoy_cluster_upstream_rq_time'), 'histogram');
  assert.equal(types.get('envoy_server_x_y'), 'counter');
  const weird = samples.find((s) => s.name === 'envoy_cluster_upstream_rq_total' && s.labels.envoy_cluster_name === 'we"ird\\na\nme');
  assert.ok(weird, 'escaped label value round-trips');
  const rq = samples.find((s) => s.name === 'envoy_cluster_upstream_rq' && s.labels.envoy_cluster_name === 'web');
  assert.deepEqual(rq?.labels, { envoy_cluster_name: 'web', envoy_response_code: '200' });
  const buckets = samples.filter((s) => s.name === 'envoy_cluster_upstream_rq_time_bucket' && s.labels.envoy_cluster_name === 'web');
  assert.equal(buckets.length, BUCKET_BOUNDS.length + 1);
  assert.equal(buckets[buckets.length - 1].labels.le, '+Inf');
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'cumulative');
  assert.equal(buckets.find((b) => b.labels.le === '5')?.value, 0);
  assert.equal(buckets.find((b) => b.labels.le === '10')?.value, 1);
  assert.equal(buckets.find((b) => b.labels.le === '1000')?.value, 2);
  assert.equal(buckets[buckets.length - 1].value, 2);
  assert.equal(samples.find((s) => s.name === 'envoy_cluster_upstream_rq_time_sum' && s.labels.envoy_cluster_name === 'web')?.value, 707);
  assert.equal(samples.find((s) => s.name === 'envoy_cluster_upstream_rq_time_count' && s.labels.envoy_cluster_name === 'web')?.value, 2);
  // Families are contiguous: each TYPE's samples come right after it (checked by the parser) and names are sorted.
  const order = [...types.keys()];
  assert.deepEqual(order, [...order].sort());
});
