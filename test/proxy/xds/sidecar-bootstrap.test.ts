// xDS client tests: the node metadata `trellis proxy --control-plane` announces for Istio's metrics port and the app's
// own metrics (merged into /stats/prometheus), and the flag errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatErrors } from '../../../src/common/result.js';
import { sidecarBootstrap } from '../../../src/proxy/xds/sidecar-bootstrap.js';

const base = { controlPlane: '127.0.0.1:15010', outboundPort: '1', inboundPort: '2', prometheusPort: '3' };

test('--app-metrics-port/--app-metrics-path become TRELLIS_APP_METRICS_PORT/_PATH (default /metrics)', async () => {
  const r = await sidecarBootstrap({ ...base, appMetricsPort: '9100' }, {});
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.equal(r.value.node.metadata.TRELLIS_APP_METRICS_PORT, '9100');
  assert.equal(r.value.node.metadata.TRELLIS_APP_METRICS_PATH, '/metrics');
  assert.equal(r.value.node.metadata.TRELLIS_PROMETHEUS_PORT, '3');
  const p = await sidecarBootstrap({ ...base, appMetricsPort: '9100', appMetricsPath: '/stats/app' }, {});
  assert.ok(p.ok);
  assert.equal(p.value.node.metadata.TRELLIS_APP_METRICS_PATH, '/stats/app');
  const none = await sidecarBootstrap(base, {});
  assert.ok(none.ok);
  assert.equal(none.value.node.metadata.TRELLIS_APP_METRICS_PORT, undefined);
});

test('bad app metrics flags are listed', async () => {
  for (const [flags, want] of [
    [{ appMetricsPort: '0' }, /--app-metrics-port must be the port the app serves/],
    [{ appMetricsPort: 'x' }, /--app-metrics-port must be a port number/],
    [{ appMetricsPort: '9100', appMetricsPath: 'metrics' }, /--app-metrics-path must be a path starting with "\/"/],
    [{ appMetricsPath: '/m' }, /--app-metrics-path needs --app-metrics-port/],
  ] as const) {
    const r = await sidecarBootstrap({ ...base, ...flags }, {});
    assert.ok(!r.ok, JSON.stringify(flags));
    assert.match(formatErrors(r.errors), want);
  }
});
