// Tests that valid bootstraps (YAML, JSON, camelCase) become the expected model with Envoy's defaults filled.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBootstrapFile, loadBootstrapText, parseBootstrap } from '../../../src/proxy/config/bootstrap.js';
import type { Bootstrap, Cluster, FaultConfig, FormattedAccessLog, HttpConnectionManager, Route, TcpProxy } from '../../../src/proxy/config/types.js';
import { HCM, J, R0, base, describeErrors, errorsOf, get, set } from './helpers.js';
import '../../all-filters.js';

function mustParse(raw: unknown, baseDir = '/'): Bootstrap {
  const r = parseBootstrap(raw, { baseDir });
  assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
  return r.value;
}
function hcmOf(b: Bootstrap, l = 0): HttpConnectionManager {
  return b.static_resources.listeners[l].filter_chains[0].filters[0].typed_config as HttpConnectionManager;
}
function routeOf(b: Bootstrap, vh = 0, r = 0): Route {
  const spec = hcmOf(b).route_specifier;
  assert.equal(spec.kind, 'route_config');
  return spec.route_config.virtual_hosts[vh].routes[r];
}

// the repo root is the cwd under `npm test`; otherwise walk up from this file (source or compiled layout)
const here = fileURLToPath(new URL('.', import.meta.url));
const example = [process.cwd(), join(here, '../../..'), join(here, '../../../..')].map((d) => join(d, 'examples/front-proxy.yaml')).find((f) => existsSync(f));

describe('bootstrap loading', () => {
  it('loads examples/front-proxy.yaml with no errors', async () => {
    assert.ok(example !== undefined, 'examples/front-proxy.yaml not found');
    const r = await loadBootstrapFile(example);
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    const b = r.value;
    assert.deepEqual(b.admin?.address?.socket_address, { protocol: 'TCP', address: '127.0.0.1', port_value: 9901 });
    const split = routeOf(b, 0, 1).action;
    assert.equal(split.kind, 'route');
    const cs = split.route.cluster_specifier;
    assert.equal(cs.kind, 'weighted_clusters');
    assert.deepEqual(cs.weighted.clusters.map((c) => [c.name, c.weight]), [['backend_a', 1], ['backend_b', 2], ['backend_c', 3]]);
    assert.deepEqual(split.route.retry_policy?.retry_on, ['5xx', 'connect-failure', 'refused-stream']);
    assert.equal(split.route.retry_policy?.per_try_timeout, 1500);
    assert.equal(split.route.retry_policy?.retry_previous_hosts, true);
    assert.equal(split.route.timeout, 5000);
    const health = routeOf(b, 0, 0).action;
    assert.deepEqual(health, { kind: 'direct_response', direct_response: { status: 200, body: 'ok\n' } });
    assert.deepEqual(hcmOf(b).http_filters.map((f) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
    assert.equal(b.static_resources.clusters[0].connect_timeout, 250);
  });

  it('fills Envoy defaults', () => {
    const b = mustParse(base());
    const c = b.static_resources.clusters[0];
    assert.equal(c.connect_timeout, 5000);
    assert.equal(c.lb_policy, 'ROUND_ROBIN');
    assert.equal(c.dns_refresh_rate, 5000);
    assert.equal(c.dns_lookup_family, 'AUTO');
    assert.deepEqual(c.circuit_breakers, { thresholds: [] });
    assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: 50, locality_weighted_lb_config: false, ignore_new_hosts_until_first_hc: false });
    assert.deepEqual(c.least_request_lb_config, { choice_count: 2, active_request_bias: 1 });
    assert.deepEqual(c.ring_hash_lb_config, { minimum_ring_size: 1024, maximum_ring_size: 8388608, hash_function: 'XX_HASH' });
    assert.equal(c.maglev_lb_config.table_size, 65537);
    assert.equal(c.per_connection_buffer_limit_bytes, 1048576);
    assert.equal(c.load_assignment?.policy.overprovisioning_factor, 140);
    const ep = c.load_assignment?.endpoints[0];
    assert.equal(ep?.priority, 0);
    assert.equal(ep?.lb_endpoints[0].load_balancing_weight, 1);
    assert.equal(ep?.lb_endpoints[0].health_status, 'UNKNOWN');
    const l = b.static_resources.listeners[0];
    assert.equal(l.listener_filters_timeout, 15000);
    assert.equal(l.per_connection_buffer_limit_bytes, 1048576);
    assert.equal(l.traffic_direction, 'UNSPECIFIED');
    const h = hcmOf(b);
    assert.equal(h.codec_type, 'AUTO');
    assert.equal(h.stream_idle_timeout, 300000);
    assert.equal(h.drain_timeout, 5000);
    assert.equal(h.request_timeout, 0);
    assert.equal(h.generate_request_id, true);
    assert.equal(h.server_name, 'envoy');
    assert.equal(h.server_header_transformation, 'OVERWRITE');
    const r = routeOf(b);
    assert.equal(r.match.case_sensitive, true);
    assert.equal(r.action.kind === 'route' && r.action.route.timeout, 15000);
  });

  it('accepts lowerCamelCase names, Duration objects, wrappers and percentages', () => {
    const raw = base();
    set(raw, 'static_resources.clusters[0]', {
      name: 'a',
      type: 'STRICT_DNS',
      connectTimeout: { seconds: 1, nanos: 500000000 },
      lbPolicy: 'LEAST_REQUEST',
      leastRequestLbConfig: { choiceCount: { value: 3 }, activeRequestBias: { defaultValue: 0.5 } },
      commonLbConfig: { healthyPanicThreshold: { value: 25 } },
      dnsRefreshRate: '0.250s',
      circuitBreakers: { thresholds: [{ maxConnections: '100', retryBudget: { budgetPercent: { value: 12.5 } } }] },
      loadAssignment: { endpoints: [{ loadBalancingWeight: 2, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: 'backend', portValue: 80 } } } }] }] },
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicitHttpConfig: { http2ProtocolOptions: { maxConcurrentStreams: 50 } },
          commonHttpProtocolOptions: { idleTimeout: '30s' },
        },
      },
    });
    set(raw, `${R0}.match.runtimeFraction`, { defaultValue: { numerator: 25, denominator: 'TEN_THOUSAND' } });
    const c: Cluster = mustParse(raw).static_resources.clusters[0];
    assert.equal(c.connect_timeout, 1500);
    assert.equal(c.dns_refresh_rate, 250);
    assert.equal(c.lb_policy, 'LEAST_REQUEST');
    assert.deepEqual(c.least_request_lb_config, { choice_count: 3, active_request_bias: 0.5 });
    assert.equal(c.common_lb_config.healthy_panic_threshold, 25);
    assert.equal(c.circuit_breakers.thresholds[0].max_connections, 100);
    assert.equal(c.circuit_breakers.thresholds[0].max_pending_requests, 1024);
    assert.deepEqual(c.circuit_breakers.thresholds[0].retry_budget, { budget_percent: 12.5, min_retry_concurrency: 3 });
    assert.equal(c.load_assignment?.cluster_name, 'a');
    assert.equal(c.load_assignment?.endpoints[0].load_balancing_weight, 2);
    assert.equal(c.typed_extension_protocol_options.http?.upstream_protocol, 'HTTP2');
    assert.deepEqual(c.typed_extension_protocol_options.http?.http2_protocol_options, { max_concurrent_streams: 50 });
    assert.equal(c.typed_extension_protocol_options.http?.common_http_protocol_options.idle_timeout, 30000);
    assert.equal(routeOf(mustParse(raw)).match.runtime_fraction?.fraction, 0.0025);
  });

  it('normalises headers, matchers and header edits', () => {
    const raw = base();
    set(raw, `${R0}.match.headers`, [
      { name: 'X-User', string_match: { exact: 'Alice', ignore_case: true } },
      { name: 'X-Legacy', exact_match: 'v' },
      { name: 'X-Present', present_match: true },
    ]);
    set(raw, `${R0}.request_headers_to_add`, [
      { header: { key: 'X-Added', value: 'v' }, append: false },
      { header: { key: 'x-b', value: 'w' } },
      { header: { key: 'x-c', value: 'w' }, append_action: 'ADD_IF_ABSENT' },
    ]);
    set(raw, `${R0}.response_headers_to_remove`, ['X-Secret']);
    const r = routeOf(mustParse(raw));
    assert.deepEqual(r.match.headers[0], { name: 'x-user', string_match: { kind: 'exact', value: 'Alice', ignore_case: true }, invert_match: false, treat_missing_header_as_empty: false });
    assert.deepEqual(r.match.headers[1].string_match, { kind: 'exact', value: 'v', ignore_case: false });
    assert.equal(r.match.headers[2].present_match, true);
    assert.deepEqual(r.request_headers_to_add.map((h) => [h.header.key, h.append_action]), [
      ['x-added', 'OVERWRITE_IF_EXISTS_OR_ADD'],
      ['x-b', 'APPEND_IF_EXISTS_OR_ADD'],
      ['x-c', 'ADD_IF_ABSENT'],
    ]);
    assert.deepEqual(r.response_headers_to_remove, ['x-secret']);
  });

  it('decodes fault, access logs, TypedStruct, tcp_proxy and rds', () => {
    const raw = base();
    set(raw, `${HCM}.http_filters`, [
      {
        name: 'envoy.filters.http.fault',
        typed_config: {
          '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
          type_url: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
          value: { delay: { fixed_delay: '0.1s', percentage: { numerator: 50 } }, abort: { http_status: 503, percentage: { numerator: 1000, denominator: 'MILLION' } } },
        },
      },
      { name: 'envoy.filters.http.router' },
    ]);
    set(raw, `${HCM}.access_log`, [
      { name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/tmp/a.log', json_format: { code: '%RESPONSE_CODE%' } } },
      { name: 'envoy.access_loggers.file', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: '/tmp/b.log', format: '%RESPONSE_CODE%\n' } },
      { name: 'envoy.access_loggers.stderr', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog' } },
    ]);
    const tcp = {
      name: 'tcp',
      address: { socket_address: { address: '127.0.0.1', port_value: 10001 } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 't', weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] } } }] }],
    };
    set(raw, 'static_resources.listeners[1]', tcp);
    const rds = structuredClone(get(raw, 'static_resources.listeners[0]')) as J;
    set(rds, 'name', 'rds');
    set(rds, 'address.socket_address.port_value', 10002);
    const rdsHcm = 'filter_chains[0].filters[0].typed_config';
    set(rds, `${rdsHcm}.route_config`, undefined);
    set(rds, `${rdsHcm}.rds`, { route_config_name: 'routes', config_source: { ads: {}, resource_api_version: 'V3' } });
    set(raw, 'static_resources.listeners[2]', rds);
    const b = mustParse(raw);
    const h = hcmOf(b);
    const fault = h.http_filters[0].typed_config as FaultConfig;
    assert.equal(fault['@type'], 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault');
    assert.ok('delay' in fault);
    assert.deepEqual(fault.delay, { header_delay: false, percentage: 0.5, fixed_delay: 100 });
    assert.deepEqual(fault.abort, { header_abort: false, percentage: 0.001, http_status: 503 });
    assert.deepEqual((h.access_log as FormattedAccessLog[]).map((a) => [a.sink, a.format.kind]), [
      [{ kind: 'file', path: '/tmp/a.log' }, 'json'],
      [{ kind: 'file', path: '/tmp/b.log' }, 'text'],
      [{ kind: 'stderr' }, 'text'],
    ]);
    const t = b.static_resources.listeners[1].filter_chains[0].filters[0].typed_config as TcpProxy;
    assert.deepEqual(t.cluster_specifier, { kind: 'weighted_clusters', clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] });
    assert.equal(t.idle_timeout, 3600000);
    assert.deepEqual(hcmOf(b, 2).route_specifier, { kind: 'rds', route_config_name: 'routes' });
  });

  it('resolves filename references against the config file directory, and reads JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-config-'));
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    writeFileSync(join(dir, 'body.txt'), 'hello');
    const raw = base();
    set(raw, `${R0}`, { match: { path: '/hello' }, direct_response: { status: 200, body: { filename: 'body.txt' } } });
    set(raw, 'static_resources.listeners[0].filter_chains[0].transport_socket', {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { filename: 'cert.pem' }, private_key: { filename: './key.pem' } }],
          validation_context: { trusted_ca: { inline_bytes: Buffer.from('CA').toString('base64') }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://x/' } }] },
          alpn_protocols: ['h2', 'http/1.1'],
          tls_params: { tls_minimum_protocol_version: 'TLSv1_2', cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256'] },
        },
        require_client_certificate: true,
      },
    });
    writeFileSync(join(dir, 'envoy.json'), JSON.stringify(raw));
    const r = await loadBootstrapFile(join(dir, 'envoy.json'));
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    const fc = r.value.static_resources.listeners[0].filter_chains[0];
    const tls = fc.transport_socket?.typed_config;
    assert.deepEqual(tls?.common_tls_context.tls_certificates, [{ certificate_chain: 'CERT', private_key: 'KEY' }]);
    assert.equal(tls?.common_tls_context.validation_context?.trusted_ca, 'CA');
    assert.equal(tls?.common_tls_context.tls_params.tls_minimum_protocol_version, 'TLSv1_2');
    assert.equal(tls?.common_tls_context.tls_params.tls_maximum_protocol_version, 'TLS_AUTO');
    assert.equal(tls?.require_client_certificate, true);
    assert.deepEqual(routeOf(r.value).action, { kind: 'direct_response', direct_response: { status: 200, body: 'hello' } });

    writeFileSync(join(dir, 'bad.yaml'), 'static_resources:\n  clusters:\n    - name: x\n      transport_socket:\n        name: envoy.transport_sockets.tls\n        typed_config:\n          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext\n          common_tls_context:\n            tls_certificates: [{certificate_chain: {filename: missing.pem}, private_key: {inline_string: k}}]\n');
    const bad = errorsOf(await loadBootstrapFile(join(dir, 'bad.yaml')));
    assert.equal(bad[0]?.path, 'static_resources.clusters[0].transport_socket.typed_config.common_tls_context.tls_certificates[0].certificate_chain.filename');
    assert.match(bad[0].message, /cannot read ".*missing\.pem": ENOENT/);
  });

  it('reports YAML syntax errors and unreadable files', async () => {
    assert.match(errorsOf(loadBootstrapText('a: [1, 2', '/'))[0].message, /YAML syntax error/);
    assert.match(errorsOf(await loadBootstrapFile('/nonexistent/envoy.yaml'))[0].message, /cannot read config file/);
  });

  it('validates dynamic_resources structure', () => {
    const raw = base();
    set(raw, 'dynamic_resources', {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'a' } }] },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {} },
    });
    assert.deepEqual(mustParse(raw).dynamic_resources, {
      ads_config: { api_type: 'GRPC', cluster_name: 'a', transport_api_version: 'V3' },
      lds_config: { ads: true },
      cds_config: { ads: true },
    });
    set(raw, 'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name', 'xds');
    const errs = errorsOf(parseBootstrap(raw, { baseDir: '/' }));
    assert.equal(errs[0]?.path, 'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name');
  });
});
