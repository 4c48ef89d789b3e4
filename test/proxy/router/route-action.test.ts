// Test: route action — weighted split proportions, cluster_header, timeouts, retry inheritance, per-filter config, internal-only headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable } from '../../../src/proxy/router/index.js';
import type { ClusterWeight, RouteAction, FaultConfig, RouterConfig } from '../../../src/proxy/config/types.js';
import type { CompiledRouteAction } from '../../../src/proxy/router/types.js';
import { rc, req, retryPolicy, route, seeded, vhost } from './fixtures.js';

function cw(name: string, weight: number, extra: Partial<ClusterWeight> = {}): ClusterWeight {
  return {
    name,
    weight,
    request_headers_to_add: [],
    request_headers_to_remove: [],
    response_headers_to_add: [],
    response_headers_to_remove: [],
    ...extra,
  };
}

function actionOf(a: Partial<RouteAction>, random?: () => number): CompiledRouteAction {
  const t = compileRouteTable(rc({ virtual_hosts: [vhost({ routes: [route({ a })] })] }), random ? { random } : undefined);
  const act = t.match(req())!.route.action;
  if (act.kind !== 'route') throw new Error('not a route');
  return act.route;
}

test('weighted clusters 1,2,3 split 1/6, 1/3, 1/2 over 60k seeded draws', () => {
  const a = actionOf(
    { cluster_specifier: { kind: 'weighted_clusters', weighted: { clusters: [cw('a', 1), cw('b', 2), cw('c', 3)] } } },
    seeded(42),
  );
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  const N = 60000;
  for (let i = 0; i < N; i++) counts[a.chooseCluster(req())!.cluster]!++;
  // Binomial sd at N=60k is ≤ 0.21%; 1% tolerance is ~5 sd.
  assert.ok(Math.abs(counts.a! / N - 1 / 6) < 0.01, `a ${counts.a}`);
  assert.ok(Math.abs(counts.b! / N - 1 / 3) < 0.01, `b ${counts.b}`);
  assert.ok(Math.abs(counts.c! / N - 1 / 2) < 0.01, `c ${counts.c}`);
});

test('weighted clusters: boundaries, zero weights and per-cluster edits', () => {
  let v = 0;
  const a = actionOf(
    {
      cluster_specifier: {
        kind: 'weighted_clusters',
        weighted: {
          clusters: [
            cw('zero', 0),
            cw('a', 1, { host_rewrite_literal: 'a.internal', request_headers_to_add: [{ header: { key: 'x-c', value: 'a' }, append_action: 'APPEND_IF_EXISTS_OR_ADD', keep_empty_value: false }] }),
            cw('b', 3),
          ],
        },
      },
    },
    () => v,
  );
  v = 0;
  const first = a.chooseCluster(req())!;
  assert.equal(first.cluster, 'a');
  assert.equal(first.hostRewrite, 'a.internal');
  assert.equal(first.requestHeaders!.empty, false);
  v = 0.2499;
  assert.equal(a.chooseCluster(req())!.cluster, 'a');
  v = 0.25;
  const b = a.chooseCluster(req())!;
  assert.equal(b.cluster, 'b');
  assert.equal(b.requestHeaders!.empty, true);
  v = 0.99999;
  assert.equal(a.chooseCluster(req())!.cluster, 'b');
});

test('cluster and cluster_header', () => {
  const fixed = actionOf({});
  assert.equal(fixed.chooseCluster(req())!.cluster, 'c');
  assert.equal(fixed.chooseCluster(req()), fixed.chooseCluster(req())); // shared object
  const byHeader = actionOf({ cluster_specifier: { kind: 'cluster_header', header: 'X-Cluster' } });
  assert.equal(byHeader.chooseCluster(req({ headers: { 'x-cluster': 'blue' } }))!.cluster, 'blue');
  assert.equal(byHeader.chooseCluster(req()), undefined);
  assert.equal(byHeader.chooseCluster(req({ headers: { 'x-cluster': '' } })), undefined);
});

test('timeouts, mirrors, websocket, grpc timeout max', () => {
  const a = actionOf({
    timeout: 0,
    idle_timeout: 3000,
    request_mirror_policies: [{ cluster: 'shadow' }],
    upgrade_configs: [{ upgrade_type: 'WebSocket', enabled: false }],
    max_stream_duration: { grpc_timeout_header_max: 5000 },
  });
  assert.equal(a.timeout, 0);
  assert.equal(a.idleTimeout, 3000);
  assert.deepEqual(a.mirrors, [{ cluster: 'shadow' }]);
  assert.equal(a.websocketEnabled, false);
  assert.equal(a.grpcTimeoutHeaderMax, 5000);
  const d = actionOf({});
  assert.equal(d.timeout, 15000);
  assert.equal(d.websocketEnabled, undefined);
  assert.equal(d.retry, undefined);
  assert.equal(d.hash(req(), '1.2.3.4'), undefined);
});

test("retry policy: the route's, else the virtual host's", () => {
  const vhRetry = retryPolicy({ retry_on: ['5xx'], num_retries: 3 });
  const t = compileRouteTable(
    rc({
      virtual_hosts: [
        vhost({
          retry_policy: vhRetry,
          routes: [
            route({ name: 'own', m: { path_specifier: { kind: 'prefix', value: '/own' } }, a: { retry_policy: retryPolicy({ retry_on: ['reset'] }) } }),
            route({ name: 'inherit' }),
          ],
        }),
      ],
    }),
  );
  const own = t.match(req({ path: '/own' }))!.route.action;
  const inh = t.match(req({ path: '/x' }))!.route.action;
  assert.ok(own.kind === 'route' && inh.kind === 'route');
  assert.deepEqual(own.route.retry!.policy.retry_on, ['reset']);
  assert.equal(inh.route.retry!.policy, vhRetry);
});

test('typed_per_filter_config: route entries override the virtual host', () => {
  const fault = (s: number): FaultConfig => ({
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
    abort: { http_status: s, header_abort: false, percentage: 1 },
    headers: [],
    downstream_nodes: [],
  });
  const router: RouterConfig = { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppress_envoy_headers: false, start_child_span: false };
  const t = compileRouteTable(
    rc({
      virtual_hosts: [
        vhost({
          typed_per_filter_config: { 'envoy.filters.http.fault': fault(503), 'envoy.filters.http.router': router },
          routes: [
            route({ name: 'r1', m: { path_specifier: { kind: 'prefix', value: '/r1' } }, typed_per_filter_config: { 'envoy.filters.http.fault': fault(404) } }),
            route({ name: 'r2' }),
          ],
        }),
      ],
    }),
  );
  const r1 = t.match(req({ path: '/r1' }))!.route.perFilterConfig;
  assert.equal((r1.get('envoy.filters.http.fault') as FaultConfig).abort!.http_status, 404);
  assert.equal(r1.get('envoy.filters.http.router'), router);
  const r2 = t.match(req({ path: '/r2' }))!.route.perFilterConfig;
  assert.equal((r2.get('envoy.filters.http.fault') as FaultConfig).abort!.http_status, 503);
});

test('route config name, route names and internal_only_headers pass through', () => {
  const t = compileRouteTable(
    rc({ name: 'outbound|80', internal_only_headers: ['X-Internal'], virtual_hosts: [vhost({ name: 'v', require_tls: 'ALL', routes: [route({ name: 'n' })] })] }),
  );
  assert.equal(t.name, 'outbound|80');
  assert.deepEqual(t.internalOnlyHeaders, ['x-internal']);
  const m = t.match(req())!;
  assert.equal(m.route.name, 'n');
  assert.equal(m.route.statName, 'n');
  assert.deepEqual(m.virtualHost, { name: 'v', requireTls: 'ALL' });
});
