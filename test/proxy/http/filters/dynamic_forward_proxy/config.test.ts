// Proxy HTTP: dynamic forward proxy config — DnsCacheConfig defaults and limits, the filter and per-route configs, the
// DFP cluster (CLUSTER_PROVIDED, auto_sni/auto_san_validation), CONNECT routes; errors with their paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../../../src/proxy/config/bootstrap.js';
import type { Cluster } from '../../../../../src/proxy/config/types.js';
import { base, errorsOf, set, HCM, R0, type J } from '../../../config/helpers.js';
import '../../../../all-filters.js';

const FILTER = 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig';
const CLUSTER = 'type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function dfpCluster(cache: object = { name: 'c' }, extra: J = {}): J {
  return { name: 'dfp', lb_policy: 'CLUSTER_PROVIDED', cluster_type: { name: 'envoy.clusters.dynamic_forward_proxy', typed_config: { '@type': CLUSTER, dns_cache_config: cache } }, ...extra };
}

/** base() with the DFP filter (cache `cache`) before the router and a DFP cluster "dfp" (cache `clusterCache`). */
function bootstrap(cache: object = { name: 'c' }, clusterCache: object = cache, cluster: J = {}): J {
  const b = base();
  const filters = [{ name: 'envoy.filters.http.dynamic_forward_proxy', typed_config: { '@type': FILTER, dns_cache_config: cache } }, { name: 'envoy.filters.http.router' }];
  set(b, `${HCM}.http_filters`, filters);
  set(b, `${R0}.route.cluster`, 'dfp');
  (b.static_resources as { clusters: J[] }).clusters.push(dfpCluster(clusterCache, cluster));
  return b;
}

function errors(b: J): string {
  return errorsOf(parseBootstrap(b, { baseDir: '/' }))
    .map((e) => `${e.path}: ${e.message}`)
    .join('\n');
}

const F = `${HCM}.http_filters[0].typed_config`;
const C = 'static_resources.clusters[2]';

test('dfp config: Envoy example shape validates, with Envoy defaults in the DNS cache and auto SNI/SAN on the cluster', () => {
  const r = parseBootstrap(bootstrap({ name: 'c', dns_lookup_family: 'V4_ONLY' }), { baseDir: '/' });
  assert.ok(r.ok, JSON.stringify(errorsOf(r)));
  const c = r.value.static_resources.clusters[2] as Cluster;
  assert.deepEqual(c.cluster_type?.dns_cache_config, {
    name: 'c',
    dns_lookup_family: 'V4_ONLY',
    dns_refresh_rate: 60_000,
    host_ttl: 300_000,
    max_hosts: 1024,
    max_pending_requests: 1024,
    dns_query_timeout: 5000,
    preresolve_hostnames: [],
  });
  assert.deepEqual(c.typed_extension_protocol_options.http?.upstream_http_protocol_options, { auto_sni: true, auto_san_validation: true }, 'Envoy defaults for a DFP cluster without its own');
  assert.equal(c.lb_policy, 'CLUSTER_PROVIDED');
});

test('dfp config: DnsCacheConfig fields, limits and resolvers', () => {
  const full = {
    name: 'c',
    dns_refresh_rate: '2s',
    host_ttl: '30s',
    max_hosts: 10,
    dns_failure_refresh_rate: { base_interval: '0.5s', max_interval: '5s' },
    dns_cache_circuit_breaker: { max_pending_requests: 3 },
    dns_query_timeout: '1s',
    preresolve_hostnames: [{ address: 'localhost', port_value: 8080 }],
    dns_min_refresh_rate: '5s',
    typed_dns_resolver_config: { name: 'envoy.network.dns_resolver.getaddrinfo', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig' } },
  };
  const r = parseBootstrap(bootstrap(full), { baseDir: '/' });
  assert.ok(r.ok, JSON.stringify(errorsOf(r)));
  const dns = (r.value.static_resources.clusters[2] as Cluster).cluster_type!.dns_cache_config;
  assert.equal(dns.dns_failure_refresh_rate, 500);
  assert.equal(dns.max_pending_requests, 3);
  assert.deepEqual(dns.preresolve_hostnames, [{ address: 'localhost', port: 8080 }]);

  const bad = errors(bootstrap({ name: '', max_hosts: 0, host_ttl: '0s', dns_refresh_rate: '0s', key_value_config: {}, use_tcp_for_dns_lookups: true }));
  assert.match(bad, new RegExp(`^${esc(F)}\\.dns_cache_config\\.name: must not be empty$`, 'm'));
  assert.match(bad, /dns_cache_config\.max_hosts: 0 is out of range; must be >= 1/);
  assert.match(bad, /dns_cache_config\.host_ttl: must be greater than 0/);
  assert.match(bad, /dns_cache_config\.dns_refresh_rate: must be at least 1ms/);
  assert.match(bad, /dns_cache_config\.key_value_config: key_value_config is not supported by trellis/);
  assert.match(bad, /dns_cache_config\.use_tcp_for_dns_lookups: use_tcp_for_dns_lookups is not supported by trellis/);
  const tooMany = errors(bootstrap({ name: 'c', max_hosts: 1, preresolve_hostnames: [{ address: 'a', port_value: 1 }, { address: 'b', port_value: 2 }] }));
  assert.match(tooMany, /preresolve_hostnames: 2 hostnames is more than max_hosts \(1\)/);
  // c-ares options choose other servers: rejected by name; other resolvers by type
  const cares = errors(
    bootstrap({
      name: 'c',
      typed_dns_resolver_config: {
        name: 'envoy.network.dns_resolver.cares',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig', resolvers: [{ socket_address: { address: '8.8.8.8', port_value: 53 } }] },
      },
    }),
  );
  assert.match(cares, /typed_dns_resolver_config\.typed_config\.resolvers: resolvers is not supported by trellis/);
  const apple = errors(
    bootstrap({ name: 'c', typed_dns_resolver_config: { name: 'envoy.network.dns_resolver.apple', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.network.dns_resolver.apple.v3.AppleDnsResolverConfig' } } }),
  );
  assert.match(apple, /typed_dns_resolver_config\.typed_config\.@type: DNS resolver envoy\.extensions\.network\.dns_resolver\.apple\.v3\.AppleDnsResolverConfig is not supported by trellis/);
});

test('dfp config: one name, one set of settings (filter and cluster must agree, as Envoy requires)', () => {
  const e = errors(bootstrap({ name: 'c', host_ttl: '10s' }, { name: 'c', host_ttl: '20s' }));
  assert.match(e, new RegExp(`^${esc(C)}\\.cluster_type\\.typed_config\\.dns_cache_config: DNS cache "c" is configured differently at ${esc(F)}\\.dns_cache_config`, 'm'));
  assert.equal(errors(bootstrap({ name: 'c', host_ttl: '10s' }, { name: 'other', host_ttl: '20s' })), '', 'different names may differ');
});

test('dfp config: filter fields rejected by name, per-route host rewrites', () => {
  const b = bootstrap();
  set(b, `${F}.sub_cluster_config`, { cluster_init_timeout: '1s' });
  set(b, `${F}.allow_dynamic_host_from_filter_state`, true);
  const e = errors(b);
  assert.match(e, /http_filters\[0\]\.typed_config\.sub_cluster_config: sub_cluster_config is not supported by trellis/);
  assert.match(e, /allow_dynamic_host_from_filter_state: allow_dynamic_host_from_filter_state: true is not supported/);
  const missing = bootstrap();
  set(missing, `${F}.dns_cache_config`, undefined);
  assert.match(errors(missing), new RegExp(`^${esc(F)}\\.dns_cache_config: is required$`, 'm'));

  const per = (cfg: object): string => {
    const p = bootstrap();
    set(p, `${R0}.typed_per_filter_config`, { 'envoy.filters.http.dynamic_forward_proxy': { '@type': PER_ROUTE, ...cfg } });
    return errors(p);
  };
  assert.equal(per({ host_rewrite_literal: 'example.org:8443' }), '');
  assert.equal(per({ host_rewrite_header: 'X-Host' }), '');
  assert.match(per({ host_rewrite_literal: 'a', host_rewrite_header: 'b' }), /only one of host_rewrite_literal, host_rewrite_header/);
  assert.match(per({ host_rewrite_literal: 'not a host' }), /host_rewrite_literal: "not a host" is not a valid host\[:port\]/);
  assert.match(per({ host_rewrite_header: 'bad header' }), /host_rewrite_header: "bad header" is not a valid header name/);
});

test('dfp config: the cluster needs CLUSTER_PROVIDED, no endpoints, and auto SNI/SAN unless allow_insecure_cluster_options', () => {
  assert.match(errors(bootstrap(undefined, undefined, { lb_policy: 'ROUND_ROBIN' })), new RegExp(`^${esc(C)}\\.lb_policy: lb_policy ROUND_ROBIN is not valid for cluster_type envoy.clusters.dynamic_forward_proxy`, 'm'));
  assert.match(errors(bootstrap(undefined, undefined, { type: 'STATIC' })), new RegExp(`^${esc(C)}\\.cluster_type: only one of type, cluster_type may be set`, 'm'));
  assert.match(errors(bootstrap(undefined, undefined, { load_assignment: { cluster_name: 'dfp', endpoints: [] } })), /load_assignment: a dynamic_forward_proxy cluster takes its hosts from the DNS cache/);
  const typed = (upstream: object | undefined, insecure = false): string => {
    const b = bootstrap();
    const c = (b.static_resources as { clusters: J[] }).clusters[2]!;
    set(c, 'typed_extension_protocol_options', {
      [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, explicit_http_config: { http_protocol_options: {} }, ...(upstream ? { upstream_http_protocol_options: upstream } : {}) },
    });
    if (insecure) set(c, 'cluster_type.typed_config.allow_insecure_cluster_options', true);
    return errors(b);
  };
  const need = /cluster_type: a dynamic_forward_proxy cluster must have upstream_http_protocol_options auto_sni and auto_san_validation true unless allow_insecure_cluster_options is set/;
  assert.match(typed(undefined), need, 'typed options replace the defaults');
  assert.match(typed({ auto_sni: true }), need);
  assert.equal(typed({ auto_sni: true, auto_san_validation: true }), '');
  assert.equal(typed(undefined, true), '');
  assert.equal(typed({ auto_sni: true, auto_san_validation: true, override_auto_sni_header: 'x-sni' }), '');
  const legacy = errors(bootstrap(undefined, undefined, { upstream_http_protocol_options: { auto_sni: false } }));
  assert.match(legacy, need, 'the deprecated cluster field too');
  assert.match(errors(bootstrap(undefined, undefined, { cluster_type: { name: 'envoy.clusters.aggregate', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig' } } })), /cluster type envoy\.extensions\.clusters\.aggregate\.v3\.ClusterConfig is not supported by trellis; supported: envoy\.clusters\.dynamic_forward_proxy/);
  assert.match(errors(bootstrap(undefined, undefined, { cluster_type: { name: 'x', typed_config: { '@type': CLUSTER, dns_cache_config: { name: 'c' }, sub_clusters_config: {} } } })), /sub_clusters_config: sub_clusters_config is not supported by trellis/);
});

test('CONNECT config: connect_matcher routes must terminate CONNECT (connect_config) or turn it off; connect_config is CONNECT-only', () => {
  const route = (r: J): string => {
    const b = base();
    set(b, `${R0}`, r);
    return errors(b);
  };
  const connect = { connect_matcher: {} };
  assert.equal(route({ match: connect, route: { cluster: 'a', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } }), '');
  assert.equal(route({ match: connect, route: { cluster: 'a', upgrade_configs: [{ upgrade_type: 'connect', enabled: false }] } }), '');
  assert.equal(route({ match: connect, direct_response: { status: 200 } }), '');
  assert.match(route({ match: connect, route: { cluster: 'a' } }), new RegExp(`^${esc(R0)}\\.route\\.upgrade_configs: a connect_matcher route needs upgrade_configs .*does not proxy it upstream`, 'm'));
  assert.match(route({ match: { prefix: '/' }, route: { cluster: 'a', upgrade_configs: [{ upgrade_type: 'websocket', connect_config: {} }] } }), /upgrade_configs\[0\]\.connect_config: only applies to upgrade_type CONNECT, not websocket/);
  assert.match(route({ match: connect, route: { cluster: 'a', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: { allow_post: true } }] } }), /connect_config\.allow_post: allow_post is not supported by trellis/);
  assert.match(route({ match: { connect_matcher: { x: 1 } }, route: { cluster: 'a' } }), /match\.connect_matcher\.x: unknown field/);
  assert.match(route({ match: { prefix: '/', connect_matcher: {} }, route: { cluster: 'a' } }), /only one of prefix, connect_matcher may be set/);
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
