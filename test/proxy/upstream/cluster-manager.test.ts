// Tests: the cluster manager keeps unchanged clusters, rebuilds changed ones with host state, drops removed ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterManagerImpl } from '../../../src/proxy/upstream/cluster-manager.js';
import { clusterConfig, lbEndpoint, locality, outlierConfig } from './fixtures.js';
import { FakeStats } from './fake-stats.js';

const web = (weight: number) =>
  clusterConfig('web', { outlier_detection: outlierConfig({ consecutive_5xx: 1, max_ejection_percent: 100 }) }, [
    locality('a', [lbEndpoint('10.0.0.1', 80), lbEndpoint('10.0.0.2', 80, { load_balancing_weight: weight })]),
  ]);

test('update keeps equal clusters, carries host state into changed ones, closes removed ones', () => {
  const stats = new FakeStats();
  const cm = new ClusterManagerImpl({ stats }); // real load balancer from ./lb
  try {
    cm.update([web(1), clusterConfig('other', {}, [locality('a', [lbEndpoint('10.1.0.1', 80)])])]);
    assert.deepEqual(cm.all().map((c) => c.name), ['web', 'other']);
    const first = cm.get('web')!;
    const h1 = first.prioritySet()[0]!.hosts[0]!;
    assert.ok(first.chooseHost({ attempt: 0 }));
    h1.stats.rq_total = 42;
    h1.activeRequests = 3;
    first.reportResult(h1, { status: 500 });
    assert.equal(h1.ejected, true);
    assert.ok(first.breakers.tryStartRequest());

    cm.update([web(1), clusterConfig('other', {}, [locality('a', [lbEndpoint('10.1.0.1', 80)])])]);
    assert.equal(cm.get('web'), first, 'deep-equal config keeps the cluster');

    cm.update([web(5)]);
    const second = cm.get('web')!;
    assert.notEqual(second, first);
    assert.equal(cm.get('other'), undefined);
    const [n1, n2] = second.prioritySet()[0]!.hosts;
    assert.equal(n1, h1, 'host that stays keeps its object');
    assert.equal(n1!.stats.rq_total, 42);
    assert.equal(n1!.activeRequests, 3);
    assert.equal(n1!.ejected, true, 'ejection survives');
    assert.equal(n2!.weight, 5, 'new attributes applied');
    assert.equal(second.chooseHost({ attempt: 0 }), n2, 'the new picker still skips the ejected host');
    assert.equal(stats.get('cluster.web.outlier_detection.ejections_active'), 1);
    assert.equal(second.breakers.shared().rq, 1, 'in-flight breaker counts carried over');
    first.breakers.endRequest(); // the request ends where it started, as the router's does
    assert.equal(second.breakers.shared().rq, 0, 'and its end is counted by the cluster that replaced it');
    assert.ok(second.breakers.tryStartRequest());
    second.breakers.endRequest();

    cm.update([clusterConfig('web', {}, [locality('a', [lbEndpoint('10.0.0.1', 80)])])]);
    assert.equal(cm.get('web')!.prioritySet()[0]!.hosts[0]!.ejected, false, 'no outlier detection any more: ejection cleared');
  } finally {
    cm.close();
  }
});

test('setLoadAssignment routes EDS endpoints to the named cluster', () => {
  const cm = new ClusterManagerImpl({ stats: new FakeStats() });
  try {
    cm.update([clusterConfig('eds', { type: 'EDS', load_assignment: undefined })]);
    assert.equal(cm.get('eds')!.chooseHost({ attempt: 0 }), null);
    const ok = cm.setLoadAssignment({ cluster_name: 'eds', endpoints: [locality('a', [lbEndpoint('10.0.0.7', 80)])], policy: { overprovisioning_factor: 140, drop_overloads: [] } });
    assert.equal(ok, true);
    assert.equal(cm.get('eds')!.chooseHost({ attempt: 0 })?.key, '10.0.0.7:80');
    assert.equal(cm.setLoadAssignment({ cluster_name: 'nope', endpoints: [], policy: { overprovisioning_factor: 140, drop_overloads: [] } }), false);
  } finally {
    cm.close();
  }
});

test('an update that replaces or removes clusters hands the live ones to onReplaced (their pools drain)', () => {
  const seen: string[][] = [];
  const cm = new ClusterManagerImpl({ stats: new FakeStats(), onReplaced: (live) => seen.push([...live].map((c) => c.name).sort()) });
  try {
    const a = clusterConfig('a', {}, [locality('z', [lbEndpoint('10.0.0.1', 80)])]);
    cm.update([a]);
    cm.update([a, clusterConfig('b', {}, [])]);
    assert.deepEqual(seen, [], 'adding clusters replaces nothing');
    cm.update([clusterConfig('a', { connect_timeout: 1234 }, [locality('z', [lbEndpoint('10.0.0.1', 80)])]), clusterConfig('b', {}, [])]);
    cm.update([clusterConfig('b', {}, [])]);
    assert.deepEqual(seen, [['a', 'b'], ['b']]);
  } finally {
    cm.close();
  }
});
