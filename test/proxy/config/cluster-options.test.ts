// Config: cluster options real configs use — HttpProtocolOptions auto_config and upstream_http_protocol_options,
// health check no-traffic intervals, the deprecated match_subject_alt_names, mirror cluster_header, cluster_manager.load_stats_config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/index.js';
import type { Bootstrap, Cluster, RouteConfiguration } from '../../../src/proxy/config/types.js';
import { HCM, R0, base, errorsOf, set, type J } from './helpers.js';
import '../../all-filters.js';

const C0 = 'static_resources.clusters[0]';
const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const OPTS = `${C0}.typed_extension_protocol_options["${KEY}"]`;
const TLS = { name: 'envoy.transport_sockets.tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext' } };

function parse(mutate: (b: J) => void): { b?: Bootstrap; errors: string[] } {
  const b = base();
  mutate(b);
  const r = parseBootstrap(b, { baseDir: '/' });
  return r.ok ? { b: r.value, errors: [] } : { errors: errorsOf(r).map((e) => `${e.path}: ${e.message}`) };
}

const cluster0 = (r: { b?: Bootstrap }): Cluster => r.b!.static_resources.clusters[0];
const httpOptions = (o: object): J => ({ [KEY]: { '@type': `type.googleapis.com/${KEY}`, ...o } });
function hasError(errors: string[], path: string, message: RegExp): boolean {
  return errors.some((e) => e.startsWith(`${path}: `) && message.test(e));
}

test('auto_config over TLS, with upstream_http_protocol_options', () => {
  const r = parse((b) => {
    set(b, `${C0}.transport_socket`, TLS);
    set(b, `${C0}.typed_extension_protocol_options`, httpOptions({
      auto_config: { http2_protocol_options: { max_concurrent_streams: 50 }, http_protocol_options: {} },
      upstream_http_protocol_options: { auto_sni: true, auto_san_validation: true, override_auto_sni_header: 'X-Sni' },
    }));
  });
  assert.deepEqual(r.errors, []);
  const http = cluster0(r).typed_extension_protocol_options.http!;
  assert.equal(http.upstream_protocol, 'AUTO');
  assert.deepEqual(http.http2_protocol_options, { max_concurrent_streams: 50 });
  assert.deepEqual(http.upstream_http_protocol_options, { auto_sni: true, auto_san_validation: true, override_auto_sni_header: 'x-sni' });
});

test('auto_config needs ALPN, so a plaintext cluster is refused (as Envoy does); HTTP/3 pieces are rejected by name', () => {
  const plain = parse((b) => set(b, `${C0}.typed_extension_protocol_options`, httpOptions({ auto_config: {} })));
  assert.ok(hasError(plain.errors, `${OPTS}.auto_config`, /needs a TLS transport_socket/), plain.errors.join('; '));
  const h3 = parse((b) => {
    set(b, `${C0}.transport_socket`, TLS);
    set(b, `${C0}.typed_extension_protocol_options`, httpOptions({ auto_config: { http3_protocol_options: {} } }));
  });
  assert.ok(hasError(h3.errors, `${OPTS}.auto_config.http3_protocol_options`, /not supported by trellis/), h3.errors.join('; '));
  const both = parse((b) => set(b, `${C0}.typed_extension_protocol_options`, httpOptions({ auto_config: {}, explicit_http_config: { http_protocol_options: {} } })));
  assert.ok(both.errors.some((e) => /only one of/.test(e)), both.errors.join('; '));
});

const check = { timeout: '1s', interval: '5s', unhealthy_threshold: 2, healthy_threshold: 1, http_health_check: { path: '/healthz' } };

test('health checks: no_traffic_healthy_interval and the other intervals, each > 0', () => {
  const r = parse((b) => set(b, `${C0}.health_checks`, [{ ...check, no_traffic_interval: '2s', no_traffic_healthy_interval: '60s', unhealthy_interval: '1s', healthy_edge_interval: '0.5s' }]));
  assert.deepEqual(r.errors, []);
  const hc = cluster0(r).health_checks[0];
  assert.equal(hc.no_traffic_interval, 2000);
  assert.equal(hc.no_traffic_healthy_interval, 60000);
  assert.equal(hc.unhealthy_interval, 1000);
  assert.equal(hc.healthy_edge_interval, 500);
  const zero = parse((b) => set(b, `${C0}.health_checks`, [{ ...check, no_traffic_healthy_interval: '0s' }]));
  assert.ok(hasError(zero.errors, `${C0}.health_checks[0].no_traffic_healthy_interval`, /greater than 0/), zero.errors.join('; '));
});

test('match_subject_alt_names (deprecated) matches every SAN kind; it cannot be combined with the typed list', () => {
  const vc = (v: object): J => ({ ...TLS, typed_config: { ...TLS.typed_config, common_tls_context: { validation_context: v } } });
  const r = parse((b) => set(b, `${C0}.transport_socket`, vc({ match_subject_alt_names: [{ exact: 'api.example.com' }] })));
  assert.deepEqual(r.errors, []);
  const sans = cluster0(r).transport_socket!.typed_config.common_tls_context.validation_context!.match_typed_subject_alt_names;
  assert.deepEqual(sans.map((s) => s.san_type).sort(), ['DNS', 'EMAIL', 'IP_ADDRESS', 'URI']);
  assert.ok(sans.every((s) => s.matcher.kind === 'exact' && s.matcher.value === 'api.example.com'));
  const both = parse((b) => set(b, `${C0}.transport_socket`, vc({ match_subject_alt_names: [{ exact: 'a' }], match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'a' } }] })));
  assert.ok(both.errors.some((e) => e.includes('validation_context.match_subject_alt_names: ') && /cannot be combined/.test(e)), both.errors.join('; '));
});

test('request mirror cluster_header: one of cluster / cluster_header, a regular header name', () => {
  const mirror = (m: object): ((b: J) => void) => (b) => set(b, `${R0}.route.request_mirror_policies`, [m]);
  const r = parse(mirror({ cluster_header: 'X-Shadow-Cluster', disable_shadow_host_suffix_append: true }));
  assert.deepEqual(r.errors, []);
  const rc = (r.b!.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as { route_specifier: { route_config: RouteConfiguration } }).route_specifier.route_config;
  const action = rc.virtual_hosts[0].routes[0].action;
  assert.ok(action.kind === 'route');
  if (action.kind !== 'route') return;
  assert.deepEqual(action.route.request_mirror_policies, [{ cluster: '', cluster_header: 'x-shadow-cluster', disable_shadow_host_suffix_append: true }]);
  const both = parse(mirror({ cluster: 'b', cluster_header: 'x' }));
  assert.ok(both.errors.some((e) => /only one of cluster, cluster_header/.test(e)), both.errors.join('; '));
  const pseudo = parse(mirror({ cluster_header: ':authority' }));
  assert.ok(hasError(pseudo.errors, `${R0}.route.request_mirror_policies[0].cluster_header`, /pseudo-header/), pseudo.errors.join('; '));
  const none = parse(mirror({}));
  assert.ok(none.errors.some((e) => /one of cluster, cluster_header is required/.test(e)), none.errors.join('; '));
  void HCM;
});

test('cluster_manager.load_stats_config is validated (static cluster) and kept; local_cluster_name is rejected by name', () => {
  const lrs = (cluster: string): J => ({ api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: cluster } }] });
  const ok = parse((b) => set(b, 'cluster_manager', { load_stats_config: lrs('b'), outlier_detection: { event_log_path: '/dev/null' } }));
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.b!.cluster_manager, { load_stats_config: { api_type: 'GRPC', cluster_name: 'b' } });
  const unknown = parse((b) => set(b, 'cluster_manager', { load_stats_config: lrs('nope') }));
  assert.ok(hasError(unknown.errors, 'cluster_manager.load_stats_config.grpc_services[0].envoy_grpc.cluster_name', /unknown cluster "nope"/), unknown.errors.join('; '));
  const local = parse((b) => set(b, 'cluster_manager', { local_cluster_name: 'a' }));
  assert.ok(hasError(local.errors, 'cluster_manager.local_cluster_name', /not supported by trellis/), local.errors.join('; '));
});

test("cluster filters: Istio's upstream istio.metadata_exchange is accepted; any other upstream filter is refused by name", () => {
  const mx = { name: 'istio.metadata_exchange', typed_config: { '@type': 'type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange', protocol: 'istio-peer-exchange' } };
  const ok = parse((b) => set(b, `${C0}.filters`, [mx]));
  assert.deepEqual(ok.errors, []);
  assert.equal(cluster0(ok).filters?.[0]?.typed_config.protocol, 'istio-peer-exchange');
  const bad = parse((b) => set(b, `${C0}.filters`, [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC' } }]));
  assert.ok(hasError(bad.errors, `${C0}.filters[0].typed_config.@type`, /upstream network filter envoy.extensions.filters.network.rbac.v3.RBAC \(filter "x"\) is not supported by trellis/), bad.errors.join('\n'));
});
