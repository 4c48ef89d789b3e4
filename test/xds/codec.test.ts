// Tests the xDS codec: encode -> decode of realistic resources, and that the proxy's validators accept the result.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, encodeResource, XdsCodecError } from '../../src/xds/codec.js';
import { protoLoadStats } from '../../src/xds/protos.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../src/xds/type-urls.js';
import { validateCluster, validateClusterLoadAssignment, validateListener, validateRouteConfiguration } from '../../src/proxy/config/validators.js';
import { formatErrors } from '../../src/common/result.js';
import { outboundListener, reviewsCluster, reviewsEndpoints, reviewsRoute } from './fixtures.js';
import '../all-filters.js';

function roundTrip(typeUrl: string, json: Record<string, unknown>): Record<string, unknown> {
  const any = encodeResource(typeUrl, json);
  assert.equal(any.type_url, typeUrl);
  const d = decodeResource(any);
  assert.equal(d.typeUrl, typeUrl);
  return d.json;
}

describe('xds codec', () => {
  it('round-trips a Listener with HCM, TCP proxy and access log typed_configs into what validateListener accepts', () => {
    const json = roundTrip(LISTENER_TYPE, outboundListener());
    const r = validateListener(json, 'listener');
    assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
    const hcm = ((json.filter_chains as Record<string, unknown>[])[0].filters as Record<string, unknown>[])[0].typed_config as Record<string, unknown>;
    assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    assert.equal(hcm.codec_type, undefined, 'AUTO is the enum default, so it is not on the wire');
    assert.deepEqual((hcm.common_http_protocol_options as Record<string, unknown>).idle_timeout, { seconds: 3600, nanos: 0 });
  });

  it('round-trips a Cluster (EDS, TLS, protocol options, "10s" and {seconds} durations)', () => {
    const json = roundTrip(CLUSTER_TYPE, reviewsCluster());
    const r = validateCluster(json, 'cluster');
    assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
    assert.deepEqual(json.connect_timeout, { seconds: 10, nanos: 0 });
    assert.equal(json.lb_policy, 'LEAST_REQUEST');
    assert.equal(((json.circuit_breakers as Record<string, unknown>).thresholds as Record<string, unknown>[])[0].max_connections, 100, 'UInt32Value is a bare number');
    assert.equal(r.value.connect_timeout, 10000);
  });

  it('round-trips a RouteConfiguration and a ClusterLoadAssignment', () => {
    const rc = roundTrip(ROUTE_TYPE, reviewsRoute());
    const r = validateRouteConfiguration(rc, 'route');
    assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
    const route = ((rc.virtual_hosts as Record<string, unknown>[])[0].routes as Record<string, unknown>[])[0].route as Record<string, unknown>;
    assert.deepEqual(route.timeout, { seconds: 1, nanos: 500_000_000 });
    const cla = roundTrip(ENDPOINT_TYPE, reviewsEndpoints());
    const e = validateClusterLoadAssignment(cla, 'cla');
    assert.ok(e.ok, e.ok ? '' : formatErrors(e.errors));
    assert.equal(e.value.endpoints[0].lb_endpoints.length, 2);
    assert.equal(decodeResource(encodeResource(ENDPOINT_TYPE, reviewsEndpoints())).name, 'outbound|9080|v1|reviews.default.svc.cluster.local');
  });

  it('accepts camelCase input and gives identical bytes (deterministic encoding, map keys sorted)', () => {
    const a = encodeResource(CLUSTER_TYPE, { name: 'c', connect_timeout: '1s', metadata: { filter_metadata: { b: { x: 1 }, a: { y: 'z' } } } });
    const b = encodeResource(CLUSTER_TYPE, { name: 'c', connectTimeout: { seconds: 1 }, metadata: { filterMetadata: { a: { y: 'z' }, b: { x: 1 } } } });
    assert.deepEqual(Buffer.from(a.value), Buffer.from(b.value));
    const d = decodeResource(a).json;
    assert.deepEqual(d.metadata, { filter_metadata: { a: { y: 'z' }, b: { x: 1 } } }, 'Struct decodes to plain JSON');
  });

  it('keeps an Any of an unloaded type opaque and re-encodes it byte for byte', () => {
    const secret = encodeResource(SECRET_TYPE, { name: 's', generic_secret: { secret: { inline_string: 'x' } } });
    const l = encodeResource(LISTENER_TYPE, { name: 'l', listener_filters: [{ name: 'f', typed_config: { '@type': 'type.googleapis.com/unknown.Thing', '@value': 'CgF4' } }] });
    const d = decodeResource(l).json;
    assert.deepEqual((d.listener_filters as Record<string, unknown>[])[0].typed_config, { '@type': 'type.googleapis.com/unknown.Thing', '@value': 'CgF4' });
    assert.deepEqual(Buffer.from(encodeResource(LISTENER_TYPE, d).value), Buffer.from(l.value));
    assert.equal(decodeResource(secret).name, 's');
  });

  it('keeps a string "0" (a header value, a stat name): only an int64 "0" is a zero left out', () => {
    const route = {
      '@type': ROUTE_TYPE,
      name: 'r',
      request_headers_to_remove: ['0'],
      virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', headers: [{ name: 'x-v', string_match: { exact: '0' } }] }, direct_response: { status: 200 } }] }],
    };
    const back = decodeResource(encodeResource(ROUTE_TYPE, route)).json as unknown as { virtual_hosts: { routes: { match: { headers: { string_match: { exact: string } }[] } }[] }[] };
    assert.equal(back.virtual_hosts[0]!.routes[0]!.match.headers[0]!.string_match.exact, '0');
    assert.deepEqual((back as unknown as { request_headers_to_remove: string[] }).request_headers_to_remove, ['0']);
    const cluster = { '@type': CLUSTER_TYPE, name: 'c', type: 'STATIC', alt_stat_name: '0', max_requests_per_connection: { value: 0 } };
    const c = decodeResource(encodeResource(CLUSTER_TYPE, cluster)).json;
    assert.equal(c['alt_stat_name'], '0');
    assert.equal(c['max_requests_per_connection'], 0, 'a wrapped zero is still there (the wrapper is a message)');
  });

  it('rejects unknown fields, enum names and types with the path', () => {
    assert.throws(() => encodeResource(CLUSTER_TYPE, { name: 'c', lb_polcy: 'RANDOM' }), (e: unknown) => e instanceof XdsCodecError && e.path === 'lb_polcy');
    assert.throws(() => encodeResource(CLUSTER_TYPE, { name: 'c', lb_policy: 'FASTEST' }), /lb_policy: unknown LbPolicy value "FASTEST"/);
    assert.throws(() => encodeResource(CLUSTER_TYPE, { name: 'c', connect_timeout: '5m' }), /connect_timeout: expected a duration/);
    assert.throws(() => encodeResource(LISTENER_TYPE, { name: 'l', filter_chains: [{ filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/nope.Nope' } }] }] }), /filter_chains\[0\]\.filters\[0\]\.typed_config\.@type/);
    assert.throws(() => encodeResource(LISTENER_TYPE, { '@type': CLUSTER_TYPE, name: 'l' }), /resource says/);
  });

  it('reports load time and RSS of the protos', () => {
    const s = protoLoadStats();
    console.log(`protos: ${s.files} files, ${s.loadMs.toFixed(0)} ms, RSS +${(s.rssDelta / 1e6).toFixed(1)} MB`);
    assert.ok(s.files > 20);
  });
});

describe('xds codec: dynamic forward proxy', () => {
  it('round-trips a DFP cluster (cluster_type, DNS cache, c-ares resolver) and an HCM with the DFP filter and a CONNECT route', () => {
    const cache = {
      name: 'dfp_cache',
      dns_lookup_family: 'V4_ONLY',
      host_ttl: '60s',
      max_hosts: 100,
      typed_dns_resolver_config: { name: 'envoy.network.dns_resolver.cares', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig' } },
    };
    const cluster = roundTrip(CLUSTER_TYPE, {
      name: 'dfp',
      lb_policy: 'CLUSTER_PROVIDED',
      cluster_type: { name: 'envoy.clusters.dynamic_forward_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig', dns_cache_config: cache } },
    });
    const c = validateCluster(cluster, 'dfp');
    assert.ok(c.ok, c.ok ? '' : formatErrors(c.errors));
    assert.equal(c.value.cluster_type?.dns_cache_config.host_ttl, 60_000);
    const listener = roundTrip(LISTENER_TYPE, {
      name: 'proxy',
      address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                stat_prefix: 'proxy',
                upgrade_configs: [{ upgrade_type: 'CONNECT' }],
                route_config: {
                  name: 'r',
                  virtual_hosts: [
                    {
                      name: 'all',
                      domains: ['*'],
                      routes: [
                        { match: { connect_matcher: {} }, route: { cluster: 'dfp', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } },
                        {
                          match: { prefix: '/' },
                          route: { cluster: 'dfp' },
                          typed_per_filter_config: {
                            'envoy.filters.http.dynamic_forward_proxy': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig', host_rewrite_literal: 'example.org' },
                          },
                        },
                      ],
                    },
                  ],
                },
                http_filters: [
                  { name: 'envoy.filters.http.dynamic_forward_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig', dns_cache_config: cache } },
                  { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                ],
              },
            },
          ],
        },
      ],
    });
    const l = validateListener(listener, 'proxy');
    assert.ok(l.ok, l.ok ? '' : formatErrors(l.errors));
  });
});
