// Tests the per-resource validators the xDS client reuses, and the field tables behind "unknown" vs "not supported".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateCluster,
  validateClusterLoadAssignment,
  validateListener,
  validateRouteConfiguration,
} from '../../../src/proxy/config/index.js';
import { ENVOY_FIELDS } from '../../../src/proxy/config/envoy-fields.js';
import { Ctx, readDuration } from '../../../src/proxy/config/reader.js';
import { base, describeErrors, errorsOf, get, staticCluster } from './helpers.js';
import '../../all-filters.js';

describe('per-resource validators', () => {
  it('validateClusterLoadAssignment requires cluster_name and checks priorities', () => {
    const errs = errorsOf(validateClusterLoadAssignment({ endpoints: [{ priority: 1, lb_endpoints: [] }] }, 'resources[0]'));
    assert.deepEqual(errs.map((e) => e.path), ['resources[0].cluster_name', 'resources[0].endpoints']);
    const ok = validateClusterLoadAssignment(
      {
        clusterName: 'svc',
        endpoints: [
          { locality: { zone: 'z1' }, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 8080 } } }, healthStatus: 'HEALTHY', loadBalancingWeight: 3 }] },
          { priority: 1, lbEndpoints: [] },
        ],
        policy: { dropOverloads: [{ category: 'lb', dropPercentage: { numerator: 5 } }] },
      },
      '',
    );
    assert.ok(ok.ok, ok.ok ? '' : describeErrors(ok.errors));
    assert.deepEqual(ok.value.endpoints[0].locality, { region: '', zone: 'z1', sub_zone: '' });
    assert.equal(ok.value.endpoints[0].lb_endpoints[0].load_balancing_weight, 3);
    assert.deepEqual(ok.value.policy, { overprovisioning_factor: 140, drop_overloads: [{ category: 'lb', fraction: 0.05 }] });
  });

  it('validateCluster validates EDS, health checks and outlier detection', () => {
    const r = validateCluster(
      {
        name: 'svc',
        type: 'EDS',
        eds_cluster_config: { eds_config: { ads: {} }, service_name: 'svc.ns' },
        health_checks: [{ timeout: '1s', interval: '5s', unhealthy_threshold: 2, healthy_threshold: 1, http_health_check: { path: '/healthz', expected_statuses: [{ start: 200, end: 300 }] } }],
        outlier_detection: { consecutive_5xx: 3 },
      },
      'resources[0]',
    );
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    assert.deepEqual(r.value.eds_cluster_config, { service_name: 'svc.ns' });
    const hc = r.value.health_checks[0];
    assert.equal(hc.no_traffic_interval, 60000);
    assert.deepEqual(hc.checker.kind === 'http' && hc.checker.expected_statuses, [{ start: 200, end: 300 }]);
    assert.equal(r.value.outlier_detection?.consecutive_5xx, 3);
    assert.equal(r.value.outlier_detection?.base_ejection_time, 30000);
    assert.equal(r.value.outlier_detection?.success_rate_stdev_factor, 1900);
  });

  it('validateListener requires a name; validateRouteConfiguration does not check clusters (RDS)', () => {
    const l = structuredClone(get(base(), 'static_resources.listeners[0]')) as Record<string, unknown>;
    delete l.name;
    assert.deepEqual(errorsOf(validateListener(l, 'resources[0]')).map((e) => e.path), ['resources[0].name']);
    const rc = validateRouteConfiguration({ name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'elsewhere' } }] }] }, 'resources[0]');
    assert.ok(rc.ok);
    assert.equal(validateCluster(staticCluster('x', 1), '').ok, true);
  });
});

describe('reader', () => {
  it('parses proto3 JSON durations to milliseconds', () => {
    const ctx = new Ctx(undefined);
    assert.equal(readDuration(ctx, '1.5s', 'd'), 1500);
    assert.equal(readDuration(ctx, '0.250s', 'd'), 250);
    assert.equal(readDuration(ctx, '5s', 'd'), 5000);
    assert.equal(readDuration(ctx, '0.000001s', 'd'), 0.001);
    assert.equal(readDuration(ctx, { seconds: 2, nanos: 5000000 }, 'd'), 2005);
    assert.equal(readDuration(ctx, '5m', 'd'), undefined);
    assert.equal(ctx.errors.length, 1);
  });

  it('has the Envoy field table that separates unsupported fields from typos', () => {
    // guards against typos in field lists turning real Envoy fields into "unknown field"
    assert.ok(ENVOY_FIELDS['config.cluster.v3.Cluster'].split(' ').includes('lb_subset_config'));
    assert.ok(Object.keys(ENVOY_FIELDS).length > 100);
  });
});
