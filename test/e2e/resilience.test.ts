// E2E: retries, timeouts, circuit breakers, outlier detection, health checks, fault injection and mirroring through `trellis proxy -c`.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import {
  ROUTER_FILTER,
  adminGet,
  countBy,
  deadPort,
  fileAccessLog,
  httpBootstrap,
  promValue,
  readLines,
  request,
  requestMany,
  sleep,
  startProxy,
  startUpstream,
  staticCluster,
  tempFile,
  waitFor,
  type RunningProxy,
  type Upstream,
} from './harness.js';

const LOG_FORMAT = '%REQ(X-KEY)% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_HOST%\n';
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const pct = (n: number): object => ({ numerator: n, denominator: 'HUNDRED' });

/**
 * A scripted upstream. Per `x-key` it counts attempts and, after reading the whole body:
 * - fails the first `x-fail` attempts with `x-fail-status` (default 503);
 * - delays the first `x-slow-attempts` attempts by `x-slow-ms`;
 * - resets the connection on the first `x-reset-attempts` attempts;
 * - `x-sleep: ms` delays every answer; `x-stall: 1` sends headers and a chunk, then never finishes.
 */
function scripted(name: string): { handler: http.RequestListener; attempts: Map<string, number>; bodies: Map<string, number[]> } {
  const attempts = new Map<string, number>();
  const bodies = new Map<string, number[]>();
  const handler: http.RequestListener = (req, res) => {
    let len = 0;
    req.on('data', (c: Buffer) => (len += c.length));
    req.on('end', () => {
      const h = (k: string): string | undefined => (typeof req.headers[k] === 'string' ? (req.headers[k] as string) : undefined);
      const key = h('x-key') ?? '-';
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      (bodies.get(key) ?? bodies.set(key, []).get(key)!).push(len);
      const answer = (): void => {
        if (res.destroyed) return;
        res.setHeader('x-upstream', name);
        res.setHeader('x-attempt', String(n));
        if (n <= Number(h('x-reset-attempts') ?? 0)) {
          res.socket?.destroy();
          return;
        }
        if (h('x-stall') === '1') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          return;
        }
        if (n <= Number(h('x-fail') ?? 0)) {
          res.statusCode = Number(h('x-fail-status') ?? 503);
          res.end(`${name} fail ${n}`);
          return;
        }
        res.end(`${name} ok ${n} ${len}`);
      };
      let delay = Number(h('x-sleep') ?? 0);
      if (n <= Number(h('x-slow-attempts') ?? 0)) delay += Number(h('x-slow-ms') ?? 0);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  };
  return { handler, attempts, bodies };
}

let keySeq = 0;
const newKey = (p: string): string => `${p}-${++keySeq}-${process.pid}`;

/** The access-log line for `key` (waits for the buffered file sink to flush). */
async function logLine(file: string, key: string): Promise<string> {
  return (await waitFor(() => readLines(file).find((l) => l.startsWith(`${key} `)), 3000, `access log line for ${key}`))!;
}

describe('retries, timeouts, breakers, outliers, health checks, mirroring', () => {
  let proxy: RunningProxy;
  let port: number;
  let logFile: string;
  const ups: Upstream[] = [];
  let main: ReturnType<typeof scripted>;
  let good: Upstream;
  let bad500: Upstream;
  let badHc: Upstream;
  let slow: Upstream;
  let mainUp: Upstream;
  let shadowUp: Upstream;
  let shadowSeen: { authority: string; method: string; len: number; key: string }[];

  before(async () => {
    main = scripted('main');
    mainUp = await startUpstream('main', main.handler);
    shadowSeen = [];
    shadowUp = await startUpstream('shadow', (req, res) => {
      let len = 0;
      req.on('data', (c: Buffer) => (len += c.length));
      req.on('end', () => {
        shadowSeen.push({ authority: String(req.headers.host), method: String(req.method), len, key: String(req.headers['x-key']) });
        res.end('shadow');
      });
    });
    good = await startUpstream('good', (req, res) => {
      if (req.url === '/health') return void res.end('ok');
      res.setHeader('x-upstream', 'good');
      res.end('good');
    });
    bad500 = await startUpstream('bad500', (req, res) => {
      res.statusCode = 500;
      res.setHeader('x-upstream', 'bad500');
      res.end('bad');
    });
    badHc = await startUpstream('badhc', (req, res) => {
      if (req.url === '/health') {
        res.statusCode = 503;
        return void res.end('sick');
      }
      res.setHeader('x-upstream', 'badhc');
      res.end('badhc');
    });
    slow = await startUpstream('slow', (req, res) => {
      setTimeout(() => {
        res.setHeader('x-upstream', 'slow');
        res.end('slow');
      }, 400);
    });
    ups.push(mainUp, shadowUp, good, bad500, badHc, slow);
    const dead = await deadPort();
    logFile = tempFile('access.log');
    const healthCheck = {
      timeout: '1s',
      interval: '0.1s',
      no_traffic_interval: '0.1s',
      unhealthy_threshold: 1,
      healthy_threshold: 1,
      http_health_check: { path: '/health' },
    };
    const retry = (on: string, extra: object = {}): object => ({ retry_on: on, retry_back_off: { base_interval: '0.005s' }, ...extra });
    const route = (prefix: string, r: object): object => ({ match: { prefix }, route: r });
    proxy = await startProxy(
      httpBootstrap({
        hcm: { access_log: [fileAccessLog(logFile, LOG_FORMAT)] },
        clusters: [
          staticCluster('main', [mainUp.port]),
          staticCluster('small_buf', [mainUp.port], { per_connection_buffer_limit_bytes: 16384 }),
          staticCluster('shadow', [shadowUp.port]),
          staticCluster('pair', [dead, good.port], { lb_policy: 'RANDOM' }),
          staticCluster('retry_cb', [mainUp.port], { circuit_breakers: { thresholds: [{ max_retries: 0 }] } }),
          staticCluster('cb', [slow.port], { circuit_breakers: { thresholds: [{ max_requests: 1 }] } }),
          staticCluster('cb_pending', [slow.port], { circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 1 }] } }),
          staticCluster('od', [good.port, bad500.port], {
            outlier_detection: { consecutive_5xx: 3, interval: '0.1s', base_ejection_time: '5s', max_ejection_percent: 100 },
          }),
          staticCluster('hc', [good.port, badHc.port], { health_checks: [healthCheck] }),
          staticCluster('hc_all_bad', [badHc.port], { health_checks: [healthCheck], common_lb_config: { healthy_panic_threshold: { value: 0 } } }),
        ],
        routeConfig: {
          name: 'local',
          virtual_hosts: [
            {
              name: 'main',
              domains: ['*'],
              routes: [
                route('/retry5xx', { cluster: 'main', retry_policy: retry('5xx', { num_retries: 3 }) }),
                route('/codes', { cluster: 'main', retry_policy: retry('retriable-status-codes', { num_retries: 2, retriable_status_codes: [418] }) }),
                route('/rq-headers', {
                  cluster: 'main',
                  retry_policy: retry('5xx', { num_retries: 2, retriable_request_headers: [{ name: 'x-retry-me', string_match: { exact: 'yes' } }] }),
                }),
                route('/pertry', { cluster: 'main', timeout: '5s', retry_policy: retry('5xx', { num_retries: 1, per_try_timeout: '0.2s' }) }),
                route('/limit', { cluster: 'main', retry_policy: retry('5xx', { num_retries: 2 }) }),
                route('/noretry', { cluster: 'main' }),
                route('/retry-cb', { cluster: 'retry_cb', retry_policy: retry('5xx', { num_retries: 2 }) }),
                route('/connect', {
                  cluster: 'pair',
                  retry_policy: retry('connect-failure', {
                    num_retries: 1,
                    retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }],
                    host_selection_retry_max_attempts: 20,
                  }),
                }),
                route('/buffer', { cluster: 'small_buf', retry_policy: retry('5xx', { num_retries: 2 }) }),
                route('/timeout', { cluster: 'main', timeout: '0.2s' }),
                route('/idle', { cluster: 'main', idle_timeout: '0.2s' }),
                route('/mirror-off', { cluster: 'main', request_mirror_policies: [{ cluster: 'shadow', runtime_fraction: { default_value: { numerator: 0 } } }] }),
                route('/mirror', { cluster: 'main', request_mirror_policies: [{ cluster: 'shadow' }] }),
                route('/cb-pending', { cluster: 'cb_pending' }),
                route('/cb', { cluster: 'cb' }),
                route('/od', { cluster: 'od' }),
                route('/hc-all-bad', { cluster: 'hc_all_bad' }),
                route('/hc', { cluster: 'hc' }),
              ],
            },
          ],
        },
      }),
    );
    port = proxy.listeners.get('ingress')!;
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all(ups.map((u) => u.close()));
    if (logFile) fs.rmSync(path.dirname(logFile), { recursive: true, force: true });
  });

  const get = (p: string, key: string, headers: Record<string, string> = {}, extra: { method?: string; body?: string | Buffer } = {}) =>
    request(port, { path: p, headers: { 'x-key': key, ...headers }, ...extra });
  const clusterStat = (metric: string, cluster: string) => promValue(proxy.adminPort, metric, { envoy_cluster_name: cluster });

  test('retry_on 5xx: two failures then success reach the client as 200, counted as retries', async () => {
    const before = (await clusterStat('envoy_cluster_upstream_rq_retry', 'main')) ?? 0;
    const key = newKey('r5xx');
    const r = await get('/retry5xx', key, { 'x-fail': '2' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'main ok 3 0');
    assert.equal(main.attempts.get(key), 3);
    assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
    assert.equal((await clusterStat('envoy_cluster_upstream_rq_retry', 'main')) ?? 0, before + 2);
    assert.ok(((await clusterStat('envoy_cluster_upstream_rq_retry_success', 'main')) ?? 0) >= 1);
    // A route without a retry policy passes the first failure through.
    const k2 = newKey('noretry');
    const r2 = await get('/noretry', k2, { 'x-fail': '1' });
    assert.equal(r2.status, 503);
    assert.equal(main.attempts.get(k2), 1);
  });

  test('retry_on 5xx also retries an upstream that resets the connection before answering', async () => {
    // Two resets: the pool may resend a body-less request once by itself when a reused keep-alive
    // connection dies before any response byte, but never twice; only the router's retry gets past both.
    const key = newKey('reset');
    const r = await get('/retry5xx', key, { 'x-reset-attempts': '2' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'main ok 3 0');
    const k2 = newKey('reset-noretry');
    const r2 = await get('/noretry', k2, { 'x-reset-attempts': '2' });
    assert.equal(r2.status, 503);
    assert.match(r2.body, /^upstream connect error or disconnect\/reset before headers/);
    assert.match(await logLine(logFile, k2), /^\S+ 503 UC /);
  });

  test('retriable-status-codes retries only the listed codes', async () => {
    const k1 = newKey('codes418');
    const r1 = await get('/codes', k1, { 'x-fail': '1', 'x-fail-status': '418' });
    assert.equal(r1.status, 200);
    assert.equal(main.attempts.get(k1), 2);
    const k2 = newKey('codes500');
    const r2 = await get('/codes', k2, { 'x-fail': '1', 'x-fail-status': '500' });
    assert.equal(r2.status, 500);
    assert.equal(main.attempts.get(k2), 1);
  });

  test('retriable_request_headers: only matching requests are retried', async () => {
    const k1 = newKey('rqh-yes');
    assert.equal((await get('/rq-headers', k1, { 'x-fail': '1', 'x-retry-me': 'yes' })).status, 200);
    assert.equal(main.attempts.get(k1), 2);
    const k2 = newKey('rqh-no');
    assert.equal((await get('/rq-headers', k2, { 'x-fail': '1' })).status, 503);
    assert.equal(main.attempts.get(k2), 1);
  });

  test('connect-failure retries onto another host (previous_hosts predicate)', async () => {
    // Two in flight stay under the default max_retries breaker (3).
    const replies = await requestMany(40, 2, (i) => get('/connect', newKey(`cf${i}`)));
    assert.deepEqual(
      replies.map((r) => r.status),
      replies.map(() => 200),
    );
    assert.ok(((await clusterStat('envoy_cluster_upstream_cx_connect_fail', 'pair')) ?? 0) >= 1, 'the dead host was tried');
    assert.ok(((await clusterStat('envoy_cluster_upstream_rq_retry', 'pair')) ?? 0) >= 1);
  });

  test('per_try_timeout: a slow first attempt is abandoned and the second answers', async () => {
    const key = newKey('pertry');
    const t0 = performance.now();
    const r = await get('/pertry', key, { 'x-slow-attempts': '1', 'x-slow-ms': '1500' });
    const took = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-attempt'], '2');
    assert.ok(took >= 190 && took < 1400, `took ${took} ms`);
    assert.ok(((await clusterStat('envoy_cluster_upstream_rq_per_try_timeout', 'main')) ?? 0) >= 1);
  });

  test('retry limit exceeded: the last 5xx passes through, URX in the access log', async () => {
    const before = (await clusterStat('envoy_cluster_upstream_rq_retry_limit_exceeded', 'main')) ?? 0;
    const key = newKey('limit');
    const r = await get('/limit', key, { 'x-fail': '100' });
    assert.equal(r.status, 503);
    assert.equal(r.body, 'main fail 3');
    assert.equal(main.attempts.get(key), 3);
    const line = await logLine(logFile, key);
    assert.match(line, /^\S+ 503 URX /);
    assert.equal(await clusterStat('envoy_cluster_upstream_rq_retry_limit_exceeded', 'main'), before + 1);
  });

  test('circuit breaker max_retries: 0 — the retry overflows, the 5xx passes through with UO', async () => {
    const key = newKey('retrycb');
    const r = await get('/retry-cb', key, { 'x-fail': '1' });
    assert.equal(r.status, 503);
    assert.equal(main.attempts.get(key), 1);
    assert.match(await logLine(logFile, key), /^\S+ 503 UO /);
    assert.equal(await clusterStat('envoy_cluster_upstream_rq_retry_overflow', 'retry_cb'), 1);
  });

  test('a request whose body outgrew the buffer limit is never resent; a small one is', async () => {
    const bigKey = newKey('big');
    const big = await get('/buffer', bigKey, { 'x-fail': '100' }, { method: 'POST', body: Buffer.alloc(200 * 1024, 'a') });
    assert.equal(big.status, 503);
    assert.equal(main.attempts.get(bigKey), 1);
    assert.deepEqual(main.bodies.get(bigKey), [200 * 1024]);
    const smallKey = newKey('small');
    const small = await get('/buffer', smallKey, { 'x-fail': '1' }, { method: 'POST', body: Buffer.alloc(1024, 'b') });
    assert.equal(small.status, 200);
    assert.equal(small.body, 'main ok 2 1024');
    assert.deepEqual(main.bodies.get(smallKey), [1024, 1024]);
  });

  test('route timeout: 504 upstream request timeout, UT flag, upstream_rq_timeout counted', async () => {
    const key = newKey('timeout');
    const t0 = performance.now();
    const r = await get('/timeout', key, { 'x-sleep': '2000' });
    const took = performance.now() - t0;
    assert.equal(r.status, 504);
    assert.equal(r.body, 'upstream request timeout');
    assert.ok(took >= 190 && took < 1500, `took ${took} ms`);
    assert.match(await logLine(logFile, key), /^\S+ 504 UT /);
    assert.ok(((await clusterStat('envoy_cluster_upstream_rq_timeout', 'main')) ?? 0) >= 1);
  });

  test('route idle_timeout: a silent upstream ends the stream (504 before headers, reset after)', async () => {
    const key = newKey('idle');
    const r = await get('/idle', key, { 'x-sleep': '2000' });
    assert.equal(r.status, 504);
    assert.equal(r.body, 'stream timeout');
    assert.match(await logLine(logFile, key), /^\S+ 504 SI /);
    // Headers already went out: the stream is reset rather than answered.
    const k2 = newKey('idle-stall');
    const t0 = performance.now();
    await assert.rejects(get('/idle', k2, { 'x-stall': '1' }));
    assert.ok(performance.now() - t0 < 1500);
    const idle = await promValue(proxy.adminPort, 'envoy_http_downstream_rq_idle_timeout', { envoy_http_conn_manager_prefix: 'ingress_http' });
    assert.ok((idle ?? 0) >= 2, `downstream_rq_idle_timeout ${idle}`);
  });

  test('circuit breaker max_requests: 1 — concurrent requests overflow with 503 UO', async () => {
    const keys = Array.from({ length: 5 }, () => newKey('cb'));
    const replies = await Promise.all(keys.map((k) => get('/cb', k)));
    const ok = replies.filter((r) => r.status === 200);
    const overflow = replies.filter((r) => r.status === 503);
    assert.equal(ok.length, 1, JSON.stringify(replies.map((r) => r.status)));
    assert.equal(overflow.length, 4);
    for (const r of overflow) {
      assert.match(r.body, /overflow/);
      assert.equal(r.headers['x-envoy-overloaded'], 'true');
    }
    const lines = await Promise.all(keys.map((k) => logLine(logFile, k)));
    assert.equal(lines.filter((l) => / 503 UO /.test(l)).length, 4);
    assert.equal(await clusterStat('envoy_cluster_upstream_rq_pending_overflow', 'cb'), 4);
  });

  test('circuit breaker max_connections: 1 + max_pending_requests: 1 — one in flight, one queued, the rest overflow', async () => {
    // Warm one keep-alive connection so the first request does not count as pending.
    assert.equal((await get('/cb-pending', newKey('warm'))).status, 200);
    const keys = Array.from({ length: 4 }, () => newKey('cbp'));
    const replies = await Promise.all(keys.map((k) => get('/cb-pending', k)));
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 503, 503]);
    assert.equal(await clusterStat('envoy_cluster_upstream_rq_pending_overflow', 'cb_pending'), 2);
    assert.ok(((await clusterStat('envoy_cluster_upstream_cx_overflow', 'cb_pending')) ?? 0) >= 1);
  });

  test('outlier detection ejects a host after consecutive 5xx', async () => {
    const replies = await requestMany(12, 1, () => get('/od', newKey('od')));
    const tail = replies.slice(6);
    assert.deepEqual(
      tail.map((r) => r.headers['x-upstream']),
      tail.map(() => 'good'),
      JSON.stringify(replies.map((r) => r.headers['x-upstream'])),
    );
    assert.ok(replies.filter((r) => r.status === 500).length <= 3);
    const text = (await adminGet(proxy.adminPort, '/clusters')).body;
    assert.match(text, new RegExp(`^od::127\\.0\\.0\\.1:${bad500.port}::health_flags::.*/failed_outlier_check`, 'm'));
    assert.doesNotMatch(text, new RegExp(`^od::127\\.0\\.0\\.1:${good.port}::health_flags::.*failed_outlier_check`, 'm'));
    const json = JSON.parse((await adminGet(proxy.adminPort, '/clusters?format=json')).body) as {
      cluster_statuses: { name: string; host_statuses: { address: { socket_address: { port_value: number } }; health_status: { failed_outlier_check?: boolean } }[] }[];
    };
    const od = json.cluster_statuses.find((c) => c.name === 'od')!;
    const badHost = od.host_statuses.find((h) => h.address.socket_address.port_value === bad500.port)!;
    assert.equal(badHost.health_status.failed_outlier_check, true);
    assert.equal(await clusterStat('envoy_cluster_outlier_detection_ejections_active', 'od'), 1);
    assert.ok(((await clusterStat('envoy_cluster_outlier_detection_ejections_enforced_consecutive_5xx', 'od')) ?? 0) >= 1);
  });

  test('active HTTP health checks keep traffic off a host whose /health fails', async () => {
    await waitFor(async () => /::health_flags::\/failed_active_hc/.test((await adminGet(proxy.adminPort, '/clusters')).body), 3000, 'hc failure');
    const text = (await adminGet(proxy.adminPort, '/clusters')).body;
    assert.match(text, new RegExp(`^hc::127\\.0\\.0\\.1:${badHc.port}::health_flags::/failed_active_hc`, 'm'));
    assert.match(text, new RegExp(`^hc::127\\.0\\.0\\.1:${good.port}::health_flags::healthy`, 'm'));
    const replies = await requestMany(20, 4, () => get('/hc', newKey('hc')));
    assert.deepEqual(countBy(replies), { good: 20 });
    assert.ok(((await clusterStat('envoy_cluster_health_check_failure', 'hc')) ?? 0) >= 1);
  });

  test('all hosts unhealthy with healthy_panic_threshold 0: 503 no healthy upstream, UH flag', async () => {
    const key = newKey('uh');
    const r = await get('/hc-all-bad', key);
    assert.equal(r.status, 503);
    assert.equal(r.body, 'no healthy upstream');
    assert.match(await logLine(logFile, key), /^\S+ 503 UH /);
    assert.equal(badHc.requests.filter((q) => q.url !== '/health').length, 0);
    assert.ok(((await clusterStat('envoy_cluster_upstream_cx_none_healthy', 'hc_all_bad')) ?? 0) >= 1);
  });

  test('request mirroring sends a copy (with body) to the shadow cluster with a -shadow authority', async () => {
    const key = newKey('mirror');
    const r = await get('/mirror/x', key, { host: 'svc.local:8080' }, { method: 'POST', body: 'hello shadow' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-upstream'], 'main');
    const seen = (await waitFor(() => shadowSeen.find((s) => s.key === key), 3000, 'shadow request'))!;
    assert.equal(seen.authority, 'svc.local-shadow:8080');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.len, 'hello shadow'.length);
    const off = newKey('mirror-off');
    assert.equal((await get('/mirror-off', off)).status, 200);
    await sleep(200);
    assert.equal(shadowSeen.filter((s) => s.key === off).length, 0);
  });
});

describe('fault injection', () => {
  let proxy: RunningProxy;
  let port: number;
  let up: Upstream;
  const faultLog = tempFile('fault.log');

  before(async () => {
    up = await startUpstream('f');
    const override = (cfg: object): object => ({ 'envoy.filters.http.fault': { '@type': FAULT_TYPE, ...cfg } });
    proxy = await startProxy(
      httpBootstrap({
        hcm: { access_log: [fileAccessLog(faultLog, LOG_FORMAT)] },
        clusters: [staticCluster('f', [up.port])],
        httpFilters: [
          { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE, abort: { http_status: 418, percentage: pct(100) } } },
          ROUTER_FILTER,
        ],
        routeConfig: {
          name: 'local',
          virtual_hosts: [
            {
              name: 'f',
              domains: ['*'],
              routes: [
                { match: { prefix: '/abort' }, route: { cluster: 'f' } },
                { match: { prefix: '/override' }, route: { cluster: 'f' }, typed_per_filter_config: override({ abort: { http_status: 451, percentage: pct(100) } }) },
                { match: { prefix: '/delay' }, route: { cluster: 'f' }, typed_per_filter_config: override({ delay: { fixed_delay: '0.3s', percentage: pct(100) } }) },
                { match: { prefix: '/half' }, route: { cluster: 'f' }, typed_per_filter_config: override({ abort: { http_status: 503, percentage: pct(50) } }) },
                {
                  match: { prefix: '/header' },
                  route: { cluster: 'f' },
                  typed_per_filter_config: override({ abort: { header_abort: {}, percentage: pct(100) }, delay: { header_delay: {}, percentage: pct(100) } }),
                },
                { match: { prefix: '/none' }, route: { cluster: 'f' }, typed_per_filter_config: override({}) },
              ],
            },
          ],
        },
      }),
    );
    port = proxy.listeners.get('ingress')!;
  });

  after(async () => {
    await proxy?.stop();
    await up?.close();
    fs.rmSync(path.dirname(faultLog), { recursive: true, force: true });
  });

  const fault = (name: string) => promValue(proxy.adminPort, `envoy_http_fault_${name}`, { envoy_http_conn_manager_prefix: 'ingress_http' });

  test('abort 100% with http_status 418 never reaches the upstream; counted as fault.aborts_injected', async () => {
    const before = up.requests.length;
    const aborted0 = (await fault('aborts_injected')) ?? 0;
    const key = newKey('abort');
    const r = await request(port, { path: '/abort', headers: { 'x-key': key } });
    assert.equal(r.status, 418);
    assert.match(await logLine(faultLog, key), /^\S+ 418 FI /);
    assert.equal(r.body, 'fault filter abort');
    assert.equal(up.requests.length, before);
    assert.equal(await fault('aborts_injected'), aborted0 + 1);
  });

  test('per-route typed_per_filter_config overrides the filter config', async () => {
    assert.equal((await request(port, { path: '/override' })).status, 451);
    const none = await request(port, { path: '/none' });
    assert.equal(none.status, 200);
    assert.equal(none.headers['x-upstream'], 'f');
  });

  test('fixed delay 300ms at 100% delays the request, counted as fault.delays_injected', async () => {
    const delays0 = (await fault('delays_injected')) ?? 0;
    const t0 = performance.now();
    const key = newKey('delay');
    const r = await request(port, { path: '/delay', headers: { 'x-key': key } });
    const took = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.ok(took >= 280, `took ${took} ms`);
    assert.match(await logLine(faultLog, key), /^\S+ 200 DI /);
    assert.equal(await fault('delays_injected'), delays0 + 1);
  });

  test('abort at 50% aborts about half of 400 requests', async () => {
    const replies = await requestMany(400, 20, () => request(port, { path: '/half' }));
    const aborted = replies.filter((r) => r.status === 503).length;
    const ok = replies.filter((r) => r.status === 200).length;
    assert.equal(aborted + ok, 400);
    // sd = 10 at n=400, p=0.5: allow 4 sd.
    assert.ok(aborted > 160 && aborted < 240, `aborted ${aborted}/400`);
  });

  test('header-controlled abort and delay (x-envoy-fault-abort-request, x-envoy-fault-delay-request)', async () => {
    const plain = await request(port, { path: '/header' });
    assert.equal(plain.status, 200);
    const aborted = await request(port, { path: '/header', headers: { 'x-envoy-fault-abort-request': '429' } });
    assert.equal(aborted.status, 429);
    const t0 = performance.now();
    const delayed = await request(port, { path: '/header', headers: { 'x-envoy-fault-delay-request': '250' } });
    const took = performance.now() - t0;
    assert.equal(delayed.status, 200);
    assert.ok(took >= 230, `took ${took} ms`);
  });
});
