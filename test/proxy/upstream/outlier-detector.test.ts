// Tests: outlier detection — consecutive 5xx ejection and return, max_ejection_percent, success rate, local origin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutlierDetection } from '../../../src/proxy/config/types.js';
import { ClusterImpl } from '../../../src/proxy/upstream/cluster.js';
import { HostImpl, NO_LOCALITY } from '../../../src/proxy/upstream/host.js';
import { OutlierDetector } from '../../../src/proxy/upstream/outlier-detector.js';
import { clusterConfig, fakeLb, lbEndpoint, locality, outlierConfig, waitFor } from './fixtures.js';
import { FakeStats } from './fake-stats.js';

function hosts(n: number): HostImpl[] {
  return Array.from({ length: n }, (_, i) => new HostImpl({ address: `10.0.0.${i + 1}`, port: 80, hostname: '', weight: 1, locality: NO_LOCALITY, localityWeight: undefined, priority: 0, edsHealth: 'healthy' }));
}

function detector(cfg: OutlierDetection, list: HostImpl[], stats = new FakeStats()): { d: OutlierDetector; stats: FakeStats; changes: () => number } {
  let changes = 0;
  const d = new OutlierDetector(cfg, { stats: stats.scope('cluster', ['envoy_cluster_name', 'c']), hosts: () => list, onChange: () => changes++, random: () => 0 });
  return { d, stats, changes: () => changes };
}

test('5 consecutive 5xx eject the host; it returns after base_ejection_time; the picker follows', async () => {
  const stats = new FakeStats();
  const cfg = clusterConfig('web', { outlier_detection: outlierConfig({ interval: 10, base_ejection_time: 80 }) }, [
    locality('a', [lbEndpoint('10.0.0.1', 80), lbEndpoint('10.0.0.2', 80)]),
  ]);
  const c = new ClusterImpl(cfg, { stats, lbFactory: fakeLb() });
  const h = c.chooseHost({ attempt: 0 })!;
  assert.equal(h.key, '10.0.0.1:80');
  for (let i = 0; i < 4; i++) c.reportResult(h, { status: 500 });
  assert.equal(h.ejected, false, 'four is not enough');
  c.reportResult(h, { status: 200 });
  for (let i = 0; i < 4; i++) c.reportResult(h, { status: 500 });
  assert.equal(h.ejected, false, 'a success resets the streak');
  c.reportResult(h, { status: 500 });
  assert.equal(h.ejected, true);
  const ejectedAt = performance.now();
  assert.equal(c.chooseHost({ attempt: 0 })?.key, '10.0.0.2:80');
  assert.equal(stats.get('cluster.web.outlier_detection.ejections_active'), 1);
  assert.equal(stats.get('cluster.web.outlier_detection.ejections_enforced_total'), 1);
  assert.equal(stats.get('cluster.web.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
  assert.equal(stats.get('cluster.web.outlier_detection.ejections_detected_consecutive_5xx'), 1);
  assert.equal(stats.get('cluster.web.membership_healthy'), 1);
  await waitFor(() => !h.ejected);
  assert.ok(performance.now() - ejectedAt >= 75, 'stayed out for base_ejection_time');
  assert.equal(c.chooseHost({ attempt: 0 }), h);
  assert.equal(stats.get('cluster.web.outlier_detection.ejections_active'), 0);
  c.close();
});

test('ejection time is base_ejection_time x times ejected, capped by max_ejection_time', async () => {
  const list = hosts(2);
  const h = list[0]!;
  let clock = 0;
  let reEject = true;
  const d = new OutlierDetector(outlierConfig({ interval: 5, base_ejection_time: 1000, max_ejection_time: 1500, consecutive_5xx: 1 }), {
    stats: new FakeStats(),
    hosts: () => list,
    random: () => 0,
    now: () => clock,
    onChange: () => {
      // Re-fail right as it returns (same interval tick), so the backoff has not decayed.
      if (!h.ejected && reEject) {
        reEject = false;
        d.report(h, { status: 503 });
      }
    },
  });
  d.report(h, { status: 503 });
  assert.equal(h.ejected, true);
  clock = 999;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.ejected, true);
  clock = 1000;
  await waitFor(() => h.outlier.ejectionBackoff === 2);
  assert.equal(h.ejected, true);
  clock = 1000 + 1400;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.ejected, true, '2 x 1000 capped at 1500 not yet over');
  clock = 1000 + 1500;
  await waitFor(() => !h.ejected);
  d.close();
});

test('max_ejection_percent caps ejections, but one host can always be ejected', () => {
  const list = hosts(10);
  const { d, stats } = detector(outlierConfig({ consecutive_5xx: 1, max_ejection_percent: 20 }), list);
  for (const h of list.slice(0, 4)) d.report(h, { status: 500 });
  assert.deepEqual(list.map((h) => h.ejected).filter(Boolean).length, 2);
  assert.equal(stats.get('cluster.c.outlier_detection.ejections_overflow'), 2);
  d.close();

  const few = hosts(3);
  const second = detector(outlierConfig({ consecutive_5xx: 1, max_ejection_percent: 10 }), few);
  second.d.report(few[0]!, { status: 500 });
  second.d.report(few[1]!, { status: 500 });
  assert.deepEqual(few.map((h) => h.ejected), [true, false, false]);
  second.d.close();
});

test('enforcing percentage 0 detects without ejecting (gateway failures by default)', () => {
  const list = hosts(2);
  const { d, stats } = detector(outlierConfig({ consecutive_5xx: 100 }), list);
  for (let i = 0; i < 5; i++) d.report(list[0]!, { status: 502 });
  assert.equal(list[0]!.ejected, false);
  assert.equal(stats.get('cluster.c.outlier_detection.ejections_detected_consecutive_gateway_failure'), 1);
  assert.equal(stats.get('cluster.c.outlier_detection.ejections_enforced_consecutive_gateway_failure'), 0);
  d.close();
});

test('success-rate ejection: the host below mean - stdev x factor goes', async () => {
  const list = hosts(5);
  const { d, stats, changes } = detector(outlierConfig({ interval: 30, consecutive_5xx: 1000, max_ejection_percent: 100 }), list);
  // Rates 100,100,100,100,50: mean 90, stdev 20, threshold 90 - 20*1.9 = 52.
  list.forEach((h, i) => {
    for (let r = 0; r < 100; r++) d.report(h, { status: i === 4 && r % 2 === 0 ? 500 : 200 });
  });
  assert.equal(list[4]!.ejected, false, 'success rate is judged at the interval');
  await waitFor(() => list[4]!.ejected);
  assert.deepEqual(list.map((h) => h.ejected), [false, false, false, false, true]);
  assert.equal(stats.get('cluster.c.outlier_detection.ejections_enforced_success_rate'), 1);
  assert.ok(changes() >= 1);
  d.close();
});

test('success rate needs success_rate_minimum_hosts hosts with enough volume', async () => {
  const list = hosts(5);
  const { d } = detector(outlierConfig({ interval: 10, consecutive_5xx: 1000 }), list);
  list.forEach((h, i) => {
    const n = i === 0 ? 50 : 100; // only 4 hosts reach the volume
    for (let r = 0; r < n; r++) d.report(h, { status: i === 4 && r % 2 === 0 ? 500 : 200 });
  });
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(list[4]!.ejected, false);
  d.close();
});

test('local-origin failures: 5xx-equivalents without split, their own counter with split', () => {
  const list = hosts(2);
  const plain = detector(outlierConfig(), list);
  for (let i = 0; i < 5; i++) plain.d.report(list[0]!, { localFailure: 'connect-failure' });
  assert.equal(list[0]!.ejected, true, 'mapped to 503 -> consecutive_5xx');
  plain.d.close();

  const other = hosts(2);
  const split = detector(outlierConfig({ split_external_local_origin_errors: true, consecutive_local_origin_failure: 3, max_ejection_percent: 100 }), other);
  for (let i = 0; i < 5; i++) split.d.report(other[1]!, { status: 500 });
  assert.equal(other[1]!.ejected, true, 'external 5xx still count');
  for (let i = 0; i < 2; i++) split.d.report(other[0]!, { localFailure: 'reset' });
  split.d.report(other[0]!, { status: 200 });
  for (let i = 0; i < 2; i++) split.d.report(other[0]!, { localFailure: 'timeout' });
  assert.equal(other[0]!.ejected, false, 'a response resets the local-origin streak');
  split.d.report(other[0]!, { localFailure: 'timeout' });
  assert.equal(other[0]!.ejected, true);
  assert.equal(split.stats.get('cluster.c.outlier_detection.ejections_enforced_consecutive_local_origin_failure'), 1);
  split.d.close();
});

test('failure-percentage ejection when enforced', async () => {
  const list = hosts(5);
  const { d } = detector(outlierConfig({ interval: 20, consecutive_5xx: 1000, enforcing_success_rate: 0, enforcing_failure_percentage: 100, max_ejection_percent: 100 }), list);
  list.forEach((h, i) => {
    for (let r = 0; r < 50; r++) d.report(h, { status: i === 2 && r < 45 ? 503 : 200 });
  });
  await waitFor(() => list[2]!.ejected);
  assert.deepEqual(list.map((h) => h.ejected), [false, false, true, false, false]);
  d.close();
});
