// Proxy HTTP: the dynamic_forward_proxy filter in a real connection manager with a real DFP cluster and an injected
// resolver — requests wait for the lookup, go to the resolved host, and get Envoy's 503s on failure and overflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bootstrap, HttpConnectionManager } from '../../../../../src/proxy/config/types.js';
import type { ConnectionPool } from '../../../../../src/proxy/upstream/pool/types.js';
import type { PoolManager } from '../../../../../src/proxy/upstream/pool/pool-manager.js';
import type { Host } from '../../../../../src/proxy/upstream/types.js';
import { parseBootstrap } from '../../../../../src/proxy/config/bootstrap.js';
import { compileRouteTable } from '../../../../../src/proxy/router/route-table.js';
import { ConnectionManager } from '../../../../../src/proxy/http/connection-manager.js';
import { ActiveStream } from '../../../../../src/proxy/http/active-stream.js';
import { ClusterManagerImpl } from '../../../../../src/proxy/upstream/cluster-manager.js';
import { FakeDownstream, FakeUpstream } from '../router/harness.js';
import { FakeStats } from '../../../upstream/fake-stats.js';
import '../../../../all-filters.js';

const FILTER = 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig';
const CLUSTER = 'type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig';

/** A lookup the test settles by hand. */
class ManualResolver {
  readonly calls: { name: string; resolve: (a: string[]) => void; reject: (e: Error) => void }[] = [];
  readonly lookup = (name: string): Promise<string[]> =>
    new Promise((resolve, reject) => {
      this.calls.push({ name, resolve, reject });
    });
}

function rig(cache: object = {}) {
  const dns = { name: 'c', dns_lookup_family: 'V4_ONLY', ...cache };
  const raw = {
    static_resources: {
      listeners: [
        {
          name: 'l',
          address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'in',
                    route_config: {
                      name: 'r',
                      virtual_hosts: [
                        {
                          name: 'vh',
                          domains: ['*'],
                          routes: [
                            { match: { prefix: '/literal' }, route: { cluster: 'dfp' }, typed_per_filter_config: { 'envoy.filters.http.dynamic_forward_proxy': { '@type': PER_ROUTE, host_rewrite_literal: 'rewritten.test:9000' } } },
                            { match: { prefix: '/header' }, route: { cluster: 'dfp' }, typed_per_filter_config: { 'envoy.filters.http.dynamic_forward_proxy': { '@type': PER_ROUTE, host_rewrite_header: 'x-target' } } },
                            { match: { prefix: '/static' }, route: { cluster: 'static' } },
                            { match: { prefix: '/' }, route: { cluster: 'dfp' } },
                          ],
                        },
                      ],
                    },
                    http_filters: [{ name: 'envoy.filters.http.dynamic_forward_proxy', typed_config: { '@type': FILTER, dns_cache_config: dns } }, { name: 'envoy.filters.http.router' }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: 'dfp', lb_policy: 'CLUSTER_PROVIDED', cluster_type: { name: 'envoy.clusters.dynamic_forward_proxy', typed_config: { '@type': CLUSTER, dns_cache_config: dns } } },
        { name: 'static', type: 'STATIC', load_assignment: { cluster_name: 'static', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.9.9.9', port_value: 80 } } } }] }] } },
      ],
    },
  };
  const parsed = parseBootstrap(raw, { baseDir: '.' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const b: Bootstrap = parsed.value;
  const hcm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager;
  if (hcm.route_specifier.kind !== 'route_config') throw new Error('inline routes expected');
  const table = compileRouteTable(hcm.route_specifier.route_config);
  const stats = new FakeStats();
  const resolver = new ManualResolver();
  const clusters = new ClusterManagerImpl({ stats, lookup: resolver.lookup });
  clusters.update(b.static_resources.clusters);
  const upstreams: FakeUpstream[] = [];
  const pool = (h: Host): ConnectionPool => ({
    protocol: 'http/1.1',
    request: (head, handler) => {
      const u = new FakeUpstream(`${h.key}@${h.address}`, head, handler);
      upstreams.push(u);
      return u;
    },
    connectRaw: () => {},
    drain: () => {},
    close: () => {},
  });
  const pools = { pool: (_c: unknown, h: Host) => pool(h) } as unknown as PoolManager;
  const cm = new ConnectionManager(hcm, { stats, clusters, pools, routeTable: () => () => table, accessLogger: () => null, random: () => 0.5 });
  const info = { remoteAddress: '127.0.0.1', remotePort: 5000, localAddress: '127.0.0.1', localPort: 10000, listenerName: 'l', filterChainName: '' };
  const request = (host: string, path = '/', headers: Record<string, string> = {}): { ds: FakeDownstream; stream: ActiveStream } => {
    const ds = new FakeDownstream('GET', path, { host, ...headers }, false, host);
    const stream = new ActiveStream(cm, ds, info);
    stream.start();
    return { ds, stream };
  };
  return { clusters, resolver, upstreams, request, stat: (n: string) => stats.get(n) };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

test('dfp filter: the request waits for the lookup, then goes to the resolved address; the next one is served from the cache', async () => {
  const r = rig();
  const { ds } = r.request('Svc.Test:8080');
  await flush();
  assert.deepEqual(r.resolver.calls.map((c) => c.name), ['svc.test']);
  assert.equal(r.upstreams.length, 0, 'held until resolved');
  r.resolver.calls[0]!.resolve(['10.0.0.5']);
  await flush();
  assert.equal(r.upstreams.length, 1);
  assert.equal(r.upstreams[0]!.host, 'svc.test:8080@10.0.0.5');
  assert.equal(r.upstreams[0]!.head.authority, 'Svc.Test:8080', 'the authority goes upstream as the client sent it');
  r.upstreams[0]!.respond(200, 'ok');
  assert.equal(ds.status, 200);
  r.request('svc.test:8080');
  assert.equal(r.upstreams.length, 2, 'cached: no wait');
  assert.equal(r.resolver.calls.length, 1);
  assert.equal(r.stat('dns_cache.c.dns_query_attempt'), 1);
  r.clusters.close();
});

test('dfp filter: a failed lookup is a 503 "DNS resolution failure" with flag DF and Envoy\'s details', async () => {
  const r = rig();
  const { ds, stream } = r.request('nope.test');
  await flush();
  r.resolver.calls[0]!.reject(Object.assign(new Error('getaddrinfo ENOTFOUND nope.test'), { code: 'ENOTFOUND' }));
  await flush();
  assert.equal(ds.status, 503);
  assert.equal(ds.body, 'DNS resolution failure');
  assert.deepEqual(stream.flags, ['DF']);
  assert.equal(stream.responseDetails, 'dns_resolution_failure{ENOTFOUND}');
  assert.equal(r.upstreams.length, 0);
  r.clusters.close();
});

test('dfp filter: per-route host_rewrite_literal / host_rewrite_header change what is resolved and sent', async () => {
  const r = rig();
  r.request('client.test', '/literal');
  r.request('client.test', '/header', { 'x-target': 'from-header.test:7000' });
  r.request('client.test', '/header/absent');
  await flush();
  assert.deepEqual(r.resolver.calls.map((c) => c.name), ['rewritten.test', 'from-header.test', 'client.test']);
  for (const c of r.resolver.calls) c.resolve(['10.0.0.1']);
  await flush();
  assert.deepEqual(
    r.upstreams.map((u) => [u.host, u.head.authority]),
    [
      ['rewritten.test:9000@10.0.0.1', 'rewritten.test:9000'],
      ['from-header.test:7000@10.0.0.1', 'from-header.test:7000'],
      ['client.test:80@10.0.0.1', 'client.test'],
    ],
  );
  r.clusters.close();
});

test('dfp filter: max_hosts overflow and max_pending_requests overflow are 503s; other clusters are left alone', async () => {
  const r = rig({ max_hosts: 1, dns_cache_circuit_breaker: { max_pending_requests: 1 } });
  r.request('one.test');
  const pendingFull = r.request('one.test');
  assert.equal(pendingFull.ds.status, 503);
  assert.equal(pendingFull.ds.body, 'Dynamic forward proxy pending request overflow');
  assert.equal(pendingFull.stream.responseDetails, 'dynamic_forward_proxy_pending_request_overflow');
  await flush();
  r.resolver.calls[0]!.resolve(['10.0.0.1']);
  await flush();
  const full = r.request('two.test');
  assert.equal(full.ds.status, 503);
  assert.equal(full.ds.body, 'DNS cache overflow');
  assert.equal(full.stream.responseDetails, 'dns_cache_overflow');
  assert.equal(r.stat('dns_cache.c.host_overflow'), 1);
  assert.equal(r.stat('dns_cache.c.dns_rq_pending_overflow'), 1);
  r.request('anything.test', '/static');
  assert.equal(r.upstreams.at(-1)?.host, '10.9.9.9:80@10.9.9.9', 'a STATIC cluster needs no lookup');
  r.clusters.close();
});

test('dfp filter: a request that goes away while waiting releases its pending slot and is not continued', async () => {
  const r = rig({ dns_cache_circuit_breaker: { max_pending_requests: 1 } });
  const first = r.request('slow.test');
  first.ds.abort();
  await flush();
  const second = r.request('slow.test');
  assert.equal(second.ds.status, 0, 'not refused: the slot was given back');
  r.resolver.calls[0]!.resolve(['10.0.0.1']);
  await flush();
  assert.equal(r.upstreams.length, 1, 'only the live request went upstream');
  r.clusters.close();
});
