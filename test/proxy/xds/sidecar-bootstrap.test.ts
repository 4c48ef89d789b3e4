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

test('--control-plane takes several replicas: one xds-grpc cluster with each as an endpoint, in order', async () => {
  const { controlPlaneTargets } = await import('../../../src/proxy/xds/bootstrap-ads.js');
  const r = await sidecarBootstrap({ ...base, adminPort: '0', controlPlane: '127.0.0.1:15012, 127.0.0.2:15012,[::1]:15012', caRoot: '/dev/null' }, {});
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.deepEqual(controlPlaneTargets(r.value), ['127.0.0.1:15012', '127.0.0.2:15012', '[::1]:15012']);
  const xds = r.value.static_resources.clusters.find((c) => c.name === 'xds-grpc')!;
  assert.equal(xds.type, 'STATIC');
  assert.equal(xds.transport_socket?.typed_config.sni, undefined, 'each replica is verified against the address it is reached by');
  const named = await sidecarBootstrap({ ...base, adminPort: '0', controlPlane: 'istiod-a.mesh:15012,istiod-b.mesh:15012', caRoot: '/dev/null' }, {});
  assert.ok(named.ok);
  assert.equal(named.value.static_resources.clusters.find((c) => c.name === 'xds-grpc')!.type, 'STRICT_DNS');
  const one = await sidecarBootstrap({ ...base, adminPort: '0', controlPlane: 'istiod.mesh:15012', caRoot: '/dev/null' }, {});
  assert.ok(one.ok);
  assert.equal(one.value.static_resources.clusters.find((c) => c.name === 'xds-grpc')!.transport_socket?.typed_config.sni, 'istiod.mesh');
  for (const bad of ['127.0.0.1:15012,', 'a:1,b', ',a:1']) {
    const r2 = await sidecarBootstrap({ ...base, adminPort: '0', controlPlane: bad }, {});
    assert.ok(!r2.ok, bad);
    assert.match(formatErrors(r2.errors), /--control-plane must be HOST:PORT \(or several, comma-separated\)/);
  }
});
