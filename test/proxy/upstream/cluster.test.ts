// Tests: a STATIC/EDS cluster builds priorities and localities, maps EDS health, and picks through its LB.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterImpl } from '../../../src/proxy/upstream/cluster.js';
import { clusterConfig, fakeLb, lbEndpoint, locality } from './fixtures.js';
import { FakeStats } from './fake-stats.js';

test('STATIC cluster builds priorities, localities with weights and the overprovisioning factor', () => {
  const stats = new FakeStats();
  const cfg = clusterConfig('web', {}, [
    locality('a', [lbEndpoint('10.0.0.1', 80), lbEndpoint('10.0.0.2', 80, { load_balancing_weight: 3 })], { load_balancing_weight: 2 }),
    locality('b', [lbEndpoint('10.0.0.3', 80)], { load_balancing_weight: 1 }),
    locality('c', [lbEndpoint('::1', 8080)], { priority: 2 }),
  ]);
  cfg.load_assignment!.policy.overprovisioning_factor = 200;
  const c = new ClusterImpl(cfg, { stats, lbFactory: fakeLb() });
  const ps = c.prioritySet();
  assert.equal(ps.length, 3);
  assert.equal(ps[0]!.hosts.length, 3);
  assert.equal(ps[1]!.hosts.length, 0, 'priority gap becomes an empty host set');
  assert.deepEqual(ps[2]!.hosts.map((h) => h.key), ['[::1]:8080']);
  assert.equal(ps[0]!.overprovisioningFactor, 200);
  assert.deepEqual(
    ps[0]!.localities.map((l) => [l.locality.zone, l.weight, l.hosts.map((h) => h.key)]),
    [
      ['a', 2, ['10.0.0.1:80', '10.0.0.2:80']],
      ['b', 1, ['10.0.0.3:80']],
    ],
  );
  assert.equal(ps[2]!.localities[0]!.weight, undefined);
  const h2 = ps[0]!.hosts[1]!;
  assert.equal(h2.weight, 3);
  assert.equal(h2.priority, 0);
  assert.deepEqual(h2.stats, { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_total: 0, cx_active: 0, cx_connect_fail: 0 });
  assert.equal(stats.get('cluster.web.membership_total'), 4);
  assert.equal(stats.get('cluster.web.membership_healthy'), 4);
  assert.equal(c.chooseHost({ attempt: 0 })?.key, '10.0.0.1:80');
  c.close();
});

test('EDS cluster starts empty, takes setLoadAssignment, maps health_status and keeps host objects', () => {
  const stats = new FakeStats();
  const c = new ClusterImpl(clusterConfig('eds', { type: 'EDS', load_assignment: undefined }), { stats, lbFactory: fakeLb() });
  assert.equal(c.prioritySet().length, 0);
  assert.equal(c.chooseHost({ attempt: 0 }), null);
  const cla = (status: 'HEALTHY' | 'DRAINING') => ({
    cluster_name: 'eds',
    endpoints: [
      locality('a', [
        lbEndpoint('10.0.0.1', 80, { health_status: status }),
        lbEndpoint('10.0.0.2', 80, { health_status: 'DEGRADED' }),
        lbEndpoint('10.0.0.3', 80, { health_status: 'TIMEOUT' }),
      ]),
    ],
    policy: { overprovisioning_factor: 140, drop_overloads: [] },
  });
  c.setLoadAssignment(cla('HEALTHY'));
  const [h1, h2, h3] = c.prioritySet()[0]!.hosts;
  assert.deepEqual([h1!.health, h2!.health, h3!.health], ['healthy', 'degraded', 'unhealthy']);
  assert.equal(stats.get('cluster.eds.membership_degraded'), 1);
  assert.equal(c.chooseHost({ attempt: 0 }), h1);
  h1!.stats.rq_total = 7;
  c.setLoadAssignment(cla('DRAINING'));
  const again = c.prioritySet()[0]!.hosts[0]!;
  assert.equal(again, h1, 'same key keeps the same host object');
  assert.equal(again.stats.rq_total, 7);
  assert.equal(again.health, 'unhealthy');
  assert.equal(c.chooseHost({ attempt: 0 }), null);
  c.close();
});

test('reportResult counts per-host outcomes', () => {
  const c = new ClusterImpl(clusterConfig('web', {}, [locality('a', [lbEndpoint('10.0.0.1', 80)])]), { stats: new FakeStats(), lbFactory: fakeLb() });
  const h = c.chooseHost({ attempt: 0 })!;
  c.reportResult(h, { status: 200 });
  c.reportResult(h, { status: 503 });
  c.reportResult(h, { localFailure: 'timeout' });
  assert.deepEqual([h.stats.rq_success, h.stats.rq_error, h.stats.rq_timeout], [1, 2, 1]);
  c.close();
});
