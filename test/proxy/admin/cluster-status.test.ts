// Admin tests: clusterStatusFrom (health flags, breakers, host stats) and the /clusters text format built from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterStatusFrom } from '../../../src/proxy/admin/cluster-status.js';
import { formatClustersText } from '../../../src/proxy/admin/clusters-format.js';
import { HostImpl, type EndpointSpec } from '../../../src/proxy/upstream/host.js';
import type { ClusterManager, Host, UpstreamCluster } from '../../../src/proxy/upstream/types.js';
import type { Cluster } from '../../../src/proxy/config/types.js';
import { clusterConfig, outlierConfig } from '../upstream/fixtures.js';
import { FakeStats } from '../upstream/fake-stats.js';

function spec(address: string, port: number, over: Partial<EndpointSpec> = {}): EndpointSpec {
  return {
    address,
    port,
    hostname: '',
    weight: 1,
    locality: { region: 'us', zone: 'a', sub_zone: 's' },
    localityWeight: undefined,
    priority: 0,
    edsHealth: 'healthy',
    ...over,
  };
}

function fakeCluster(config: Cluster, hosts: Host[]): UpstreamCluster {
  return {
    name: config.name,
    config,
    stats: new FakeStats(),
    breakers: {
      tryStartRequest: () => true,
      endRequest: () => {},
      tryStartPending: () => true,
      endPending: () => {},
      tryStartRetry: () => true,
      endRetry: () => {},
      tryOpenConnection: () => true,
      closeConnection: () => {},
    },
    chooseHost: () => null,
    reportResult: () => {},
    prioritySet: () => [{ priority: 0, hosts, localities: [], overprovisioningFactor: 140 }],
    setLoadAssignment: () => {},
  };
}

function manager(clusters: UpstreamCluster[]): ClusterManager {
  return {
    get: (n) => clusters.find((c) => c.name === n),
    all: () => clusters,
    update: () => {},
    setLoadAssignment: () => false,
    ready: async () => {},
    close: () => {},
  };
}

test('clusterStatusFrom: health flags in Envoy order, breakers with defaults, per-host stats', () => {
  const ok = new HostImpl(spec('10.0.0.1', 80, { weight: 5 }));
  ok.stats.rq_total = 9;
  ok.stats.rq_success = 8;
  ok.stats.rq_error = 1;
  ok.activeRequests = 2;
  const bad = new HostImpl(spec('10.0.0.2', 80, { edsHealth: 'unhealthy', priority: 1 }));
  bad.hc = { failed: true, degraded: false, pendingFirst: false, numHealthy: 0, numUnhealthy: 3 };
  bad.ejected = true;
  bad.recomputeHealth();
  const v6 = new HostImpl(spec('::1', 8080, { edsHealth: 'degraded' }));
  const web = clusterConfig('web', {
    outlier_detection: outlierConfig(),
    circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: 7, max_pending_requests: 8, max_requests: 9, max_retries: 1, track_remaining: false }] },
  });
  const cs = clusterStatusFrom(manager([fakeCluster(web, [ok, bad, v6])]), new Set(['web']));
  assert.equal(cs.length, 1);
  const c = cs[0];
  assert.equal(c.addedViaApi, true);
  assert.deepEqual(c.circuitBreakers, [
    { priority: 'DEFAULT', max_connections: 7, max_pending_requests: 8, max_requests: 9, max_retries: 1 },
    { priority: 'HIGH', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 },
  ]);
  assert.equal(c.hosts[0].healthFlags, 'healthy');
  assert.equal(c.hosts[0].stats.rq_active, 2);
  assert.equal(c.hosts[1].healthFlags, '/failed_active_hc/failed_outlier_check/failed_eds_health');
  assert.equal(c.hosts[1].edsHealthStatus, 'UNHEALTHY');
  assert.equal(c.hosts[2].healthFlags, '/degraded_eds_health');
  // Plain data: survives the worker -> primary JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(cs)), cs);

  const text = formatClustersText(cs).split('\n');
  for (const l of [
    'web::observability_name::web',
    'web::added_via_api::true',
    'web::default_priority::max_connections::7',
    'web::outlier::success_rate_ejection_threshold::-1',
    'web::10.0.0.1:80::rq_total::9',
    'web::10.0.0.1:80::rq_success::8',
    'web::10.0.0.1:80::weight::5',
    'web::10.0.0.1:80::region::us',
    'web::10.0.0.1:80::zone::a',
    'web::10.0.0.1:80::sub_zone::s',
    'web::10.0.0.2:80::health_flags::/failed_active_hc/failed_outlier_check/failed_eds_health',
    'web::10.0.0.2:80::priority::1',
    'web::[::1]:8080::health_flags::/degraded_eds_health',
  ]) {
    assert.ok(text.includes(l), `missing ${l}`);
  }
});

test('clusterStatusFrom: a non-HostImpl host in a health-checked cluster is reported as failing active HC', () => {
  const h: Host = {
    address: '10.1.1.1',
    port: 9,
    key: '10.1.1.1:9',
    hostname: 'x',
    weight: 1,
    locality: { region: '', zone: '', sub_zone: '' },
    priority: 0,
    activeRequests: 0,
    health: 'unhealthy',
    ejected: false,
    stats: { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_total: 0, cx_active: 0, cx_connect_fail: 0 },
  };
  const cfg = clusterConfig('hc', {
    health_checks: [
      {
        timeout: 1000,
        interval: 1000,
        unhealthy_threshold: 1,
        healthy_threshold: 1,
        no_traffic_interval: 60000,
        checker: { kind: 'tcp', receive: [] },
      },
    ],
  });
  const [c] = clusterStatusFrom(manager([fakeCluster(cfg, [h])]));
  assert.equal(c.hosts[0].healthFlags, '/failed_active_hc');
  assert.equal(c.outlier, undefined);
});
