// Proxy HTTP filters: the router with fake timers — per-try timeouts and retries to another host, retry
// limits (URX), the route timeout during a backoff, idle timeouts, body replay, and a client that leaves.
import { test, afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { routerRig } from './harness.js';
import '../../../../all-filters.js';

let clock: ReturnType<typeof FakeTimers.install>;
beforeEach(() => {
  clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => clock.uninstall());

test('router: a per-try timeout aborts the try and retries on the next host; the retry answers', () => {
  const rig = routerRig({ retry_policy: { retry_on: '5xx', num_retries: 2, per_try_timeout: '0.1s' } });
  const ds = rig.request();
  assert.equal(rig.upstreams.length, 1);
  clock.tick(99);
  assert.equal(rig.upstreams[0].aborted, false);
  clock.tick(1);
  assert.equal(rig.upstreams[0].aborted, true, 'the timed-out try is abandoned');
  clock.tick(60); // past the first backoff (25 ms base, jittered), short of the next per-try timeout
  assert.equal(rig.upstreams.length, 2);
  assert.equal(rig.upstreams[1].host, '10.0.0.2:80', 'the retry goes to the next host');
  rig.upstreams[1].respond(200, 'ok');
  assert.equal(ds.status, 200);
  assert.equal(ds.body, 'ok');
  assert.equal(rig.stats.get('cluster.a.upstream_rq_per_try_timeout'), 1);
  assert.equal(rig.stats.get('cluster.a.upstream_rq_retry'), 1);
  assert.equal(rig.stats.get('cluster.a.upstream_rq_retry_success'), 1);
});

test('router: 503s are retried until num_retries, then the last 503 goes downstream flagged URX', () => {
  const rig = routerRig({ retry_policy: { retry_on: '5xx', num_retries: 1 } });
  const ds = rig.request();
  rig.upstreams[0].respond(503, 'no');
  assert.equal(ds.status, 0, 'a retriable answer is not forwarded while retries remain');
  clock.tick(1000);
  rig.upstreams[1].respond(503, 'still no');
  assert.equal(ds.status, 503);
  assert.equal(ds.body, 'still no');
  assert.equal(rig.stats.get('cluster.a.upstream_rq_retry_limit_exceeded'), 1);
});

test('router: the route timeout ends the request with 504 even during a retry backoff, and cancels the retry', () => {
  const rig = routerRig({ timeout: '0.5s', retry_policy: { retry_on: '5xx', num_retries: 3, retry_back_off: { base_interval: '1s' } } });
  const ds = rig.request();
  rig.upstreams[0].respond(503);
  clock.tick(500);
  assert.equal(ds.status, 504);
  assert.equal(ds.body, 'upstream request timeout');
  clock.tick(20_000);
  assert.equal(rig.upstreams.length, 1, 'no try starts after the timeout');
  assert.equal(rig.stats.get('cluster.a.upstream_rq_timeout'), 1);
});

test('router: the stream idle timeout is reset by response data', () => {
  const rig = routerRig({ idle_timeout: '0.2s' });
  const ds = rig.request();
  const up = rig.upstreams[0];
  up.handler.onHeaders(200, {});
  clock.tick(150);
  up.handler.onData(Buffer.from('a'));
  clock.tick(150);
  assert.equal(ds.wasReset, false, 'data moved the idle deadline');
  clock.tick(50);
  assert.equal(ds.wasReset, true, 'idle after the response started: the stream is reset');
  assert.equal(up.aborted, true);
});

test('router: the request body is buffered and replayed to the retry', () => {
  const rig = routerRig({ retry_policy: { retry_on: 'reset', num_retries: 1 } });
  const ds = rig.request({ method: 'POST', body: true });
  ds.send('hello ');
  ds.send('world', true);
  assert.equal(rig.upstreams[0].body, 'hello world');
  assert.equal(rig.upstreams[0].ended, true);
  rig.upstreams[0].handler.onError('reset', 'boom');
  clock.tick(1000);
  assert.equal(rig.upstreams[1].body, 'hello world');
  assert.equal(rig.upstreams[1].ended, true);
  rig.upstreams[1].respond(201);
  assert.equal(ds.status, 201);
});

test('router: a client that goes away aborts the upstream try and releases the host', () => {
  const rig = routerRig();
  const ds = rig.request();
  const host = rig.cluster.hosts[0];
  assert.equal(host.activeRequests, 1);
  ds.abort();
  assert.equal(rig.upstreams[0].aborted, true);
  assert.equal(host.activeRequests, 0);
  rig.upstreams[0].respond(200); // late answer from the abandoned try
  assert.equal(ds.status, 0);
});

test('router: no healthy host → 503 UH; unknown route → 404 NR', () => {
  const rig = routerRig();
  rig.cluster.hosts.length = 0;
  const ds = rig.request();
  assert.equal(ds.status, 503);
  assert.equal(ds.body, 'no healthy upstream');
});

test('router: a terminated CONNECT answers 200 once connected, tunnels both ways, and only the idle timeout ends it (no route timeout)', async () => {
  const rig = routerRig(
    { timeout: '1s', idle_timeout: '10s', retry_policy: { retry_on: 'connect-failure', num_retries: 3 }, upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] },
    { upgrade_configs: [{ upgrade_type: 'CONNECT' }] },
    { connect_matcher: {} },
  );
  const ds = rig.request({ method: 'CONNECT', path: '', authority: 'svc:443', body: true });
  assert.equal(rig.tunnels.length, 1);
  assert.equal(rig.upstreams.length, 0, 'no HTTP request upstream');
  assert.equal(ds.status, 200);
  ds.send('hello');
  const t = rig.tunnels[0]!;
  assert.equal(t.written, 'hello');
  t.send('world');
  await new Promise((r) => setImmediate(r));
  assert.equal(ds.body, 'world');
  clock.tick(5000);
  assert.equal(ds.wasReset, false, 'the 1s route timeout does not apply to a tunnel');
  ds.send('more');
  clock.tick(9999);
  assert.equal(ds.wasReset, false, 'data keeps it alive');
  clock.tick(1);
  assert.equal(ds.wasReset, true, 'idle for idle_timeout: reset');
  assert.equal(t.socket.destroyed, true, 'the upstream connection goes with it');
});

test('router: CONNECT turned off by the route, or not enabled by the connection manager, is a 403 before any filter', () => {
  const off = routerRig({ upgrade_configs: [{ upgrade_type: 'CONNECT', enabled: false }] }, { upgrade_configs: [{ upgrade_type: 'CONNECT' }] }, { connect_matcher: {} });
  const ds = off.request({ method: 'CONNECT', path: '', authority: 'svc:443', body: true });
  assert.equal(ds.status, 403);
  assert.equal(off.tunnels.length, 0);
  const notEnabled = routerRig();
  assert.equal(notEnabled.request({ method: 'CONNECT', path: '', authority: 'svc:443', body: true }).status, 403);
  const enabledNoRoute = routerRig({}, { upgrade_configs: [{ upgrade_type: 'CONNECT' }] });
  assert.equal(enabledNoRoute.request({ method: 'CONNECT', path: '', authority: 'svc:443', body: true }).status, 404, 'only connect_matcher routes match CONNECT');
  assert.equal(enabledNoRoute.request({ method: 'CONNECT', path: '', authority: 'svc', body: true }).status, 400, 'the target needs a port');
});
