// Proxy HTTP filters: envoy.filters.http.health_check — local answers, /healthcheck/fail, cluster minimums,
// pass-through with a cache window (fake timers), the headers Envoy adds, and config errors with paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthCheckState } from '../../../../../src/proxy/admin/health-check-state.js';
import { HealthCheckCache } from '../../../../../src/proxy/http/filters/health_check/filter.js';
import { TYPE, configErrors, filterRig } from '../filter-rig.js';
import '../../../../all-filters.js';

const hc = (cfg: object): object => ({
  name: 'envoy.filters.http.health_check',
  typed_config: { '@type': `${TYPE}health_check.v3.HealthCheck`, headers: [{ name: ':path', string_match: { exact: '/healthz' } }], ...cfg },
});

test('health_check: non-pass-through answers 200 itself with the local cluster; other requests go upstream', () => {
  const health = new HealthCheckState('front');
  const rig = filterRig({ filters: [hc({ pass_through_mode: false })], health });
  const r = rig.request({ path: '/healthz' });
  assert.equal(r.status, 200);
  assert.equal(r.body, '');
  assert.equal(r.responseHeaders['x-envoy-upstream-healthchecked-cluster'], 'front');
  assert.equal(rig.upstreams.length, 0);
  rig.request({ path: '/app' });
  assert.equal(rig.upstreams.length, 1);
});

test('health_check: a health check with a body is answered once the body ends; the body goes nowhere', () => {
  const rig = filterRig({ filters: [hc({ pass_through_mode: false })], health: new HealthCheckState('c') });
  const r = rig.request({ method: 'POST', path: '/healthz', body: true });
  assert.equal(r.status, 0, 'not answered before the body ends');
  r.send('payload');
  r.send('', true);
  assert.equal(r.status, 200);
  assert.equal(rig.upstreams.length, 0);
});

test('health_check: while /healthcheck/fail holds, checks get 503 (even in pass-through mode) and other responses x-envoy-immediate-health-check-fail', () => {
  for (const passThrough of [false, true]) {
    const health = new HealthCheckState('c');
    const rig = filterRig({ filters: [hc({ pass_through_mode: passThrough })], health });
    health.setHealthCheckFailed(true);
    assert.equal(rig.request({ path: '/healthz' }).status, 503);
    const other = rig.request({ path: '/app' });
    rig.upstreams.at(-1)!.respond(200, 'ok');
    assert.equal(other.responseHeaders['x-envoy-immediate-health-check-fail'], 'true');
    health.setHealthCheckFailed(false);
    const again = rig.request({ path: '/app' });
    rig.upstreams.at(-1)!.respond(200, 'ok');
    assert.equal(again.responseHeaders['x-envoy-immediate-health-check-fail'], undefined);
  }
});

test('health_check: cluster_min_healthy_percentages compares healthy plus degraded hosts with the minimum; unknown clusters fail', () => {
  const rig = filterRig({ filters: [hc({ pass_through_mode: false, cluster_min_healthy_percentages: { a: { value: 50 } } })], health: new HealthCheckState('c') });
  const set = (total: number, healthy: number, degraded: number): void => {
    rig.cluster.stats.gauge('membership_total').set(total);
    rig.cluster.stats.gauge('membership_healthy').set(healthy);
    rig.cluster.stats.gauge('membership_degraded').set(degraded);
  };
  set(4, 1, 1);
  assert.equal(rig.request({ path: '/healthz' }).status, 200);
  set(4, 1, 0);
  assert.equal(rig.request({ path: '/healthz' }).status, 503);
  set(0, 0, 0);
  assert.equal(rig.request({ path: '/healthz' }).status, 503, 'an empty cluster fails a non-zero minimum');
  const zero = filterRig({ filters: [hc({ pass_through_mode: false, cluster_min_healthy_percentages: { a: 0 } })], health: new HealthCheckState('c') });
  assert.equal(zero.request({ path: '/healthz' }).status, 200, 'an empty cluster passes a 0% minimum');
  const unknown = filterRig({ filters: [hc({ pass_through_mode: false, cluster_min_healthy_percentages: { nope: 0 } })], health: new HealthCheckState('c') });
  assert.equal(unknown.request({ path: '/healthz' }).status, 503);
});

test('health_check: pass-through with cache_time reuses the upstream answer (status and x-envoy-degraded) until the window ends', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const rig = filterRig({ filters: [hc({ pass_through_mode: true, cache_time: '10s' })], health: new HealthCheckState('edge') });
  const first = rig.request({ path: '/healthz' });
  rig.upstreams[0]!.respond(503, 'down', { 'x-envoy-degraded': '' });
  assert.equal(first.status, 503);
  assert.equal(first.responseHeaders['x-envoy-upstream-healthchecked-cluster'], 'edge');
  const cached = rig.request({ path: '/healthz' });
  assert.equal(rig.upstreams.length, 1);
  assert.equal(cached.status, 503);
  assert.equal(cached.responseHeaders['x-envoy-degraded'], '');
  t.mock.timers.tick(10_000); // the window the answer arrived in is over
  rig.request({ path: '/healthz' });
  assert.equal(rig.upstreams.length, 2);
});

test('health_check cache: windows are cache_time long from start-up, as Envoy\'s periodic timer clears it', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  const c = new HealthCheckCache(1000);
  assert.equal(c.useCachedResponse(), false);
  t.mock.timers.tick(900);
  c.set(200, false);
  assert.equal(c.useCachedResponse(), true);
  t.mock.timers.tick(100); // 1000: the timer would have fired
  assert.equal(c.useCachedResponse(), false);
  c.set(500, true);
  t.mock.timers.tick(999);
  assert.deepEqual([c.useCachedResponse(), c.cached()], [true, { status: 500, degraded: true }]);
});

test('health_check config: pass_through_mode is required; percentages are 0–100 and truncated', () => {
  const f = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
  assert.deepEqual(configErrors([hc({})]).map((e) => `${e.path}: ${e.message}`), [`${f}.pass_through_mode: is required`]);
  assert.deepEqual(configErrors([hc({ pass_through_mode: false, cluster_min_healthy_percentages: { a: 101 } })]).map((e) => e.path), [`${f}.cluster_min_healthy_percentages["a"]`]);
  assert.deepEqual(configErrors([hc({ pass_through_mode: false, headers: [{ name: 'bad header' }] })]).map((e) => e.path), [`${f}.headers[0].name`]);
  assert.match(configErrors([hc({ pass_through_mode: true, cache_time: 'soon' })])[0]!.message, /duration/);
});
