// Tests the fault filter's runtime overrides: global keys, *_runtime keys, per-downstream-cluster keys, and their limits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { faultRuntime, faultWithRuntime } from '../../../src/proxy/runtime-config/fault-runtime.js';
import { entryFromStatic } from '../../../src/proxy/runtime-config/entry.js';
import { RuntimeSnapshot } from '../../../src/proxy/runtime-config/snapshot.js';
import type { FaultConfig } from '../../../src/proxy/config/types.js';

const snap = (values: Record<string, unknown>): RuntimeSnapshot =>
  new RuntimeSnapshot([{ name: 'l', values: new Map(Object.entries(values).map(([k, v]) => [k, entryFromStatic(v)])) }]);

const config = (extra: Partial<FaultConfig> = {}): FaultConfig => ({
  '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  headers: [],
  downstream_nodes: [],
  abort: { http_status: 503, header_abort: false, percentage: 0.1 },
  delay: { fixed_delay: 200, header_delay: false, percentage: 0.2 },
  ...extra,
});

describe('faultRuntime', () => {
  it('keeps the config without runtime values', () => {
    assert.deepEqual(faultRuntime(snap({}), config()), { abortFraction: 0.1, httpStatus: 503, grpcStatus: undefined, delayFraction: 0.2, delayMs: 200, maxActiveFaults: undefined });
    assert.deepEqual(faultRuntime(undefined, config({ max_active_faults: 3 })).maxActiveFaults, 3);
  });

  it('reads Envoy\'s global fault.http.* keys', () => {
    const v = faultRuntime(
      snap({
        'fault.http.abort.abort_percent': 100,
        'fault.http.abort.http_status': 429,
        'fault.http.delay.fixed_delay_percent': { numerator: 5, denominator: 'TEN_THOUSAND' },
        'fault.http.delay.fixed_duration_ms': 50,
        'fault.http.max_active_faults': 7,
      }),
      config(),
    );
    assert.deepEqual(v, { abortFraction: 1, httpStatus: 429, grpcStatus: undefined, delayFraction: 0.0005, delayMs: 50, maxActiveFaults: 7 });
  });

  it('reads the config\'s own *_runtime keys instead of the global ones', () => {
    const v = faultRuntime(snap({ 'fault.http.abort.abort_percent': 100, 'mine.abort': 0, 'mine.status': 418 }), config({ abort_percent_runtime: 'mine.abort', abort_http_status_runtime: 'mine.status' }));
    assert.equal(v.abortFraction, 0);
    assert.equal(v.httpStatus, 418);
  });

  it('for a named downstream cluster, its percentage key replaces the global one', () => {
    const rt = snap({ 'fault.http.abort.abort_percent': 100, 'fault.http.web.delay.fixed_duration_ms': 9, 'fault.http.delay.fixed_duration_ms': 50 });
    const v = faultRuntime(rt, config(), 'web');
    assert.equal(v.abortFraction, 0.1, 'no fault.http.web.abort.abort_percent: the configured share, not the global key');
    assert.equal(v.delayMs, 9, 'the cluster\'s duration overrides');
    assert.equal(faultRuntime(rt, config(), 'api').delayMs, 50, 'another cluster falls back to the global duration');
  });

  it('ignores statuses out of range and applies runtime only to configured faults', () => {
    const rt = snap({ 'fault.http.abort.http_status': 99, 'fault.http.abort.grpc_status': 40, 'fault.http.delay.fixed_delay_percent': 100 });
    assert.equal(faultRuntime(rt, config()).httpStatus, 503);
    assert.equal(faultRuntime(rt, config({ abort: { grpc_status: 14, header_abort: false, percentage: 1 } })).grpcStatus, 14);
    assert.equal(faultRuntime(rt, config({ delay: undefined })).delayFraction, 0);
  });

  it('faultWithRuntime returns the same config when the runtime changes nothing', () => {
    const c = config();
    assert.equal(faultWithRuntime(snap({}), c), c);
    assert.equal(faultWithRuntime(undefined, c), c);
    const changed = faultWithRuntime(snap({ 'fault.http.abort.abort_percent': 100 }), c);
    assert.notEqual(changed, c);
    assert.equal(changed.abort!.percentage, 1);
    assert.equal(c.abort!.percentage, 0.1, 'the configured object is not modified');
  });
});
