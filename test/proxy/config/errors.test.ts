// Tests the bootstrap validator's error reporting: each bad config yields an error at the exact path with a helpful reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/bootstrap.js';
import { HCM, J, R0, VH0, base, describeErrors, errorsOf, set, staticCluster } from './helpers.js';
import '../../all-filters.js';

const C0 = 'static_resources.clusters[0]';
const L0 = 'static_resources.listeners[0]';
const FC0 = `${L0}.filter_chains[0]`;

type Case = [name: string, mutate: (b: J) => void, path: string, message: RegExp];

const cases: Case[] = [
  ['unknown lb_policy', (b) => set(b, `${C0}.lb_policy`, 'FOO'), `${C0}.lb_policy`, /unknown lb_policy "FOO"; expected one of ROUND_ROBIN, LEAST_REQUEST, RANDOM/],
  ['unknown field with suggestion', (b) => set(b, `${C0}.conect_timeout`, '1s'), `${C0}.conect_timeout`, /unknown field "conect_timeout"; did you mean "connect_timeout"/],
  ['unknown field', (b) => set(b, `${C0}.flavour`, 'x'), `${C0}.flavour`, /^unknown field "flavour"$/],
  ['unsupported cluster field', (b) => set(b, `${C0}.lb_subset_config`, {}), `${C0}.lb_subset_config`, /lb_subset_config is not supported by trellis/],
  ['unsupported route field', (b) => set(b, `${R0}.route.include_vh_rate_limits`, true), `${R0}.route.include_vh_rate_limits`, /include_vh_rate_limits is not supported by trellis/],
  ['unsupported vhost cors', (b) => set(b, `${VH0}.cors`, {}), `${VH0}.cors`, /cors is not supported by trellis/],
  ['bad duration', (b) => set(b, `${C0}.connect_timeout`, '5 seconds'), `${C0}.connect_timeout`, /expected a duration like "1.5s"/],
  ['negative duration', (b) => set(b, `${C0}.connect_timeout`, '-1s'), `${C0}.connect_timeout`, /must not be negative/],
  ['bare number duration', (b) => set(b, `${R0}.route.timeout`, 5), `${R0}.route.timeout`, /expected a duration/],
  ['port out of range', (b) => set(b, `${L0}.address.socket_address.port_value`, 70000), `${L0}.address.socket_address.port_value`, /70000 is out of range; must be in 0–65535/],
  ['missing port', (b) => set(b, `${L0}.address.socket_address.port_value`, undefined), `${L0}.address.socket_address.port_value`, /is required/],
  ['route to unknown cluster', (b) => set(b, `${R0}.route.cluster`, 'nope'), `${R0}.route.cluster`, /unknown cluster "nope"; static clusters are: a, b/],
  [
    'weighted cluster unknown',
    (b) => set(b, `${R0}.route`, { weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'zz', weight: 1 }] } }),
    `${R0}.route.weighted_clusters.clusters[1].name`,
    /unknown cluster "zz"/,
  ],
  [
    'mirror cluster unknown',
    (b) => set(b, `${R0}.route.request_mirror_policies`, [{ cluster: 'shadow' }]),
    `${R0}.route.request_mirror_policies[0].cluster`,
    /unknown cluster "shadow"/,
  ],
  [
    'weights sum to zero',
    (b) => set(b, `${R0}.route`, { weighted_clusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b' }] } }),
    `${R0}.route.weighted_clusters.clusters`,
    /sum of cluster weights must be greater than 0/,
  ],
  ['bad regex', (b) => set(b, `${R0}.match`, { safe_regex: { regex: '(' } }), `${R0}.match.safe_regex.regex`, /^invalid RE2 regex "\(": missing closing \)/],
  // JS RegExp runs these; RE2 (Envoy's engine) does not, so neither does the validator.
  [
    'regex back-reference',
    (b) => set(b, `${R0}.match`, { prefix: '/', headers: [{ name: 'x', safe_regex_match: { regex: '(a)\\1' } }] }),
    `${R0}.match.headers[0].safe_regex_match.regex`,
    /^invalid RE2 regex "\(a\)\\\\1": invalid escape sequence: `\\1` \(RE2 has no back-references\)$/,
  ],
  [
    'regex look-ahead',
    (b) => set(b, `${R0}.match`, { prefix: '/', query_parameters: [{ name: 'q', string_match: { safe_regex: { regex: '(?!x).*' } } }] }),
    `${R0}.match.query_parameters[0].string_match.safe_regex.regex`,
    /^invalid RE2 regex "\(\?!x\)\.\*": .*\(RE2 has no look-around\)$/,
  ],
  [
    'regex_rewrite substitution group',
    (b) => set(b, `${R0}.route.regex_rewrite`, { pattern: { regex: '^/(a)$' }, substitution: '/\\2' }),
    `${R0}.route.regex_rewrite.substitution`,
    /^substitution refers to group \\2 but the regex has 1$/,
  ],
  ['two path specifiers', (b) => set(b, `${R0}.match.path`, '/x'), `${R0}.match.path`, /only one of prefix, path may be set/],
  ['no path specifier', (b) => set(b, `${R0}.match`, {}), `${R0}.match`, /one of prefix, path, safe_regex, path_separated_prefix, connect_matcher is required/],
  ['no route action', (b) => set(b, `${R0}.route`, undefined), `${R0}.route`, /one of route, redirect, direct_response is required/],
  ['unknown retry_on', (b) => set(b, `${R0}.route.retry_policy`, { retry_on: '5xx,sometimes' }), `${R0}.route.retry_policy.retry_on`, /unknown retry condition "sometimes"; expected one of 5xx, gateway-error/],
  [
    'unsupported retry host predicate',
    (b) => set(b, `${R0}.route.retry_policy`, { retry_host_predicate: [{ name: 'envoy.retry_host_predicates.omit_canary_hosts' }] }),
    `${R0}.route.retry_policy.retry_host_predicate[0].name`,
    /not supported by trellis/,
  ],
  ['STATIC needs IPs', (b) => set(b, `${C0}.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address`, 'backend.local'), `${C0}.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address`, /STATIC clusters need IP addresses/],
  ['STRICT_DNS needs load_assignment', (b) => set(b, `${C0}`, { name: 'a', type: 'STRICT_DNS' }), `${C0}.load_assignment`, /needs load_assignment/],
  [
    'LOGICAL_DNS exactly one endpoint',
    (b) => {
      const c = staticCluster('a', 1);
      set(c, 'type', 'LOGICAL_DNS');
      set(c, 'load_assignment.endpoints[1]', { lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'x', port_value: 2 } } } }] });
      set(b, C0, c);
    },
    `${C0}.load_assignment`,
    /exactly one locality with exactly one endpoint/,
  ],
  ['duplicate cluster names', (b) => set(b, 'static_resources.clusters[1].name', 'a'), 'static_resources.clusters[1].name', /duplicate cluster name a/],
  [
    'duplicate listener names',
    (b) => {
      const l = structuredClone((b.static_resources as J).listeners as J[])[0];
      set(l, 'address.socket_address.port_value', 10001);
      set(b, 'static_resources.listeners[1]', l);
    },
    'static_resources.listeners[1].name',
    /duplicate listener name l0/,
  ],
  [
    'duplicate listener addresses',
    (b) => {
      const l = structuredClone((b.static_resources as J).listeners as J[])[0];
      set(l, 'name', 'l1');
      set(b, 'static_resources.listeners[1]', l);
    },
    'static_resources.listeners[1].address',
    /duplicate listener address TCP 127.0.0.1:10000/,
  ],
  ['last filter not router', (b) => set(b, `${HCM}.http_filters`, [{ name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } }]), `${HCM}.http_filters[0]`, /the last http filter must be envoy.filters.http.router/],
  ['no http filters', (b) => set(b, `${HCM}.http_filters`, []), `${HCM}.http_filters`, /must end with envoy.filters.http.router/],
  ['unknown http filter', (b) => set(b, `${HCM}.http_filters`, [{ name: 'envoy.filters.http.wasm', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm' } }, { name: 'envoy.filters.http.router' }]), `${HCM}.http_filters[0].typed_config.@type`, /http filter type .*Wasm \(filter "envoy.filters.http.wasm"\) is not supported by trellis/],
  ['filter @type mismatch', (b) => set(b, `${HCM}.http_filters[0].name`, 'envoy.filters.http.fault'), `${HCM}.http_filters[0].typed_config.@type`, /does not match filter name "envoy.filters.http.fault"/],
  ['network filter @type mismatch', (b) => set(b, `${FC0}.filters[0].name`, 'envoy.filters.network.tcp_proxy'), `${FC0}.filters[0].typed_config.@type`, /does not match filter name "envoy.filters.network.tcp_proxy"/],
  ['unknown network filter', (b) => set(b, `${FC0}.filters[0]`, { name: 'envoy.filters.network.redis_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy' } }), `${FC0}.filters[0].typed_config.@type`, /RedisProxy .* is not supported by trellis/],
  ['missing @type', (b) => set(b, `${FC0}.filters[0].typed_config.@type`, undefined), `${FC0}.filters[0].typed_config.@type`, /is required/],
  [
    'require_client_certificate without validation context',
    (b) =>
      set(b, `${FC0}.transport_socket`, {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
          require_client_certificate: true,
          common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: 'C' }, private_key: { inline_string: 'K' } }] },
        },
      }),
    `${FC0}.transport_socket.typed_config.require_client_certificate`,
    /needs common_tls_context.validation_context/,
  ],
  ['unknown enum in header append_action', (b) => set(b, `${R0}.request_headers_to_add`, [{ header: { key: 'x', value: 'y' }, append_action: 'MAYBE' }]), `${R0}.request_headers_to_add[0].append_action`, /unknown append_action "MAYBE"/],
  ['hcm needs route config', (b) => set(b, `${HCM}.route_config`, undefined), HCM, /one of route_config, rds is required/],
  ['scoped routes unsupported', (b) => set(b, `${HCM}.scoped_routes`, {}), `${HCM}.scoped_routes`, /scoped_routes is not supported by trellis/],
  ['maglev table size not prime', (b) => (set(b, `${C0}.lb_policy`, 'MAGLEV'), set(b, `${C0}.maglev_lb_config`, { table_size: 1000 })), `${C0}.maglev_lb_config.table_size`, /not a prime/],
  ['health check missing fields', (b) => set(b, `${C0}.health_checks`, [{ http_health_check: { path: '/h' } }]), `${C0}.health_checks[0].timeout`, /is required/],
  ['expected_statuses range', (b) => set(b, `${C0}.health_checks`, [{ timeout: '1s', interval: '1s', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/h', expected_statuses: [{ start: 300, end: 200 }] } }]), `${C0}.health_checks[0].http_health_check.expected_statuses[0].end`, /must be greater than start/],
  ['duplicate domains', (b) => set(b, `${HCM}.route_config.virtual_hosts[1]`, { name: 'vh2', domains: ['*'], routes: [] }), `${HCM}.route_config.virtual_hosts[1].domains[0]`, /domain "\*" is already used by virtual host "vh"/],
  ['field given twice', (b) => set(b, `${C0}.connectTimeout`, '1s') && set(b, `${C0}.connect_timeout`, '2s'), `${C0}.connect_timeout`, /given twice/],
  ['ORIGINAL_DST needs CLUSTER_PROVIDED', (b) => set(b, C0, { name: 'a', type: 'ORIGINAL_DST' }), `${C0}.lb_policy`, /ORIGINAL_DST clusters need lb_policy CLUSTER_PROVIDED/],
  ['unknown secret', (b) => set(b, `static_resources.clusters[1].transport_socket`, { name: 'envoy.transport_sockets.tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', common_tls_context: { validation_context_sds_secret_config: { name: 'ca' } } } }), 'static_resources.clusters[1].transport_socket.typed_config.common_tls_context.validation_context_sds_secret_config.name', /unknown secret "ca"/],
  ['bad fractional denominator', (b) => set(b, `${R0}.match.runtime_fraction`, { default_value: { numerator: 1, denominator: 'THOUSAND' } }), `${R0}.match.runtime_fraction.default_value.denominator`, /unknown denominator "THOUSAND"; expected one of HUNDRED, TEN_THOUSAND, MILLION/],
  ['unknown bootstrap field', (b) => set(b, 'staticResources2', {}), 'staticResources2', /unknown field/],
  ['direct_response status', (b) => set(b, `${R0}`, { match: { prefix: '/' }, direct_response: { status: 99 } }), `${R0}.direct_response.status`, /out of range/],
];

describe('bootstrap validation errors', () => {
  for (const [name, mutate, path, message] of cases) {
    it(name, () => {
      const b = base();
      mutate(b);
      const errs = errorsOf(parseBootstrap(b, { baseDir: '/' }));
      const hit = errs.find((e) => e.path === path && message.test(e.message));
      assert.ok(hit, `expected an error at ${path} matching ${message}; got:\n${describeErrors(errs)}`);
    });
  }

  it('reports every error at once', () => {
    const b = base();
    // cases touching different fields, so none overwrites another
    const picked = cases.filter(([n]) => ['unknown lb_policy', 'unknown field', 'unsupported route field', 'bare number duration', 'port out of range', 'unknown retry_on', 'duplicate cluster names'].includes(n));
    for (const [, mutate] of picked) mutate(b);
    const errs = errorsOf(parseBootstrap(b, { baseDir: '/' }));
    for (const [, , path, message] of picked) {
      assert.ok(errs.some((e) => e.path === path && message.test(e.message)), `missing ${path} in:\n${describeErrors(errs)}`);
    }
    assert.equal(errs.length, picked.length, describeErrors(errs));
  });

  it('rejects a non-object document at the root', () => {
    const errs = errorsOf(parseBootstrap([], { baseDir: '/' }));
    assert.equal(errs[0].path, '(root)');
  });
});
