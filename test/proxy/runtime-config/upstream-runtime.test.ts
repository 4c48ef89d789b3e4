// Tests the upstream settings the runtime overrides: circuit_breakers.<cluster>.default.* limits and outlier_detection.* knobs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreakersImpl, DEFAULT_THRESHOLDS } from '../../../src/proxy/upstream/circuit-breakers.js';
import { outlierWithRuntime } from '../../../src/proxy/runtime-config/upstream-runtime.js';
import { entryFromStatic } from '../../../src/proxy/runtime-config/entry.js';
import { RuntimeSnapshot, type RuntimeSource } from '../../../src/proxy/runtime-config/snapshot.js';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import type { OutlierDetection } from '../../../src/proxy/config/types.js';

class FakeRuntime implements RuntimeSource {
  private snap = new RuntimeSnapshot([]);
  set(values: Record<string, unknown>): void {
    this.snap = new RuntimeSnapshot([{ name: 'l', values: new Map(Object.entries(values).map(([k, v]) => [k, entryFromStatic(v)])) }]);
  }
  snapshot(): RuntimeSnapshot {
    return this.snap;
  }
}

const OUTLIER: OutlierDetection = {
  consecutive_5xx: 5,
  consecutive_gateway_failure: 5,
  consecutive_local_origin_failure: 5,
  interval: 10000,
  base_ejection_time: 30000,
  max_ejection_time: 300000,
  max_ejection_percent: 10,
  enforcing_consecutive_5xx: 100,
  enforcing_consecutive_gateway_failure: 0,
  enforcing_consecutive_local_origin_failure: 100,
  enforcing_success_rate: 100,
  success_rate_minimum_hosts: 5,
  success_rate_request_volume: 100,
  success_rate_stdev_factor: 1900,
  enforcing_failure_percentage: 0,
  failure_percentage_threshold: 85,
  failure_percentage_minimum_hosts: 5,
  failure_percentage_request_volume: 50,
  split_external_local_origin_errors: false,
};

describe('upstream runtime overrides', () => {
  it('circuit_breakers.<cluster>.default.max_requests replaces the configured limit at each check', () => {
    const rt = new FakeRuntime();
    const b = new CircuitBreakersImpl([DEFAULT_THRESHOLDS], new StatsStore().scope('cluster', 'c'), undefined, { source: rt, cluster: 'c' });
    assert.ok(b.tryStartRequest());
    rt.set({ 'circuit_breakers.c.default.max_requests': 1 });
    assert.equal(b.tryStartRequest(), false, 'one in flight, runtime limit 1');
    rt.set({ 'circuit_breakers.other.default.max_requests': 1 });
    assert.ok(b.tryStartRequest(), 'another cluster\'s key does not apply');
    rt.set({ 'circuit_breakers.c.default.max_retries': 0 });
    assert.equal(b.tryStartRetry(), false);
  });

  it('outlier_detection.* keys override the config; durations are in ms', () => {
    const rt = new FakeRuntime();
    assert.equal(outlierWithRuntime(rt, OUTLIER), OUTLIER, 'nothing set: the config itself');
    rt.set({ 'outlier_detection.consecutive_5xx': 2, 'outlier_detection.base_ejection_time_ms': 1000, 'outlier_detection.interval_ms': 5 });
    const eff = outlierWithRuntime(rt, OUTLIER);
    assert.equal(eff.consecutive_5xx, 2);
    assert.equal(eff.base_ejection_time, 1000);
    assert.equal(eff.interval, 10000, 'interval is fixed when the detector starts');
    assert.equal(outlierWithRuntime(rt, OUTLIER), eff, 'computed once per snapshot');
    assert.equal(OUTLIER.consecutive_5xx, 5, 'the config is not modified');
  });
});
