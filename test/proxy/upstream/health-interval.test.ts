// Proxy upstream: the health check interval Envoy picks after each check (no-traffic, no-traffic-healthy, edges, unhealthy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthCheck } from '../../../src/proxy/config/types.js';
import { healthCheckInterval } from '../../../src/proxy/upstream/health-checker.js';

const base: HealthCheck = {
  timeout: 1000,
  interval: 5000,
  unhealthy_threshold: 3,
  healthy_threshold: 2,
  no_traffic_interval: 60000,
  checker: { kind: 'tcp', receive: [] },
};
const at = (c: HealthCheck, hasTraffic: boolean, failed: boolean, transition: 'unchanged' | 'changed' | 'pending'): number =>
  healthCheckInterval(c, { hasTraffic, failed, transition }, () => 0);

test('without traffic: no_traffic_interval for failing or changing hosts, no_traffic_healthy_interval for passing ones', () => {
  const c = { ...base, no_traffic_interval: 2000, no_traffic_healthy_interval: 30000 };
  assert.equal(at(c, false, false, 'unchanged'), 30000);
  assert.equal(at(c, false, false, 'changed'), 30000); // just became healthy
  assert.equal(at(c, false, false, 'pending'), 2000); // on its way to unhealthy: keep checking often
  assert.equal(at(c, false, true, 'unchanged'), 2000);
  // unset: the no-traffic interval whatever the health
  assert.equal(at({ ...base, no_traffic_interval: 2000 }, false, false, 'unchanged'), 2000);
});

test('with traffic: interval, the edge intervals right after a transition, unhealthy_interval for failed hosts; jitter on top', () => {
  const c = { ...base, no_traffic_healthy_interval: 30000, unhealthy_interval: 1000, unhealthy_edge_interval: 500, healthy_edge_interval: 100 };
  assert.equal(at(c, true, false, 'unchanged'), 5000);
  assert.equal(at(c, true, false, 'changed'), 100);
  assert.equal(at(c, true, true, 'unchanged'), 1000);
  assert.equal(at(c, true, true, 'changed'), 500);
  assert.equal(healthCheckInterval({ ...c, interval_jitter: 1000 }, { hasTraffic: true, failed: false, transition: 'unchanged' }, () => 0.5), 5500);
});
