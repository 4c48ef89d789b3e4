// Tests: circuit breakers admit up to each threshold, count overflows and publish open/remaining gauges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreakersImpl } from '../../../src/proxy/upstream/circuit-breakers.js';
import { FakeStats } from './fake-stats.js';

test('defaults are Envoy 1024/1024/1024/3', () => {
  const b = new CircuitBreakersImpl([], new FakeStats());
  assert.deepEqual(
    [b.thresholds.max_connections, b.thresholds.max_pending_requests, b.thresholds.max_requests, b.thresholds.max_retries],
    [1024, 1024, 1024, 3],
  );
});

test('counts, overflows and gauges', () => {
  const root = new FakeStats();
  const stats = root.scope('cluster', ['envoy_cluster_name', 'web']);
  const b = new CircuitBreakersImpl(
    [
      { priority: 'HIGH', max_connections: 100, max_pending_requests: 100, max_requests: 100, max_retries: 100, track_remaining: false },
      { priority: 'DEFAULT', max_connections: 2, max_pending_requests: 1, max_requests: 1, max_retries: 1, track_remaining: true },
    ],
    stats,
  );
  assert.equal(b.tryOpenConnection(), true);
  assert.equal(root.get('cluster.web.circuit_breakers.default.cx_open'), 0);
  assert.equal(root.get('cluster.web.circuit_breakers.default.remaining_cx'), 1);
  assert.equal(b.tryOpenConnection(), true);
  assert.equal(root.get('cluster.web.circuit_breakers.default.cx_open'), 1);
  assert.equal(b.tryOpenConnection(), false);
  assert.equal(root.get('cluster.web.upstream_cx_overflow'), 1);
  b.closeConnection();
  assert.equal(root.get('cluster.web.circuit_breakers.default.cx_open'), 0);
  assert.equal(b.tryOpenConnection(), true);

  assert.equal(b.tryStartPending(), true);
  assert.equal(b.tryStartPending(), false);
  assert.equal(root.get('cluster.web.upstream_rq_pending_overflow'), 1);
  assert.equal(root.get('cluster.web.circuit_breakers.default.rq_pending_open'), 1);
  b.endPending();
  assert.equal(root.get('cluster.web.circuit_breakers.default.remaining_pending'), 1);

  assert.equal(b.tryStartRequest(), true);
  assert.equal(b.tryStartRequest(), false);
  assert.equal(root.get('cluster.web.upstream_rq_pending_overflow'), 2, 'max_requests overflow counts as pending overflow (Envoy)');
  assert.equal(root.get('cluster.web.circuit_breakers.default.rq_open'), 1);
  b.endRequest();

  assert.equal(b.tryStartRetry(), true);
  assert.equal(b.tryStartRetry(), false);
  assert.equal(root.get('cluster.web.upstream_rq_retry_overflow'), 1);
  assert.equal(root.get('cluster.web.circuit_breakers.default.rq_retry_open'), 1);
  b.endRetry();
  assert.equal(root.get('cluster.web.circuit_breakers.default.remaining_retries'), 1);
});

test('retry budget scales with active requests, with a floor', () => {
  const b = new CircuitBreakersImpl(
    [{ priority: 'DEFAULT', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 0, track_remaining: false, retry_budget: { budget_percent: 50, min_retry_concurrency: 1 } }],
    new FakeStats(),
  );
  assert.equal(b.maxRetries(), 1);
  for (let i = 0; i < 6; i++) b.tryStartRequest();
  assert.equal(b.maxRetries(), 3);
  assert.equal(b.tryStartRetry() && b.tryStartRetry() && b.tryStartRetry(), true);
  assert.equal(b.tryStartRetry(), false);
});
