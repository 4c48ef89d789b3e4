// E2E: envoy.filters.http.rbac in a real `trellis proxy` — header/method/path policies answer 403 "RBAC: access
// denied", RBACPerRoute replaces or disables the rules per route, shadow rules never block, stats at /stats.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTER_FILTER, adminGet, httpBootstrap, request, startProxy, startUpstream, staticCluster, waitFor, type RunningProxy, type Upstream, adminStat } from './harness.js';

const RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const RBAC_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute';

let backend: Upstream;
let proxy: RunningProxy;
let port: number;

before(async () => {
  backend = await startUpstream('backend');
  const rbacFilter = {
    name: 'envoy.filters.http.rbac',
    typed_config: {
      '@type': RBAC,
      rules: {
        action: 'DENY',
        policies: {
          // path-based: /admin (any query) unless the caller presents the operator token
          'admin-without-token': {
            permissions: [{ url_path: { path: { prefix: '/admin' } } }],
            principals: [{ not_id: { header: { name: 'x-operator-token', string_match: { exact: 's3cret' } } } }],
          },
          // method-based
          'no-delete': {
            permissions: [{ header: { name: ':method', string_match: { exact: 'DELETE' } } }],
            principals: [{ any: true }],
          },
          // header-based
          'blocked-clients': {
            permissions: [{ any: true }],
            principals: [{ header: { name: 'user-agent', string_match: { prefix: 'badbot' } } }],
          },
        },
      },
      // dry run of a stricter policy: only GET from loopback would be allowed
      shadow_rules: {
        action: 'ALLOW',
        policies: {
          'loopback-get': {
            permissions: [{ header: { name: ':method', string_match: { exact: 'GET' } } }],
            principals: [{ direct_remote_ip: { address_prefix: '127.0.0.1', prefix_len: 32 } }],
          },
        },
      },
      shadow_rules_stat_prefix: 'dryrun.',
    },
  };
  proxy = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('backend', [backend.port])],
      httpFilters: [rbacFilter, ROUTER_FILTER],
      routeConfig: {
        name: 'local',
        virtual_hosts: [
          {
            name: 'main',
            domains: ['*'],
            routes: [
              // RBAC off for this route: even DELETE and bad bots pass
              { match: { prefix: '/open' }, route: { cluster: 'backend' }, typed_per_filter_config: { 'envoy.filters.http.rbac': { '@type': RBAC_PER_ROUTE } } },
              // rules replaced for this route: only callers from 10.0.0.0/8 (so not us on loopback)
              {
                match: { prefix: '/internal' },
                route: { cluster: 'backend' },
                typed_per_filter_config: {
                  'envoy.filters.http.rbac': {
                    '@type': RBAC_PER_ROUTE,
                    rbac: {
                      rules: {
                        action: 'ALLOW',
                        policies: { 'ten-net': { permissions: [{ any: true }], principals: [{ direct_remote_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } }] } },
                      },
                    },
                  },
                },
              },
              { match: { prefix: '/' }, route: { cluster: 'backend' } },
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
  await backend?.close();
});

function denied(r: { status: number; body: string; headers: Record<string, unknown> }): void {
  assert.equal(r.status, 403);
  assert.equal(r.body, 'RBAC: access denied');
  assert.equal(r.headers['content-type'], 'text/plain');
  assert.equal(r.headers['x-upstream'], undefined);
}
function passed(r: { status: number; headers: Record<string, unknown> }): void {
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-upstream'], 'backend');
}

/** One counter from the admin /stats text output (0 when absent). */
function stat(name: string): Promise<number> {
  return adminStat(proxy.adminPort, name);
}

test('rbac e2e: path, method and header policies deny with 403 before the upstream; others pass', async () => {
  const seen = backend.requests.length;
  denied(await request(port, { path: '/admin/users?page=2' }));
  denied(await request(port, { path: '/admin' }));
  passed(await request(port, { path: '/admin/users', headers: { 'x-operator-token': 's3cret' } }));
  passed(await request(port, { path: '/docs/admin' }));
  denied(await request(port, { path: '/items/1', method: 'DELETE' }));
  passed(await request(port, { path: '/items/1', method: 'PUT', body: 'x' }));
  denied(await request(port, { path: '/', headers: { 'user-agent': 'badbot/1.0' } }));
  passed(await request(port, { path: '/', headers: { 'user-agent': 'curl/8' } }));
  // a gRPC caller gets a trailers-only PERMISSION_DENIED (7), as Envoy maps 403
  const grpc = await request(port, { path: '/admin.Service/Call', method: 'POST', headers: { 'content-type': 'application/grpc' }, body: Buffer.alloc(5) });
  assert.equal(grpc.status, 200);
  assert.equal(grpc.headers['grpc-status'], '7');
  assert.equal(grpc.headers['grpc-message'], 'RBAC: access denied', 'percent-encoded as gRPC does: nothing to encode here');
  assert.equal(backend.requests.length - seen, 4, 'denied requests never reach the upstream');
});

test('rbac e2e: RBACPerRoute without rbac disables the filter on that route; with rbac it replaces the rules', async () => {
  passed(await request(port, { path: '/open/x', method: 'DELETE', headers: { 'user-agent': 'badbot' } }));
  passed(await request(port, { path: '/open/admin' }));
  // /internal: the route's ALLOW 10/8 policy applies instead of the filter's DENY list
  denied(await request(port, { path: '/internal/status' }));
  denied(await request(port, { path: '/internal/status', method: 'DELETE' }));
});

test('rbac e2e: shadow rules never block, and every counter shows at /stats under http.<prefix>.rbac.', async () => {
  const before = {
    allowed: await stat('http.ingress_http.rbac.allowed'),
    denied: await stat('http.ingress_http.rbac.denied'),
    shadowAllowed: await stat('http.ingress_http.rbac.dryrun.shadow_allowed'),
    shadowDenied: await stat('http.ingress_http.rbac.dryrun.shadow_denied'),
  };
  // shadow denies a POST (only GET is in the dry-run policy), the enforced rules allow it
  passed(await request(port, { path: '/items', method: 'POST', body: '{}' }));
  passed(await request(port, { path: '/items' }));
  denied(await request(port, { path: '/admin' }));
  await waitFor(async () => (await stat('http.ingress_http.rbac.denied')) === before.denied + 1, 5000, 'rbac.denied at /stats');
  assert.equal(await stat('http.ingress_http.rbac.allowed'), before.allowed + 2);
  assert.equal(await stat('http.ingress_http.rbac.dryrun.shadow_denied'), before.shadowDenied + 1);
  assert.equal(await stat('http.ingress_http.rbac.dryrun.shadow_allowed'), before.shadowAllowed + 2);
  // the disabled route runs neither engine
  passed(await request(port, { path: '/open/y', method: 'POST' }));
  assert.equal(await stat('http.ingress_http.rbac.dryrun.shadow_denied'), before.shadowDenied + 1);
  const prom = (await adminGet(proxy.adminPort, '/stats/prometheus')).body;
  assert.match(prom, /^envoy_http_rbac_denied\{envoy_http_conn_manager_prefix="ingress_http"\} \d+$/m);
});
